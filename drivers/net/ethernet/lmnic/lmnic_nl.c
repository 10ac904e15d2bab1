// SPDX-License-Identifier: GPL-2.0
/*
 * lmnic: the "lmnic" generic netlink family
 *
 * Policies and the ops table are generated from
 * Documentation/netlink/specs/lmnic.yaml into lmnic_nl_gen.[ch]; this file
 * has the handlers and the family. Every command needs CAP_NET_ADMIN, and
 * so does joining the errors group.
 */

#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sched.h>
#include <net/genetlink.h>
#include <net/sock.h>
#include <net/netlink.h>

#include <uapi/linux/lmnic_dump.h>

#include "lmnic.h"
#include "lmnic_compat.h"
#include "lmnic_nl_gen.h"

#ifdef LMNIC_EXTACK_SLOTS
char *lmnic_extack_slot(void)
{
	static char slots[LMNIC_EXTACK_SLOTS][LMNIC_EXTACK_LEN];
	static atomic_t next = ATOMIC_INIT(0);

	return slots[(unsigned int)atomic_inc_return(&next) % LMNIC_EXTACK_SLOTS];
}
#endif

/*
 * Adapters the family can reach. lmnic_devs_lock protects the list and is
 * held by the requests that do not sleep long (dev-get, connections,
 * dumps); a migration request pins its adapter instead and holds the
 * adapter's nl_lock (lmnic_nl_mig_get()).
 */
static LIST_HEAD(lmnic_devs);
static DEFINE_MUTEX(lmnic_devs_lock);

void lmnic_nl_dev_add(struct lmnic_dev *ld)
{
	ld->nl_gone = false;	/* after a devlink reload */
	mutex_lock(&lmnic_devs_lock);
	list_add_tail(&ld->nl_list, &lmnic_devs);
	mutex_unlock(&lmnic_devs_lock);
}

/*
 * Removal: no new request finds the adapter; those that pinned it see it
 * gone once the migrations are torn down, under the lock they hold; wait
 * for the last to let go.
 */
void lmnic_nl_dev_del(struct lmnic_dev *ld)
{
	mutex_lock(&lmnic_devs_lock);
	list_del(&ld->nl_list);
	mutex_unlock(&lmnic_devs_lock);

	mutex_lock(&ld->nl_lock);
	ld->nl_gone = true;
	lmnic_mig_fini(ld);
	mutex_unlock(&ld->nl_lock);
	wait_var_event(&ld->nl_users, !atomic_read(&ld->nl_users));
}

/**
 * lmnic_nl_dev_release - the family lets go of the adapter for a reload
 * @ld: adapter
 * @extack: why not
 *
 * As at removal, except that a migration is not undone: while a vport is
 * in one, the reload is refused. The check and the adapter's release are
 * one step under nl_lock, which every migration request holds.
 *
 * Return: 0, or -EBUSY while a vport is in a migration.
 */
int lmnic_nl_dev_release(struct lmnic_dev *ld, struct netlink_ext_ack *extack)
{
	u16 v;

	mutex_lock(&ld->nl_lock);
	for (v = 0; v < ld->num_vports; v++) {
		if (ld->mig[v].state != LMNIC_MIG_NONE) {
			mutex_unlock(&ld->nl_lock);
			NL_SET_ERR_MSG_FMT_MOD(extack,
					       "vport %u is in a migration: finish, resume or abort it first",
					       v);
			return -EBUSY;
		}
	}
	ld->nl_gone = true;
	mutex_unlock(&ld->nl_lock);

	mutex_lock(&lmnic_devs_lock);
	list_del(&ld->nl_list);
	mutex_unlock(&lmnic_devs_lock);
	wait_var_event(&ld->nl_users, !atomic_read(&ld->nl_users));
	return 0;
}

/*
 * The adapter, and with it every vport, is the initial namespace's; a
 * vport whose netdev went to another namespace is that one's too, and no
 * other namespace sees it.
 */
static bool lmnic_nl_vport_in(struct lmnic_dev *ld, u32 v, struct net *ns)
{
	struct net_device *netdev = ld->netdevs[v];

	return net_eq(ns, &init_net) ||
	       (netdev && net_eq(dev_net(netdev), ns));
}

/* Under lmnic_devs_lock: the adapter named NAME. */
static struct lmnic_dev *lmnic_nl_by_name(const char *name)
{
	struct lmnic_dev *ld;

	list_for_each_entry(ld, &lmnic_devs, nl_list)
		if (!strcmp(pci_name(ld->pdev), name))
			return ld;
	return NULL;
}

/* Under lmnic_devs_lock: the adapter and vport of a netdev of NS. */
static struct lmnic_dev *lmnic_nl_by_ifindex(struct net *ns, u32 ifindex,
					     u32 *vport)
{
	struct net_device *netdev = dev_get_by_index(ns, ifindex);
	struct lmnic_dev *ld, *found = NULL;
	u16 v;

	if (!netdev)
		return NULL;
	list_for_each_entry(ld, &lmnic_devs, nl_list)
		for (v = 0; v < ld->num_vports; v++)
			if (ld->netdevs[v] == netdev) {
				found = ld;
				*vport = v;
			}
	dev_put(netdev);
	return found;
}

/*
 * Resolve the device attributes of a request: IFINDEX, or DEV_NAME and
 * VPORT. Without NEED_VPORT a DEV_NAME alone names the adapter (*vport is
 * U32_MAX). Under lmnic_devs_lock.
 */
static struct lmnic_dev *lmnic_nl_dev(struct net *ns, struct nlattr **tb,
				      int a_ifindex, int a_name, int a_vport,
				      bool need_vport, u32 *vport,
				      struct netlink_ext_ack *extack)
{
	struct lmnic_dev *ld;

