// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of the migration stream parser
 * (drivers/net/ethernet/lmnic/lmnic_stream.c, as the tools build it) on
 * streams from tools/lmnic_stream_build.c, CRC-32C enforced: a valid stream
 * is taken whole and in any pieces, and every kind of damage is refused
 * with the error the header documents.
 */

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "lmnic_stream.h"
#include "lmnic_stream_build.h"

#define BLOCK		(64 * 1024)
#define HDR		sizeof(struct lmnic_mig_hdr)
#define TRAILER		sizeof(struct lmnic_mig_trailer)

struct sink {
	uint8_t *buf;
	size_t len, cap;
	unsigned int calls;
	int fail;		/* returned from the call after this many */
};

struct fixture {
	struct lmnic_stream *st;
	struct lmnic_stream_want want;
	struct sink sink;
	uint8_t *buf;
	size_t len;
};

static const struct lmnic_sb_slot slots4[] = {
	{ .slot = 3, .id = 0, .flags = LMNIC_CONNF_VALID },
	{ .slot = 7, .id = 9, .flags = LMNIC_CONNF_TOMB },
	{ .slot = 10, .id = 5, .flags = LMNIC_CONNF_VALID },
	{ .slot = 200, .id = 2, .flags = LMNIC_CONNF_VALID },
};

static int emit(void *priv, const void *data, __u32 len)
{
	struct sink *s = priv;

	if (s->fail && s->calls == (unsigned int)s->fail)
		return -ENOSPC;
	s->calls++;
	if (s->len + len > s->cap) {
		s->cap = (s->len + len) * 2;
		s->buf = realloc(s->buf, s->cap);
		assert_non_null(s->buf);
	}
	memcpy(s->buf + s->len, data, len);
	s->len += len;
	return 0;
}

static void build(struct fixture *f, struct lmnic_sb_params *p)
{
	free(f->buf);
	f->buf = NULL;
	if (!p->block_size)
		p->block_size = BLOCK;
	if (!p->slots && !p->num_slots) {
		p->slots = slots4;
		p->num_slots = 4;
		p->slots_per_rec = 2;
	}
	assert_int_equal(0, lmnic_sb_build(p, &f->buf, &f->len));
}

static void build_default(struct fixture *f)
{
	struct lmnic_sb_params p = { 0 };

	build(f, &p);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->st = calloc(1, sizeof(*f->st));
	assert_non_null(f->st);
	f->want.layout = LMNIC_LAYOUT_VERSION;
	f->want.caps = LMNIC_CAP_ALL;
	f->want.block_size = BLOCK;
	f->want.capacity = lmnic_sm_conn_capacity(BLOCK);
	f->want.conn_max = f->want.capacity;
	f->want.rec_crc = true;
	build_default(f);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	free(f->sink.buf);
	free(f->buf);
	free(f->st);
	free(f);
	return 0;
}

static struct lmnic_mig_hdr *hdr(struct fixture *f)
{
	return (struct lmnic_mig_hdr *)f->buf;
}

static struct lmnic_img_rec *rec(struct fixture *f, unsigned int i)
{
	struct lmnic_img_rec *r = lmnic_sb_record(f->buf, f->len, i);

	assert_non_null(r);
	return r;
}

static unsigned int num_recs(struct fixture *f)
{
	return le32toh(hdr(f)->num_records);
}

/* Feed LEN bytes of the stream in pieces of PIECE bytes (0: one), then finish. */
static int run_len(struct fixture *f, size_t len, size_t piece)
{
	size_t off, n;
	int err;

	f->sink.len = 0;
	f->sink.calls = 0;
	lmnic_stream_init(f->st, &f->want, emit, &f->sink);
	if (!piece)
		piece = len ? len : 1;
	for (off = 0; off < len; off += n) {
		n = len - off < piece ? len - off : piece;
		err = lmnic_stream_feed(f->st, f->buf + off, n);
		if (err) {
			assert_int_equal(err, f->st->err);
			assert_int_not_equal(0, f->st->msg[0]);
			/* stuck in the error */
			assert_int_equal(err, lmnic_stream_feed(f->st, f->buf, 1));
			assert_int_equal(err, lmnic_stream_finish(f->st));
			return err;
		}
	}
	err = lmnic_stream_finish(f->st);
	if (err)
		assert_int_not_equal(0, f->st->msg[0]);
	return err;
}

