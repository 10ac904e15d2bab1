// SPDX-License-Identifier: GPL-2.0
/* lmnic: ethtool operations */

#include <linux/bitfield.h>
#include <linux/ethtool.h>
#include <linux/rtnetlink.h>

#include "lmnic.h"
#include "lmnic_compat.h"

#define LMNIC_REGS_DUMP_VERSION	1

struct lmnic_stat {
	char name[ETH_GSTRING_LEN];
	size_t offset;
};

/* Driver counters of each queue pair */
static const char * const lmnic_qp_stats[] = {
	"tx_packets", "tx_bytes", "tx_busy", "rx_packets", "rx_bytes",
	"rx_alloc_fail", "rx_csum_bad",
};

/* Adapter counters of each queue pair, from state memory */
#define LMNIC_QCNT(f)	{ #f, offsetof(struct lmnic_sm_queue_counters, f) }
static const struct lmnic_stat lmnic_qp_hw_stats[] = {
	LMNIC_QCNT(rx_no_buffer),
	LMNIC_QCNT(tx_errors),
};

/* Adapter counters of the vport, from state memory */
#define LMNIC_VCNT(f)	{ "port_" #f, offsetof(struct lmnic_sm_counters, f) }
static const struct lmnic_stat lmnic_vport_stats[] = {
	LMNIC_VCNT(rx_unicast),
	LMNIC_VCNT(rx_multicast),
	LMNIC_VCNT(rx_broadcast),
	LMNIC_VCNT(rx_vlan_drop),
	LMNIC_VCNT(rx_oversize),
	LMNIC_VCNT(rx_csum_bad),
	LMNIC_VCNT(tx_local),
	LMNIC_VCNT(tx_wire),
};

/* Adapter-wide counters, from the adapter block of state memory */
#define LMNIC_ACNT(f)	{ "adapter_" #f, offsetof(struct lmnic_sm_adapter, f) }
static const struct lmnic_stat lmnic_adapter_stats[] = {
	LMNIC_ACNT(rx_no_vport),
	LMNIC_ACNT(rx_runt),
	LMNIC_ACNT(rx_wire),
	LMNIC_ACNT(tx_wire),
};

#define LMNIC_N_QP_STATS \
	(ARRAY_SIZE(lmnic_qp_stats) + ARRAY_SIZE(lmnic_qp_hw_stats))
#define LMNIC_N_STATS (LMNIC_MAX_QP * LMNIC_N_QP_STATS + 1 + \
		       ARRAY_SIZE(lmnic_vport_stats) + \
		       ARRAY_SIZE(lmnic_adapter_stats))

static void lmnic_get_drvinfo(struct net_device *netdev,
			      struct ethtool_drvinfo *info)
{
	struct lmnic_net *net = netdev_priv(netdev);
	struct lmnic_dev *ld = net->ld;

	strscpy(info->driver, LMNIC_DRV_NAME, sizeof(info->driver));
	snprintf(info->fw_version, sizeof(info->fw_version),
		 "hw %lu.%lu layout %u",
		 FIELD_GET(LMNIC_VERSION_MAJOR, ld->hw_version),
		 FIELD_GET(LMNIC_VERSION_MINOR, ld->hw_version),
		 ld->layout_version);
	strscpy(info->bus_info, pci_name(ld->pdev), sizeof(info->bus_info));
}

static int lmnic_get_sset_count(struct net_device *netdev, int sset)
{
	return sset == ETH_SS_STATS ? LMNIC_N_STATS : -EOPNOTSUPP;
}