	*vport = U32_MAX;
	if (tb[a_ifindex]) {
		ld = lmnic_nl_by_ifindex(ns, nla_get_u32(tb[a_ifindex]), vport);
		if (!ld)
			NL_SET_ERR_MSG_ATTR(extack, tb[a_ifindex],
					    "no lmnic vport has this ifindex");
		return ld;
	}
	if (!tb[a_name]) {
		NL_SET_ERR_MSG(extack, "name a vport (ifindex) or an adapter (dev-name)");
		return NULL;
	}
	ld = lmnic_nl_by_name(nla_data(tb[a_name]));
	if (!ld) {
		NL_SET_ERR_MSG_ATTR(extack, tb[a_name], "no lmnic adapter at this address");
		return NULL;
	}
	if (a_vport >= 0 && tb[a_vport]) {
		*vport = nla_get_u32(tb[a_vport]);
		/* another namespace's vport is not there, as far as NS goes */
		if (*vport >= ld->num_vports || !lmnic_nl_vport_in(ld, *vport, ns)) {
			NL_SET_ERR_MSG_ATTR(extack, tb[a_vport],
					    "no such vport in this network namespace");
			return NULL;
		}
	} else if (need_vport) {
		NL_SET_ERR_MSG(extack, "dev-name needs a vport");
		return NULL;
	} else if (!net_eq(ns, &init_net)) {
		NL_SET_ERR_MSG(extack,
			       "the whole adapter is the initial network namespace's: name a vport");
		return NULL;
	}
	return ld;
}

static bool lmnic_nl_has_conns(struct lmnic_dev *ld, u32 v,
			       struct netlink_ext_ack *extack)
{
	if (v < ld->num_conn_tables)
		return true;
	NL_SET_ERR_MSG(extack, "the adapter offloads no connections");
	return false;
}

/* ---- dev-get ----------------------------------------------------------- */

static int lmnic_nl_fill_dev(struct sk_buff *skb, struct lmnic_dev *ld, u16 v,
			     u32 portid, u32 seq, int flags)
{
	struct net_device *netdev = ld->netdevs[v];
	void *hdr;

	hdr = genlmsg_put(skb, portid, seq, &lmnic_nl_family, flags,
			  LMNIC_CMD_DEV_GET);
	if (!hdr)
		return -EMSGSIZE;
	if ((netdev && nla_put_u32(skb, LMNIC_A_DEV_IFINDEX, netdev->ifindex)) ||
	    nla_put_string(skb, LMNIC_A_DEV_DEV_NAME, pci_name(ld->pdev)) ||
	    nla_put_u32(skb, LMNIC_A_DEV_VPORT, v) ||
	    nla_put_u64_64bit(skb, LMNIC_A_DEV_SERIAL, ld->serial, LMNIC_A_DEV_PAD) ||
	    nla_put_u32(skb, LMNIC_A_DEV_HW_VERSION, ld->hw_version) ||
	    nla_put_u32(skb, LMNIC_A_DEV_LAYOUT_VERSION, ld->layout_version) ||
	    nla_put_u32(skb, LMNIC_A_DEV_VPORTS, ld->num_vports) ||
	    nla_put_u64_64bit(skb, LMNIC_A_DEV_STATE_SIZE, ld->state_size,
			      LMNIC_A_DEV_PAD) ||
	    nla_put_u32(skb, LMNIC_A_DEV_VPORT_STATE_SIZE, ld->vport_block) ||
	    nla_put_u32(skb, LMNIC_A_DEV_CONN_CAPACITY, ld->conn_capacity) ||
	    nla_put_u32(skb, LMNIC_A_DEV_ERR_DUMPS, lmnic_dump_count(pci_name(ld->pdev))) ||
	    nla_put_u32(skb, LMNIC_A_DEV_CAPS, ld->caps))
		goto err_cancel;
	if (v < ld->num_conn_tables &&
	    (nla_put_u32(skb, LMNIC_A_DEV_CONN_MAX, ld->conns[v].slots) ||
	     nla_put_u32(skb, LMNIC_A_DEV_CONN_COUNT, ld->conns[v].count)))
		goto err_cancel;
	if (test_bit(LMNIC_F_DEAD, &ld->flags) && nla_put_flag(skb, LMNIC_A_DEV_DEAD))
		goto err_cancel;
	genlmsg_end(skb, hdr);
	return 0;

err_cancel:
	genlmsg_cancel(skb, hdr);
	return -EMSGSIZE;
}

int lmnic_nl_dev_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct lmnic_dev *ld;
	struct sk_buff *msg;
	u32 v;
	int err;

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	mutex_lock(&lmnic_devs_lock);
	ld = lmnic_nl_dev(genl_info_net(info), info->attrs, LMNIC_A_DEV_IFINDEX,
			  LMNIC_A_DEV_DEV_NAME, LMNIC_A_DEV_VPORT, false, &v,
			  info->extack);
	if (!ld) {
		err = -ENODEV;
		goto err_unlock;
	}
	err = lmnic_nl_fill_dev(msg, ld, v == U32_MAX ? 0 : v, info->snd_portid,
				info->snd_seq, 0);
	if (err)
		goto err_unlock;
	mutex_unlock(&lmnic_devs_lock);
	return genlmsg_reply(msg, info);

err_unlock:
	mutex_unlock(&lmnic_devs_lock);
	nlmsg_free(msg);
	return err;
}

/* cb->args: [0] adapters done, [1] vports of the current adapter done */
int lmnic_nl_dev_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct nlattr **tb = lmnic_nl_dump_attrs(cb);
	struct lmnic_dev *ld, *only = NULL;
	u32 only_vport = U32_MAX;
	long idx = 0;
	int err = 0;

	mutex_lock(&lmnic_devs_lock);
	if (tb[LMNIC_A_DEV_IFINDEX] || tb[LMNIC_A_DEV_DEV_NAME]) {
		only = lmnic_nl_dev(sock_net(skb->sk), tb, LMNIC_A_DEV_IFINDEX,
				    LMNIC_A_DEV_DEV_NAME, -1, false, &only_vport,
				    cb->extack);
		if (!only) {
			mutex_unlock(&lmnic_devs_lock);
			return -ENODEV;
		}
	}
	list_for_each_entry(ld, &lmnic_devs, nl_list) {
		if (idx++ < cb->args[0] || (only && ld != only))
			continue;
		for (; cb->args[1] < ld->num_vports; cb->args[1]++) {
			if ((only_vport != U32_MAX && cb->args[1] != only_vport) ||
			    !lmnic_nl_vport_in(ld, cb->args[1], sock_net(skb->sk)))
				continue;
			err = lmnic_nl_fill_dev(skb, ld, cb->args[1],
						NETLINK_CB(cb->skb).portid,
						cb->nlh->nlmsg_seq, NLM_F_MULTI);
			if (err)
				goto out;
		}
		cb->args[0] = idx;
		cb->args[1] = 0;
	}
out:
	mutex_unlock(&lmnic_devs_lock);
	return err == -EMSGSIZE && skb->len ? skb->len : err ?: skb->len;
}

