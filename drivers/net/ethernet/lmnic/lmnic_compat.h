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

#ifndef NL_SET_ERR_MSG_FMT_MOD
/*
 * 6.1's extack has no room of its own for a formatted message; each call
 * site formats into a buffer of its own instead.
 */
#define NL_SET_ERR_MSG_FMT_MOD(extack, fmt, args...) do {		\
	static char __lmnic_msg[96];					\
	struct netlink_ext_ack *__ea = (extack);			\
									\
	if (__ea) {							\
		snprintf(__lmnic_msg, sizeof(__lmnic_msg),		\
			 KBUILD_MODNAME ": " fmt, ##args);		\
		__ea->_msg = __lmnic_msg;				\
	}								\
} while (0)
#endif

#ifndef NL_SET_ERR_MSG_FMT
/*
 * Before 6.3 an extack holds only a static message: format into a buffer of
 * this call site. Callers hold RTNL, and the message is read when the
 * request is answered.
 */
#define NL_SET_ERR_MSG_FMT(extack, fmt, args...) do {			\
	static char __lmnic_msg[128];					\
	struct netlink_ext_ack *__extack = (extack);			\
									\
	if (!__extack)							\
		break;							\
	snprintf(__lmnic_msg, sizeof(__lmnic_msg), fmt, ##args);	\
	__extack->_msg = __lmnic_msg;					\
} while (0)
#endif

#endif /* _LMNIC_COMPAT_H_ */
