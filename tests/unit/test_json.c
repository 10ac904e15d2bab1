// SPDX-License-Identifier: GPL-2.0
/*
 * The tools' JSON writer (tools/lmnic_json.c): strings come out as valid
 * UTF-8 JSON whatever bytes go in, and the structure gets its commas.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../tools/lmnic_json.h"

static void quoted(const char *in, size_t max, const char *want)
{
	char buf[256];
	size_t n = lmnic_json_quote_buf(buf, sizeof(buf), in, max);

	assert_string_equal(buf, want);
	assert_int_equal(n, strlen(want));
}

static void test_escapes(void **state)
{
	(void)state;
	quoted("plain", SIZE_MAX, "\"plain\"");
	quoted("a\"b\\c", SIZE_MAX, "\"a\\\"b\\\\c\"");
	quoted("tab\there\nnl\x01\x7f", SIZE_MAX, "\"tab\\u0009here\\u000anl\\u0001\\u007f\"");
	/* MAX bounds a field that need not end in NUL */
	quoted("abcdef", 3, "\"abc\"");
}

static void test_utf8(void **state)
{
	(void)state;
	/* valid sequences of 2, 3 and 4 bytes pass as they are */
	quoted("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", SIZE_MAX,
	       "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"");
	/* a stray continuation byte, a Latin-1 byte, a cut sequence, an
	 * overlong form, a surrogate and a code point past U+10FFFF: one
	 * U+FFFD per byte that starts no valid sequence */
	quoted("\x80", SIZE_MAX, "\"\\ufffd\"");
	quoted("caf\xe9", SIZE_MAX, "\"caf\\ufffd\"");
	quoted("\xe2\x82", SIZE_MAX, "\"\\ufffd\\ufffd\"");
	quoted("\xc0\xaf", SIZE_MAX, "\"\\ufffd\\ufffd\"");
	quoted("\xed\xa0\x80", SIZE_MAX, "\"\\ufffd\\ufffd\\ufffd\"");
	quoted("\xf4\x90\x80\x80", SIZE_MAX, "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
	/* a sequence cut by MAX */
	quoted("\xc3\xa9", 1, "\"\\ufffd\"");
}

static void test_small_buffer(void **state)
{
	char buf[4];

	(void)state;
	/* as snprintf: what it needs, cut and NUL-terminated */
	assert_int_equal(lmnic_json_quote_buf(buf, sizeof(buf), "abcdef", SIZE_MAX), 8);
	assert_string_equal(buf, "\"ab");
}

static void test_structure(void **state)
{
	struct lmnic_json j;
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	(void)state;
	assert_non_null(f);
	lmnic_json_init(&j, f);
	lmnic_json_arr_open(&j, NULL);
	lmnic_json_obj_open(&j, NULL);
	lmnic_json_str(&j, "dev", "0000:00:01.0");
	lmnic_json_u64(&j, "id", 18446744073709551615ULL);
	lmnic_json_i64(&j, "delta", -3);
	lmnic_json_arr_open(&j, "actions");
	lmnic_json_str(&j, NULL, "steer");
	lmnic_json_str(&j, NULL, "count");
	lmnic_json_arr_close(&j);
	lmnic_json_obj_open(&j, "owner");
	lmnic_json_u64(&j, "pid", 1);
	lmnic_json_strn(&j, "comm", "lmnic-conn\xff", 11);
	lmnic_json_obj_close(&j);
	lmnic_json_bool(&j, "dead", 0);
	lmnic_json_null(&j, "none");
	lmnic_json_obj_close(&j);
	lmnic_json_obj_open(&j, NULL);
	lmnic_json_obj_close(&j);
	lmnic_json_arr_close(&j);
	lmnic_json_end_line(&j);
	lmnic_json_arr_open(&j, NULL);
	lmnic_json_arr_close(&j);
	lmnic_json_end_line(&j);
	fclose(f);
	assert_string_equal(out,
		"[{\"dev\":\"0000:00:01.0\",\"id\":18446744073709551615,\"delta\":-3,"
		"\"actions\":[\"steer\",\"count\"],\"owner\":{\"pid\":1,"
		"\"comm\":\"lmnic-conn\\ufffd\"},\"dead\":false,\"none\":null},{}]\n"
		"[]\n");
	free(out);
}

/* Records a line each; text longer than the writer's buffer; INT64_MIN. */
static void test_layout(void **state)
{
	static char big[3 * LMNIC_JSON_BUF];
	struct lmnic_json j;
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	(void)state;
	memset(big, 'x', sizeof(big) - 1);
	lmnic_json_init(&j, f);
	lmnic_json_obj_open(&j, NULL);
	lmnic_json_i64(&j, "min", INT64_MIN);
	lmnic_json_break(&j, 0);
	lmnic_json_arr_open(&j, "rows");
	lmnic_json_break(&j, 2);
	lmnic_json_u64(&j, NULL, 1);
	lmnic_json_break(&j, 2);
	lmnic_json_u64(&j, NULL, 2);
	lmnic_json_arr_close(&j);
	/* nothing reaches the stream before the line ends or the buffer fills */
	fflush(f);
	assert_int_equal(len, 0);
	lmnic_json_str(&j, "big", big);
	lmnic_json_obj_close(&j);
	lmnic_json_end_line(&j);
	fclose(f);
	assert_true(!strncmp(out, "{\"min\":-9223372036854775808,\n"
			     "\"rows\":[\n  1,\n  2],\"big\":\"xxx", 58));
	assert_int_equal(len, 55 + sizeof(big) - 1 + 3);
	assert_string_equal(out + len - 3, "\"}\n");
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escapes),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_small_buffer),
		cmocka_unit_test(test_structure),
		cmocka_unit_test(test_layout),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
