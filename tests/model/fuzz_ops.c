/*
 * The lmnic device fuzzer's interpreter and encoder. See fuzz_ops.h.
 *
 * Besides what ASan and UBSan catch, the interpreter checks what the
 * adapter promises a guest: a BAR2 write changes nothing; a LOAD refused
 * leaves the block as it was; a LOAD of an image as SAVE wrote it gives
 * the source's block (as DIGEST reads it); and after every program each
 * vport's connection table agrees with its header and its id index. A
 * broken promise aborts.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <endian.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <glib.h>

#include "fuzz_ops.h"
#include "guest.h"

#define FO_VPORTS       8
#define FO_STATE        (4ULL << 20)
#define FO_RAM          (64ULL << 20)
#define FO_FRAME_MAX    (LMNIC_MAX_FRAME + 64)

FoStats fo_stats;

typedef struct FoRun {
    const uint8_t *p, *end;
    ModelHost *h[2];
    MgGuest g[2];
} FoRun;

static void broken(const char *what)
{
    fprintf(stderr, "lmnic model: broken promise: %s\n", what);
    abort();
}

/* ---- reading the program ---------------------------------------------- */

static bool fo_get(FoRun *r, void *out, size_t n)
{
    if ((size_t)(r->end - r->p) < n) {
        r->p = r->end;
        memset(out, 0, n);
        return false;
    }
    memcpy(out, r->p, n);
    r->p += n;
    return true;
}

static uint8_t g8(FoRun *r)
{
    uint8_t v;

    fo_get(r, &v, 1);
    return v;
}

static uint16_t g16(FoRun *r)
{
    uint16_t v;

    fo_get(r, &v, 2);
    return le16toh(v);
}

static uint32_t g32(FoRun *r)
{
    uint32_t v;

    fo_get(r, &v, 4);
    return le32toh(v);
}

static uint64_t g64(FoRun *r)
{
    uint64_t v;

    fo_get(r, &v, 8);
    return le64toh(v);
}

/* N bytes of the program, at most what is left */
static const uint8_t *gbytes(FoRun *r, size_t *n)
{
    const uint8_t *b = r->p;

    if (*n > (size_t)(r->end - r->p)) {
        *n = r->end - r->p;
    }
    r->p += *n;
    return b;
}

/* ---- the adapter's promises ------------------------------------------- */

static uint64_t fo_mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    return x ^ (x >> 33);
}

/*
 * A 64-bit hash of vport V's block as DIGEST sees it (HOST sections,
 * vport index and state read as zeroes), read in place: the promises
 * below compare such hashes, at a fraction of the cost of two SHA-256
 * passes or of copies of the block. Each non-zero word adds a mix of
 * itself and its offset, so zero words, and pages never written (or
 * given back), which hold only zeroes, are skipped.
 */
static uint64_t __attribute__((no_sanitize("address")))
portable(ModelHost *h, unsigned v)
{
    static const struct lmnic_sm_layout_entry layout[] = LMNIC_SM_LAYOUT1;
    const size_t page = 4096;
    const uint8_t *b = mh_state(h) + LMNIC_SM_VPORT_BASE +
                       (uint64_t)v * mh_vport_block(h);
    struct lmnic_sm_vport_hdr hdr;
    uint32_t end = mh_vport_block(h), off, i;
    size_t pages = end / page;
    g_autofree unsigned char *res = g_malloc(pages);
    uint64_t hash = 0, w;

    assert(!((uintptr_t)b % page) && !(end % page));
    if (mincore((void *)b, end, res)) {
        abort();
    }
    memcpy(&hdr, b, sizeof(hdr));
    hdr.vport = 0;
    hdr.state = 0;
    for (off = 0; off < end; off += 8) {
        if (!(off % page) && !(res[off / page] & 1) && off >= sizeof(hdr)) {
            off += page - 8;
            continue;
        }
        if (off < sizeof(hdr)) {
            memcpy(&w, (uint8_t *)&hdr + off, 8);
        } else {
            memcpy(&w, b + off, 8);
        }
        if (!w) {
            continue;
        }
        for (i = 0; i < G_N_ELEMENTS(layout); i++) {
            if ((layout[i].flags & LMNIC_SECF_HOST) &&
                off >= layout[i].offset &&
                off < layout[i].offset + layout[i].size) {
                w = 0;
            }
        }
        if (w) {
            hash += fo_mix(w ^ fo_mix(off));
        }
    }
    return hash;
}

