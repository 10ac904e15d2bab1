// SPDX-License-Identifier: GPL-2.0
/* lmnic: descriptor rings, NAPI and the datapath */

#include <kunit/visibility.h>
#include <linux/dma-mapping.h>
#include <linux/etherdevice.h>
#include <linux/if_vlan.h>
#include <linux/interrupt.h>
#include <linux/skbuff.h>
#include <net/netdev_queues.h>

#include "lmnic.h"
#include "lmnic_compat.h"

/* One frame per RX buffer: room for the MTU, ethernet and VLAN headers. */
u16 lmnic_rx_buf_len(unsigned int mtu)
{
	return ALIGN(mtu + ETH_HLEN + VLAN_HLEN, 64);
}
EXPORT_SYMBOL_IF_KUNIT(lmnic_rx_buf_len);

static struct device *lmnic_qp_dev(struct lmnic_qp *qp)
{
	return lmnic_to_dev(qp->net->ld);
}

static void lmnic_stats_add(struct lmnic_ring_stats *st, u64 packets,
			    u64 bytes)
{
	u64_stats_update_begin(&st->syncp);
	st->packets += packets;
	st->bytes += bytes;
	u64_stats_update_end(&st->syncp);
}

static void lmnic_stats_inc(struct lmnic_ring_stats *st, u64 *field)
{
	u64_stats_update_begin(&st->syncp);
	(*field)++;
	u64_stats_update_end(&st->syncp);
}

/* ---- TX ------------------------------------------------------------------ */

static void lmnic_tx_unmap(struct device *dev, struct lmnic_tx_buf *b)
{
	if (!b->len)
		return;
	if (b->head)
		dma_unmap_single(dev, b->dma, b->len, DMA_TO_DEVICE);
	else
		dma_unmap_page(dev, b->dma, b->len, DMA_TO_DEVICE);
	b->len = 0;
}

/*
 * Reclaim the descriptors of every frame the adapter has sent. NAPI only:
 * xmit publishes next_to_use with a release after filling the buffer
 * entries, so the acquire here sees each frame's skb and eop whole.
 */
static int lmnic_tx_clean(struct lmnic_qp *qp, int budget)
{
	struct lmnic_ring *r = &qp->tx;
	struct lmnic_tx_desc *descs = r->desc;
	struct device *dev = lmnic_qp_dev(qp);
	struct netdev_queue *txq;
	unsigned int packets = 0, bytes = 0;
	u16 i = r->next_to_clean;
	/* pairs with the release in lmnic_xmit(): the frames' entries */
	u16 ntu = smp_load_acquire(&r->next_to_use);

	while (i != ntu) {
		struct lmnic_tx_buf *first = &r->tx[i];
		struct sk_buff *skb = first->skb;
		u16 eop = first->eop;

		if (!(le16_to_cpu(READ_ONCE(descs[eop].flags)) & LMNIC_TXD_DD))
			break;
		dma_rmb();
		for (;;) {
			lmnic_tx_unmap(dev, &r->tx[i]);
			r->tx[i].skb = NULL;
			if (i == eop)
				break;
			i = lmnic_ring_next(r, i);
		}
		i = lmnic_ring_next(r, i);
		packets++;
		bytes += skb->len;
		napi_consume_skb(skb, budget);
	}
	/* the slots are free for xmit once next_to_clean says so */
	smp_store_release(&r->next_to_clean, i);
	if (!packets)
		return 0;

	lmnic_stats_add(&r->stats, packets, bytes);
	txq = netdev_get_tx_queue(qp->net->netdev, qp->idx);
	/* never wakes a queue a migration stopped (lmnic_stop_datapath()) */
	__netif_txq_completed_wake(txq, packets, bytes, lmnic_ring_unused(r),
				   LMNIC_TX_WAKE_THRESH,
				   READ_ONCE(qp->net->mig_stopped));
	return packets;
}

