// SPDX-License-Identifier: GPL-2.0
/* lmnic: PCI probe and remove */

#include <linux/interrupt.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/rtnetlink.h>
#include <net/devlink.h>

#include <lmnic_version.h>

#include "lmnic.h"

static const struct pci_device_id lmnic_pci_tbl[] = {
	{ PCI_DEVICE(LMNIC_PCI_VENDOR_ID, LMNIC_PCI_DEVICE_ID) },
	{ }
};
MODULE_DEVICE_TABLE(pci, lmnic_pci_tbl);

/* Admin completions are polled; this vector matters for adapter errors. */
static irqreturn_t lmnic_admin_irq(int irq, void *data)
{
	struct lmnic_dev *ld = data;

	lmnic_err_irq(ld);
	if (ld->err_cause && !test_bit(LMNIC_F_DEAD, &ld->flags))
		lmnic_wr32(ld, LMNIC_REG_ERR_CAUSE, ld->err_cause);
	lmnic_wr32(ld, LMNIC_REG_VEC_ENABLE(LMNIC_VEC_ADMIN), 1);
	return IRQ_HANDLED;
}

/* Vector 0 for the admin queue and errors, one per possible queue pair. */
static int lmnic_irq_init(struct lmnic_dev *ld)
{
	struct pci_dev *pdev = ld->pdev;
	int nvec = lmnic_qp_vector(ld->num_vports - 1, LMNIC_MAX_QP - 1) + 1;
	int n, err;

	n = pci_alloc_irq_vectors(pdev, nvec, nvec, PCI_IRQ_MSIX);
	if (n < 0)
		return n;

	err = request_irq(pci_irq_vector(pdev, LMNIC_VEC_ADMIN),
			  lmnic_admin_irq, 0, LMNIC_DRV_NAME "-admin", ld);
	if (err) {
		pci_free_irq_vectors(pdev);
		return err;
	}
	lmnic_wr32(ld, LMNIC_REG_VEC_ENABLE(LMNIC_VEC_ADMIN), 1);
	return 0;
}

static void lmnic_irq_fini(struct lmnic_dev *ld)
{
	free_irq(pci_irq_vector(ld->pdev, LMNIC_VEC_ADMIN), ld);
	pci_free_irq_vectors(ld->pdev);
}