/* ---- connections ------------------------------------------------------- */

/*
 * Connections come and go while a vport runs, also during a pre-copy
 * (the delta carries the changes); not once a migration stopped it.
 */
static bool lmnic_nl_mig_stopped(struct lmnic_dev *ld, u16 v,
				 struct netlink_ext_ack *extack)
{
	u32 state = READ_ONCE(ld->mig[v].state);

	if (state == LMNIC_MIG_NONE || state == LMNIC_MIG_PRECOPY)
		return false;
	NL_SET_ERR_MSG(extack, "the vport is stopped for migration");
	return true;
}

int lmnic_nl_conn_add_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr **tb = info->attrs;
	struct lmnic_conn c = {};
	u32 v, id = LMNIC_CONN_ID_ANY, actions, alen;
	struct lmnic_dev *ld;
	struct sk_buff *msg;
	void *hdr;
	int err;

	if (GENL_REQ_ATTR_CHECK(info, LMNIC_A_CONN_FAMILY) ||
	    GENL_REQ_ATTR_CHECK(info, LMNIC_A_CONN_PROTO) ||
	    GENL_REQ_ATTR_CHECK(info, LMNIC_A_CONN_SRC) ||
	    GENL_REQ_ATTR_CHECK(info, LMNIC_A_CONN_DST) ||
	    GENL_REQ_ATTR_CHECK(info, LMNIC_A_CONN_SPORT) ||
	    GENL_REQ_ATTR_CHECK(info, LMNIC_A_CONN_DPORT))
		return -EINVAL;

	c.key.family = nla_get_u8(tb[LMNIC_A_CONN_FAMILY]);
	if (c.key.family != LMNIC_CONN_FAMILY_IPV4 &&
	    c.key.family != LMNIC_CONN_FAMILY_IPV6) {
		NL_SET_ERR_MSG_ATTR(info->extack, tb[LMNIC_A_CONN_FAMILY],
				    "family must be 4 or 6");
		return -EINVAL;
	}
	c.key.proto = nla_get_u8(tb[LMNIC_A_CONN_PROTO]);
	if (c.key.proto != IPPROTO_TCP && c.key.proto != IPPROTO_UDP) {
		NL_SET_ERR_MSG_ATTR(info->extack, tb[LMNIC_A_CONN_PROTO],
				    "proto must be TCP (6) or UDP (17)");
		return -EINVAL;
	}
	alen = c.key.family == LMNIC_CONN_FAMILY_IPV4 ? 4 : 16;
	if (nla_len(tb[LMNIC_A_CONN_SRC]) != alen) {
		NL_SET_ERR_MSG_ATTR(info->extack, tb[LMNIC_A_CONN_SRC],
				    "address length does not match the family");
		return -EINVAL;
	}
	if (nla_len(tb[LMNIC_A_CONN_DST]) != alen) {
		NL_SET_ERR_MSG_ATTR(info->extack, tb[LMNIC_A_CONN_DST],
				    "address length does not match the family");
		return -EINVAL;
	}
	nla_memcpy(c.key.src, tb[LMNIC_A_CONN_SRC], alen);
	nla_memcpy(c.key.dst, tb[LMNIC_A_CONN_DST], alen);
	c.key.sport = nla_get_be16(tb[LMNIC_A_CONN_SPORT]);
	c.key.dport = nla_get_be16(tb[LMNIC_A_CONN_DPORT]);

	/* the uapi action bits are the adapter's */
	actions = tb[LMNIC_A_CONN_ACTIONS] ?
		  nla_get_u32(tb[LMNIC_A_CONN_ACTIONS]) : LMNIC_CONN_ACTION_COUNT;
	if (!actions ||
	    ((actions & LMNIC_CONN_ACTION_DROP) &&
	     (actions & (LMNIC_CONN_ACTION_STEER | LMNIC_CONN_ACTION_MARK)))) {
		NL_SET_ERR_MSG(info->extack,
			       "actions: drop excludes steer and mark; give at least one");
		return -EINVAL;
	}
	if ((actions & LMNIC_CONN_ACTION_STEER) && !tb[LMNIC_A_CONN_QUEUE]) {
		NL_SET_ERR_MSG(info->extack, "steer needs a queue");
		return -EINVAL;
	}
	if ((actions & LMNIC_CONN_ACTION_MARK) && !tb[LMNIC_A_CONN_MARK]) {
		NL_SET_ERR_MSG(info->extack, "mark needs a mark");
		return -EINVAL;
	}
	c.actions = cpu_to_le16(actions);
	if (tb[LMNIC_A_CONN_QUEUE])
		c.queue = cpu_to_le16(nla_get_u32(tb[LMNIC_A_CONN_QUEUE]));
	if (tb[LMNIC_A_CONN_MARK])
		c.mark = cpu_to_le32(nla_get_u32(tb[LMNIC_A_CONN_MARK]));
	if (tb[LMNIC_A_CONN_ID])
		id = nla_get_u32(tb[LMNIC_A_CONN_ID]);
	lmnic_conn_set_owner(&c, LMNIC_CONN_SRC_NETLINK);

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	mutex_lock(&lmnic_devs_lock);
	ld = lmnic_nl_dev(genl_info_net(info), tb, LMNIC_A_CONN_IFINDEX,
			  LMNIC_A_CONN_DEV_NAME, LMNIC_A_CONN_VPORT, true, &v,
			  info->extack);
	if (!ld) {
		err = -ENODEV;
		goto err_unlock;
	}
	if (!lmnic_nl_has_conns(ld, v, info->extack)) {
		err = -EOPNOTSUPP;
		goto err_unlock;
	}
	if ((actions & LMNIC_CONN_ACTION_STEER) && ld->netdevs[v] &&
	    le16_to_cpu(c.queue) >= ((struct lmnic_net *)netdev_priv(ld->netdevs[v]))->num_qp) {
		NL_SET_ERR_MSG_ATTR(info->extack, tb[LMNIC_A_CONN_QUEUE],
				    "the vport has no such queue");
		err = -EINVAL;
		goto err_unlock;
	}
	if (lmnic_nl_mig_stopped(ld, v, info->extack)) {
		err = -EBUSY;
		goto err_unlock;
	}
	err = lmnic_conn_add(ld, v, &c, id, &id, info->extack);
	mutex_unlock(&lmnic_devs_lock);
	if (err)
		goto err_free;

	hdr = genlmsg_put_reply(msg, info, &lmnic_nl_family, 0, LMNIC_CMD_CONN_ADD);
	if (!hdr || nla_put_u32(msg, LMNIC_A_CONN_VPORT, v) ||
	    nla_put_u32(msg, LMNIC_A_CONN_ID, id)) {
		err = -EMSGSIZE;
		goto err_free;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);