static int run(struct fixture *f)
{
	return run_len(f, f->len, 0);
}

static void expect_msg(struct fixture *f, const char *what)
{
	if (!strstr(f->st->msg, what))
		fail_msg("message \"%s\" lacks \"%s\"", f->st->msg, what);
}

static void test_valid_whole(void **state)
{
	struct fixture *f = *state;
	uint64_t size = le64toh(hdr(f)->image_size);

	assert_int_equal(0, run(f));
	assert_int_equal(LMNIC_SP_DONE, f->st->phase);
	assert_int_equal(num_recs(f), f->sink.calls);
	assert_int_equal(size, f->sink.len);
	assert_memory_equal(f->buf + HDR, f->sink.buf, size);
	assert_int_equal(3, f->st->conns);
	assert_int_equal(4, f->st->slots);
	assert_memory_equal(((struct lmnic_mig_trailer *)(f->buf + HDR + size))->sha256,
			    f->st->trailer.sha256, 32);
}

static void test_valid_pieces(void **state)
{
	static const size_t pieces[] = { 1, 3, 7, 8, 13, 16, 17, 100, 4096 };
	struct fixture *f = *state;
	uint64_t size = le64toh(hdr(f)->image_size);
	unsigned int i;

	for (i = 0; i < sizeof(pieces) / sizeof(pieces[0]); i++) {
		assert_int_equal(0, run_len(f, f->len, pieces[i]));
		assert_int_equal(size, f->sink.len);
		assert_memory_equal(f->buf + HDR, f->sink.buf, size);
	}
}

static void test_valid_no_slots(void **state)
{
	struct fixture *f = *state;
	static const struct lmnic_sb_slot none[1];
	struct lmnic_sb_params p = { .slots = none, .num_slots = 0 };

	build(f, &p);
	assert_int_equal(0, run(f));
	assert_int_equal(0, f->st->conns);
}

static void test_many_slots(void **state)
{
	struct fixture *f = *state;
	struct lmnic_sb_params p = { 0 };
	struct lmnic_sb_slot *s;
	unsigned int i, n = 300;

	f->want.block_size = 1024 * 1024;
	f->want.capacity = lmnic_sm_conn_capacity(f->want.block_size);
	f->want.conn_max = f->want.capacity;
	s = calloc(n, sizeof(*s));
	assert_non_null(s);
	for (i = 0; i < n; i++) {
		s[i].slot = i * 20;
		s[i].id = i;
		s[i].flags = LMNIC_CONNF_VALID;
	}
	p.block_size = f->want.block_size;
	p.slots = s;
	p.num_slots = n;
	p.slots_per_rec = 0;
	build(f, &p);
	free(s);
	assert_int_equal(0, run_len(f, f->len, 4093));
	assert_int_equal(n, f->st->conns);
}

static void test_bad_magic(void **state)
{
	struct fixture *f = *state;

	hdr(f)->magic = htole32(0x12345678);
	lmnic_sb_seal(f->buf, f->len);
	assert_int_equal(-EBADMSG, run(f));
	expect_msg(f, "magic");
	assert_int_equal(0, f->sink.calls);
}

static void test_bad_version(void **state)
{
	struct fixture *f = *state;

	hdr(f)->version = htole16(LMNIC_MIG_VERSION + 1);
	lmnic_sb_seal(f->buf, f->len);
	assert_int_equal(-EPROTO, run(f));
	/* the version is judged before the header check */
	hdr(f)->check ^= htole32(1);
	assert_int_equal(-EPROTO, run(f));
}

static void test_bad_hdr_fields(void **state)
{
	struct fixture *f = *state;

	hdr(f)->hdr_size = htole16(HDR + 8);
	lmnic_sb_seal(f->buf, f->len);
	assert_int_equal(-EBADMSG, run(f));
	build_default(f);
	hdr(f)->flags = htole16(2);
	lmnic_sb_seal(f->buf, f->len);
	assert_int_equal(-EBADMSG, run(f));
	/* header check */
	build_default(f);
	hdr(f)->mtu = htole16(9000);
	assert_int_equal(-EBADMSG, run(f));
	expect_msg(f, "CRC-32C");
	/* more connections than the limit */
	build_default(f);
	hdr(f)->conn_limit = htole32(2);
	lmnic_sb_seal(f->buf, f->len);
	assert_int_equal(-EBADMSG, run(f));
	/* image size */
	build_default(f);
	hdr(f)->image_size = htole64(lmnic_img_max_size(f->want.capacity) + 8);
	lmnic_sb_seal(f->buf, f->len);
	assert_int_equal(-EBADMSG, run(f));
	build_default(f);
	hdr(f)->image_size = htole64(16);
	lmnic_sb_seal(f->buf, f->len);
	assert_int_equal(-EBADMSG, run(f));
	/* record count */
	build_default(f);
	hdr(f)->num_records = 0;
	lmnic_sb_seal(f->buf, f->len);
	assert_int_equal(-EBADMSG, run(f));
	build_default(f);
	hdr(f)->num_records = htole32(le64toh(hdr(f)->image_size) / 16 + 1);
	lmnic_sb_seal(f->buf, f->len);
	assert_int_equal(-EBADMSG, run(f));
}