static void lmnic_get_strings(struct net_device *netdev, u32 sset, u8 *data)
{
	unsigned int q, i;

	if (sset != ETH_SS_STATS)
		return;
	for (q = 0; q < LMNIC_MAX_QP; q++) {
		for (i = 0; i < ARRAY_SIZE(lmnic_qp_stats); i++)
			ethtool_sprintf(&data, "qp%u_%s", q, lmnic_qp_stats[i]);
		for (i = 0; i < ARRAY_SIZE(lmnic_qp_hw_stats); i++)
			ethtool_sprintf(&data, "qp%u_%s", q,
					lmnic_qp_hw_stats[i].name);
	}
	ethtool_puts(&data, "tx_timeouts");
	for (i = 0; i < ARRAY_SIZE(lmnic_vport_stats); i++)
		ethtool_puts(&data, lmnic_vport_stats[i].name);
	for (i = 0; i < ARRAY_SIZE(lmnic_adapter_stats); i++)
		ethtool_puts(&data, lmnic_adapter_stats[i].name);
}

static void lmnic_qp_sw_stats(struct lmnic_qp *qp, u64 *data)
{
	struct lmnic_ring_stats *t = &qp->tx.stats, *r = &qp->rx.stats;
	unsigned int start;

	do {
		start = u64_stats_fetch_begin(&t->syncp);
		data[0] = t->packets;
		data[1] = t->bytes;
		data[2] = t->busy;
	} while (u64_stats_fetch_retry(&t->syncp, start));
	do {
		start = u64_stats_fetch_begin(&r->syncp);
		data[3] = r->packets;
		data[4] = r->bytes;
		data[5] = r->alloc_fail;
		data[6] = r->csum_bad;
	} while (u64_stats_fetch_retry(&r->syncp, start));
}

static void lmnic_get_ethtool_stats(struct net_device *netdev,
				    struct ethtool_stats *stats, u64 *data)
{
	struct lmnic_net *net = netdev_priv(netdev);
	struct lmnic_dev *ld = net->ld;
	u8 __iomem *cnt = (u8 __iomem *)net->cnt;
	unsigned int q, i;

	for (q = 0; q < LMNIC_MAX_QP; q++) {
		if (net->qps[q])
			lmnic_qp_sw_stats(net->qps[q], data);
		else
			memset(data, 0, ARRAY_SIZE(lmnic_qp_stats) * sizeof(*data));
		data += ARRAY_SIZE(lmnic_qp_stats);
		for (i = 0; i < ARRAY_SIZE(lmnic_qp_hw_stats); i++)
			*data++ = lmnic_sm_rd64(ld, (__le64 __iomem *)
						(cnt + q * sizeof(struct lmnic_sm_queue_counters) +
						 lmnic_qp_hw_stats[i].offset));
	}
	*data++ = atomic64_read(&net->tx_timeouts);
	for (i = 0; i < ARRAY_SIZE(lmnic_vport_stats); i++)
		*data++ = lmnic_sm_rd64(ld, (__le64 __iomem *)
					(cnt + lmnic_vport_stats[i].offset));
	for (i = 0; i < ARRAY_SIZE(lmnic_adapter_stats); i++)
		*data++ = lmnic_sm_rd64(ld, (__le64 __iomem *)
					(ld->state + lmnic_adapter_stats[i].offset));
}

static void lmnic_get_ringparam(struct net_device *netdev,
				struct ethtool_ringparam *ring,
				struct kernel_ethtool_ringparam *kring,
				struct netlink_ext_ack *extack)
{
	struct lmnic_net *net = netdev_priv(netdev);

	ring->rx_max_pending = LMNIC_RING_MAX;
	ring->tx_max_pending = LMNIC_RING_MAX;
	ring->rx_pending = net->rx_ring_size;
	ring->tx_pending = net->tx_ring_size;
}

static int lmnic_set_ringparam(struct net_device *netdev,
			       struct ethtool_ringparam *ring,
			       struct kernel_ethtool_ringparam *kring,
			       struct netlink_ext_ack *extack)
{
	struct lmnic_net *net = netdev_priv(netdev);

