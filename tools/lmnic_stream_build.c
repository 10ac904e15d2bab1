// SPDX-License-Identifier: GPL-2.0
/* lmnic: build a migration stream in memory (see lmnic_stream_build.h). */
#include <endian.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>

#include "crc32c.h"
#include "lmnic_stream_build.h"

#define REC_HDR		sizeof(struct lmnic_img_rec)

static const struct lmnic_sm_layout_entry layout1[] = LMNIC_SM_LAYOUT1;

uint32_t lmnic_sb_hdr_check(const struct lmnic_mig_hdr *h)
{
	return lmnic_crc32c_raw(~0U, h, LMNIC_MIG_HDR_CHECK_LEN);
}

uint32_t lmnic_sb_rec_check(const struct lmnic_img_rec *r)
{
	uint32_t crc = lmnic_crc32c_raw(~0U, r, offsetof(struct lmnic_img_rec, check));

	return lmnic_crc32c_raw(crc, r + 1, le32toh(r->len));
}

/* Append a record; its check is left for lmnic_sb_seal(). */
static uint8_t *put_rec(uint8_t *p, uint16_t type, uint16_t flags, uint32_t arg,
			uint32_t len, const void *data)
{
	struct lmnic_img_rec r = {
		.type = htole16(type),
		.flags = htole16(flags),
		.len = htole32(len),
		.arg = htole32(arg),
	};

	memcpy(p, &r, sizeof(r));
	if (data)
		memcpy(p + REC_HDR, data, len);
	else
		memset(p + REC_HDR, 0, len);
	return p + REC_HDR + len;
}

static void put_section(struct lmnic_sm_vport_hdr *h, unsigned int i,
			uint16_t type, uint16_t flags, uint32_t off, uint32_t size)
{
	h->sections[i].type = htole16(type);
	h->sections[i].flags = htole16(flags);
	h->sections[i].offset = htole32(off);
	h->sections[i].size = htole32(size);
}

