/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause) */
/* Do not edit directly, auto-generated from: */
/*	Documentation/netlink/specs/lmnic.yaml */
/* YNL-GEN kernel header */

#ifndef _LINUX_LMNIC_GEN_H
#define _LINUX_LMNIC_GEN_H

#include <net/netlink.h>
#include <net/genetlink.h>

#include <uapi/linux/lmnic.h>

/* Ops table for lmnic */
extern const struct genl_split_ops lmnic_nl_ops[13];

int lmnic_nl_dev_get_doit(struct sk_buff *skb, struct genl_info *info);
int lmnic_nl_dev_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb);
int lmnic_nl_conn_add_doit(struct sk_buff *skb, struct genl_info *info);
int lmnic_nl_conn_del_doit(struct sk_buff *skb, struct genl_info *info);
int lmnic_nl_conn_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb);
int lmnic_nl_err_dump_get_dumpit(struct sk_buff *skb,
				 struct netlink_callback *cb);
int lmnic_nl_err_dump_clear_doit(struct sk_buff *skb, struct genl_info *info);
int lmnic_nl_vport_state_extract_dumpit(struct sk_buff *skb,
					struct netlink_callback *cb);
int lmnic_nl_vport_state_restore_doit(struct sk_buff *skb,
				      struct genl_info *info);
int lmnic_nl_vport_resume_doit(struct sk_buff *skb, struct genl_info *info);
int lmnic_nl_vport_abort_doit(struct sk_buff *skb, struct genl_info *info);
int lmnic_nl_vport_finish_doit(struct sk_buff *skb, struct genl_info *info);
int lmnic_nl_mig_status_doit(struct sk_buff *skb, struct genl_info *info);

enum {
	LMNIC_NLGRP_ERRORS,
};

#endif /* _LINUX_LMNIC_GEN_H */
