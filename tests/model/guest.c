/*
 * The guest side of the lmnic model's host tests. See guest.h.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <assert.h>
#include <endian.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "guest.h"

#define TX_BUF_SIZE     10240   /* a frame of the largest MTU and more */

static void wr64(ModelHost *h, uint32_t reg, uint64_t v)
{
    mh_wr32(h, reg, (uint32_t)v);
    mh_wr32(h, reg + 4, v >> 32);
}

int mg_init(MgGuest *g, ModelHost *h)
{
    mh_wr32(h, LMNIC_REG_CTRL, LMNIC_CTRL_RESET);
    return mg_attach(g, h);
}

int mg_attach(MgGuest *g, ModelHost *h)
{
    unsigned v;

    memset(g, 0, sizeof(*g));
    g->h = h;
    g->heap = MG_HEAP_GPA;
    if (!(mh_rd32(h, LMNIC_REG_STATUS) & LMNIC_STATUS_READY)) {
        return -1;
    }
    wr64(h, LMNIC_REG_AQ_BASE_LO, MG_AQ_GPA);
    mh_wr32(h, LMNIC_REG_AQ_LEN, MG_AQ_LEN);
    mh_wr32(h, LMNIC_REG_AQ_CTRL, LMNIC_AQ_CTRL_ENABLE);
    for (v = 0; v < LMNIC_MAX_VPORTS; v++) {
        uint32_t lo = mh_rd32(h, LMNIC_REG_MAC_LO);

        memcpy(g->mac[v], &lo, 4);
        g->mac[v][4] = mh_rd32(h, LMNIC_REG_MAC_HI);
        g->mac[v][5] = (mh_rd32(h, LMNIC_REG_MAC_HI) >> 8) + v;
    }
    return mh_rd32(h, LMNIC_REG_AQ_CTRL) == LMNIC_AQ_CTRL_ENABLE ? 0 : -1;
}

uint64_t mg_alloc(MgGuest *g, uint64_t size)
{
    uint64_t at = g->heap;

    g->heap = (g->heap + size + 4095) & ~4095ULL;
    assert(g->heap <= mh_ram_size(g->h));
    return at;
}

uint16_t mg_cmd(MgGuest *g, struct lmnic_aq_desc *d, const void *in,
                uint32_t in_len, void *out, uint32_t out_len)
{
    uint8_t *ring = mh_ram(g->h, MG_AQ_GPA, MG_AQ_LEN * sizeof(*d));
    uint8_t *buf = mh_ram(g->h, MG_BUF_GPA, MG_BUF_SIZE);
    unsigned slot = g->aq_tail;
    uint32_t len = in_len > out_len ? in_len : out_len;

    assert(len <= MG_BUF_SIZE);
    if (len) {
        memset(buf, 0, len);
        if (in_len) {
            memcpy(buf, in, in_len);
        }
        d->buf_addr = htole64(MG_BUF_GPA);
        d->buf_len = htole32(len);
    }
    d->flags &= htole16(LMNIC_AQF_IRQ);
    d->status = 0;
    memcpy(ring + slot * sizeof(*d), d, sizeof(*d));
    g->aq_tail = (g->aq_tail + 1) % MG_AQ_LEN;
    mh_wr32(g->h, LMNIC_REG_AQ_TAIL, g->aq_tail);
    memcpy(d, ring + slot * sizeof(*d), sizeof(*d));
    if (out_len) {
        memcpy(out, buf, out_len);
    }
    if (!(le16toh(d->flags) & LMNIC_AQF_DD)) {
        return MG_NO_DD;
    }
    return le16toh(d->status);
}

uint16_t mg_simple(MgGuest *g, uint16_t opcode, unsigned v)
{
    struct lmnic_aq_desc d = { 0 };

    d.opcode = htole16(opcode);
    d.vport = htole16(v);
    return mg_cmd(g, &d, NULL, 0, NULL, 0);
}

uint16_t mg_vport_enable(MgGuest *g, unsigned v, unsigned nqp, uint32_t flags)
{
    struct lmnic_aq_desc d = { 0 };

    d.opcode = htole16(LMNIC_AQ_VPORT_ENABLE);
    d.vport = htole16(v);
    memcpy(d.p.vport_cfg.mac, g->mac[v], 6);
    d.p.vport_cfg.mtu = htole16(1500);
    d.p.vport_cfg.num_qp = htole16(nqp);
    d.p.vport_cfg.flags = htole32(flags);
    return mg_cmd(g, &d, NULL, 0, NULL, 0);
}

