/*
 * The lmnic adapter model's trust boundary, case by case: what a guest can
 * write (registers, BAR2, descriptors, rings, admin payloads, images) and
 * what a fault can leave in state memory never takes the model out of its
 * own memory, into an endless loop, or past a check it makes elsewhere.
 * Each case is one defect the model had; run one with `test-model NAME`.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <endian.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "guest.h"

typedef struct Fix {
    ModelHost *h;
    MgGuest g;
} Fix;

static int setup(void **state)
{
    ModelConfig cfg = { .vports = 4 };
    Fix *f = calloc(1, sizeof(*f));

    alarm(60);          /* a case that loops forever fails */
    f->h = mh_new(&cfg);
    assert_int_equal(mg_init(&f->g, f->h), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    Fix *f = *state;

    mh_free(f->h);
    free(f);
    return 0;
}

/* ---- views of a vport's block, by its BAR2 offset ---------------------- */

static uint64_t vp_off(ModelHost *h, unsigned v)
{
    return LMNIC_SM_VPORT_BASE +
           (uint64_t)v * mh_rd32(h, LMNIC_REG_VPORT_BLOCK);
}

static uint8_t *vp_mem(ModelHost *h, unsigned v)
{
    return mh_state(h) + vp_off(h, v);
}

static struct lmnic_sm_queue_host *qh_mem(ModelHost *h, unsigned v,
                                          unsigned qp)
{
    return (void *)(vp_mem(h, v) + LMNIC_SM_OFF_QUEUES_HOST +
                    qp * sizeof(struct lmnic_sm_queue_host));
}

static struct lmnic_sm_queue *q_mem(ModelHost *h, unsigned v, unsigned qp)
{
    return (void *)(vp_mem(h, v) + LMNIC_SM_OFF_QUEUES +
                    qp * sizeof(struct lmnic_sm_queue));
}

static struct lmnic_sm_conn_hdr *ct_mem(ModelHost *h, unsigned v)
{
    return (void *)(vp_mem(h, v) + LMNIC_SM_OFF_CONN);
}

static struct lmnic_sm_region_host *rh_mem(ModelHost *h, unsigned v)
{
    return (void *)(vp_mem(h, v) + LMNIC_SM_OFF_REGION_HOST);
}

static uint32_t *index_mem(ModelHost *h, unsigned v)
{
    return (void *)(vp_mem(h, v) + LMNIC_SM_OFF_CONN_INDEX);
}

static struct lmnic_conn *slot_mem(ModelHost *h, unsigned v, uint32_t slot)
{
    return (struct lmnic_conn *)(vp_mem(h, v) +
            lmnic_sm_conn_table_off(mh_conn_capacity(h))) + slot;
}

static uint32_t slot_of(ModelHost *h, unsigned v, uint32_t id)
{
    return le32toh(index_mem(h, v)[id]) - 1;
}

static struct lmnic_sm_adapter *adapter_mem(ModelHost *h)
{
    return (void *)mh_state(h);
}

static uint64_t refused(ModelHost *h)
{
    return le64toh(adapter_mem(h)->sm_writes_refused);
}

/* vport V up with one queue pair, a region and connections 0 .. N - 1 */
static void bring_up(Fix *f, unsigned v, unsigned nconn, uint32_t flags)
{
    struct lmnic_conn_key k;
    unsigned i;

    assert_int_equal(mg_vport_enable(&f->g, v, 1, flags), 0);
    assert_int_equal(mg_queue_create(&f->g, v, 0, 64, 2048), 0);
    assert_int_equal(mg_region_set(&f->g, v, mh_conn_capacity(f->h), 64), 0);
    for (i = 0; i < nconn; i++) {
        mg_key(i, &k);
        assert_int_equal(mg_conn_add(&f->g, v, i, &k, LMNIC_CONN_ACT_COUNT,
                                     0, 0), 0);
    }
}

static unsigned rx_frames(Fix *f, unsigned v, uint32_t keyno, unsigned n)
{
    struct lmnic_conn_key k;
    uint8_t frame[256];
    size_t len;
    unsigned i, got = 0;

    mg_key(keyno, &k);
    len = mg_frame(&f->g, v, &k, frame, 32);
    for (i = 0; i < n; i++) {
        mh_rx(f->h, frame, len);
        got += mg_rx_reap(&f->g, v, 0);
    }
    return got;
}