	if (ring->rx_mini_pending || ring->rx_jumbo_pending) {
		NL_SET_ERR_MSG_MOD(extack, "no mini or jumbo rings");
		return -EINVAL;
	}
	if (ring->tx_pending < LMNIC_RING_MIN || ring->rx_pending < LMNIC_RING_MIN ||
	    !is_power_of_2(ring->tx_pending) || !is_power_of_2(ring->rx_pending)) {
		NL_SET_ERR_MSG_MOD(extack, "ring sizes must be powers of two of at least 64");
		return -EINVAL;
	}
	if (ring->tx_pending == net->tx_ring_size &&
	    ring->rx_pending == net->rx_ring_size)
		return 0;
	return lmnic_reconfigure(net, net->num_qp, ring->tx_pending,
				 ring->rx_pending);
}

static void lmnic_get_channels(struct net_device *netdev,
			       struct ethtool_channels *ch)
{
	struct lmnic_net *net = netdev_priv(netdev);

	ch->max_combined = net->ld->max_qp;
	ch->combined_count = net->num_qp;
}

static int lmnic_set_channels(struct net_device *netdev,
			      struct ethtool_channels *ch)
{
	struct lmnic_net *net = netdev_priv(netdev);

	/* the ethtool core keeps a user RSS table within the new count */
	if (ch->rx_count || ch->tx_count || ch->other_count ||
	    !ch->combined_count || ch->combined_count > net->ld->max_qp)
		return -EINVAL;
	if (ch->combined_count == net->num_qp)
		return 0;
	return lmnic_reconfigure(net, ch->combined_count, net->tx_ring_size,
				 net->rx_ring_size);
}

static int lmnic_get_rxnfc(struct net_device *netdev,
			   struct ethtool_rxnfc *cmd, u32 *rule_locs)
{
	struct lmnic_net *net = netdev_priv(netdev);

	switch (cmd->cmd) {
	case ETHTOOL_GRXRINGS:
		cmd->data = net->num_qp;
		return 0;
	default:
		return -EOPNOTSUPP;
	}
}

static u32 lmnic_get_rxfh_key_size(struct net_device *netdev)
{
	return LMNIC_RSS_KEY_SIZE;
}

static u32 lmnic_get_rxfh_indir_size(struct net_device *netdev)
{
	return LMNIC_RSS_TABLE_SIZE;
}

static int lmnic_rxfh_get(struct net_device *netdev, u32 *indir, u8 *key,
			  u8 *hfunc)
{
	struct lmnic_net *net = netdev_priv(netdev);
	unsigned int i;

	if (hfunc)
		*hfunc = ETH_RSS_HASH_TOP;
	if (key)
		memcpy(key, net->rss_key, LMNIC_RSS_KEY_SIZE);
	for (i = 0; indir && i < LMNIC_RSS_TABLE_SIZE; i++)
		indir[i] = net->rss_table[i];
	return 0;
}

static int lmnic_rxfh_set(struct net_device *netdev, const u32 *indir,
			  const u8 *key, u8 hfunc,
			  struct netlink_ext_ack *extack)
{
	struct lmnic_net *net = netdev_priv(netdev);
	u8 old_key[LMNIC_RSS_KEY_SIZE], old_table[LMNIC_RSS_TABLE_SIZE];
	unsigned int i;
	int err;

	if (hfunc != ETH_RSS_HASH_NO_CHANGE && hfunc != ETH_RSS_HASH_TOP) {
		NL_SET_ERR_MSG_MOD(extack, "only the Toeplitz hash is supported");
		return -EOPNOTSUPP;
	}
	for (i = 0; indir && i < LMNIC_RSS_TABLE_SIZE; i++)
		if (indir[i] >= net->num_qp)
			return -EINVAL;

	memcpy(old_key, net->rss_key, sizeof(old_key));
	memcpy(old_table, net->rss_table, sizeof(old_table));
	if (key)
		memcpy(net->rss_key, key, LMNIC_RSS_KEY_SIZE);
	for (i = 0; indir && i < LMNIC_RSS_TABLE_SIZE; i++)
		net->rss_table[i] = indir[i];
	if (!netif_running(netdev))
		return 0;
	err = lmnic_set_rss(net);
	if (err) {
		memcpy(net->rss_key, old_key, sizeof(old_key));
		memcpy(net->rss_table, old_table, sizeof(old_table));
		NL_SET_ERR_MSG_MOD(extack, "adapter refused the RSS configuration");
	}
	return err;
}