static void mg_rx_post(MgGuest *g, MgQueue *q, unsigned i)
{
    struct lmnic_rx_desc *r = (void *)mh_ram(g->h, q->rx_ring,
                                             q->rx_size * sizeof(*r));

    r[i].addr = htole64(q->rx_buf + (uint64_t)i * q->buf_len);
    r[i].buf_len = htole16(q->buf_len);
    r[i].rsvd0 = 0;
    r[i].rsvd1 = 0;
}

static uint16_t mg_queue_cmd(MgGuest *g, unsigned v, unsigned qp, MgQueue *q)
{
    struct lmnic_aq_desc d = { 0 };
    uint16_t st;
    unsigned i;

    d.opcode = htole16(LMNIC_AQ_QUEUE_CREATE);
    d.vport = htole16(v);
    d.p.queue.qp = htole16(qp);
    d.p.queue.tx_base = htole64(q->tx_ring);
    d.p.queue.rx_base = htole64(q->rx_ring);
    d.p.queue.tx_size = htole16(q->tx_size);
    d.p.queue.rx_size = htole16(q->rx_size);
    d.p.queue.rx_buf_len = htole16(q->buf_len);
    d.p.queue.vector = htole16(1 + v * LMNIC_MAX_QP + qp);
    st = mg_cmd(g, &d, NULL, 0, NULL, 0);
    if (st) {
        return st;
    }
    q->live = true;
    q->tx_tail = q->rx_next = 0;
    memset(mh_ram(g->h, q->tx_ring, q->tx_size * 16), 0, q->tx_size * 16);
    for (i = 0; i < q->rx_size; i++) {
        mg_rx_post(g, q, i);
    }
    q->rx_tail = q->rx_size - 1;
    mh_wr32(g->h, LMNIC_REG_DB(v, qp, 1), q->rx_tail);
    return 0;
}

uint16_t mg_queue_create(MgGuest *g, unsigned v, unsigned qp, uint16_t size,
                         uint16_t buf_len)
{
    MgQueue *q = &g->q[v][qp];

    if (!q->tx_ring || q->tx_size != size || q->buf_len != buf_len) {
        q->tx_size = q->rx_size = size;
        q->buf_len = buf_len;
        q->tx_ring = mg_alloc(g, size * sizeof(struct lmnic_tx_desc));
        q->rx_ring = mg_alloc(g, size * sizeof(struct lmnic_rx_desc));
        q->tx_buf = mg_alloc(g, (uint64_t)size * TX_BUF_SIZE);
        q->rx_buf = mg_alloc(g, (uint64_t)size * buf_len);
    }
    return mg_queue_cmd(g, v, qp, q);
}

/* QUEUE_CREATE of a queue pair that came with a LOAD: this guest's rings */
uint16_t mg_queue_rebase(MgGuest *g, unsigned v, unsigned qp)
{
    return mg_queue_cmd(g, v, qp, &g->q[v][qp]);
}

uint16_t mg_rss(MgGuest *g, unsigned v, const struct lmnic_sm_rss *rss)
{
    struct lmnic_aq_desc d = { 0 };

    d.opcode = htole16(LMNIC_AQ_SET_RSS);
    d.vport = htole16(v);
    return mg_cmd(g, &d, rss, sizeof(*rss), NULL, 0);
}

uint16_t mg_conn_add(MgGuest *g, unsigned v, uint32_t id,
                     const struct lmnic_conn_key *key, uint16_t actions,
                     uint16_t queue, uint32_t mark)
{
    struct lmnic_aq_desc d = { 0 };
    struct lmnic_conn c = { 0 };

    d.opcode = htole16(LMNIC_AQ_CONN_ADD);
    d.vport = htole16(v);
    d.p.conn.id = htole32(id);
    c.key = *key;
    c.actions = htole16(actions);
    c.queue = htole16(queue);
    c.mark = htole32(mark);
    c.source = htole16(LMNIC_CONN_SRC_NETLINK);
    c.owner_pid = htole32(1000 + id);
    snprintf(c.owner_comm, sizeof(c.owner_comm), "conn%u", id);
    return mg_cmd(g, &d, &c, sizeof(c), NULL, 0);
}

uint16_t mg_conn_del(MgGuest *g, unsigned v, uint32_t id)
{
    struct lmnic_aq_desc d = { 0 };

    d.opcode = htole16(LMNIC_AQ_CONN_DEL);
    d.vport = htole16(v);
    d.p.conn.id = htole32(id);
    return mg_cmd(g, &d, NULL, 0, NULL, 0);
}

uint16_t mg_conn_query(MgGuest *g, unsigned v, uint32_t id,
                       struct lmnic_conn *out)
{
    struct lmnic_aq_desc d = { 0 };