err_unlock:
	mutex_unlock(&lmnic_devs_lock);
err_free:
	nlmsg_free(msg);
	return err;
}

int lmnic_nl_conn_del_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct lmnic_dev *ld;
	u32 v;
	int err;

	if (GENL_REQ_ATTR_CHECK(info, LMNIC_A_CONN_ID))
		return -EINVAL;
	mutex_lock(&lmnic_devs_lock);
	ld = lmnic_nl_dev(genl_info_net(info), info->attrs, LMNIC_A_CONN_IFINDEX,
			  LMNIC_A_CONN_DEV_NAME, LMNIC_A_CONN_VPORT, true, &v,
			  info->extack);
	if (!ld)
		err = -ENODEV;
	else if (!lmnic_nl_has_conns(ld, v, info->extack))
		err = -EOPNOTSUPP;
	else if (lmnic_nl_mig_stopped(ld, v, info->extack))
		err = -EBUSY;
	else
		err = lmnic_conn_del(ld, v, nla_get_u32(info->attrs[LMNIC_A_CONN_ID]),
				     info->extack);
	mutex_unlock(&lmnic_devs_lock);
	return err;
}

static int lmnic_nl_fill_conn(struct sk_buff *skb, struct lmnic_dev *ld, u16 v,
			      const struct lmnic_conn *c,
			      struct netlink_callback *cb)
{
	u32 alen = c->key.family == LMNIC_CONN_FAMILY_IPV4 ? 4 : 16;
	struct net_device *netdev = ld->netdevs[v];
	char comm[sizeof(c->owner_comm) + 1] = {};
	void *hdr;

	hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
			  &lmnic_nl_family, NLM_F_MULTI, LMNIC_CMD_CONN_GET);
	if (!hdr)
		return -EMSGSIZE;
	memcpy(comm, c->owner_comm, sizeof(c->owner_comm));
	if ((netdev && nla_put_u32(skb, LMNIC_A_CONN_IFINDEX, netdev->ifindex)) ||
	    nla_put_string(skb, LMNIC_A_CONN_DEV_NAME, pci_name(ld->pdev)) ||
	    nla_put_u32(skb, LMNIC_A_CONN_VPORT, v) ||
	    nla_put_u32(skb, LMNIC_A_CONN_ID, le32_to_cpu(c->id)) ||
	    nla_put_u8(skb, LMNIC_A_CONN_FAMILY, c->key.family) ||
	    nla_put_u8(skb, LMNIC_A_CONN_PROTO, c->key.proto) ||
	    nla_put(skb, LMNIC_A_CONN_SRC, alen, c->key.src) ||
	    nla_put(skb, LMNIC_A_CONN_DST, alen, c->key.dst) ||
	    nla_put_be16(skb, LMNIC_A_CONN_SPORT, c->key.sport) ||
	    nla_put_be16(skb, LMNIC_A_CONN_DPORT, c->key.dport) ||
	    nla_put_u32(skb, LMNIC_A_CONN_ACTIONS, le16_to_cpu(c->actions)) ||
	    nla_put_u32(skb, LMNIC_A_CONN_QUEUE, le16_to_cpu(c->queue)) ||
	    nla_put_u32(skb, LMNIC_A_CONN_MARK, le32_to_cpu(c->mark)) ||
	    nla_put_u32(skb, LMNIC_A_CONN_SOURCE, le16_to_cpu(c->source)) ||
	    nla_put_u32(skb, LMNIC_A_CONN_OWNER_PID, le32_to_cpu(c->owner_pid)) ||
	    nla_put_string(skb, LMNIC_A_CONN_OWNER_COMM, comm) ||
	    nla_put_u64_64bit(skb, LMNIC_A_CONN_PACKETS, le64_to_cpu(c->packets),
			      LMNIC_A_CONN_PAD) ||
	    nla_put_u64_64bit(skb, LMNIC_A_CONN_BYTES, le64_to_cpu(c->bytes),
			      LMNIC_A_CONN_PAD) ||
	    nla_put_u64_64bit(skb, LMNIC_A_CONN_LAST_HIT_NS,
			      le64_to_cpu(c->last_hit_ns), LMNIC_A_CONN_PAD) ||
	    nla_put_u64_64bit(skb, LMNIC_A_CONN_CREATED_NS,
			      le64_to_cpu(c->created_ns), LMNIC_A_CONN_PAD)) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

/* cb->args: [0] adapters done, [1] vport, [2] next connection id */
int lmnic_nl_conn_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct nlattr **tb = lmnic_nl_dump_attrs(cb);
	struct lmnic_dev *ld, *only = NULL;
	u32 only_vport = U32_MAX;
	struct lmnic_conn c;
	long idx = 0;
	int err = 0;

	mutex_lock(&lmnic_devs_lock);
	if (tb[LMNIC_A_CONN_IFINDEX] || tb[LMNIC_A_CONN_DEV_NAME]) {
		only = lmnic_nl_dev(sock_net(skb->sk), tb, LMNIC_A_CONN_IFINDEX,
				    LMNIC_A_CONN_DEV_NAME, LMNIC_A_CONN_VPORT,
				    false, &only_vport, cb->extack);
		if (!only) {
			mutex_unlock(&lmnic_devs_lock);
			return -ENODEV;
		}
	}
	list_for_each_entry(ld, &lmnic_devs, nl_list) {
		if (idx++ < cb->args[0] || (only && ld != only))
			continue;
		for (; cb->args[1] < ld->num_conn_tables; cb->args[1]++) {
			struct lmnic_conn_table *ct = &ld->conns[cb->args[1]];

			if ((only_vport != U32_MAX && cb->args[1] != only_vport) ||
			    !lmnic_nl_vport_in(ld, cb->args[1], sock_net(skb->sk)))
				continue;
			for (; cb->args[2] < ct->slots; cb->args[2]++) {
				if (lmnic_conn_read(ct, cb->args[2], &c))
					continue;
				err = lmnic_nl_fill_conn(skb, ld, cb->args[1], &c, cb);
				if (err)
					goto out;
			}
			cb->args[2] = 0;
		}
		cb->args[0] = idx;
		cb->args[1] = 0;
	}
