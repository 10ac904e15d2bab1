// SPDX-License-Identifier: GPL-2.0
/* lmnic: devlink instance */

#include <linux/bitfield.h>
#include <linux/vmalloc.h>
#include <net/devlink.h>

#include "lmnic.h"
#include "lmnic_compat.h"

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

/*
 * ---- parameters ---------------------------------------------------------
 *
 * max_conns: the connections each vport may offload, the size of its table
 * and host-resident region. driverinit: a new value takes effect at the
 * next devlink reload; its value at probe is the module parameter's.
 */
enum {
	LMNIC_DEVLINK_PARAM_ID_BASE = DEVLINK_PARAM_GENERIC_ID_MAX,
	LMNIC_DEVLINK_PARAM_ID_MAX_CONNS,
};

static int lmnic_max_conns_validate(struct devlink *devlink, u32 id,
				    union devlink_param_value val,
				    struct netlink_ext_ack *extack)
{
	struct lmnic_dev *ld = devlink_priv(devlink);

	if (!ld->conn_capacity) {
		NL_SET_ERR_MSG_MOD(extack, "the adapter offloads no connections");
		return -EOPNOTSUPP;
	}
	if (!val.vu32 || val.vu32 > ld->conn_capacity) {
		NL_SET_ERR_MSG_FMT_MOD(extack,
				       "max_conns must be 1 to %u, the adapter's capacity",
				       ld->conn_capacity);
		return -EINVAL;
	}
	return 0;
}

static const struct devlink_param lmnic_devlink_params[] = {
	DEVLINK_PARAM_DRIVER(LMNIC_DEVLINK_PARAM_ID_MAX_CONNS, "max_conns",
			     DEVLINK_PARAM_TYPE_U32,
			     BIT(DEVLINK_PARAM_CMODE_DRIVERINIT), NULL, NULL,
			     lmnic_max_conns_validate),
};

/* Under the devlink instance lock: the value the next reload applies. */
static u32 lmnic_max_conns_next(struct lmnic_dev *ld)
{
	union devlink_param_value val;
	int err;

#ifdef LMNIC_HAVE_DEVL_PARAMS
	err = devl_param_driverinit_value_get(priv_to_devlink(ld),
					      LMNIC_DEVLINK_PARAM_ID_MAX_CONNS,
					      &val);
#else
	err = devlink_param_driverinit_value_get(priv_to_devlink(ld),
						 LMNIC_DEVLINK_PARAM_ID_MAX_CONNS,
						 &val);
#endif
	return err ? ld->max_conns : val.vu32;
}

/* At probe, under the devlink instance lock, before the tables are made. */
int lmnic_devlink_params_register(struct lmnic_dev *ld)
{
	struct devlink *devlink = priv_to_devlink(ld);
	union devlink_param_value val;
	int err;

	ld->max_conns = lmnic_conns_default();
	if (ld->conn_capacity)
		ld->max_conns = clamp(ld->max_conns, 1U, ld->conn_capacity);
	val.vu32 = ld->max_conns;
#ifdef LMNIC_HAVE_DEVL_PARAMS
	err = devl_params_register(devlink, lmnic_devlink_params,
				   ARRAY_SIZE(lmnic_devlink_params));
	if (err)
		return err;
	devl_param_driverinit_value_set(devlink, LMNIC_DEVLINK_PARAM_ID_MAX_CONNS,
					val);
	return 0;
#else
	err = devlink_params_register(devlink, lmnic_devlink_params,
				      ARRAY_SIZE(lmnic_devlink_params));
	if (err)
		return err;
	err = devlink_param_driverinit_value_set(devlink,
						 LMNIC_DEVLINK_PARAM_ID_MAX_CONNS,
						 val);
	if (err)
		devlink_params_unregister(devlink, lmnic_devlink_params,
					  ARRAY_SIZE(lmnic_devlink_params));
	return err;
#endif
}

/* After devlink_unregister(), without the instance lock. */
void lmnic_devlink_params_unregister(struct lmnic_dev *ld)
{
	devlink_params_unregister(priv_to_devlink(ld), lmnic_devlink_params,
				  ARRAY_SIZE(lmnic_devlink_params));
}

