// SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause)
/*
 * lmnic: the migration stream parser (see lmnic_stream.h). The same source
 * builds into the driver and, outside the kernel, into the tools, the unit
 * tests and the fuzz target; there a few shims stand in for the kernel's
 * helpers and the CRC-32C is tools/crc32c.c's. Built with LMNIC_FUZZ (host
 * only), CRC-32C and header check mismatches are ignored so that mutated
 * input reaches the checks behind them.
 */

#ifdef __KERNEL__
#include <kunit/visibility.h>
#include <linux/crc32.h>
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/string.h>
#else
#include <endian.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define le16_to_cpu(x)		le16toh(x)
#define le32_to_cpu(x)		le32toh(x)
#define le64_to_cpu(x)		le64toh(x)
#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))
#define LMNIC_STREAM_FORMAT(a, b) format(printf, a, b)
#define __printf(a, b)		__attribute__((LMNIC_STREAM_FORMAT(a, b)))
#define LMNIC_STREAM_NO_EXPORT(sym)	struct lmnic_stream_export_##sym
#define EXPORT_SYMBOL_IF_KUNIT		LMNIC_STREAM_NO_EXPORT
#endif

#include "lmnic_stream.h"

#ifndef __KERNEL__
/* tools/crc32c.c */
__u32 lmnic_crc32c_raw(__u32 crc, const void *buf, size_t len);
#endif

#if defined(LMNIC_FUZZ) && !defined(__KERNEL__)
#define LMNIC_STREAM_ENFORCE_CRC	0
#else
#define LMNIC_STREAM_ENFORCE_CRC	1
#endif

#define LMNIC_REC_HDR_SIZE	sizeof(struct lmnic_img_rec)
#define LMNIC_REC_CHECK_LEN	offsetof(struct lmnic_img_rec, check)

/* Source capabilities whose state the image carries: needed here too. */
#define LMNIC_STREAM_CAPS_NEEDED \
	(LMNIC_CAP_STATE_MEM | LMNIC_CAP_CONN | LMNIC_CAP_MIGRATION)

static const struct lmnic_sm_layout_entry lmnic_stream_layout[] = LMNIC_SM_LAYOUT1;

__u32 lmnic_stream_crc32c(__u32 crc, const void *data, size_t len)
{
#ifdef __KERNEL__
	return __crc32c_le(crc, data, len);
#else
	return lmnic_crc32c_raw(crc, data, len);
#endif
}
EXPORT_SYMBOL_IF_KUNIT(lmnic_stream_crc32c);

static __u32 lmnic_stream_ld32(const __u8 *p)
{
	__le32 v;

	memcpy(&v, p, sizeof(v));
	return le32_to_cpu(v);
}

static __u16 lmnic_stream_ld16(const __u8 *p)
{
	__le16 v;

	memcpy(&v, p, sizeof(v));
	return le16_to_cpu(v);
}

static const char *lmnic_stream_rec_name(__u16 type)
{
	switch (type) {
	case LMNIC_REC_VPORT_HDR:
		return "vport-hdr";
	case LMNIC_REC_SECTION:
		return "section";
	case LMNIC_REC_CONN_SLOTS:
		return "conn-slots";
	default:
		return "unknown";
	}
}

static __printf(3, 4)
int lmnic_stream_fail(struct lmnic_stream *st, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(st->msg, sizeof(st->msg), fmt, ap);
	va_end(ap);
	st->err = err;
	st->phase = LMNIC_SP_FAILED;
	return err;
}

/* A failure in the current record: the message names it and where it is. */
static __printf(3, 4)
int lmnic_stream_rec_fail(struct lmnic_stream *st, int err, const char *fmt, ...)
{
	size_t n;
	va_list ap;

	n = snprintf(st->msg, sizeof(st->msg), "record %u (%s) at offset %llu: ",
		     st->rec_index,
		     lmnic_stream_rec_name(le16_to_cpu(st->rec.type)),
		     (unsigned long long)st->rec_off);
	if (n < sizeof(st->msg)) {
		va_start(ap, fmt);
		vsnprintf(st->msg + n, sizeof(st->msg) - n, fmt, ap);
		va_end(ap);
	}
	st->err = err;
	st->phase = LMNIC_SP_FAILED;
	return err;
}

