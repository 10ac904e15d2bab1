// SPDX-License-Identifier: GPL-2.0
/* lmnic: one netdev per vport */

#include <linux/etherdevice.h>
#include <linux/ethtool.h>
#include <linux/rtnetlink.h>

#include "lmnic.h"

static u32 lmnic_vport_flags(struct lmnic_net *net)
{
	struct net_device *netdev = net->netdev;
	u32 flags = LMNIC_VPF_BROADCAST | LMNIC_VPF_RSS;

	if (netdev->flags & IFF_PROMISC)
		flags |= LMNIC_VPF_PROMISC;
	if ((netdev->flags & IFF_ALLMULTI) || net->filter_overflow)
		flags |= LMNIC_VPF_ALLMULTI;
	if (netdev->features & NETIF_F_RXCSUM)
		flags |= LMNIC_VPF_RX_CSUM;
	if ((netdev->features & NETIF_F_HW_VLAN_CTAG_FILTER) &&
	    !(netdev->flags & IFF_PROMISC))
		flags |= LMNIC_VPF_VLAN_FILTER;
	return flags;
}

/* Send the vport's configuration: VPORT_ENABLE or SET_CONFIG. */
int lmnic_vport_config(struct lmnic_net *net, u16 opcode)
{
	struct lmnic_aq_desc cmd = {
		.opcode = cpu_to_le16(opcode),
		.vport = cpu_to_le16(net->vport),
	};
	struct lmnic_aq_vport_cfg *cfg = &cmd.p.vport_cfg;

	ether_addr_copy(cfg->mac, net->netdev->dev_addr);
	cfg->mtu = cpu_to_le16(net->netdev->mtu);
	cfg->num_qp = cpu_to_le16(net->num_qp);
	cfg->flags = cpu_to_le32(lmnic_vport_flags(net));
	return lmnic_aq_cmd(net->ld, &cmd, NULL, 0);
}

void lmnic_rss_default_table(struct lmnic_net *net)
{
	int i;

	for (i = 0; i < LMNIC_RSS_TABLE_SIZE; i++)
		net->rss_table[i] = ethtool_rxfh_indir_default(i, net->num_qp);
}

int lmnic_set_rss(struct lmnic_net *net)
{
	struct lmnic_sm_rss rss = {
		.hash_types = cpu_to_le32(LMNIC_RSS_HASH_ALL),
	};

	memcpy(rss.key, net->rss_key, sizeof(rss.key));
	memcpy(rss.table, net->rss_table, sizeof(rss.table));
	return lmnic_aq_vport(net->ld, LMNIC_AQ_SET_RSS, net->vport, &rss,
			      sizeof(rss));
}

/* The VLANs of the stack's VLAN devices become the vport's VLAN filter. */
static int lmnic_set_vlan_filter(struct lmnic_net *net)
{
	u8 bitmap[LMNIC_VLAN_BITMAP_SIZE] = {};
	unsigned int vid;

	for_each_set_bit(vid, net->active_vlans, VLAN_N_VID)
		bitmap[vid / 8] |= BIT(vid % 8);
	return lmnic_aq_vport(net->ld, LMNIC_AQ_SET_VLAN_FILTER, net->vport,
			      bitmap, sizeof(bitmap));
}

static int lmnic_vlan_rx_add_vid(struct net_device *netdev, __be16 proto,
				 u16 vid)
{
	struct lmnic_net *net = netdev_priv(netdev);
	int err;

	set_bit(vid, net->active_vlans);
	if (!netif_running(netdev))
		return 0;
	err = lmnic_set_vlan_filter(net);
	if (err)
		clear_bit(vid, net->active_vlans);
	return err;
}

static int lmnic_vlan_rx_kill_vid(struct net_device *netdev, __be16 proto,
				  u16 vid)
{
	struct lmnic_net *net = netdev_priv(netdev);

	clear_bit(vid, net->active_vlans);
	if (!netif_running(netdev))
		return 0;
	return lmnic_set_vlan_filter(net);
}

