// SPDX-License-Identifier: GPL-2.0
/*
 * lmnic-analyze's dump decoder (tools/lmnic_dump.c) on well-formed and
 * broken dumps: it accepts the first, and refuses the others saying where
 * they break.
 */
#include <arpa/inet.h>
#include <endian.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <linux/lmnic.h>

#include "../../tools/crc32c.h"
#include "../../tools/lmnic_dump.h"

#define EVENTS	16
#define CONNS	4

struct built {
	uint8_t *buf;
	size_t len;
	size_t region_off;	/* of the region section's header */
};

static uint8_t *sec(uint8_t *p, uint32_t type, uint32_t vport,
		    const void *payload, uint32_t len)
{
	struct lmnic_dump_sec s = {
		.type = htole32(type), .len = htole32(len), .vport = htole32(vport),
		.check = htole32(lmnic_crc32c(payload, len)),
	};

	memcpy(p, &s, sizeof(s));
	memcpy(p + sizeof(s), payload, len);
	return p + sizeof(s) + ((len + 7) & ~7u);
}

static void seal(struct built *b)
{
	struct lmnic_dump_hdr *h = (void *)b->buf;

	h->check = 0;
	h->check = htole32(lmnic_crc32c(h, sizeof(*h)));
}

/* A dump of one vport with CONNS connections; a parity error on id 2. */
static struct built build(uint32_t events)
{
	uint32_t rlen = lmnic_hr_entries_off(events) + CONNS * sizeof(struct lmnic_conn);
	struct lmnic_dump_regs regs = { .readable = htole32(1),
		.err_cause = htole32(LMNIC_ERR_PARITY), .err_vport = 0,
		.err_entry = htole32(2) };
	struct lmnic_dump_driver drv = { .vports = htole32(1) };
	uint8_t *region = calloc(1, rlen), *p;
	struct lmnic_hr_header *hh = (void *)region;
	struct lmnic_dump_hdr *h;
	struct built b;
	uint32_t i;

	hh->magic = htole32(LMNIC_HR_MAGIC);
	hh->version = htole16(LMNIC_HR_VERSION);
	hh->slots = htole32(CONNS);
	hh->events = htole32(events);
	hh->events_off = htole32(lmnic_hr_events_off());
	hh->entries_off = htole32(lmnic_hr_entries_off(events));
	hh->entry_size = htole32(sizeof(struct lmnic_conn));
	hh->event_size = htole32(sizeof(struct lmnic_hr_event));
	for (i = 0; i < CONNS; i++) {
		struct lmnic_conn *c = (void *)(region + lmnic_hr_entries_off(events) +
						i * sizeof(*c));

		c->seq = htole32(2);
		c->id = htole32(i);
		c->key.family = LMNIC_CONN_FAMILY_IPV4;
		c->key.proto = 6;
		c->key.src[0] = htonl(0x0a000001);
		c->key.dst[0] = htonl(0x0a000002);
		c->key.sport = htons(40000 + i);
		c->key.dport = htons(80);
		c->flags = htole16(LMNIC_CONNF_VALID);
		c->actions = htole16(LMNIC_CONN_ACT_COUNT);
		c->owner_pid = htole32(77);
		strcpy(c->owner_comm, "webserver");
		c->check = htole32(lmnic_crc32c((uint8_t *)c + LMNIC_CONN_CHECK_START,
						LMNIC_CONN_CHECK_END - LMNIC_CONN_CHECK_START));
	}
	b.len = sizeof(*h) + 3 * sizeof(struct lmnic_dump_sec) + sizeof(regs) +
		sizeof(drv) + ((rlen + 7) & ~7u);
	b.buf = calloc(1, b.len + 64);
	p = sec(b.buf + sizeof(*h), LMNIC_DUMP_SEC_REGS, 0, &regs, sizeof(regs));
	p = sec(p, LMNIC_DUMP_SEC_DRIVER, 0, &drv, sizeof(drv));
	b.region_off = p - b.buf;
	p = sec(p, LMNIC_DUMP_SEC_REGION, 0, region, rlen);
	free(region);
	h = (void *)b.buf;
	h->magic = htole32(LMNIC_DUMP_MAGIC);
	h->version = htole16(LMNIC_DUMP_VERSION);
	h->hdr_size = htole16(sizeof(*h));
	h->total_size = htole32(b.len);
	h->num_sections = htole32(3);
	h->id = htole32(1);
	h->reason = htole32(LMNIC_ERR_REASON_PARITY);
	seal(&b);
	return b;
}