/*
 * Table, header and index of every vport agree (white-box). Pages of the
 * table never written (or given back) hold no entry: only the resident
 * ones are read.
 */
static void check_tables(ModelHost *h)
{
    uint32_t cap = mh_conn_capacity(h), block = mh_vport_block(h);
    const size_t page = 4096, per_page = page / sizeof(struct lmnic_conn);
    unsigned v;

    if (mh_rd32(h, LMNIC_REG_MAGIC) != LMNIC_MAGIC) {
        return;     /* dead: nothing it holds is used */
    }
    for (v = 0; v < FO_VPORTS; v++) {
        const uint8_t *blk = mh_state(h) + LMNIC_SM_VPORT_BASE +
                             (uint64_t)v * block;
        const struct lmnic_sm_conn_hdr *ch =
            (const void *)(blk + LMNIC_SM_OFF_CONN);
        const uint32_t *index = (const void *)(blk + LMNIC_SM_OFF_CONN_INDEX);
        const struct lmnic_conn *t =
            (const void *)(blk + lmnic_sm_conn_table_off(cap));
        size_t pages = (cap * sizeof(*t) + page - 1) / page;
        size_t ipages = ((size_t)cap * 4 + page - 1) / page;
        g_autofree unsigned char *res = g_malloc(pages);
        g_autofree unsigned char *ires = g_malloc(ipages);
        uint32_t valid = 0, tomb = 0, i;

        if (mincore((void *)t, pages * page, res) ||
            mincore((void *)index, ipages * page, ires)) {
            abort();
        }
        for (i = 0; i < cap; i++) {
            uint16_t f;
            uint32_t id;

            /* a page of the index never written holds no entry */
            if ((ires[i / (page / 4)] & 1) && index[i] &&
                (le32toh(index[i]) > cap ||
                 le16toh(t[le32toh(index[i]) - 1].flags) !=
                 LMNIC_CONNF_VALID ||
                 le32toh(t[le32toh(index[i]) - 1].id) != i)) {
                broken("an index entry that points to another entry");
            }
            if (!(res[i / per_page] & 1)) {
                continue;
            }
            f = le16toh(t[i].flags);
            id = le32toh(t[i].id);
            if (f == LMNIC_CONNF_VALID) {
                if (id >= cap || le32toh(index[id]) != i + 1) {
                    broken("a valid entry the index does not find");
                }
                valid++;
            } else if (f == LMNIC_CONNF_TOMB) {
                tomb++;
            }
        }
        if (valid != le32toh(ch->count) || tomb != le32toh(ch->tombstones)) {
            broken("a table header that miscounts its table");
        }
    }
}

/* ---- operations ------------------------------------------------------- */

static void op_sm_wr(FoRun *r, ModelHost *h)
{
    uint64_t off = g32(r) % FO_STATE, val;
    unsigned size = 1u << (g8(r) & 3);
    uint8_t before[8];

    val = g64(r);
    if (off + size > FO_STATE) {
        return;
    }
    memcpy(before, mh_state(h) + off, size);
    mh_sm_wr(h, off, val, size);
    /* only the count of refused writes may move */
    if (off + size > offsetof(struct lmnic_sm_adapter, sm_writes_refused) &&
        off < offsetof(struct lmnic_sm_adapter, sm_writes_refused) + 8) {
        return;
    }
    if (memcmp(before, mh_state(h) + off, size)) {
        broken("a BAR2 write changed state memory");
    }
}

static void op_ram_wr(FoRun *r, ModelHost *h)
{
    uint64_t gpa = g32(r) % FO_RAM;
    size_t n = g16(r);
    const uint8_t *b = gbytes(r, &n);

    n = MIN(n, FO_RAM - gpa);
    memcpy(mh_ram(h, gpa, n), b, n);
}