static void test_layout_mismatch(void **state)
{
	struct fixture *f = *state;

	f->want.layout = LMNIC_LAYOUT_VERSION + 1;
	assert_int_equal(-EPROTO, run(f));
	expect_msg(f, "stream layout 1, adapter layout 2");
}

static void test_block_size_mismatch(void **state)
{
	struct fixture *f = *state;

	f->want.block_size = 2 * BLOCK;
	assert_int_equal(-EINVAL, run(f));
	expect_msg(f, "vport block 65536 bytes, this vport 131072");
}

static void test_does_not_fit(void **state)
{
	struct fixture *f = *state;

	f->want.capacity--;
	assert_int_equal(-EINVAL, run(f));
	f->want.capacity++;
	f->want.conn_max = 100;
	assert_int_equal(-EINVAL, run(f));
	f->want.conn_max = f->want.capacity;
	f->want.caps = LMNIC_CAP_ALL & ~LMNIC_CAP_CONN;
	assert_int_equal(-EINVAL, run(f));
	/* capabilities the image does not depend on need not be here */
	f->want.caps = LMNIC_CAP_STATE_MEM | LMNIC_CAP_CONN | LMNIC_CAP_MIGRATION;
	hdr(f)->caps = htole32(LMNIC_CAP_ALL);
	lmnic_sb_seal(f->buf, f->len);
	assert_int_equal(0, run(f));
}

/*
 * A delta (LMNIC_MIG_F_DELTA): slots emptied since the pre-copy image come
 * as entries of zeroes; a whole image has none.
 */
static void test_delta(void **state)
{
	static const struct lmnic_sb_slot d[] = {
		{ .slot = 3, .id = 0, .flags = 0 },
		{ .slot = 10, .id = 5, .flags = LMNIC_CONNF_VALID },
	};
	struct lmnic_sb_params p = { .slots = d, .num_slots = 2 };
	struct fixture *f = *state;

	build(f, &p);
	assert_int_equal(-EBADMSG, run(f));
	expect_msg(f, "slot 3: flags 0x0");

	build(f, &p);
	hdr(f)->flags = htole16(LMNIC_MIG_F_DELTA);
	lmnic_sb_seal(f->buf, f->len);
	assert_int_equal(0, run(f));
	assert_true(f->st->delta);

	/* the slots still go up, and stay in range */
	build_default(f);
	hdr(f)->flags = htole16(LMNIC_MIG_F_DELTA);
	lmnic_sb_seal(f->buf, f->len);
	assert_int_equal(0, run(f));
	build(f, &p);
	hdr(f)->flags = htole16(LMNIC_MIG_F_DELTA);
	((struct lmnic_img_slot *)(rec(f, num_recs(f) - 1) + 1))[1].slot =
		htole32(2);
	lmnic_sb_seal(f->buf, f->len);
	assert_int_equal(-EBADMSG, run(f));
	expect_msg(f, "slot 2 after slot 3");
}

static void test_payload_crc(void **state)
{
	struct fixture *f = *state;
	struct lmnic_img_rec *r = rec(f, 3);

	((uint8_t *)(r + 1))[5] ^= 0x20;
	assert_int_equal(-EBADMSG, run(f));
	expect_msg(f, "record 3 (section) at offset");
	expect_msg(f, "CRC-32C");
	/* nothing of the damaged record was handed on */
	assert_int_equal(3, f->sink.calls);
	assert_int_equal(-EBADMSG, run_len(f, f->len, 1));
	assert_int_equal(3, f->sink.calls);
	/* the record header is covered too */
	build_default(f);
	rec(f, 2)->arg ^= htole32(0x100);
	assert_int_equal(-EBADMSG, run(f));
	expect_msg(f, "CRC-32C");
	/* a reader that leaves the records' CRC-32C to the adapter */
	build_default(f);
	f->want.rec_crc = false;
	((uint8_t *)(rec(f, 3) + 1))[5] ^= 0x20;
	assert_int_equal(0, run(f));
	hdr(f)->conn_count ^= htole32(1);
	assert_int_equal(-EBADMSG, run(f));
	expect_msg(f, "stream header: CRC-32C");
}