static void refused(const uint8_t *buf, size_t len, const char *says)
{
	struct lmnic_dump_view v;
	char err[256] = "";

	assert_int_equal(lmnic_dump_parse(buf, len, &v, err, sizeof(err)), -1);
	if (!strstr(err, says))
		fail_msg("error \"%s\" does not say \"%s\"", err, says);
}

static void test_accepts_and_diagnoses(void **state)
{
	struct built b = build(EVENTS);
	struct lmnic_dump_view v;
	char err[256], *text = NULL;
	size_t tlen = 0;
	FILE *out;

	(void)state;
	assert_int_equal(lmnic_dump_parse(b.buf, b.len, &v, err, sizeof(err)), 0);
	assert_non_null(v.region[0].data);
	assert_int_equal(v.region[0].entries, CONNS);
	out = open_memstream(&text, &tlen);
	lmnic_dump_report(&v, out, 1);
	fclose(out);
	/* the dump and the diagnosis each whole on its line */
	assert_true(!strncmp(text, "{\"dump\":{\"id\":", 13));
	assert_non_null(strstr(text, "},\n\"diagnosis\":{\"fault\":\"parity\","));
	assert_non_null(strstr(text, "\"entry\":2,"));
	assert_non_null(strstr(text, "(tcp 10.0.0.1:40002 -> 10.0.0.2:80)"));
	assert_non_null(strstr(text, "\"connections\":4,"));
	/* a connection in structured fields, as lmnic-conn -j shows one */
	assert_non_null(strstr(text, "\"proto\":\"tcp\",\"src\":\"10.0.0.1\","
			       "\"sport\":40002,\"dst\":\"10.0.0.2\",\"dport\":80,"));
	assert_non_null(strstr(text, "\"owner\":{\"pid\":"));
	assert_non_null(strstr(text, "\"comm\":\"webserver\"}"));
	assert_non_null(strstr(text, "\n    {\"vport\":0,\"id\":"));
	free(text);
	free(b.buf);
}

static void test_truncated(void **state)
{
	struct built b = build(EVENTS);

	(void)state;
	refused(b.buf, b.len - 100, "truncated");
	refused(b.buf, 20, "truncated");
	refused(b.buf, b.len + 8, "trailing");
	free(b.buf);
}

static void test_corrupted(void **state)
{
	struct built b = build(EVENTS);

	(void)state;
	b.buf[b.len - 50] ^= 0x10;		/* inside the region */
	refused(b.buf, b.len, "section 2 (offload region, vport 0)");
	refused(b.buf, b.len, "checksum mismatch");
	free(b.buf);
	b = build(EVENTS);
	b.buf[9] ^= 1;				/* the header */
	refused(b.buf, b.len, "dump header corrupted");
	free(b.buf);
	b = build(EVENTS);
	b.buf[0] = 'X';
	refused(b.buf, b.len, "not an lmnic dump");
	free(b.buf);
}

static void test_lying_lengths(void **state)
{
	struct built b = build(EVENTS);
	struct lmnic_dump_sec *s = (void *)(b.buf + b.region_off);

	(void)state;
	/* a section longer than the dump, its checksum "right" */
	s->len = htole32(0xfffffff0);
	refused(b.buf, b.len, "run past the end");
	free(b.buf);

	/* more sections than there are */
	b = build(EVENTS);
	((struct lmnic_dump_hdr *)b.buf)->num_sections = htole32(4);
	seal(&b);
	refused(b.buf, b.len, "past the end");
	free(b.buf);

	/* a region whose event ring is not a power of two */
	b = build(EVENTS);
	s = (void *)(b.buf + b.region_off);
	((struct lmnic_hr_header *)(s + 1))->events = htole32(EVENTS - 1);
	s->check = htole32(lmnic_crc32c(s + 1, le32toh(s->len)));
	refused(b.buf, b.len, "inconsistent geometry");
	free(b.buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accepts_and_diagnoses),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_corrupted),
		cmocka_unit_test(test_lying_lengths),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