/* The unicast and multicast lists become the vport's MAC filter. */
static void lmnic_rx_mode_work(struct work_struct *work)
{
	struct lmnic_net *net = container_of(work, struct lmnic_net,
					     rx_mode_work);
	struct net_device *netdev = net->netdev;
	struct lmnic_mac_filter f[LMNIC_MAX_MAC_FILTERS] = {};
	struct netdev_hw_addr *ha;
	bool overflow = false;
	unsigned int n = 0;

	rtnl_lock();
	if (!netif_running(netdev) || net->mig_stopped)
		goto out;

	netif_addr_lock_bh(netdev);
	netdev_for_each_uc_addr(ha, netdev) {
		if (n == ARRAY_SIZE(f)) {
			overflow = true;
			break;
		}
		ether_addr_copy(f[n].addr, ha->addr);
		f[n++].flags = cpu_to_le16(LMNIC_MACF_VALID);
	}
	netdev_for_each_mc_addr(ha, netdev) {
		if (n == ARRAY_SIZE(f)) {
			overflow = true;
			break;
		}
		ether_addr_copy(f[n].addr, ha->addr);
		f[n++].flags = cpu_to_le16(LMNIC_MACF_VALID);
	}
	netif_addr_unlock_bh(netdev);

	/* More addresses than filters: take all multicast instead. */
	net->filter_overflow = overflow;
	if (lmnic_aq_vport(net->ld, LMNIC_AQ_SET_MAC_FILTERS, net->vport, f,
			   n * sizeof(f[0])) ||
	    lmnic_vport_config(net, LMNIC_AQ_SET_CONFIG))
		netdev_warn(netdev, "cannot update the RX filters\n");
out:
	rtnl_unlock();
}

static void lmnic_set_rx_mode(struct net_device *netdev)
{
	struct lmnic_net *net = netdev_priv(netdev);

	schedule_work(&net->rx_mode_work);
}

int lmnic_up(struct lmnic_net *net)
{
	struct net_device *netdev = net->netdev;
	int err;

	net->rx_buf_len = lmnic_rx_buf_len(netdev->mtu);
	err = netif_set_real_num_tx_queues(netdev, net->num_qp);
	if (!err)
		err = netif_set_real_num_rx_queues(netdev, net->num_qp);
	if (err)
		return err;

	err = lmnic_vport_config(net, LMNIC_AQ_VPORT_ENABLE);
	if (err)
		return err;
	err = lmnic_set_rss(net);
	if (!err)
		err = lmnic_set_vlan_filter(net);
	if (err)
		goto err_disable;
	err = lmnic_qps_up(net);
	if (err)
		goto err_disable;

	netif_tx_start_all_queues(netdev);
	if (lmnic_rd32(net->ld, LMNIC_REG_STATUS) & LMNIC_STATUS_LINK)
		netif_carrier_on(netdev);
	lmnic_set_rx_mode(netdev);
	return 0;

err_disable:
	lmnic_aq_vport(net->ld, LMNIC_AQ_VPORT_DISABLE, net->vport, NULL, 0);
	return err;
}

/*
 * Take the vport's datapath down: NAPI off first, so that no TX completion
 * wakes a queue the stack is being stopped on; then the stack's queues,
 * the adapter's vport (unless a migration stopped it: it keeps its state
 * until it resumes), and the queue pairs. RTNL.
 */
void lmnic_down(struct lmnic_net *net)
{
	struct net_device *netdev = net->netdev;

	netif_carrier_off(netdev);
	lmnic_qps_napi_disable(net);
	netif_tx_disable(netdev);
	if (!net->mig_stopped)
		lmnic_aq_vport(net->ld, LMNIC_AQ_VPORT_DISABLE, net->vport, NULL, 0);
	lmnic_qps_down(net);
}

/*
 * A migration stops the vport's traffic, its queue pairs staying: the
 * stack's queues stop, and no TX completion may start them again. NAPI is
 * cycled so that every poll after this one sees mig_stopped. RTNL.
 */
