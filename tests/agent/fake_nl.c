// SPDX-License-Identifier: GPL-2.0
/*
 * A fake of tools/lmnic_nl.c for host tests of lmnic-migrate: the agent's
 * own sources linked with this file (make build/host/lmnic-migrate-fake)
 * talk to one vport inside the process instead of the lmnic family. The
 * driver and the adapter are the guest tests' business; this is for the
 * agent's protocol, its options, events and control channel.
 *
 * The vport's migration stream comes from tools/lmnic_stream_build.c and
 * is the same in every process of the same environment, so that the
 * destination can tell that it received it whole; a delta is that stream
 * again. The state machine follows the driver's (lmnic_mig.c) as far as
 * the agent sees it. The environment:
 *
 *   FAKE_CONNS=N   connections of the vport (200); the destination's
 *                  (FAKE_DST=1) has none and every id free
 *   FAKE_CAPS=X    the adapter's capabilities (pre-copy and its rounds
 *                  included)
 *   FAKE_DIRTY=N,M,...  the slots that changed in a pre-copy, as each
 *                  size probe (mig-status want-dirty) finds them, the last
 *                  again from then on (none)
 *   FAKE_DELTA_MS=N  the adapter's LOAD of a delta (a round or the last)
 *                  takes N ms more (0), a fixed time the image's rate
 *                  does not show
 *   FAKE_FAIL=...  operations that fail, comma-separated: status, extract,
 *                  restore, commit, resume, abort, finish
 *   FAKE_LOG=PATH  each operation and the state after it, a line each
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/sha.h>

#include <linux/lmnic.h>
#include <linux/lmnic_mig.h>

#include "lmnic_nl.h"
#include "lmnic_stream_build.h"

#define FAKE_BLOCK	(256 * 1024)
#define FAKE_CAPS	(LMNIC_CAP_STATE_MEM | LMNIC_CAP_CONN | \
			 LMNIC_CAP_MIGRATION | LMNIC_CAP_PRECOPY | \
			 LMNIC_CAP_ROUNDS)

static uint8_t *stream, *rx;
static size_t stream_len, rx_len;
static uint32_t state = LMNIC_MIG_STATE_RUNNING, caps = FAKE_CAPS;
static uint32_t conns, capacity;
static int dst, owned, loaded, probes;
static uint8_t img_sha[32];

static const char *const names[] = {
	[LMNIC_MIG_STATE_RUNNING] = "running",
	[LMNIC_MIG_STATE_QUIESCED] = "quiesced",
	[LMNIC_MIG_STATE_FINISHED] = "finished",
	[LMNIC_MIG_STATE_RESTORING] = "restoring",
	[LMNIC_MIG_STATE_LOADED] = "loaded",
	[LMNIC_MIG_STATE_PRECOPY] = "precopy",
};

static void note(const char *fmt, ...)
{
	const char *path = getenv("FAKE_LOG");
	va_list ap;
	FILE *f;

	if (!path || !(f = fopen(path, "a")))
		return;
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fprintf(f, " -> %s\n", names[state]);
	fclose(f);
}

static int failing(const char *op)
{
	const char *f = getenv("FAKE_FAIL");
	size_t n = strlen(op);

	for (; f && *f; f += strcspn(f, ","), f += *f == ',')
		if (!strncmp(f, op, n) && (f[n] == ',' || !f[n]))
			return 1;
	return 0;
}

static int fail(struct lmnic_nl *nl, const char *what, int err)
{
	snprintf(nl->err, sizeof(nl->err), "fake %s failure", what);
	note("%s failed", what);
	return err;
}

int lmnic_nl_open(struct lmnic_nl *nl)
{
	struct lmnic_sb_slot *slots;
	struct lmnic_sb_params p = { .block_size = FAKE_BLOCK, .caps = FAKE_CAPS };
	const char *v;

	memset(nl, 0, sizeof(*nl));
	nl->family = 0x42;
	dst = getenv("FAKE_DST") != NULL;
	conns = (v = getenv("FAKE_CONNS")) ? strtoul(v, NULL, 0) : 200;
	if ((v = getenv("FAKE_CAPS")))
		caps = strtoul(v, NULL, 0);
	capacity = lmnic_sm_conn_capacity(FAKE_BLOCK);
	if (conns > capacity)
		return -EINVAL;
	slots = calloc(conns + 1, sizeof(*slots));
	if (!slots)
		return -ENOMEM;
	for (uint32_t i = 0; i < conns; i++)
		slots[i] = (struct lmnic_sb_slot){ .slot = i, .id = i,
						   .flags = LMNIC_CONNF_VALID };
	p.slots = slots;
	p.num_slots = conns;
	p.conn_limit = conns ? conns : 1;
	p.vport = 1;
	if (lmnic_sb_build(&p, &stream, &stream_len)) {
		free(slots);
		return -ENOMEM;
	}
	free(slots);
	rx = malloc(stream_len);
	return rx ? 0 : -ENOMEM;
}

void lmnic_nl_close(struct lmnic_nl *nl)
{
	free(stream);
	free(rx);
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
	if (!strcmp(dev, "gone"))
		return -ENODEV;
	return nla_put_string(msg, a_name, dev) ? -ENODEV : 0;
}

static struct nl_msg *reply(int cmd, size_t size)
{
	struct nl_msg *m = nlmsg_alloc_size(size + 4096);

	if (m)
		genlmsg_put(m, 0, 0, 0x42, 0, 0, cmd, LMNIC_FAMILY_VERSION);
	return m;
}

/* N table slots in a stream: 136 bytes each, a record header per 480 */
static uint64_t slot_bytes(uint32_t n)
{
	return n * 136ULL + (n + 479) / 480 * 16ULL;
}

