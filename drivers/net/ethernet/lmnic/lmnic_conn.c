// SPDX-License-Identifier: GPL-2.0
/*
 * lmnic: connection offloads and the host-resident offload region
 *
 * Each vport has a region of host memory, registered with the adapter at
 * probe, into which the adapter mirrors every entry of the vport's
 * connection table (slot = connection id) with a sequence number, flushes
 * the entries' counters and appends offload events. The region is the
 * driver's view of the table: listing, ethtool rules, error dumps and the
 * re-offload after an adapter reset all read it; it outlives the adapter.
 */

#include <linux/dma-mapping.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/slab.h>

#include "lmnic.h"
#include "lmnic_compat.h"

/* each adapter's own is its devlink parameter max_conns (lmnic_devlink.c) */
static unsigned int max_conns = 16384;
module_param(max_conns, uint, 0444);
MODULE_PARM_DESC(max_conns,
		 "Connections each vport may offload, the devlink parameter max_conns of each adapter at probe (default 16384; capped by the adapter)");

/* the devlink parameter's value at probe */
u32 lmnic_conns_default(void)
{
	return max_conns;
}

static void *lmnic_hr_ptr(struct lmnic_conn_table *ct, u64 off)
{
	return (u8 *)ct->chunk[off >> ct->chunk_shift] +
	       (off & (BIT_ULL(ct->chunk_shift) - 1));
}

struct lmnic_hr_header *lmnic_hr_hdr(struct lmnic_conn_table *ct)
{
	return lmnic_hr_ptr(ct, 0);
}

static struct lmnic_conn *lmnic_hr_entry(struct lmnic_conn_table *ct, u32 id)
{
	return lmnic_hr_ptr(ct, lmnic_hr_entries_off(LMNIC_HR_EVENTS) +
			    (u64)id * sizeof(struct lmnic_conn));
}

/**
 * lmnic_conn_read - a consistent copy of one entry of the region
 * @ct: the vport's table
 * @id: connection id
 * @out: the copy
 *
 * Return: 0 for a valid entry, -ENOENT for a free slot, -EAGAIN if the
 * adapter kept writing it (torn).
 */
int lmnic_conn_read(struct lmnic_conn_table *ct, u32 id, struct lmnic_conn *out)
{
	const struct lmnic_conn *e = lmnic_hr_entry(ct, id);
	unsigned int tries;
	u32 seq;

	for (tries = 0; tries < 16; tries++) {
		seq = le32_to_cpu(READ_ONCE(e->seq));
		if (seq & 1) {
			cpu_relax();
			continue;
		}
		dma_rmb();
		memcpy(out, e, sizeof(*out));
		dma_rmb();
		if (le32_to_cpu(READ_ONCE(e->seq)) != seq)
			continue;
		return le16_to_cpu(out->flags) & LMNIC_CONNF_VALID ? 0 : -ENOENT;
	}
	return -EAGAIN;
}

static void lmnic_region_free(struct lmnic_dev *ld, struct lmnic_conn_table *ct)
{
	unsigned int i;

	for (i = 0; i < ct->nchunks; i++)
		if (ct->chunk[i])
			dma_free_coherent(lmnic_to_dev(ld), BIT(ct->chunk_shift),
					  ct->chunk[i], ct->chunk_dma[i]);
	kfree(ct->chunk);
	kfree(ct->chunk_dma);
	ct->chunk = NULL;
	ct->chunk_dma = NULL;
	ct->nchunks = 0;
}