static void test_rec_len_unaligned(void **state)
{
	struct fixture *f = *state;

	rec(f, 1)->len = htole32(le32toh(rec(f, 1)->len) + 4);
	assert_int_equal(-EBADMSG, run(f));
	expect_msg(f, "multiple of 8");
}

static void test_rec_len_too_large(void **state)
{
	struct fixture *f = *state;

	rec(f, 1)->len = htole32(LMNIC_IMG_REC_MAX + 8);
	assert_int_equal(-EBADMSG, run(f));
	build_default(f);
	rec(f, 1)->len = htole32(0xfffffff8);
	assert_int_equal(-EBADMSG, run_len(f, f->len, 5));
}

static void test_rec_past_image(void **state)
{
	struct fixture *f = *state;
	struct lmnic_img_rec *r = rec(f, num_recs(f) - 1);

	r->len = htole32(le32toh(r->len) + 8);
	lmnic_sb_seal(f->buf, f->len);
	assert_int_equal(-EBADMSG, run(f));
	expect_msg(f, "past the image");
	/* fewer records than the image has room for */
	build_default(f);
	hdr(f)->num_records = htole32(num_recs(f) - 1);
	lmnic_sb_seal(f->buf, f->len);
	assert_int_equal(-EBADMSG, run(f));
}

static void test_rec_flags(void **state)
{
	struct fixture *f = *state;

	rec(f, 1)->flags = htole16(4);
	lmnic_sb_seal(f->buf, f->len);
	assert_int_equal(-EBADMSG, run(f));
	/* a non-HOST section flagged HOST */
	build_default(f);
	rec(f, 1)->flags = htole16(LMNIC_RECF_HOST);
	lmnic_sb_seal(f->buf, f->len);
	assert_int_equal(-EBADMSG, run(f));
	expect_msg(f, "HOST");
}

static void test_unknown_record(void **state)
{
	struct fixture *f = *state;
	struct lmnic_sb_rec x = { .type = 77, .len = 24 };
	struct lmnic_sb_params p = { .extra = &x, .num_extra = 1 };

	build(f, &p);
	assert_int_equal(-EBADMSG, run(f));
	expect_msg(f, "(unknown)");
	x.flags = LMNIC_RECF_OPTIONAL;
	build(f, &p);
	assert_int_equal(0, run(f));
	/* skipped, but handed on: the image digest stays the source's */
	assert_int_equal(num_recs(f), f->sink.calls);
	assert_memory_equal(f->buf + HDR, f->sink.buf, f->sink.len);
	assert_int_equal(le64toh(hdr(f)->image_size), f->sink.len);
	/* an empty one too */
	x.len = 0;
	build(f, &p);
	assert_int_equal(0, run_len(f, f->len, 1));
}

static void test_vport_hdr_record(void **state)
{
	struct fixture *f = *state;
	struct lmnic_sm_vport_hdr *vh = (void *)(rec(f, 0) + 1);

	vh->layout = htole16(2);
	lmnic_sb_seal(f->buf, f->len);
	assert_int_equal(-EPROTO, run(f));
	build_default(f);
	vh = (void *)(rec(f, 0) + 1);
	vh->block_size = htole32(BLOCK * 2);
	lmnic_sb_seal(f->buf, f->len);
	assert_int_equal(-EINVAL, run(f));
	build_default(f);
	vh = (void *)(rec(f, 0) + 1);
	vh->magic = 0;
	lmnic_sb_seal(f->buf, f->len);
	assert_int_equal(-EBADMSG, run(f));
	build_default(f);
	vh = (void *)(rec(f, 0) + 1);
	vh->num_sections = htole16(LMNIC_SEC_MAX + 1);
	lmnic_sb_seal(f->buf, f->len);
	assert_int_equal(-EBADMSG, run(f));
	/* not first */
	build_default(f);
	rec(f, 0)->type = htole16(LMNIC_REC_SECTION);
	lmnic_sb_seal(f->buf, f->len);
	assert_int_equal(-EBADMSG, run(f));
}

