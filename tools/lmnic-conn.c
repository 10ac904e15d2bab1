// SPDX-License-Identifier: GPL-2.0
/*
 * lmnic-conn: offload connections to an lmnic vport through the lmnic
 * family, remove them and list them. See lmnic-conn(8).
 *
 * The whole command line is checked before the family is opened: a bad
 * number, address or protocol is refused (exit status 2) with nothing sent.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <linux/lmnic.h>

#include "lmnic_cli.h"
#include "lmnic_json.h"
#include "lmnic_nl.h"

#define TOOL "lmnic-conn"

static void usage(int code)
{
	fprintf(code ? stderr : stdout,
		"usage: lmnic-conn [-j] add DEV tcp|udp SRC SPORT DST DPORT [steer Q] [drop] [mark M] [count] [id N]\n"
		"       lmnic-conn del DEV ID\n"
		"       lmnic-conn [-j] list [DEV]\n"
		"       lmnic-conn [-j] dev [DEV]\n"
		"       lmnic-conn bulk DEV N DST [udp|tcp]\n"
		"       lmnic-conn -h | --help | -V | --version\n"
		"DEV: a vport's netdev, or PCI address/vport (0000:00:01.0/1).\n"
		"bulk offloads N connections SRC=198.18.0.0+i SPORT=1024+i%%60000\n"
		"DST DPORT=5000, counting only, and prints the rate.\n"
		"-j, --json: add, list and dev print JSON (one document a line).\n"
		"Exit: 0 done, 1 failed, 2 usage. See lmnic-conn(8).\n");
	exit(code);
}

/* The command line, checked whole before the family is opened. */
struct args {
	const char *dev;
	int proto;			/* IPPROTO_TCP or IPPROTO_UDP */
	int family;			/* add: 4 or 6 */
	unsigned char src[16], dst[16];
	uint32_t sport, dport;
	uint32_t actions, queue, mark, id;
	int has_id;
	uint32_t n;			/* bulk */
};

static int parse_proto(const char *s, int *proto)
{
	if (!strcmp(s, "tcp")) {
		*proto = IPPROTO_TCP;
		return 0;
	}
	if (!strcmp(s, "udp")) {
		*proto = IPPROTO_UDP;
		return 0;
	}
	fprintf(stderr, TOOL ": unknown protocol %s: tcp or udp\n", s);
	return -1;
}

/* An IPv4 or IPv6 address; FAMILY: 0 (either), 4 or 6, set to what S is. */
static int parse_addr(const char *what, const char *s, unsigned char *buf,
		      int *family)
{
	int af;

	if (inet_pton(AF_INET, s, buf) == 1)
		af = 4;
	else if (inet_pton(AF_INET6, s, buf) == 1)
		af = 6;
	else {
		fprintf(stderr, TOOL ": %s %s: not an IPv4 or IPv6 address\n",
			what, s);
		return -1;
	}
	if (*family && *family != af) {
		fprintf(stderr, TOOL ": %s %s: mixed IPv4 and IPv6 addresses\n",
			what, s);
		return -1;
	}
	*family = af;
	return 0;
}

static int parse_num(const char *what, const char *s, uint32_t *v)
{
	return lmnic_cli_u32(TOOL, what, s, 0, 0, UINT32_MAX, v);
}

