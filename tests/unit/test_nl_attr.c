// SPDX-License-Identifier: GPL-2.0
/*
 * The tools' check of the family's replies (tools/lmnic_nl_attr.c against
 * the tables generated from the spec): a reply from a driver of another
 * version is refused with the attribute named, never misread.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <linux/lmnic.h>

#include "../../tools/lmnic_nl.h"

static struct nl_msg *reply(int cmd)
{
	struct nl_msg *m = nlmsg_alloc();

	assert_non_null(m);
	assert_non_null(genlmsg_put(m, 0, 0, 0x42, 0, 0, cmd,
				    LMNIC_FAMILY_VERSION));
	return m;
}

static int parse(struct nl_msg *m, struct nlattr **tb,
		 const struct lmnic_nl_set *set, char *why, size_t len)
{
	int err;

	why[0] = '\0';
	err = lmnic_nl_parse(m, tb, set, why, len);
	nlmsg_free(m);
	return err;
}

static void test_good_reply(void **state)
{
	static const uint8_t mac[6] = { 2, 0, 0, 0, 0, 1 }, digest[32];
	struct nlattr *tb[LMNIC_A_MIG_MAX + 1];
	struct nl_msg *m = reply(LMNIC_CMD_MIG_STATUS);
	char why[160];

	(void)state;
	nla_put_string(m, LMNIC_A_MIG_DEV_NAME, "0000:00:01.0");
	nla_put_u32(m, LMNIC_A_MIG_VPORT, 1);
	nla_put_u64(m, LMNIC_A_MIG_STREAM_SIZE, 1ULL << 40);
	nla_put(m, LMNIC_A_MIG_MAC, sizeof(mac), mac);
	nla_put(m, LMNIC_A_MIG_DIGEST, sizeof(digest), digest);
	nla_put_flag(m, LMNIC_A_MIG_PRECOPY);
	/* an attribute a newer driver added: skipped */
	nla_put_u32(m, LMNIC_A_MIG_MAX + 1, 7);
	assert_int_equal(parse(m, tb, &lmnic_nl_mig, why, sizeof(why)), 0);
	assert_string_equal(nla_get_string(tb[LMNIC_A_MIG_DEV_NAME]), "0000:00:01.0");
	assert_int_equal(nla_get_u32(tb[LMNIC_A_MIG_VPORT]), 1);
	assert_true(nla_get_u64(tb[LMNIC_A_MIG_STREAM_SIZE]) == 1ULL << 40);
	assert_non_null(tb[LMNIC_A_MIG_PRECOPY]);
	assert_null(tb[LMNIC_A_MIG_STATE]);
}

