// SPDX-License-Identifier: GPL-2.0
/*
 * lmnic-migrate: the lmnic family's migration operations over netlink, on
 * the vport named on the command line: mig-status, vport-resume, -abort
 * and -finish, vport-state-restore in chunks the kernel takes, and
 * vport-state-extract, whose dump hands the stream to a sink as it comes.
 * All of them go through the one socket (nl) that holds the migration.
 */
#define _GNU_SOURCE
#include <endian.h>
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <linux/lmnic.h>

#include "lmnic_migrate.h"

/* ---- netlink ------------------------------------------------------------ */
struct lmnic_nl nl;

static const char *const state_names[] = {
	[LMNIC_MIG_STATE_RUNNING] = "running",
	[LMNIC_MIG_STATE_QUIESCED] = "quiesced",
	[LMNIC_MIG_STATE_FINISHED] = "finished",
	[LMNIC_MIG_STATE_RESTORING] = "restoring",
	[LMNIC_MIG_STATE_LOADED] = "loaded",
	[LMNIC_MIG_STATE_DISABLED] = "disabled",
	[LMNIC_MIG_STATE_PRECOPY] = "precopy",
};

const char *state_name(uint32_t s)
{
	return s < sizeof(state_names) / sizeof(state_names[0]) &&
	       state_names[s] ? state_names[s] : "unknown";
}

/* An nl error's text: "strerror: extack". */
const char *nl_errstr(int err)
{
	static char buf[400];

	snprintf(buf, sizeof(buf), "%s%s%s", strerror(-err),
		 nl.err[0] ? ": " : "", nl.err);
	return buf;
}

static struct nl_msg *mig_msg(int cmd, int flags, size_t size)
{
	struct nl_msg *msg = size ? nlmsg_alloc_size(size) : nlmsg_alloc();

	if (!msg)
		return NULL;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, nl.family, 0, flags,
			 cmd, LMNIC_FAMILY_VERSION) ||
	    lmnic_nl_put_dev(msg, o.dev, LMNIC_A_MIG_IFINDEX,
			     LMNIC_A_MIG_DEV_NAME, LMNIC_A_MIG_VPORT)) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

static void get_bin(struct nlattr *a, void *dst, int len, int *has)
{
	if (a && nla_len(a) >= len) {
		memcpy(dst, nla_data(a), len);
		if (has)
			*has = 1;
	}
}

/* Parse a reply into TB, or say why not: -EPROTO. */
static int parse_reply(const char *what, struct nl_msg *msg, struct nlattr **tb)
{
	char why[160];

	if (!lmnic_nl_parse(msg, tb, &lmnic_nl_mig, why, sizeof(why)))
		return 0;
	error("%s: the driver's reply %s: a driver of another version?",
	      what, why);
	return -EPROTO;
}

/* the stream an extract gives, as progress names it */
static const char *stream_name(const struct extract *x)
{
	return x->round ? "round" : x->precopy ? "precopy" : "transfer";
}

static int status_cb(struct nl_msg *msg, void *arg)
{
	struct nlattr *tb[LMNIC_A_MIG_MAX + 1];
	struct mig_status *s = arg;

	s->bad = parse_reply("status", msg, tb);
	if (s->bad)
		return NL_SKIP;
#define U32(f, a) do { if (tb[a]) s->f = nla_get_u32(tb[a]); } while (0)
#define U64(f, a) do { if (tb[a]) s->f = nla_get_u64(tb[a]); } while (0)
	U32(state, LMNIC_A_MIG_STATE);
	s->has_state = !!tb[LMNIC_A_MIG_STATE];
	U32(layout, LMNIC_A_MIG_LAYOUT_VERSION);
	U32(caps, LMNIC_A_MIG_CAPS);
	U32(block_size, LMNIC_A_MIG_VPORT_STATE_SIZE);
	U32(capacity, LMNIC_A_MIG_CONN_CAPACITY);
	U32(conn_max, LMNIC_A_MIG_CONN_MAX);
	U32(conn_count, LMNIC_A_MIG_CONN_COUNT);
	U32(mtu, LMNIC_A_MIG_MTU);
	U32(queues, LMNIC_A_MIG_QUEUES);
	U32(owner_pid, LMNIC_A_MIG_OWNER_PID);
	U32(ifindex, LMNIC_A_MIG_IFINDEX);
	U32(vport, LMNIC_A_MIG_VPORT);
	U64(stream_size, LMNIC_A_MIG_STREAM_SIZE);
	U64(offset, LMNIC_A_MIG_OFFSET);
	U64(quiesce_ns, LMNIC_A_MIG_QUIESCE_NS);
	U64(save_ns, LMNIC_A_MIG_SAVE_NS);
	U64(load_ns, LMNIC_A_MIG_LOAD_NS);
	U64(dirty_bytes, LMNIC_A_MIG_DIRTY_BYTES);
	U32(dirty_slots, LMNIC_A_MIG_DIRTY_SLOTS);
	s->has_dirty = !!tb[LMNIC_A_MIG_DIRTY_BYTES];
#undef U32
#undef U64
	get_bin(tb[LMNIC_A_MIG_MAC], s->mac, 6, NULL);
	get_bin(tb[LMNIC_A_MIG_DIGEST], s->digest, 32, &s->has_digest);
	get_bin(tb[LMNIC_A_MIG_IMAGE_SHA256], s->image_sha, 32, &s->has_image);
	if (tb[LMNIC_A_MIG_DEV_NAME])
		snprintf(s->dev_name, sizeof(s->dev_name), "%s",
			 nla_get_string(tb[LMNIC_A_MIG_DEV_NAME]));
	return NL_OK;
}