out:
	mutex_unlock(&lmnic_devs_lock);
	return err == -EMSGSIZE && skb->len ? skb->len : err ?: skb->len;
}

/* ---- error dumps ------------------------------------------------------- */

/* The adapter a dump request names; it may be gone, only its name kept. */
static int lmnic_nl_dump_name(struct net *ns, struct nlattr **tb, char *name,
			      size_t len, struct netlink_ext_ack *extack)
{
	struct lmnic_dev *ld;
	u32 v;

	/* a dump holds every vport's connections */
	if (!net_eq(ns, &init_net)) {
		NL_SET_ERR_MSG(extack, "error dumps are read from the initial network namespace");
		return -EPERM;
	}
	if (tb[LMNIC_A_ERR_DUMP_DEV_NAME]) {
		nla_strscpy(name, tb[LMNIC_A_ERR_DUMP_DEV_NAME], len);
		return 0;
	}
	mutex_lock(&lmnic_devs_lock);
	ld = lmnic_nl_dev(ns, tb, LMNIC_A_ERR_DUMP_IFINDEX,
			  LMNIC_A_ERR_DUMP_DEV_NAME, -1, false, &v, extack);
	if (ld)
		strscpy(name, pci_name(ld->pdev), len);
	mutex_unlock(&lmnic_devs_lock);
	return ld ? 0 : -ENODEV;
}

/* cb->args: [0] dump id (resolved on the first call), [1] next offset */
int lmnic_nl_err_dump_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct nlattr **tb = lmnic_nl_dump_attrs(cb);
	struct lmnic_dump_ref d = {};
	char name[32];
	void *hdr;
	int err, room;
	u32 len;

	err = lmnic_nl_dump_name(sock_net(skb->sk), tb, name, sizeof(name),
				 cb->extack);
	if (err)
		return err;
	if (!cb->args[0])
		cb->args[0] = tb[LMNIC_A_ERR_DUMP_ID] ?
			      nla_get_u32(tb[LMNIC_A_ERR_DUMP_ID]) : 0;
	err = lmnic_dump_info(name, cb->args[0], &d);
	if (err) {
		NL_SET_ERR_MSG(cb->extack, "no such error dump");
		return err;
	}
	cb->args[0] = d.id;
	while (cb->args[1] < d.size) {
		struct nlattr *data;

		room = skb_tailroom(skb) - NLMSG_HDRLEN - GENL_HDRLEN - 128;
		if (room < 256)
			break;
		len = min_t(u32, d.size - cb->args[1], room & ~7);
		hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid,
				  cb->nlh->nlmsg_seq, &lmnic_nl_family,
				  NLM_F_MULTI, LMNIC_CMD_ERR_DUMP_GET);
		if (!hdr)
			break;
		if (nla_put_string(skb, LMNIC_A_ERR_DUMP_DEV_NAME, name) ||
		    nla_put_u32(skb, LMNIC_A_ERR_DUMP_ID, d.id) ||
		    nla_put_u32(skb, LMNIC_A_ERR_DUMP_REASON, d.reason) ||
		    nla_put_u64_64bit(skb, LMNIC_A_ERR_DUMP_TIME, d.time,
				      LMNIC_A_ERR_DUMP_PAD) ||
		    nla_put_u32(skb, LMNIC_A_ERR_DUMP_SIZE, d.size) ||
		    nla_put_u32(skb, LMNIC_A_ERR_DUMP_OFFSET, cb->args[1])) {
			genlmsg_cancel(skb, hdr);
			break;
		}
		data = nla_reserve(skb, LMNIC_A_ERR_DUMP_DATA, len);
		if (!data) {
			genlmsg_cancel(skb, hdr);
			break;
		}
		/* only this chunk is copied: a dump can be many MiB */
		err = lmnic_dump_read(name, d.id, cb->args[1], nla_data(data), len);
		if (err) {
			genlmsg_cancel(skb, hdr);
			NL_SET_ERR_MSG(cb->extack, "the error dump was cleared");
			return err;
		}
		genlmsg_end(skb, hdr);
		cb->args[1] += len;
	}
	return skb->len;
}

int lmnic_nl_err_dump_clear_doit(struct sk_buff *skb, struct genl_info *info)
{
	char name[32];
	u32 id = 0;
	int err;

	err = lmnic_nl_dump_name(genl_info_net(info), info->attrs, name,
				 sizeof(name), info->extack);
	if (err)
		return err;
	if (info->attrs[LMNIC_A_ERR_DUMP_ID])
		id = nla_get_u32(info->attrs[LMNIC_A_ERR_DUMP_ID]);
	if (!lmnic_dump_clear(name, id)) {
		NL_SET_ERR_MSG(info->extack, "no such error dump");
		return -ENOENT;
	}
	return 0;
}

/* ---- migration ----------------------------------------------------------- */

/*
 * The adapter and vport of a migration request, pinned: the request holds
 * the adapter's nl_lock until lmnic_nl_mig_put(), and removal waits for it
 * (lmnic_nl_dev_del()).
 */
static struct lmnic_dev *lmnic_nl_mig_get(struct net *ns, struct nlattr **tb,
					  u32 *v, struct netlink_ext_ack *extack)
{
	struct lmnic_dev *ld;

	mutex_lock(&lmnic_devs_lock);
	ld = lmnic_nl_dev(ns, tb, LMNIC_A_MIG_IFINDEX, LMNIC_A_MIG_DEV_NAME,
			  LMNIC_A_MIG_VPORT, true, v, extack);
	if (ld && !(ld->caps & LMNIC_CAP_MIGRATION)) {
		NL_SET_ERR_MSG(extack, "the adapter cannot migrate vport state");
		ld = NULL;
	}
	if (ld)
		atomic_inc(&ld->nl_users);
	mutex_unlock(&lmnic_devs_lock);
	if (!ld)
		return NULL;

	mutex_lock(&ld->nl_lock);
	if (!ld->nl_gone && !test_bit(LMNIC_F_DEAD, &ld->flags))
		return ld;
	if (ld->nl_gone)
		NL_SET_ERR_MSG(extack, "the adapter is going away");
	else
		NL_SET_ERR_MSG(extack, "the adapter does not answer");
	mutex_unlock(&ld->nl_lock);
	if (atomic_dec_and_test(&ld->nl_users))
		wake_up_var(&ld->nl_users);
	return NULL;
}

