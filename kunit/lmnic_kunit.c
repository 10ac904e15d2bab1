// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of the lmnic driver's pure logic. The driver exports the
 * functions under test to this module only (EXPORT_SYMBOL_IF_KUNIT).
 */

#include <kunit/test.h>
#include <linux/bitfield.h>
#include <linux/if_vlan.h>
#include <linux/module.h>

#include "lmnic.h"

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

kunit_test_suites(&lmnic_hw_suite, &lmnic_txrx_suite, &lmnic_layout_suite);

MODULE_DESCRIPTION("KUnit tests for the lmnic driver");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
