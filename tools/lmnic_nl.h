/* SPDX-License-Identifier: GPL-2.0 */
/* lmnic tools: talking to the lmnic generic netlink family with libnl. */
#ifndef LMNIC_TOOLS_NL_H
#define LMNIC_TOOLS_NL_H

#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>

struct lmnic_nl {
	struct nl_sock *sk;
	int family;
	char err[256];		/* the kernel's extack message, if any */
};

int lmnic_nl_open(struct lmnic_nl *nl);
void lmnic_nl_close(struct lmnic_nl *nl);

/* A request for CMD (NLM_F_DUMP in FLAGS for dumps). */
struct nl_msg *lmnic_nl_msg(struct lmnic_nl *nl, int cmd, int flags);

/*
 * Name a device in MSG: DEV is a netdev ("eth1"), an adapter's PCI address
 * ("0000:00:01.0") or a PCI address and vport ("0000:00:01.0/2").
 * A_VPORT < 0: the command takes no vport. Returns 0, -ENODEV, or -EINVAL
 * for a vport that is not a number.
 */
int lmnic_nl_put_dev(struct nl_msg *msg, const char *dev, int a_ifindex,
		     int a_name, int a_vport);

/* Send MSG (consumed), call CB for each reply; 0 or a negative errno. */
int lmnic_nl_run(struct lmnic_nl *nl, struct nl_msg *msg,
		 int (*cb)(struct nl_msg *, void *), void *arg);

/* The attributes of a reply of the family, parsed against MAX. */
int lmnic_nl_parse(struct nl_msg *msg, struct nlattr **tb, int max);

#endif