void lmnic_stream_init(struct lmnic_stream *st,
		       const struct lmnic_stream_want *want,
		       lmnic_stream_emit_t emit, void *priv)
{
	memset(st, 0, offsetof(struct lmnic_stream, hold));
	st->want = *want;
	st->emit = emit;
	st->priv = priv;
	st->phase = LMNIC_SP_HDR;
	st->err = 0;
	st->msg[0] = '\0';
}
EXPORT_SYMBOL_IF_KUNIT(lmnic_stream_init);

static int lmnic_stream_check_hdr(struct lmnic_stream *st)
{
	const struct lmnic_stream_want *w = &st->want;
	const struct lmnic_mig_hdr *h = &st->hdr;
	__u32 check, caps, limit, count, cap, recs;
	__u64 size, max;

	if (le32_to_cpu(h->magic) != LMNIC_MIG_MAGIC)
		return lmnic_stream_fail(st, -EBADMSG,
					 "no migration stream: magic 0x%08x",
					 le32_to_cpu(h->magic));
	if (le16_to_cpu(h->version) != LMNIC_MIG_VERSION)
		return lmnic_stream_fail(st, -EPROTO,
					 "stream version %u, this reader %u",
					 le16_to_cpu(h->version), LMNIC_MIG_VERSION);
	if (le16_to_cpu(h->hdr_size) != sizeof(*h))
		return lmnic_stream_fail(st, -EBADMSG,
					 "stream header of %u bytes, expected %zu",
					 le16_to_cpu(h->hdr_size), sizeof(*h));
	check = lmnic_stream_crc32c(~0U, h, LMNIC_MIG_HDR_CHECK_LEN);
	if (LMNIC_STREAM_ENFORCE_CRC && check != le32_to_cpu(h->check))
		return lmnic_stream_fail(st, -EBADMSG,
					 "stream header: CRC-32C 0x%08x, expected 0x%08x",
					 check, le32_to_cpu(h->check));
	if (le16_to_cpu(h->flags) & ~LMNIC_MIG_F_DELTA)
		return lmnic_stream_fail(st, -EBADMSG,
					 "stream header flags 0x%x, unknown",
					 le16_to_cpu(h->flags));
	st->delta = le16_to_cpu(h->flags) & LMNIC_MIG_F_DELTA;
	if (le16_to_cpu(h->layout) != w->layout)
		return lmnic_stream_fail(st, -EPROTO,
					 "stream layout %u, adapter layout %u",
					 le16_to_cpu(h->layout), w->layout);
	if (le32_to_cpu(h->block_size) != w->block_size)
		return lmnic_stream_fail(st, -EINVAL,
					 "vport block %u bytes, this vport %u",
					 le32_to_cpu(h->block_size), w->block_size);
	cap = le32_to_cpu(h->capacity);
	if (cap != w->capacity)
		return lmnic_stream_fail(st, -EINVAL,
					 "%u connection slots, this vport %u",
					 cap, w->capacity);
	limit = le32_to_cpu(h->conn_limit);
	if (limit > w->conn_max)
		return lmnic_stream_fail(st, -EINVAL,
					 "connection limit %u, this vport holds %u",
					 limit, w->conn_max);
	count = le32_to_cpu(h->conn_count);
	if (count > limit || count > cap)
		return lmnic_stream_fail(st, -EBADMSG,
					 "%u connections, limit %u, %u slots",
					 count, limit, cap);
	caps = le32_to_cpu(h->caps) & LMNIC_STREAM_CAPS_NEEDED;
	if (caps & ~w->caps)
		return lmnic_stream_fail(st, -EINVAL,
					 "source capabilities 0x%x, this adapter lacks 0x%x",
					 le32_to_cpu(h->caps), caps & ~w->caps);
	size = le64_to_cpu(h->image_size);
	max = lmnic_img_max_size(w->capacity);
	if (size < LMNIC_REC_HDR_SIZE + sizeof(struct lmnic_sm_vport_hdr) ||
	    size > max || size % 8)
		return lmnic_stream_fail(st, -EBADMSG,
					 "image of %llu bytes, at most %llu",
					 (unsigned long long)size,
					 (unsigned long long)max);
	recs = le32_to_cpu(h->num_records);
	if (!recs || recs > size / LMNIC_REC_HDR_SIZE)
		return lmnic_stream_fail(st, -EBADMSG,
					 "%u records in an image of %llu bytes",
					 recs, (unsigned long long)size);
	return 0;
}