    d.opcode = htole16(LMNIC_AQ_CONN_QUERY);
    d.vport = htole16(v);
    d.p.conn.id = htole32(id);
    return mg_cmd(g, &d, NULL, 0, out, sizeof(*out));
}

uint16_t mg_conn_limit(MgGuest *g, unsigned v, uint32_t limit)
{
    struct lmnic_aq_desc d = { 0 };

    d.opcode = htole16(LMNIC_AQ_CONN_LIMIT);
    d.vport = htole16(v);
    d.p.conn.limit = htole32(limit);
    return mg_cmd(g, &d, NULL, 0, NULL, 0);
}

/* One contiguous run of 64 KiB chunks in guest RAM. */
uint16_t mg_region_set(MgGuest *g, unsigned v, uint32_t slots,
                       uint16_t events)
{
    const unsigned shift = 16;
    uint64_t size = lmnic_hr_size(events, slots);
    uint32_t n = (size + (1u << shift) - 1) >> shift, i;
    struct lmnic_aq_desc d = { 0 };
    uint64_t *chunk = g_new(uint64_t, n);
    MgRegion *r = &g->region[v];
    uint16_t st;

    if (r->slots != slots || r->events != events) {
        /* fresh guest RAM: zeroes */
        g->heap = (g->heap + (1u << shift) - 1) & ~((1ULL << shift) - 1);
        r->gpa = mg_alloc(g, (uint64_t)n << shift);
    } else {
        memset(mh_ram(g->h, r->gpa, (uint64_t)n << shift), 0,
               (uint64_t)n << shift);
    }
    for (i = 0; i < n; i++) {
        chunk[i] = htole64(r->gpa + ((uint64_t)i << shift));
    }
    d.opcode = htole16(LMNIC_AQ_REGION_SET);
    d.vport = htole16(v);
    d.p.region.num_chunks = htole32(n);
    d.p.region.slots = htole32(slots);
    d.p.region.events = htole16(events);
    d.p.region.chunk_shift = shift;
    st = mg_cmd(g, &d, chunk, n * sizeof(*chunk), NULL, 0);
    g_free(chunk);
    if (!st) {
        r->slots = slots;
        r->events = events;
    }
    return st;
}

const struct lmnic_conn *mg_region_entry(MgGuest *g, unsigned v, uint32_t id)
{
    MgRegion *r = &g->region[v];

    if (!r->slots || id >= r->slots) {
        return NULL;
    }
    return (const void *)mh_ram(g->h, r->gpa + lmnic_hr_entries_off(r->events) +
                                (uint64_t)id * sizeof(struct lmnic_conn),
                                sizeof(struct lmnic_conn));
}

/* ---- migration ---------------------------------------------------------- */

uint16_t mg_quiesce(MgGuest *g, unsigned v, uint8_t flags, uint64_t *size,
                    uint32_t *slots)
{
    struct lmnic_aq_desc d = { 0 };
    uint16_t st;

    d.opcode = htole16(LMNIC_AQ_QUIESCE);
    d.vport = htole16(v);
    d.p.mig.flags = flags;
    st = mg_cmd(g, &d, NULL, 0, NULL, 0);
    if (size) {
        *size = le64toh(d.p.mig.image_size);
    }
    if (slots) {
        *slots = le32toh(d.p.mig.slots);
    }
    return st;
}

/* A chunk directory of N chunks of 1 << SHIFT bytes from GPA on. */
static uint32_t mg_dir(uint64_t gpa, uint64_t size, unsigned shift,
                       uint8_t *dir)
{
    uint32_t n = (size + (1ULL << shift) - 1) >> shift, i;
    uint64_t a;

    for (i = 0; i < n; i++) {
        a = htole64(gpa + ((uint64_t)i << shift));
        memcpy(dir + 32 + i * 8, &a, 8);
    }
    return n ? n : 1;
}

#define MG_CHUNK_SHIFT  18      /* 256 KiB: a 64K-slot image in 36 chunks */

uint16_t mg_save(MgGuest *g, unsigned v, uint8_t flags, MgImage *img)
{
    uint64_t size;
    uint32_t slots;
    uint16_t st;

    memset(img, 0, sizeof(*img));
    /* the size first: QUIESCE, with the flags that go with this SAVE */
    st = mg_quiesce(g, v, flags, &size, &slots);
    if (st) {
        return st;
    }
    return mg_save_sized(g, v, flags, size, img);
}

