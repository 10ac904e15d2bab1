/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lmnic: differences between the kernels lmnic supports (6.1 .. 6.12).
 * The Makefile probes the kernel's headers and defines LMNIC_HAVE_*.
 */
#ifndef _LMNIC_COMPAT_H_
#define _LMNIC_COMPAT_H_

#include <linux/ethtool.h>
#include <linux/netlink.h>
#include <linux/string.h>

#ifdef LMNIC_HAVE_LINUX_UNALIGNED
#include <linux/unaligned.h>
#else
#include <asm/unaligned.h>
#endif

#ifndef LMNIC_HAVE_ETHTOOL_PUTS
static inline void ethtool_puts(u8 **data, const char *str)
{
	strscpy(*data, str, ETH_GSTRING_LEN);
	*data += ETH_GSTRING_LEN;
}
#endif

#include <net/genetlink.h>
#include <net/netdev_queues.h>

#ifndef __netif_txq_completed_wake
/* 6.1 has the wake helper, not its BQL-reporting form */
#define __netif_txq_completed_wake(txq, pkts, bytes, get_desc, start_thrs,	\
				   down_cond)				\
	({								\
		struct netdev_queue *_txq = (txq);			\
									\
		netdev_tx_completed_queue(_txq, pkts, bytes);		\
		__netif_txq_maybe_wake(_txq, get_desc, start_thrs, down_cond); \
	})
#endif

#ifndef LMNIC_HAVE_GENL_SPLIT_OPS
/*
 * The generated ops table (lmnic_nl_gen.c) is in split-ops form; before
 * split ops, lmnic_nl.c folds it into one genl_ops per command.
 */
struct genl_split_ops {
	int (*doit)(struct sk_buff *skb, struct genl_info *info);
	int (*dumpit)(struct sk_buff *skb, struct netlink_callback *cb);
	const struct nla_policy *policy;
	unsigned int maxattr;
	u8 cmd;
	u8 flags;
};
#endif

/* The request attributes of a dump. */
static inline struct nlattr **lmnic_nl_dump_attrs(struct netlink_callback *cb)
{
#ifdef LMNIC_HAVE_GENL_INFO_DUMP
	return genl_info_dump(cb)->attrs;
#else
	return genl_dumpit_info(cb)->attrs;
#endif
}

#if !defined(NL_SET_ERR_MSG_FMT) || !defined(NL_SET_ERR_MSG_FMT_MOD)
/*
 * Before 6.3 an extack holds only a pointer to a message that must outlive
 * the request's handler (the reply is built after it returns). Formatted
 * messages go to a ring of buffers shared by all requests: a buffer is
 * written again only after LMNIC_EXTACK_SLOTS later messages, long after
 * the reply that points to it went out; no request shares one with
 * another that runs at the same time.
 */
#define LMNIC_EXTACK_SLOTS	256
#define LMNIC_EXTACK_LEN	128
char *lmnic_extack_slot(void);

#define lmnic_extack_fmt(extack, prefix, fmt, args...) do {		\
	struct netlink_ext_ack *__ea = (extack);			\
	char *__msg;							\
									\
	if (!__ea)							\
		break;							\
	__msg = lmnic_extack_slot();					\
	snprintf(__msg, LMNIC_EXTACK_LEN, prefix fmt, ##args);		\
	__ea->_msg = __msg;						\
} while (0)
#endif

#ifndef NL_SET_ERR_MSG_FMT_MOD
#define NL_SET_ERR_MSG_FMT_MOD(extack, fmt, args...)			\
	lmnic_extack_fmt(extack, KBUILD_MODNAME ": ", fmt, ##args)
#endif

#ifndef NL_SET_ERR_MSG_FMT
#define NL_SET_ERR_MSG_FMT(extack, fmt, args...)			\
	lmnic_extack_fmt(extack, "", fmt, ##args)
#endif

#endif /* _LMNIC_COMPAT_H_ */