void lmnic_stop_datapath(struct lmnic_net *net)
{
	bool napi[LMNIC_MAX_QP] = {};
	u16 i;

	WRITE_ONCE(net->mig_stopped, true);
	if (!netif_running(net->netdev))
		return;
	netif_carrier_off(net->netdev);
	for (i = 0; i < LMNIC_MAX_QP; i++)
		napi[i] = net->qps[i] && net->qps[i]->napi_enabled;
	lmnic_qps_napi_disable(net);
	netif_tx_disable(net->netdev);
	for (i = 0; i < LMNIC_MAX_QP; i++) {
		if (napi[i]) {
			napi_enable(&net->qps[i]->napi);
			net->qps[i]->napi_enabled = true;
		}
	}
}

static int lmnic_open(struct net_device *netdev)
{
	struct lmnic_net *net = netdev_priv(netdev);
	int err;

	if (net->mig_stopped) {
		netdev_err(netdev, "the vport is stopped for migration\n");
		return -EBUSY;
	}
	err = lmnic_up(net);
	if (err)
		netdev_err(netdev, "cannot bring the vport up: %pe\n",
			   ERR_PTR(err));
	return err;
}

static int lmnic_stop(struct net_device *netdev)
{
	lmnic_down(netdev_priv(netdev));
	return 0;
}

/*
 * Apply a new queue or ring layout: down with the old one, up with the new
 * one; if that fails, back up with the old one. Called under RTNL.
 */
int lmnic_reconfigure(struct lmnic_net *net, u16 num_qp, u16 tx_size,
		      u16 rx_size)
{
	u16 old_qp = net->num_qp, old_tx = net->tx_ring_size;
	u16 old_rx = net->rx_ring_size;
	bool running = netif_running(net->netdev);
	int err;

	if (net->mig_stopped)
		return -EBUSY;
	if (running)
		lmnic_down(net);
	net->num_qp = num_qp;
	net->tx_ring_size = tx_size;
	net->rx_ring_size = rx_size;
	if (!netif_is_rxfh_configured(net->netdev))
		lmnic_rss_default_table(net);
	if (!running)
		return 0;

	err = lmnic_up(net);
	if (!err)
		return 0;
	net->num_qp = old_qp;
	net->tx_ring_size = old_tx;
	net->rx_ring_size = old_rx;
	if (!netif_is_rxfh_configured(net->netdev))
		lmnic_rss_default_table(net);
	if (lmnic_up(net))
		netdev_err(net->netdev, "cannot restore the previous queues\n");
	return err;
}

static int lmnic_change_mtu(struct net_device *netdev, int mtu)
{
	struct lmnic_net *net = netdev_priv(netdev);
	int old = netdev->mtu;
	int err;

	if (net->mig_adopting) {
		/* the loaded block has it already; its queues come at resume */
		WRITE_ONCE(netdev->mtu, mtu);
		return 0;
	}
	if (net->mig_stopped)
		return -EBUSY;
	if (!netif_running(netdev)) {
		WRITE_ONCE(netdev->mtu, mtu);
		return 0;
	}
	lmnic_down(net);
	WRITE_ONCE(netdev->mtu, mtu);
	err = lmnic_up(net);
	if (err) {
		WRITE_ONCE(netdev->mtu, old);
		if (lmnic_up(net))
			netdev_err(netdev, "cannot restore MTU %d\n", old);
	}
	return err;
}

static int lmnic_set_mac(struct net_device *netdev, void *p)
{
	struct lmnic_net *net = netdev_priv(netdev);
	struct sockaddr *addr = p;
	u8 old[ETH_ALEN];
	int err;

	err = eth_prepare_mac_addr_change(netdev, p);
	if (err)
		return err;
	if (net->mig_stopped && !net->mig_adopting)
		return -EBUSY;
	ether_addr_copy(old, netdev->dev_addr);
	eth_commit_mac_addr_change(netdev, p);
	if (!netif_running(netdev) || net->mig_adopting)
		return 0;	/* (a loaded block has the address already) */
	err = lmnic_vport_config(net, LMNIC_AQ_SET_CONFIG);
	if (err) {
		eth_hw_addr_set(netdev, old);
		netdev_err(netdev, "adapter refused MAC %pM: %pe\n",
			   addr->sa_data, ERR_PTR(err));
	}
	return err;
}