static void lmnic_tx_desc_fill(struct lmnic_tx_desc *d, dma_addr_t dma,
			       u32 len, u16 flags)
{
	d->addr = cpu_to_le64(dma);
	d->len = cpu_to_le16(len);
	d->csum_start = 0;
	d->csum_offset = 0;
	d->flags = cpu_to_le16(flags);
}

netdev_tx_t lmnic_xmit(struct sk_buff *skb, struct net_device *netdev)
{
	struct lmnic_net *net = netdev_priv(netdev);
	struct lmnic_qp *qp = net->qps[skb_get_queue_mapping(skb)];
	struct lmnic_ring *r = &qp->tx;
	struct lmnic_tx_desc *descs = r->desc;
	struct device *dev = lmnic_qp_dev(qp);
	unsigned int nfrags = skb_shinfo(skb)->nr_frags;
	struct netdev_queue *txq;
	u16 first = r->next_to_use, i = first;
	unsigned int f;
	dma_addr_t dma;

	txq = netdev_get_tx_queue(netdev, qp->idx);
	if (unlikely(!netif_txq_maybe_stop(txq, lmnic_ring_unused(r), nfrags + 1,
					   LMNIC_TX_WAKE_THRESH))) {
		lmnic_stats_inc(&r->stats, &r->stats.busy);
		return NETDEV_TX_BUSY;
	}
	if (skb_put_padto(skb, ETH_ZLEN))
		return NETDEV_TX_OK;

	dma = dma_map_single(dev, skb->data, skb_headlen(skb), DMA_TO_DEVICE);
	if (dma_mapping_error(dev, dma))
		goto err_drop;
	r->tx[i].dma = dma;
	r->tx[i].len = skb_headlen(skb);
	r->tx[i].head = true;
	lmnic_tx_desc_fill(&descs[i], dma, skb_headlen(skb), 0);

	for (f = 0; f < nfrags; f++) {
		const skb_frag_t *frag = &skb_shinfo(skb)->frags[f];
		u32 len = skb_frag_size(frag);

		i = lmnic_ring_next(r, i);
		dma = skb_frag_dma_map(dev, frag, 0, len, DMA_TO_DEVICE);
		if (dma_mapping_error(dev, dma))
			goto err_unmap;
		r->tx[i].dma = dma;
		r->tx[i].len = len;
		r->tx[i].head = false;
		lmnic_tx_desc_fill(&descs[i], dma, len, 0);
	}

	descs[i].flags |= cpu_to_le16(LMNIC_TXD_EOP);
	if (skb->ip_summed == CHECKSUM_PARTIAL) {
		descs[first].csum_start = cpu_to_le16(skb_checksum_start_offset(skb));
		descs[first].csum_offset = cpu_to_le16(skb->csum_offset);
		descs[first].flags |= cpu_to_le16(LMNIC_TXD_CSUM);
	}
	r->tx[first].skb = skb;
	r->tx[first].eop = i;
	skb_tx_timestamp(skb);
	/* the frame's entries before the index that hands them to clean */
	smp_store_release(&r->next_to_use, lmnic_ring_next(r, i));

	netif_txq_maybe_stop(txq, lmnic_ring_unused(r), LMNIC_TX_WAKE_THRESH,
			     LMNIC_TX_WAKE_THRESH);
	if (__netdev_tx_sent_queue(txq, skb->len, netdev_xmit_more()))
		writel(r->next_to_use, r->db);
	return NETDEV_TX_OK;

err_unmap:
	for (;;) {
		lmnic_tx_unmap(dev, &r->tx[i]);
		if (i == first)
			break;
		i = (i - 1) & (r->size - 1);
	}
err_drop:
	dev_kfree_skb_any(skb);
	lmnic_stats_inc(&r->stats, &r->stats.alloc_fail);
	return NETDEV_TX_OK;
}

/* ---- RX ------------------------------------------------------------------ */