/* Chunks of physically contiguous memory: the region can be large. */
static int lmnic_region_alloc(struct lmnic_dev *ld, struct lmnic_conn_table *ct)
{
	u64 size = lmnic_hr_size(LMNIC_HR_EVENTS, ct->slots);
	unsigned int i;

	ct->chunk_shift = LMNIC_HR_CHUNK_SHIFT;
	while (DIV_ROUND_UP_ULL(size, BIT(ct->chunk_shift)) > LMNIC_HR_DIR_MAX)
		ct->chunk_shift++;
	if (ct->chunk_shift > LMNIC_HR_CHUNK_SHIFT_MAX)
		return -E2BIG;
	ct->nchunks = DIV_ROUND_UP_ULL(size, BIT(ct->chunk_shift));
	ct->chunk = kcalloc(ct->nchunks, sizeof(*ct->chunk), GFP_KERNEL);
	ct->chunk_dma = kcalloc(ct->nchunks, sizeof(*ct->chunk_dma), GFP_KERNEL);
	if (!ct->chunk || !ct->chunk_dma)
		goto err;
	for (i = 0; i < ct->nchunks; i++) {
		ct->chunk[i] = dma_alloc_coherent(lmnic_to_dev(ld),
						  BIT(ct->chunk_shift),
						  &ct->chunk_dma[i], GFP_KERNEL);
		if (!ct->chunk[i])
			goto err;
	}
	return 0;
err:
	lmnic_region_free(ld, ct);
	return -ENOMEM;
}

/* Tell the adapter the vport's id range and where its region is. */
int lmnic_region_register(struct lmnic_dev *ld, u16 v)
{
	struct lmnic_conn_table *ct = &ld->conns[v];
	struct lmnic_aq_desc cmd = {
		.opcode = cpu_to_le16(LMNIC_AQ_CONN_LIMIT),
		.vport = cpu_to_le16(v),
	};
	__le64 *dir;
	unsigned int i;
	int err;

	cmd.p.conn.limit = cpu_to_le32(ct->slots);
	err = lmnic_aq_cmd(ld, &cmd, NULL, 0);
	if (err)
		return err;

	dir = kcalloc(ct->nchunks, sizeof(*dir), GFP_KERNEL);
	if (!dir)
		return -ENOMEM;
	for (i = 0; i < ct->nchunks; i++)
		dir[i] = cpu_to_le64(ct->chunk_dma[i]);
	memset(&cmd, 0, sizeof(cmd));
	cmd.opcode = cpu_to_le16(LMNIC_AQ_REGION_SET);
	cmd.vport = cpu_to_le16(v);
	cmd.p.region.num_chunks = cpu_to_le32(ct->nchunks);
	cmd.p.region.slots = cpu_to_le32(ct->slots);
	cmd.p.region.events = cpu_to_le16(LMNIC_HR_EVENTS);
	cmd.p.region.chunk_shift = ct->chunk_shift;
	err = lmnic_aq_cmd(ld, &cmd, dir, ct->nchunks * sizeof(*dir));
	kfree(dir);
	return err;
}

/*
 * Connection ids: a bitmap, searched from after the id last taken, so that
 * taking ids in a row costs one bit test each.
 */
static int lmnic_conn_id_alloc(struct lmnic_conn_table *ct, u32 id)
{
	unsigned long i;

	if (id != LMNIC_CONN_ID_ANY) {
		if (id >= ct->slots)
			return -ERANGE;
		return __test_and_set_bit(id, ct->ids) ? -EEXIST : id;
	}
	i = find_next_zero_bit(ct->ids, ct->slots, ct->id_next);
	if (i >= ct->slots)
		i = find_first_zero_bit(ct->ids, ct->slots);
	if (i >= ct->slots)
		return -ENOSPC;
	__set_bit(i, ct->ids);
	ct->id_next = i + 1 < ct->slots ? i + 1 : 0;
	return i;
}

/* No connection id is in use: under lmnic_dev.conn_lock. */
void lmnic_conn_ids_clear(struct lmnic_conn_table *ct)
{
	bitmap_zero(ct->ids, ct->slots);
	ct->count = 0;
	ct->id_next = 0;
}

/**
 * lmnic_conn_ids_rescan - the ids in use are those the region holds
 * @ct: the vport's table, under lmnic_dev.conn_lock, of a vport the
 *	adapter does not change meanwhile (quiesced, or loaded and stopped)
 */