static int lmnic_set_features(struct net_device *netdev,
			      netdev_features_t features)
{
	struct lmnic_net *net = netdev_priv(netdev);
	netdev_features_t old = netdev->features;
	int err;

	if (!((features ^ old) & (NETIF_F_RXCSUM | NETIF_F_HW_VLAN_CTAG_FILTER)) ||
	    !netif_running(netdev))
		return 0;
	netdev->features = features;
	err = lmnic_vport_config(net, LMNIC_AQ_SET_CONFIG);
	netdev->features = old;
	return err;
}

/*
 * The vport's adapter counters the netdev's totals take go back to zero
 * when its block does (adapter reset, a LOAD): add them to the totals
 * first. RTNL.
 */
/*
 * What the vport's block counted, read while the adapter still answers
 * (nothing of a dead one: what it counted since the last read is lost).
 */
void lmnic_cnt_snap(struct lmnic_net *net, struct lmnic_cnt_snap *snap)
{
	struct lmnic_sm_counters __iomem *c = net->cnt;
	struct lmnic_hw_totals *now = &snap->totals;
	struct lmnic_dev *ld = net->ld;
	int i;

	memset(snap, 0, sizeof(*snap));
	if (test_bit(LMNIC_F_DEAD, &ld->flags))
		return;
	for (i = 0; i < LMNIC_MAX_QP; i++) {
		now->rx_missed += lmnic_sm_rd64(ld, &c->q[i].rx_no_buffer);
		now->tx_errors += lmnic_sm_rd64(ld, &c->q[i].tx_errors);
	}
	now->multicast = lmnic_sm_rd64(ld, &c->rx_multicast);
	now->rx_length = lmnic_sm_rd64(ld, &c->rx_oversize);
	now->rx_crc = lmnic_sm_rd64(ld, &c->rx_csum_bad);
	now->rx_dropped = lmnic_sm_rd64(ld, &c->rx_vlan_drop);
	lmnic_ethtool_snap(net, snap->hw);
}

/* SNAP joins the netdev's totals: the block it was read from is cleared. */
void lmnic_cnt_fold(struct lmnic_net *net, const struct lmnic_cnt_snap *snap)
{
	const struct lmnic_hw_totals *now = &snap->totals;
	unsigned int i;

	spin_lock_bh(&net->stats_lock);
	net->hw_base.rx_missed += now->rx_missed;
	net->hw_base.tx_errors += now->tx_errors;
	net->hw_base.multicast += now->multicast;
	net->hw_base.rx_length += now->rx_length;
	net->hw_base.rx_crc += now->rx_crc;
	net->hw_base.rx_dropped += now->rx_dropped;
	for (i = 0; i < LMNIC_ETHTOOL_HW_STATS; i++)
		net->ethtool_base[i] += snap->hw[i];
	spin_unlock_bh(&net->stats_lock);
}

/*
 * The vport's adapter counters the netdev's totals take go back to zero
 * when its block does (adapter reset, a LOAD): add them to the totals
 * first. RTNL.
 */
void lmnic_fold_hw_counters(struct lmnic_net *net)
{
	struct lmnic_cnt_snap snap;

	lmnic_cnt_snap(net, &snap);
	lmnic_cnt_fold(net, &snap);
}

/*
 * Before a reset clears state memory: the counters of every vport whose
 * block nothing keeps (lmnic_mig_keeps_block()) join their netdev's
 * totals, once per reset (lmnic_aq_start() takes the mark away). RTNL.
 */
void lmnic_fold_adapter_counters(struct lmnic_dev *ld)
{
	u16 v;

	ASSERT_RTNL();
	if (test_and_set_bit(LMNIC_F_CNT_FOLDED, &ld->flags))
		return;
	for (v = 0; v < ld->num_vports; v++)
		if (ld->netdevs[v] && !lmnic_mig_keeps_block(ld, v))
			lmnic_fold_hw_counters(netdev_priv(ld->netdevs[v]));
}

/*
 * Totals since the netdev was made: those of queue pairs and adapter
 * blocks gone (lmnic_qps_down(), lmnic_fold_hw_counters()) and those of
 * the ones there now. Any context; never goes back.
 */
