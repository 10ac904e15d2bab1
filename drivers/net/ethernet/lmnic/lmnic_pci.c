// SPDX-License-Identifier: GPL-2.0
/* lmnic: PCI probe and remove */

#include <linux/interrupt.h>
#include <linux/module.h>
#include <linux/pci.h>

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
	struct lmnic_dev *ld;
	int err;

	ld = lmnic_devlink_alloc(dev);
	if (!ld)
		return -ENOMEM;
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

	err = lmnic_irq_init(ld);
	if (err) {
		dev_err(dev, "cannot set up interrupts: %pe\n", ERR_PTR(err));
		goto err_unmap_state;
	}

	err = lmnic_aq_init(ld);
	if (err)
		goto err_free_irqs;

	err = lmnic_conns_init(ld);
	if (err)
		goto err_fini_aq;

	err = lmnic_netdevs_create(ld);
	if (err)
		goto err_fini_conns;

	err = lmnic_devlink_register(ld);
	if (err)
		goto err_destroy_netdevs;

	err = lmnic_err_init(ld);
	if (err)
		goto err_unregister_devlink;
	lmnic_mig_init(ld);
	lmnic_nl_dev_add(ld);

	dev_info(dev, "lmnic adapter, serial %016llx, %u vports, state memory %llu MiB\n",
		 ld->serial, ld->num_vports, ld->state_size >> 20);
	return 0;

err_unregister_devlink:
	lmnic_devlink_unregister(ld);
err_destroy_netdevs:
	lmnic_netdevs_destroy(ld);
err_fini_conns:
	lmnic_conns_fini(ld);
err_fini_aq:
	lmnic_aq_fini(ld);
err_free_irqs:
	lmnic_irq_fini(ld);
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

static void lmnic_remove(struct pci_dev *pdev)
{
	struct lmnic_dev *ld = pci_get_drvdata(pdev);

	lmnic_nl_dev_del(ld);
	lmnic_mig_fini(ld);
	if (pci_dev_is_disconnected(pdev)) {
		/* surprise removal: keep what the regions say */
		set_bit(LMNIC_F_DEAD, &ld->flags);
		lmnic_err_report(ld, LMNIC_ERR_REASON_REMOVED, U32_MAX, U32_MAX);
		flush_work(&ld->err_work);
	}
	lmnic_err_fini(ld);
	lmnic_devlink_unregister(ld);
	lmnic_netdevs_destroy(ld);
	lmnic_conns_fini(ld);
	lmnic_aq_fini(ld);
	lmnic_irq_fini(ld);
	lmnic_wr32(ld, LMNIC_REG_CTRL, LMNIC_CTRL_RESET);
	pci_iounmap(pdev, ld->state);
	pci_iounmap(pdev, ld->regs);
	pci_clear_master(pdev);
	pci_release_mem_regions(pdev);
	pci_disable_device(pdev);
	lmnic_devlink_free(ld);
}

/*
 * PCI errors (AER): take a dump while the link is down, then recover as for
 * any adapter error once the slot is reset.
 */
static pci_ers_result_t lmnic_error_detected(struct pci_dev *pdev,
					     pci_channel_state_t state)
{
	struct lmnic_dev *ld = pci_get_drvdata(pdev);

	set_bit(LMNIC_F_DEAD, &ld->flags);
	lmnic_err_report(ld, state == pci_channel_io_perm_failure ?
			 LMNIC_ERR_REASON_REMOVED : LMNIC_ERR_REASON_PCI_ERROR,
			 U32_MAX, U32_MAX);
	return state == pci_channel_io_perm_failure ?
	       PCI_ERS_RESULT_DISCONNECT : PCI_ERS_RESULT_NEED_RESET;
}

static pci_ers_result_t lmnic_slot_reset(struct pci_dev *pdev)
{
	pci_restore_state(pdev);
	pci_set_master(pdev);
	return PCI_ERS_RESULT_RECOVERED;
}

static void lmnic_resume(struct pci_dev *pdev)
{
	struct lmnic_dev *ld = pci_get_drvdata(pdev);

	flush_work(&ld->err_work);
	clear_bit(LMNIC_F_DEAD, &ld->flags);
	if (lmnic_recover(ld))
		dev_err(&pdev->dev, "not recovered after the PCI error\n");
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
