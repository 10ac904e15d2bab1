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

/*
 * What a reply's attributes may be, one table per attribute set of the
 * family, generated from its spec (lmnic_nl_policy.c): an attribute's
 * payload is MIN_LEN to MAX_LEN bytes; a string ends with its NUL.
 */
enum lmnic_nl_type {
	LMNIC_NLT_U8 = 1,
	LMNIC_NLT_U16,
	LMNIC_NLT_U32,
	LMNIC_NLT_U64,
	LMNIC_NLT_STRING,
	LMNIC_NLT_BINARY,
	LMNIC_NLT_FLAG,
	LMNIC_NLT_PAD,
};

struct lmnic_nl_attr {
	const char *name;
	unsigned char type;
	unsigned short min_len, max_len;
};

struct lmnic_nl_set {
	const char *name;
	int max;
	const struct lmnic_nl_attr *attr;	/* [1..max] */
};

extern const struct lmnic_nl_set lmnic_nl_dev, lmnic_nl_conn,
	lmnic_nl_err_dump, lmnic_nl_mig;

/*
 * The attributes of a reply of the family into TB[0..SET->max], each
 * checked against SET: 0, or -EPROTO with why in WHY (LEN bytes), e.g.
 * "attribute mig.digest has 20 bytes, not 32". Attributes past SET->max
 * (from a newer driver) are skipped.
 */
int lmnic_nl_parse(struct nl_msg *msg, struct nlattr **tb,
		   const struct lmnic_nl_set *set, char *why, size_t len);

/* "set.attribute" for messages; "set.N" for one SET does not know. */
const char *lmnic_nl_attr_name(const struct lmnic_nl_set *set, int attr,
			       char *buf, size_t len);

#endif
