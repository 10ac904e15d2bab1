// SPDX-License-Identifier: GPL-2.0
/*
 * Write a well-formed lmnic error dump holding N connections in one vport's
 * offload region (a parity error on one of them), for benchmarking
 * lmnic-analyze on large dumps.
 *
 * usage: mkdump N FILE
 */
#include <arpa/inet.h>
#include <endian.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/lmnic.h>
#include <linux/lmnic_dump.h>
#include <lmnic_hw.h>

#include "../tools/crc32c.h"

#define EVENTS 256

static uint8_t *put_sec(uint8_t *p, uint32_t type, uint32_t vport,
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

int main(int argc, char **argv)
{
	uint32_t n, i, rlen;
	struct lmnic_dump_regs regs = { 0 };
	struct lmnic_dump_driver drv = { 0 };
	struct lmnic_dump_hdr *h;
	struct lmnic_hr_header *hh;
	uint8_t *buf, *p, *region;
	size_t total;
	FILE *f;

	if (argc != 3)
		return 2;
	n = strtoul(argv[1], NULL, 0);
	rlen = lmnic_hr_entries_off(EVENTS) + n * sizeof(struct lmnic_conn);
	region = calloc(1, rlen);
	hh = (void *)region;
	hh->magic = htole32(LMNIC_HR_MAGIC);
	hh->version = htole16(LMNIC_HR_VERSION);
	hh->vport = 0;
	hh->slots = htole32(n);
	hh->events = htole32(EVENTS);
	hh->events_off = htole32(lmnic_hr_events_off());
	hh->entries_off = htole32(lmnic_hr_entries_off(EVENTS));
	hh->entry_size = htole32(sizeof(struct lmnic_conn));
	hh->event_size = htole32(sizeof(struct lmnic_hr_event));
	hh->event_seq = htole64(1);
	hh->flush_interval_ms = htole32(LMNIC_HR_FLUSH_MS);
	hh->count = htole32(n);
	hh->limit = htole32(n);
	hh->capacity = htole32(n);
	for (i = 0; i < n; i++) {
		struct lmnic_conn *c = (void *)(region + lmnic_hr_entries_off(EVENTS) +
						(size_t)i * sizeof(*c));
		uint32_t src = htonl(0xc6120000 + i);

		c->seq = htole32(2);
		c->id = htole32(i);
		c->key.family = LMNIC_CONN_FAMILY_IPV4;
		c->key.proto = 17;
		memcpy(c->key.src, &src, 4);
		c->key.dst[0] = htonl(0x0a090102);
		c->key.sport = htons(1024 + i % 60000);
		c->key.dport = htons(5000);
		c->flags = htole16(LMNIC_CONNF_VALID);
		c->actions = htole16(LMNIC_CONN_ACT_COUNT);
		c->owner_pid = htole32(4242);
		strcpy(c->owner_comm, "app");
		c->check = htole32(lmnic_crc32c((uint8_t *)c + LMNIC_CONN_CHECK_START,
						LMNIC_CONN_CHECK_END - LMNIC_CONN_CHECK_START));
	}
	regs.readable = htole32(1);
	regs.err_cause = htole32(LMNIC_ERR_PARITY);
	regs.err_entry = htole32(n / 2);
	drv.vports = htole32(1);

	total = sizeof(*h) + 3 * sizeof(struct lmnic_dump_sec) + sizeof(regs) +
		sizeof(drv) + ((rlen + 7) & ~7u);
	buf = calloc(1, total);
	h = (void *)buf;
	p = buf + sizeof(*h);
	p = put_sec(p, LMNIC_DUMP_SEC_REGS, 0, &regs, sizeof(regs));
	p = put_sec(p, LMNIC_DUMP_SEC_DRIVER, 0, &drv, sizeof(drv));
	p = put_sec(p, LMNIC_DUMP_SEC_REGION, 0, region, rlen);
	h->magic = htole32(LMNIC_DUMP_MAGIC);
	h->version = htole16(LMNIC_DUMP_VERSION);
	h->hdr_size = htole16(sizeof(*h));
	h->total_size = htole32(p - buf);
	h->num_sections = htole32(3);
	h->id = htole32(1);
	h->reason = htole32(LMNIC_ERR_REASON_PARITY);
	strcpy(h->dev_name, "0000:00:01.0");
	h->check = htole32(lmnic_crc32c(h, sizeof(*h)));
	f = fopen(argv[2], "wb");
	if (!f || fwrite(buf, 1, p - buf, f) != (size_t)(p - buf) || fclose(f))
		return 1;
	return 0;
}