static void test_section_records(void **state)
{
	struct fixture *f = *state;

	/* unknown section */
	rec(f, 1)->arg = htole32(LMNIC_SEC_CONN_TABLE);
	lmnic_sb_seal(f->buf, f->len);
	assert_int_equal(-EBADMSG, run(f));
	/* a required section missing */
	build_default(f);
	rec(f, 2)->type = htole16(99);
	rec(f, 2)->flags = htole16(LMNIC_RECF_OPTIONAL);
	lmnic_sb_seal(f->buf, f->len);
	assert_int_equal(-ENODATA, run(f));
	expect_msg(f, "section");
	/* the connection header disagrees with the stream header */
	build_default(f);
	hdr(f)->conn_count = htole32(2);
	lmnic_sb_seal(f->buf, f->len);
	assert_int_equal(-EBADMSG, run(f));
}

static void test_slots_not_ascending(void **state)
{
	static const struct lmnic_sb_slot s[] = {
		{ .slot = 3, .id = 0, .flags = LMNIC_CONNF_VALID },
		{ .slot = 10, .id = 1, .flags = LMNIC_CONNF_VALID },
		{ .slot = 10, .id = 2, .flags = LMNIC_CONNF_VALID },
	};
	struct fixture *f = *state;
	struct lmnic_sb_params p = { .slots = s, .num_slots = 3,
				     .slots_per_rec = 2 };

	build(f, &p);
	assert_int_equal(-EBADMSG, run(f));
	expect_msg(f, "(conn-slots)");
	/* within one record */
	p.slots_per_rec = 3;
	build(f, &p);
	assert_int_equal(-EBADMSG, run(f));
}

static void test_slot_range(void **state)
{
	struct lmnic_sb_slot s[] = {
		{ .slot = 3, .id = 0, .flags = LMNIC_CONNF_VALID },
		{ .slot = 0, .id = 1, .flags = LMNIC_CONNF_VALID },
	};
	struct fixture *f = *state;
	struct lmnic_sb_params p = { .slots = s, .num_slots = 2 };

	s[1].slot = f->want.capacity;
	build(f, &p);
	assert_int_equal(-EBADMSG, run(f));
	expect_msg(f, "slot");
	s[1].slot = f->want.capacity - 1;
	build(f, &p);
	assert_int_equal(0, run(f));
	/* flags: exactly one of VALID and TOMB */
	s[1].flags = LMNIC_CONNF_VALID | LMNIC_CONNF_TOMB;
	build(f, &p);
	assert_int_equal(-EBADMSG, run(f));
	s[1].flags = 0;
	build(f, &p);
	assert_int_equal(-EBADMSG, run(f));
	/* count and length */
	s[1].flags = LMNIC_CONNF_VALID;
	build(f, &p);
	rec(f, num_recs(f) - 1)->arg = htole32(3);
	lmnic_sb_seal(f->buf, f->len);
	assert_int_equal(-EBADMSG, run(f));
	build(f, &p);
	rec(f, num_recs(f) - 1)->arg = 0;
	lmnic_sb_seal(f->buf, f->len);
	assert_int_equal(-EBADMSG, run(f));
}

static void test_id_limit(void **state)
{
	struct lmnic_sb_slot s[] = {
		{ .slot = 3, .id = 0, .flags = LMNIC_CONNF_VALID },
		{ .slot = 4, .id = 8, .flags = LMNIC_CONNF_VALID },
	};
	struct fixture *f = *state;
	struct lmnic_sb_params p = { .slots = s, .num_slots = 2, .conn_limit = 8 };

	build(f, &p);
	assert_int_equal(-EBADMSG, run(f));
	expect_msg(f, "limit 8");
	s[1].id = 7;
	build(f, &p);
	assert_int_equal(0, run(f));
	/* a tombstone's id does not matter */
	s[1].id = 100;
	s[1].flags = LMNIC_CONNF_TOMB;
	build(f, &p);
	assert_int_equal(0, run(f));
}