/* ---- the model works as the driver uses it ----------------------------- */

static void smoke_datapath_and_connections(void **state)
{
    Fix *f = *state;
    struct lmnic_conn c;
    uint8_t frame[256];
    struct lmnic_conn_key k;
    size_t len;

    bring_up(f, 0, 10, LMNIC_VPF_BROADCAST);
    assert_int_equal(rx_frames(f, 0, 3, 5), 5);
    assert_int_equal(mg_conn_query(&f->g, 0, 3, &c), 0);
    assert_int_equal(le64toh(c.packets), 5);
    mh_clock_step(200 * 1000000LL);
    assert_int_equal(le64toh(mg_region_entry(&f->g, 0, 3)->packets), 5);
    assert_int_equal(mg_conn_del(&f->g, 0, 3), 0);
    assert_int_equal(mg_conn_query(&f->g, 0, 3, &c), LMNIC_AQS_ENOENT);
    mg_key(77, &k);
    len = mg_frame(&f->g, 0, &k, frame, 100);
    mg_tx(&f->g, 0, 0, frame, len);
    assert_int_equal(mh_sent(f->h), 1);
}

/* ---- BAR2 is read-only to the host ------------------------------------- */

static void bar2_writes_are_refused(void **state)
{
    Fix *f = *state;
    ModelHost *h = f->h;
    uint64_t b1 = vp_off(h, 1), b0 = vp_off(h, 0);
    uint8_t before[4096];
    uint64_t n = refused(h);

    /* a disabled vport: its header state, config, queues, table header */
    memcpy(before, vp_mem(h, 1), sizeof(before));
    mh_sm_wr(h, b1 + offsetof(struct lmnic_sm_vport_hdr, state),
             LMNIC_VPS_ENABLED, 4);
    mh_sm_wr(h, b1 + LMNIC_SM_OFF_CONFIG, 0x112233445566ULL, 8);
    mh_sm_wr(h, b1 + LMNIC_SM_OFF_QUEUES, 100, 2);
    mh_sm_wr(h, b1 + LMNIC_SM_OFF_CONN + 4, 0xffffffff, 4);
    assert_memory_equal(before, vp_mem(h, 1), sizeof(before));
    assert_int_equal(refused(h), n + 4);

    /* a quiesced one: its HOST sections and table header */
    bring_up(f, 0, 4, 0);
    assert_int_equal(mg_quiesce(&f->g, 0, 0, NULL, NULL), 0);
    mh_sm_wr(h, b0 + LMNIC_SM_OFF_QUEUES_HOST +
             offsetof(struct lmnic_sm_queue_host, vector), 82, 2);
    mh_sm_wr(h, b0 + LMNIC_SM_OFF_REGION_HOST +
             offsetof(struct lmnic_sm_region_host, events), 0, 2);
    mh_sm_wr(h, b0 + LMNIC_SM_OFF_CONN +
             offsetof(struct lmnic_sm_conn_hdr, count), 0, 4);
    mh_sm_wr(h, b0 + offsetof(struct lmnic_sm_vport_hdr, state), 0, 4);
    assert_int_equal(le16toh(qh_mem(h, 0, 0)->vector), 1);
    assert_int_equal(le16toh(rh_mem(h, 0)->events), 64);
    assert_int_equal(le32toh(ct_mem(h, 0)->count), 4);
    assert_true(le32toh(((struct lmnic_sm_vport_hdr *)vp_mem(h, 0))->state) &
                LMNIC_VPS_QUIESCED);
    assert_int_equal(refused(h), n + 8);
    /* reads are always allowed */
    assert_int_equal(mh_sm_rd(h, b0 + LMNIC_SM_OFF_CONN +
                              offsetof(struct lmnic_sm_conn_hdr, count), 4), 4);
    /* and the vport resumes as it was */
    assert_int_equal(mg_simple(&f->g, LMNIC_AQ_RESUME, 0), 0);
    assert_int_equal(rx_frames(f, 0, 1, 3), 3);
}

/* ---- every field is bounded where it is used --------------------------- */