/* Each way an attribute can differ from what the spec says it is. */
static void test_misfits(void **state)
{
	static const uint8_t bytes[40];
	struct nlattr *tb[LMNIC_A_MIG_MAX + 1];
	struct nl_msg *m;
	char why[160];

	(void)state;
	/* a u32 that became a u64 */
	m = reply(LMNIC_CMD_MIG_STATUS);
	nla_put_u64(m, LMNIC_A_MIG_CONN_COUNT, 5);
	assert_int_equal(parse(m, tb, &lmnic_nl_mig, why, sizeof(why)), -EPROTO);
	assert_string_equal(why, "attribute mig.conn-count has 8 bytes, not 4");

	/* a u64 cut to a u32 */
	m = reply(LMNIC_CMD_MIG_STATUS);
	nla_put_u32(m, LMNIC_A_MIG_OFFSET, 5);
	assert_int_equal(parse(m, tb, &lmnic_nl_mig, why, sizeof(why)), -EPROTO);
	assert_string_equal(why, "attribute mig.offset has 4 bytes, not 8");

	/* a digest of another hash */
	m = reply(LMNIC_CMD_MIG_STATUS);
	nla_put(m, LMNIC_A_MIG_DIGEST, 20, bytes);
	assert_int_equal(parse(m, tb, &lmnic_nl_mig, why, sizeof(why)), -EPROTO);
	assert_string_equal(why, "attribute mig.digest has 20 bytes, not 32");

	/* a string without its NUL */
	m = reply(LMNIC_CMD_CONN_GET);
	nla_put(m, LMNIC_A_CONN_OWNER_COMM, 4, "sshd");
	assert_int_equal(parse(m, tb, &lmnic_nl_conn, why, sizeof(why)), -EPROTO);
	assert_string_equal(why, "attribute conn.owner-comm is a string without its end");

	/* a name longer than the spec's max-len */
	m = reply(LMNIC_CMD_DEV_GET);
	nla_put(m, LMNIC_A_DEV_DEV_NAME, 40, bytes);
	assert_int_equal(parse(m, tb, &lmnic_nl_dev, why, sizeof(why)), -EPROTO);
	assert_string_equal(why, "attribute dev.dev-name has 40 bytes, not 1 to 32");

	/* a flag with a payload */
	m = reply(LMNIC_CMD_DEV_GET);
	nla_put_u32(m, LMNIC_A_DEV_DEAD, 1);
	assert_int_equal(parse(m, tb, &lmnic_nl_dev, why, sizeof(why)), -EPROTO);
	assert_string_equal(why, "attribute dev.dead has 4 bytes, not 0");

	/* an empty u8 of an error dump's set */
	m = reply(LMNIC_CMD_ERR_DUMP_GET);
	nla_put(m, LMNIC_A_ERR_DUMP_ID, 0, NULL);
	assert_int_equal(parse(m, tb, &lmnic_nl_err_dump, why, sizeof(why)), -EPROTO);
	assert_string_equal(why, "attribute err-dump.id has 0 bytes, not 4");
}

/* Bytes after the last whole attribute: a reply cut or of another layout. */
static void test_trailing_bytes(void **state)
{
	struct nlattr *tb[LMNIC_A_DEV_MAX + 1];
	struct nl_msg *m = reply(LMNIC_CMD_DEV_GET);
	struct nlmsghdr *nlh;
	struct nlattr *a;
	char why[160];

	(void)state;
	nla_put_u32(m, LMNIC_A_DEV_VPORT, 3);
	/* an attribute header claiming more than the message holds */
	nlh = nlmsg_hdr(m);
	a = nlmsg_reserve(m, NLA_HDRLEN, NLA_ALIGNTO);
	assert_non_null(a);
	a->nla_type = LMNIC_A_DEV_VPORTS;
	a->nla_len = 64;
	assert_true(nlh->nlmsg_len > 0);
	assert_int_equal(parse(m, tb, &lmnic_nl_dev, why, sizeof(why)), -EPROTO);
	assert_string_equal(why, "a dev reply with 4 bytes after its last attribute");
}

static void test_names(void **state)
{
	char buf[64], want[16];

	(void)state;
	assert_string_equal(lmnic_nl_attr_name(&lmnic_nl_conn, LMNIC_A_CONN_SRC,
					       buf, sizeof(buf)), "conn.src");
	snprintf(want, sizeof(want), "mig.%d", LMNIC_A_MIG_MAX + 3);
	assert_string_equal(lmnic_nl_attr_name(&lmnic_nl_mig, LMNIC_A_MIG_MAX + 3,
					       buf, sizeof(buf)), want);
	/* every attribute of every set has its name and a type */
	for (int i = 1; i <= LMNIC_A_MIG_MAX; i++)
		assert_non_null(lmnic_nl_mig.attr[i].name);
	for (int i = 1; i <= LMNIC_A_CONN_MAX; i++)
		assert_true(lmnic_nl_conn.attr[i].type != 0);
	for (int i = 1; i <= LMNIC_A_DEV_MAX; i++)
		assert_true(lmnic_nl_dev.attr[i].type != 0);
	for (int i = 1; i <= LMNIC_A_ERR_DUMP_MAX; i++)
		assert_true(lmnic_nl_err_dump.attr[i].type != 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_reply),
		cmocka_unit_test(test_misfits),
		cmocka_unit_test(test_trailing_bytes),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
