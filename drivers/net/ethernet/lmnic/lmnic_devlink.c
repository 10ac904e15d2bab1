// SPDX-License-Identifier: GPL-2.0
/* lmnic: devlink instance */

#include <linux/bitfield.h>
#include <net/devlink.h>

#include "lmnic.h"

static int lmnic_devlink_info_get(struct devlink *devlink,
				  struct devlink_info_req *req,
				  struct netlink_ext_ack *extack)
{
	struct lmnic_dev *ld = devlink_priv(devlink);
	char buf[32];
	int err;

#ifdef LMNIC_HAVE_DEVLINK_DRIVER_NAME_PUT
	/* later kernels report the driver's name themselves */
	err = devlink_info_driver_name_put(req, LMNIC_DRV_NAME);
	if (err)
		return err;
#endif
	snprintf(buf, sizeof(buf), "%016llx", ld->serial);
	err = devlink_info_serial_number_put(req, buf);
	if (err)
		return err;

	snprintf(buf, sizeof(buf), "%lu.%lu",
		 FIELD_GET(LMNIC_VERSION_MAJOR, ld->hw_version),
		 FIELD_GET(LMNIC_VERSION_MINOR, ld->hw_version));
	err = devlink_info_version_fixed_put(req, "asic.rev", buf);
	if (err)
		return err;

	snprintf(buf, sizeof(buf), "%u", ld->layout_version);
	return devlink_info_version_running_put(req, "fw.state_layout", buf);
}

static const struct devlink_ops lmnic_devlink_ops = {
	.info_get = lmnic_devlink_info_get,
};

struct lmnic_dev *lmnic_devlink_alloc(struct device *dev)
{
	struct devlink *devlink;

	devlink = devlink_alloc(&lmnic_devlink_ops, sizeof(struct lmnic_dev), dev);
	if (!devlink)
		return NULL;
	return devlink_priv(devlink);
}

void lmnic_devlink_free(struct lmnic_dev *ld)
{
	devlink_free(priv_to_devlink(ld));
}

int lmnic_devlink_register(struct lmnic_dev *ld)
{
	devlink_register(priv_to_devlink(ld));
	return 0;
}

void lmnic_devlink_unregister(struct lmnic_dev *ld)
{
	devlink_unregister(priv_to_devlink(ld));
}

/*
 * One devlink port per vport, after the subfunction ports of the anchors: a
 * vport is a function of the adapter's one PCI function and uplink, not a
 * physical port. Its name (phys_port_name) is pf<function>sf<vport>, and
 * netdev->dev_port the vport, so udev names each vport's netdev by what it
 * is, whatever order they come in.
 */
int lmnic_devlink_port_register(struct lmnic_net *net)
{
	struct lmnic_dev *ld = net->ld;

	devlink_port_attrs_pci_sf_set(&net->dl_port, 0, PCI_FUNC(ld->pdev->devfn),
				      net->vport, false);
	return devlink_port_register(priv_to_devlink(ld), &net->dl_port,
				     net->vport);
}

void lmnic_devlink_port_unregister(struct lmnic_net *net)
{
	devlink_port_unregister(&net->dl_port);
}