/* QUEUES_HOST.vector beyond the vectors: no interrupt, no wild pointer */
static void bound_queue_vector(void **state)
{
    static const uint16_t bad[] = { 82, LMNIC_MSIX_VECTORS, 0, 0xffff };
    Fix *f = *state;
    unsigned i;

    bring_up(f, 0, 1, 0);
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        uint64_t admin = mh_irqs(f->h, LMNIC_VEC_ADMIN);

        qh_mem(f->h, 0, 0)->vector = htole16(bad[i]);
        assert_int_equal(rx_frames(f, 0, 0, 2), 2);
        assert_int_equal(mh_irqs(f->h, LMNIC_VEC_ADMIN), admin);
    }
}

/* CONN.limit above the capacity: the index is never written past its end */
static void bound_conn_limit(void **state)
{
    Fix *f = *state;
    uint32_t cap = mh_conn_capacity(f->h);
    struct lmnic_conn_key k;

    bring_up(f, 0, 2, 0);
    ct_mem(f->h, 0)->limit = htole32(0xffffffff);
    mg_key(100, &k);
    assert_int_equal(mg_conn_add(&f->g, 0, 0x7fffffff, &k,
                                 LMNIC_CONN_ACT_COUNT, 0, 0), LMNIC_AQS_EINVAL);
    assert_int_equal(mg_conn_add(&f->g, 0, cap, &k,
                                 LMNIC_CONN_ACT_COUNT, 0, 0), LMNIC_AQS_EINVAL);
    assert_int_equal(mg_conn_add(&f->g, 0, cap - 1, &k,
                                 LMNIC_CONN_ACT_COUNT, 0, 0), 0);
    assert_int_equal(mg_conn_del(&f->g, 0, 0x7fffffff), LMNIC_AQS_ENOENT);
    mh_clock_step(300 * 1000000LL);                 /* flush and scrub */
    assert_int_equal(mg_simple(&f->g, LMNIC_AQ_CONN_FLUSH, 0), 0);
    assert_int_equal(le32toh(ct_mem(f->h, 0)->count), 0);
}

/* count + tombstones that lie (or wrap): the delta scan stays in bounds */
static void bound_delta_scan(void **state)
{
    static const uint32_t lies[][2] = {
        { 0, 0 }, { 0xffffffff, 2 }, { 0x80000000, 0x80000000 },
    };
    Fix *f = *state;
    MgImage img;
    struct lmnic_conn_key k;
    unsigned i, j;

    for (i = 0; i < sizeof(lies) / sizeof(lies[0]); i++) {
        bring_up(f, 0, 1, 0);
        assert_int_equal(mg_save(&f->g, 0, LMNIC_MIGF_PRECOPY, &img), 0);
        mg_image_free(&img);
        for (j = 1; j < 100; j++) {
            mg_key(j, &k);
            assert_int_equal(mg_conn_add(&f->g, 0, j, &k,
                                         LMNIC_CONN_ACT_COUNT, 0, 0), 0);
        }
        ct_mem(f->h, 0)->count = htole32(lies[i][0]);
        ct_mem(f->h, 0)->tombstones = htole32(lies[i][1]);
        mg_save(&f->g, 0, LMNIC_MIGF_DELTA, &img);
        mg_image_free(&img);
        assert_int_equal(mg_simple(&f->g, LMNIC_AQ_VPORT_RESET, 0), 0);
    }
}

/* a delta replaces a slot whose entry holds an id beyond the index */
static void bound_delta_load_old_id(void **state)
{
    Fix *f = *state;
    ModelConfig cfg = { .vports = 4 };
    ModelHost *hb = mh_new(&cfg);
    MgGuest gb;
    MgImage img;
    uint32_t detail;

    assert_int_equal(mg_init(&gb, hb), 0);
    bring_up(f, 0, 3, 0);
    assert_int_equal(mg_save(&f->g, 0, LMNIC_MIGF_PRECOPY, &img), 0);
    assert_int_equal(mg_quiesce(&gb, 0, 0, NULL, NULL), 0);
    assert_int_equal(mg_load(&gb, 0, 0, &img, &detail), 0);
    mg_image_free(&img);
    assert_int_equal(mg_conn_del(&f->g, 0, 1), 0);
    slot_mem(hb, 0, slot_of(hb, 0, 1))->id = htole32(0x7ffffff0);
    assert_int_equal(mg_save(&f->g, 0, LMNIC_MIGF_DELTA, &img), 0);
    mg_load(&gb, 0, LMNIC_MIGF_DELTA, &img, &detail);
    mg_image_free(&img);
    mh_free(hb);
}