uint16_t mg_save_sized(MgGuest *g, unsigned v, uint8_t flags, uint64_t size,
                       MgImage *img)
{
    uint8_t dir[4096] = { 0 };
    struct lmnic_aq_desc d = { 0 };
    uint64_t gpa, heap = g->heap;
    uint32_t n;
    uint16_t st;

    memset(img, 0, sizeof(*img));
    g->heap = (g->heap + (1u << MG_CHUNK_SHIFT) - 1) &
              ~((1ULL << MG_CHUNK_SHIFT) - 1);
    gpa = mg_alloc(g, size + 4096);
    n = mg_dir(gpa, size, MG_CHUNK_SHIFT, dir);
    d.opcode = htole16(LMNIC_AQ_SAVE);
    d.vport = htole16(v);
    d.p.mig.num_chunks = htole32(n);
    d.p.mig.chunk_shift = MG_CHUNK_SHIFT;
    d.p.mig.flags = flags;
    st = mg_cmd(g, &d, dir, 32 + n * 8, dir, 32);
    if (!st) {
        img->size = le64toh(d.p.mig.image_size);
        img->records = le32toh(d.p.mig.num_records);
        img->slots = le32toh(d.p.mig.slots);
        img->bytes = g_memdup2(mh_ram(g->h, gpa, img->size), img->size);
        memcpy(img->sha256, dir, 32);
    }
    g->heap = heap;
    return st;
}

uint16_t mg_load(MgGuest *g, unsigned v, uint8_t flags, const MgImage *img,
                 uint32_t *detail)
{
    uint8_t dir[4096] = { 0 };
    struct lmnic_aq_desc d = { 0 };
    uint64_t gpa, heap = g->heap;
    uint32_t n;
    uint16_t st;

    g->heap = (g->heap + (1u << MG_CHUNK_SHIFT) - 1) &
              ~((1ULL << MG_CHUNK_SHIFT) - 1);
    gpa = mg_alloc(g, img->size + 4096);
    memcpy(mh_ram(g->h, gpa, img->size), img->bytes, img->size);
    n = mg_dir(gpa, img->size, MG_CHUNK_SHIFT, dir);
    memcpy(dir, img->sha256, 32);
    d.opcode = htole16(LMNIC_AQ_LOAD);
    d.vport = htole16(v);
    d.p.mig.image_size = htole64(img->size);
    d.p.mig.num_chunks = htole32(n);
    d.p.mig.chunk_shift = MG_CHUNK_SHIFT;
    d.p.mig.flags = flags;
    st = mg_cmd(g, &d, dir, 32 + n * 8, NULL, 0);
    if (detail) {
        *detail = le32toh(d.p.mig.detail);
    }
    g->heap = heap;
    return st;
}

uint16_t mg_digest(MgGuest *g, unsigned v, uint8_t out[32])
{
    struct lmnic_aq_desc d = { 0 };
    uint16_t st;

    d.opcode = htole16(LMNIC_AQ_DIGEST);
    d.vport = htole16(v);
    st = mg_cmd(g, &d, NULL, 0, NULL, 0);
    memcpy(out, d.p.raw, 32);
    return st;
}

void mg_image_free(MgImage *img)
{
    g_free(img->bytes);
    memset(img, 0, sizeof(*img));
}

/* CRC-32C, reflected, from CRC on, no final inversion: a bitwise one */
static uint32_t mg_crc32c(uint32_t crc, const void *buf, size_t len)
{
    const uint8_t *p = buf;
    int k;

    while (len--) {
        crc ^= *p++;
        for (k = 0; k < 8; k++) {
            crc = (crc >> 1) ^ (0x82f63b78 & -(crc & 1));
        }
    }
    return crc;
}

void mg_image_seal(MgImage *img)
{
    GChecksum *sum = g_checksum_new(G_CHECKSUM_SHA256);
    gsize dlen = sizeof(img->sha256);
    uint64_t off = 0;

    /* records as they are framed, at any alignment */
    while (img->size - off >= sizeof(struct lmnic_img_rec)) {
        uint8_t *r = img->bytes + off;
        uint32_t len, crc;

        memcpy(&len, r + offsetof(struct lmnic_img_rec, len), sizeof(len));
        len = le32toh(len);
        if (len > img->size - off - sizeof(struct lmnic_img_rec)) {
            break;
        }
        crc = mg_crc32c(0xffffffff, r, offsetof(struct lmnic_img_rec, check));
        crc = htole32(mg_crc32c(crc, r + sizeof(struct lmnic_img_rec), len));
        memcpy(r + offsetof(struct lmnic_img_rec, check), &crc, sizeof(crc));
        off += sizeof(struct lmnic_img_rec) + len;
    }
    g_checksum_update(sum, img->bytes, img->size);
    g_checksum_get_digest(sum, img->sha256, &dlen);
    g_checksum_free(sum);
}

