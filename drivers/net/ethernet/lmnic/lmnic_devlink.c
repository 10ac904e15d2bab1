// SPDX-License-Identifier: GPL-2.0
/* lmnic: devlink instance */

#include <linux/bitfield.h>
#include <linux/vmalloc.h>
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

/*
 * ---- regions ------------------------------------------------------------
 *
 * offload-vportN: vport N's host-resident offload region (header, event
 * ring, connection entries; Documentation/lmnic-hw.rst), the memory the
 * adapter mirrors its table into and that outlives a dead adapter. Read
 * with devlink region read (6.12) or from a snapshot: devlink region new,
 * and one of every region, under one id, at each adapter error.
 */
#define LMNIC_REGION_SNAPSHOTS	4

static u64 lmnic_hr_region_size(const struct lmnic_conn_table *ct)
{
	return lmnic_hr_size(LMNIC_HR_EVENTS, ct->slots);
}

/* LEN bytes of the region from OFF, as the adapter last wrote them. */
static void lmnic_hr_copy(const struct lmnic_conn_table *ct, u64 off, u8 *to,
			  u64 len)
{
	while (len) {
		u64 in = off & (BIT_ULL(ct->chunk_shift) - 1);
		u64 n = min(len, BIT_ULL(ct->chunk_shift) - in);

		memcpy(to, (u8 *)ct->chunk[off >> ct->chunk_shift] + in, n);
		off += n;
		to += n;
		len -= n;
	}
}

static u8 *lmnic_hr_snapshot_data(const struct lmnic_conn_table *ct)
{
	u64 size = lmnic_hr_region_size(ct);
	u8 *data = vmalloc(size);

	if (data)
		lmnic_hr_copy(ct, 0, data, size);
	return data;
}

static int lmnic_hr_region_snapshot(struct devlink *devlink,
				    const struct devlink_region_ops *ops,
				    struct netlink_ext_ack *extack, u8 **data)
{
	*data = lmnic_hr_snapshot_data(ops->priv);
	return *data ? 0 : -ENOMEM;
}

#ifdef LMNIC_HAVE_DEVLINK_REGION_READ
static int lmnic_hr_region_read(struct devlink *devlink,
				const struct devlink_region_ops *ops,
				struct netlink_ext_ack *extack,
				u64 offset, u32 size, u8 *data)
{
	const struct lmnic_conn_table *ct = ops->priv;

	if (offset > lmnic_hr_region_size(ct) ||
	    size > lmnic_hr_region_size(ct) - offset)
		return -EINVAL;
	lmnic_hr_copy(ct, offset, data, size);
	return 0;
}
#endif

static void lmnic_devlink_regions_destroy(struct lmnic_dev *ld)
{
	u16 v;

	for (v = 0; v < LMNIC_MAX_VPORTS; v++) {
		if (ld->hr_region[v])
			devlink_region_destroy(ld->hr_region[v]);
		ld->hr_region[v] = NULL;
	}
}

static int lmnic_devlink_regions_create(struct lmnic_dev *ld)
{
	u16 v;

	for (v = 0; v < ld->num_conn_tables; v++) {
		struct devlink_region_ops *ops = &ld->hr_region_ops[v];
		struct devlink_region *region;

		snprintf(ld->hr_region_name[v], sizeof(ld->hr_region_name[v]),
			 "offload-vport%u", v);
		ops->name = ld->hr_region_name[v];
		ops->destructor = vfree;
		ops->snapshot = lmnic_hr_region_snapshot;
#ifdef LMNIC_HAVE_DEVLINK_REGION_READ
		ops->read = lmnic_hr_region_read;
#endif
		ops->priv = &ld->conns[v];
		region = devlink_region_create(priv_to_devlink(ld), ops,
					       LMNIC_REGION_SNAPSHOTS,
					       lmnic_hr_region_size(&ld->conns[v]));
		if (IS_ERR(region)) {
			lmnic_devlink_regions_destroy(ld);
			return PTR_ERR(region);
		}
		ld->hr_region[v] = region;
	}
	return 0;
}

/*
 * At an adapter error: every region as the error left it, under one
 * snapshot id; a region whose snapshots are all kept gets none.
 */
void lmnic_devlink_regions_snapshot(struct lmnic_dev *ld)
{
	struct devlink *devlink = priv_to_devlink(ld);
	u32 id;
	u16 v;

	if (!ld->hr_region[0] || devlink_region_snapshot_id_get(devlink, &id))
		return;
	for (v = 0; v < ld->num_conn_tables; v++) {
		u8 *data = lmnic_hr_snapshot_data(&ld->conns[v]);

		if (data && devlink_region_snapshot_create(ld->hr_region[v],
							   data, id))
			vfree(data);
	}
	devlink_region_snapshot_id_put(devlink, id);
}

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
	int err = lmnic_devlink_regions_create(ld);

	if (err)
		return err;
	devlink_register(priv_to_devlink(ld));
	return 0;
}

void lmnic_devlink_unregister(struct lmnic_dev *ld)
{
	devlink_unregister(priv_to_devlink(ld));
	lmnic_devlink_regions_destroy(ld);
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