/* WANT: MS_DIGEST, MS_DIRTY (what a pre-copy has still to carry) */
int mig_status(struct mig_status *s, int want)
{
	struct nl_msg *msg = mig_msg(LMNIC_CMD_MIG_STATUS, 0, 0);
	int err;

	memset(s, 0, sizeof(*s));
	if (!msg)
		return -ENODEV;
	if (want & MS_DIGEST)
		nla_put_flag(msg, LMNIC_A_MIG_WANT_DIGEST);
	if (want & MS_DIRTY)
		nla_put_flag(msg, LMNIC_A_MIG_WANT_DIRTY);
	err = lmnic_nl_run(&nl, msg, status_cb, s);
	return err ? err : s->bad;
}

/* VPORT_RESUME, VPORT_ABORT, VPORT_FINISH. */
int mig_do(int cmd)
{
	struct nl_msg *msg = mig_msg(cmd, 0, 0);

	if (!msg)
		return -ENODEV;
	return lmnic_nl_run(&nl, msg, NULL, NULL);
}

static int restore_cb(struct nl_msg *msg, void *arg)
{
	struct nlattr *tb[LMNIC_A_MIG_MAX + 1];
	struct restore_reply *r = arg;

	r->bad = parse_reply("restore", msg, tb);
	if (r->bad)
		return NL_SKIP;
	if (tb[LMNIC_A_MIG_STATE])
		r->state = nla_get_u32(tb[LMNIC_A_MIG_STATE]);
	if (tb[LMNIC_A_MIG_OFFSET])
		r->offset = nla_get_u64(tb[LMNIC_A_MIG_OFFSET]);
	if (tb[LMNIC_A_MIG_LOAD_NS])
		r->load_ns = nla_get_u64(tb[LMNIC_A_MIG_LOAD_NS]);
	get_bin(tb[LMNIC_A_MIG_IMAGE_SHA256], r->sha, 32, &r->has_sha);
	return NL_OK;
}

int restore_chunk(uint64_t off, const void *data, size_t len,
		  int commit, struct restore_reply *r)
{
	struct nl_msg *msg = mig_msg(LMNIC_CMD_VPORT_STATE_RESTORE, 0,
				     len + 4096);
	int err;

	if (!msg)
		return -ENOMEM;
	nla_put_u64(msg, LMNIC_A_MIG_OFFSET, off);
	if (len)
		nla_put(msg, LMNIC_A_MIG_DATA, len, data);
	if (commit)
		nla_put_flag(msg, LMNIC_A_MIG_COMMIT);
	memset(r, 0, sizeof(*r));
	err = lmnic_nl_run(&nl, msg, restore_cb, r);
	return err ? err : r->bad;
}

/* Restore LEN bytes at OFF in chunks the kernel takes. */
int restore_data(uint64_t off, const uint8_t *p, size_t len, int commit,
		 struct restore_reply *r)
{
	int err;

	do {
		size_t n = len > RESTORE_CHUNK ? RESTORE_CHUNK : len;
		int last = n == len;

		err = restore_chunk(off, p, n, commit && last, r);
		if (err)
			return err;
		off += n;
		p += n;
		len -= n;
	} while (len);
	return 0;
}

/* ---- extract (dump) ----------------------------------------------------- */
/* Copy what the piece (OFF, P, LEN) holds of the stream's [AT, AT + N). */
static void copy_span(uint8_t *dst, uint64_t at, size_t n, uint64_t off,
		      const uint8_t *p, size_t len)
{
	uint64_t s = at > off ? at : off;
	uint64_t e = at + n < off + len ? at + n : off + len;

	if (s < e)
		memcpy(dst + (s - at), p + (s - off), e - s);
}