void lmnic_conn_ids_rescan(struct lmnic_conn_table *ct)
{
	const struct lmnic_conn *e;
	u16 flags;
	u32 id;

	bitmap_zero(ct->ids, ct->slots);
	for (id = 0; id < ct->slots; id++) {
		e = lmnic_hr_entry(ct, id);
		flags = le16_to_cpu(READ_ONCE(e->flags));
		if ((flags & (LMNIC_CONNF_VALID | LMNIC_CONNF_TOMB)) ==
		    LMNIC_CONNF_VALID)
			__set_bit(id, ct->ids);
	}
	ct->count = bitmap_weight(ct->ids, ct->slots);
	ct->id_next = 0;
}

int lmnic_conns_init(struct lmnic_dev *ld)
{
	u32 slots = min(ld->max_conns, ld->conn_capacity);
	int err;
	u16 v;

	if (!(ld->caps & LMNIC_CAP_CONN) || !(ld->caps & LMNIC_CAP_HOST_REGION)) {
		dev_info(lmnic_to_dev(ld), "adapter without connection offload\n");
		return 0;
	}
	if (!slots) {
		dev_err(lmnic_to_dev(ld), "no room for connections: max_conns %u, adapter capacity %u\n",
			ld->max_conns, ld->conn_capacity);
		return -EINVAL;
	}
	mutex_init(&ld->conn_lock);
	for (v = 0; v < ld->num_vports; v++) {
		struct lmnic_conn_table *ct = &ld->conns[v];

		ct->slots = slots;
		ct->ids = bitmap_zalloc(slots, GFP_KERNEL);
		err = ct->ids ? lmnic_region_alloc(ld, ct) : -ENOMEM;
		if (!err)
			err = lmnic_region_register(ld, v);
		if (err) {
			dev_err(lmnic_to_dev(ld), "vport %u: cannot set up the offload region: %pe\n",
				v, ERR_PTR(err));
			ld->num_conn_tables = v + 1;
			lmnic_conns_fini(ld);
			return err;
		}
	}
	ld->num_conn_tables = ld->num_vports;
	return 0;
}

void lmnic_conns_fini(struct lmnic_dev *ld)
{
	u16 v;

	for (v = 0; v < ld->num_conn_tables; v++) {
		struct lmnic_conn_table *ct = &ld->conns[v];

		/* the adapter stops writing before the memory goes */
		if (ct->nchunks && !test_bit(LMNIC_F_DEAD, &ld->flags) &&
		    !test_bit(LMNIC_F_DMA_STOPPED, &ld->flags) &&
		    lmnic_aq_vport(ld, LMNIC_AQ_REGION_CLEAR, v, NULL, 0))
			lmnic_hw_stop_dma(ld);
		lmnic_region_free(ld, ct);
		bitmap_free(ct->ids);
		ct->ids = NULL;
		kvfree(ct->pending);
		ct->pending = NULL;
		ct->npending = 0;
	}
	if (ld->num_conn_tables)
		mutex_destroy(&ld->conn_lock);
	ld->num_conn_tables = 0;
}

static int lmnic_conn_add_locked(struct lmnic_dev *ld, u16 v,
				 const struct lmnic_conn *req, u32 id,
				 struct netlink_ext_ack *extack)
{
	struct lmnic_conn_table *ct = &ld->conns[v];
	struct lmnic_aq_desc cmd = {
		.opcode = cpu_to_le16(LMNIC_AQ_CONN_ADD),
		.vport = cpu_to_le16(v),
	};
	int err;

	cmd.p.conn.id = cpu_to_le32(id);
	err = lmnic_aq_cmd(ld, &cmd, req, sizeof(*req));
	switch (err) {
	case 0:
		ct->count++;
		return 0;
	case -ENOSPC:
		NL_SET_ERR_MSG_FMT_MOD(extack,
				       "connection table of vport %u is full (%u of %u entries)",
				       v, ct->count, ct->slots);
		return -ENOSPC;
	case -EEXIST:
		NL_SET_ERR_MSG_MOD(extack,
				   "the vport offloads this connection already");
		return -EEXIST;
	case -EINVAL:
		NL_SET_ERR_MSG_MOD(extack, "the adapter refused the connection");
		return -EINVAL;
	default:
		NL_SET_ERR_MSG_FMT_MOD(extack, "adapter error %d", err);
		return err;
	}
}

