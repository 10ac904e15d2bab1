// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of the lmnic driver's pure logic. The driver exports the
 * functions under test to this module only (EXPORT_SYMBOL_IF_KUNIT).
 */

#include <kunit/test.h>
#include <linux/bitfield.h>
#include <linux/crc32.h>
#include <linux/if_vlan.h>
#include <linux/mm.h>
#include <linux/module.h>

#include "lmnic.h"
#include "lmnic_stream.h"

static u32 lmnic_test_version(u32 major, u32 minor)
{
	return FIELD_PREP(LMNIC_VERSION_MAJOR, major) |
	       FIELD_PREP(LMNIC_VERSION_MINOR, minor);
}

static void lmnic_check_id_accepts_supported(struct kunit *test)
{
	u32 v = lmnic_test_version(LMNIC_HW_VERSION_MAJOR, 0);

	KUNIT_EXPECT_EQ(test, 0, lmnic_hw_check_id(LMNIC_MAGIC, v,
						   LMNIC_LAYOUT_VERSION));
	/* A newer minor revision stays compatible. */
	v = lmnic_test_version(LMNIC_HW_VERSION_MAJOR, 7);
	KUNIT_EXPECT_EQ(test, 0, lmnic_hw_check_id(LMNIC_MAGIC, v,
						   LMNIC_LAYOUT_VERSION));
}

static void lmnic_check_id_rejects_foreign(struct kunit *test)
{
	u32 v = lmnic_test_version(LMNIC_HW_VERSION_MAJOR, 0);

	KUNIT_EXPECT_EQ(test, -ENODEV, lmnic_hw_check_id(0, v,
							 LMNIC_LAYOUT_VERSION));
	KUNIT_EXPECT_EQ(test, -ENODEV,
			lmnic_hw_check_id(LMNIC_DEAD_READ, LMNIC_DEAD_READ,
					  LMNIC_DEAD_READ));
}

static void lmnic_check_id_rejects_versions(struct kunit *test)
{
	u32 v = lmnic_test_version(LMNIC_HW_VERSION_MAJOR + 1, 0);

	KUNIT_EXPECT_EQ(test, -EOPNOTSUPP,
			lmnic_hw_check_id(LMNIC_MAGIC, v, LMNIC_LAYOUT_VERSION));
	v = lmnic_test_version(LMNIC_HW_VERSION_MAJOR, 0);
	KUNIT_EXPECT_EQ(test, -EOPNOTSUPP,
			lmnic_hw_check_id(LMNIC_MAGIC, v,
					  LMNIC_LAYOUT_VERSION + 1));
}

static void lmnic_aq_status_maps_to_errno(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, 0, lmnic_aq_status_to_errno(LMNIC_AQS_OK));
	KUNIT_EXPECT_EQ(test, -EINVAL, lmnic_aq_status_to_errno(LMNIC_AQS_EINVAL));
	KUNIT_EXPECT_EQ(test, -ENOENT, lmnic_aq_status_to_errno(LMNIC_AQS_ENOENT));
	KUNIT_EXPECT_EQ(test, -EBUSY, lmnic_aq_status_to_errno(LMNIC_AQS_EBUSY));
	KUNIT_EXPECT_EQ(test, -ENOSPC, lmnic_aq_status_to_errno(LMNIC_AQS_ENOSPC));
	KUNIT_EXPECT_EQ(test, -EOPNOTSUPP,
			lmnic_aq_status_to_errno(LMNIC_AQS_EOPNOTSUPP));
	KUNIT_EXPECT_EQ(test, -EEXIST, lmnic_aq_status_to_errno(LMNIC_AQS_EEXIST));
	KUNIT_EXPECT_EQ(test, -EBADMSG,
			lmnic_aq_status_to_errno(LMNIC_AQS_EBADIMAGE));
	KUNIT_EXPECT_EQ(test, -EPROTO,
			lmnic_aq_status_to_errno(LMNIC_AQS_EVERSION));
	/* anything the driver does not know is an I/O error, never success */
	KUNIT_EXPECT_EQ(test, -EIO, lmnic_aq_status_to_errno(LMNIC_AQS_EIO));
	KUNIT_EXPECT_EQ(test, -EIO, lmnic_aq_status_to_errno(0xbeef));
}

static void lmnic_ring_index_arithmetic(struct kunit *test)
{
	struct lmnic_ring r = { .size = 64 };

	KUNIT_EXPECT_EQ(test, 1, lmnic_ring_next(&r, 0));
	KUNIT_EXPECT_EQ(test, 0, lmnic_ring_next(&r, 63));

	/* empty: all but one slot free */
	KUNIT_EXPECT_EQ(test, 63, lmnic_ring_unused(&r));
	r.next_to_use = 10;
	KUNIT_EXPECT_EQ(test, 53, lmnic_ring_unused(&r));
	/* producer wrapped past the end */
	r.next_to_clean = 60;
	r.next_to_use = 5;
	KUNIT_EXPECT_EQ(test, 54, lmnic_ring_unused(&r));
	/* full */
	r.next_to_use = 59;
	KUNIT_EXPECT_EQ(test, 0, lmnic_ring_unused(&r));
}