/* the region's geometry in state memory, whatever it holds */
static void bound_region_geometry(void **state)
{
    Fix *f = *state;
    struct lmnic_sm_region_host *r;
    struct lmnic_conn_key k;
    unsigned i;

    bring_up(f, 0, 2, 0);
    r = rh_mem(f->h, 0);
    for (i = 0; i < 5; i++) {
        mg_region_set(&f->g, 0, mh_conn_capacity(f->h), 64);
        switch (i) {
        case 0:
            r->events = 0;
            break;
        case 1:
            r->events = htole16(3);
            break;
        case 2:
            r->chunk_shift = 64;
            break;
        case 3:
            r->num_chunks = htole32(0xffffffff);
            break;
        case 4:
            r->slots = htole32(0xffffffff);
            break;
        }
        mg_key(1000 + i, &k);
        assert_int_equal(mg_conn_add(&f->g, 0, 100 + i, &k,
                                     LMNIC_CONN_ACT_COUNT, 0, 0), 0);
        assert_int_equal(rx_frames(f, 0, 1000 + i, 1), 1);
        mh_clock_step(200 * 1000000LL);
        assert_int_equal(mg_conn_del(&f->g, 0, 100 + i), 0);
    }
}

/* ring sizes that are not a power of two, indices beyond the ring */
static void bound_ring_size(void **state)
{
    Fix *f = *state;
    uint8_t frame[256];
    struct lmnic_conn_key k;
    size_t len;

    bring_up(f, 0, 0, 0);
    mg_key(5, &k);
    len = mg_frame(&f->g, 0, &k, frame, 40);
    q_mem(f->h, 0, 0)->tx_size = htole16(100);
    q_mem(f->h, 0, 0)->rx_size = htole16(100);
    mh_wr32(f->h, LMNIC_REG_DB(0, 0, 0), 50);
    mh_rx(f->h, frame, len);
    q_mem(f->h, 0, 0)->tx_size = htole16(64);
    q_mem(f->h, 0, 0)->rx_size = htole16(64);
    qh_mem(f->h, 0, 0)->tx_head = htole16(1000);
    qh_mem(f->h, 0, 0)->rx_head = htole16(1000);
    mh_wr32(f->h, LMNIC_REG_DB(0, 0, 0), 3);
    mh_rx(f->h, frame, len);
    q_mem(f->h, 0, 0)->tx_size = 0;
    mh_wr32(f->h, LMNIC_REG_DB(0, 0, 0), 0);
}

/* an entry whose id field lies: delete and scrub stay inside the index */
static void bound_table_id(void **state)
{
    Fix *f = *state;
    struct lmnic_conn *c;

    bring_up(f, 0, 3, 0);
    c = slot_mem(f->h, 0, slot_of(f->h, 0, 2));
    c->id = htole32(0xfffffff0);
    assert_int_equal(mg_conn_del(&f->g, 0, 2), 0);
    mh_clock_step(200 * 1000000LL);
    assert_int_equal(mg_simple(&f->g, LMNIC_AQ_CONN_FLUSH, 0), 0);
}

/* AQ_LEN shrunk under a running queue: the head still meets the tail */
static void bound_aq_len(void **state)
{
    Fix *f = *state;

    assert_int_equal(mg_simple(&f->g, LMNIC_AQ_NOP, 0), 0);
    assert_int_equal(mg_simple(&f->g, LMNIC_AQ_NOP, 0), 0);
    assert_int_equal(mg_simple(&f->g, LMNIC_AQ_NOP, 0), 0);
    mh_wr32(f->h, LMNIC_REG_AQ_LEN, 2);
    assert_int_equal(mh_rd32(f->h, LMNIC_REG_AQ_LEN), MG_AQ_LEN);
    assert_int_equal(mg_simple(&f->g, LMNIC_AQ_NOP, 0), 0);
}