static int lmnic_probe(struct pci_dev *pdev, const struct pci_device_id *ent)
{
	struct device *dev = &pdev->dev;
	struct devlink *devlink;
	struct lmnic_dev *ld;
	int err;

	ld = lmnic_devlink_alloc(dev);
	if (!ld)
		return -ENOMEM;
	devlink = priv_to_devlink(ld);
	ld->pdev = pdev;
	pci_set_drvdata(pdev, ld);

	err = pci_enable_device_mem(pdev);
	if (err)
		goto err_free_devlink;

	err = dma_set_mask_and_coherent(dev, DMA_BIT_MASK(64));
	if (err)
		goto err_disable_device;

	err = pci_request_mem_regions(pdev, LMNIC_DRV_NAME);
	if (err)
		goto err_disable_device;

	pci_set_master(pdev);

	ld->regs = pci_iomap(pdev, LMNIC_BAR_REGS, LMNIC_REGS_SIZE);
	if (!ld->regs) {
		err = -ENOMEM;
		goto err_release_regions;
	}

	err = lmnic_hw_init(ld);
	if (err)
		goto err_unmap_regs;

	ld->state = pci_iomap(pdev, LMNIC_BAR_STATE, 0);
	if (!ld->state) {
		err = -ENOMEM;
		goto err_unmap_regs;
	}

	err = lmnic_sm_check(ld);
	if (err)
		goto err_unmap_state;

	/* before anything can report an error: the interrupt, the netdevs */
	err = lmnic_err_init(ld);
	if (err)
		goto err_unmap_state;

	err = lmnic_irq_init(ld);
	if (err) {
		dev_err(dev, "cannot set up interrupts: %pe\n", ERR_PTR(err));
		goto err_fini_err;
	}

	err = lmnic_aq_init(ld);
	if (err)
		goto err_free_irqs;

	/* what devlink reload takes down and makes again, under its lock */
	devl_lock(devlink);
	err = lmnic_devlink_params_register(ld);
	if (err)
		goto err_unlock;

	err = lmnic_conns_init(ld);
	if (err)
		goto err_unregister_params;

	lmnic_mig_init(ld);
	err = lmnic_netdevs_create(ld);
	if (err)
		goto err_fini_conns;

	err = lmnic_devlink_regions_create(ld);
	if (err)
		goto err_destroy_netdevs;
	devl_unlock(devlink);
	devlink_register(devlink);

	/* what the PCI core restores after a reset */
	pci_save_state(pdev);
	lmnic_err_start(ld);
	lmnic_nl_dev_add(ld);

	dev_info(dev, "lmnic adapter, serial %016llx, %u vports, state memory %llu MiB\n",
		 ld->serial, ld->num_vports, ld->state_size >> 20);
	return 0;

err_destroy_netdevs:
	/* reports are held until lmnic_err_start(): no error work to stop */
	lmnic_netdevs_destroy(ld);
err_fini_conns:
	lmnic_conns_fini(ld);
err_unregister_params:
	devl_unlock(devlink);
	lmnic_devlink_params_unregister(ld);
	goto err_fini_aq;
err_unlock:
	devl_unlock(devlink);
err_fini_aq:
	lmnic_aq_fini(ld);
err_free_irqs:
	lmnic_irq_fini(ld);
err_fini_err:
	lmnic_err_stop(ld);
	lmnic_err_fini(ld);
err_unmap_state:
	pci_iounmap(pdev, ld->state);
err_unmap_regs:
	pci_iounmap(pdev, ld->regs);
err_release_regions:
	pci_clear_master(pdev);
	pci_release_mem_regions(pdev);
err_disable_device:
	pci_disable_device(pdev);
err_free_devlink:
	lmnic_devlink_free(ld);
	return err;
}

/* remove() mirrors probe(): the family first, then the error handling. */
static void lmnic_remove(struct pci_dev *pdev)
{
	struct lmnic_dev *ld = pci_get_drvdata(pdev);
	struct devlink *devlink = priv_to_devlink(ld);
	bool down;

	/* a reload in progress ends first; none starts after this */
	devl_lock(devlink);
	ld->removing = true;
	down = ld->reload_down;
	devl_unlock(devlink);

	/* no request reaches the adapter after this; migrations are undone */
	if (!down)
		lmnic_nl_dev_del(ld);
	if (pci_dev_is_disconnected(pdev)) {
		/* surprise removal: keep what the regions say */
		set_bit(LMNIC_F_DEAD, &ld->flags);
		lmnic_err_report(ld, LMNIC_ERR_REASON_REMOVED, U32_MAX, U32_MAX);
	}
	lmnic_err_stop(ld);
	devlink_unregister(devlink);
	devl_lock(devlink);
	lmnic_devlink_regions_destroy(ld);
	lmnic_netdevs_destroy(ld);
	devl_unlock(devlink);
	lmnic_devlink_params_unregister(ld);
	lmnic_conns_fini(ld);
	lmnic_aq_fini(ld);
	lmnic_irq_fini(ld);
	lmnic_err_fini(ld);
	lmnic_wr32(ld, LMNIC_REG_CTRL, LMNIC_CTRL_RESET);
	pci_iounmap(pdev, ld->state);
	pci_iounmap(pdev, ld->regs);
	pci_clear_master(pdev);
	pci_release_mem_regions(pdev);
	pci_disable_device(pdev);
	lmnic_devlink_free(ld);
}

/*
 * PCI errors (AER), after fbnic: the function stops (no DMA, its vports
 * down and detached) and a dump is taken while the PCI core resets the
 * slot; the recovery that follows is the PCI core's: nothing else resets
 * the adapter meanwhile (LMNIC_F_PCI_ERR).
 */