static void lmnic_qp_vectors_are_distinct(struct kunit *test)
{
	DECLARE_BITMAP(seen, LMNIC_MSIX_VECTORS) = {};
	u16 v, q, vec;

	for (v = 0; v < LMNIC_MAX_VPORTS; v++) {
		for (q = 0; q < LMNIC_MAX_QP; q++) {
			vec = lmnic_qp_vector(v, q);
			KUNIT_EXPECT_NE(test, LMNIC_VEC_ADMIN, vec);
			KUNIT_EXPECT_LT(test, vec, LMNIC_MSIX_VECTORS);
			KUNIT_EXPECT_FALSE(test, test_and_set_bit(vec, seen));
		}
	}
}

static void lmnic_rx_buf_len_fits_mtu(struct kunit *test)
{
	unsigned int mtu;

	for (mtu = LMNIC_MIN_MTU; mtu <= LMNIC_MAX_MTU; mtu += 7) {
		u16 len = lmnic_rx_buf_len(mtu);

		KUNIT_EXPECT_GE(test, len, mtu + ETH_HLEN + VLAN_HLEN);
		KUNIT_EXPECT_LE(test, len, LMNIC_RX_BUF_MAX);
		KUNIT_EXPECT_EQ(test, 0, len % 64);
	}
}

static void lmnic_descriptor_layout(struct kunit *test)
{
	struct lmnic_rx_desc d = { .rsvd1 = 0 };
	struct lmnic_rx_cmpl *c = (struct lmnic_rx_cmpl *)&d;

	/* A freshly posted RX descriptor never reads as completed. */
	KUNIT_EXPECT_EQ(test, 0, le16_to_cpu(c->flags) & LMNIC_RXC_DD);
	KUNIT_EXPECT_EQ(test, 14, offsetof(struct lmnic_tx_desc, flags));
	KUNIT_EXPECT_EQ(test, 14, offsetof(struct lmnic_rx_cmpl, flags));
}

#define LMNIC_TEST_BLOCK	(64 * 1024)

static void lmnic_test_section(struct lmnic_sm_vport_hdr *h, unsigned int i,
			       u16 type, u16 flags, u32 off, u32 size)
{
	h->sections[i].type = cpu_to_le16(type);
	h->sections[i].flags = cpu_to_le16(flags);
	h->sections[i].offset = cpu_to_le32(off);
	h->sections[i].size = cpu_to_le32(size);
}

/* A layout-1 vport block header as the adapter writes it. */
static void lmnic_test_hdr(struct lmnic_sm_vport_hdr *h)
{
	static const struct lmnic_sm_layout_entry layout[] = LMNIC_SM_LAYOUT1;
	unsigned int i;
	u32 cap = lmnic_sm_conn_capacity(LMNIC_TEST_BLOCK);

	memset(h, 0, sizeof(*h));
	h->magic = cpu_to_le32(LMNIC_SM_VPORT_MAGIC);
	h->layout = cpu_to_le16(LMNIC_LAYOUT_VERSION);
	h->block_size = cpu_to_le32(LMNIC_TEST_BLOCK);
	for (i = 0; i < ARRAY_SIZE(layout); i++)
		lmnic_test_section(h, i, layout[i].type, layout[i].flags,
				   layout[i].offset, layout[i].size);
	lmnic_test_section(h, i++, LMNIC_SEC_CONN_INDEX, 0,
			   LMNIC_SM_OFF_CONN_INDEX, cap * 4);
	lmnic_test_section(h, i++, LMNIC_SEC_CONN_TABLE, 0,
			   lmnic_sm_conn_table_off(cap),
			   cap * sizeof(struct lmnic_conn));
	h->num_sections = cpu_to_le16(i);
}

static void lmnic_layout_accepts_adapter_header(struct kunit *test)
{
	struct lmnic_sm_vport_hdr h;

	lmnic_test_hdr(&h);
	KUNIT_EXPECT_EQ(test, 0, lmnic_sm_check_hdr(&h, LMNIC_TEST_BLOCK));
}

static void lmnic_layout_rejects_identity(struct kunit *test)
{
	struct lmnic_sm_vport_hdr h;

	lmnic_test_hdr(&h);
	h.magic = cpu_to_le32(LMNIC_SM_ADAPTER_MAGIC);
	KUNIT_EXPECT_EQ(test, -EBADMSG, lmnic_sm_check_hdr(&h, LMNIC_TEST_BLOCK));
	lmnic_test_hdr(&h);
	h.layout = cpu_to_le16(LMNIC_LAYOUT_VERSION + 1);
	KUNIT_EXPECT_EQ(test, -EPROTO, lmnic_sm_check_hdr(&h, LMNIC_TEST_BLOCK));
	lmnic_test_hdr(&h);
	KUNIT_EXPECT_EQ(test, -EBADMSG,
			lmnic_sm_check_hdr(&h, LMNIC_TEST_BLOCK * 2));
	h.num_sections = cpu_to_le16(LMNIC_SEC_MAX + 1);
	KUNIT_EXPECT_EQ(test, -EBADMSG, lmnic_sm_check_hdr(&h, LMNIC_TEST_BLOCK));
}