static int parse_add(struct args *a, int argc, char **argv)
{
	int i;

	if (argc < 7)
		usage(LMNIC_EXIT_USAGE);
	a->dev = argv[1];
	if (lmnic_cli_dev(TOOL, a->dev) || parse_proto(argv[2], &a->proto) ||
	    parse_addr("SRC", argv[3], a->src, &a->family) ||
	    lmnic_cli_u32(TOOL, "SPORT", argv[4], 10, 0, 65535, &a->sport) ||
	    parse_addr("DST", argv[5], a->dst, &a->family) ||
	    lmnic_cli_u32(TOOL, "DPORT", argv[6], 10, 0, 65535, &a->dport))
		return -1;
	for (i = 7; i < argc; i++) {
		if (!strcmp(argv[i], "steer") && i + 1 < argc) {
			a->actions |= LMNIC_CONN_ACTION_STEER;
			if (parse_num("steer", argv[++i], &a->queue))
				return -1;
		} else if (!strcmp(argv[i], "mark") && i + 1 < argc) {
			a->actions |= LMNIC_CONN_ACTION_MARK;
			if (parse_num("mark", argv[++i], &a->mark))
				return -1;
		} else if (!strcmp(argv[i], "drop")) {
			a->actions |= LMNIC_CONN_ACTION_DROP;
		} else if (!strcmp(argv[i], "count")) {
			a->actions |= LMNIC_CONN_ACTION_COUNT;
		} else if (!strcmp(argv[i], "id") && i + 1 < argc) {
			if (parse_num("id", argv[++i], &a->id))
				return -1;
			a->has_id = 1;
		} else {
			fprintf(stderr, TOOL ": add: unknown or incomplete action %s\n",
				argv[i]);
			usage(LMNIC_EXIT_USAGE);
		}
	}
	return 0;
}

static int parse_del(struct args *a, int argc, char **argv)
{
	if (argc != 3)
		usage(LMNIC_EXIT_USAGE);
	a->dev = argv[1];
	return lmnic_cli_dev(TOOL, a->dev) || parse_num("ID", argv[2], &a->id) ?
	       -1 : 0;
}

/* list [DEV], dev [DEV] */
static int parse_dev_only(struct args *a, int argc, char **argv)
{
	if (argc > 2)
		usage(LMNIC_EXIT_USAGE);
	a->dev = argc > 1 ? argv[1] : NULL;
	return a->dev ? lmnic_cli_dev(TOOL, a->dev) : 0;
}

static int parse_bulk(struct args *a, int argc, char **argv)
{
	if (argc < 4 || argc > 5)
		usage(LMNIC_EXIT_USAGE);
	a->dev = argv[1];
	a->proto = IPPROTO_UDP;
	if (lmnic_cli_dev(TOOL, a->dev) || parse_num("N", argv[2], &a->n))
		return -1;
	if (inet_pton(AF_INET, argv[3], a->dst) != 1) {
		fprintf(stderr, TOOL ": DST %s: not an IPv4 address\n", argv[3]);
		return -1;
	}
	return argc > 4 ? parse_proto(argv[4], &a->proto) : 0;
}

static int use_json;
static struct lmnic_json json;

static int fail(struct lmnic_nl *nl, const char *what, int err)
{
	fprintf(stderr, "lmnic-conn: %s: %s%s%s\n", what, strerror(-err),
		nl->err[0] ? ": " : "", nl->err);
	return LMNIC_EXIT_FAIL;
}

/*
 * A request for the connection command CMD naming DEV (if not NULL), or
 * NULL, said, if there is no such device or no memory.
 */