static void op_admin(FoRun *r, MgGuest *g)
{
    struct lmnic_aq_desc d = { 0 };
    uint8_t ctl;
    size_t n;
    const uint8_t *data;

    d.opcode = htole16(g16(r));
    d.vport = htole16(g16(r));
    ctl = g8(r);
    d.buf_addr = htole64(g64(r));
    d.buf_len = htole32(g32(r));
    fo_get(r, d.p.raw, sizeof(d.p.raw));
    n = g16(r);     /* at most 64 KiB: the command buffer holds it */
    data = gbytes(r, &n);
    if (ctl & FO_CTL_BUF) {
        memcpy(mh_ram(g->h, MG_BUF_GPA, n), data, n);
        d.buf_addr = htole64(MG_BUF_GPA);
    }
    if (ctl & FO_CTL_IRQ) {
        d.flags = htole16(LMNIC_AQF_IRQ);
    }
    if (mg_cmd(g, &d, NULL, 0, NULL, 0) == LMNIC_AQS_OK) {
        fo_stats.admin_ok++;
    }
}

static void op_setup(FoRun *r, MgGuest *g)
{
    unsigned v = g8(r) % FO_VPORTS, nqp = g8(r) % LMNIC_MAX_QP + 1, qp, i;
    uint32_t flags = g32(r);
    uint8_t what = g8(r);

    if (what & FO_SETUP_ENABLE) {
        mg_vport_enable(g, v, nqp, flags);
    }
    if (what & FO_SETUP_QUEUES) {
        for (qp = 0; qp < nqp; qp++) {
            mg_queue_create(g, v, qp, 64, 2048);
        }
    }
    if (what & FO_SETUP_REGION) {
        mg_region_set(g, v, mh_conn_capacity(g->h), 64);
    }
    if (what & FO_SETUP_RSS) {
        struct lmnic_sm_rss rss = { 0 };

        for (i = 0; i < LMNIC_RSS_KEY_SIZE; i++) {
            rss.key[i] = 0x6d ^ (i * 37);
        }
        for (i = 0; i < LMNIC_RSS_TABLE_SIZE; i++) {
            rss.table[i] = i % nqp;
        }
        rss.hash_types = htole32(LMNIC_RSS_HASH_ALL);
        mg_rss(g, v, &rss);
    }
}

static void op_conn(FoRun *r, MgGuest *g)
{
    unsigned verb = g8(r) % 5, v = g8(r) % LMNIC_MAX_VPORTS;
    uint32_t id = g32(r), keyno = g32(r);
    uint16_t actions = g16(r), queue = g16(r);
    uint32_t mark = g32(r);
    struct lmnic_conn_key k;
    struct lmnic_conn c;

    switch (verb) {
    case FO_CONN_ADD:
        mg_key(keyno, &k);
        if (!mg_conn_add(g, v, id, &k, actions, queue, mark)) {
            fo_stats.conns++;
        }
        break;
    case FO_CONN_DEL:
        mg_conn_del(g, v, id);
        break;
    case FO_CONN_QUERY:
        mg_conn_query(g, v, id, &c);
        break;
    case FO_CONN_FLUSH:
        mg_simple(g, LMNIC_AQ_CONN_FLUSH, v);
        break;
    case FO_CONN_LIMIT:
        mg_conn_limit(g, v, id);
        break;
    }
}

/*
 * The admin queue is the one the guest set up: the ring where the harness
 * writes its descriptors, of its length, with nothing pending. A program
 * that moved the ring makes the device execute whatever it finds at the
 * new place (old descriptors included), so a promise about what one
 * command did holds only while this is true.
 */
static bool aq_ours(MgGuest *g)
{
    ModelHost *h = g->h;

    return mh_rd32(h, LMNIC_REG_AQ_BASE_LO) == (uint32_t)MG_AQ_GPA &&
           mh_rd32(h, LMNIC_REG_AQ_BASE_HI) == MG_AQ_GPA >> 32 &&
           mh_rd32(h, LMNIC_REG_AQ_LEN) == MG_AQ_LEN &&
           mh_rd32(h, LMNIC_REG_AQ_HEAD) == g->aq_tail;
}