#ifdef LMNIC_HAVE_RXFH_PARAM
static int lmnic_get_rxfh(struct net_device *netdev,
			  struct ethtool_rxfh_param *p)
{
	return lmnic_rxfh_get(netdev, p->indir, p->key, &p->hfunc);
}

static int lmnic_set_rxfh(struct net_device *netdev,
			  struct ethtool_rxfh_param *p,
			  struct netlink_ext_ack *extack)
{
	return lmnic_rxfh_set(netdev, p->indir, p->key, p->hfunc, extack);
}
#else
static int lmnic_get_rxfh(struct net_device *netdev, u32 *indir, u8 *key,
			  u8 *hfunc)
{
	return lmnic_rxfh_get(netdev, indir, key, hfunc);
}

static int lmnic_set_rxfh(struct net_device *netdev, const u32 *indir,
			  const u8 *key, const u8 hfunc)
{
	return lmnic_rxfh_set(netdev, indir, key, hfunc, NULL);
}
#endif

/* Register dump: the ID, control and admin blocks, then this vport's
 * interrupt vectors (enable, ITR) in queue pair order.
 */
static const u32 lmnic_dump_ranges[][2] = {
	{ LMNIC_REG_ID_START, LMNIC_REG_ID_END },
	{ LMNIC_REG_CTRL_START, LMNIC_REG_CTRL_END },
	{ LMNIC_REG_AQ_START, LMNIC_REG_AQ_END },
};

static int lmnic_get_regs_len(struct net_device *netdev)
{
	unsigned int i, n = 2 * LMNIC_MAX_QP;

	for (i = 0; i < ARRAY_SIZE(lmnic_dump_ranges); i++)
		n += (lmnic_dump_ranges[i][1] - lmnic_dump_ranges[i][0]) / 4 + 1;
	return n * sizeof(u32);
}

static void lmnic_get_regs(struct net_device *netdev,
			   struct ethtool_regs *regs, void *p)
{
	struct lmnic_net *net = netdev_priv(netdev);
	struct lmnic_dev *ld = net->ld;
	u32 *buf = p, reg;
	unsigned int i, q;

	regs->version = LMNIC_REGS_DUMP_VERSION;
	for (i = 0; i < ARRAY_SIZE(lmnic_dump_ranges); i++)
		for (reg = lmnic_dump_ranges[i][0];
		     reg <= lmnic_dump_ranges[i][1]; reg += 4)
			*buf++ = lmnic_rd32(ld, reg);
	for (q = 0; q < LMNIC_MAX_QP; q++) {
		u16 vec = lmnic_qp_vector(net->vport, q);

		*buf++ = lmnic_rd32(ld, LMNIC_REG_VEC_ENABLE(vec));
		*buf++ = lmnic_rd32(ld, LMNIC_REG_VEC_ITR(vec));
	}
}

static const struct ethtool_ops lmnic_ethtool_ops = {
	.get_drvinfo = lmnic_get_drvinfo,
	.get_link = ethtool_op_get_link,
	.get_sset_count = lmnic_get_sset_count,
	.get_strings = lmnic_get_strings,
	.get_ethtool_stats = lmnic_get_ethtool_stats,
	.get_ringparam = lmnic_get_ringparam,
	.set_ringparam = lmnic_set_ringparam,
	.get_channels = lmnic_get_channels,
	.set_channels = lmnic_set_channels,
	.get_rxnfc = lmnic_get_rxnfc,
	.get_rxfh_key_size = lmnic_get_rxfh_key_size,
	.get_rxfh_indir_size = lmnic_get_rxfh_indir_size,
	.get_rxfh = lmnic_get_rxfh,
	.set_rxfh = lmnic_set_rxfh,
	.get_regs_len = lmnic_get_regs_len,
	.get_regs = lmnic_get_regs,
};

void lmnic_set_ethtool_ops(struct net_device *netdev)
{
	netdev->ethtool_ops = &lmnic_ethtool_ops;
}