static pci_ers_result_t lmnic_error_detected(struct pci_dev *pdev,
					     pci_channel_state_t state)
{
	struct lmnic_dev *ld = pci_get_drvdata(pdev);
	u16 v;

	set_bit(LMNIC_F_PCI_ERR, &ld->flags);
	set_bit(LMNIC_F_DEAD, &ld->flags);
	if (state == pci_channel_io_perm_failure) {
		lmnic_err_report(ld, LMNIC_ERR_REASON_REMOVED, U32_MAX, U32_MAX);
		return PCI_ERS_RESULT_DISCONNECT;
	}
	lmnic_err_report(ld, LMNIC_ERR_REASON_PCI_ERROR, U32_MAX, U32_MAX);
	/* no DMA from here on, then the memory it used may go */
	pci_clear_master(pdev);
	rtnl_lock();
	for (v = 0; v < ld->num_vports; v++) {
		struct net_device *netdev = ld->netdevs[v];

		if (!netdev)
			continue;
		netif_device_detach(netdev);
		if (netif_running(netdev))
			lmnic_down(netdev_priv(netdev));
	}
	rtnl_unlock();
	pci_disable_device(pdev);
	return PCI_ERS_RESULT_NEED_RESET;
}

static pci_ers_result_t lmnic_slot_reset(struct pci_dev *pdev)
{
	struct lmnic_dev *ld = pci_get_drvdata(pdev);

	pci_restore_state(pdev);
	pci_save_state(pdev);
	if (pci_enable_device_mem(pdev)) {
		dev_err(&pdev->dev, "cannot enable the function after its reset\n");
		return PCI_ERS_RESULT_DISCONNECT;
	}
	pci_set_master(pdev);
	if (readl(ld->regs + LMNIC_REG_MAGIC) != LMNIC_MAGIC)
		return PCI_ERS_RESULT_DISCONNECT;
	clear_bit(LMNIC_F_DEAD, &ld->flags);
	return PCI_ERS_RESULT_RECOVERED;
}

static void lmnic_resume(struct pci_dev *pdev)
{
	struct lmnic_dev *ld = pci_get_drvdata(pdev);
	int err;
	u16 v;

	/* the dump of the error is taken */
	flush_work(&ld->err_work);
	rtnl_lock();
	clear_bit(LMNIC_F_PCI_ERR, &ld->flags);
	/* the slot's reset cleared the adapter: its admin queue is gone */
	set_bit(LMNIC_F_AQ_DEAD, &ld->flags);
	set_bit(LMNIC_F_DMA_STOPPED, &ld->flags);
	err = lmnic_recover_locked(ld);
	for (v = 0; v < ld->num_vports; v++)
		if (ld->netdevs[v])
			netif_device_attach(ld->netdevs[v]);
	rtnl_unlock();
	if (err)
		dev_err(&pdev->dev, "not recovered after the PCI error: %pe\n",
			ERR_PTR(err));
	else
		lmnic_health_healthy(ld);
}

static const struct pci_error_handlers lmnic_err_handlers = {
	.error_detected = lmnic_error_detected,
	.slot_reset = lmnic_slot_reset,
	.resume = lmnic_resume,
};

static struct pci_driver lmnic_driver = {
	.name = LMNIC_DRV_NAME,
	.id_table = lmnic_pci_tbl,
	.probe = lmnic_probe,
	.remove = lmnic_remove,
	.err_handler = &lmnic_err_handlers,
};

static int __init lmnic_init(void)
{
	int err;

	err = lmnic_nl_register();
	if (err)
		return err;
	err = pci_register_driver(&lmnic_driver);
	if (err)
		lmnic_nl_unregister();
	return err;
}
module_init(lmnic_init);

static void __exit lmnic_exit(void)
{
	pci_unregister_driver(&lmnic_driver);
	lmnic_nl_unregister();
	lmnic_dumps_free_all();
}
module_exit(lmnic_exit);

MODULE_DESCRIPTION("lmnic network adapter driver");
MODULE_LICENSE("GPL");
MODULE_VERSION(LMNIC_VERSION);