static int lmnic_rx_alloc(struct lmnic_qp *qp, u16 i)
{
	struct lmnic_net *net = qp->net;
	struct lmnic_ring *r = &qp->rx;
	struct lmnic_rx_desc *d = (struct lmnic_rx_desc *)r->desc + i;
	struct device *dev = lmnic_qp_dev(qp);
	struct sk_buff *skb;
	dma_addr_t dma;

	skb = netdev_alloc_skb_ip_align(net->netdev, net->rx_buf_len);
	if (!skb)
		return -ENOMEM;
	dma = dma_map_single(dev, skb->data, net->rx_buf_len, DMA_FROM_DEVICE);
	if (dma_mapping_error(dev, dma)) {
		dev_kfree_skb_any(skb);
		return -ENOMEM;
	}
	r->rx[i].skb = skb;
	r->rx[i].dma = dma;
	d->addr = cpu_to_le64(dma);
	d->buf_len = cpu_to_le16(net->rx_buf_len);
	d->rsvd0 = 0;
	d->rsvd1 = 0;
	return 0;
}

/* Post buffers in every free slot, then tell the adapter once. */
static void lmnic_rx_refill(struct lmnic_qp *qp)
{
	struct lmnic_ring *r = &qp->rx;
	u16 i = r->next_to_use;
	bool posted = false;

	while (lmnic_ring_unused(r)) {
		if (lmnic_rx_alloc(qp, i)) {
			lmnic_stats_inc(&r->stats, &r->stats.alloc_fail);
			break;
		}
		i = lmnic_ring_next(r, i);
		r->next_to_use = i;
		posted = true;
	}
	if (posted)
		writel(r->next_to_use, r->db);
}

static void lmnic_rx_skb_meta(struct lmnic_net *net, struct sk_buff *skb,
			      const struct lmnic_rx_cmpl *c, u16 flags)
{
	struct net_device *netdev = net->netdev;

	if ((netdev->features & NETIF_F_RXCSUM) &&
	    (flags & LMNIC_RXC_L4_CSUM_OK))
		skb->ip_summed = CHECKSUM_UNNECESSARY;
	if ((netdev->features & NETIF_F_RXHASH) &&
	    (flags & LMNIC_RXC_RSS_VALID))
		skb_set_hash(skb, le32_to_cpu(c->rss_hash),
			     (flags & LMNIC_RXC_RSS_L4) ? PKT_HASH_TYPE_L4 :
							 PKT_HASH_TYPE_L3);
}

static int lmnic_rx_clean(struct lmnic_qp *qp, int budget)
{
	struct lmnic_net *net = qp->net;
	struct lmnic_ring *r = &qp->rx;
	struct device *dev = lmnic_qp_dev(qp);
	unsigned int packets = 0, bytes = 0;
	u16 i = r->next_to_clean;

	while (packets < budget && i != r->next_to_use) {
		struct lmnic_rx_cmpl *c = (struct lmnic_rx_cmpl *)r->desc + i;
		struct lmnic_rx_buf *b = &r->rx[i];
		struct sk_buff *skb = b->skb;
		u16 flags = le16_to_cpu(READ_ONCE(c->flags));
		u16 len;

		if (!(flags & LMNIC_RXC_DD))
			break;
		dma_rmb();
		len = le16_to_cpu(c->len);
		dma_unmap_single(dev, b->dma, net->rx_buf_len, DMA_FROM_DEVICE);
		b->skb = NULL;
		i = lmnic_ring_next(r, i);
		if (unlikely(len < ETH_HLEN || len > net->rx_buf_len)) {
			dev_kfree_skb_any(skb);
			continue;
		}
		if (flags & LMNIC_RXC_L4_CSUM_BAD)
			lmnic_stats_inc(&r->stats, &r->stats.csum_bad);
		if (flags & LMNIC_RXC_MARK_VALID) {
			/* an offloaded connection's mark, for tc and netfilter */
			skb->mark = le32_to_cpu(c->mark);
			lmnic_stats_inc(&r->stats, &r->stats.marked);
		}
		skb_put(skb, len);
		lmnic_rx_skb_meta(net, skb, c, flags);
		skb->protocol = eth_type_trans(skb, net->netdev);
		skb_record_rx_queue(skb, qp->idx);
		packets++;
		bytes += len;
		napi_gro_receive(&qp->napi, skb);
	}
	r->next_to_clean = i;
	if (packets)
		lmnic_stats_add(&r->stats, packets, bytes);
	lmnic_rx_refill(qp);
	return packets;
}