/* the next of FAKE_DIRTY's counts */
static uint32_t dirty(void)
{
	const char *v = getenv("FAKE_DIRTY");
	uint32_t n = 0;

	for (int i = 0; v && *v && i <= probes; i++) {
		n = strtoul(v, NULL, 0);
		v = strchr(v, ',');
		v = v ? v + 1 : NULL;
	}
	probes++;
	return n;
}

static int status(struct lmnic_nl *nl, struct nlattr **tb,
		  int (*cb)(struct nl_msg *, void *), void *arg)
{
	const struct lmnic_mig_hdr *h = (const void *)stream;
	uint8_t dig[32];
	struct nl_msg *m;

	if (failing("status"))
		return fail(nl, "status", -EIO);
	m = reply(LMNIC_CMD_MIG_STATUS, 0);
	if (!m)
		return -ENOMEM;
	memset(dig, 0xd1, sizeof(dig));
	nla_put_u32(m, LMNIC_A_MIG_STATE, state);
	nla_put_u32(m, LMNIC_A_MIG_LAYOUT_VERSION, le16toh(h->layout));
	nla_put_u32(m, LMNIC_A_MIG_CAPS, caps);
	nla_put_u32(m, LMNIC_A_MIG_VPORT_STATE_SIZE, FAKE_BLOCK);
	nla_put_u32(m, LMNIC_A_MIG_CONN_CAPACITY, capacity);
	nla_put_u32(m, LMNIC_A_MIG_CONN_MAX, dst ? capacity :
		    le32toh(h->conn_limit));
	nla_put_u32(m, LMNIC_A_MIG_CONN_COUNT, dst && !loaded ? 0 : conns);
	nla_put(m, LMNIC_A_MIG_MAC, 6, h->mac);
	nla_put_u32(m, LMNIC_A_MIG_MTU, 1500);
	nla_put_u32(m, LMNIC_A_MIG_QUEUES, 1);
	if (owned)
		nla_put_u32(m, LMNIC_A_MIG_OWNER_PID, 4242);
	nla_put_u32(m, LMNIC_A_MIG_IFINDEX, 3);
	nla_put_u32(m, LMNIC_A_MIG_VPORT, 1);
	nla_put_u64(m, LMNIC_A_MIG_STREAM_SIZE, stream_len);
	nla_put_u64(m, LMNIC_A_MIG_OFFSET, rx_len);
	nla_put_u64(m, LMNIC_A_MIG_QUIESCE_NS, 1000);
	nla_put_u64(m, LMNIC_A_MIG_SAVE_NS, 2000);
	nla_put_u64(m, LMNIC_A_MIG_LOAD_NS, 3000);
	if (tb[LMNIC_A_MIG_WANT_DIGEST])
		nla_put(m, LMNIC_A_MIG_DIGEST, 32, dig);
	if (loaded)
		nla_put(m, LMNIC_A_MIG_IMAGE_SHA256, 32, img_sha);
	if (tb[LMNIC_A_MIG_WANT_DIRTY] && state == LMNIC_MIG_STATE_PRECOPY &&
	    (caps & LMNIC_CAP_ROUNDS)) {
		uint32_t n = dirty();

		/* the stream's fixed part, and the slots as records carry them */
		nla_put_u64(m, LMNIC_A_MIG_DIRTY_BYTES, stream_len -
			    slot_bytes(conns) + slot_bytes(n));
		nla_put_u32(m, LMNIC_A_MIG_DIRTY_SLOTS, n);
	}
	nla_put_string(m, LMNIC_A_MIG_DEV_NAME, "0000:00:01.0");
	cb(m, arg);
	nlmsg_free(m);
	return 0;
}