static void test_conn_count(void **state)
{
	struct fixture *f = *state;
	struct lmnic_sm_conn_hdr *ch;
	unsigned int i;

	/* header and section promise one more than the slots hold */
	for (i = 1; i < num_recs(f); i++)
		if (le16toh(rec(f, i)->type) == LMNIC_REC_SECTION &&
		    le32toh(rec(f, i)->arg) == LMNIC_SEC_CONN)
			break;
	ch = (void *)(rec(f, i) + 1);
	ch->count = htole32(4);
	hdr(f)->conn_count = htole32(4);
	lmnic_sb_seal(f->buf, f->len);
	assert_int_equal(-ENODATA, run(f));
	expect_msg(f, "connections");
}

static void test_truncated(void **state)
{
	struct fixture *f = *state;
	size_t size = le64toh(hdr(f)->image_size);

	assert_int_equal(-ENODATA, run_len(f, 0, 0));
	assert_int_equal(-ENODATA, run_len(f, 30, 0));
	expect_msg(f, "header");
	assert_int_equal(-ENODATA, run_len(f, HDR + 8, 0));
	assert_int_equal(-ENODATA, run_len(f, HDR + 100, 7));
	expect_msg(f, "inside record 0 (vport-hdr)");
	assert_int_equal(-ENODATA, run_len(f, HDR + size, 0));
	expect_msg(f, "no trailer");
	assert_int_equal(-ENODATA, run_len(f, f->len - 1, 0));
	expect_msg(f, "trailer");
	/* nothing of a partial record was handed on */
	assert_int_equal(-ENODATA, run_len(f, HDR + size - 1, 0));
	assert_int_equal(num_recs(f) - 1, f->sink.calls);
}

static void test_trailer_mismatch(void **state)
{
	struct fixture *f = *state;
	struct lmnic_mig_trailer *t = (void *)(f->buf + f->len - TRAILER);

	t->num_records = htole32(num_recs(f) + 1);
	assert_int_equal(-EBADMSG, run(f));
	expect_msg(f, "trailer");
	t->num_records = htole32(num_recs(f));
	t->image_size = htole64(le64toh(t->image_size) + 8);
	assert_int_equal(-EBADMSG, run(f));
	t->image_size = hdr(f)->image_size;
	t->magic = 0;
	assert_int_equal(-EBADMSG, run(f));
	t->magic = htole32(LMNIC_MIG_TRAILER_MAGIC);
	assert_int_equal(0, run(f));
}

static void test_data_after_trailer(void **state)
{
	struct fixture *f = *state;

	f->buf = realloc(f->buf, f->len + 8);
	assert_non_null(f->buf);
	memset(f->buf + f->len, 0, 8);
	f->len += 8;
	assert_int_equal(-EBADMSG, run(f));
	expect_msg(f, "after the trailer");
	assert_int_equal(-EBADMSG, run_len(f, f->len, 3));
	/* a second, separate piece after the trailer */
	f->len -= 8;
	assert_int_equal(0, run(f));
	assert_int_equal(-EBADMSG, lmnic_stream_feed(f->st, f->buf, 1));
	assert_int_equal(-EBADMSG, lmnic_stream_finish(f->st));
}

static void test_emit_error(void **state)
{
	struct fixture *f = *state;

	f->sink.fail = 2;
	assert_int_equal(-ENOSPC, run(f));
	expect_msg(f, "record 2");
	f->sink.fail = 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_valid_whole, setup, teardown),
		cmocka_unit_test_setup_teardown(test_valid_pieces, setup, teardown),
		cmocka_unit_test_setup_teardown(test_valid_no_slots, setup, teardown),
		cmocka_unit_test_setup_teardown(test_many_slots, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_magic, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_version, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_hdr_fields, setup, teardown),
		cmocka_unit_test_setup_teardown(test_layout_mismatch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_block_size_mismatch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_does_not_fit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_payload_crc, setup, teardown),
		cmocka_unit_test_setup_teardown(test_delta, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rec_len_unaligned, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rec_len_too_large, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rec_past_image, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rec_flags, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_record, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vport_hdr_record, setup, teardown),
		cmocka_unit_test_setup_teardown(test_section_records, setup, teardown),
		cmocka_unit_test_setup_teardown(test_slots_not_ascending, setup, teardown),
		cmocka_unit_test_setup_teardown(test_slot_range, setup, teardown),
		cmocka_unit_test_setup_teardown(test_id_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_conn_count, setup, teardown),
		cmocka_unit_test_setup_teardown(test_truncated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_trailer_mismatch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_data_after_trailer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_emit_error, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