static int lmnic_napi_poll(struct napi_struct *napi, int budget)
{
	struct lmnic_qp *qp = container_of(napi, struct lmnic_qp, napi);
	int done;

	lmnic_tx_clean(qp, budget);
	done = lmnic_rx_clean(qp, budget);
	if (done < budget && napi_complete_done(napi, done))
		lmnic_wr32(qp->net->ld, LMNIC_REG_VEC_ENABLE(qp->vector), 1);
	return done;
}

static irqreturn_t lmnic_qp_irq(int irq, void *data)
{
	struct lmnic_qp *qp = data;

	napi_schedule_irqoff(&qp->napi);
	return IRQ_HANDLED;
}

/* ---- queue pair setup ------------------------------------------------------ */

static int lmnic_ring_alloc(struct lmnic_qp *qp, struct lmnic_ring *r,
			    u16 size, size_t buf_size, bool rx)
{
	struct lmnic_net *net = qp->net;

	r->size = size;
	r->next_to_use = 0;
	r->next_to_clean = 0;
	r->desc = dma_alloc_coherent(lmnic_qp_dev(qp), size * 16, &r->dma,
				     GFP_KERNEL);
	if (!r->desc)
		return -ENOMEM;
	r->tx = kvcalloc(size, buf_size, GFP_KERNEL);
	if (!r->tx) {
		dma_free_coherent(lmnic_qp_dev(qp), size * 16, r->desc, r->dma);
		return -ENOMEM;
	}
	r->db = net->ld->regs + LMNIC_REG_DB(net->vport, qp->idx, rx);
	u64_stats_init(&r->stats.syncp);
	return 0;
}

static void lmnic_ring_free(struct lmnic_qp *qp, struct lmnic_ring *r)
{
	kvfree(r->tx);
	r->tx = NULL;
	dma_free_coherent(lmnic_qp_dev(qp), r->size * 16, r->desc, r->dma);
}

static void lmnic_rx_drain(struct lmnic_qp *qp)
{
	struct lmnic_ring *r = &qp->rx;
	u16 i;

	for (i = 0; i < r->size; i++) {
		if (!r->rx[i].skb)
			continue;
		dma_unmap_single(lmnic_qp_dev(qp), r->rx[i].dma,
				 qp->net->rx_buf_len, DMA_FROM_DEVICE);
		dev_kfree_skb_any(r->rx[i].skb);
		r->rx[i].skb = NULL;
	}
}

static void lmnic_tx_drain(struct lmnic_qp *qp)
{
	struct lmnic_ring *r = &qp->tx;
	u16 i;

	for (i = 0; i < r->size; i++) {
		lmnic_tx_unmap(lmnic_qp_dev(qp), &r->tx[i]);
		if (r->tx[i].skb) {
			dev_kfree_skb_any(r->tx[i].skb);
			r->tx[i].skb = NULL;
		}
	}
	netdev_tx_reset_queue(netdev_get_tx_queue(qp->net->netdev, qp->idx));
}

static struct lmnic_qp *lmnic_qp_alloc(struct lmnic_net *net, u16 idx)
{
	struct lmnic_dev *ld = net->ld;
	struct lmnic_qp *qp;
	int err;

	qp = kzalloc(sizeof(*qp), GFP_KERNEL);
	if (!qp)
		return ERR_PTR(-ENOMEM);
	qp->net = net;
	qp->idx = idx;
	qp->vector = lmnic_qp_vector(net->vport, idx);

	err = lmnic_ring_alloc(qp, &qp->tx, net->tx_ring_size,
			       sizeof(struct lmnic_tx_buf), false);
	if (err)
		goto err_free_qp;
	err = lmnic_ring_alloc(qp, &qp->rx, net->rx_ring_size,
			       sizeof(struct lmnic_rx_buf), true);
	if (err)
		goto err_free_tx;