static void lmnic_layout_rejects_bad_sections(struct kunit *test)
{
	struct lmnic_sm_vport_hdr h;

	/* beyond the block, with a size that wraps 32 bits */
	lmnic_test_hdr(&h);
	h.sections[6].size = cpu_to_le32(0xfffffff0);
	KUNIT_EXPECT_EQ(test, -EBADMSG, lmnic_sm_check_hdr(&h, LMNIC_TEST_BLOCK));
	/* overlapping its neighbour */
	lmnic_test_hdr(&h);
	h.sections[0].size = cpu_to_le32(0x200);
	KUNIT_EXPECT_EQ(test, -EBADMSG, lmnic_sm_check_hdr(&h, LMNIC_TEST_BLOCK));
	/* inside the header */
	lmnic_test_hdr(&h);
	h.sections[0].offset = cpu_to_le32(8);
	KUNIT_EXPECT_EQ(test, -EBADMSG, lmnic_sm_check_hdr(&h, LMNIC_TEST_BLOCK));
	/* the same type twice */
	lmnic_test_hdr(&h);
	h.sections[1].type = cpu_to_le16(LMNIC_SEC_CONFIG);
	KUNIT_EXPECT_EQ(test, -EBADMSG, lmnic_sm_check_hdr(&h, LMNIC_TEST_BLOCK));
	/* a host-specific section not marked as such */
	lmnic_test_hdr(&h);
	h.sections[5].flags = 0;
	KUNIT_EXPECT_EQ(test, -EBADMSG, lmnic_sm_check_hdr(&h, LMNIC_TEST_BLOCK));
	/* a section the driver needs is missing */
	lmnic_test_hdr(&h);
	h.num_sections = cpu_to_le16(6);
	KUNIT_EXPECT_EQ(test, -EBADMSG, lmnic_sm_check_hdr(&h, LMNIC_TEST_BLOCK));
	/* an unknown type */
	lmnic_test_hdr(&h);
	h.sections[2].type = cpu_to_le16(LMNIC_SEC_MAX);
	KUNIT_EXPECT_EQ(test, -EBADMSG, lmnic_sm_check_hdr(&h, LMNIC_TEST_BLOCK));
	/* a connection table smaller than the block size gives */
	lmnic_test_hdr(&h);
	h.sections[le16_to_cpu(h.num_sections) - 1].size =
		cpu_to_le32((lmnic_sm_conn_capacity(LMNIC_TEST_BLOCK) - 1) *
			    sizeof(struct lmnic_conn));
	KUNIT_EXPECT_EQ(test, -EBADMSG, lmnic_sm_check_hdr(&h, LMNIC_TEST_BLOCK));
}

/* ---- the migration stream parser ---------------------------------------- */

#define LMNIC_TS_BLOCK		(64 * 1024)
#define LMNIC_TS_HDR		sizeof(struct lmnic_mig_hdr)
#define LMNIC_TS_REC		sizeof(struct lmnic_img_rec)
#define LMNIC_TS_TRAILER	sizeof(struct lmnic_mig_trailer)

struct lmnic_ts_slot {
	u32 slot;
	u32 id;
	u16 flags;
};

/* What a stream is built from; zero fields take the usual values. */
struct lmnic_ts_params {
	const struct lmnic_ts_slot *slots;
	unsigned int num_slots;
	unsigned int per_rec;		/* slots per CONN_SLOTS record */
	u32 limit;			/* 0: the capacity */
	u16 extra_type;			/* an extra record at the end, if not 0 */
	u16 extra_flags;
};

struct lmnic_ts {
	struct lmnic_stream st;
	struct lmnic_stream_want want;
	u8 *buf;
	size_t len;
	size_t emitted;
	unsigned int calls;
	bool emitted_ok;		/* every emitted byte was the image's */
};

static const struct lmnic_ts_slot lmnic_ts_slots4[] = {
	{ .slot = 3, .id = 0, .flags = LMNIC_CONNF_VALID },
	{ .slot = 7, .id = 9, .flags = LMNIC_CONNF_TOMB },
	{ .slot = 10, .id = 5, .flags = LMNIC_CONNF_VALID },
	{ .slot = 200, .id = 2, .flags = LMNIC_CONNF_VALID },
};

static struct lmnic_mig_hdr *lmnic_ts_hdr(struct lmnic_ts *t)
{
	return (struct lmnic_mig_hdr *)t->buf;
}

static u32 lmnic_ts_crc(u32 crc, const void *p, size_t len)
{
	return __crc32c_le(crc, p, len);
}

static u8 *lmnic_ts_put(u8 *p, u16 type, u16 flags, u32 arg, u32 len,
			const void *data)
{
	struct lmnic_img_rec *r = (struct lmnic_img_rec *)p;

	r->type = cpu_to_le16(type);
	r->flags = cpu_to_le16(flags);
	r->len = cpu_to_le32(len);
	r->arg = cpu_to_le32(arg);
	if (data)
		memcpy(r + 1, data, len);
	return p + LMNIC_TS_REC + len;
}