/*
 * Follow the record headers of our own stream as its pieces pass, in
 * order: the bytes and slots of its connection-slot records (what a delta
 * carries only where they changed; the rest it carries whole).
 */
static void walk(struct rec_walk *w, uint64_t off, const uint8_t *p,
		 size_t len)
{
	uint64_t end = off + len;

	if (!w->have_hdr) {
		copy_span((uint8_t *)&w->hdr, 0, sizeof(w->hdr), off, p, len);
		if (end < sizeof(w->hdr))
			return;
		w->have_hdr = 1;
		w->at = sizeof(w->hdr);
		w->end = w->at + le64toh(w->hdr.image_size);
	}
	while (w->at < w->end) {
		copy_span((uint8_t *)&w->rec, w->at, sizeof(w->rec), off, p, len);
		if (end < w->at + sizeof(w->rec))
			return;
		if (le16toh(w->rec.type) == LMNIC_REC_CONN_SLOTS) {
			w->slot_bytes += sizeof(w->rec) + le32toh(w->rec.len);
			w->slots += le32toh(w->rec.arg);
		}
		w->at += sizeof(w->rec) + le32toh(w->rec.len);
	}
}

static int extract_cb(struct nl_msg *msg, void *arg)
{
	struct nlattr *tb[LMNIC_A_MIG_MAX + 1];
	struct extract *x = arg;
	uint64_t off;
	size_t len, keep;

	if (x->err)
		return NL_SKIP;		/* drain what the kernel sends */
	if (parse_reply("extract", msg, tb)) {
		x->err = -EPROTO;
		x->ex_code = EX_EXTRACT;
		return NL_SKIP;
	}
	if (!tb[LMNIC_A_MIG_DATA] || !tb[LMNIC_A_MIG_OFFSET]) {
		x->err = -EPROTO;
		x->ex_code = EX_EXTRACT;
		error("extract: a reply without offset or data");
		return NL_SKIP;
	}
	if (!x->t_first)
		x->t_first = now_ms();
	if (tb[LMNIC_A_MIG_STREAM_SIZE])
		x->total = nla_get_u64(tb[LMNIC_A_MIG_STREAM_SIZE]);
	off = nla_get_u64(tb[LMNIC_A_MIG_OFFSET]);
	len = nla_len(tb[LMNIC_A_MIG_DATA]);
	if (off != x->off) {
		x->err = -EPROTO;
		x->ex_code = EX_EXTRACT;
		error("extract: data at offset %" PRIu64 ", expected %" PRIu64,
		      off, x->off);
		return NL_SKIP;
	}
	/* keep the last bytes: the trailer, with the image's SHA-256 */
	keep = len >= sizeof(x->tail) ? sizeof(x->tail) : len;
	memmove(x->tail, x->tail + keep, sizeof(x->tail) - keep);
	memcpy(x->tail + sizeof(x->tail) - keep,
	       (uint8_t *)nla_data(tb[LMNIC_A_MIG_DATA]) + len - keep, keep);
	if (got_signal) {
		x->err = -EINTR;
		x->ex_code = EX_SIGNAL;
		error("interrupted by a signal");
		return NL_SKIP;
	}
	walk(&x->walk, off, nla_data(tb[LMNIC_A_MIG_DATA]), len);
	flip_point(nla_data(tb[LMNIC_A_MIG_DATA]), off, len);
	x->err = x->sink(x, nla_data(tb[LMNIC_A_MIG_DATA]), len);
	x->off += len;
	R.bytes = x->off;
	progress(stream_name(x), x->off, x->total, 0);
	return x->err ? NL_SKIP : NL_OK;
}

int extract(struct extract *x)
{
	struct nl_msg *msg = mig_msg(LMNIC_CMD_VPORT_STATE_EXTRACT, NLM_F_DUMP, 0);
	int err;

	if (!msg)
		return -ENODEV;
	if (x->precopy && nla_put_flag(msg, LMNIC_A_MIG_PRECOPY)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	progress_start();
	err = lmnic_nl_run(&nl, msg, extract_cb, x);
	if (err)
		return err;
	if (x->err)
		return x->err;
	if (x->total && x->off != x->total) {
		error("extract: %" PRIu64 " bytes of a %" PRIu64 "-byte stream",
		      x->off, x->total);
		x->ex_code = EX_EXTRACT;
		return -EPROTO;
	}
	progress(stream_name(x), x->off, x->total ? x->total : x->off, 1);
	return 0;
}
