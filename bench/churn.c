// SPDX-License-Identifier: GPL-2.0
/*
 * lmnic-churn: changes a vport's connection table at a steady rate, for
 * the migration benchmark (bench/migrate.py). Each change is one request
 * of the lmnic family that changes one slot: a conn-add of a new
 * connection (198.19.0.0 + i, UDP, to DST) or a conn-del of the oldest
 * one it added: adds until WINDOW (128) of its own are live, then a del
 * and an add in turn.
 *
 *   lmnic-churn DEV RATE DST [WINDOW]
 *
 * Runs until SIGTERM or SIGINT, then prints one line of JSON:
 * {"changes":N,"refused":N,"seconds":S,"rate":R}: RATE is of the changes
 * made up to the last one the vport took. A refused change (the vport
 * quiesced or finished by a migration) counts as refused, not as a
 * change. Built into the testbed's guests from bench/ with tools/' netlink
 * helpers.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <linux/lmnic.h>

#include "lmnic_nl.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static int add_cb(struct nl_msg *msg, void *arg)
{
	struct nlattr *tb[LMNIC_A_CONN_MAX + 1];
	char why[128];

	if (!lmnic_nl_parse(msg, tb, &lmnic_nl_conn, why, sizeof(why)) &&
	    tb[LMNIC_A_CONN_ID])
		*(uint32_t *)arg = nla_get_u32(tb[LMNIC_A_CONN_ID]);
	return NL_OK;
}

static struct nl_msg *conn_msg(struct lmnic_nl *nl, int cmd, const char *dev)
{
	struct nl_msg *msg = lmnic_nl_msg(nl, cmd, 0);

	if (msg && lmnic_nl_put_dev(msg, dev, LMNIC_A_CONN_IFINDEX,
				    LMNIC_A_CONN_DEV_NAME, LMNIC_A_CONN_VPORT)) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

int main(int argc, char **argv)
{
	unsigned long changes = 0, refused = 0, window = 128, head = 0, tail = 0;
	uint32_t *ring, i = 0, dst;
	struct sigaction sa = { .sa_handler = on_signal };
	struct lmnic_nl nl;
	double rate, t0, next, last;

	rate = argc > 2 ? atof(argv[2]) : 0;
	if (argc < 4 || argc > 5 || rate <= 0 ||
	    inet_pton(AF_INET, argv[3], &dst) != 1) {
		fprintf(stderr, "usage: lmnic-churn DEV RATE DST [WINDOW]\n");
		return 2;
	}
	if (argc == 5)
		window = strtoul(argv[4], NULL, 0);
	if (!window || window > 1 << 20)
		window = 128;
	ring = calloc(window + 1, sizeof(*ring));
	if (!ring || lmnic_nl_open(&nl)) {
		fprintf(stderr, "lmnic-churn: cannot reach the lmnic family\n");
		return 1;
	}
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	t0 = now();
	next = t0;
	last = t0;
	while (!stop) {
		/* up to WINDOW live, then a del and an add in turn */
		int del = (head + window + 1 - tail) % (window + 1) >= window;
		struct nl_msg *msg;
		double wait;

		msg = conn_msg(&nl, del ? LMNIC_CMD_CONN_DEL : LMNIC_CMD_CONN_ADD,
			       argv[1]);
		if (!msg) {
			fprintf(stderr, "lmnic-churn: no device %s\n", argv[1]);
			return 1;
		}
		if (del) {
			nla_put_u32(msg, LMNIC_A_CONN_ID, ring[tail]);
			if (lmnic_nl_run(&nl, msg, NULL, NULL)) {
				refused++;
			} else {
				tail = (tail + 1) % (window + 1);
				changes++;
				last = now();
			}
		} else {
			uint32_t src = htonl(0xc6130000 + (i & 0xffff));
			uint32_t id = ~0U;

			nla_put_u8(msg, LMNIC_A_CONN_FAMILY, 4);
			nla_put_u8(msg, LMNIC_A_CONN_PROTO, 17);
			nla_put(msg, LMNIC_A_CONN_SRC, 4, &src);
			nla_put(msg, LMNIC_A_CONN_DST, 4, &dst);
			nla_put_u16(msg, LMNIC_A_CONN_SPORT, htons(1024 + (i >> 16)));
			nla_put_u16(msg, LMNIC_A_CONN_DPORT, htons(7));
			i++;
			if (lmnic_nl_run(&nl, msg, add_cb, &id) || id == ~0U) {
				refused++;
			} else {
				ring[head] = id;
				head = (head + 1) % (window + 1);
				changes++;
				last = now();
			}
		}
		/* on schedule; behind it, at once (no burst to catch up) */
		next += 1 / rate;
		wait = next - now();
		if (wait > 0) {
			struct timespec ts = {
				.tv_sec = (time_t)wait,
				.tv_nsec = (long)((wait - (time_t)wait) * 1e9),
			};

			nanosleep(&ts, NULL);
		} else if (wait < -0.1) {
			next = now();
		}
	}
	last -= t0;
	printf("{\"changes\":%lu,\"refused\":%lu,\"seconds\":%.3f,\"rate\":%.1f}\n",
	       changes, refused, now() - t0, changes / (last > 0 ? last : 1));
	lmnic_nl_close(&nl);
	return 0;
}