/* The stream in pieces of 3000 bytes, as the kernel's dump hands it on. */
static int extract(struct lmnic_nl *nl, struct nlattr **tb,
		   int (*cb)(struct nl_msg *, void *), void *arg)
{
	int pre = tb[LMNIC_A_MIG_PRECOPY] != NULL;
	size_t chunk = 3000;

	if (failing("extract"))
		return fail(nl, "extract", -EIO);
	if (pre && state == LMNIC_MIG_STATE_PRECOPY && owned) {
		/* a round: the driver's answer without the capability */
		if (!(caps & LMNIC_CAP_ROUNDS))
			return fail(nl, "extract round", -EOPNOTSUPP);
		note("extract round");
	} else {
		if (pre ? state != LMNIC_MIG_STATE_RUNNING :
		    state != LMNIC_MIG_STATE_RUNNING &&
		    state != LMNIC_MIG_STATE_PRECOPY)
			return fail(nl, "extract state", -EBUSY);
		state = pre ? LMNIC_MIG_STATE_PRECOPY :
			LMNIC_MIG_STATE_QUIESCED;
		owned = 1;
		note("extract%s", pre ? " precopy" : "");
	}
	for (size_t off = 0; off < stream_len; off += chunk) {
		size_t n = stream_len - off < chunk ? stream_len - off : chunk;
		struct nl_msg *m = reply(LMNIC_CMD_VPORT_STATE_EXTRACT, n);

		if (!m)
			return -ENOMEM;
		nla_put_u64(m, LMNIC_A_MIG_OFFSET, off);
		nla_put_u64(m, LMNIC_A_MIG_STREAM_SIZE, stream_len);
		nla_put(m, LMNIC_A_MIG_DATA, n, stream + off);
		cb(m, arg);
		nlmsg_free(m);
	}
	return 0;
}