/* RSS of a 14-byte frame typed IPv4 reads nothing past its end */
static void rss_short_frame(void **state)
{
    Fix *f = *state;
    struct lmnic_sm_rss rss = { 0 };
    uint8_t *frame = malloc(14);
    unsigned i;

    assert_int_equal(mg_vport_enable(&f->g, 0, 1, LMNIC_VPF_RSS), 0);
    assert_int_equal(mg_queue_create(&f->g, 0, 0, 64, 2048), 0);
    for (i = 0; i < LMNIC_RSS_KEY_SIZE; i++) {
        rss.key[i] = 0x6d + i;
    }
    rss.hash_types = htole32(LMNIC_RSS_HASH_ALL);
    assert_int_equal(mg_rss(&f->g, 0, &rss), 0);
    memcpy(frame, f->g.mac[0], 6);
    memset(frame + 6, 0x02, 6);
    frame[12] = 0x08;
    frame[13] = 0x00;
    mh_rx(f->h, frame, 14);
    assert_int_equal(mg_rx_reap(&f->g, 0, 0), 1);
    frame = realloc(frame, 18);
    frame[12] = 0x81;
    frame[13] = 0x00;
    frame[16] = 0x86;
    frame[17] = 0xdd;
    mh_rx(f->h, frame, 18);
    free(frame);
}

/* ---- LOAD ------------------------------------------------------------- */

typedef struct Mig {
    ModelHost *hb;
    MgGuest gb;
} Mig;

static void mig_start(Mig *m)
{
    ModelConfig cfg = { .vports = 4 };

    m->hb = mh_new(&cfg);
    assert_int_equal(mg_init(&m->gb, m->hb), 0);
    assert_int_equal(mg_region_set(&m->gb, 0, mh_conn_capacity(m->hb), 64), 0);
    assert_int_equal(mg_quiesce(&m->gb, 0, 0, NULL, NULL), 0);
}

static void digests_equal(MgGuest *a, MgGuest *b)
{
    uint8_t da[32], db[32];

    assert_int_equal(mg_digest(a, 0, da), 0);
    assert_int_equal(mg_digest(b, 0, db), 0);
    assert_memory_equal(da, db, 32);
}

/* the payload of SECTION record TYPE in IMG */
static uint8_t *img_section(MgImage *img, uint16_t type)
{
    uint64_t off = 0;

    while (off < img->size) {
        struct lmnic_img_rec *r = (void *)(img->bytes + off);

        if (le16toh(r->type) == LMNIC_REC_SECTION && le32toh(r->arg) == type) {
            return (uint8_t *)(r + 1);
        }
        off += sizeof(*r) + le32toh(r->len);
    }
    fail_msg("no section %u", type);
    return NULL;
}

/*
 * Vport V's region as its table holds it now, for ids 0 .. N - 1: each
 * entry even-numbered, a connection's body as its slot has it, a free id's
 * all zeroes but its id.
 */
static void region_matches_table(MgGuest *g, ModelHost *h, unsigned v,
                                 uint32_t n)
{
    const size_t body = offsetof(struct lmnic_conn, id);
    struct lmnic_conn gone;
    uint32_t id;

    for (id = 0; id < n; id++) {
        const struct lmnic_conn *e = mg_region_entry(g, v, id);
        uint32_t at = le32toh(index_mem(h, v)[id]);
        const struct lmnic_conn *c = at ? slot_mem(h, v, at - 1) : &gone;

        memset(&gone, 0, sizeof(gone));
        gone.id = htole32(id);
        assert_non_null(e);
        assert_false(le32toh(e->seq) & 1);
        assert_memory_equal((const uint8_t *)e + body,
                            (const uint8_t *)c + body, sizeof(*c) - body);
    }
}

/* an emptied slot of a delta is all zeroes, not only flags 0 */
static void delta_emptied_slot_is_zero(void **state)
{
    Fix *f = *state;
    Mig m;
    MgImage img;
    uint32_t detail;
    uint64_t off = 0;
    bool forged = false;

    mig_start(&m);
    bring_up(f, 0, 4, 0);
    assert_int_equal(mg_save(&f->g, 0, LMNIC_MIGF_PRECOPY, &img), 0);
    assert_int_equal(mg_load(&m.gb, 0, 0, &img, &detail), 0);
    mg_image_free(&img);
    assert_int_equal(mg_simple(&f->g, LMNIC_AQ_CONN_FLUSH, 0), 0);
    assert_int_equal(mg_save(&f->g, 0, LMNIC_MIGF_DELTA, &img), 0);
    while (off < img.size) {
        struct lmnic_img_rec *r = (void *)(img.bytes + off);

        if (le16toh(r->type) == LMNIC_REC_CONN_SLOTS) {
            struct lmnic_img_slot *is = (void *)(r + 1);

            assert_int_equal(is->conn.flags, 0);
            is->conn.packets = htole64(1);
            forged = true;
        }
        off += sizeof(*r) + le32toh(r->len);
    }
    assert_true(forged);
    mg_image_seal(&img);
    assert_int_equal(mg_load(&m.gb, 0, LMNIC_MIGF_DELTA, &img, &detail),
                     LMNIC_AQS_EBADIMAGE);
    assert_int_equal(detail & LMNIC_LOADE_REASON, LMNIC_LOADE_SLOT);
    mg_image_free(&img);
    mh_free(m.hb);
}

