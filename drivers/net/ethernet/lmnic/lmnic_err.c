// SPDX-License-Identifier: GPL-2.0
/*
 * lmnic: adapter error detection, error dumps and recovery
 *
 * Errors are found by the error interrupt (cause registers), by any MMIO
 * read returning all ones, by the service task (adapter status, transmit
 * progress), by the stack's TX watchdog and by the PCI core. Each takes one
 * dump: the adapter's error registers when they still read, the driver's
 * state and every vport's host-resident offload region, which the adapter
 * does not need to answer for. Dumps are kept module-wide, so they outlive
 * the adapter; the devlink health reporter "adapter" reports each error and
 * recovers by resetting the adapter and offloading every connection again
 * from the regions.
 */

#include <linux/pci.h>
#include <linux/rtnetlink.h>
#include <linux/vmalloc.h>
#include <net/devlink.h>

#include <uapi/linux/lmnic.h>
#include <uapi/linux/lmnic_dump.h>

#include "lmnic.h"

#define LMNIC_MAX_DUMPS		4	/* kept per adapter; the oldest goes */
#define LMNIC_SERVICE_MS	1000
#define LMNIC_TX_STALL_TICKS	3	/* service ticks without TX progress */
#define LMNIC_RECOVER_GRACE_MS	2000

struct lmnic_dump {
	struct list_head list;
	char dev_name[32];
	u32 id;
	u32 reason;
	u64 time;
	u32 size;
	void *data;
};

static LIST_HEAD(lmnic_dumps);
static DEFINE_MUTEX(lmnic_dumps_lock);	/* protects lmnic_dumps */

static const char * const lmnic_reason_names[] = {
	[LMNIC_ERR_REASON_PARITY] = "parity",
	[LMNIC_ERR_REASON_DMA_FAULT] = "dma-fault",
	[LMNIC_ERR_REASON_FATAL] = "fatal",
	[LMNIC_ERR_REASON_TX_TIMEOUT] = "tx-timeout",
	[LMNIC_ERR_REASON_DEAD] = "dead",
	[LMNIC_ERR_REASON_PCI_ERROR] = "pci-error",
	[LMNIC_ERR_REASON_REMOVED] = "removed",
	[LMNIC_ERR_REASON_AQ_TIMEOUT] = "aq-timeout",
};

const char *lmnic_reason_name(u32 reason)
{
	if (reason < ARRAY_SIZE(lmnic_reason_names) && lmnic_reason_names[reason])
		return lmnic_reason_names[reason];
	return "unknown";
}

/* ---- dumps ------------------------------------------------------------- */

/* CRC-32C of the dump's parts, without the crypto API's module. */
static u32 lmnic_crc_table[256];

static void lmnic_crc_init(void)
{
	unsigned int i, j;

	for (i = 0; i < 256; i++) {
		u32 c = i;

		for (j = 0; j < 8; j++)
			c = c & 1 ? (c >> 1) ^ 0x82f63b78 : c >> 1;
		lmnic_crc_table[i] = c;
	}
}