static int restore(struct lmnic_nl *nl, struct nlattr **tb,
		   int (*cb)(struct nl_msg *, void *), void *arg)
{
	uint64_t off = tb[LMNIC_A_MIG_OFFSET] ?
		       nla_get_u64(tb[LMNIC_A_MIG_OFFSET]) : 0;
	struct nlattr *data = tb[LMNIC_A_MIG_DATA];
	uint8_t a[32], b[32];
	struct nl_msg *m;

	if (failing("restore"))
		return fail(nl, "restore", -EIO);
	if (state != LMNIC_MIG_STATE_RESTORING) {
		if (state != LMNIC_MIG_STATE_RUNNING &&
		    state != LMNIC_MIG_STATE_LOADED)
			return fail(nl, "restore state", -EBUSY);
		rx_len = 0;
	}
	if (off != rx_len || (data && rx_len + nla_len(data) > stream_len))
		return fail(nl, "restore offset", -EINVAL);
	if (data) {
		memcpy(rx + rx_len, nla_data(data), nla_len(data));
		rx_len += nla_len(data);
	}
	state = LMNIC_MIG_STATE_RESTORING;
	owned = 1;
	if (tb[LMNIC_A_MIG_COMMIT]) {
		const char *ms = getenv("FAKE_DELTA_MS");

		if (failing("commit"))
			return fail(nl, "commit", -EIO);
		if (ms && loaded)
			usleep(strtoul(ms, NULL, 0) * 1000);
		SHA256(rx, rx_len, a);
		SHA256(stream, stream_len, b);
		if (rx_len != stream_len || memcmp(a, b, 32)) {
			state = LMNIC_MIG_STATE_RUNNING;
			owned = 0;
			return fail(nl, "image digest", -EBADMSG);
		}
		state = LMNIC_MIG_STATE_LOADED;
		loaded = 1;
		memcpy(img_sha, rx + rx_len - 32, 32);
		note("restore commit %zu", rx_len);
	}
	m = reply(LMNIC_CMD_VPORT_STATE_RESTORE, 0);
	if (!m)
		return -ENOMEM;
	nla_put_u32(m, LMNIC_A_MIG_STATE, state);
	nla_put_u64(m, LMNIC_A_MIG_OFFSET, rx_len);
	if (tb[LMNIC_A_MIG_COMMIT]) {
		nla_put_u64(m, LMNIC_A_MIG_LOAD_NS, 1234567);
		nla_put(m, LMNIC_A_MIG_IMAGE_SHA256, 32, img_sha);
	}
	cb(m, arg);
	nlmsg_free(m);
	return 0;
}

static int op(struct lmnic_nl *nl, int cmd)
{
	switch (cmd) {
	case LMNIC_CMD_VPORT_RESUME:
		if (failing("resume"))
			return fail(nl, "resume", -EIO);
		if (state != LMNIC_MIG_STATE_QUIESCED &&
		    state != LMNIC_MIG_STATE_LOADED &&
		    state != LMNIC_MIG_STATE_FINISHED)
			return fail(nl, "resume state", -EINVAL);
		state = LMNIC_MIG_STATE_RUNNING;
		owned = 0;
		note("resume");
		return 0;
	case LMNIC_CMD_VPORT_ABORT:
		if (failing("abort"))
			return fail(nl, "abort", -EIO);
		if (state == LMNIC_MIG_STATE_RUNNING)
			return fail(nl, "abort state", -EINVAL);
		if (state == LMNIC_MIG_STATE_LOADED ||
		    state == LMNIC_MIG_STATE_RESTORING)
			loaded = 0;
		state = LMNIC_MIG_STATE_RUNNING;
		owned = 0;
		note("abort");
		return 0;
	case LMNIC_CMD_VPORT_FINISH:
		if (failing("finish"))
			return fail(nl, "finish", -EIO);
		if (state != LMNIC_MIG_STATE_QUIESCED)
			return fail(nl, "finish state", -EINVAL);
		state = LMNIC_MIG_STATE_FINISHED;
		owned = 0;
		note("finish");
		return 0;
	}
	return -EOPNOTSUPP;
}

int lmnic_nl_run(struct lmnic_nl *nl, struct nl_msg *msg,
		 int (*cb)(struct nl_msg *, void *), void *arg)
{
	struct nlattr *tb[LMNIC_A_MIG_MAX + 1];
	int cmd = genlmsg_hdr(nlmsg_hdr(msg))->cmd, err;

	nl->err[0] = 0;
	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, LMNIC_A_MIG_MAX, NULL)) {
		nlmsg_free(msg);
		return -EINVAL;
	}
	switch (cmd) {
	case LMNIC_CMD_MIG_STATUS:
		err = status(nl, tb, cb, arg);
		break;
	case LMNIC_CMD_VPORT_STATE_EXTRACT:
		err = extract(nl, tb, cb, arg);
		break;
	case LMNIC_CMD_VPORT_STATE_RESTORE:
		err = restore(nl, tb, cb, arg);
		break;
	default:
		err = op(nl, cmd);
	}
	nlmsg_free(msg);
	return err;
}