/* The header of a record: what bounds its payload. */
static int lmnic_stream_check_rec_hdr(struct lmnic_stream *st)
{
	__u64 left = le64_to_cpu(st->hdr.image_size) - st->image_off;
	__u32 len = le32_to_cpu(st->rec.len);
	__u16 flags = le16_to_cpu(st->rec.flags);

	if (len % 8)
		return lmnic_stream_rec_fail(st, -EBADMSG,
					     "length %u, not a multiple of 8", len);
	if (len > LMNIC_IMG_REC_MAX)
		return lmnic_stream_rec_fail(st, -EBADMSG,
					     "length %u, at most %zu", len,
					     LMNIC_IMG_REC_MAX);
	if (len > left)
		return lmnic_stream_rec_fail(st, -EBADMSG,
					     "length %u, past the image's end (%llu bytes left)",
					     len, (unsigned long long)left);
	if (flags & ~LMNIC_RECF_ALL)
		return lmnic_stream_rec_fail(st, -EBADMSG, "flags 0x%x", flags);
	return 0;
}

static int lmnic_stream_vport_hdr(struct lmnic_stream *st, const __u8 *p,
				  __u32 len)
{
	const struct lmnic_stream_want *w = &st->want;
	struct lmnic_sm_vport_hdr vh;
	__u16 n;

	if (st->have_vport_hdr)
		return lmnic_stream_rec_fail(st, -EBADMSG, "a second vport header");
	if (len != sizeof(vh))
		return lmnic_stream_rec_fail(st, -EBADMSG, "%u bytes, expected %zu",
					     len, sizeof(vh));
	memcpy(&vh, p, sizeof(vh));
	if (le32_to_cpu(vh.magic) != LMNIC_SM_VPORT_MAGIC)
		return lmnic_stream_rec_fail(st, -EBADMSG, "magic 0x%08x",
					     le32_to_cpu(vh.magic));
	if (le16_to_cpu(vh.layout) != w->layout)
		return lmnic_stream_rec_fail(st, -EPROTO,
					     "block layout %u, adapter layout %u",
					     le16_to_cpu(vh.layout), w->layout);
	if (le32_to_cpu(vh.block_size) != w->block_size)
		return lmnic_stream_rec_fail(st, -EINVAL,
					     "vport block %u bytes, this vport %u",
					     le32_to_cpu(vh.block_size), w->block_size);
	n = le16_to_cpu(vh.num_sections);
	if (!n || n > LMNIC_SEC_MAX)
		return lmnic_stream_rec_fail(st, -EBADMSG, "%u sections", n);
	st->have_vport_hdr = true;
	return 0;
}

static int lmnic_stream_section(struct lmnic_stream *st, const __u8 *p,
				__u32 len)
{
	const struct lmnic_sm_layout_entry *e = NULL;
	__u32 type = le32_to_cpu(st->rec.arg);
	bool host = le16_to_cpu(st->rec.flags) & LMNIC_RECF_HOST;
	struct lmnic_sm_conn_hdr ch;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(lmnic_stream_layout); i++)
		if (lmnic_stream_layout[i].type == type)
			e = &lmnic_stream_layout[i];
	if (!e)
		return lmnic_stream_rec_fail(st, -EBADMSG, "section type %u", type);
	if (st->slots)
		return lmnic_stream_rec_fail(st, -EBADMSG,
					     "section %u after connection slots",
					     type);
	if (st->sections & (1U << type))
		return lmnic_stream_rec_fail(st, -EBADMSG, "section %u again", type);
	if (len != e->size)
		return lmnic_stream_rec_fail(st, -EBADMSG,
					     "section %u of %u bytes, expected %u",
					     type, len, e->size);
	if (host != !!(e->flags & LMNIC_SECF_HOST))
		return lmnic_stream_rec_fail(st, -EBADMSG,
					     "section %u %s the HOST flag", type,
					     host ? "has" : "lacks");
	if (type == LMNIC_SEC_CONN) {
		memcpy(&ch, p, sizeof(ch));
		if (le32_to_cpu(ch.capacity) != le32_to_cpu(st->hdr.capacity) ||
		    le32_to_cpu(ch.limit) != le32_to_cpu(st->hdr.conn_limit) ||
		    le32_to_cpu(ch.count) != le32_to_cpu(st->hdr.conn_count))
			return lmnic_stream_rec_fail(st, -EBADMSG,
						     "table of %u slots, limit %u, %u connections; the stream header says %u, %u, %u",
						     le32_to_cpu(ch.capacity),
						     le32_to_cpu(ch.limit),
						     le32_to_cpu(ch.count),
						     le32_to_cpu(st->hdr.capacity),
						     le32_to_cpu(st->hdr.conn_limit),
						     le32_to_cpu(st->hdr.conn_count));
	}
	st->sections |= 1U << type;
	return 0;
}