static u32 lmnic_crc(const void *buf, size_t len)
{
	const u8 *p = buf;
	u32 crc = ~0U;

	while (len--)
		crc = lmnic_crc_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

struct lmnic_dump_writer {
	u8 *buf;
	u32 len;
	u32 cap;
	u32 sections;
};

static void *lmnic_dump_sec(struct lmnic_dump_writer *w, u32 type, u32 vport,
			    u32 len)
{
	struct lmnic_dump_sec *s;
	u32 need = sizeof(*s) + ALIGN(len, 8);

	if (w->len + need > w->cap)
		return NULL;
	s = (struct lmnic_dump_sec *)(w->buf + w->len);
	s->type = cpu_to_le32(type);
	s->len = cpu_to_le32(len);
	s->vport = cpu_to_le32(vport);
	w->len += need;
	w->sections++;
	return s + 1;
}

static void lmnic_dump_sec_seal(void *payload)
{
	struct lmnic_dump_sec *s = (struct lmnic_dump_sec *)payload - 1;

	s->check = cpu_to_le32(lmnic_crc(payload, le32_to_cpu(s->len)));
}

/* Bytes of a region worth keeping: up to the last entry in use. */
static u64 lmnic_region_used(struct lmnic_conn_table *ct)
{
	u64 entries = lmnic_hr_entries_off(LMNIC_HR_EVENTS);
	struct lmnic_conn c;
	u32 id = ct->slots;

	while (id--) {
		int err = lmnic_conn_read(ct, id, &c);

		if (err != -ENOENT || c.id || c.seq)
			return entries + ((u64)id + 1) * sizeof(struct lmnic_conn);
	}
	return entries;
}

static void lmnic_region_copy(struct lmnic_conn_table *ct, u8 *dst, u64 len)
{
	u64 chunk = BIT_ULL(ct->chunk_shift), off;

	for (off = 0; off < len; off += chunk)
		memcpy(dst + off, ct->chunk[off >> ct->chunk_shift],
		       min(chunk, len - off));
}

static void lmnic_dump_regs(struct lmnic_dev *ld, struct lmnic_dump_regs *r)
{
	memset(r, 0, sizeof(*r));
	if (test_bit(LMNIC_F_DEAD, &ld->flags))
		return;
	r->status = cpu_to_le32(lmnic_rd32(ld, LMNIC_REG_STATUS));
	r->err_cause = cpu_to_le32(ld->err_cause);
	r->err_vport = cpu_to_le32(ld->err_vport);
	r->err_qp = cpu_to_le32(ld->err_qp);
	r->err_entry = cpu_to_le32(ld->err_entry);
	r->err_count = cpu_to_le32(lmnic_rd32(ld, LMNIC_REG_ERR_COUNT));
	r->err_addr = cpu_to_le64(ld->err_addr);
	r->err_time_ns = cpu_to_le64(ld->err_time);
	r->now_ns = cpu_to_le64(lmnic_rd32(ld, LMNIC_REG_TIME_LO) |
				(u64)lmnic_rd32(ld, LMNIC_REG_TIME_HI) << 32);
	r->readable = cpu_to_le32(!test_bit(LMNIC_F_DEAD, &ld->flags));
}

static void lmnic_dump_vport(struct lmnic_dev *ld, u16 v,
			     struct lmnic_dump_vport *d)
{
	struct net_device *netdev = ld->netdevs[v];
	unsigned long now = jiffies;
	struct lmnic_net *net;
	unsigned int q;

	memset(d, 0, sizeof(*d));
	d->vport = cpu_to_le32(v);
	if (v < ld->num_conn_tables) {
		d->conn_count = cpu_to_le32(ld->conns[v].count);
		d->conn_slots = cpu_to_le32(ld->conns[v].slots);
	}
	if (!netdev)
		return;
	net = netdev_priv(netdev);
	d->ifindex = cpu_to_le32(netdev->ifindex);
	strscpy(d->ifname, netdev->name, sizeof(d->ifname));
	d->up = cpu_to_le32(netif_running(netdev));
	d->num_qp = cpu_to_le32(net->num_qp);
	d->tx_timeouts = cpu_to_le64(atomic64_read(&net->tx_timeouts));
	for (q = 0; q < LMNIC_MAX_QP && q < LMNIC_DUMP_MAX_QP; q++) {
		struct lmnic_qp *qp = net->qps[q];

		d->q[q].tx_last_progress_ms = cpu_to_le64(U64_MAX);
		if (!qp)
			continue;
		d->q[q].tx_next_to_use = cpu_to_le16(qp->tx.next_to_use);
		d->q[q].tx_next_to_clean = cpu_to_le16(qp->tx.next_to_clean);
		d->q[q].rx_next_to_use = cpu_to_le16(qp->rx.next_to_use);
		d->q[q].rx_next_to_clean = cpu_to_le16(qp->rx.next_to_clean);
		d->q[q].tx_packets = cpu_to_le64(qp->tx.stats.packets);
		d->q[q].rx_packets = cpu_to_le64(qp->rx.stats.packets);
		if (qp->tx.next_to_use != qp->tx.next_to_clean)
			d->q[q].tx_last_progress_ms =
				cpu_to_le64(jiffies_to_msecs(now - qp->tx_progress));
	}
}

/* Build a dump of LD's present state. Called under RTNL. */
static struct lmnic_dump *lmnic_dump_take(struct lmnic_dev *ld, u32 reason)
{
	struct lmnic_dump_writer w = {};
	struct lmnic_dump_driver *drv;
	struct lmnic_dump_hdr *h;
	struct lmnic_dump *dump;
	u64 used[LMNIC_MAX_VPORTS] = {};
	u64 size;
	void *p;
	u16 v;

	size = sizeof(*h) + 2 * sizeof(struct lmnic_dump_sec) +
	       sizeof(struct lmnic_dump_regs) + sizeof(*drv);
	for (v = 0; v < ld->num_vports; v++) {
		size += sizeof(struct lmnic_dump_sec) +
			sizeof(struct lmnic_dump_vport);
		if (v < ld->num_conn_tables) {
			used[v] = lmnic_region_used(&ld->conns[v]);
			size += sizeof(struct lmnic_dump_sec) + ALIGN(used[v], 8);
		}
	}
	if (size > U32_MAX)
		return NULL;

	dump = kzalloc(sizeof(*dump), GFP_KERNEL);
	if (!dump)
		return NULL;
	w.cap = size;
	w.buf = kvzalloc(size, GFP_KERNEL);
	if (!w.buf) {
		kfree(dump);
		return NULL;
	}
	w.len = sizeof(*h);

	p = lmnic_dump_sec(&w, LMNIC_DUMP_SEC_REGS, 0,
			   sizeof(struct lmnic_dump_regs));
	lmnic_dump_regs(ld, p);
	lmnic_dump_sec_seal(p);

	drv = lmnic_dump_sec(&w, LMNIC_DUMP_SEC_DRIVER, 0, sizeof(*drv));
	drv->vports = cpu_to_le32(ld->num_vports);
	drv->flags = cpu_to_le32(test_bit(LMNIC_F_DEAD, &ld->flags) ?
				 LMNIC_DUMP_DRV_DEAD : 0);
	drv->hw_version = cpu_to_le32(ld->hw_version);
	drv->layout_version = cpu_to_le32(ld->layout_version);
	drv->detail_vport = cpu_to_le32(ld->err_detail_vport);
	drv->detail_qp = cpu_to_le32(ld->err_detail_qp);
	drv->uptime_ns = cpu_to_le64(ktime_get_ns() - ld->probe_ns);
	lmnic_dump_sec_seal(drv);

	for (v = 0; v < ld->num_vports; v++) {
		p = lmnic_dump_sec(&w, LMNIC_DUMP_SEC_VPORT, v,
				   sizeof(struct lmnic_dump_vport));
		lmnic_dump_vport(ld, v, p);
		lmnic_dump_sec_seal(p);
	}
	for (v = 0; v < ld->num_conn_tables; v++) {
		p = lmnic_dump_sec(&w, LMNIC_DUMP_SEC_REGION, v, used[v]);
		lmnic_region_copy(&ld->conns[v], p, used[v]);
		lmnic_dump_sec_seal(p);
	}

	dump->time = ktime_get_real_ns();
	dump->reason = reason;
	dump->size = w.len;
	dump->data = w.buf;
	strscpy(dump->dev_name, pci_name(ld->pdev), sizeof(dump->dev_name));

	h = (struct lmnic_dump_hdr *)w.buf;
	h->magic = cpu_to_le32(LMNIC_DUMP_MAGIC);
	h->version = cpu_to_le16(LMNIC_DUMP_VERSION);
	h->hdr_size = cpu_to_le16(sizeof(*h));
	h->total_size = cpu_to_le32(w.len);
	h->num_sections = cpu_to_le32(w.sections);
	h->reason = cpu_to_le32(reason);
	h->time_ns = cpu_to_le64(dump->time);
	h->serial = cpu_to_le64(ld->serial);
	strscpy(h->dev_name, dump->dev_name, sizeof(h->dev_name));
	return dump;
}

static void lmnic_dump_free(struct lmnic_dump *dump)
{
	kvfree(dump->data);
	kfree(dump);
}

/* Keep DUMP: give it the adapter's next id; drop the adapter's oldest. */
static void lmnic_dump_store(struct lmnic_dump *dump)
{
	struct lmnic_dump *d, *oldest = NULL;
	struct lmnic_dump_hdr *h = dump->data;
	unsigned int n = 0;
	u32 id = 0;

	mutex_lock(&lmnic_dumps_lock);
	list_for_each_entry(d, &lmnic_dumps, list) {
		if (strcmp(d->dev_name, dump->dev_name))
			continue;
		id = max(id, d->id);
		if (!oldest)
			oldest = d;
		n++;
	}
	if (n >= LMNIC_MAX_DUMPS) {
		list_del(&oldest->list);
		lmnic_dump_free(oldest);
	}
	dump->id = id + 1;
	h->id = cpu_to_le32(dump->id);
	h->check = cpu_to_le32(lmnic_crc(h, sizeof(*h)));
	list_add_tail(&dump->list, &lmnic_dumps);
	mutex_unlock(&lmnic_dumps_lock);
}

/**
 * lmnic_dump_read - part of a kept dump, without copying the rest
 * @dev_name: the adapter's PCI address
 * @id: the dump (not 0)
 * @off: first byte
 * @dst: where to copy
 * @len: bytes; the range must lie inside the dump
 *
 * Return: 0, or -ENOENT if the dump is gone, -EINVAL for a bad range.
 */
int lmnic_dump_read(const char *dev_name, u32 id, u32 off, void *dst, u32 len)
{
	struct lmnic_dump *d;
	int err = -ENOENT;

	mutex_lock(&lmnic_dumps_lock);
	list_for_each_entry(d, &lmnic_dumps, list) {
		if (strcmp(d->dev_name, dev_name) || d->id != id)
			continue;
		err = off > d->size || len > d->size - off ? -EINVAL : 0;
		if (!err)
			memcpy(dst, (u8 *)d->data + off, len);
		break;
	}
	mutex_unlock(&lmnic_dumps_lock);
	return err;
}

/* A kept dump's id, reason, time and size; no data. */
int lmnic_dump_info(const char *dev_name, u32 id, struct lmnic_dump_ref *out)
{
	struct lmnic_dump *d, *found = NULL;

	mutex_lock(&lmnic_dumps_lock);
	list_for_each_entry(d, &lmnic_dumps, list)
		if (!strcmp(d->dev_name, dev_name) && (!id || d->id == id))
			found = d;
	if (found) {
		out->size = found->size;
		out->id = found->id;
		out->reason = found->reason;
		out->time = found->time;
	}
	mutex_unlock(&lmnic_dumps_lock);
	return found ? 0 : -ENOENT;
}

/* Drop dump ID of an adapter, or all of them (ID 0). Return how many. */
int lmnic_dump_clear(const char *dev_name, u32 id)
{
	struct lmnic_dump *d, *tmp;
	int n = 0;

	mutex_lock(&lmnic_dumps_lock);
	list_for_each_entry_safe(d, tmp, &lmnic_dumps, list) {
		if (strcmp(d->dev_name, dev_name) || (id && d->id != id))
			continue;
		list_del(&d->list);
		lmnic_dump_free(d);
		n++;
	}
	mutex_unlock(&lmnic_dumps_lock);
	return n;
}

u32 lmnic_dump_count(const char *dev_name)
{
	struct lmnic_dump *d;
	u32 n = 0;

	mutex_lock(&lmnic_dumps_lock);
	list_for_each_entry(d, &lmnic_dumps, list)
		n += !strcmp(d->dev_name, dev_name);
	mutex_unlock(&lmnic_dumps_lock);
	return n;
}

void lmnic_dumps_free_all(void)
{
	struct lmnic_dump *d, *tmp;

	mutex_lock(&lmnic_dumps_lock);
	list_for_each_entry_safe(d, tmp, &lmnic_dumps, list) {
		list_del(&d->list);
		lmnic_dump_free(d);
	}
	mutex_unlock(&lmnic_dumps_lock);
}

/* ---- detection --------------------------------------------------------- */

/**
 * lmnic_err_report - an error was detected; take a dump and recover
 * @ld: adapter
 * @reason: enum lmnic_err_reason
 * @vport: vport the detector points at, or U32_MAX
 * @qp: queue pair the detector points at, or U32_MAX
 *
 * Context: any; the work runs in process context. While one error is being
 * handled, later reports are dropped: the dump and recovery cover them.
 */
void lmnic_err_report(struct lmnic_dev *ld, u32 reason, u32 vport, u32 qp)
{
	unsigned long flags;

	spin_lock_irqsave(&ld->err_lock, flags);
	if (!test_and_set_bit(LMNIC_F_ERR_PENDING, &ld->flags)) {
		ld->err_reason = reason;
		ld->err_detail_vport = vport;
		ld->err_detail_qp = qp;
		/* during probe it waits for lmnic_err_start() */
		if (!ld->err_held)
			queue_work(system_long_wq, &ld->err_work);
	}
	spin_unlock_irqrestore(&ld->err_lock, flags);
}

/* From the admin/error vector: latch the cause registers. */
void lmnic_err_irq(struct lmnic_dev *ld)
{
	u32 cause = lmnic_rd32(ld, LMNIC_REG_ERR_CAUSE);
	u32 reason;

	if (cause == LMNIC_DEAD_READ) {
		lmnic_err_report(ld, LMNIC_ERR_REASON_DEAD, U32_MAX, U32_MAX);
		return;
	}
	if (!cause || test_bit(LMNIC_F_ERR_PENDING, &ld->flags))
		return;
	ld->err_cause = cause;
	ld->err_vport = lmnic_rd32(ld, LMNIC_REG_ERR_VPORT);
	ld->err_qp = lmnic_rd32(ld, LMNIC_REG_ERR_QP);
	ld->err_entry = lmnic_rd32(ld, LMNIC_REG_ERR_ENTRY);
	ld->err_addr = lmnic_rd32(ld, LMNIC_REG_ERR_ADDR_LO) |
		       (u64)lmnic_rd32(ld, LMNIC_REG_ERR_ADDR_HI) << 32;
	ld->err_time = lmnic_rd32(ld, LMNIC_REG_ERR_TIME_LO) |
		       (u64)lmnic_rd32(ld, LMNIC_REG_ERR_TIME_HI) << 32;
	if (cause & LMNIC_ERR_FATAL)
		reason = LMNIC_ERR_REASON_FATAL;
	else if (cause & LMNIC_ERR_DMA)
		reason = LMNIC_ERR_REASON_DMA_FAULT;
	else
		reason = LMNIC_ERR_REASON_PARITY;
	lmnic_err_report(ld, reason, ld->err_vport, ld->err_qp);
}

/* Does any running transmit queue hold frames it stopped sending? */
static void lmnic_check_tx(struct lmnic_dev *ld)
{
	u16 v, q;

	for (v = 0; v < ld->num_vports; v++) {
		struct net_device *netdev = ld->netdevs[v];
		struct lmnic_net *net;

		if (!netdev || !netif_running(netdev))
			continue;
		net = netdev_priv(netdev);
		if (READ_ONCE(net->mig_stopped))
			continue;
		for (q = 0; q < net->num_qp; q++) {
			struct lmnic_qp *qp = net->qps[q];
			u16 ntc;

			if (!qp)
				continue;
			ntc = READ_ONCE(qp->tx.next_to_clean);
			if (ntc != qp->tx_seen_ntc ||
			    ntc == READ_ONCE(qp->tx.next_to_use)) {
				qp->tx_seen_ntc = ntc;
				qp->tx_stall = 0;
				qp->tx_progress = jiffies;
				continue;
			}
			if (++qp->tx_stall == LMNIC_TX_STALL_TICKS) {
				atomic64_inc(&net->tx_timeouts);
				netdev_err(netdev, "TX queue %u hung: next_to_use %u next_to_clean %u\n",
					   q, qp->tx.next_to_use, ntc);
				lmnic_err_report(ld, LMNIC_ERR_REASON_TX_TIMEOUT,
						 v, q);
			}
		}
	}
}

/* RX rings every allocation failed to refill. RTNL. */
static void lmnic_check_rx(struct lmnic_dev *ld)
{
	u16 v;

	for (v = 0; v < ld->num_vports; v++) {
		struct net_device *netdev = ld->netdevs[v];

		if (netdev && netif_running(netdev))
			lmnic_rx_check_depleted(netdev_priv(netdev));
	}
}

static void lmnic_service(struct work_struct *work)
{
	struct lmnic_dev *ld = container_of(to_delayed_work(work),
					    struct lmnic_dev, service);

	if (!test_bit(LMNIC_F_ERR_PENDING, &ld->flags) &&
	    !test_bit(LMNIC_F_PCI_ERR, &ld->flags)) {
		if (lmnic_rd32(ld, LMNIC_REG_STATUS) == LMNIC_DEAD_READ)
			lmnic_err_report(ld, LMNIC_ERR_REASON_DEAD, U32_MAX,
					 U32_MAX);
		else if (rtnl_trylock()) {
			lmnic_check_tx(ld);
			lmnic_check_rx(ld);
			rtnl_unlock();
		}
	}
	queue_delayed_work(system_long_wq, &ld->service,
			   msecs_to_jiffies(LMNIC_SERVICE_MS));
}

static void lmnic_notify(struct lmnic_dev *ld, struct lmnic_dump *dump)
{
	struct lmnic_dump_ref ref = {
		.id = dump->id, .reason = dump->reason, .time = dump->time,
		.size = dump->size,
	};

	lmnic_nl_notify_err(ld, &ref);
}

/*
 * What the health reporter's dump holds: the error it was given, as the
 * error work saw it, not whatever the adapter or the dump list hold when
 * the dump is read.
 */
struct lmnic_health_ctx {
	struct lmnic_dump_ref dump;	/* id 0: no memory for a dump */
	u32 reason;
	u32 sections;
	u32 cause;
	u32 vport;
	u32 qp;
	u32 entry;
	u32 detail_vport;	/* where the detector pointed, or U32_MAX */
	u32 detail_qp;
	u16 num_conn_tables;
	u32 conns[LMNIC_MAX_VPORTS];
};

static void lmnic_health_ctx_fill(struct lmnic_dev *ld,
				  struct lmnic_health_ctx *ctx, u32 reason)
{
	u16 v;

	ctx->reason = reason;
	ctx->cause = ld->err_cause;
	ctx->vport = ld->err_vport;
	ctx->qp = ld->err_qp;
	ctx->entry = ld->err_entry;
	ctx->detail_vport = ld->err_detail_vport;
	ctx->detail_qp = ld->err_detail_qp;
	ctx->num_conn_tables = ld->num_conn_tables;
	for (v = 0; v < ld->num_conn_tables; v++)
		ctx->conns[v] = ld->conns[v].count;
}

static void lmnic_err_work(struct work_struct *work)
{
	struct lmnic_dev *ld = container_of(work, struct lmnic_dev, err_work);
	u32 reason = ld->err_reason;
	struct lmnic_health_ctx *ctx;
	struct lmnic_dump *dump;
	char msg[64];

	ctx = kzalloc(sizeof(*ctx), GFP_KERNEL);
	rtnl_lock();
	dump = lmnic_dump_take(ld, reason);
	if (ctx)
		lmnic_health_ctx_fill(ld, ctx, reason);
	rtnl_unlock();
	lmnic_devlink_regions_snapshot(ld);
	if (dump) {
		const struct lmnic_dump_hdr *h = dump->data;

		if (ctx)
			ctx->sections = le32_to_cpu(h->num_sections);
		lmnic_dump_store(dump);		/* gives it its id */
		if (ctx)
			ctx->dump = (struct lmnic_dump_ref){
				.id = dump->id, .reason = dump->reason,
				.time = dump->time, .size = dump->size,
			};
		dev_err(lmnic_to_dev(ld), "adapter error (%s): dump %u taken, %u bytes\n",
			lmnic_reason_name(reason), dump->id, dump->size);
		lmnic_notify(ld, dump);
	} else {
		dev_err(lmnic_to_dev(ld), "adapter error (%s): no memory for a dump\n",
			lmnic_reason_name(reason));
	}
	snprintf(msg, sizeof(msg), "adapter error: %s", lmnic_reason_name(reason));
	/* without the context, a dump asked for later reads the latest one */
	devlink_health_report(ld->health, msg, ctx);
	kfree(ctx);
	clear_bit(LMNIC_F_ERR_PENDING, &ld->flags);
}

/* ---- recovery ---------------------------------------------------------- */

/*
 * The connections the regions hold, read before a reset, and those a failed
 * recovery still owes the vport (its region no longer holds them); under
 * conn_lock.
 */
static struct lmnic_conn *lmnic_conns_save(struct lmnic_conn_table *ct, u32 *n,
					   u32 *lost)
{
	u32 cap = max(ct->count + ct->npending, 1U), id, i;
	struct lmnic_conn *saved = kvcalloc(cap, sizeof(*saved), GFP_KERNEL);

	*n = 0;
	for (id = 0; saved && id < ct->slots; id++) {
		struct lmnic_conn c;
		int rc = lmnic_conn_read(ct, id, &c);

		if (rc == -ENOENT)
			continue;
		if (rc || *n == cap) {
			(*lost)++;
			continue;
		}
		saved[(*n)++] = c;
	}
	for (i = 0; saved && i < ct->npending; i++) {
		struct lmnic_conn c;

		id = le32_to_cpu(ct->pending[i].id);
		if (id < ct->slots && lmnic_conn_read(ct, id, &c) == -ENOENT &&
		    *n < cap)
			saved[(*n)++] = ct->pending[i];
	}
	if (!saved)
		*lost += ct->count + ct->npending;
	return saved;
}

/* Offload the saved connections again, each under its own id. */
static int lmnic_conns_replay(struct lmnic_dev *ld, u16 v,
			      const struct lmnic_conn *saved, u32 n,
			      u32 *restored, u32 *lost)
{
	struct lmnic_conn_table *ct = &ld->conns[v];
	u32 i, failed = 0;
	int err;

	lmnic_conn_ids_clear(ct);
	for (i = 0; i < ct->nchunks; i++)
		memset(ct->chunk[i], 0, BIT(ct->chunk_shift));
	err = lmnic_region_register(ld, v);
	if (err)
		return err;
	for (i = 0; i < n; i++) {
		u32 id = le32_to_cpu(saved[i].id);

		if (id >= ct->slots || __test_and_set_bit(id, ct->ids)) {
			failed++;
			continue;
		}
		if (lmnic_conn_replay(ld, v, &saved[i])) {
			__clear_bit(id, ct->ids);
			/* a dead admin queue fails the recovery, not the rest */
			if (test_bit(LMNIC_F_AQ_DEAD, &ld->flags))
				return -EIO;
			failed++;
			continue;
		}
		(*restored)++;
	}
	if (failed)
		dev_warn(lmnic_to_dev(ld), "vport %u: %u connections not offloaded again\n",
			 v, failed);
	*lost += failed;
	return 0;
}

/*
 * Reset the adapter and bring it back as it was: admin queue, regions, every
 * connection the regions hold (same ids), and the vports that were up. A
 * vport a migration stopped comes back as the migration left it (see
 * lmnic_mig_recover()); one in a pre-copy runs on. Called under RTNL.
 */
int lmnic_recover_locked(struct lmnic_dev *ld)
{
	struct lmnic_conn *saved[LMNIC_MAX_VPORTS] = {};
	u32 nsaved[LMNIC_MAX_VPORTS] = {};
	bool up[LMNIC_MAX_VPORTS] = {};
	u32 restored = 0, lost = 0;
	int err = 0;
	u16 v;

	ASSERT_RTNL();
	if (test_bit(LMNIC_F_PCI_ERR, &ld->flags))
		return -EBUSY;	/* the PCI core resets and resumes it */

	/* what stopped vports hold, while the adapter still answers */
	for (v = 0; v < ld->num_vports; v++)
		lmnic_mig_recover_prepare(ld, v);
	/* the reset clears the counters of a block nothing keeps */
	lmnic_fold_adapter_counters(ld);
	/* a queue that died may still have DMA in flight: stop it first */
	if (test_bit(LMNIC_F_AQ_DEAD, &ld->flags))
		lmnic_hw_stop_dma(ld);

	for (v = 0; v < ld->num_vports; v++) {
		struct net_device *netdev = ld->netdevs[v];

		if (!netdev)
			continue;
		if (netif_running(netdev)) {
			up[v] = !lmnic_mig_keeps_block(ld, v);
			lmnic_down(netdev_priv(netdev));
		}
	}

	/* the regions are the record of what was offloaded */
	if (ld->num_conn_tables)
		mutex_lock(&ld->conn_lock);
	for (v = 0; v < ld->num_conn_tables; v++)
		if (!lmnic_mig_keeps_block(ld, v))
			saved[v] = lmnic_conns_save(&ld->conns[v], &nsaved[v],
						    &lost);

	if (test_bit(LMNIC_F_DEAD, &ld->flags)) {
		/* a dead adapter answers only a function-level reset */
		err = pci_try_reset_function(ld->pdev);
		if (err)
			goto out_unlock;
		clear_bit(LMNIC_F_DEAD, &ld->flags);
	}
	err = lmnic_hw_init(ld);
	if (!err)
		err = lmnic_sm_check(ld);
	if (err)
		goto out_unlock;
	ld->err_cause = 0;
	lmnic_wr32(ld, LMNIC_REG_VEC_ENABLE(LMNIC_VEC_ADMIN), 1);
	lmnic_aq_start(ld);

	for (v = 0; v < ld->num_conn_tables && !err; v++) {
		if (lmnic_mig_keeps_block(ld, v))
			err = lmnic_region_register(ld, v);
		else
			err = lmnic_conns_replay(ld, v, saved[v], nsaved[v],
						 &restored, &lost);
	}

out_unlock:
	for (v = 0; v < ld->num_conn_tables; v++) {
		struct lmnic_conn_table *ct = &ld->conns[v];

		if (!saved[v] && err)
			continue;
		/* what is saved holds what was pending; kept if this failed */
		kvfree(ct->pending);
		ct->pending = NULL;
		ct->npending = 0;
		if (err) {
			ct->pending = saved[v];
			ct->npending = nsaved[v];
		} else {
			kvfree(saved[v]);
		}
		saved[v] = NULL;
	}
	if (ld->num_conn_tables)
		mutex_unlock(&ld->conn_lock);
	if (err) {
		dev_err(lmnic_to_dev(ld), "recovery failed: %pe\n", ERR_PTR(err));
		return err;
	}
	for (v = 0; v < ld->num_vports; v++) {
		if (lmnic_mig_recover(ld, v))
			dev_err(lmnic_to_dev(ld), "vport %u: cannot stop it for its migration again\n",
				v);
		if (!up[v])
			continue;
		/* no migration holds it stopped (one that failed may have) */
		WRITE_ONCE(((struct lmnic_net *)netdev_priv(ld->netdevs[v]))->mig_stopped,
			   false);
		if (lmnic_up(netdev_priv(ld->netdevs[v])))
			netdev_err(ld->netdevs[v], "cannot bring the vport up again\n");
	}
	dev_info(lmnic_to_dev(ld), "recovered: %u connections offloaded again, %u lost\n",
		 restored, lost);
	return 0;
}

/* Recovered outside the reporter (the PCI core's recovery). */
void lmnic_health_healthy(struct lmnic_dev *ld)
{
	devlink_health_reporter_state_update(ld->health,
					     DEVLINK_HEALTH_REPORTER_STATE_HEALTHY);
}

int lmnic_recover(struct lmnic_dev *ld)
{
	int err;

	rtnl_lock();
	err = lmnic_recover_locked(ld);
	rtnl_unlock();
	return err;
}

/* ---- devlink health ---------------------------------------------------- */

static int lmnic_health_recover(struct devlink_health_reporter *reporter,
				void *priv_ctx, struct netlink_ext_ack *extack)
{
	struct lmnic_dev *ld = devlink_health_reporter_priv(reporter);
	int err = lmnic_recover(ld);

	if (err)
		NL_SET_ERR_MSG_MOD(extack, "adapter reset failed");
	return err;
}

/* devlink health dump show with no dump kept: the latest error dump's */
static int lmnic_health_ctx_latest(struct lmnic_dev *ld,
				   struct lmnic_health_ctx *ctx)
{
	struct lmnic_dump_hdr h;

	if (lmnic_dump_info(pci_name(ld->pdev), 0, &ctx->dump) ||
	    lmnic_dump_read(pci_name(ld->pdev), ctx->dump.id, 0, &h, sizeof(h)))
		return -ENOENT;
	lmnic_health_ctx_fill(ld, ctx, ctx->dump.reason);
	ctx->detail_vport = U32_MAX;	/* not known past the error's work */
	ctx->detail_qp = U32_MAX;
	ctx->sections = le32_to_cpu(h.num_sections);
	return 0;
}

static int lmnic_health_dump(struct devlink_health_reporter *reporter,
			     struct devlink_fmsg *fmsg, void *priv_ctx,
			     struct netlink_ext_ack *extack)
{
	struct lmnic_dev *ld = devlink_health_reporter_priv(reporter);
	const struct lmnic_health_ctx *ctx = priv_ctx;
	struct lmnic_health_ctx *latest = NULL;
	u16 v;

	if (!ctx) {
		latest = kzalloc(sizeof(*latest), GFP_KERNEL);
		if (!latest)
			return -ENOMEM;
		if (lmnic_health_ctx_latest(ld, latest)) {
			kfree(latest);
			NL_SET_ERR_MSG_MOD(extack, "no error dump");
			return -ENOENT;
		}
		ctx = latest;
	}
	devlink_fmsg_string_pair_put(fmsg, "reason", lmnic_reason_name(ctx->reason));
	if (ctx->dump.id) {
		devlink_fmsg_u32_pair_put(fmsg, "dump_id", ctx->dump.id);
		devlink_fmsg_u64_pair_put(fmsg, "time_ns", ctx->dump.time);
		devlink_fmsg_u32_pair_put(fmsg, "size", ctx->dump.size);
		devlink_fmsg_u32_pair_put(fmsg, "sections", ctx->sections);
	}
	devlink_fmsg_u32_pair_put(fmsg, "err_cause", ctx->cause);
	devlink_fmsg_u32_pair_put(fmsg, "err_vport", ctx->vport);
	devlink_fmsg_u32_pair_put(fmsg, "err_qp", ctx->qp);
	devlink_fmsg_u32_pair_put(fmsg, "err_entry", ctx->entry);
	if (ctx->detail_vport != U32_MAX)
		devlink_fmsg_u32_pair_put(fmsg, "detected_vport", ctx->detail_vport);
	if (ctx->detail_qp != U32_MAX)
		devlink_fmsg_u32_pair_put(fmsg, "detected_queue", ctx->detail_qp);
	for (v = 0; v < ctx->num_conn_tables; v++) {
		char name[32];

		snprintf(name, sizeof(name), "vport%u_connections", v);
		devlink_fmsg_u32_pair_put(fmsg, name, ctx->conns[v]);
	}
	devlink_fmsg_string_pair_put(fmsg, "analyze",
				     ctx->dump.id ? "lmnic-analyze reads the whole dump" :
				     "no memory for a dump at this error");
	kfree(latest);
	return 0;
}

static int lmnic_health_diagnose(struct devlink_health_reporter *reporter,
				 struct devlink_fmsg *fmsg,
				 struct netlink_ext_ack *extack)
{
	struct lmnic_dev *ld = devlink_health_reporter_priv(reporter);
	bool dead = test_bit(LMNIC_F_DEAD, &ld->flags);
	struct lmnic_dump_ref d = {};
	u32 status = dead ? LMNIC_DEAD_READ : lmnic_rd32(ld, LMNIC_REG_STATUS);

	devlink_fmsg_string_pair_put(fmsg, "state",
				     status == LMNIC_DEAD_READ ? "dead" :
				     (status & LMNIC_STATUS_FATAL) ? "fatal" : "running");
	devlink_fmsg_u32_pair_put(fmsg, "err_cause",
				  status == LMNIC_DEAD_READ ? 0 :
				  lmnic_rd32(ld, LMNIC_REG_ERR_CAUSE));
	devlink_fmsg_u32_pair_put(fmsg, "dumps",
				  lmnic_dump_count(pci_name(ld->pdev)));
	if (!lmnic_dump_info(pci_name(ld->pdev), 0, &d)) {
		devlink_fmsg_string_pair_put(fmsg, "last_reason",
					     lmnic_reason_name(d.reason));
		devlink_fmsg_u32_pair_put(fmsg, "last_dump_id", d.id);
	}
	return 0;
}

static const struct devlink_health_reporter_ops lmnic_health_ops = {
	.name = "adapter",
	.recover = lmnic_health_recover,
	.dump = lmnic_health_dump,
	.diagnose = lmnic_health_diagnose,
};

/*
 * Error handling is ready before anything can report an error: the error
 * interrupt, a netdev's TX watchdog, an admin command that times out.
 */
int lmnic_err_init(struct lmnic_dev *ld)
{
	lmnic_crc_init();
	spin_lock_init(&ld->err_lock);
	ld->err_held = true;
	INIT_WORK(&ld->err_work, lmnic_err_work);
	INIT_DELAYED_WORK(&ld->service, lmnic_service);
	ld->probe_ns = ktime_get_ns();
	ld->health = devlink_health_reporter_create(priv_to_devlink(ld),
						    &lmnic_health_ops,
						    LMNIC_RECOVER_GRACE_MS, ld);
	return PTR_ERR_OR_ZERO(ld->health);
}

/*
 * The adapter is all set up (its netdevs and devlink registered): handle
 * the error reported during probe, if one was, and start the periodic
 * checks.
 */
void lmnic_err_start(struct lmnic_dev *ld)
{
	unsigned long flags;

	spin_lock_irqsave(&ld->err_lock, flags);
	ld->err_held = false;
	if (test_bit(LMNIC_F_ERR_PENDING, &ld->flags))
		queue_work(system_long_wq, &ld->err_work);
	spin_unlock_irqrestore(&ld->err_lock, flags);
	queue_delayed_work(system_long_wq, &ld->service,
			   msecs_to_jiffies(LMNIC_SERVICE_MS));
}

/*
 * devlink reload: from here to lmnic_err_start() reports are held, as
 * during probe, and no check runs. -EBUSY while an error is being handled:
 * its work uses the vports and regions the reload takes down.
 */
int lmnic_err_hold(struct lmnic_dev *ld)
{
	unsigned long flags;
	bool busy;

	spin_lock_irqsave(&ld->err_lock, flags);
	busy = test_bit(LMNIC_F_ERR_PENDING, &ld->flags);
	if (!busy)
		ld->err_held = true;
	spin_unlock_irqrestore(&ld->err_lock, flags);
	if (busy)
		return -EBUSY;
	cancel_delayed_work_sync(&ld->service);
	return 0;
}

/* No more checks or reports: before the netdevs and queues go. */
void lmnic_err_stop(struct lmnic_dev *ld)
{
	/* the bit stays set from here to the end: later reports are dropped */
	set_bit(LMNIC_F_ERR_PENDING, &ld->flags);
	cancel_delayed_work_sync(&ld->service);
	/* a report queued before the bit was set is handled, then none */
	flush_work(&ld->err_work);
	set_bit(LMNIC_F_ERR_PENDING, &ld->flags);
}

void lmnic_err_fini(struct lmnic_dev *ld)
{
	cancel_work_sync(&ld->err_work);
	devlink_health_reporter_destroy(ld->health);
}