static uint16_t add(MgGuest *g, uint32_t id, const struct lmnic_conn_key *k)
{
    return mg_conn_add(g, 0, id, k, LMNIC_CONN_ACT_COUNT, 0, 0);
}

/*
 * No attacker: in the delta a connection id moves to a slot before the
 * one it left (ids 0 and 1 deleted, id 1 added again with id 0's key, so
 * into id 0's old slot). The destination must still find, query and
 * delete it, and end with the source's digest.
 */
static void precopy_id_moves_between_slots(void **state)
{
    Fix *f = *state;
    Mig m;
    MgImage img;
    struct lmnic_conn_key k0, k1;
    struct lmnic_conn c;
    uint32_t detail, a, b;

    mig_start(&m);
    bring_up(f, 0, 0, 0);
    mg_key(0, &k0);
    mg_key(1, &k1);
    assert_int_equal(add(&f->g, 0, &k0), 0);
    assert_int_equal(add(&f->g, 1, &k1), 0);
    a = slot_of(f->h, 0, 0);
    b = slot_of(f->h, 0, 1);
    if (a > b) {    /* id 0 in the lower slot */
        assert_int_equal(mg_simple(&f->g, LMNIC_AQ_CONN_FLUSH, 0), 0);
        assert_int_equal(add(&f->g, 0, &k1), 0);
        assert_int_equal(add(&f->g, 1, &k0), 0);
        k0 = k1;
    }
    assert_true(slot_of(f->h, 0, 0) < slot_of(f->h, 0, 1));
    a = slot_of(f->h, 0, 0);

    assert_int_equal(mg_save(&f->g, 0, LMNIC_MIGF_PRECOPY, &img), 0);
    assert_int_equal(mg_load(&m.gb, 0, 0, &img, &detail), 0);
    mg_image_free(&img);
    assert_int_equal(mg_conn_del(&f->g, 0, 0), 0);
    assert_int_equal(mg_conn_del(&f->g, 0, 1), 0);
    assert_int_equal(add(&f->g, 1, &k0), 0);
    assert_int_equal(slot_of(f->h, 0, 1), a);
    assert_int_equal(mg_save(&f->g, 0, LMNIC_MIGF_DELTA, &img), 0);
    assert_int_equal(mg_load(&m.gb, 0, LMNIC_MIGF_DELTA, &img, &detail), 0);
    mg_image_free(&img);
    digests_equal(&f->g, &m.gb);
    region_matches_table(&m.gb, m.hb, 0, 4);

    assert_int_equal(mg_conn_query(&m.gb, 0, 1, &c), 0);
    assert_memory_equal(&c.key, &k0, sizeof(k0));
    assert_int_equal(mg_conn_query(&m.gb, 0, 0, &c), LMNIC_AQS_ENOENT);
    assert_int_equal(mg_simple(&m.gb, LMNIC_AQ_RESUME, 0), 0);
    assert_int_equal(add(&m.gb, 1, &k1), LMNIC_AQS_EEXIST);
    assert_int_equal(mg_conn_del(&m.gb, 0, 1), 0);
    assert_int_equal(le32toh(ct_mem(m.hb, 0)->count), 0);
    mh_free(m.hb);
}

/*
 * Pre-copy rounds: each carries what changed since the image or the round
 * before, while the vport runs; a round whose size changed before its SAVE
 * is refused and changes nothing; a SAVE of the last delta needs a size
 * taken with the vport stopped; the last delta leaves the destination with
 * the source's digest, every id found where it should be.
 */