static void op_migrate(FoRun *r, bool b_to_a)
{
    MgGuest *src = &r->g[b_to_a], *dst = &r->g[!b_to_a];
    unsigned v = g8(r) % FO_VPORTS;
    uint8_t mode = g8(r), n = g8(r);
    uint64_t before;
    static const uint8_t save_flags[] = {
        0, LMNIC_MIGF_PRECOPY, LMNIC_MIGF_DELTA,
        LMNIC_MIGF_PRECOPY | LMNIC_MIGF_DELTA,     /* a round */
    };
    uint8_t flags = save_flags[(mode & 0x7f) %
                                 (sizeof(save_flags) / sizeof(save_flags[0]))];
    MgImage img;
    unsigned i;
    uint16_t st;
    bool ours;

    st = mg_save(src, v, flags, &img);
    for (i = 0; i < n; i++) {
        uint32_t off = g32(r);
        uint8_t x = g8(r);

        if (img.size) {
            img.bytes[off % img.size] ^= x;
        }
    }
    if (st) {
        return;
    }
    if (mode & 0x80) {
        mg_image_seal(&img);
    }
    mg_quiesce(dst, v, 0, NULL, NULL);
    ours = aq_ours(dst);
    before = portable(dst->h, v);
    st = mg_load(dst, v, flags & LMNIC_MIGF_DELTA, &img, NULL);
    fo_stats.loads += !st;
    fo_stats.refused += !!st;
    if (st && st != MG_NO_DD && ours && portable(dst->h, v) != before) {
        broken("a refused LOAD changed the block");
    }
    if (!st && !n && !(flags & LMNIC_MIGF_DELTA) && ours &&
        portable(dst->h, v) != portable(src->h, v)) {
        broken("a LOAD of a saved image differs from its source");
    }
    mg_image_free(&img);
}

static void op_fault(FoRun *r, ModelHost *h)
{
    static const char *const kind[] = { "parity", "dma", "tx-hang", "fatal",
                                        "aq-hang" };
    unsigned k = g8(r) % 5, v = g8(r) % LMNIC_MAX_VPORTS, n = g16(r);
    char f[64], err[128];

    if (k >= 3) {
        snprintf(f, sizeof(f), "%s", kind[k]);
    } else {
        snprintf(f, sizeof(f), "%s:%u:%u", kind[k], v, n);
    }
    if (!mh_inject_fault(h, f, err, sizeof(err))) {
        fo_stats.faults++;
    }
}

static void op_image(FoRun *r, MgGuest *g)
{
    unsigned v = g8(r) % FO_VPORTS;
    uint8_t flags = g8(r);
    uint64_t before;
    size_t n = g16(r);
    const uint8_t *b = gbytes(r, &n);
    MgImage img = { 0 };

    if (!n) {
        return;
    }
    img.bytes = g_memdup2(b, n);
    img.size = n;
    mg_image_seal(&img);
    uint16_t st;
    bool ours;

    mg_quiesce(g, v, 0, NULL, NULL);
    ours = aq_ours(g);
    before = portable(g->h, v);
    st = mg_load(g, v, flags & 3, &img, NULL);
    if (st) {
        fo_stats.refused++;
        if (st != MG_NO_DD && ours && portable(g->h, v) != before) {
            broken("a refused LOAD changed the block");
        }
    } else {
        fo_stats.loads++;
    }
    mg_image_free(&img);
}

