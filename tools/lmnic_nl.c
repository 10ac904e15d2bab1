// SPDX-License-Identifier: GPL-2.0
/* lmnic tools: talking to the lmnic generic netlink family with libnl. */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/lmnic.h>
#include <linux/netlink.h>

#include "lmnic_cli.h"
#include "lmnic_nl.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

int lmnic_nl_open(struct lmnic_nl *nl)
{
	int one = 1;

	memset(nl, 0, sizeof(*nl));
	nl->sk = nl_socket_alloc();
	if (!nl->sk)
		return -ENOMEM;
	if (genl_connect(nl->sk)) {
		nl_socket_free(nl->sk);
		return -ECONNREFUSED;
	}
	/* error messages (extack) and no echo of the request in errors */
	setsockopt(nl_socket_get_fd(nl->sk), SOL_NETLINK, NETLINK_EXT_ACK,
		   &one, sizeof(one));
	setsockopt(nl_socket_get_fd(nl->sk), SOL_NETLINK, NETLINK_CAP_ACK,
		   &one, sizeof(one));
	nl_socket_set_buffer_size(nl->sk, 1 << 20, 1 << 20);
	nl->family = genl_ctrl_resolve(nl->sk, LMNIC_FAMILY_NAME);
	if (nl->family < 0) {
		nl_socket_free(nl->sk);
		return -ENOENT;
	}
	return 0;
}

void lmnic_nl_close(struct lmnic_nl *nl)
{
	nl_socket_free(nl->sk);
}

struct nl_msg *lmnic_nl_msg(struct lmnic_nl *nl, int cmd, int flags)
{
	struct nl_msg *msg = nlmsg_alloc();

	if (msg && !genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, nl->family, 0,
				flags, cmd, LMNIC_FAMILY_VERSION)) {
		nlmsg_free(msg);
		msg = NULL;
	}
	return msg;
}

int lmnic_nl_put_dev(struct nl_msg *msg, const char *dev, int a_ifindex,
		     int a_name, int a_vport)
{
	char name[32];
	const char *slash;
	unsigned int idx;
	uint32_t vport;

	if (strchr(dev, ':')) {
		slash = strchr(dev, '/');
		if (slash && lmnic_cli_u32(NULL, NULL, slash + 1, 0, 0,
					   UINT32_MAX, &vport))
			return -EINVAL;
		snprintf(name, sizeof(name), "%.*s",
			 slash ? (int)(slash - dev) : (int)strlen(dev), dev);
		nla_put_string(msg, a_name, name);
		if (slash && a_vport >= 0)
			nla_put_u32(msg, a_vport, vport);
		return 0;
	}
	idx = if_nametoindex(dev);
	if (!idx)
		return -ENODEV;
	nla_put_u32(msg, a_ifindex, idx);
	return 0;
}

struct lmnic_nl_call {
	struct lmnic_nl *nl;
	int err;
	int done;
};

static int lmnic_nl_err_cb(struct sockaddr_nl *who, struct nlmsgerr *e,
			   void *arg)
{
	struct lmnic_nl_call *call = arg;
	struct nlmsghdr *nlh = (struct nlmsghdr *)((char *)e - NLMSG_HDRLEN);
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
	int off = NLMSG_HDRLEN + sizeof(*e);

	(void)who;
	call->err = e->error;
	call->done = 1;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - NLMSG_HDRLEN;
	if ((nlh->nlmsg_flags & NLM_F_ACK_TLVS) && (int)nlh->nlmsg_len > off &&
	    !nla_parse(tb, NLMSGERR_ATTR_MAX, (struct nlattr *)((char *)nlh + off),
		       nlh->nlmsg_len - off, NULL) && tb[NLMSGERR_ATTR_MSG])
		snprintf(call->nl->err, sizeof(call->nl->err), "%s",
			 nla_get_string(tb[NLMSGERR_ATTR_MSG]));
	return NL_STOP;
}

static int lmnic_nl_ack_cb(struct nl_msg *msg, void *arg)
{
	struct lmnic_nl_call *call = arg;

	(void)msg;
	call->done = 1;
	return NL_STOP;
}

/* The end of a dump: it carries the dump's error, and its extack, if any. */
static int lmnic_nl_done_cb(struct nl_msg *msg, void *arg)
{
	struct lmnic_nl_call *call = arg;
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
	int off = NLMSG_HDRLEN + sizeof(int);
	int err;

	call->done = 1;
	if (nlh->nlmsg_len < (unsigned int)off)
		return NL_STOP;
	memcpy(&err, nlmsg_data(nlh), sizeof(err));
	call->err = err;
	if (err && (nlh->nlmsg_flags & NLM_F_ACK_TLVS) &&
	    (int)nlh->nlmsg_len > off &&
	    !nla_parse(tb, NLMSGERR_ATTR_MAX, (struct nlattr *)((char *)nlh + off),
		       nlh->nlmsg_len - off, NULL) && tb[NLMSGERR_ATTR_MSG])
		snprintf(call->nl->err, sizeof(call->nl->err), "%s",
			 nla_get_string(tb[NLMSGERR_ATTR_MSG]));
	return NL_STOP;
}

int lmnic_nl_run(struct lmnic_nl *nl, struct nl_msg *msg,
		 int (*cb)(struct nl_msg *, void *), void *arg)
{
	struct lmnic_nl_call call = { .nl = nl };
	struct nl_cb *c = nl_cb_alloc(NL_CB_DEFAULT);
	int err;

	nl->err[0] = 0;
	if (!c) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	if (cb)
		nl_cb_set(c, NL_CB_VALID, NL_CB_CUSTOM, cb, arg);
	nl_cb_err(c, NL_CB_CUSTOM, lmnic_nl_err_cb, &call);
	nl_cb_set(c, NL_CB_ACK, NL_CB_CUSTOM, lmnic_nl_ack_cb, &call);
	nl_cb_set(c, NL_CB_FINISH, NL_CB_CUSTOM, lmnic_nl_done_cb, &call);
	err = nl_send_auto(nl->sk, msg);
	nlmsg_free(msg);
	while (err >= 0 && !call.done) {
		err = nl_recvmsgs(nl->sk, c);
		if (err < 0 && !call.err)
			call.err = -EIO;
	}
	nl_cb_put(c);
	if (err < 0 && !call.err)
		return -EIO;
	/* genetlink's answer to a command the family does not have */
	if (call.err == -EOPNOTSUPP && !nl->err[0])
		snprintf(nl->err, sizeof(nl->err), "the driver does not know "
			 "this command: a driver of another version?");
	return call.err;
}