static void precopy_rounds(void **state)
{
    const uint8_t round = LMNIC_MIGF_PRECOPY | LMNIC_MIGF_DELTA;
    const struct lmnic_sm_vport_hdr *hdr;
    Fix *f = *state;
    Mig m;
    MgImage img;
    struct lmnic_conn_key k;
    struct lmnic_conn c;
    uint32_t detail, slots, i;
    uint64_t size;
    __le32 seq;

    mig_start(&m);
    bring_up(f, 0, 20, 0);
    assert_int_equal(mg_save(&f->g, 0, LMNIC_MIGF_PRECOPY, &img), 0);
    assert_int_equal(mg_load(&m.gb, 0, 0, &img, &detail), 0);
    mg_image_free(&img);

    /* round 1: five added, two deleted */
    for (i = 100; i < 105; i++) {
        mg_key(i, &k);
        assert_int_equal(add(&f->g, i, &k), 0);
    }
    assert_int_equal(mg_conn_del(&f->g, 0, 3), 0);
    assert_int_equal(mg_conn_del(&f->g, 0, 4), 0);
    assert_int_equal(mg_quiesce(&f->g, 0, round, &size, &slots), 0);
    assert_int_equal(slots, 7);
    hdr = (struct lmnic_sm_vport_hdr *)vp_mem(f->h, 0);
    assert_false(le32toh(hdr->state) & LMNIC_VPS_QUIESCED);
    assert_int_equal(mg_save(&f->g, 0, round, &img), 0);
    assert_int_equal(img.slots, 7);
    seq = mg_region_entry(&m.gb, 0, 10)->seq;
    assert_int_equal(mg_load(&m.gb, 0, LMNIC_MIGF_DELTA, &img, &detail), 0);
    mg_image_free(&img);
    digests_equal(&f->g, &m.gb);
    region_matches_table(&m.gb, m.hb, 0, 210);
    /* the region's entries the delta did not change were not rewritten */
    assert_int_equal(mg_region_entry(&m.gb, 0, 10)->seq, seq);

    /* nothing changed since: a round of no slot */
    assert_int_equal(mg_quiesce(&f->g, 0, round, NULL, &slots), 0);
    assert_int_equal(slots, 0);

    /* the size goes stale: the round is refused, the kept slots stay */
    assert_int_equal(mg_quiesce(&f->g, 0, round, &size, &slots), 0);
    mg_key(200, &k);
    assert_int_equal(add(&f->g, 200, &k), 0);
    assert_int_equal(mg_save_sized(&f->g, 0, round, size, &img),
                     LMNIC_AQS_EBUSY);

    /* a size of the running vport is no size for the last delta */
    assert_int_equal(mg_quiesce(&f->g, 0, round, NULL, &slots), 0);
    assert_int_equal(slots, 1);
    assert_int_equal(mg_save_sized(&f->g, 0, LMNIC_MIGF_DELTA, 1 << 20, &img),
                     LMNIC_AQS_EINVAL);

    /* the last delta: id 200, and nothing of the rounds again */
    assert_int_equal(mg_conn_del(&f->g, 0, 5), 0);
    assert_int_equal(mg_save(&f->g, 0, LMNIC_MIGF_DELTA, &img), 0);
    assert_int_equal(img.slots, 2);
    assert_int_equal(mg_load(&m.gb, 0, LMNIC_MIGF_DELTA, &img, &detail), 0);
    mg_image_free(&img);
    digests_equal(&f->g, &m.gb);
    region_matches_table(&m.gb, m.hb, 0, 210);
    for (i = 0; i < 210; i++) {
        bool there = (i < 20 && i != 3 && i != 4 && i != 5) ||
                     (i >= 100 && i < 105) || i == 200;

        assert_int_equal(mg_conn_query(&m.gb, 0, i, &c),
                         there ? 0 : LMNIC_AQS_ENOENT);
    }
    mh_free(m.hb);
}