static int lmnic_stream_conn_slots(struct lmnic_stream *st, const __u8 *p,
				   __u32 len)
{
	const size_t id_off = offsetof(struct lmnic_img_slot, conn) +
			      offsetof(struct lmnic_conn, id);
	const size_t flags_off = offsetof(struct lmnic_img_slot, conn) +
				 offsetof(struct lmnic_conn, flags);
	__u32 n = le32_to_cpu(st->rec.arg), limit, i, slot, id;
	__u16 flags;

	if (!n || (__u64)n * sizeof(struct lmnic_img_slot) != len)
		return lmnic_stream_rec_fail(st, -EBADMSG,
					     "%u slots in %u bytes", n, len);
	limit = le32_to_cpu(st->hdr.conn_limit);
	for (i = 0; i < n; i++, p += sizeof(struct lmnic_img_slot)) {
		slot = lmnic_stream_ld32(p);
		id = lmnic_stream_ld32(p + id_off);
		flags = lmnic_stream_ld16(p + flags_off);
		if (slot < st->next_slot)
			return lmnic_stream_rec_fail(st, -EBADMSG,
						     "slot %u after slot %u",
						     slot, st->next_slot - 1);
		if (slot >= st->want.capacity)
			return lmnic_stream_rec_fail(st, -EBADMSG,
						     "slot %u of %u", slot,
						     st->want.capacity);
		if (!flags && st->delta) {
			/* emptied since the image the delta applies on */
		} else if ((flags & LMNIC_CONNF_VALID) && !(flags & LMNIC_CONNF_TOMB)) {
			if (id >= limit)
				return lmnic_stream_rec_fail(st, -EBADMSG,
							     "slot %u: connection %u, limit %u",
							     slot, id, limit);
			if (!st->delta &&
			    st->conns >= le32_to_cpu(st->hdr.conn_count))
				return lmnic_stream_rec_fail(st, -EBADMSG,
							     "slot %u: more than %u connections",
							     slot,
							     le32_to_cpu(st->hdr.conn_count));
			st->conns++;
		} else if ((flags & LMNIC_CONNF_TOMB) && !(flags & LMNIC_CONNF_VALID)) {
			st->tombs++;
		} else {
			return lmnic_stream_rec_fail(st, -EBADMSG,
						     "slot %u: flags 0x%x", slot,
						     flags);
		}
		st->next_slot = slot + 1;
		st->slots++;
	}
	return 0;
}