/* Record INDEX, found by following the lengths, or NULL. */
static struct lmnic_img_rec *lmnic_ts_rec(struct lmnic_ts *t, unsigned int index)
{
	size_t off = LMNIC_TS_HDR;
	struct lmnic_img_rec *r;
	unsigned int i;

	for (i = 0; off + LMNIC_TS_REC <= t->len; i++) {
		r = (struct lmnic_img_rec *)(t->buf + off);
		if (i == index)
			return r;
		off += LMNIC_TS_REC + le32_to_cpu(r->len);
	}
	return NULL;
}

/* Make every check right again after an edit (the digest is left zero). */
static void lmnic_ts_seal(struct lmnic_ts *t)
{
	struct lmnic_mig_hdr *h = lmnic_ts_hdr(t);
	size_t end = LMNIC_TS_HDR + le64_to_cpu(h->image_size);
	size_t off = LMNIC_TS_HDR;
	struct lmnic_img_rec *r;
	u32 crc, len;

	while (off + LMNIC_TS_REC <= end && end <= t->len) {
		r = (struct lmnic_img_rec *)(t->buf + off);
		len = le32_to_cpu(r->len);
		if (len > end - off - LMNIC_TS_REC)
			break;
		crc = lmnic_ts_crc(~0U, r, offsetof(struct lmnic_img_rec, check));
		r->check = cpu_to_le32(lmnic_ts_crc(crc, r + 1, len));
		off += LMNIC_TS_REC + len;
	}
	h->check = cpu_to_le32(lmnic_ts_crc(~0U, h, LMNIC_MIG_HDR_CHECK_LEN));
}

static void lmnic_ts_vport_hdr(struct lmnic_sm_vport_hdr *vh, u32 cap)
{
	static const struct lmnic_sm_layout_entry layout[] = LMNIC_SM_LAYOUT1;
	unsigned int i;

	memset(vh, 0, sizeof(*vh));
	vh->magic = cpu_to_le32(LMNIC_SM_VPORT_MAGIC);
	vh->layout = cpu_to_le16(LMNIC_LAYOUT_VERSION);
	vh->block_size = cpu_to_le32(LMNIC_TS_BLOCK);
	for (i = 0; i < ARRAY_SIZE(layout); i++)
		lmnic_test_section(vh, i, layout[i].type, layout[i].flags,
				   layout[i].offset, layout[i].size);
	lmnic_test_section(vh, i++, LMNIC_SEC_CONN_INDEX, 0,
			   LMNIC_SM_OFF_CONN_INDEX, cap * 4);
	lmnic_test_section(vh, i++, LMNIC_SEC_CONN_TABLE, 0,
			   lmnic_sm_conn_table_off(cap),
			   cap * sizeof(struct lmnic_conn));
	vh->num_sections = cpu_to_le16(i);
}

/* A valid stream of a LMNIC_TS_BLOCK vport, as P says. */
static void lmnic_ts_build(struct kunit *test, const struct lmnic_ts_params *p)
{
	static const struct lmnic_sm_layout_entry layout[] = LMNIC_SM_LAYOUT1;
	struct lmnic_ts *t = test->priv;
	u32 cap = lmnic_sm_conn_capacity(LMNIC_TS_BLOCK);
	u32 limit = p->limit ? p->limit : cap;
	unsigned int per = p->per_rec ? p->per_rec : LMNIC_IMG_SLOTS_PER_REC;
	unsigned int i, j, n, recs = 1 + ARRAY_SIZE(layout);
	struct lmnic_sm_vport_hdr vh;
	struct lmnic_sm_conn_hdr *ch;
	struct lmnic_mig_trailer *tr;
	struct lmnic_img_slot *s;
	struct lmnic_mig_hdr *h;
	u32 count = 0;
	u64 size;
	u16 flags;
	u8 *q;

	size = LMNIC_TS_REC + sizeof(vh);
	for (i = 0; i < ARRAY_SIZE(layout); i++)
		size += LMNIC_TS_REC + layout[i].size;
	n = DIV_ROUND_UP(p->num_slots, per);
	size += n * LMNIC_TS_REC + p->num_slots * sizeof(*s);
	recs += n;
	if (p->extra_type) {
		size += LMNIC_TS_REC + 8;
		recs++;
	}
	for (i = 0; i < p->num_slots; i++)
		count += p->slots[i].flags == LMNIC_CONNF_VALID;

	t->len = LMNIC_TS_HDR + size + LMNIC_TS_TRAILER;
	t->buf = kunit_kzalloc(test, t->len, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, t->buf);

	h = lmnic_ts_hdr(t);
	h->magic = cpu_to_le32(LMNIC_MIG_MAGIC);
	h->version = cpu_to_le16(LMNIC_MIG_VERSION);
	h->hdr_size = cpu_to_le16(sizeof(*h));
	h->layout = cpu_to_le16(LMNIC_LAYOUT_VERSION);
	h->caps = cpu_to_le32(LMNIC_CAP_STATE_MEM | LMNIC_CAP_CONN |
			      LMNIC_CAP_MIGRATION);
	h->block_size = cpu_to_le32(LMNIC_TS_BLOCK);
	h->capacity = cpu_to_le32(cap);
	h->conn_count = cpu_to_le32(count);
	h->conn_limit = cpu_to_le32(limit);
	h->image_size = cpu_to_le64(size);
	h->num_records = cpu_to_le32(recs);

	q = t->buf + LMNIC_TS_HDR;
	lmnic_ts_vport_hdr(&vh, cap);
	q = lmnic_ts_put(q, LMNIC_REC_VPORT_HDR, 0, 0, sizeof(vh), &vh);
	for (i = 0; i < ARRAY_SIZE(layout); i++) {
		flags = 0;
		if (layout[i].flags & LMNIC_SECF_HOST)
			flags = LMNIC_RECF_HOST | LMNIC_RECF_OPTIONAL;
		if (layout[i].type == LMNIC_SEC_CONN) {
			ch = (struct lmnic_sm_conn_hdr *)(q + LMNIC_TS_REC);
			ch->capacity = cpu_to_le32(cap);
			ch->limit = cpu_to_le32(limit);
			ch->count = cpu_to_le32(count);
		}
		q = lmnic_ts_put(q, LMNIC_REC_SECTION, flags, layout[i].type,
				 layout[i].size, NULL);
	}
	for (i = 0; i < p->num_slots; i += n) {
		n = min(p->num_slots - i, per);
		s = (struct lmnic_img_slot *)(q + LMNIC_TS_REC);
		for (j = 0; j < n; j++) {
			s[j].slot = cpu_to_le32(p->slots[i + j].slot);
			s[j].conn.id = cpu_to_le32(p->slots[i + j].id);
			s[j].conn.flags = cpu_to_le16(p->slots[i + j].flags);
		}
		q = lmnic_ts_put(q, LMNIC_REC_CONN_SLOTS, 0, n, n * sizeof(*s),
				 NULL);
	}
	if (p->extra_type)
		q = lmnic_ts_put(q, p->extra_type, p->extra_flags, 0, 8, NULL);

	tr = (struct lmnic_mig_trailer *)q;
	tr->magic = cpu_to_le32(LMNIC_MIG_TRAILER_MAGIC);
	tr->num_records = h->num_records;
	tr->image_size = h->image_size;
	lmnic_ts_seal(t);
}