static void lmnic_get_stats64(struct net_device *netdev,
			      struct rtnl_link_stats64 *s)
{
	struct lmnic_net *net = netdev_priv(netdev);
	struct lmnic_dev *ld = net->ld;
	struct lmnic_sm_counters __iomem *c = net->cnt;
	struct lmnic_qp_totals t;
	struct lmnic_hw_totals hw;
	u16 i;

	for (i = 0; i < LMNIC_MAX_QP; i++) {
		lmnic_qp_totals(net, i, &t);
		s->tx_packets += t.tx_packets;
		s->tx_bytes += t.tx_bytes;
		s->rx_packets += t.rx_packets;
		s->rx_bytes += t.rx_bytes;
	}
	spin_lock_bh(&net->stats_lock);
	hw = net->hw_base;
	spin_unlock_bh(&net->stats_lock);
	for (i = 0; i < LMNIC_MAX_QP; i++) {
		s->rx_missed_errors += lmnic_sm_rd64(ld, &c->q[i].rx_no_buffer);
		s->tx_errors += lmnic_sm_rd64(ld, &c->q[i].tx_errors);
	}
	s->rx_missed_errors += hw.rx_missed;
	s->tx_errors += hw.tx_errors;
	s->multicast = hw.multicast + lmnic_sm_rd64(ld, &c->rx_multicast);
	s->rx_length_errors = hw.rx_length + lmnic_sm_rd64(ld, &c->rx_oversize);
	s->rx_crc_errors = hw.rx_crc + lmnic_sm_rd64(ld, &c->rx_csum_bad);
	s->rx_dropped = hw.rx_dropped + lmnic_sm_rd64(ld, &c->rx_vlan_drop);
	s->rx_errors = s->rx_length_errors + s->rx_crc_errors;
}

/*
 * The watchdog runs with the queues' locks held, and lmnic_down() stops the
 * queues (taking the same locks) before the queue pairs go: QP is there.
 */
static void lmnic_tx_timeout(struct net_device *netdev, unsigned int txq)
{
	struct lmnic_net *net = netdev_priv(netdev);
	struct lmnic_qp *qp = READ_ONCE(net->qps[txq]);

	atomic64_inc(&net->tx_timeouts);
	netdev_err(netdev, "TX queue %u timed out: next_to_use %u next_to_clean %u\n",
		   txq, qp ? READ_ONCE(qp->tx.next_to_use) : 0,
		   qp ? READ_ONCE(qp->tx.next_to_clean) : 0);
	lmnic_err_report(net->ld, LMNIC_ERR_REASON_TX_TIMEOUT, net->vport, txq);
}

#ifndef LMNIC_HAVE_SET_NETDEV_DEVLINK_PORT
/* before 6.2 the stack asks for the port; later it is the netdev's own */
static struct devlink_port *lmnic_get_devlink_port(struct net_device *netdev)
{
	return &((struct lmnic_net *)netdev_priv(netdev))->dl_port;
}
#endif

static const struct net_device_ops lmnic_netdev_ops = {
	.ndo_open = lmnic_open,
	.ndo_stop = lmnic_stop,
	.ndo_start_xmit = lmnic_xmit,
	.ndo_set_rx_mode = lmnic_set_rx_mode,
	.ndo_set_mac_address = lmnic_set_mac,
	.ndo_change_mtu = lmnic_change_mtu,
	.ndo_set_features = lmnic_set_features,
	.ndo_get_stats64 = lmnic_get_stats64,
	.ndo_tx_timeout = lmnic_tx_timeout,
	.ndo_vlan_rx_add_vid = lmnic_vlan_rx_add_vid,
	.ndo_vlan_rx_kill_vid = lmnic_vlan_rx_kill_vid,
	.ndo_validate_addr = eth_validate_addr,
#ifndef LMNIC_HAVE_SET_NETDEV_DEVLINK_PORT
	.ndo_get_devlink_port = lmnic_get_devlink_port,
#endif
};