static struct nl_msg *conn_msg(struct lmnic_nl *nl, int cmd, int flags,
			       const char *dev)
{
	struct nl_msg *msg = lmnic_nl_msg(nl, cmd, flags);

	if (!msg) {
		fprintf(stderr, "lmnic-conn: %s\n", strerror(ENOMEM));
		return NULL;
	}
	if (dev && lmnic_nl_put_dev(msg, dev, LMNIC_A_CONN_IFINDEX,
				    LMNIC_A_CONN_DEV_NAME, LMNIC_A_CONN_VPORT)) {
		fprintf(stderr, "lmnic-conn: no device %s\n", dev);
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

static int cmd_del(struct lmnic_nl *nl, const struct args *a)
{
	struct nl_msg *msg = conn_msg(nl, LMNIC_CMD_CONN_DEL, 0, a->dev);
	int err;

	if (!msg)
		return LMNIC_EXIT_FAIL;
	nla_put_u32(msg, LMNIC_A_CONN_ID, a->id);
	err = lmnic_nl_run(nl, msg, NULL, NULL);
	return err ? fail(nl, "del", err) : LMNIC_EXIT_OK;
}

/* -j: list, dev and add print JSON (lmnic_json.h) */

/*
 * What a reply callback learnt: set when the driver sent something this
 * tool cannot read (an attribute missing or of the wrong size: a driver of
 * another version), which fails the command.
 */
struct reply {
	const char *what;
	int bad;
};

/* Attributes of TB the tool needs: the first missing one, or -1. */
static int missing(struct nlattr **tb, const int *need, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!tb[need[i]])
			return need[i];
	return -1;
}

static void bad_reply(struct reply *r, const char *why)
{
	if (!r->bad)
		fprintf(stderr, TOOL ": %s: the driver's reply %s: a driver of "
			"another version?\n", r->what, why);
	r->bad = 1;
}

/*
 * Parse a reply of SET into TB and check it has the attributes NEED:
 * 0, or -1 with the reply reported bad.
 */
static int parse_reply(struct reply *r, struct nl_msg *msg, struct nlattr **tb,
		       const struct lmnic_nl_set *set, const int *need, size_t n)
{
	char why[160], name[64];
	int attr;

	if (lmnic_nl_parse(msg, tb, set, why, sizeof(why))) {
		bad_reply(r, why);
		return -1;
	}
	attr = missing(tb, need, n);
	if (attr >= 0) {
		snprintf(why, sizeof(why), "lacks attribute %s",
			 lmnic_nl_attr_name(set, attr, name, sizeof(name)));
		bad_reply(r, why);
		return -1;
	}
	return 0;
}

struct add_reply {
	struct reply r;
	unsigned int id;
};

static int add_reply_cb(struct nl_msg *msg, void *arg)
{
	static const int need[] = { LMNIC_A_CONN_ID };
	struct nlattr *tb[LMNIC_A_CONN_MAX + 1];
	struct add_reply *a = arg;

	if (!parse_reply(&a->r, msg, tb, &lmnic_nl_conn, need,
			 sizeof(need) / sizeof(need[0])))
		a->id = nla_get_u32(tb[LMNIC_A_CONN_ID]);
	return NL_OK;
}

static int cmd_add(struct lmnic_nl *nl, const struct args *a)
{
	int alen = a->family == 4 ? 4 : 16, err;
	struct nl_msg *msg;
	struct add_reply r = { .r.what = "add", .id = ~0U };

	msg = conn_msg(nl, LMNIC_CMD_CONN_ADD, 0, a->dev);
	if (!msg)
		return LMNIC_EXIT_FAIL;
	nla_put_u8(msg, LMNIC_A_CONN_PROTO, a->proto);
	nla_put(msg, LMNIC_A_CONN_SRC, alen, a->src);
	nla_put(msg, LMNIC_A_CONN_DST, alen, a->dst);
	nla_put_u8(msg, LMNIC_A_CONN_FAMILY, a->family);
	nla_put_u16(msg, LMNIC_A_CONN_SPORT, htons(a->sport));
	nla_put_u16(msg, LMNIC_A_CONN_DPORT, htons(a->dport));
	if (a->actions & LMNIC_CONN_ACTION_STEER)
		nla_put_u32(msg, LMNIC_A_CONN_QUEUE, a->queue);
	if (a->actions & LMNIC_CONN_ACTION_MARK)
		nla_put_u32(msg, LMNIC_A_CONN_MARK, a->mark);
	if (a->has_id)
		nla_put_u32(msg, LMNIC_A_CONN_ID, a->id);
	if (a->actions)
		nla_put_u32(msg, LMNIC_A_CONN_ACTIONS, a->actions);
	err = lmnic_nl_run(nl, msg, add_reply_cb, &r);
	if (err)
		return fail(nl, "add", err);
	if (r.r.bad)
		return LMNIC_EXIT_FAIL;
	if (r.id == ~0U) {
		bad_reply(&r.r, "is missing");
		return LMNIC_EXIT_FAIL;
	}
	if (use_json) {
		lmnic_json_obj_open(&json, NULL);
		lmnic_json_u64(&json, "id", r.id);
		lmnic_json_obj_close(&json);
		lmnic_json_end_line(&json);
	} else {
		printf("id %u\n", r.id);
	}
	return LMNIC_EXIT_OK;
}

static const char *const action_names[] = { "steer", "drop", "mark", "count" };

static void json_conn(struct nlattr **tb, const char *src, const char *dst,
		      uint32_t actions)
{
	unsigned int i;

	lmnic_json_obj_open(&json, NULL);
	lmnic_json_str(&json, "dev", nla_get_string(tb[LMNIC_A_CONN_DEV_NAME]));
	lmnic_json_u64(&json, "vport", nla_get_u32(tb[LMNIC_A_CONN_VPORT]));
	lmnic_json_u64(&json, "id", nla_get_u32(tb[LMNIC_A_CONN_ID]));
	lmnic_json_str(&json, "proto",
		       nla_get_u8(tb[LMNIC_A_CONN_PROTO]) == IPPROTO_TCP ? "tcp" : "udp");
	lmnic_json_str(&json, "src", src);
	lmnic_json_u64(&json, "sport", ntohs(nla_get_u16(tb[LMNIC_A_CONN_SPORT])));
	lmnic_json_str(&json, "dst", dst);
	lmnic_json_u64(&json, "dport", ntohs(nla_get_u16(tb[LMNIC_A_CONN_DPORT])));
	lmnic_json_arr_open(&json, "actions");
	for (i = 0; i < sizeof(action_names) / sizeof(action_names[0]); i++)
		if (actions & (1U << i))
			lmnic_json_str(&json, NULL, action_names[i]);
	lmnic_json_arr_close(&json);
	if (actions & LMNIC_CONN_ACTION_STEER)
		lmnic_json_u64(&json, "queue", tb[LMNIC_A_CONN_QUEUE] ?
			       nla_get_u32(tb[LMNIC_A_CONN_QUEUE]) : 0);
	if (actions & LMNIC_CONN_ACTION_MARK)
		lmnic_json_u64(&json, "mark", tb[LMNIC_A_CONN_MARK] ?
			       nla_get_u32(tb[LMNIC_A_CONN_MARK]) : 0);
	lmnic_json_obj_open(&json, "owner");
	lmnic_json_u64(&json, "pid", tb[LMNIC_A_CONN_OWNER_PID] ?
		       nla_get_u32(tb[LMNIC_A_CONN_OWNER_PID]) : 0);
	lmnic_json_str(&json, "comm", tb[LMNIC_A_CONN_OWNER_COMM] ?
		       nla_get_string(tb[LMNIC_A_CONN_OWNER_COMM]) : "");
	lmnic_json_obj_close(&json);
	lmnic_json_u64(&json, "packets", tb[LMNIC_A_CONN_PACKETS] ?
		       nla_get_u64(tb[LMNIC_A_CONN_PACKETS]) : 0);
	lmnic_json_u64(&json, "bytes", tb[LMNIC_A_CONN_BYTES] ?
		       nla_get_u64(tb[LMNIC_A_CONN_BYTES]) : 0);
	lmnic_json_obj_close(&json);
}

static int list_cb(struct nl_msg *msg, void *arg)
{
	static const int need[] = {
		LMNIC_A_CONN_DEV_NAME, LMNIC_A_CONN_VPORT, LMNIC_A_CONN_ID,
		LMNIC_A_CONN_FAMILY, LMNIC_A_CONN_PROTO, LMNIC_A_CONN_SRC,
		LMNIC_A_CONN_DST, LMNIC_A_CONN_SPORT, LMNIC_A_CONN_DPORT,
	};
	struct nlattr *tb[LMNIC_A_CONN_MAX + 1];
	struct reply *r = arg;
	char src[64], dst[64];
	int af, alen;
	uint32_t actions;

	if (parse_reply(r, msg, tb, &lmnic_nl_conn, need,
			sizeof(need) / sizeof(need[0])))
		return NL_OK;
	af = nla_get_u8(tb[LMNIC_A_CONN_FAMILY]) == 4 ? AF_INET : AF_INET6;
	alen = af == AF_INET ? 4 : 16;
	if (nla_len(tb[LMNIC_A_CONN_SRC]) != alen ||
	    nla_len(tb[LMNIC_A_CONN_DST]) != alen) {
		bad_reply(r, "has an address of the wrong size for its family");
		return NL_OK;
	}
	inet_ntop(af, nla_data(tb[LMNIC_A_CONN_SRC]), src, sizeof(src));
	inet_ntop(af, nla_data(tb[LMNIC_A_CONN_DST]), dst, sizeof(dst));
	actions = tb[LMNIC_A_CONN_ACTIONS] ? nla_get_u32(tb[LMNIC_A_CONN_ACTIONS]) : 0;
	if (use_json) {
		json_conn(tb, src, dst, actions);
		return NL_OK;
	}
	printf("%s vport %u id %u %s %s %u %s %u actions 0x%x queue %u mark %u "
	       "owner %u %s packets %llu bytes %llu\n",
	       nla_get_string(tb[LMNIC_A_CONN_DEV_NAME]),
	       nla_get_u32(tb[LMNIC_A_CONN_VPORT]), nla_get_u32(tb[LMNIC_A_CONN_ID]),
	       nla_get_u8(tb[LMNIC_A_CONN_PROTO]) == IPPROTO_TCP ? "tcp" : "udp",
	       src, ntohs(nla_get_u16(tb[LMNIC_A_CONN_SPORT])),
	       dst, ntohs(nla_get_u16(tb[LMNIC_A_CONN_DPORT])), actions,
	       tb[LMNIC_A_CONN_QUEUE] ? nla_get_u32(tb[LMNIC_A_CONN_QUEUE]) : 0,
	       tb[LMNIC_A_CONN_MARK] ? nla_get_u32(tb[LMNIC_A_CONN_MARK]) : 0,
	       tb[LMNIC_A_CONN_OWNER_PID] ? nla_get_u32(tb[LMNIC_A_CONN_OWNER_PID]) : 0,
	       tb[LMNIC_A_CONN_OWNER_COMM] ?
	       nla_get_string(tb[LMNIC_A_CONN_OWNER_COMM]) : "-",
	       tb[LMNIC_A_CONN_PACKETS] ?
	       (unsigned long long)nla_get_u64(tb[LMNIC_A_CONN_PACKETS]) : 0ULL,
	       tb[LMNIC_A_CONN_BYTES] ?
	       (unsigned long long)nla_get_u64(tb[LMNIC_A_CONN_BYTES]) : 0ULL);
	return NL_OK;
}

/* A dump into CB, inside a JSON array with -j; fails on a bad reply. */
static int run_dump(struct lmnic_nl *nl, struct nl_msg *msg, const char *what,
		    nl_recvmsg_msg_cb_t cb)
{
	struct reply r = { .what = what };
	int err;

	if (use_json)
		lmnic_json_arr_open(&json, NULL);
	err = lmnic_nl_run(nl, msg, cb, &r);
	if (use_json) {
		lmnic_json_arr_close(&json);
		lmnic_json_end_line(&json);
	}
	if (err)
		return fail(nl, what, err);
	return r.bad ? LMNIC_EXIT_FAIL : LMNIC_EXIT_OK;
}

static int cmd_list(struct lmnic_nl *nl, const struct args *a)
{
	struct nl_msg *msg = conn_msg(nl, LMNIC_CMD_CONN_GET, NLM_F_DUMP, a->dev);

	if (!msg)
		return LMNIC_EXIT_FAIL;
	return run_dump(nl, msg, "list", list_cb);
}

static uint32_t dev_u32(struct nlattr **tb, int attr)
{
	return tb[attr] ? nla_get_u32(tb[attr]) : 0;
}

static uint64_t dev_u64(struct nlattr **tb, int attr)
{
	return tb[attr] ? nla_get_u64(tb[attr]) : 0;
}

static void json_dev(struct nlattr **tb)
{
	char serial[17];

	snprintf(serial, sizeof(serial), "%016llx",
		 (unsigned long long)dev_u64(tb, LMNIC_A_DEV_SERIAL));
	lmnic_json_obj_open(&json, NULL);
	lmnic_json_str(&json, "dev", nla_get_string(tb[LMNIC_A_DEV_DEV_NAME]));
	lmnic_json_u64(&json, "vport", nla_get_u32(tb[LMNIC_A_DEV_VPORT]));
	if (tb[LMNIC_A_DEV_IFINDEX])
		lmnic_json_u64(&json, "ifindex", nla_get_u32(tb[LMNIC_A_DEV_IFINDEX]));
	lmnic_json_str(&json, "serial", serial);
	lmnic_json_u64(&json, "hw_version", dev_u32(tb, LMNIC_A_DEV_HW_VERSION));
	lmnic_json_u64(&json, "layout", dev_u32(tb, LMNIC_A_DEV_LAYOUT_VERSION));
	lmnic_json_u64(&json, "vports", dev_u32(tb, LMNIC_A_DEV_VPORTS));
	lmnic_json_u64(&json, "state_size", dev_u64(tb, LMNIC_A_DEV_STATE_SIZE));
	lmnic_json_u64(&json, "vport_state_size",
		       dev_u32(tb, LMNIC_A_DEV_VPORT_STATE_SIZE));
	lmnic_json_u64(&json, "conn_capacity", dev_u32(tb, LMNIC_A_DEV_CONN_CAPACITY));
	if (tb[LMNIC_A_DEV_CONN_MAX]) {
		lmnic_json_u64(&json, "conn_max", dev_u32(tb, LMNIC_A_DEV_CONN_MAX));
		lmnic_json_u64(&json, "conn_count", dev_u32(tb, LMNIC_A_DEV_CONN_COUNT));
	}
	lmnic_json_u64(&json, "err_dumps", dev_u32(tb, LMNIC_A_DEV_ERR_DUMPS));
	lmnic_json_bool(&json, "dead", !!tb[LMNIC_A_DEV_DEAD]);
	lmnic_json_obj_close(&json);
}

static int dev_cb(struct nl_msg *msg, void *arg)
{
	static const int need[] = { LMNIC_A_DEV_DEV_NAME, LMNIC_A_DEV_VPORT };
	struct nlattr *tb[LMNIC_A_DEV_MAX + 1];
	struct reply *r = arg;

	if (parse_reply(r, msg, tb, &lmnic_nl_dev, need,
			sizeof(need) / sizeof(need[0])))
		return NL_OK;
	if (use_json) {
		json_dev(tb);
		return NL_OK;
	}
	printf("%s vport %u", nla_get_string(tb[LMNIC_A_DEV_DEV_NAME]),
	       nla_get_u32(tb[LMNIC_A_DEV_VPORT]));
	if (tb[LMNIC_A_DEV_IFINDEX])
		printf(" ifindex %u", nla_get_u32(tb[LMNIC_A_DEV_IFINDEX]));
	printf(" serial %016llx hw 0x%08x layout %u vports %u state %llu "
	       "vport-state %u conn-capacity %u",
	       (unsigned long long)dev_u64(tb, LMNIC_A_DEV_SERIAL),
	       dev_u32(tb, LMNIC_A_DEV_HW_VERSION),
	       dev_u32(tb, LMNIC_A_DEV_LAYOUT_VERSION),
	       dev_u32(tb, LMNIC_A_DEV_VPORTS),
	       (unsigned long long)dev_u64(tb, LMNIC_A_DEV_STATE_SIZE),
	       dev_u32(tb, LMNIC_A_DEV_VPORT_STATE_SIZE),
	       dev_u32(tb, LMNIC_A_DEV_CONN_CAPACITY));
	if (tb[LMNIC_A_DEV_CONN_MAX])
		printf(" conn-max %u conn-count %u", dev_u32(tb, LMNIC_A_DEV_CONN_MAX),
		       dev_u32(tb, LMNIC_A_DEV_CONN_COUNT));
	printf(" err-dumps %u%s\n", dev_u32(tb, LMNIC_A_DEV_ERR_DUMPS),
	       tb[LMNIC_A_DEV_DEAD] ? " dead" : "");
	return NL_OK;
}

/* Every vport; or those of an adapter or a netdev (a dump); or one vport */
static int cmd_dev(struct lmnic_nl *nl, const struct args *a)
{
	struct nl_msg *msg = lmnic_nl_msg(nl, LMNIC_CMD_DEV_GET,
					  !a->dev || !strchr(a->dev, '/') ?
					  NLM_F_DUMP : 0);

	if (!msg) {
		fprintf(stderr, "lmnic-conn: %s\n", strerror(ENOMEM));
		return LMNIC_EXIT_FAIL;
	}
	if (a->dev && lmnic_nl_put_dev(msg, a->dev, LMNIC_A_DEV_IFINDEX,
				       LMNIC_A_DEV_DEV_NAME, LMNIC_A_DEV_VPORT)) {
		fprintf(stderr, "lmnic-conn: no device %s\n", a->dev);
		nlmsg_free(msg);
		return LMNIC_EXIT_FAIL;
	}
	return run_dump(nl, msg, "dev", dev_cb);
}

static int cmd_bulk(struct lmnic_nl *nl, const struct args *a)
{
	struct add_reply r = { .r.what = "bulk" };
	unsigned int n = a->n, i;
	struct timespec t0, t1;
	double s;
	int err;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < n; i++) {
		struct nl_msg *msg = conn_msg(nl, LMNIC_CMD_CONN_ADD, 0, a->dev);
		uint32_t src = htonl(0xc6120000 + i);	/* 198.18.0.0 + i */

		if (!msg)
			return LMNIC_EXIT_FAIL;
		nla_put_u8(msg, LMNIC_A_CONN_FAMILY, 4);
		nla_put_u8(msg, LMNIC_A_CONN_PROTO, a->proto);
		nla_put(msg, LMNIC_A_CONN_SRC, 4, &src);
		nla_put(msg, LMNIC_A_CONN_DST, 4, a->dst);
		nla_put_u16(msg, LMNIC_A_CONN_SPORT, htons(1024 + i % 60000));
		nla_put_u16(msg, LMNIC_A_CONN_DPORT, htons(5000));
		err = lmnic_nl_run(nl, msg, add_reply_cb, &r);
		if (err) {
			fprintf(stderr, "lmnic-conn: bulk: after %u: ", i);
			return fail(nl, "add", err);
		}
		if (r.r.bad)
			return LMNIC_EXIT_FAIL;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	s = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("added %u connections in %.3f s: %.0f/s\n", n, s, n / (s > 0 ? s : 1e-9));
	return LMNIC_EXIT_OK;
}

static const struct command {
	const char *name;
	int (*parse)(struct args *a, int argc, char **argv);
	int (*run)(struct lmnic_nl *nl, const struct args *a);
} commands[] = {
	{ "add", parse_add, cmd_add },
	{ "del", parse_del, cmd_del },
	{ "list", parse_dev_only, cmd_list },
	{ "dev", parse_dev_only, cmd_dev },
	{ "bulk", parse_bulk, cmd_bulk },
};

int main(int argc, char **argv)
{
	const struct command *cmd = NULL;
	struct args a = { 0 };
	struct lmnic_nl nl;
	unsigned int i;
	int err, rc;

	if (argc > 1 && (!strcmp(argv[1], "-j") || !strcmp(argv[1], "--json"))) {
		use_json = 1;
		lmnic_json_init(&json, stdout);
		argc--;
		argv++;
	}
	if (argc < 2)
		usage(LMNIC_EXIT_USAGE);
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") ||
	    !strcmp(argv[1], "help"))
		usage(LMNIC_EXIT_OK);
	if (!strcmp(argv[1], "-V") || !strcmp(argv[1], "--version")) {
		lmnic_cli_version(TOOL);
		return LMNIC_EXIT_OK;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			cmd = &commands[i];
	if (!cmd) {
		fprintf(stderr, TOOL ": unknown %s %s\n",
			argv[1][0] == '-' ? "option" : "command", argv[1]);
		usage(LMNIC_EXIT_USAGE);
	}
	if (cmd->parse(&a, argc - 1, argv + 1))
		return LMNIC_EXIT_USAGE;

	err = lmnic_nl_open(&nl);
	if (err) {
		fprintf(stderr, "lmnic-conn: no lmnic netlink family: %s\n",
			strerror(-err));
		return LMNIC_EXIT_FAIL;
	}
	rc = cmd->run(&nl, &a);
	lmnic_nl_close(&nl);
	return rc;
}