static void lmnic_ts_build_default(struct kunit *test)
{
	struct lmnic_ts_params p = {
		.slots = lmnic_ts_slots4,
		.num_slots = ARRAY_SIZE(lmnic_ts_slots4),
		.per_rec = 2,
	};

	lmnic_ts_build(test, &p);
}

static int lmnic_ts_emit(void *priv, const void *data, u32 len)
{
	struct lmnic_ts *t = priv;

	if (t->emitted + len > t->len - LMNIC_TS_HDR ||
	    memcmp(t->buf + LMNIC_TS_HDR + t->emitted, data, len))
		t->emitted_ok = false;
	t->emitted += len;
	t->calls++;
	return 0;
}

/* Feed the first LEN bytes in pieces of PIECE (0: at once), then finish. */
static int lmnic_ts_run_len(struct kunit *test, size_t len, size_t piece)
{
	struct lmnic_ts *t = test->priv;
	size_t off, n;
	int err;

	t->emitted = 0;
	t->calls = 0;
	t->emitted_ok = true;
	lmnic_stream_init(&t->st, &t->want, lmnic_ts_emit, t);
	if (!piece)
		piece = max_t(size_t, len, 1);
	for (off = 0; off < len; off += n) {
		n = min(len - off, piece);
		err = lmnic_stream_feed(&t->st, t->buf + off, n);
		if (err) {
			KUNIT_EXPECT_NE(test, 0, t->st.msg[0]);
			/* an error sticks */
			KUNIT_EXPECT_EQ(test, err,
					lmnic_stream_feed(&t->st, t->buf, 1));
			KUNIT_EXPECT_EQ(test, err, lmnic_stream_finish(&t->st));
			return err;
		}
	}
	err = lmnic_stream_finish(&t->st);
	if (err)
		KUNIT_EXPECT_NE(test, 0, t->st.msg[0]);
	return err;
}

static int lmnic_ts_run(struct kunit *test)
{
	struct lmnic_ts *t = test->priv;

	return lmnic_ts_run_len(test, t->len, 0);
}

static int lmnic_ts_init(struct kunit *test)
{
	struct lmnic_ts *t = kvzalloc(sizeof(*t), GFP_KERNEL);

	if (!t)
		return -ENOMEM;
	t->want.layout = LMNIC_LAYOUT_VERSION;
	t->want.caps = LMNIC_CAP_ALL;
	t->want.block_size = LMNIC_TS_BLOCK;
	t->want.capacity = lmnic_sm_conn_capacity(LMNIC_TS_BLOCK);
	t->want.conn_max = t->want.capacity;
	t->want.rec_crc = true;
	test->priv = t;
	return 0;
}

static void lmnic_ts_exit(struct kunit *test)
{
	kvfree(test->priv);
}

