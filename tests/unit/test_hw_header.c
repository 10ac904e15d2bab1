// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of include/lmnic_hw.h as the device model and the tools
 * compile it: outside the kernel, with the header's own bit helpers.
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "lmnic_hw.h"

static void test_bit_helpers(void **state)
{
	(void)state;
	assert_int_equal(GENMASK(15, 0), 0xffff);
	assert_int_equal(GENMASK(31, 16), 0xffff0000UL);
	assert_int_equal(GENMASK(63, 63), 0x8000000000000000ULL);
	assert_int_equal(BIT(5), 0x20);
	assert_int_equal(FIELD_PREP(LMNIC_VERSION_MAJOR, 3), 0x30000);
	assert_int_equal(FIELD_GET(LMNIC_VERSION_MAJOR, 0x00071234), 7);
	assert_int_equal(FIELD_GET(LMNIC_VERSION_MINOR, 0x00071234), 0x1234);
	/* FIELD_PREP truncates a value wider than its field */
	assert_int_equal(FIELD_PREP(LMNIC_VERSION_MINOR, 0x12345), 0x2345);
}

static void test_magic_spells_lmnc(void **state)
{
	uint32_t magic = LMNIC_MAGIC;
	unsigned char b[4];

	(void)state;
	b[0] = magic & 0xff;
	b[1] = (magic >> 8) & 0xff;
	b[2] = (magic >> 16) & 0xff;
	b[3] = magic >> 24;
	assert_memory_equal(b, "LMNC", 4);
	assert_int_not_equal(LMNIC_MAGIC, LMNIC_DEAD_READ);
}

static const unsigned int regs[] = {
	LMNIC_REG_MAGIC, LMNIC_REG_VERSION, LMNIC_REG_LAYOUT, LMNIC_REG_CAPS,
	LMNIC_REG_SERIAL_LO, LMNIC_REG_SERIAL_HI, LMNIC_REG_STATE_SIZE_LO,
	LMNIC_REG_STATE_SIZE_HI, LMNIC_REG_TOPOLOGY, LMNIC_REG_VPORT_BLOCK,
	LMNIC_REG_MAC_LO, LMNIC_REG_MAC_HI, LMNIC_REG_CTRL, LMNIC_REG_STATUS,
	LMNIC_REG_SCRATCH, LMNIC_REG_AQ_BASE_LO, LMNIC_REG_AQ_BASE_HI,
	LMNIC_REG_AQ_LEN, LMNIC_REG_AQ_HEAD, LMNIC_REG_AQ_TAIL,
	LMNIC_REG_AQ_CTRL,
};

static void test_register_map(void **state)
{
	size_t i, j;

	(void)state;
	for (i = 0; i < sizeof(regs) / sizeof(regs[0]); i++) {
		assert_int_equal(regs[i] % 4, 0);
		assert_true(regs[i] < LMNIC_REGS_SIZE);
		for (j = i + 1; j < sizeof(regs) / sizeof(regs[0]); j++)
			assert_int_not_equal(regs[i], regs[j]);
	}
	/* the blocks follow each other without overlapping */
	assert_true(LMNIC_REG_ID_END < LMNIC_REG_CTRL_START);
	assert_true(LMNIC_REG_CTRL_END < LMNIC_REG_AQ_START);
	assert_true(LMNIC_REG_AQ_END < LMNIC_REG_INTR_START);
	assert_true(LMNIC_REG_INTR_END < LMNIC_REG_DB_START);
	assert_true(LMNIC_REG_DB_END < LMNIC_REG_REGS_END);
	assert_in_range(LMNIC_REG_STATUS, LMNIC_REG_CTRL_START,
			LMNIC_REG_CTRL_END);
}

static void test_doorbells_and_vectors(void **state)
{
	unsigned int v, q;

	(void)state;
	/* every ring has a doorbell of its own, in order */
	for (v = 0; v < LMNIC_MAX_VPORTS; v++)
		for (q = 0; q < LMNIC_MAX_QP; q++) {
			assert_int_equal(LMNIC_REG_DB(v, q, 1),
					 LMNIC_REG_DB(v, q, 0) + 4);
			if (q + 1 < LMNIC_MAX_QP)
				assert_int_equal(LMNIC_REG_DB(v, q + 1, 0),
						 LMNIC_REG_DB(v, q, 1) + 4);
		}
	assert_int_equal(LMNIC_REG_DB(1, 0, 0),
			 LMNIC_REG_DB(0, LMNIC_MAX_QP - 1, 1) + 4);
	assert_int_equal(LMNIC_REG_VEC_ITR(3), LMNIC_REG_VEC_ENABLE(3) + 4);
	assert_int_equal(LMNIC_REG_VEC_ENABLE(4), LMNIC_REG_VEC_ITR(3) + 4);
}

static void test_state_layout(void **state)
{
	(void)state;
	/* the RX completion's DD lands where a posted descriptor is zero */
	assert_int_equal(offsetof(struct lmnic_rx_cmpl, flags),
			 offsetof(struct lmnic_rx_desc, rsvd1) + 2);
	assert_int_equal(LMNIC_SM_VPORT_BASE % 4096, 0);
	assert_true(LMNIC_SM_OFF_COUNTERS + sizeof(struct lmnic_sm_counters) <=
		    LMNIC_SM_FIXED_END);
	assert_int_equal(sizeof(((struct lmnic_aq_desc *)0)->p), 40);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bit_helpers),
		cmocka_unit_test(test_magic_spells_lmnc),
		cmocka_unit_test(test_register_map),
		cmocka_unit_test(test_doorbells_and_vectors),
		cmocka_unit_test(test_state_layout),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