static void lmnic_nl_mig_put(struct lmnic_dev *ld)
{
	mutex_unlock(&ld->nl_lock);
	/* removal may free LD once this is zero */
	if (atomic_dec_and_test(&ld->nl_users))
		wake_up_var(&ld->nl_users);
}

/*
 * cb->args: [0] vport + 1 once the extract started, [1] next stream offset.
 * The adapter stays registered while a dump runs: removal unregisters the
 * family's users first (lmnic_nl_dev_del() waits for lmnic_devs_lock).
 */
/* One dumpit call of vport-state-extract; LD pinned. */
static int lmnic_nl_extract_fill(struct sk_buff *skb,
				 struct netlink_callback *cb,
				 struct lmnic_dev *ld, u32 v)
{
	struct nlattr **tb = lmnic_nl_dump_attrs(cb);
	u32 portid = NETLINK_CB(cb->skb).portid;
	struct net *ns = sock_net(skb->sk);
	u64 size;
	void *hdr;
	int err, room, n;

	if (!cb->args[0]) {
		err = lmnic_mig_extract_start(ld, v, ns, portid,
					      !!tb[LMNIC_A_MIG_PRECOPY],
					      cb->extack);
		if (err)
			return err;
		cb->args[0] = v + 1;
	}
	size = lmnic_mig_stream_size(ld, v);
	while (cb->args[1] < size) {
		struct nlattr *data;
		u32 len;

		room = skb_tailroom(skb) - NLMSG_HDRLEN - GENL_HDRLEN - 96;
		if (room < 1024)
			break;
		len = min_t(u64, size - cb->args[1], room & ~7);
		hdr = genlmsg_put(skb, portid, cb->nlh->nlmsg_seq,
				  &lmnic_nl_family, NLM_F_MULTI,
				  LMNIC_CMD_VPORT_STATE_EXTRACT);
		if (!hdr)
			break;
		if (nla_put_string(skb, LMNIC_A_MIG_DEV_NAME, pci_name(ld->pdev)) ||
		    nla_put_u32(skb, LMNIC_A_MIG_VPORT, v) ||
		    nla_put_u64_64bit(skb, LMNIC_A_MIG_STREAM_SIZE, size,
				      LMNIC_A_MIG_PAD) ||
		    nla_put_u64_64bit(skb, LMNIC_A_MIG_OFFSET, cb->args[1],
				      LMNIC_A_MIG_PAD)) {
			genlmsg_cancel(skb, hdr);
			break;
		}
		data = nla_reserve(skb, LMNIC_A_MIG_DATA, len);
		if (!data) {
			genlmsg_cancel(skb, hdr);
			break;
		}
		n = lmnic_mig_extract_read(ld, v, ns, portid, cb->args[1],
					   nla_data(data), len);
		if (n != len) {
			genlmsg_cancel(skb, hdr);
			NL_SET_ERR_MSG(cb->extack, "the extract was aborted");
			return n < 0 ? n : -EIO;
		}
		genlmsg_end(skb, hdr);
		cb->args[1] += len;
	}
	return skb->len;
}

int lmnic_nl_vport_state_extract_dumpit(struct sk_buff *skb,
					struct netlink_callback *cb)
{
	struct lmnic_dev *ld;
	u32 v;
	int err;

	ld = lmnic_nl_mig_get(sock_net(skb->sk), lmnic_nl_dump_attrs(cb), &v,
			      cb->extack);
	if (!ld)
		return -ENODEV;
	err = lmnic_nl_extract_fill(skb, cb, ld, v);
	lmnic_nl_mig_put(ld);
	return err;
}

int lmnic_nl_vport_state_restore_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr **tb = info->attrs;
	struct lmnic_mig *m;
	struct lmnic_dev *ld;
	struct sk_buff *msg;
	const void *data = NULL;
	u32 v, len = 0;
	void *hdr;
	int err;

	if (GENL_REQ_ATTR_CHECK(info, LMNIC_A_MIG_OFFSET))
		return -EINVAL;
	if (tb[LMNIC_A_MIG_DATA]) {
		data = nla_data(tb[LMNIC_A_MIG_DATA]);
		len = nla_len(tb[LMNIC_A_MIG_DATA]);
	}
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	ld = lmnic_nl_mig_get(genl_info_net(info), tb, &v, info->extack);
	if (!ld) {
		nlmsg_free(msg);
		return -ENODEV;
	}
	err = lmnic_mig_restore(ld, v, genl_info_net(info), info->snd_portid,
				nla_get_u64(tb[LMNIC_A_MIG_OFFSET]), data, len,
				nla_get_flag(tb[LMNIC_A_MIG_COMMIT]), info->extack);
	if (err)
		goto err_free;

	m = &ld->mig[v];
	hdr = genlmsg_put_reply(msg, info, &lmnic_nl_family, 0,
				LMNIC_CMD_VPORT_STATE_RESTORE);
	if (!hdr || nla_put_u32(msg, LMNIC_A_MIG_VPORT, v) ||
	    nla_put_u32(msg, LMNIC_A_MIG_STATE, lmnic_mig_uapi_state(ld, v)) ||
	    nla_put_u64_64bit(msg, LMNIC_A_MIG_OFFSET, m->taken, LMNIC_A_MIG_PAD)) {
		err = -EMSGSIZE;
		goto err_free;
	}
	if (m->state == LMNIC_MIG_LOADED &&
	    (nla_put(msg, LMNIC_A_MIG_IMAGE_SHA256, sizeof(m->sha256), m->sha256) ||
	     nla_put_u64_64bit(msg, LMNIC_A_MIG_LOAD_NS, m->load_ns,
			       LMNIC_A_MIG_PAD))) {
		err = -EMSGSIZE;
		goto err_free;
	}
	lmnic_nl_mig_put(ld);
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);

err_free:
	lmnic_nl_mig_put(ld);
	nlmsg_free(msg);
	return err;
}

/* resume, abort, finish: only from the socket that holds the migration */
static int lmnic_nl_mig_op(struct genl_info *info,
			   int (*op)(struct lmnic_dev *ld, u16 v, struct net *ns,
				     u32 portid, struct netlink_ext_ack *extack))
{
	struct lmnic_dev *ld;
	u32 v;
	int err;

	ld = lmnic_nl_mig_get(genl_info_net(info), info->attrs, &v, info->extack);
	if (!ld)
		return -ENODEV;
	err = op(ld, v, genl_info_net(info), info->snd_portid, info->extack);
	lmnic_nl_mig_put(ld);
	return err;
}