static void lmnic_stream_accepts_valid(struct kunit *test)
{
	struct lmnic_ts *t = test->priv;
	size_t image;

	lmnic_ts_build_default(test);
	image = le64_to_cpu(lmnic_ts_hdr(t)->image_size);
	KUNIT_EXPECT_EQ(test, 0, lmnic_ts_run(test));
	KUNIT_EXPECT_TRUE(test, t->emitted_ok);
	KUNIT_EXPECT_EQ(test, image, t->emitted);
	KUNIT_EXPECT_EQ(test, le32_to_cpu(lmnic_ts_hdr(t)->num_records),
			t->calls);
	KUNIT_EXPECT_EQ(test, 3, t->st.conns);
	/* byte by byte, and in pieces that split record headers */
	KUNIT_EXPECT_EQ(test, 0, lmnic_ts_run_len(test, t->len, 1));
	KUNIT_EXPECT_TRUE(test, t->emitted_ok);
	KUNIT_EXPECT_EQ(test, image, t->emitted);
	KUNIT_EXPECT_EQ(test, 0, lmnic_ts_run_len(test, t->len, 13));
	KUNIT_EXPECT_TRUE(test, t->emitted_ok);
	KUNIT_EXPECT_EQ(test, image, t->emitted);
}

static void lmnic_stream_rejects_header(struct kunit *test)
{
	struct lmnic_ts *t = test->priv;

	lmnic_ts_build_default(test);
	lmnic_ts_hdr(t)->magic = cpu_to_le32(LMNIC_MIG_TRAILER_MAGIC);
	lmnic_ts_seal(t);
	KUNIT_EXPECT_EQ(test, -EBADMSG, lmnic_ts_run(test));
	KUNIT_EXPECT_EQ(test, 0, t->calls);

	lmnic_ts_build_default(test);
	lmnic_ts_hdr(t)->version = cpu_to_le16(LMNIC_MIG_VERSION + 1);
	lmnic_ts_seal(t);
	KUNIT_EXPECT_EQ(test, -EPROTO, lmnic_ts_run(test));

	/* a field changed after the check was computed */
	lmnic_ts_build_default(test);
	lmnic_ts_hdr(t)->mtu = cpu_to_le16(9000);
	KUNIT_EXPECT_EQ(test, -EBADMSG, lmnic_ts_run(test));

	lmnic_ts_build_default(test);
	lmnic_ts_hdr(t)->num_records = 0;
	lmnic_ts_seal(t);
	KUNIT_EXPECT_EQ(test, -EBADMSG, lmnic_ts_run(test));

	lmnic_ts_build_default(test);
	lmnic_ts_hdr(t)->image_size = cpu_to_le64(LMNIC_TS_REC);
	lmnic_ts_seal(t);
	KUNIT_EXPECT_EQ(test, -EBADMSG, lmnic_ts_run(test));
}

static void lmnic_stream_rejects_other_vport(struct kunit *test)
{
	struct lmnic_ts *t = test->priv;

	lmnic_ts_build_default(test);
	t->want.layout = LMNIC_LAYOUT_VERSION + 1;
	KUNIT_EXPECT_EQ(test, -EPROTO, lmnic_ts_run(test));
	t->want.layout = LMNIC_LAYOUT_VERSION;

	t->want.block_size = 2 * LMNIC_TS_BLOCK;
	KUNIT_EXPECT_EQ(test, -EINVAL, lmnic_ts_run(test));
	t->want.block_size = LMNIC_TS_BLOCK;

	t->want.capacity++;
	KUNIT_EXPECT_EQ(test, -EINVAL, lmnic_ts_run(test));
	t->want.capacity--;

	t->want.conn_max = 16;
	KUNIT_EXPECT_EQ(test, -EINVAL, lmnic_ts_run(test));
	t->want.conn_max = t->want.capacity;

	t->want.caps = LMNIC_CAP_ALL & ~LMNIC_CAP_CONN;
	KUNIT_EXPECT_EQ(test, -EINVAL, lmnic_ts_run(test));
	t->want.caps = LMNIC_CAP_ALL;
	KUNIT_EXPECT_EQ(test, 0, lmnic_ts_run(test));
}

static void lmnic_stream_rejects_crc(struct kunit *test)
{
	struct lmnic_ts *t = test->priv;
	struct lmnic_img_rec *r;

	lmnic_ts_build_default(test);
	r = lmnic_ts_rec(t, 3);
	KUNIT_ASSERT_NOT_NULL(test, r);
	((u8 *)(r + 1))[5] ^= 0x20;
	KUNIT_EXPECT_EQ(test, -EBADMSG, lmnic_ts_run(test));
	KUNIT_EXPECT_NOT_NULL(test, strstr(t->st.msg, "record 3 (section)"));
	KUNIT_EXPECT_NOT_NULL(test, strstr(t->st.msg, "CRC-32C"));
	/* the records before it were handed on, not the damaged one */
	KUNIT_EXPECT_EQ(test, 3, t->calls);
	KUNIT_EXPECT_EQ(test, -EBADMSG, lmnic_ts_run_len(test, t->len, 1));
	KUNIT_EXPECT_EQ(test, 3, t->calls);
}

/*
 * The driver leaves the records' CRC-32C to the adapter's LOAD; the
 * stream header's, whose fields it uses, it checks itself.
 */