/* The record is whole: check it, then hand it on. */
static int lmnic_stream_rec_end(struct lmnic_stream *st)
{
	const __u8 *p = st->hold + LMNIC_REC_HDR_SIZE;
	__u32 len = le32_to_cpu(st->rec.len);
	__u16 type = le16_to_cpu(st->rec.type);
	__u64 size = le64_to_cpu(st->hdr.image_size);
	int err;

	if (LMNIC_STREAM_ENFORCE_CRC && st->want.rec_crc &&
	    st->crc != le32_to_cpu(st->rec.check))
		return lmnic_stream_rec_fail(st, -EBADMSG,
					     "CRC-32C 0x%08x, expected 0x%08x",
					     st->crc, le32_to_cpu(st->rec.check));
	if (!st->rec_index && type != LMNIC_REC_VPORT_HDR)
		return lmnic_stream_rec_fail(st, -EBADMSG,
					     "the image does not start with the vport header");
	switch (type) {
	case LMNIC_REC_VPORT_HDR:
		err = lmnic_stream_vport_hdr(st, p, len);
		break;
	case LMNIC_REC_SECTION:
		err = lmnic_stream_section(st, p, len);
		break;
	case LMNIC_REC_CONN_SLOTS:
		err = lmnic_stream_conn_slots(st, p, len);
		break;
	default:
		err = 0;
		if (!(le16_to_cpu(st->rec.flags) & LMNIC_RECF_OPTIONAL))
			err = lmnic_stream_rec_fail(st, -EBADMSG,
						    "type %u, not optional", type);
		break;
	}
	if (err)
		return err;
	err = st->emit(st->priv, st->hold, LMNIC_REC_HDR_SIZE + len);
	if (err < 0)
		return lmnic_stream_rec_fail(st, err, "not taken (%d)", err);
	st->rec_index++;
	st->got = 0;
	if (st->image_off == size) {
		st->phase = LMNIC_SP_TRAILER;
		return 0;
	}
	if (st->rec_index >= le32_to_cpu(st->hdr.num_records))
		return lmnic_stream_fail(st, -EBADMSG,
					 "image continues at offset %llu after its %u records",
					 (unsigned long long)st->off,
					 st->rec_index);
	if (size - st->image_off < LMNIC_REC_HDR_SIZE)
		return lmnic_stream_fail(st, -EBADMSG,
					 "%llu image bytes left at offset %llu, less than a record",
					 (unsigned long long)(size - st->image_off),
					 (unsigned long long)st->off);
	st->phase = LMNIC_SP_REC_HDR;
	st->rec_off = st->off;
	return 0;
}

static int lmnic_stream_check_trailer(struct lmnic_stream *st)
{
	const struct lmnic_mig_trailer *t = &st->trailer;

	if (le32_to_cpu(t->magic) != LMNIC_MIG_TRAILER_MAGIC)
		return lmnic_stream_fail(st, -EBADMSG,
					 "trailer at offset %llu: magic 0x%08x",
					 (unsigned long long)st->rec_off,
					 le32_to_cpu(t->magic));
	if (t->num_records != st->hdr.num_records ||
	    t->image_size != st->hdr.image_size)
		return lmnic_stream_fail(st, -EBADMSG,
					 "trailer at offset %llu: %u records, %llu bytes; the header says %u, %llu",
					 (unsigned long long)st->rec_off,
					 le32_to_cpu(t->num_records),
					 (unsigned long long)le64_to_cpu(t->image_size),
					 le32_to_cpu(st->hdr.num_records),
					 (unsigned long long)le64_to_cpu(st->hdr.image_size));
	st->phase = LMNIC_SP_DONE;
	return 0;
}

/* Copy up to what the current piece still needs into DST + st->got. */
static size_t lmnic_stream_take(struct lmnic_stream *st, void *dst, __u32 need,
				const __u8 *p, size_t len)
{
	size_t n = need - st->got;

	if (n > len)
		n = len;
	memcpy((__u8 *)dst + st->got, p, n);
	st->got += n;
	st->off += n;
	return n;
}