static int lmnic_netdev_create(struct lmnic_dev *ld, u16 vport)
{
	struct net_device *netdev;
	struct lmnic_net *net;
	u8 mac[ETH_ALEN];
	int err;

	netdev = alloc_etherdev_mqs(sizeof(*net), LMNIC_MAX_QP, LMNIC_MAX_QP);
	if (!netdev)
		return -ENOMEM;
	SET_NETDEV_DEV(netdev, lmnic_to_dev(ld));
	net = netdev_priv(netdev);
	net->netdev = netdev;
	net->ld = ld;
	net->vport = vport;
	net->num_qp = min_t(u16, ld->max_qp, netif_get_num_default_rss_queues());
	net->tx_ring_size = LMNIC_DEFAULT_RING;
	net->rx_ring_size = LMNIC_DEFAULT_RING;
	net->itr_us = LMNIC_DEFAULT_ITR_US;
	net->cnt = (void __iomem *)(ld->state + LMNIC_SM_VPORT_BASE +
				    (u64)vport * ld->vport_block +
				    LMNIC_SM_OFF_COUNTERS);
	netdev_rss_key_fill(net->rss_key, sizeof(net->rss_key));
	lmnic_rss_default_table(net);
	spin_lock_init(&net->stats_lock);
	INIT_WORK(&net->rx_mode_work, lmnic_rx_mode_work);

	/* vport N uses the adapter's base MAC address plus N */
	u64_to_ether_addr(ether_addr_to_u64(ld->base_mac) + vport, mac);
	if (!is_valid_ether_addr(mac))
		eth_random_addr(mac);
	eth_hw_addr_set(netdev, mac);

	netdev->netdev_ops = &lmnic_netdev_ops;
	lmnic_set_ethtool_ops(netdev);
	netdev->watchdog_timeo = 5 * HZ;
	netdev->min_mtu = LMNIC_MIN_MTU;
	netdev->max_mtu = LMNIC_MAX_MTU;
	netdev->hw_features = NETIF_F_SG | NETIF_F_HW_CSUM | NETIF_F_RXCSUM |
			      NETIF_F_RXHASH | NETIF_F_HW_VLAN_CTAG_FILTER;
	netdev->features = netdev->hw_features;
	netdev->priv_flags |= IFF_UNICAST_FLT | IFF_LIVE_ADDR_CHANGE;
	netif_set_real_num_tx_queues(netdev, net->num_qp);
	netif_set_real_num_rx_queues(netdev, net->num_qp);
	netif_carrier_off(netdev);
	netdev->dev_port = vport;

	err = lmnic_devlink_port_register(net);
	if (err) {
		free_netdev(netdev);
		return err;
	}
#ifdef LMNIC_HAVE_SET_NETDEV_DEVLINK_PORT
	SET_NETDEV_DEVLINK_PORT(netdev, &net->dl_port);
#endif
	err = register_netdev(netdev);
	if (err) {
		lmnic_devlink_port_unregister(net);
		free_netdev(netdev);
		return err;
	}
#ifndef LMNIC_HAVE_SET_NETDEV_DEVLINK_PORT
	devlink_port_type_eth_set(&net->dl_port, netdev);
#endif
	ld->netdevs[vport] = netdev;
	return 0;
}

static void lmnic_netdev_destroy(struct lmnic_dev *ld, u16 vport)
{
	struct net_device *netdev = ld->netdevs[vport];
	struct lmnic_net *net = netdev_priv(netdev);

#ifndef LMNIC_HAVE_SET_NETDEV_DEVLINK_PORT
	devlink_port_type_clear(&net->dl_port);
#endif
	unregister_netdev(netdev);
	cancel_work_sync(&net->rx_mode_work);
	ld->netdevs[vport] = NULL;
	lmnic_devlink_port_unregister(net);
	free_netdev(netdev);
}

int lmnic_netdevs_create(struct lmnic_dev *ld)
{
	int err;
	u16 v;

	for (v = 0; v < ld->num_vports; v++) {
		err = lmnic_netdev_create(ld, v);
		if (err)
			goto err_destroy;
	}
	return 0;

err_destroy:
	while (v--)
		lmnic_netdev_destroy(ld, v);
	return err;
}

void lmnic_netdevs_destroy(struct lmnic_dev *ld)
{
	u16 v = ld->num_vports;

	while (v--)
		if (ld->netdevs[v])
			lmnic_netdev_destroy(ld, v);
}