int lmnic_nl_vport_resume_doit(struct sk_buff *skb, struct genl_info *info)
{
	return lmnic_nl_mig_op(info, lmnic_mig_resume);
}

int lmnic_nl_vport_abort_doit(struct sk_buff *skb, struct genl_info *info)
{
	return lmnic_nl_mig_op(info, lmnic_mig_abort);
}

int lmnic_nl_vport_finish_doit(struct sk_buff *skb, struct genl_info *info)
{
	return lmnic_nl_mig_op(info, lmnic_mig_finish);
}

/* mig-status of vport V of LD, pinned */
static int lmnic_nl_mig_status(struct genl_info *info, struct lmnic_dev *ld,
			       u32 v)
{
	struct net_device *netdev;
	struct lmnic_sm_config cfg;
	struct lmnic_sm_conn_hdr ch;
	bool dirty = false;
	u64 dirty_bytes;
	u32 dirty_slots;
	u8 digest[32];
	struct lmnic_mig *m;
	struct sk_buff *msg;
	u8 __iomem *b;
	u64 stream;
	void *hdr;
	int err;

	if (nla_get_flag(info->attrs[LMNIC_A_MIG_WANT_DIGEST])) {
		err = lmnic_mig_digest(ld, v, digest);
		if (err) {
			NL_SET_ERR_MSG(info->extack, "the adapter cannot digest the vport's state");
			return err;
		}
	}
	/* none outside a pre-copy, or from an adapter that cannot size it */
	if (nla_get_flag(info->attrs[LMNIC_A_MIG_WANT_DIRTY])) {
		err = lmnic_mig_dirty(ld, v, &dirty_bytes, &dirty_slots);
		if (err && err != -ENOENT && err != -EOPNOTSUPP) {
			NL_SET_ERR_MSG(info->extack, "the adapter cannot size the delta");
			return err;
		}
		dirty = !err;
	}
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;

	rtnl_lock();
	m = &ld->mig[v];
	netdev = ld->netdevs[v];
	b = ld->state + LMNIC_SM_VPORT_BASE + (u64)v * ld->vport_block;
	memcpy_fromio(&cfg, b + LMNIC_SM_OFF_CONFIG, sizeof(cfg));
	memcpy_fromio(&ch, b + LMNIC_SM_OFF_CONN, sizeof(ch));
	stream = m->stream_size;
	err = -EMSGSIZE;
	hdr = genlmsg_put_reply(msg, info, &lmnic_nl_family, 0, LMNIC_CMD_MIG_STATUS);
	if (!hdr ||
	    (netdev && nla_put_u32(msg, LMNIC_A_MIG_IFINDEX, netdev->ifindex)) ||
	    nla_put_string(msg, LMNIC_A_MIG_DEV_NAME, pci_name(ld->pdev)) ||
	    nla_put_u32(msg, LMNIC_A_MIG_VPORT, v) ||
	    nla_put_u32(msg, LMNIC_A_MIG_STATE, lmnic_mig_uapi_state(ld, v)) ||
	    nla_put_u32(msg, LMNIC_A_MIG_LAYOUT_VERSION, ld->layout_version) ||
	    nla_put_u32(msg, LMNIC_A_MIG_CAPS, ld->caps) ||
	    nla_put_u32(msg, LMNIC_A_MIG_VPORT_STATE_SIZE, ld->vport_block) ||
	    nla_put_u32(msg, LMNIC_A_MIG_CONN_CAPACITY, ld->conn_capacity) ||
	    nla_put_u32(msg, LMNIC_A_MIG_CONN_COUNT, le32_to_cpu(ch.count)) ||
	    nla_put(msg, LMNIC_A_MIG_MAC, ETH_ALEN, cfg.mac) ||
	    nla_put_u32(msg, LMNIC_A_MIG_MTU, le16_to_cpu(cfg.mtu)) ||
	    nla_put_u32(msg, LMNIC_A_MIG_QUEUES, le16_to_cpu(cfg.num_qp)) ||
	    nla_put_u64_64bit(msg, LMNIC_A_MIG_STREAM_SIZE, stream, LMNIC_A_MIG_PAD) ||
	    nla_put_u64_64bit(msg, LMNIC_A_MIG_OFFSET, m->taken, LMNIC_A_MIG_PAD) ||
	    nla_put_u64_64bit(msg, LMNIC_A_MIG_QUIESCE_NS, m->quiesce_ns,
			      LMNIC_A_MIG_PAD) ||
	    nla_put_u64_64bit(msg, LMNIC_A_MIG_SAVE_NS, m->save_ns, LMNIC_A_MIG_PAD) ||
	    nla_put_u64_64bit(msg, LMNIC_A_MIG_LOAD_NS, m->load_ns, LMNIC_A_MIG_PAD))
		goto err_unlock;
	if (v < ld->num_conn_tables &&
	    nla_put_u32(msg, LMNIC_A_MIG_CONN_MAX, ld->conns[v].slots))
		goto err_unlock;
	if (m->owner && nla_put_u32(msg, LMNIC_A_MIG_OWNER_PID, m->owner_pid))
		goto err_unlock;
	if (m->state != LMNIC_MIG_NONE &&
	    nla_put(msg, LMNIC_A_MIG_IMAGE_SHA256, sizeof(m->sha256), m->sha256))
		goto err_unlock;
	if (nla_get_flag(info->attrs[LMNIC_A_MIG_WANT_DIGEST]) &&
	    nla_put(msg, LMNIC_A_MIG_DIGEST, sizeof(digest), digest))
		goto err_unlock;
	if (dirty &&
	    (nla_put_u64_64bit(msg, LMNIC_A_MIG_DIRTY_BYTES, dirty_bytes, LMNIC_A_MIG_PAD) ||
	     nla_put_u32(msg, LMNIC_A_MIG_DIRTY_SLOTS, dirty_slots)))
		goto err_unlock;
	rtnl_unlock();
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);

err_unlock:
	rtnl_unlock();
	nlmsg_free(msg);
	return err;
}

int lmnic_nl_mig_status_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct lmnic_dev *ld;
	u32 v;
	int err;

	ld = lmnic_nl_mig_get(genl_info_net(info), info->attrs, &v, info->extack);
	if (!ld)
		return -ENODEV;
	err = lmnic_nl_mig_status(info, ld, v);
	lmnic_nl_mig_put(ld);
	return err;
}