/* LOAD checks CONFIG, QUEUES and RSS as SET_CONFIG, QUEUE_CREATE, SET_RSS */
static void load_checks_sections(void **state)
{
    Fix *f = *state;
    Mig m;
    MgImage img;
    uint8_t before[32], after[32];
    uint32_t detail;
    unsigned i;

    mig_start(&m);
    bring_up(f, 0, 2, 0);
    assert_int_equal(mg_quiesce(&f->g, 0, 0, NULL, NULL), 0);
    assert_int_equal(mg_digest(&m.gb, 0, before), 0);
    for (i = 0; i < 11; i++) {
        struct lmnic_sm_config *cfg;
        struct lmnic_sm_queue *q;
        struct lmnic_sm_rss *rss;

        assert_int_equal(mg_save(&f->g, 0, 0, &img), 0);
        cfg = (void *)img_section(&img, LMNIC_SEC_CONFIG);
        q = (void *)img_section(&img, LMNIC_SEC_QUEUES);
        rss = (void *)img_section(&img, LMNIC_SEC_RSS);
        switch (i) {
        case 0:
            cfg->mtu = htole16(9001);
            break;
        case 1:
            cfg->mtu = htole16(67);
            break;
        case 2:
            cfg->num_qp = 0;
            break;
        case 3:
            cfg->num_qp = htole16(LMNIC_MAX_QP + 1);
            break;
        case 4:
            cfg->flags = htole32(LMNIC_VPF_ALL + 1);
            break;
        case 5:
            cfg->num_filters = htole16(LMNIC_MAX_MAC_FILTERS + 1);
            break;
        case 6:
            q[0].tx_size = htole16(100);
            break;
        case 7:
            q[0].rx_buf_len = htole16(LMNIC_RX_BUF_MAX + 1);
            break;
        case 8:
            q[1].flags = htole16(LMNIC_QF_ENABLED);
            break;
        case 9:
            rss->table[7] = LMNIC_MAX_QP;
            break;
        case 10:
            rss->hash_types = htole32(LMNIC_RSS_HASH_ALL + 1);
            break;
        }
        mg_image_seal(&img);
        assert_int_equal(mg_load(&m.gb, 0, 0, &img, &detail),
                         LMNIC_AQS_EBADIMAGE);
        assert_int_equal(detail & LMNIC_LOADE_REASON, LMNIC_LOADE_VALUE);
        assert_int_equal(mg_digest(&m.gb, 0, after), 0);
        assert_memory_equal(before, after, 32);
        mg_image_free(&img);
    }
    /* unchanged, it loads */
    assert_int_equal(mg_save(&f->g, 0, 0, &img), 0);
    assert_int_equal(mg_load(&m.gb, 0, 0, &img, &detail), 0);
    mg_image_free(&img);
    digests_equal(&f->g, &m.gb);
    mh_free(m.hb);
}

/*
 * The adapter's SHA-256 on the host's SHA extensions gives GLib's digest,
 * whatever the lengths and however the bytes are split between updates
 * (the test proves nothing on a host without them: it says so).
 */
static void sha256_matches_glib(void **state)
{
    static const size_t lens[] = { 0, 1, 3, 55, 56, 57, 63, 64, 65, 119,
                                   120, 127, 128, 129, 1000, 4096, 65537 };
    uint8_t *buf = malloc(65537);
    uint8_t want[32], got[32];
    unsigned i, j;

    srand(1);
    for (i = 0; i < 65537; i++) {
        buf[i] = rand();
    }
    for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
        for (j = 0; j < 8; j++) {
            size_t split = j ? 1 + rand() % 200 : 0;

            assert_false(mh_sha256(buf, lens[i], 0, false, want));
            if (!mh_sha256(buf, lens[i], split, true, got) && !i && !j) {
                print_message("no SHA extensions on this host\n");
            }
            assert_memory_equal(want, got, sizeof(want));
        }
    }
    free(buf);
}

#define CASE(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        CASE(smoke_datapath_and_connections),
        CASE(bar2_writes_are_refused),
        CASE(bound_queue_vector),
        CASE(bound_conn_limit),
        CASE(bound_delta_scan),
        CASE(bound_delta_load_old_id),
        CASE(bound_region_geometry),
        CASE(bound_ring_size),
        CASE(bound_table_id),
        CASE(bound_aq_len),
        CASE(rss_short_frame),
        CASE(delta_emptied_slot_is_zero),
        CASE(precopy_id_moves_between_slots),
        CASE(precopy_rounds),
        CASE(load_checks_sections),
        CASE(sha256_matches_glib),
    };

    if (argc > 1) {
        cmocka_set_test_filter(argv[1]);
    }
    return cmocka_run_group_tests(tests, NULL, NULL);
}