	netif_napi_add(net->netdev, &qp->napi, lmnic_napi_poll);
	snprintf(qp->irq_name, sizeof(qp->irq_name), "%s-qp%u",
		 netdev_name(net->netdev), idx);
	err = request_irq(pci_irq_vector(ld->pdev, qp->vector), lmnic_qp_irq, 0,
			  qp->irq_name, qp);
	if (err)
		goto err_del_napi;
	return qp;

err_del_napi:
	netif_napi_del(&qp->napi);
	lmnic_ring_free(qp, &qp->rx);
err_free_tx:
	lmnic_ring_free(qp, &qp->tx);
err_free_qp:
	kfree(qp);
	return ERR_PTR(err);
}

static void lmnic_qp_free(struct lmnic_qp *qp)
{
	free_irq(pci_irq_vector(qp->net->ld->pdev, qp->vector), qp);
	netif_napi_del(&qp->napi);
	lmnic_rx_drain(qp);
	lmnic_tx_drain(qp);
	lmnic_ring_free(qp, &qp->rx);
	lmnic_ring_free(qp, &qp->tx);
	kfree(qp);
}

static int lmnic_qp_create_hw(struct lmnic_qp *qp)
{
	struct lmnic_net *net = qp->net;
	struct lmnic_aq_desc cmd = {
		.opcode = cpu_to_le16(LMNIC_AQ_QUEUE_CREATE),
		.vport = cpu_to_le16(net->vport),
		.p.queue = {
			.tx_base = cpu_to_le64(qp->tx.dma),
			.rx_base = cpu_to_le64(qp->rx.dma),
			.qp = cpu_to_le16(qp->idx),
			.tx_size = cpu_to_le16(qp->tx.size),
			.rx_size = cpu_to_le16(qp->rx.size),
			.rx_buf_len = cpu_to_le16(net->rx_buf_len),
			.vector = cpu_to_le16(qp->vector),
		},
	};

	return lmnic_aq_cmd(net->ld, &cmd, NULL, 0);
}

static int lmnic_qp_destroy_hw(struct lmnic_qp *qp)
{
	struct lmnic_aq_desc cmd = {
		.opcode = cpu_to_le16(LMNIC_AQ_QUEUE_DESTROY),
		.vport = cpu_to_le16(qp->net->vport),
		.p.queue.qp = cpu_to_le16(qp->idx),
	};

	return lmnic_aq_cmd(qp->net->ld, &cmd, NULL, 0);
}

/*
 * Bring up the vport's queue pairs: rings, interrupts and NAPI, their
 * contexts on the adapter, and RX buffers. Called under RTNL.
 */
int lmnic_qps_up(struct lmnic_net *net)
{
	struct lmnic_dev *ld = net->ld;
	struct lmnic_qp *qp;
	int err;
	u16 i;

	for (i = 0; i < net->num_qp; i++) {
		qp = lmnic_qp_alloc(net, i);
		if (IS_ERR(qp)) {
			err = PTR_ERR(qp);
			goto err_down;
		}
		spin_lock_bh(&net->stats_lock);
		net->qps[i] = qp;
		spin_unlock_bh(&net->stats_lock);
		err = lmnic_qp_create_hw(qp);
		if (err)
			goto err_down;
		lmnic_wr32(ld, LMNIC_REG_VEC_ITR(qp->vector), net->itr_us);
		lmnic_rx_refill(qp);
		napi_enable(&qp->napi);
		qp->napi_enabled = true;
		lmnic_wr32(ld, LMNIC_REG_VEC_ENABLE(qp->vector), 1);
	}
	return 0;

err_down:
	lmnic_qps_down(net);
	return err;
}

/* No NAPI poll runs, or will, on the vport's queue pairs. RTNL. */
void lmnic_qps_napi_disable(struct lmnic_net *net)
{
	u16 i;

	for (i = 0; i < LMNIC_MAX_QP; i++) {
		struct lmnic_qp *qp = net->qps[i];

		if (qp && qp->napi_enabled) {
			napi_disable(&qp->napi);
			qp->napi_enabled = false;
		}
	}
}