/*
 * ---- reload -------------------------------------------------------------
 *
 * driver_reinit: the vports, their netdevs and devlink ports, connection
 * tables and regions are taken down and made again on a reset adapter, with
 * the parameters' driverinit values; the adapter stays bound, its admin
 * queue, interrupts, health reporter and error dumps stay. Refused while a
 * vport is in a migration or an adapter error is being handled, and into
 * another namespace. A reload whose up half failed leaves the adapter
 * down: another reload or the removal follows.
 */
static int lmnic_reload_down(struct devlink *devlink, bool netns_change,
			     enum devlink_reload_action action,
			     enum devlink_reload_limit limit,
			     struct netlink_ext_ack *extack)
{
	struct lmnic_dev *ld = devlink_priv(devlink);
	int err;

	if (netns_change) {
		NL_SET_ERR_MSG_MOD(extack,
				   "the adapter stays in the initial namespace; move a vport's netdev instead");
		return -EOPNOTSUPP;
	}
	if (ld->removing)
		return -ENODEV;
	if (ld->reload_down)
		return 0;	/* the last reload's up half failed */
	if (test_bit(LMNIC_F_PCI_ERR, &ld->flags)) {
		NL_SET_ERR_MSG_MOD(extack, "the PCI core is recovering the adapter");
		return -EBUSY;
	}
	err = lmnic_err_hold(ld);
	if (err) {
		NL_SET_ERR_MSG_MOD(extack,
				   "an adapter error is being handled; reload after its recovery");
		return err;
	}
	err = lmnic_nl_dev_release(ld, extack);
	if (err) {
		lmnic_err_start(ld);
		return err;
	}
	lmnic_mig_fini(ld);
	lmnic_devlink_regions_destroy(ld);
	lmnic_netdevs_destroy(ld);
	lmnic_conns_fini(ld);
	ld->reload_down = true;
	return 0;
}

static int lmnic_reload_up(struct devlink *devlink,
			   enum devlink_reload_action action,
			   enum devlink_reload_limit limit, u32 *actions_performed,
			   struct netlink_ext_ack *extack)
{
	struct lmnic_dev *ld = devlink_priv(devlink);
	struct device *dev = lmnic_to_dev(ld);
	int err;

	*actions_performed = BIT(DEVLINK_RELOAD_ACTION_DRIVER_REINIT);
	ld->max_conns = lmnic_max_conns_next(ld);

	/* a power-on adapter: empty tables, no vport, the queue set up again */
	err = lmnic_hw_reset(ld);
	if (err) {
		NL_SET_ERR_MSG_MOD(extack, "adapter reset failed");
		return err;
	}
	lmnic_wr32(ld, LMNIC_REG_VEC_ENABLE(LMNIC_VEC_ADMIN), 1);
	lmnic_aq_start(ld);

	err = lmnic_conns_init(ld);
	if (err) {
		NL_SET_ERR_MSG_MOD(extack, "cannot set up the connection tables");
		return err;
	}
	err = lmnic_netdevs_create(ld);
	if (err) {
		NL_SET_ERR_MSG_MOD(extack, "cannot create the vports' netdevs");
		goto err_fini_conns;
	}
	err = lmnic_devlink_regions_create(ld);
	if (err) {
		NL_SET_ERR_MSG_MOD(extack, "cannot create the devlink regions");
		goto err_destroy_netdevs;
	}
	ld->reload_down = false;
	lmnic_nl_dev_add(ld);
	lmnic_err_start(ld);
	dev_info(dev, "reloaded: %u vports, %u connections each\n",
		 ld->num_vports, ld->num_conn_tables ? ld->conns[0].slots : 0);
	return 0;

err_destroy_netdevs:
	lmnic_netdevs_destroy(ld);
err_fini_conns:
	lmnic_conns_fini(ld);
	return err;
}

