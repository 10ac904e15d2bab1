// SPDX-License-Identifier: GPL-2.0
/*
 * lmnic-conn: offload connections to an lmnic vport through the lmnic
 * family, remove them and list them.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <linux/lmnic.h>

#include "lmnic_nl.h"

static void usage(void)
{
	fprintf(stderr,
		"usage: lmnic-conn add DEV tcp|udp SRC SPORT DST DPORT [steer Q] [drop] [mark M] [count] [id N]\n"
		"       lmnic-conn del DEV ID\n"
		"       lmnic-conn list [DEV]\n"
		"       lmnic-conn dev [DEV]\n"
		"       lmnic-conn bulk DEV N DST [udp|tcp]\n"
		"DEV: a vport's netdev, or PCI address/vport (0000:00:01.0/1).\n"
		"bulk offloads N connections SRC=198.18.0.0+i SPORT=1024+i%%60000\n"
		"DST DPORT=5000, counting only, and prints the rate.\n");
	exit(2);
}

static int fail(struct lmnic_nl *nl, const char *what, int err)
{
	fprintf(stderr, "lmnic-conn: %s: %s%s%s\n", what, strerror(-err),
		nl->err[0] ? ": " : "", nl->err);
	return 1;
}

static int put_addr(struct nl_msg *msg, int attr, const char *s, int *family)
{
	unsigned char buf[16];

	if (inet_pton(AF_INET, s, buf) == 1) {
		if (*family == 6)
			return -1;
		*family = 4;
		return nla_put(msg, attr, 4, buf);
	}
	if (inet_pton(AF_INET6, s, buf) == 1) {
		if (*family == 4)
			return -1;
		*family = 6;
		return nla_put(msg, attr, 16, buf);
	}
	return -1;
}

static int add_reply(struct nl_msg *msg, void *arg)
{
	struct nlattr *tb[LMNIC_A_CONN_MAX + 1];

	if (!lmnic_nl_parse(msg, tb, LMNIC_A_CONN_MAX) && tb[LMNIC_A_CONN_ID])
		*(unsigned int *)arg = nla_get_u32(tb[LMNIC_A_CONN_ID]);
	return NL_OK;
}

static int cmd_add(struct lmnic_nl *nl, int argc, char **argv)
{
	unsigned int actions = 0, id = ~0U;
	struct nl_msg *msg;
	int family = 0, i, err;

	if (argc < 7)
		usage();
	msg = lmnic_nl_msg(nl, LMNIC_CMD_CONN_ADD, 0);
	if (lmnic_nl_put_dev(msg, argv[1], LMNIC_A_CONN_IFINDEX,
			     LMNIC_A_CONN_DEV_NAME, LMNIC_A_CONN_VPORT)) {
		fprintf(stderr, "lmnic-conn: no device %s\n", argv[1]);
		return 1;
	}
	nla_put_u8(msg, LMNIC_A_CONN_PROTO, !strcmp(argv[2], "tcp") ? 6 : 17);
	if (put_addr(msg, LMNIC_A_CONN_SRC, argv[3], &family) ||
	    put_addr(msg, LMNIC_A_CONN_DST, argv[5], &family)) {
		fprintf(stderr, "lmnic-conn: bad or mixed addresses\n");
		return 1;
	}
	nla_put_u8(msg, LMNIC_A_CONN_FAMILY, family);
	nla_put_u16(msg, LMNIC_A_CONN_SPORT, htons(atoi(argv[4])));
	nla_put_u16(msg, LMNIC_A_CONN_DPORT, htons(atoi(argv[6])));
	for (i = 7; i < argc; i++) {
		if (!strcmp(argv[i], "steer") && i + 1 < argc) {
			actions |= LMNIC_CONN_ACTION_STEER;
			nla_put_u32(msg, LMNIC_A_CONN_QUEUE, strtoul(argv[++i], NULL, 0));
		} else if (!strcmp(argv[i], "mark") && i + 1 < argc) {
			actions |= LMNIC_CONN_ACTION_MARK;
			nla_put_u32(msg, LMNIC_A_CONN_MARK, strtoul(argv[++i], NULL, 0));
		} else if (!strcmp(argv[i], "drop")) {
			actions |= LMNIC_CONN_ACTION_DROP;
		} else if (!strcmp(argv[i], "count")) {
			actions |= LMNIC_CONN_ACTION_COUNT;
		} else if (!strcmp(argv[i], "id") && i + 1 < argc) {
			nla_put_u32(msg, LMNIC_A_CONN_ID, strtoul(argv[++i], NULL, 0));
		} else {
			usage();
		}
	}
	if (actions)
		nla_put_u32(msg, LMNIC_A_CONN_ACTIONS, actions);
	err = lmnic_nl_run(nl, msg, add_reply, &id);
	if (err)
		return fail(nl, "add", err);
	printf("id %u\n", id);
	return 0;
}

static int cmd_del(struct lmnic_nl *nl, int argc, char **argv)
{
	struct nl_msg *msg;
	int err;

	if (argc != 3)
		usage();
	msg = lmnic_nl_msg(nl, LMNIC_CMD_CONN_DEL, 0);
	if (lmnic_nl_put_dev(msg, argv[1], LMNIC_A_CONN_IFINDEX,
			     LMNIC_A_CONN_DEV_NAME, LMNIC_A_CONN_VPORT)) {
		fprintf(stderr, "lmnic-conn: no device %s\n", argv[1]);
		return 1;
	}
	nla_put_u32(msg, LMNIC_A_CONN_ID, strtoul(argv[2], NULL, 0));
	err = lmnic_nl_run(nl, msg, NULL, NULL);
	return err ? fail(nl, "del", err) : 0;
}

static int list_cb(struct nl_msg *msg, void *arg)
{
	struct nlattr *tb[LMNIC_A_CONN_MAX + 1];
	char src[64], dst[64];
	int af;

	(void)arg;
	if (lmnic_nl_parse(msg, tb, LMNIC_A_CONN_MAX) || !tb[LMNIC_A_CONN_ID])
		return NL_OK;
	af = nla_get_u8(tb[LMNIC_A_CONN_FAMILY]) == 4 ? AF_INET : AF_INET6;
	inet_ntop(af, nla_data(tb[LMNIC_A_CONN_SRC]), src, sizeof(src));
	inet_ntop(af, nla_data(tb[LMNIC_A_CONN_DST]), dst, sizeof(dst));
	printf("%s vport %u id %u %s %s %u %s %u actions 0x%x queue %u mark %u "
	       "owner %u %s packets %llu bytes %llu\n",
	       nla_get_string(tb[LMNIC_A_CONN_DEV_NAME]),
	       nla_get_u32(tb[LMNIC_A_CONN_VPORT]), nla_get_u32(tb[LMNIC_A_CONN_ID]),
	       nla_get_u8(tb[LMNIC_A_CONN_PROTO]) == 6 ? "tcp" : "udp",
	       src, ntohs(nla_get_u16(tb[LMNIC_A_CONN_SPORT])),
	       dst, ntohs(nla_get_u16(tb[LMNIC_A_CONN_DPORT])),
	       nla_get_u32(tb[LMNIC_A_CONN_ACTIONS]), nla_get_u32(tb[LMNIC_A_CONN_QUEUE]),
	       nla_get_u32(tb[LMNIC_A_CONN_MARK]), nla_get_u32(tb[LMNIC_A_CONN_OWNER_PID]),
	       nla_get_string(tb[LMNIC_A_CONN_OWNER_COMM]),
	       (unsigned long long)nla_get_u64(tb[LMNIC_A_CONN_PACKETS]),
	       (unsigned long long)nla_get_u64(tb[LMNIC_A_CONN_BYTES]));
	return NL_OK;
}

static int cmd_list(struct lmnic_nl *nl, int argc, char **argv)
{
	struct nl_msg *msg = lmnic_nl_msg(nl, LMNIC_CMD_CONN_GET, NLM_F_DUMP);
	int err;

	if (argc > 1 && lmnic_nl_put_dev(msg, argv[1], LMNIC_A_CONN_IFINDEX,
					 LMNIC_A_CONN_DEV_NAME, LMNIC_A_CONN_VPORT)) {
		fprintf(stderr, "lmnic-conn: no device %s\n", argv[1]);
		return 1;
	}
	err = lmnic_nl_run(nl, msg, list_cb, NULL);
	return err ? fail(nl, "list", err) : 0;
}

static int dev_cb(struct nl_msg *msg, void *arg)
{
	struct nlattr *tb[LMNIC_A_DEV_MAX + 1];

	(void)arg;
	if (lmnic_nl_parse(msg, tb, LMNIC_A_DEV_MAX) || !tb[LMNIC_A_DEV_DEV_NAME])
		return NL_OK;
	printf("%s vport %u", nla_get_string(tb[LMNIC_A_DEV_DEV_NAME]),
	       nla_get_u32(tb[LMNIC_A_DEV_VPORT]));
	if (tb[LMNIC_A_DEV_IFINDEX])
		printf(" ifindex %u", nla_get_u32(tb[LMNIC_A_DEV_IFINDEX]));
	printf(" serial %016llx hw 0x%08x layout %u vports %u state %llu "
	       "vport-state %u conn-capacity %u",
	       (unsigned long long)nla_get_u64(tb[LMNIC_A_DEV_SERIAL]),
	       nla_get_u32(tb[LMNIC_A_DEV_HW_VERSION]),
	       nla_get_u32(tb[LMNIC_A_DEV_LAYOUT_VERSION]),
	       nla_get_u32(tb[LMNIC_A_DEV_VPORTS]),
	       (unsigned long long)nla_get_u64(tb[LMNIC_A_DEV_STATE_SIZE]),
	       nla_get_u32(tb[LMNIC_A_DEV_VPORT_STATE_SIZE]),
	       nla_get_u32(tb[LMNIC_A_DEV_CONN_CAPACITY]));
	if (tb[LMNIC_A_DEV_CONN_MAX])
		printf(" conn-max %u conn-count %u", nla_get_u32(tb[LMNIC_A_DEV_CONN_MAX]),
		       nla_get_u32(tb[LMNIC_A_DEV_CONN_COUNT]));
	printf(" err-dumps %u%s\n", nla_get_u32(tb[LMNIC_A_DEV_ERR_DUMPS]),
	       tb[LMNIC_A_DEV_DEAD] ? " dead" : "");
	return NL_OK;
}

static int cmd_dev(struct lmnic_nl *nl, int argc, char **argv)
{
	struct nl_msg *msg = lmnic_nl_msg(nl, LMNIC_CMD_DEV_GET,
					  argc > 1 && !strchr(argv[1], '/') ?
					  NLM_F_DUMP : 0);
	int err;

	if (argc < 2) {
		nlmsg_free(msg);
		msg = lmnic_nl_msg(nl, LMNIC_CMD_DEV_GET, NLM_F_DUMP);
	} else if (lmnic_nl_put_dev(msg, argv[1], LMNIC_A_DEV_IFINDEX,
				    LMNIC_A_DEV_DEV_NAME, LMNIC_A_DEV_VPORT)) {
		fprintf(stderr, "lmnic-conn: no device %s\n", argv[1]);
		return 1;
	}
	err = lmnic_nl_run(nl, msg, dev_cb, NULL);
	return err ? fail(nl, "dev", err) : 0;
}

static int cmd_bulk(struct lmnic_nl *nl, int argc, char **argv)
{
	unsigned int n, i, id;
	unsigned char dst[4];
	struct timespec t0, t1;
	double s;
	int err, proto;

	if (argc < 4 || inet_pton(AF_INET, argv[3], dst) != 1)
		usage();
	n = strtoul(argv[2], NULL, 0);
	proto = argc > 4 && !strcmp(argv[4], "tcp") ? 6 : 17;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < n; i++) {
		struct nl_msg *msg = lmnic_nl_msg(nl, LMNIC_CMD_CONN_ADD, 0);
		uint32_t src = htonl(0xc6120000 + i);	/* 198.18.0.0 + i */

		if (lmnic_nl_put_dev(msg, argv[1], LMNIC_A_CONN_IFINDEX,
				     LMNIC_A_CONN_DEV_NAME, LMNIC_A_CONN_VPORT)) {
			fprintf(stderr, "lmnic-conn: no device %s\n", argv[1]);
			return 1;
		}
		nla_put_u8(msg, LMNIC_A_CONN_FAMILY, 4);
		nla_put_u8(msg, LMNIC_A_CONN_PROTO, proto);
		nla_put(msg, LMNIC_A_CONN_SRC, 4, &src);
		nla_put(msg, LMNIC_A_CONN_DST, 4, dst);
		nla_put_u16(msg, LMNIC_A_CONN_SPORT, htons(1024 + i % 60000));
		nla_put_u16(msg, LMNIC_A_CONN_DPORT, htons(5000));
		err = lmnic_nl_run(nl, msg, add_reply, &id);
		if (err) {
			fprintf(stderr, "lmnic-conn: bulk: after %u: ", i);
			return fail(nl, "add", err);
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	s = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("added %u connections in %.3f s: %.0f/s\n", n, s, n / (s > 0 ? s : 1e-9));
	return 0;
}

int main(int argc, char **argv)
{
	struct lmnic_nl nl;
	int err, rc;

	if (argc < 2)
		usage();
	err = lmnic_nl_open(&nl);
	if (err) {
		fprintf(stderr, "lmnic-conn: no lmnic netlink family: %s\n",
			strerror(-err));
		return 1;
	}
	if (!strcmp(argv[1], "add"))
		rc = cmd_add(&nl, argc - 1, argv + 1);
	else if (!strcmp(argv[1], "del"))
		rc = cmd_del(&nl, argc - 1, argv + 1);
	else if (!strcmp(argv[1], "list"))
		rc = cmd_list(&nl, argc - 1, argv + 1);
	else if (!strcmp(argv[1], "dev"))
		rc = cmd_dev(&nl, argc - 1, argv + 1);
	else if (!strcmp(argv[1], "bulk"))
		rc = cmd_bulk(&nl, argc - 1, argv + 1);
	else
		usage();
	lmnic_nl_close(&nl);
	return rc;
}