static void lmnic_stream_driver_crc(struct kunit *test)
{
	struct lmnic_ts *t = test->priv;
	struct lmnic_img_rec *r;

	lmnic_ts_build_default(test);
	t->want.rec_crc = false;
	r = lmnic_ts_rec(t, 3);
	KUNIT_ASSERT_NOT_NULL(test, r);
	((u8 *)(r + 1))[5] ^= 0x20;
	KUNIT_EXPECT_EQ(test, 0, lmnic_ts_run(test));
	lmnic_ts_hdr(t)->conn_count ^= cpu_to_le32(1);
	KUNIT_EXPECT_EQ(test, -EBADMSG, lmnic_ts_run(test));
	KUNIT_EXPECT_NOT_NULL(test, strstr(t->st.msg, "stream header: CRC-32C"));
}

static void lmnic_stream_rejects_rec_len(struct kunit *test)
{
	struct lmnic_ts *t = test->priv;
	struct lmnic_img_rec *r;
	unsigned int last;

	lmnic_ts_build_default(test);
	r = lmnic_ts_rec(t, 1);
	KUNIT_ASSERT_NOT_NULL(test, r);
	r->len = cpu_to_le32(le32_to_cpu(r->len) + 4);
	KUNIT_EXPECT_EQ(test, -EBADMSG, lmnic_ts_run(test));

	lmnic_ts_build_default(test);
	r = lmnic_ts_rec(t, 1);
	KUNIT_ASSERT_NOT_NULL(test, r);
	r->len = cpu_to_le32(LMNIC_IMG_REC_MAX + 8);
	KUNIT_EXPECT_EQ(test, -EBADMSG, lmnic_ts_run(test));

	lmnic_ts_build_default(test);
	last = le32_to_cpu(lmnic_ts_hdr(t)->num_records) - 1;
	r = lmnic_ts_rec(t, last);
	KUNIT_ASSERT_NOT_NULL(test, r);
	r->len = cpu_to_le32(le32_to_cpu(r->len) + 8);
	lmnic_ts_seal(t);
	KUNIT_EXPECT_EQ(test, -EBADMSG, lmnic_ts_run(test));
	KUNIT_EXPECT_EQ(test, last, t->calls);
}

static void lmnic_stream_unknown_records(struct kunit *test)
{
	struct lmnic_ts_params p = {
		.slots = lmnic_ts_slots4,
		.num_slots = ARRAY_SIZE(lmnic_ts_slots4),
		.extra_type = 77,
	};
	struct lmnic_ts *t = test->priv;

	lmnic_ts_build(test, &p);
	KUNIT_EXPECT_EQ(test, -EBADMSG, lmnic_ts_run(test));
	p.extra_flags = LMNIC_RECF_OPTIONAL;
	lmnic_ts_build(test, &p);
	KUNIT_EXPECT_EQ(test, 0, lmnic_ts_run(test));
	/* skipped, yet handed on: the image stays the source's */
	KUNIT_EXPECT_TRUE(test, t->emitted_ok);
	KUNIT_EXPECT_EQ(test, le64_to_cpu(lmnic_ts_hdr(t)->image_size),
			t->emitted);
}

static void lmnic_stream_rejects_slots(struct kunit *test)
{
	struct lmnic_ts_slot s[] = {
		{ .slot = 3, .id = 0, .flags = LMNIC_CONNF_VALID },
		{ .slot = 10, .id = 1, .flags = LMNIC_CONNF_VALID },
		{ .slot = 10, .id = 2, .flags = LMNIC_CONNF_VALID },
	};
	struct lmnic_ts_params p = { .slots = s, .num_slots = 3, .per_rec = 2 };
	struct lmnic_ts *t = test->priv;

	/* not ascending, across records and within one */
	lmnic_ts_build(test, &p);
	KUNIT_EXPECT_EQ(test, -EBADMSG, lmnic_ts_run(test));
	s[2].slot = 9;
	p.per_rec = 3;
	lmnic_ts_build(test, &p);
	KUNIT_EXPECT_EQ(test, -EBADMSG, lmnic_ts_run(test));
	/* beyond the table */
	s[2].slot = t->want.capacity;
	lmnic_ts_build(test, &p);
	KUNIT_EXPECT_EQ(test, -EBADMSG, lmnic_ts_run(test));
	s[2].slot = t->want.capacity - 1;
	lmnic_ts_build(test, &p);
	KUNIT_EXPECT_EQ(test, 0, lmnic_ts_run(test));
	/* an id at the limit */
	p.limit = 3;
	s[2].id = 3;
	lmnic_ts_build(test, &p);
	KUNIT_EXPECT_EQ(test, -EBADMSG, lmnic_ts_run(test));
	KUNIT_EXPECT_NOT_NULL(test, strstr(t->st.msg, "limit 3"));
	s[2].id = 2;
	lmnic_ts_build(test, &p);
	KUNIT_EXPECT_EQ(test, 0, lmnic_ts_run(test));
	/* neither valid nor a tombstone */
	s[1].flags = 0;
	lmnic_ts_build(test, &p);
	KUNIT_EXPECT_EQ(test, -EBADMSG, lmnic_ts_run(test));
}