static const struct devlink_ops lmnic_devlink_ops = {
	.info_get = lmnic_devlink_info_get,
	.reload_actions = BIT(DEVLINK_RELOAD_ACTION_DRIVER_REINIT),
	.reload_down = lmnic_reload_down,
	.reload_up = lmnic_reload_up,
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

/*
 * state-vportN: the fixed part of vport N's block of state memory as the
 * adapter holds it (BAR2; Documentation/lmnic-hw.rst), in its native
 * format: header, configuration, filters, RSS, queues, counters, the
 * connection table's header, the host-specific sections. The table itself
 * (a hash table over the adapter's whole capacity, tens of MiB) is
 * mirrored entry by id in offload-vportN. Read from the running adapter.
 */
static u64 lmnic_sm_region_size(const struct lmnic_sm_region *r)
{
	return LMNIC_SM_FIXED_END;
}

/* LEN bytes of the region from OFF, read from the adapter. */
static void lmnic_sm_copy(const struct lmnic_sm_region *r, u64 off, u8 *to,
			  u64 len)
{
	const struct lmnic_dev *ld = r->ld;

	memcpy_fromio(to, ld->state + LMNIC_SM_VPORT_BASE +
		      (u64)r->vport * ld->vport_block + off, len);
}

static u8 *lmnic_sm_snapshot_data(const struct lmnic_sm_region *r)
{
	u64 size = lmnic_sm_region_size(r);
	u8 *data;

	if (test_bit(LMNIC_F_DEAD, &r->ld->flags))
		return NULL;	/* it reads as all ones */
	data = vmalloc(size);
	if (data)
		lmnic_sm_copy(r, 0, data, size);
	return data;
}

static int lmnic_sm_region_snapshot(struct devlink *devlink,
				    const struct devlink_region_ops *ops,
				    struct netlink_ext_ack *extack, u8 **data)
{
	const struct lmnic_sm_region *r = ops->priv;

	if (test_bit(LMNIC_F_DEAD, &r->ld->flags)) {
		NL_SET_ERR_MSG_MOD(extack, "the adapter does not answer");
		return -EIO;
	}
	*data = lmnic_sm_snapshot_data(r);
	return *data ? 0 : -ENOMEM;
}

#ifdef LMNIC_HAVE_DEVLINK_REGION_READ
static int lmnic_sm_region_read(struct devlink *devlink,
				const struct devlink_region_ops *ops,
				struct netlink_ext_ack *extack,
				u64 offset, u32 size, u8 *data)
{
	const struct lmnic_sm_region *r = ops->priv;

	if (offset > lmnic_sm_region_size(r) ||
	    size > lmnic_sm_region_size(r) - offset)
		return -EINVAL;
	if (test_bit(LMNIC_F_DEAD, &r->ld->flags)) {
		NL_SET_ERR_MSG_MOD(extack, "the adapter does not answer");
		return -EIO;
	}
	lmnic_sm_copy(r, offset, data, size);
	return 0;
}
#endif

/* Under the devlink instance lock, as the region create below. */
void lmnic_devlink_regions_destroy(struct lmnic_dev *ld)
{
	u16 v;

	for (v = 0; v < LMNIC_MAX_VPORTS; v++) {
		if (ld->hr_region[v])
			devl_region_destroy(ld->hr_region[v]);
		ld->hr_region[v] = NULL;
		if (ld->sm_region[v])
			devl_region_destroy(ld->sm_region[v]);
		ld->sm_region[v] = NULL;
	}
}

static const struct devlink_region_ops lmnic_hr_region_ops = {
	.destructor = vfree,
	.snapshot = lmnic_hr_region_snapshot,
#ifdef LMNIC_HAVE_DEVLINK_REGION_READ
	.read = lmnic_hr_region_read,
#endif
};

static const struct devlink_region_ops lmnic_sm_region_ops = {
	.destructor = vfree,
	.snapshot = lmnic_sm_region_snapshot,
#ifdef LMNIC_HAVE_DEVLINK_REGION_READ
	.read = lmnic_sm_region_read,
#endif
};

/* Vport V's region KIND<V> of SIZE bytes: OPS, NAME its own copies. */
static struct devlink_region *
lmnic_vport_region(struct lmnic_dev *ld, const struct devlink_region_ops *kind,
		   const char *prefix, u16 v, struct devlink_region_ops *ops,
		   char *name, size_t name_len, void *priv, u64 size)
{
	snprintf(name, name_len, "%s%u", prefix, v);
	*ops = *kind;
	ops->name = name;
	ops->priv = priv;
	return devl_region_create(priv_to_devlink(ld), ops,
				  LMNIC_REGION_SNAPSHOTS, size);
}

int lmnic_devlink_regions_create(struct lmnic_dev *ld)
{
	struct devlink_region *region;
	u16 v;

	for (v = 0; v < ld->num_conn_tables; v++) {
		region = lmnic_vport_region(ld, &lmnic_hr_region_ops,
					    "offload-vport", v,
					    &ld->hr_region_ops[v],
					    ld->hr_region_name[v],
					    sizeof(ld->hr_region_name[v]),
					    &ld->conns[v],
					    lmnic_hr_region_size(&ld->conns[v]));
		if (IS_ERR(region))
			goto err;
		ld->hr_region[v] = region;
	}
	for (v = 0; v < ld->num_vports; v++) {
		struct lmnic_sm_region *r = &ld->sm_region_of[v];

		r->ld = ld;
		r->vport = v;
		region = lmnic_vport_region(ld, &lmnic_sm_region_ops,
					    "state-vport", v,
					    &ld->sm_region_ops[v],
					    ld->sm_region_name[v],
					    sizeof(ld->sm_region_name[v]), r,
					    lmnic_sm_region_size(r));
		if (IS_ERR(region))
			goto err;
		ld->sm_region[v] = region;
	}
	return 0;

err:
	lmnic_devlink_regions_destroy(ld);
	return PTR_ERR(region);
}

/*
 * At an adapter error: every region as the error left it (the state blocks
 * while the adapter answers), under one snapshot id; a region whose
 * snapshots are all kept gets none.
 */
void lmnic_devlink_regions_snapshot(struct lmnic_dev *ld)
{
	struct devlink *devlink = priv_to_devlink(ld);
	u32 id;
	u16 v;

	if (!ld->sm_region[0] || devlink_region_snapshot_id_get(devlink, &id))
		return;
	for (v = 0; v < ld->num_conn_tables; v++) {
		u8 *data = lmnic_hr_snapshot_data(&ld->conns[v]);

		if (data && devlink_region_snapshot_create(ld->hr_region[v],
							   data, id))
			vfree(data);
	}
	for (v = 0; v < ld->num_vports; v++) {
		u8 *data = lmnic_sm_snapshot_data(&ld->sm_region_of[v]);

		if (data && devlink_region_snapshot_create(ld->sm_region[v],
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
#ifdef LMNIC_HAVE_DEVLINK_F_RELOAD
	/* before 6.3, reload is a feature the driver turns on */
	devlink_set_features(devlink, DEVLINK_F_RELOAD);
#endif
	return devlink_priv(devlink);
}

void lmnic_devlink_free(struct lmnic_dev *ld)
{
	devlink_free(priv_to_devlink(ld));
}

/*
 * One devlink port per vport, after the subfunction ports of the anchors: a
 * vport is a function of the adapter's one PCI function and uplink, not a
 * physical port. Its name (phys_port_name) is pf<function>sf<vport>, and
 * netdev->dev_port the vport, so udev names each vport's netdev by what it
 * is, whatever order they come in. Under the devlink instance lock (probe,
 * remove, reload).
 */
int lmnic_devlink_port_register(struct lmnic_net *net)
{
	struct lmnic_dev *ld = net->ld;

	devlink_port_attrs_pci_sf_set(&net->dl_port, 0, PCI_FUNC(ld->pdev->devfn),
				      net->vport, false);
	return devl_port_register(priv_to_devlink(ld), &net->dl_port,
				  net->vport);
}

void lmnic_devlink_port_unregister(struct lmnic_net *net)
{
	devl_port_unregister(&net->dl_port);
}