/* A socket closed: undo the migrations it held. */
static int lmnic_nl_sock_event(struct notifier_block *nb, unsigned long event,
			       void *ptr)
{
	struct netlink_notify *n = ptr;
	struct lmnic_dev *ld;

	if (event != NETLINK_URELEASE || n->protocol != NETLINK_GENERIC ||
	    !n->portid)
		return NOTIFY_DONE;
	mutex_lock(&lmnic_devs_lock);
	list_for_each_entry(ld, &lmnic_devs, nl_list)
		lmnic_mig_release(ld, n->net, n->portid);
	mutex_unlock(&lmnic_devs_lock);
	return NOTIFY_DONE;
}

static struct notifier_block lmnic_nl_sock_nb = {
	.notifier_call = lmnic_nl_sock_event,
};

/* ---- the family -------------------------------------------------------- */

static const struct genl_multicast_group lmnic_nl_groups[] = {
	[LMNIC_NLGRP_ERRORS] = {
		.name = LMNIC_MCGRP_ERRORS,
		.flags = GENL_MCAST_CAP_NET_ADMIN,
	},
};

#ifdef LMNIC_HAVE_GENL_SPLIT_OPS
struct genl_family lmnic_nl_family __ro_after_init = {
	.name = LMNIC_FAMILY_NAME,
	.version = LMNIC_FAMILY_VERSION,
	.netnsok = true,
	.module = THIS_MODULE,
	.split_ops = lmnic_nl_ops,
	.n_split_ops = ARRAY_SIZE(lmnic_nl_ops),
	.mcgrps = lmnic_nl_groups,
	.n_mcgrps = ARRAY_SIZE(lmnic_nl_groups),
};

static int lmnic_nl_ops_init(void)
{
	return 0;
}
#else
/* Before split ops: one genl_ops per command, do and dump merged. */
static struct genl_ops lmnic_nl_legacy_ops[ARRAY_SIZE(lmnic_nl_ops)];

struct genl_family lmnic_nl_family __ro_after_init = {
	.name = LMNIC_FAMILY_NAME,
	.version = LMNIC_FAMILY_VERSION,
	.netnsok = true,
	.module = THIS_MODULE,
	.ops = lmnic_nl_legacy_ops,
	.resv_start_op = LMNIC_CMD_DEV_GET,
	.mcgrps = lmnic_nl_groups,
	.n_mcgrps = ARRAY_SIZE(lmnic_nl_groups),
};

static int lmnic_nl_ops_init(void)
{
	unsigned int i, j, n = 0;

	for (i = 0; i < ARRAY_SIZE(lmnic_nl_ops); i++) {
		const struct genl_split_ops *s = &lmnic_nl_ops[i];
		struct genl_ops *o = NULL;

		for (j = 0; j < n; j++)
			if (lmnic_nl_legacy_ops[j].cmd == s->cmd)
				o = &lmnic_nl_legacy_ops[j];
		if (!o) {
			o = &lmnic_nl_legacy_ops[n++];
			o->cmd = s->cmd;
		}
		if (s->doit)
			o->doit = s->doit;
		if (s->dumpit)
			o->dumpit = s->dumpit;
		o->flags |= s->flags & (GENL_ADMIN_PERM | GENL_UNS_ADMIN_PERM);
		/* a merged command validates with its larger policy */
		if (!o->policy || s->maxattr > o->maxattr) {
			o->policy = s->policy;
			o->maxattr = s->maxattr;
		}
	}
	lmnic_nl_family.n_ops = n;
	return 0;
}
#endif

/*
 * The namespaces to tell of an error of LD: the initial one, and each that
 * holds one of its vports. References taken; returns how many.
 */
static unsigned int lmnic_nl_err_nets(struct lmnic_dev *ld, struct net **nets)
{
	unsigned int n = 0, i;
	u16 v;

	nets[n++] = get_net(&init_net);
	rtnl_lock();
	for (v = 0; v < ld->num_vports; v++) {
		struct net *ns;

		if (!ld->netdevs[v])
			continue;
		ns = dev_net(ld->netdevs[v]);
		for (i = 0; i < n && !net_eq(nets[i], ns); i++)
			;
		if (i == n)
			nets[n++] = get_net(ns);
	}
	rtnl_unlock();
	return n;
}

void lmnic_nl_notify_err(struct lmnic_dev *ld, const struct lmnic_dump_ref *d)
{
	struct net *nets[LMNIC_MAX_VPORTS + 1];
	unsigned int n, i;
	struct sk_buff *msg;
	void *hdr;

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return;
	hdr = genlmsg_put(msg, 0, 0, &lmnic_nl_family, 0, LMNIC_CMD_ERR_NOTIFY);
	if (!hdr ||
	    nla_put_string(msg, LMNIC_A_ERR_DUMP_DEV_NAME, pci_name(ld->pdev)) ||
	    nla_put_u32(msg, LMNIC_A_ERR_DUMP_ID, d->id) ||
	    nla_put_u32(msg, LMNIC_A_ERR_DUMP_REASON, d->reason) ||
	    nla_put_u64_64bit(msg, LMNIC_A_ERR_DUMP_TIME, d->time,
			      LMNIC_A_ERR_DUMP_PAD) ||
	    nla_put_u32(msg, LMNIC_A_ERR_DUMP_SIZE, d->size)) {
		nlmsg_free(msg);
		return;
	}
	genlmsg_end(msg, hdr);
	n = lmnic_nl_err_nets(ld, nets);
	for (i = 0; i < n; i++) {
		struct sk_buff *one = i + 1 < n ? skb_clone(msg, GFP_KERNEL) : msg;

		if (one)
			genlmsg_multicast_netns(&lmnic_nl_family, nets[i], one, 0,
						LMNIC_NLGRP_ERRORS, GFP_KERNEL);
		put_net(nets[i]);
	}
}

int lmnic_nl_register(void)
{
	int err;

	lmnic_nl_ops_init();
	err = netlink_register_notifier(&lmnic_nl_sock_nb);
	if (err)
		return err;
	err = genl_register_family(&lmnic_nl_family);
	if (err)
		netlink_unregister_notifier(&lmnic_nl_sock_nb);
	return err;
}

void lmnic_nl_unregister(void)
{
	genl_unregister_family(&lmnic_nl_family);
	netlink_unregister_notifier(&lmnic_nl_sock_nb);
}