/* ---- frames ------------------------------------------------------------- */

void mg_key(uint32_t n, struct lmnic_conn_key *k)
{
    memset(k, 0, sizeof(*k));
    if (n & 1) {
        k->family = LMNIC_CONN_FAMILY_IPV6;
        k->src[0] = htobe32(0xfd000000);
        k->src[3] = htobe32(n);
        k->dst[0] = htobe32(0xfd000000);
        k->dst[3] = htobe32(0x01000000 | (n >> 16));
    } else {
        k->family = LMNIC_CONN_FAMILY_IPV4;
        k->src[0] = htobe32(0x0a000000 | (n >> 8));
        k->dst[0] = htobe32(0x0a800000 | (n & 0xff));
    }
    k->proto = (n & 2) ? 17 : 6;
    k->sport = htobe16(1024 + (n % 50000));
    k->dport = htobe16(80 + (n >> 20));
}

size_t mg_frame(MgGuest *g, unsigned v, const struct lmnic_conn_key *key,
                uint8_t *buf, size_t payload)
{
    bool v6 = key->family == LMNIC_CONN_FAMILY_IPV6;
    size_t l3 = 14, l4 = l3 + (v6 ? 40 : 20);
    size_t l4len = (key->proto == 6 ? 20 : 8) + payload;
    uint16_t x;

    memset(buf, 0, l4 + l4len);
    memcpy(buf, g->mac[v], 6);
    buf[6] = 0x02;
    buf[11] = 0x99;
    x = htobe16(v6 ? 0x86dd : 0x0800);
    memcpy(buf + 12, &x, 2);
    if (v6) {
        buf[l3] = 0x60;
        x = htobe16(l4len);
        memcpy(buf + l3 + 4, &x, 2);
        buf[l3 + 6] = key->proto;
        buf[l3 + 7] = 64;
        memcpy(buf + l3 + 8, key->src, 16);
        memcpy(buf + l3 + 24, key->dst, 16);
    } else {
        buf[l3] = 0x45;
        x = htobe16(20 + l4len);
        memcpy(buf + l3 + 2, &x, 2);
        buf[l3 + 8] = 64;
        buf[l3 + 9] = key->proto;
        memcpy(buf + l3 + 12, key->src, 4);
        memcpy(buf + l3 + 16, key->dst, 4);
    }
    memcpy(buf + l4, &key->sport, 2);
    memcpy(buf + l4 + 2, &key->dport, 2);
    if (key->proto == 6) {
        buf[l4 + 12] = 0x50;
    } else {
        x = htobe16(l4len);
        memcpy(buf + l4 + 4, &x, 2);
    }
    return l4 + l4len;
}

void mg_tx(MgGuest *g, unsigned v, unsigned qp, const void *frame, size_t len)
{
    MgQueue *q = &g->q[v][qp];
    struct lmnic_tx_desc *t = (void *)mh_ram(g->h, q->tx_ring,
                                             q->tx_size * sizeof(*t));
    uint64_t buf = q->tx_buf + (uint64_t)q->tx_tail * TX_BUF_SIZE;

    assert(len <= TX_BUF_SIZE);
    memcpy(mh_ram(g->h, buf, len), frame, len);
    t[q->tx_tail].addr = htole64(buf);
    t[q->tx_tail].len = htole16(len);
    t[q->tx_tail].csum_start = 0;
    t[q->tx_tail].csum_offset = 0;
    t[q->tx_tail].flags = htole16(LMNIC_TXD_EOP);
    q->tx_tail = (q->tx_tail + 1) % q->tx_size;
    mh_wr32(g->h, LMNIC_REG_DB(v, qp, 0), q->tx_tail);
}

unsigned mg_rx_reap(MgGuest *g, unsigned v, unsigned qp)
{
    MgQueue *q = &g->q[v][qp];
    struct lmnic_rx_cmpl *c;
    unsigned n = 0;

    if (!q->live) {
        return 0;
    }
    c = (void *)mh_ram(g->h, q->rx_ring, q->rx_size * sizeof(*c));
    while (le16toh(c[q->rx_next].flags) & LMNIC_RXC_DD) {
        mg_rx_post(g, q, q->rx_next);
        q->rx_next = (q->rx_next + 1) % q->rx_size;
        q->rx_tail = (q->rx_tail + 1) % q->rx_size;
        n++;
    }
    if (n) {
        mh_wr32(g->h, LMNIC_REG_DB(v, qp, 1), q->rx_tail);
    }
    return n;
}