static void fo_op(FoRun *r)
{
    uint8_t op = g8(r);
    bool b = op & FO_B;
    ModelHost *h = r->h[b];
    MgGuest *g = &r->g[b];
    uint8_t frame[FO_FRAME_MAX];
    size_t n;
    const uint8_t *bytes;
    unsigned v, qp;

    switch ((op & 0xf) % FO_KINDS) {
    case FO_MMIO_WR: {
        uint32_t reg = (g16(r) * 4u) & (LMNIC_REGS_SIZE - 1);

        mh_wr32(h, reg, g32(r));
        break;
    }
    case FO_MMIO_RD:
        mh_rd32(h, (g16(r) * 4u) & (LMNIC_REGS_SIZE - 1));
        break;
    case FO_SM_WR:
        op_sm_wr(r, h);
        break;
    case FO_SM_RD: {
        uint64_t off = g32(r) % FO_STATE;

        mh_sm_rd(h, off, 1u << (g8(r) & 3));
        break;
    }
    case FO_RAM_WR:
        op_ram_wr(r, h);
        break;
    case FO_ADMIN:
        op_admin(r, g);
        break;
    case FO_RX:
        n = g16(r);
        n = MIN(n, sizeof(frame));
        bytes = gbytes(r, &n);
        memcpy(frame, bytes, n);
        mh_rx(h, frame, n);
        break;
    case FO_TX:
        v = g8(r) % LMNIC_MAX_VPORTS;
        qp = g8(r) % LMNIC_MAX_QP;
        n = g16(r);
        n = MIN(n, sizeof(frame));
        bytes = gbytes(r, &n);
        if (n && g->q[v][qp].live) {
            mg_tx(g, v, qp, bytes, n);
        }
        break;
    case FO_SETUP:
        op_setup(r, g);
        break;
    case FO_CONN:
        op_conn(r, g);
        break;
    case FO_CLOCK:
        mh_clock_step((int64_t)(g16(r) % 1001) * 1000000);
        break;
    case FO_REAP:
        v = g8(r) % LMNIC_MAX_VPORTS;
        fo_stats.rx += mg_rx_reap(g, v, g8(r) % LMNIC_MAX_QP);
        break;
    case FO_MIGRATE:
        op_migrate(r, b);
        break;
    case FO_RESUME:
        mg_simple(g, LMNIC_AQ_RESUME, g8(r) % LMNIC_MAX_VPORTS);
        break;
    case FO_FAULT:
        op_fault(r, h);
        break;
    case FO_IMAGE:
        op_image(r, g);
        break;
    }
}

/*
 * Two adapters, made once and power-cycled before each program: every
 * program starts from the same state, without the cost of new ones.
 */
void fo_run(const uint8_t *data, size_t size)
{
    static ModelHost *hosts[2];
    ModelConfig cfg = { .state_size = FO_STATE, .vports = FO_VPORTS,
                        .ram_size = FO_RAM };
    FoRun r = { .p = data, .end = data + size };
    unsigned i;

    mh_clock_reset();
    for (i = 0; i < 2; i++) {
        if (!hosts[i]) {
            hosts[i] = mh_new(&cfg);
        }
        r.h[i] = hosts[i];
        mh_power_cycle(r.h[i]);
        mg_attach(&r.g[i], r.h[i]);
    }
    memset(&fo_stats, 0, sizeof(fo_stats));
    while (r.p < r.end) {
        fo_op(&r);
    }
    for (i = 0; i < 2; i++) {
        check_tables(r.h[i]);
        fo_stats.tx += mh_sent(r.h[i]);
    }
}

/* ---- the encoder ------------------------------------------------------ */

void fo_bytes(FoProg *p, const void *b, size_t n)
{
    if (!n) {
        return;
    }
    if (p->len + n > p->cap) {
        p->cap = MAX(p->cap * 2, p->len + n + 256);
        p->buf = g_realloc(p->buf, p->cap);
    }
    memcpy(p->buf + p->len, b, n);
    p->len += n;
}

void fo_u8(FoProg *p, uint8_t v)
{
    fo_bytes(p, &v, 1);
}

void fo_u16(FoProg *p, uint16_t v)
{
    v = htole16(v);
    fo_bytes(p, &v, 2);
}

void fo_u32(FoProg *p, uint32_t v)
{
    v = htole32(v);
    fo_bytes(p, &v, 4);
}

void fo_u64(FoProg *p, uint64_t v)
{
    v = htole64(v);
    fo_bytes(p, &v, 8);
}