/* Add QP's counters to T. */
static void lmnic_qp_add_totals(struct lmnic_qp *qp, struct lmnic_qp_totals *t)
{
	struct lmnic_ring_stats *ts = &qp->tx.stats, *rs = &qp->rx.stats;
	struct lmnic_qp_totals x;
	unsigned int start;

	do {
		start = u64_stats_fetch_begin(&ts->syncp);
		x.tx_packets = ts->packets;
		x.tx_bytes = ts->bytes;
		x.tx_busy = ts->busy;
	} while (u64_stats_fetch_retry(&ts->syncp, start));
	do {
		start = u64_stats_fetch_begin(&rs->syncp);
		x.rx_packets = rs->packets;
		x.rx_bytes = rs->bytes;
		x.rx_alloc_fail = rs->alloc_fail;
		x.rx_csum_bad = rs->csum_bad;
		x.rx_marked = rs->marked;
	} while (u64_stats_fetch_retry(&rs->syncp, start));
	t->tx_packets += x.tx_packets;
	t->tx_bytes += x.tx_bytes;
	t->tx_busy += x.tx_busy;
	t->rx_packets += x.rx_packets;
	t->rx_bytes += x.rx_bytes;
	t->rx_alloc_fail += x.rx_alloc_fail;
	t->rx_csum_bad += x.rx_csum_bad;
	t->rx_marked += x.rx_marked;
}

/**
 * lmnic_qp_totals - the counters of queue index Q since the netdev was made
 * @net: the vport
 * @q: queue index
 * @t: filled with those of queue pairs gone and of the one up now
 *
 * Context: any; takes net->stats_lock.
 */
void lmnic_qp_totals(struct lmnic_net *net, u16 q, struct lmnic_qp_totals *t)
{
	spin_lock_bh(&net->stats_lock);
	*t = net->qp_base[q];
	if (net->qps[q])
		lmnic_qp_add_totals(net->qps[q], t);
	spin_unlock_bh(&net->stats_lock);
}

/*
 * Undo lmnic_qps_up(): the adapter stops each queue pair (QUEUE_DESTROY)
 * before its memory goes; NAPI is off (lmnic_qps_napi_disable(), also done
 * here) and the stack sends no more. Each queue pair's counters join the
 * netdev's totals as it leaves qps[]. RTNL.
 */
void lmnic_qps_down(struct lmnic_net *net)
{
	struct lmnic_qp *gone[LMNIC_MAX_QP] = {};
	bool stopped = true;
	u16 i;

	for (i = 0; i < LMNIC_MAX_QP; i++)
		if (net->qps[i] && lmnic_qp_destroy_hw(net->qps[i]))
			stopped = false;
	/* rings the adapter may still use: stop all of its DMA first */
	if (!stopped) {
		lmnic_fold_adapter_counters(net->ld);
		lmnic_hw_stop_dma(net->ld);
	}
	lmnic_qps_napi_disable(net);

	spin_lock_bh(&net->stats_lock);
	for (i = 0; i < LMNIC_MAX_QP; i++) {
		gone[i] = net->qps[i];
		if (gone[i])
			lmnic_qp_add_totals(gone[i], &net->qp_base[i]);
		net->qps[i] = NULL;
	}
	spin_unlock_bh(&net->stats_lock);

	for (i = 0; i < LMNIC_MAX_QP; i++)
		if (gone[i])
			lmnic_qp_free(gone[i]);
}

/*
 * An RX ring left with no buffer posted (every allocation failed) gets no
 * interrupt to refill it: the service task has its NAPI poll try again.
 * RTNL.
 */
void lmnic_rx_check_depleted(struct lmnic_net *net)
{
	u16 i;

	for (i = 0; i < LMNIC_MAX_QP; i++) {
		struct lmnic_qp *qp = net->qps[i];

		if (qp && qp->napi_enabled &&
		    lmnic_ring_unused(&qp->rx) == qp->rx.size - 1)
			napi_schedule(&qp->napi);
	}
}