int lmnic_sb_build(const struct lmnic_sb_params *p, uint8_t **out, size_t *len)
{
	unsigned int per = p->slots_per_rec ? p->slots_per_rec : LMNIC_IMG_SLOTS_PER_REC;
	uint32_t cap = p->capacity ? p->capacity : lmnic_sm_conn_capacity(p->block_size);
	uint32_t limit = p->conn_limit ? p->conn_limit : cap;
	uint32_t count = 0, tombs = 0, recs = 0;
	struct lmnic_sm_vport_hdr vh;
	struct lmnic_sm_conn_hdr ch;
	struct lmnic_mig_hdr *h;
	struct lmnic_mig_trailer *t;
	struct lmnic_img_slot s;
	uint64_t size = 0;
	unsigned int i, j, n;
	uint8_t *buf, *q;

	if (per > LMNIC_IMG_SLOTS_PER_REC)
		return -1;
	for (i = 0; i < p->num_slots; i++) {
		count += p->slots[i].flags == LMNIC_CONNF_VALID;
		tombs += p->slots[i].flags == LMNIC_CONNF_TOMB;
	}
	size += REC_HDR + sizeof(vh);
	recs++;
	for (i = 0; i < sizeof(layout1) / sizeof(layout1[0]); i++) {
		size += REC_HDR + layout1[i].size;
		recs++;
	}
	n = (p->num_slots + per - 1) / per;
	size += (uint64_t)n * REC_HDR +
		(uint64_t)p->num_slots * sizeof(struct lmnic_img_slot);
	recs += n;
	for (i = 0; i < p->num_extra; i++) {
		if (p->extra[i].len > LMNIC_IMG_REC_MAX)
			return -1;
		size += REC_HDR + p->extra[i].len;
		recs++;
	}

	*len = sizeof(*h) + size + sizeof(*t);
	buf = calloc(1, *len);
	if (!buf)
		return -1;

	h = (struct lmnic_mig_hdr *)buf;
	h->magic = htole32(LMNIC_MIG_MAGIC);
	h->version = htole16(LMNIC_MIG_VERSION);
	h->hdr_size = htole16(sizeof(*h));
	h->layout = htole16(p->layout ? p->layout : LMNIC_LAYOUT_VERSION);
	h->caps = htole32(p->caps ? p->caps : LMNIC_CAP_STATE_MEM |
			  LMNIC_CAP_CONN | LMNIC_CAP_MIGRATION);
	h->block_size = htole32(p->block_size);
	h->capacity = htole32(cap);
	h->conn_count = htole32(count);
	h->conn_limit = htole32(limit);
	memcpy(h->mac, "\x02\x00\x00\x00\x00\x01", 6);
	h->mtu = htole16(1500);
	h->num_qp = htole16(1);
	h->vport = htole16(p->vport);
	h->image_size = htole64(size);
	h->num_records = htole32(recs);

	q = buf + sizeof(*h);
	memset(&vh, 0, sizeof(vh));
	vh.magic = htole32(LMNIC_SM_VPORT_MAGIC);
	vh.layout = htole16(p->layout ? p->layout : LMNIC_LAYOUT_VERSION);
	vh.block_size = htole32(p->block_size);
	vh.vport = htole16(p->vport);
	for (i = 0; i < sizeof(layout1) / sizeof(layout1[0]); i++)
		put_section(&vh, i, layout1[i].type, layout1[i].flags,
			    layout1[i].offset, layout1[i].size);
	put_section(&vh, i++, LMNIC_SEC_CONN_INDEX, 0, LMNIC_SM_OFF_CONN_INDEX,
		    cap * 4);
	put_section(&vh, i++, LMNIC_SEC_CONN_TABLE, 0,
		    lmnic_sm_conn_table_off(cap), cap * sizeof(struct lmnic_conn));
	vh.num_sections = htole16(i);
	q = put_rec(q, LMNIC_REC_VPORT_HDR, 0, 0, sizeof(vh), &vh);

	for (i = 0; i < sizeof(layout1) / sizeof(layout1[0]); i++) {
		const void *data = p->sections[layout1[i].type];
		uint16_t flags = 0;

		if (layout1[i].flags & LMNIC_SECF_HOST)
			flags = LMNIC_RECF_HOST | LMNIC_RECF_OPTIONAL;
		if (!data && layout1[i].type == LMNIC_SEC_CONN) {
			memset(&ch, 0, sizeof(ch));
			ch.capacity = htole32(cap);
			ch.limit = htole32(limit);
			ch.count = htole32(count);
			ch.tombstones = htole32(tombs);
			data = &ch;
		}
		q = put_rec(q, LMNIC_REC_SECTION, flags, layout1[i].type,
			    layout1[i].size, data);
	}

	for (i = 0; i < p->num_slots; i += n) {
		n = p->num_slots - i < per ? p->num_slots - i : per;
		uint8_t *e_out = q + REC_HDR;

		q = put_rec(q, LMNIC_REC_CONN_SLOTS, 0, n,
			    n * sizeof(struct lmnic_img_slot), NULL);
		for (j = 0; j < n; j++) {
			const struct lmnic_sb_slot *e = &p->slots[i + j];

			memset(&s, 0, sizeof(s));
			s.slot = htole32(e->slot);
			s.conn.id = htole32(e->id);
			s.conn.flags = htole16(e->flags);
			s.conn.key.family = 4;
			s.conn.key.proto = 6;
			s.conn.key.src[0] = htobe32(0x0a000001);
			s.conn.key.dst[0] = htobe32(0x0a000002);
			s.conn.key.sport = htobe16(1024 + e->id);
			s.conn.key.dport = htobe16(80);
			s.conn.actions = htole16(LMNIC_CONN_ACT_COUNT);
			s.conn.source = htole16(LMNIC_CONN_SRC_NETLINK);
			/* the entry's own check is the standard CRC-32C */
			s.conn.check = htole32(lmnic_crc32c(
					(uint8_t *)&s.conn + LMNIC_CONN_CHECK_START,
					LMNIC_CONN_CHECK_END - LMNIC_CONN_CHECK_START));
			memcpy(e_out, &s, sizeof(s));
			e_out += sizeof(s);
		}
	}

	for (i = 0; i < p->num_extra; i++)
		q = put_rec(q, p->extra[i].type, p->extra[i].flags, p->extra[i].arg,
			    p->extra[i].len, p->extra[i].data);

	t = (struct lmnic_mig_trailer *)q;
	t->magic = htole32(LMNIC_MIG_TRAILER_MAGIC);
	t->num_records = htole32(recs);
	t->image_size = htole64(size);
	lmnic_sb_seal(buf, *len);
	*out = buf;
	return 0;
}

struct lmnic_img_rec *lmnic_sb_record(uint8_t *buf, size_t len,
				      unsigned int index)
{
	size_t off = sizeof(struct lmnic_mig_hdr);
	struct lmnic_img_rec r;
	unsigned int i;

	for (i = 0; off + REC_HDR <= len; i++) {
		if (i == index)
			return (struct lmnic_img_rec *)(buf + off);
		memcpy(&r, buf + off, sizeof(r));
		off += REC_HDR + le32toh(r.len);
	}
	return NULL;
}

void lmnic_sb_seal(uint8_t *buf, size_t len)
{
	struct lmnic_mig_hdr *h = (struct lmnic_mig_hdr *)buf;
	size_t off = sizeof(*h), end;
	struct lmnic_img_rec *r;
	uint64_t size;

	if (len < sizeof(*h))
		return;
	size = le64toh(h->image_size);
	end = size < len - sizeof(*h) ? sizeof(*h) + size : len;
	while (off + REC_HDR <= end) {
		r = (struct lmnic_img_rec *)(buf + off);
		if (le32toh(r->len) > end - off - REC_HDR)
			break;
		r->check = htole32(lmnic_sb_rec_check(r));
		off += REC_HDR + le32toh(r->len);
	}
	if (end + sizeof(struct lmnic_mig_trailer) <= len)
		SHA256(buf + sizeof(*h), end - sizeof(*h),
		       ((struct lmnic_mig_trailer *)(buf + end))->sha256);
	h->check = htole32(lmnic_sb_hdr_check(h));
}