static void fo_op_byte(FoProg *p, int b, enum fo_kind k)
{
    fo_u8(p, k | (b ? FO_B : 0));
}

void fo_mmio_wr(FoProg *p, int b, uint32_t reg, uint32_t val)
{
    fo_op_byte(p, b, FO_MMIO_WR);
    fo_u16(p, reg / 4);
    fo_u32(p, val);
}

void fo_mmio_rd(FoProg *p, int b, uint32_t reg)
{
    fo_op_byte(p, b, FO_MMIO_RD);
    fo_u16(p, reg / 4);
}

void fo_sm_wr(FoProg *p, int b, uint32_t off, unsigned size, uint64_t val)
{
    fo_op_byte(p, b, FO_SM_WR);
    fo_u32(p, off);
    fo_u8(p, size == 8 ? 3 : size == 4 ? 2 : size == 2 ? 1 : 0);
    fo_u64(p, val);
}

void fo_admin(FoProg *p, int b, uint16_t opcode, uint16_t vport,
              const void *param, size_t plen, const void *data, size_t n)
{
    uint8_t raw[40] = { 0 };

    if (plen) {
        memcpy(raw, param, MIN(plen, sizeof(raw)));
    }
    fo_op_byte(p, b, FO_ADMIN);
    fo_u16(p, opcode);
    fo_u16(p, vport);
    fo_u8(p, n ? FO_CTL_BUF : 0);
    fo_u64(p, 0);
    fo_u32(p, n);
    fo_bytes(p, raw, sizeof(raw));
    fo_u16(p, n);
    fo_bytes(p, data, n);
}

void fo_rx(FoProg *p, int b, const void *frame, uint16_t len)
{
    fo_op_byte(p, b, FO_RX);
    fo_u16(p, len);
    fo_bytes(p, frame, len);
}

void fo_tx(FoProg *p, int b, uint8_t vport, uint8_t qp, const void *frame,
           uint16_t len)
{
    fo_op_byte(p, b, FO_TX);
    fo_u8(p, vport);
    fo_u8(p, qp);
    fo_u16(p, len);
    fo_bytes(p, frame, len);
}

void fo_setup(FoProg *p, int b, uint8_t vport, uint8_t nqp, uint32_t flags,
              uint8_t what)
{
    fo_op_byte(p, b, FO_SETUP);
    fo_u8(p, vport);
    fo_u8(p, nqp - 1);
    fo_u32(p, flags);
    fo_u8(p, what);
}

void fo_conn(FoProg *p, int b, uint8_t verb, uint8_t vport, uint32_t id,
             uint32_t key, uint16_t actions, uint16_t queue, uint32_t mark)
{
    fo_op_byte(p, b, FO_CONN);
    fo_u8(p, verb);
    fo_u8(p, vport);
    fo_u32(p, id);
    fo_u32(p, key);
    fo_u16(p, actions);
    fo_u16(p, queue);
    fo_u32(p, mark);
}

void fo_clock(FoProg *p, uint16_t ms)
{
    fo_op_byte(p, 0, FO_CLOCK);
    fo_u16(p, ms);
}

void fo_reap(FoProg *p, int b, uint8_t vport, uint8_t qp)
{
    fo_op_byte(p, b, FO_REAP);
    fo_u8(p, vport);
    fo_u8(p, qp);
}

void fo_migrate(FoProg *p, int b_to_a, uint8_t vport, uint8_t mode)
{
    fo_op_byte(p, b_to_a, FO_MIGRATE);
    fo_u8(p, vport);
    fo_u8(p, mode);
    fo_u8(p, 0);
}

void fo_resume(FoProg *p, int b, uint8_t vport)
{
    fo_op_byte(p, b, FO_RESUME);
    fo_u8(p, vport);
}

void fo_fault(FoProg *p, int b, uint8_t kind, uint8_t vport, uint16_t n)
{
    fo_op_byte(p, b, FO_FAULT);
    fo_u8(p, kind);
    fo_u8(p, vport);
    fo_u16(p, n);
}