/**
 * lmnic_conn_add - offload one connection
 * @ld: adapter
 * @v: vport
 * @req: key, actions, queue, mark, source and owner; the rest is ignored
 * @id: connection id wanted, or LMNIC_CONN_ID_ANY
 * @out_id: the id given
 * @extack: why it failed
 *
 * Context: process context.
 * Return: 0 or a negative errno.
 */
int lmnic_conn_add(struct lmnic_dev *ld, u16 v, const struct lmnic_conn *req,
		   u32 id, u32 *out_id, struct netlink_ext_ack *extack)
{
	struct lmnic_conn_table *ct = &ld->conns[v];
	int err;

	mutex_lock(&ld->conn_lock);
	if (ct->count >= ct->slots) {
		NL_SET_ERR_MSG_FMT_MOD(extack,
				       "connection table of vport %u is full (%u of %u entries)",
				       v, ct->count, ct->slots);
		err = -ENOSPC;
		goto out;
	}
	err = lmnic_conn_id_alloc(ct, id);
	if (err < 0) {
		if (err == -ERANGE)
			NL_SET_ERR_MSG_FMT_MOD(extack,
					       "connection id %u out of range (0 to %u)",
					       id, ct->slots - 1);
		else if (err == -EEXIST)
			NL_SET_ERR_MSG_FMT_MOD(extack, "connection id %u in use", id);
		goto out;
	}
	id = err;
	err = lmnic_conn_add_locked(ld, v, req, id, extack);
	if (err)
		__clear_bit(id, ct->ids);
	else
		*out_id = id;
out:
	mutex_unlock(&ld->conn_lock);
	return err;
}

/* A deleted connection is not one a recovery still owes the vport. */
static void lmnic_conn_unpend(struct lmnic_conn_table *ct, u32 id)
{
	u32 i;

	for (i = 0; i < ct->npending; i++) {
		if (le32_to_cpu(ct->pending[i].id) == id) {
			ct->pending[i] = ct->pending[--ct->npending];
			return;
		}
	}
}

int lmnic_conn_del(struct lmnic_dev *ld, u16 v, u32 id,
		   struct netlink_ext_ack *extack)
{
	struct lmnic_conn_table *ct = &ld->conns[v];
	struct lmnic_aq_desc cmd = {
		.opcode = cpu_to_le16(LMNIC_AQ_CONN_DEL),
		.vport = cpu_to_le16(v),
	};
	int err;

	if (id >= ct->slots) {
		NL_SET_ERR_MSG_FMT_MOD(extack, "connection id %u out of range", id);
		return -ENOENT;
	}
	cmd.p.conn.id = cpu_to_le32(id);
	mutex_lock(&ld->conn_lock);
	err = lmnic_aq_cmd(ld, &cmd, NULL, 0);
	if (!err) {
		__clear_bit(id, ct->ids);
		ct->count--;
		lmnic_conn_unpend(ct, id);
	} else if (err == -ENOENT) {
		NL_SET_ERR_MSG_FMT_MOD(extack, "vport %u has no connection %u",
				       v, id);
	} else {
		NL_SET_ERR_MSG_FMT_MOD(extack, "adapter error %d", err);
	}
	mutex_unlock(&ld->conn_lock);
	return err;
}

/* Offload C again under its own id, after an adapter reset. */
int lmnic_conn_replay(struct lmnic_dev *ld, u16 v, const struct lmnic_conn *c)
{
	int err;

	lockdep_assert_held(&ld->conn_lock);
	err = lmnic_conn_add_locked(ld, v, c, le32_to_cpu(c->id), NULL);
	if (err)
		dev_warn_ratelimited(lmnic_to_dev(ld), "vport %u: connection %u not offloaded again: %pe\n",
				     v, le32_to_cpu(c->id), ERR_PTR(err));
	return err;
}

/* Fill an entry's owner from the calling task. */
void lmnic_conn_set_owner(struct lmnic_conn *c, u16 source)
{
	c->source = cpu_to_le16(source);
	c->owner_pid = cpu_to_le32(task_tgid_nr(current));
	get_task_comm(c->owner_comm, current);
}
