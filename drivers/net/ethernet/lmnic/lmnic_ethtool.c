// SPDX-License-Identifier: GPL-2.0
/* lmnic: ethtool operations */

#include <linux/bitfield.h>
#include <linux/ethtool.h>
#include <linux/rtnetlink.h>

#include "lmnic.h"
#include "lmnic_compat.h"

#define LMNIC_REGS_DUMP_VERSION	2

struct lmnic_stat {
	char name[ETH_GSTRING_LEN];
	size_t offset;
};

/* Driver counters of each queue pair */
static const char * const lmnic_qp_stats[] = {
	"tx_packets", "tx_bytes", "tx_busy", "rx_packets", "rx_bytes",
	"rx_alloc_fail", "rx_csum_bad", "rx_marked",
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
	LMNIC_VCNT(rx_conn_hit),
	LMNIC_VCNT(rx_conn_drop),
	LMNIC_VCNT(rx_conn_mark),
};

/* Adapter-wide counters, from the adapter block of state memory */
#define LMNIC_ACNT(f)	{ "adapter_" #f, offsetof(struct lmnic_sm_adapter, f) }
static const struct lmnic_stat lmnic_adapter_stats[] = {
	LMNIC_ACNT(rx_no_vport),
	LMNIC_ACNT(rx_runt),
	LMNIC_ACNT(rx_wire),
	LMNIC_ACNT(tx_wire),
	LMNIC_ACNT(rx_quiesced),
	LMNIC_ACNT(sm_writes_refused),
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

static_assert(ARRAY_SIZE(lmnic_qp_stats) ==
	      sizeof(struct lmnic_qp_totals) / sizeof(u64));

/* The driver counters of queue index Q, gone queue pairs' included. */
static void lmnic_qp_sw_stats(struct lmnic_net *net, u16 q, u64 *data)
{
	struct lmnic_qp_totals t;

	lmnic_qp_totals(net, q, &t);
	data[0] = t.tx_packets;
	data[1] = t.tx_bytes;
	data[2] = t.tx_busy;
	data[3] = t.rx_packets;
	data[4] = t.rx_bytes;
	data[5] = t.rx_alloc_fail;
	data[6] = t.rx_csum_bad;
	data[7] = t.rx_marked;
}

static_assert(LMNIC_ETHTOOL_HW_STATS ==
	      LMNIC_MAX_QP * ARRAY_SIZE(lmnic_qp_hw_stats) +
	      ARRAY_SIZE(lmnic_vport_stats) + ARRAY_SIZE(lmnic_adapter_stats));

/*
 * The counters of state memory as the vport's block holds them now: each
 * queue pair's, the vport's, the adapter's. An adapter reset clears them.
 */
static void lmnic_hw_stats_now(struct lmnic_net *net, u64 *hw)
{
	struct lmnic_dev *ld = net->ld;
	u8 __iomem *cnt = (u8 __iomem *)net->cnt;
	unsigned int q, i;

	for (q = 0; q < LMNIC_MAX_QP; q++)
		for (i = 0; i < ARRAY_SIZE(lmnic_qp_hw_stats); i++)
			*hw++ = lmnic_sm_rd64(ld, (__le64 __iomem *)
					      (cnt + q * sizeof(struct lmnic_sm_queue_counters) +
					       lmnic_qp_hw_stats[i].offset));
	for (i = 0; i < ARRAY_SIZE(lmnic_vport_stats); i++)
		*hw++ = lmnic_sm_rd64(ld, (__le64 __iomem *)
				      (cnt + lmnic_vport_stats[i].offset));
	for (i = 0; i < ARRAY_SIZE(lmnic_adapter_stats); i++)
		*hw++ = lmnic_sm_rd64(ld, (__le64 __iomem *)
				      (ld->state + lmnic_adapter_stats[i].offset));
}

/* The counters of state memory that ethtool -S shows, for a fold. */
void lmnic_ethtool_snap(struct lmnic_net *net, u64 *hw)
{
	lmnic_hw_stats_now(net, hw);
}

static void lmnic_get_ethtool_stats(struct net_device *netdev,
				    struct ethtool_stats *stats, u64 *data)
{
	struct lmnic_net *net = netdev_priv(netdev);
	u64 hw[LMNIC_ETHTOOL_HW_STATS];
	unsigned int q, i, n = 0;

	lmnic_hw_stats_now(net, hw);
	spin_lock_bh(&net->stats_lock);
	for (i = 0; i < LMNIC_ETHTOOL_HW_STATS; i++)
		hw[i] += net->ethtool_base[i];
	spin_unlock_bh(&net->stats_lock);
	for (q = 0; q < LMNIC_MAX_QP; q++) {
		lmnic_qp_sw_stats(net, q, data);
		data += ARRAY_SIZE(lmnic_qp_stats);
		for (i = 0; i < ARRAY_SIZE(lmnic_qp_hw_stats); i++)
			*data++ = hw[n++];
	}
	*data++ = atomic64_read(&net->tx_timeouts);
	for (i = 0; i < ARRAY_SIZE(lmnic_vport_stats) +
		    ARRAY_SIZE(lmnic_adapter_stats); i++)
		*data++ = hw[n++];
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

/*
 * ntuple rules are the vport's connection table: a rule's location is the
 * connection id. A rule matches one exact TCP or UDP 5-tuple, over IPv4 or
 * IPv6; its action is a queue or drop, and a user-def value marks the
 * frames (the mark lands in skb->mark). Connections that applications
 * offloaded through the lmnic family show here too.
 */
static bool lmnic_all_ones(const void *p, size_t len)
{
	return !memchr_inv(p, 0xff, len);
}

static int lmnic_fs_to_conn(struct lmnic_net *net,
			    const struct ethtool_rx_flow_spec *fs,
			    struct lmnic_conn *c)
{
	u32 flow = fs->flow_type & ~(FLOW_EXT | FLOW_MAC_EXT | FLOW_RSS);

	memset(c, 0, sizeof(*c));
	switch (flow) {
	case TCP_V4_FLOW:
	case UDP_V4_FLOW: {
		const struct ethtool_tcpip4_spec *v = &fs->h_u.tcp_ip4_spec;
		const struct ethtool_tcpip4_spec *m = &fs->m_u.tcp_ip4_spec;

		if (!lmnic_all_ones(&m->ip4src, 4) || !lmnic_all_ones(&m->ip4dst, 4) ||
		    !lmnic_all_ones(&m->psrc, 2) || !lmnic_all_ones(&m->pdst, 2) ||
		    m->tos)
			return -EOPNOTSUPP;	/* exact 5-tuples only */
		c->key.family = LMNIC_CONN_FAMILY_IPV4;
		c->key.src[0] = v->ip4src;
		c->key.dst[0] = v->ip4dst;
		c->key.sport = v->psrc;
		c->key.dport = v->pdst;
		break;
	}
	case TCP_V6_FLOW:
	case UDP_V6_FLOW: {
		const struct ethtool_tcpip6_spec *v = &fs->h_u.tcp_ip6_spec;
		const struct ethtool_tcpip6_spec *m = &fs->m_u.tcp_ip6_spec;

		if (!lmnic_all_ones(m->ip6src, 16) || !lmnic_all_ones(m->ip6dst, 16) ||
		    !lmnic_all_ones(&m->psrc, 2) || !lmnic_all_ones(&m->pdst, 2) ||
		    m->tclass)
			return -EOPNOTSUPP;
		c->key.family = LMNIC_CONN_FAMILY_IPV6;
		memcpy(c->key.src, v->ip6src, 16);
		memcpy(c->key.dst, v->ip6dst, 16);
		c->key.sport = v->psrc;
		c->key.dport = v->pdst;
		break;
	}
	default:
		return -EOPNOTSUPP;
	}
	c->key.proto = (flow == TCP_V4_FLOW || flow == TCP_V6_FLOW) ?
		       IPPROTO_TCP : IPPROTO_UDP;
	if (fs->flow_type & (FLOW_MAC_EXT | FLOW_RSS))
		return -EOPNOTSUPP;
	if (fs->flow_type & FLOW_EXT) {
		/* only user-def: a 32-bit mark, matched whole */
		if (fs->m_ext.vlan_etype || fs->m_ext.vlan_tci ||
		    fs->h_ext.data[0] ||
		    be32_to_cpu(fs->m_ext.data[1]) != U32_MAX)
			return -EOPNOTSUPP;
		c->actions |= cpu_to_le16(LMNIC_CONN_ACT_MARK);
		c->mark = cpu_to_le32(be32_to_cpu(fs->h_ext.data[1]));
	}
	if (fs->ring_cookie == RX_CLS_FLOW_DISC) {
		if (c->actions)
			return -EINVAL;	/* a dropped frame carries no mark */
		c->actions = cpu_to_le16(LMNIC_CONN_ACT_DROP | LMNIC_CONN_ACT_COUNT);
		return 0;
	}
	if (ethtool_get_flow_spec_ring_vf(fs->ring_cookie) ||
	    ethtool_get_flow_spec_ring(fs->ring_cookie) >= net->num_qp)
		return -EINVAL;
	c->actions |= cpu_to_le16(LMNIC_CONN_ACT_STEER | LMNIC_CONN_ACT_COUNT);
	c->queue = cpu_to_le16(ethtool_get_flow_spec_ring(fs->ring_cookie));
	return 0;
}

static void lmnic_conn_to_fs(const struct lmnic_conn *c, u32 id,
			     struct ethtool_rx_flow_spec *fs)
{
	bool tcp = c->key.proto == IPPROTO_TCP;
	u16 act = le16_to_cpu(c->actions);

	memset(fs, 0, sizeof(*fs));
	fs->location = id;
	if (c->key.family == LMNIC_CONN_FAMILY_IPV4) {
		fs->flow_type = tcp ? TCP_V4_FLOW : UDP_V4_FLOW;
		fs->h_u.tcp_ip4_spec.ip4src = c->key.src[0];
		fs->h_u.tcp_ip4_spec.ip4dst = c->key.dst[0];
		fs->h_u.tcp_ip4_spec.psrc = c->key.sport;
		fs->h_u.tcp_ip4_spec.pdst = c->key.dport;
		memset(&fs->m_u.tcp_ip4_spec, 0xff, sizeof(fs->m_u.tcp_ip4_spec));
		fs->m_u.tcp_ip4_spec.tos = 0;
	} else {
		fs->flow_type = tcp ? TCP_V6_FLOW : UDP_V6_FLOW;
		memcpy(fs->h_u.tcp_ip6_spec.ip6src, c->key.src, 16);
		memcpy(fs->h_u.tcp_ip6_spec.ip6dst, c->key.dst, 16);
		fs->h_u.tcp_ip6_spec.psrc = c->key.sport;
		fs->h_u.tcp_ip6_spec.pdst = c->key.dport;
		memset(&fs->m_u.tcp_ip6_spec, 0xff, sizeof(fs->m_u.tcp_ip6_spec));
		fs->m_u.tcp_ip6_spec.tclass = 0;
	}
	if (act & LMNIC_CONN_ACT_MARK) {
		fs->flow_type |= FLOW_EXT;
		fs->h_ext.data[1] = cpu_to_be32(le32_to_cpu(c->mark));
		fs->m_ext.data[1] = cpu_to_be32(U32_MAX);
	}
	if (act & LMNIC_CONN_ACT_DROP)
		fs->ring_cookie = RX_CLS_FLOW_DISC;
	else if (act & LMNIC_CONN_ACT_STEER)
		fs->ring_cookie = le16_to_cpu(c->queue);
	else
		fs->flow_type |= FLOW_RSS;	/* spread by RSS context 0 */
}

static int lmnic_get_rules(struct lmnic_net *net, struct ethtool_rxnfc *cmd,
			   u32 *rule_locs)
{
	struct lmnic_conn_table *ct = &net->ld->conns[net->vport];
	struct lmnic_conn c;
	u32 id, n = 0;

	for (id = 0; id < ct->slots; id++) {
		if (lmnic_conn_read(ct, id, &c))
			continue;
		if (n == cmd->rule_cnt)
			return -EMSGSIZE;
		rule_locs[n++] = id;
	}
	cmd->rule_cnt = n;
	cmd->data = ct->slots;
	return 0;
}

static int lmnic_get_rxnfc(struct net_device *netdev,
			   struct ethtool_rxnfc *cmd, u32 *rule_locs)
{
	struct lmnic_net *net = netdev_priv(netdev);
	struct lmnic_dev *ld = net->ld;
	struct lmnic_conn_table *ct = &ld->conns[net->vport];
	struct lmnic_conn c;
	int err;

	if (cmd->cmd == ETHTOOL_GRXRINGS) {
		cmd->data = net->num_qp;
		return 0;
	}
	if (net->vport >= ld->num_conn_tables)
		return -EOPNOTSUPP;

	switch (cmd->cmd) {
	case ETHTOOL_GRXCLSRLCNT:
		cmd->rule_cnt = ct->count;
		cmd->data = ct->slots | RX_CLS_LOC_SPECIAL;
		return 0;
	case ETHTOOL_GRXCLSRULE:
		if (cmd->fs.location >= ct->slots)
			return -EINVAL;
		err = lmnic_conn_read(ct, cmd->fs.location, &c);
		if (err)
			return err;
		lmnic_conn_to_fs(&c, cmd->fs.location, &cmd->fs);
		cmd->rss_context = 0;
		return 0;
	case ETHTOOL_GRXCLSRLALL:
		return lmnic_get_rules(net, cmd, rule_locs);
	default:
		return -EOPNOTSUPP;
	}
}

static int lmnic_set_rxnfc(struct net_device *netdev, struct ethtool_rxnfc *cmd)
{
	struct lmnic_net *net = netdev_priv(netdev);
	struct lmnic_dev *ld = net->ld;
	struct lmnic_conn c, old;
	u32 id, loc = cmd->fs.location;
	bool had_old = false;
	int err;

	if (net->vport >= ld->num_conn_tables)
		return -EOPNOTSUPP;

	switch (cmd->cmd) {
	case ETHTOOL_SRXCLSRLINS:
		err = lmnic_fs_to_conn(net, &cmd->fs, &c);
		if (err)
			return err;
		lmnic_conn_set_owner(&c, LMNIC_CONN_SRC_ETHTOOL);
		if (loc == RX_CLS_LOC_FIRST || loc == RX_CLS_LOC_LAST)
			return -EINVAL;
		if (loc == RX_CLS_LOC_ANY)
			loc = LMNIC_CONN_ID_ANY;
		else
			had_old = loc < ld->conns[net->vport].slots &&
				  !lmnic_conn_read(&ld->conns[net->vport], loc, &old);
		/* a rule at a used location replaces it, or it stays */
		if (had_old) {
			err = lmnic_conn_del(ld, net->vport, loc, NULL);
			if (err)
				return err;
		}
		err = lmnic_conn_add(ld, net->vport, &c, loc, &id, NULL);
		if (err && had_old &&
		    lmnic_conn_add(ld, net->vport, &old, loc, &id, NULL))
			netdev_err(netdev, "rule %u lost: neither the new one nor the old one is offloaded\n",
				   loc);
		if (err)
			return err;
		cmd->fs.location = id;
		return 0;
	case ETHTOOL_SRXCLSRLDEL:
		return lmnic_conn_del(ld, net->vport, loc, NULL);
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

/* Register dump: the ID, control, error and admin blocks, then this vport's
 * interrupt vectors (enable, ITR) in queue pair order.
 */
static const u32 lmnic_dump_ranges[][2] = {
	{ LMNIC_REG_ID_START, LMNIC_REG_ID_END },
	{ LMNIC_REG_CTRL_START, LMNIC_REG_CTRL_END },
	{ LMNIC_REG_ERR_START, LMNIC_REG_ERR_END },
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
	.set_rxnfc = lmnic_set_rxnfc,
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