int lmnic_stream_feed(struct lmnic_stream *st, const void *data, size_t len)
{
	const __u8 *p = data;
	__u32 rlen;
	size_t n;
	int err;

	if (st->phase == LMNIC_SP_FAILED)
		return st->err;
	while (len) {
		switch (st->phase) {
		case LMNIC_SP_HDR:
			n = lmnic_stream_take(st, &st->hdr, sizeof(st->hdr), p, len);
			p += n;
			len -= n;
			if (st->got < sizeof(st->hdr))
				break;
			err = lmnic_stream_check_hdr(st);
			if (err)
				return err;
			st->got = 0;
			st->rec_off = st->off;
			st->phase = LMNIC_SP_REC_HDR;
			break;
		case LMNIC_SP_REC_HDR:
			n = lmnic_stream_take(st, st->hold, LMNIC_REC_HDR_SIZE, p, len);
			p += n;
			len -= n;
			st->image_off += n;
			if (st->got < LMNIC_REC_HDR_SIZE)
				break;
			memcpy(&st->rec, st->hold, sizeof(st->rec));
			err = lmnic_stream_check_rec_hdr(st);
			if (err)
				return err;
			if (st->want.rec_crc)
				st->crc = lmnic_stream_crc32c(~0U, st->hold,
							      LMNIC_REC_CHECK_LEN);
			st->phase = LMNIC_SP_REC_DATA;
			if (!st->rec.len) {
				err = lmnic_stream_rec_end(st);
				if (err)
					return err;
			}
			break;
		case LMNIC_SP_REC_DATA:
			rlen = LMNIC_REC_HDR_SIZE + le32_to_cpu(st->rec.len);
			n = lmnic_stream_take(st, st->hold, rlen, p, len);
			if (st->want.rec_crc)
				st->crc = lmnic_stream_crc32c(st->crc, p, n);
			p += n;
			len -= n;
			st->image_off += n;
			if (st->got < rlen)
				break;
			err = lmnic_stream_rec_end(st);
			if (err)
				return err;
			break;
		case LMNIC_SP_TRAILER:
			if (!st->got)
				st->rec_off = st->off;
			n = lmnic_stream_take(st, &st->trailer, sizeof(st->trailer),
					      p, len);
			p += n;
			len -= n;
			if (st->got < sizeof(st->trailer))
				break;
			err = lmnic_stream_check_trailer(st);
			if (err)
				return err;
			break;
		case LMNIC_SP_DONE:
			return lmnic_stream_fail(st, -EBADMSG,
						 "%zu bytes after the trailer, at offset %llu",
						 len, (unsigned long long)st->off);
		default:
			return st->err ? st->err : -EINVAL;
		}
	}
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(lmnic_stream_feed);

int lmnic_stream_finish(struct lmnic_stream *st)
{
	__u32 recs = le32_to_cpu(st->hdr.num_records);
	unsigned long long off = st->off;
	unsigned int i;
	__u32 type;

	switch (st->phase) {
	case LMNIC_SP_FAILED:
		return st->err;
	case LMNIC_SP_HDR:
		return lmnic_stream_fail(st, -ENODATA,
					 "stream ends at offset %llu inside its header",
					 off);
	case LMNIC_SP_REC_HDR:
		if (!st->got)
			return lmnic_stream_fail(st, -ENODATA,
						 "stream ends at offset %llu before record %u of %u",
						 off, st->rec_index, recs);
		return lmnic_stream_fail(st, -ENODATA,
					 "stream ends at offset %llu inside the header of record %u",
					 off, st->rec_index);
	case LMNIC_SP_REC_DATA:
		return lmnic_stream_fail(st, -ENODATA,
					 "stream ends at offset %llu inside record %u (%s)",
					 off, st->rec_index,
					 lmnic_stream_rec_name(le16_to_cpu(st->rec.type)));
	case LMNIC_SP_TRAILER:
		if (!st->got)
			return lmnic_stream_fail(st, -ENODATA,
						 "stream has no trailer (ends at offset %llu)",
						 off);
		return lmnic_stream_fail(st, -ENODATA,
					 "stream ends at offset %llu inside the trailer",
					 off);
	case LMNIC_SP_DONE:
		break;
	}
	if (st->rec_index != recs)
		return lmnic_stream_fail(st, -ENODATA,
					 "%u records of the %u the header promised",
					 st->rec_index, recs);
	if (!st->have_vport_hdr)
		return lmnic_stream_fail(st, -ENODATA, "no vport header record");
	for (i = 0; i < ARRAY_SIZE(lmnic_stream_layout); i++) {
		type = lmnic_stream_layout[i].type;
		if (!(lmnic_stream_layout[i].flags & LMNIC_SECF_HOST) &&
		    !(st->sections & (1U << type)))
			return lmnic_stream_fail(st, -ENODATA,
						 "no record of section %u", type);
	}
	/* a delta's count is of the table it completes: the adapter checks */
	if (!st->delta && st->conns != le32_to_cpu(st->hdr.conn_count))
		return lmnic_stream_fail(st, -ENODATA,
					 "%u connections of the %u the header promised",
					 st->conns, le32_to_cpu(st->hdr.conn_count));
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(lmnic_stream_finish);