static void lmnic_stream_truncated(struct kunit *test)
{
	struct lmnic_ts *t = test->priv;
	size_t image;

	lmnic_ts_build_default(test);
	image = le64_to_cpu(lmnic_ts_hdr(t)->image_size);
	KUNIT_EXPECT_EQ(test, -ENODATA, lmnic_ts_run_len(test, 0, 0));
	KUNIT_EXPECT_EQ(test, -ENODATA, lmnic_ts_run_len(test, 40, 0));
	KUNIT_EXPECT_EQ(test, -ENODATA,
			lmnic_ts_run_len(test, LMNIC_TS_HDR + 100, 7));
	KUNIT_EXPECT_NOT_NULL(test, strstr(t->st.msg, "inside record 0"));
	KUNIT_EXPECT_EQ(test, -ENODATA,
			lmnic_ts_run_len(test, LMNIC_TS_HDR + image, 0));
	KUNIT_EXPECT_NOT_NULL(test, strstr(t->st.msg, "no trailer"));
	KUNIT_EXPECT_EQ(test, -ENODATA, lmnic_ts_run_len(test, t->len - 1, 0));
}

static void lmnic_stream_rejects_trailer(struct kunit *test)
{
	struct lmnic_ts *t = test->priv;
	struct lmnic_mig_trailer *tr;
	u8 *longer;

	lmnic_ts_build_default(test);
	tr = (struct lmnic_mig_trailer *)(t->buf + t->len - LMNIC_TS_TRAILER);
	le32_add_cpu(&tr->num_records, 1);
	KUNIT_EXPECT_EQ(test, -EBADMSG, lmnic_ts_run(test));
	le32_add_cpu(&tr->num_records, -1);
	le64_add_cpu(&tr->image_size, 8);
	KUNIT_EXPECT_EQ(test, -EBADMSG, lmnic_ts_run(test));
	le64_add_cpu(&tr->image_size, -8);
	tr->magic = 0;
	KUNIT_EXPECT_EQ(test, -EBADMSG, lmnic_ts_run(test));
	tr->magic = cpu_to_le32(LMNIC_MIG_TRAILER_MAGIC);
	KUNIT_EXPECT_EQ(test, 0, lmnic_ts_run(test));

	/* data after the trailer */
	longer = kunit_kzalloc(test, t->len + 8, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, longer);
	memcpy(longer, t->buf, t->len);
	t->buf = longer;
	t->len += 8;
	KUNIT_EXPECT_EQ(test, -EBADMSG, lmnic_ts_run(test));
	KUNIT_EXPECT_EQ(test, -EBADMSG, lmnic_ts_run_len(test, t->len, 5));
}

static struct kunit_case lmnic_hw_cases[] = {
	KUNIT_CASE(lmnic_check_id_accepts_supported),
	KUNIT_CASE(lmnic_check_id_rejects_foreign),
	KUNIT_CASE(lmnic_check_id_rejects_versions),
	KUNIT_CASE(lmnic_aq_status_maps_to_errno),
	{}
};

static struct kunit_suite lmnic_hw_suite = {
	.name = "lmnic_hw",
	.test_cases = lmnic_hw_cases,
};

static struct kunit_case lmnic_txrx_cases[] = {
	KUNIT_CASE(lmnic_ring_index_arithmetic),
	KUNIT_CASE(lmnic_qp_vectors_are_distinct),
	KUNIT_CASE(lmnic_rx_buf_len_fits_mtu),
	KUNIT_CASE(lmnic_descriptor_layout),
	{}
};

static struct kunit_suite lmnic_txrx_suite = {
	.name = "lmnic_txrx",
	.test_cases = lmnic_txrx_cases,
};

static struct kunit_case lmnic_layout_cases[] = {
	KUNIT_CASE(lmnic_layout_accepts_adapter_header),
	KUNIT_CASE(lmnic_layout_rejects_identity),
	KUNIT_CASE(lmnic_layout_rejects_bad_sections),
	{}
};

static struct kunit_suite lmnic_layout_suite = {
	.name = "lmnic_layout",
	.test_cases = lmnic_layout_cases,
};

static struct kunit_case lmnic_stream_cases[] = {
	KUNIT_CASE(lmnic_stream_accepts_valid),
	KUNIT_CASE(lmnic_stream_rejects_header),
	KUNIT_CASE(lmnic_stream_rejects_other_vport),
	KUNIT_CASE(lmnic_stream_rejects_crc),
	KUNIT_CASE(lmnic_stream_driver_crc),
	KUNIT_CASE(lmnic_stream_rejects_rec_len),
	KUNIT_CASE(lmnic_stream_unknown_records),
	KUNIT_CASE(lmnic_stream_rejects_slots),
	KUNIT_CASE(lmnic_stream_truncated),
	KUNIT_CASE(lmnic_stream_rejects_trailer),
	{}
};

static struct kunit_suite lmnic_stream_suite = {
	.name = "lmnic_stream",
	.test_cases = lmnic_stream_cases,
	.init = lmnic_ts_init,
	.exit = lmnic_ts_exit,
};

kunit_test_suites(&lmnic_hw_suite, &lmnic_txrx_suite, &lmnic_layout_suite,
		  &lmnic_stream_suite);

MODULE_DESCRIPTION("KUnit tests for the lmnic driver");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
