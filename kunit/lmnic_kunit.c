// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of the lmnic driver's pure logic. The driver exports the
 * functions under test to this module only (EXPORT_SYMBOL_IF_KUNIT).
 */

#include <kunit/test.h>
#include <linux/bitfield.h>
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

static struct kunit_case lmnic_hw_cases[] = {
	KUNIT_CASE(lmnic_check_id_accepts_supported),
	KUNIT_CASE(lmnic_check_id_rejects_foreign),
	KUNIT_CASE(lmnic_check_id_rejects_versions),
	{}
};

static struct kunit_suite lmnic_hw_suite = {
	.name = "lmnic_hw",
	.test_cases = lmnic_hw_cases,
};

kunit_test_suites(&lmnic_hw_suite);

MODULE_DESCRIPTION("KUnit tests for the lmnic driver");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
