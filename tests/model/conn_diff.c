/*
 * The connection table of the lmnic adapter model and its migration,
 * against a reference, over random sequences (a property test).
 *
 * Two adapters, each in a guest of its own. The source's vport 0 takes
 * adds, deletes and re-adds (ids and slots reused, keys chosen to land on
 * the slots just freed, tombstones, probe chains, the table filled until
 * it refuses), frames that hit its connections, time (counter flushes),
 * and flushes; in between, its table moves to the other adapter, stop and
 * copy or pre-copy (an image while it runs, churn, then the delta; one or
 * more images before the delta; rounds, deltas of the running vport, with
 * frames and deletions between a round's QUIESCE and its SAVE; sizes of
 * the delta in between), and the destination becomes the source.
 * The reference is an implementation of the table as lmnic-hw.rst states
 * it (hash, probing, tombstones, limits); every command's status must be
 * the one it predicts, and its slots must be the table's. After each move
 * the destination must hold the source's table, id index, header and
 * digest, its region must mirror the table, and every id must be found
 * (or not) at the destination; at the end every connection can be
 * deleted there. A failing sequence is shrunk to a minimal one, printed
 * and, with --save, kept as a regression case (conn-diff/).
 *
 * usage: conn-diff [--seed N] [--random] [--sequences N] [--ops N]
 *                  [--save FILE] [--replay FILE...]
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <endian.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <glib.h>

#include "guest.h"

#define V           0           /* the vport that moves */
#define MAX_OPS     4096

enum op_kind {
    OP_ADD,         /* a = id, b = key */
    OP_DEL,         /* a = id */
    OP_HIT,         /* a = key, b = frames */
    OP_TIME,        /* a = ms */
    OP_FLUSH,
    OP_FILL,        /* a = first key: add until the table refuses */
    OP_MOVE,        /* stop and copy */
    OP_PRECOPY,     /* an image of the running source into the destination */
    OP_DELTA,       /* stop, the delta, the destination takes over */
    OP_SIZE,        /* size what changed since (QUIESCE PRECOPY | DELTA) */
    OP_ROUND,       /* a round: b & 3 frames hit id a, b & 4 deletes it */
    OP_KINDS
};

static const char *const op_names[] = {
    "add", "del", "hit", "time", "flush", "fill", "move", "precopy", "delta",
    "size", "round",
};

typedef struct Op {
    uint8_t kind;
    uint32_t a, b;
} Op;

/* ---- the reference: the table as the specification has it ----------- */

typedef struct RefSlot {
    uint16_t flags;
    uint32_t id;
    uint32_t key;
} RefSlot;

typedef struct Ref {
    uint32_t cap, limit, seed;
    uint32_t count, tomb;
    RefSlot *slot;
    int64_t *at;            /* id -> slot, -1 */
    uint32_t *home;         /* key -> home slot (keys 0 .. nkeys - 1) */
    uint32_t nkeys;
} Ref;

/* CRC-32C, reflected, from CRC on, no final inversion */
static uint32_t crc32c(uint32_t crc, const void *buf, size_t len)
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

static uint32_t ref_home(const Ref *r, uint32_t key)
{
    struct lmnic_conn_key k;
    uint32_t hash;

    mg_key(key, &k);
    hash = crc32c(r->seed, &k, sizeof(k)) ^ 0xffffffff;
    return ((uint64_t)hash * r->cap) >> 32;
}

static void ref_init(Ref *r, uint32_t cap, uint32_t seed, uint32_t nkeys)
{
    uint32_t i;

    memset(r, 0, sizeof(*r));
    r->cap = r->limit = cap;
    r->seed = seed;
    r->slot = g_new0(RefSlot, cap);
    r->at = g_new(int64_t, cap);
    for (i = 0; i < cap; i++) {
        r->at[i] = -1;
    }
    r->nkeys = nkeys;
    r->home = g_new(uint32_t, nkeys);
    for (i = 0; i < nkeys; i++) {
        r->home[i] = ref_home(r, i);
    }
}

static void ref_free(Ref *r)
{
    g_free(r->slot);
    g_free(r->at);
    g_free(r->home);
}

static int64_t ref_find(const Ref *r, uint32_t key)
{
    uint32_t s = r->home[key], i;

    for (i = 0; i < LMNIC_CONN_MAX_PROBE; i++) {
        if (!r->slot[s].flags) {
            return -1;
        }
        if (r->slot[s].flags == LMNIC_CONNF_VALID && r->slot[s].key == key) {
            return s;
        }
        s = s + 1 == r->cap ? 0 : s + 1;
    }
    return -1;
}

static uint16_t ref_add(Ref *r, uint32_t id, uint32_t key)
{
    uint32_t s = r->home[key], i;

    if (id >= r->limit) {
        return LMNIC_AQS_EINVAL;
    }
    if (r->at[id] >= 0 || ref_find(r, key) >= 0) {
        return LMNIC_AQS_EEXIST;
    }
    if (r->count >= r->limit) {
        return LMNIC_AQS_ENOSPC;
    }
    for (i = 0; i < LMNIC_CONN_MAX_PROBE; i++) {
        if (r->slot[s].flags != LMNIC_CONNF_VALID) {
            break;
        }
        s = s + 1 == r->cap ? 0 : s + 1;
    }
    if (i == LMNIC_CONN_MAX_PROBE) {
        return LMNIC_AQS_ENOSPC;
    }
    if (r->slot[s].flags == LMNIC_CONNF_TOMB) {
        r->tomb--;
    }
    r->slot[s] = (RefSlot){ LMNIC_CONNF_VALID, id, key };
    r->at[id] = s;
    r->count++;
    return 0;
}

static uint16_t ref_del(Ref *r, uint32_t id)
{
    int64_t s = id < r->limit ? r->at[id] : -1;

    if (s < 0) {
        return LMNIC_AQS_ENOENT;
    }
    r->slot[s] = (RefSlot){ LMNIC_CONNF_TOMB, 0, 0 };
    r->at[id] = -1;
    r->count--;
    r->tomb++;
    return 0;
}

/* the lowest id not in use, or the limit */
static uint32_t free_id(const Ref *r)
{
    uint32_t id;

    for (id = 0; id < r->limit; id++) {
        if (r->at[id] < 0) {
            break;
        }
    }
    return id;
}

static void ref_flush(Ref *r)
{
    uint32_t i;

    memset(r->slot, 0, r->cap * sizeof(*r->slot));
    for (i = 0; i < r->cap; i++) {
        r->at[i] = -1;
    }
    r->count = r->tomb = 0;
}

/* ---- one sequence ------------------------------------------------------ */

typedef struct Run {
    ModelHost *h[2];
    MgGuest g[2];
    int src;                /* which adapter holds the running vport */
    bool precopied;         /* the destination holds an image of it */
    Ref ref;
    char why[512];
    unsigned step;
} Run;

static bool fail(Run *r, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (r->why[0]) {
        return false;
    }
    n = snprintf(r->why, sizeof(r->why), "op %u: ", r->step);
    va_start(ap, fmt);
    vsnprintf(r->why + n, sizeof(r->why) - n, fmt, ap);
    va_end(ap);
    return false;
}

static const uint8_t *blk(Run *r, int i)
{
    return mh_state(r->h[i]) + LMNIC_SM_VPORT_BASE +
           (uint64_t)V * mh_vport_block(r->h[i]);
}

static const struct lmnic_conn *table(Run *r, int i)
{
    return (const void *)(blk(r, i) +
                          lmnic_sm_conn_table_off(mh_conn_capacity(r->h[i])));
}

static const uint32_t *index_of(Run *r, int i)
{
    return (const void *)(blk(r, i) + LMNIC_SM_OFF_CONN_INDEX);
}

/* the source's table is the reference's */
static bool check_ref(Run *r)
{
    const struct lmnic_conn *t = table(r, r->src);
    const struct lmnic_sm_conn_hdr *ch = (const void *)(blk(r, r->src) +
                                                        LMNIC_SM_OFF_CONN);
    struct lmnic_conn_key k;
    uint32_t i;

    if (le32toh(ch->count) != r->ref.count ||
        le32toh(ch->tombstones) != r->ref.tomb) {
        return fail(r, "table counts %u/%u, reference %u/%u",
                    le32toh(ch->count), le32toh(ch->tombstones),
                    r->ref.count, r->ref.tomb);
    }
    for (i = 0; i < r->ref.cap; i++) {
        const RefSlot *rs = &r->ref.slot[i];

        if (le16toh(t[i].flags) != rs->flags) {
            return fail(r, "slot %u: flags 0x%x, reference 0x%x", i,
                        le16toh(t[i].flags), rs->flags);
        }
        if (rs->flags != LMNIC_CONNF_VALID) {
            continue;
        }
        mg_key(rs->key, &k);
        if (le32toh(t[i].id) != rs->id || memcmp(&t[i].key, &k, sizeof(k))) {
            return fail(r, "slot %u: id %u, reference id %u key %u", i,
                        le32toh(t[i].id), rs->id, rs->key);
        }
    }
    return true;
}

/* the first of N elements of SIZE bytes where A and B differ, or N */
static uint32_t first_diff(const void *a, const void *b, uint32_t n,
                           size_t size)
{
    uint32_t i;

    for (i = 0; i < n; i++) {
        if (memcmp((const uint8_t *)a + i * size, (const uint8_t *)b + i * size,
                   size)) {
            break;
        }
    }
    return i;
}

/* after a move: the destination is the source, in every way a guest sees */
static bool check_moved(Run *r, int from, int to)
{
    uint32_t cap = r->ref.cap, i;
    const struct lmnic_conn *ts = table(r, from), *td = table(r, to);
    uint8_t ds[32], dd[32];
    struct lmnic_conn c;

    if (mg_digest(&r->g[from], V, ds) || mg_digest(&r->g[to], V, dd) ||
        memcmp(ds, dd, 32)) {
        return fail(r, "digests differ");
    }
    i = first_diff(ts, td, cap, sizeof(*ts));
    if (i < cap) {
        return fail(r, "tables differ from slot %u", i);
    }
    i = first_diff(index_of(r, from), index_of(r, to), cap, 4);
    if (i < cap) {
        return fail(r, "id index differs at id %u: %u at the source, %u at "
                    "the destination", i, le32toh(index_of(r, from)[i]),
                    le32toh(index_of(r, to)[i]));
    }
    if (memcmp(blk(r, from) + LMNIC_SM_OFF_CONN, blk(r, to) + LMNIC_SM_OFF_CONN,
               sizeof(struct lmnic_sm_conn_hdr))) {
        return fail(r, "table headers differ");
    }
    for (i = 0; i < cap; i++) {
        const struct lmnic_conn *e = mg_region_entry(&r->g[to], V, i);
        int64_t s = r->ref.at[i];
        uint16_t st = mg_conn_query(&r->g[to], V, i, &c);

        if (!e || (le32toh(e->seq) & 1)) {
            return fail(r, "region entry %u missing or torn", i);
        }
        if (s < 0) {
            if (st != LMNIC_AQS_ENOENT || e->flags) {
                return fail(r, "id %u: not in the table, yet query %u, "
                            "region flags 0x%x", i, st, le16toh(e->flags));
            }
            continue;
        }
        if (st || memcmp(&c, &ts[s], sizeof(c))) {
            return fail(r, "id %u: query at the destination: %u", i, st);
        }
        if (memcmp((const uint8_t *)e + 4, (const uint8_t *)&ts[s] + 4,
                   sizeof(*e) - 4)) {
            return fail(r, "id %u: region mirror differs from the table", i);
        }
    }
    return true;
}

/* the destination takes over: its rings, then it runs */
static bool take_over(Run *r, int to)
{
    if (mg_queue_create(&r->g[to], V, 0, 64, 2048) ||
        mg_simple(&r->g[to], LMNIC_AQ_RESUME, V)) {
        return fail(r, "destination does not resume");
    }
    r->src = to;
    r->precopied = false;
    return true;
}

static bool op_move(Run *r, uint8_t kind)
{
    int from = r->src, to = !r->src;
    uint8_t flags = kind == OP_PRECOPY ? LMNIC_MIGF_PRECOPY :
                    kind == OP_DELTA ? LMNIC_MIGF_DELTA : 0;
    MgImage img;
    uint32_t detail = 0;
    uint16_t st;

    if (kind == OP_DELTA && !r->precopied) {
        flags = 0;      /* nothing to apply a delta on: stop and copy */
    }
    st = mg_save(&r->g[from], V, flags, &img);
    if (st) {
        return fail(r, "%s save: %u", op_names[kind], st);
    }
    st = mg_load(&r->g[to], V, flags & LMNIC_MIGF_DELTA, &img, &detail);
    mg_image_free(&img);
    if (st) {
        return fail(r, "%s load: %u, reason %u, record %u", op_names[kind],
                    st, detail & 0xff, detail >> 8);
    }
    if (kind == OP_PRECOPY) {
        r->precopied = true;
        return check_moved(r, from, to);
    }
    return check_moved(r, from, to) && take_over(r, to);
}

static bool op_hit(Run *r, uint32_t key, unsigned n);

/*
 * A round of the pre-copy: the destination holds the source's table as the
 * round saved it. Between the round's QUIESCE and its SAVE frames may hit a
 * connection and one may go: the SAVE carries the table as it is then, or
 * refuses (EBUSY) if the delta's size changed, the pre-copy as it was.
 */
static bool op_round(Run *r, uint32_t id, uint32_t window)
{
    const uint8_t flags = LMNIC_MIGF_PRECOPY | LMNIC_MIGF_DELTA;
    int from = r->src, to = !r->src;
    int64_t s = id < r->ref.limit ? r->ref.at[id] : -1;
    uint16_t st, want;
    uint32_t detail = 0;
    uint64_t size;
    MgImage img;

    st = mg_quiesce(&r->g[from], V, flags, &size, NULL);
    if (st) {
        return fail(r, "round quiesce: %u", st);
    }
    if (s >= 0 && (window & 3)) {
        op_hit(r, r->ref.slot[s].key, window & 3);
    }
    if (window & 4) {
        want = ref_del(&r->ref, id);
        st = mg_conn_del(&r->g[from], V, id);
        if (st != want) {
            return fail(r, "del id %u in a round: %u, reference %u", id, st,
                        want);
        }
    }
    st = mg_save_sized(&r->g[from], V, flags, size, &img);
    if (st == LMNIC_AQS_EBUSY && window) {
        return check_ref(r);
    }
    if (st) {
        return fail(r, "round save: %u", st);
    }
    st = mg_load(&r->g[to], V, LMNIC_MIGF_DELTA, &img, &detail);
    mg_image_free(&img);
    if (st) {
        return fail(r, "round load: %u, reason %u, record %u", st,
                    detail & 0xff, detail >> 8);
    }
    return check_ref(r) && check_moved(r, from, to);
}

static bool op_hit(Run *r, uint32_t key, unsigned n)
{
    struct lmnic_conn_key k;
    uint8_t frame[512];
    size_t len;
    unsigned i;

    mg_key(key, &k);
    len = mg_frame(&r->g[r->src], V, &k, frame, 20 + key % 200);
    for (i = 0; i < n; i++) {
        mh_rx(r->h[r->src], frame, len);
        mg_rx_reap(&r->g[r->src], V, 0);
    }
    return true;
}

static bool do_add(Run *r, uint32_t id, uint32_t key)
{
    static const uint16_t act[] = {
        LMNIC_CONN_ACT_COUNT, LMNIC_CONN_ACT_STEER | LMNIC_CONN_ACT_COUNT,
        LMNIC_CONN_ACT_MARK | LMNIC_CONN_ACT_COUNT, LMNIC_CONN_ACT_DROP,
    };
    uint16_t want = ref_add(&r->ref, id, key);
    struct lmnic_conn_key k;
    uint16_t st;

    mg_key(key, &k);
    st = mg_conn_add(&r->g[r->src], V, id, &k, act[key % 4], 0, key);
    if (st != want) {
        return fail(r, "add id %u key %u: %u, reference %u", id, key, st,
                    want);
    }
    return true;
}

static bool step(Run *r, const Op *op)
{
    uint16_t st, want;
    uint32_t i;

    switch (op->kind) {
    case OP_ADD:
        if (!do_add(r, op->a, op->b)) {
            return false;
        }
        break;
    case OP_DEL:
        want = ref_del(&r->ref, op->a);
        st = mg_conn_del(&r->g[r->src], V, op->a);
        if (st != want) {
            return fail(r, "del id %u: %u, reference %u", op->a, st, want);
        }
        break;
    case OP_HIT:
        op_hit(r, op->a, op->b);
        break;
    case OP_TIME:
        mh_clock_step((int64_t)op->a * 1000000);
        break;
    case OP_FLUSH:
        ref_flush(&r->ref);
        if (mg_simple(&r->g[r->src], LMNIC_AQ_CONN_FLUSH, V)) {
            return fail(r, "flush failed");
        }
        break;
    case OP_FILL:
        for (i = 0; i < r->ref.nkeys; i++) {
            uint32_t key = (op->a + i) % r->ref.nkeys, id = free_id(&r->ref);

            if (id == r->ref.limit || ref_find(&r->ref, key) >= 0) {
                continue;
            }
            if (!do_add(r, id, key)) {
                return false;
            }
            if (r->ref.at[id] < 0) {
                break;      /* refused: the table is as full as it gets */
            }
        }
        break;
    case OP_MOVE:
    case OP_PRECOPY:
    case OP_DELTA:
        return op_move(r, op->kind);
    case OP_SIZE:
        if (r->precopied &&
            mg_quiesce(&r->g[r->src], V, LMNIC_MIGF_PRECOPY | LMNIC_MIGF_DELTA,
                       NULL, NULL)) {
            return fail(r, "size of the delta failed");
        }
        break;
    case OP_ROUND:
        if (!r->precopied) {
            return op_move(r, OP_PRECOPY);
        }
        return op_round(r, op->a, op->b);
    }
    return check_ref(r);
}

/* at the end: every connection can be deleted where the table is now */
static bool finish(Run *r)
{
    uint32_t id;

    for (id = 0; id < r->ref.limit; id++) {
        uint16_t want = ref_del(&r->ref, id);
        uint16_t st = mg_conn_del(&r->g[r->src], V, id);

        if (st != want) {
            return fail(r, "final del id %u: %u, reference %u", id, st, want);
        }
    }
    return check_ref(r);
}

/* two adapters of 16 vports: 1,706 slots a table, so tables fill */
static const ModelConfig host_cfg = { .vports = 16, .ram_size = 32ULL << 20 };
static ModelHost *hosts[2];

static bool run(const Op *ops, unsigned n, char *why, size_t why_len)
{
    Run *r = g_new0(Run, 1);
    const struct lmnic_sm_conn_hdr *ch;
    bool ok = true;
    int i;

    mh_clock_reset();
    for (i = 0; i < 2; i++) {
        r->h[i] = hosts[i];
        mh_power_cycle(r->h[i]);
        mg_attach(&r->g[i], r->h[i]);
        if (i) {    /* the vport keeps its MAC when it moves */
            memcpy(r->g[i].mac[V], r->g[0].mac[V], 6);
        }
        if (mg_region_set(&r->g[i], V, mh_conn_capacity(r->h[i]), 64)) {
            abort();
        }
    }
    if (mg_vport_enable(&r->g[0], V, 1, LMNIC_VPF_BROADCAST) ||
        mg_queue_create(&r->g[0], V, 0, 64, 2048) ||
        mg_quiesce(&r->g[1], V, 0, NULL, NULL)) {
        abort();
    }
    ch = (const void *)(blk(r, 0) + LMNIC_SM_OFF_CONN);
    ref_init(&r->ref, mh_conn_capacity(r->h[0]), le32toh(ch->hash_seed),
             4 * mh_conn_capacity(r->h[0]));
    for (r->step = 0; ok && r->step < n; r->step++) {
        ok = step(r, &ops[r->step]);
    }
    if (ok) {
        ok = finish(r);
    }
    if (!ok) {
        snprintf(why, why_len, "%s", r->why);
    }
    ref_free(&r->ref);
    g_free(r);
    return ok;
}

/* ---- sequences: made, shrunk, kept ------------------------------------ */

typedef struct Gen {
    GRand *rand;
    uint32_t cap;
    Ref shadow;             /* a reference, to aim at live ids, freed slots */
    uint32_t freed[64];     /* slots freed lately */
    unsigned nfreed;
} Gen;

static uint32_t pick_live(Gen *g)
{
    uint32_t i, id = g_rand_int_range(g->rand, 0, g->cap);

    for (i = 0; i < g->cap; i++) {
        uint32_t x = (id + i) % g->cap;

        if (g->shadow.at[x] >= 0) {
            return x;
        }
    }
    return id;
}

/* a key whose home is a slot freed lately, or any key */
static uint32_t pick_key(Gen *g)
{
    uint32_t k, tries;

    if (g->nfreed && g_rand_int_range(g->rand, 0, 3) == 0) {
        uint32_t slot = g->freed[g_rand_int_range(g->rand, 0, g->nfreed)];

        for (tries = 0; tries < 4000; tries++) {
            k = g_rand_int_range(g->rand, 0, g->shadow.nkeys);
            if (g->shadow.home[k] == slot) {
                return k;
            }
        }
    }
    return g_rand_int_range(g->rand, 0, g->shadow.nkeys);
}

static unsigned generate(Gen *g, Op *ops, unsigned n)
{
    unsigned i = 0;

    while (i < n) {
        unsigned roll = g_rand_int_range(g->rand, 0, 1000);
        Op *op = &ops[i++];
        int64_t s;

        memset(op, 0, sizeof(*op));
        if (roll < 420) {
            op->kind = OP_ADD;
            /* ids reused: mostly the low ones */
            op->a = g_rand_int_range(g->rand, 0, g_rand_boolean(g->rand) ?
                                     64 : g->cap + 8);
            op->b = pick_key(g);
            ref_add(&g->shadow, op->a, op->b);
        } else if (roll < 700) {
            op->kind = OP_DEL;
            op->a = pick_live(g);
            s = g->shadow.at[op->a];
            if (s >= 0) {
                g->freed[g->nfreed < 64 ? g->nfreed++ :
                         g_rand_int_range(g->rand, 0, 64)] = s;
            }
            ref_del(&g->shadow, op->a);
        } else if (roll < 820) {
            op->kind = OP_HIT;
            op->a = g->shadow.slot[g->shadow.at[pick_live(g)] < 0 ? 0 :
                                   g->shadow.at[pick_live(g)]].key;
            op->b = g_rand_int_range(g->rand, 1, 4);
        } else if (roll < 880) {
            op->kind = OP_TIME;
            op->a = g_rand_int_range(g->rand, 1, 350);
        } else if (roll < 884) {
            op->kind = OP_FLUSH;
            ref_flush(&g->shadow);
        } else if (roll < 890) {
            op->kind = OP_FILL;
            op->a = pick_key(g);
        } else if (roll < 915) {
            op->kind = OP_MOVE;
        } else if (roll < 945) {
            op->kind = OP_PRECOPY;
        } else if (roll < 955) {
            op->kind = OP_SIZE;
        } else if (roll < 975) {
            op->kind = OP_ROUND;
            op->a = pick_live(g);
            op->b = g_rand_int_range(g->rand, 0, 8);
            if (op->b & 4) {
                ref_del(&g->shadow, op->a);
            }
        } else {
            op->kind = OP_DELTA;
        }
    }
    return n;
}

static void print_ops(FILE *f, const Op *ops, unsigned n)
{
    unsigned i;

    for (i = 0; i < n; i++) {
        fprintf(f, "%s %u %u\n", op_names[ops[i].kind], ops[i].a, ops[i].b);
    }
}

/* Delta debugging: drop chunks of operations while the run still fails. */
static unsigned shrink(Op *ops, unsigned n, char *why, size_t why_len)
{
    Op *try = g_new(Op, n);
    unsigned chunk = n / 2, start;
    char w[512];

    while (chunk) {
        bool dropped = false;

        for (start = 0; start + chunk <= n;) {
            unsigned m = n - chunk;

            memcpy(try, ops, start * sizeof(*ops));
            memcpy(try + start, ops + start + chunk,
                   (n - start - chunk) * sizeof(*ops));
            if (!run(try, m, w, sizeof(w))) {
                memcpy(ops, try, m * sizeof(*ops));
                n = m;
                snprintf(why, why_len, "%s", w);
                dropped = true;
            } else {
                start += chunk;
            }
        }
        if (!dropped) {
            chunk /= 2;
        }
    }
    g_free(try);
    return n;
}

static unsigned op_kind_of(const char *name)
{
    unsigned k;

    for (k = 0; k < OP_KINDS; k++) {
        if (!strcmp(name, op_names[k])) {
            break;
        }
    }
    return k;
}

static unsigned load_seq(const char *path, Op *ops)
{
    FILE *f = fopen(path, "r");
    char name[32];
    unsigned n = 0, k;
    Op op;

    if (!f) {
        perror(path);
        exit(2);
    }
    while (n < MAX_OPS && fscanf(f, "%31s %u %u", name, &op.a, &op.b) == 3) {
        k = op_kind_of(name);
        if (k == OP_KINDS) {
            fprintf(stderr, "%s: unknown operation %s\n", path, name);
            exit(2);
        }
        op.kind = k;
        ops[n++] = op;
    }
    fclose(f);
    return n;
}

static uint64_t number(const char *s, uint64_t max)
{
    guint64 v;

    if (!g_ascii_string_to_unsigned(s, 10, 0, max, &v, NULL)) {
        fprintf(stderr, "conn-diff: not a number up to %" PRIu64 ": %s\n",
                max, s);
        exit(2);
    }
    return v;
}

int main(int argc, char **argv)
{
    uint64_t seed = 1;
    unsigned sequences = 200, len = 300, s, n, bad = 0, i;
    const char *save = NULL;
    Op *ops = g_new(Op, MAX_OPS);
    uint32_t cap, hash_seed;
    char why[512];
    Gen gen;

    setvbuf(stdout, NULL, _IOLBF, 0);
    for (i = 1; i < (unsigned)argc; i++) {
        if (!strcmp(argv[i], "--seed") && i + 1 < (unsigned)argc) {
            seed = number(argv[++i], UINT64_MAX);
        } else if (!strcmp(argv[i], "--random")) {
            seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
        } else if (!strcmp(argv[i], "--sequences") && i + 1 < (unsigned)argc) {
            sequences = number(argv[++i], UINT32_MAX);
        } else if (!strcmp(argv[i], "--ops") && i + 1 < (unsigned)argc) {
            len = number(argv[++i], MAX_OPS);
        } else if (!strcmp(argv[i], "--save") && i + 1 < (unsigned)argc) {
            save = argv[++i];
        } else if (!strcmp(argv[i], "--replay")) {
            hosts[0] = mh_new(&host_cfg);
            hosts[1] = mh_new(&host_cfg);
            for (i++; i < (unsigned)argc; i++) {
                n = load_seq(argv[i], ops);
                if (!run(ops, n, why, sizeof(why))) {
                    printf("FAIL %s: %s\n", argv[i], why);
                    bad++;
                } else {
                    printf("ok %s (%u operations)\n", argv[i], n);
                }
            }
            g_free(ops);
            return bad ? 1 : 0;
        } else {
            fprintf(stderr, "usage: conn-diff [--seed N] [--random] "
                    "[--sequences N] [--ops N] [--save FILE] "
                    "[--replay FILE...]\n");
            return 2;
        }
    }

    hosts[0] = mh_new(&host_cfg);
    hosts[1] = mh_new(&host_cfg);
    cap = mh_conn_capacity(hosts[0]);
    hash_seed = le32toh(((const struct lmnic_sm_conn_hdr *)
                         (mh_state(hosts[0]) + LMNIC_SM_VPORT_BASE +
                          LMNIC_SM_OFF_CONN))->hash_seed);
    printf("seed %" PRIu64 ": %u sequences of %u operations\n", seed,
           sequences, len);
    for (s = 0; s < sequences; s++) {
        guint32 words[3] = { seed, seed >> 32, s };

        gen.rand = g_rand_new_with_seed_array(words, 3);
        gen.cap = cap;
        gen.nfreed = 0;
        ref_init(&gen.shadow, cap, hash_seed, 4 * cap);
        n = generate(&gen, ops, len);
        ref_free(&gen.shadow);
        g_rand_free(gen.rand);
        if (run(ops, n, why, sizeof(why))) {
            continue;
        }
        printf("FAIL: seed %" PRIu64 ", sequence %u: %s\n", seed, s, why);
        n = shrink(ops, n, why, sizeof(why));
        printf("shrunk to %u operations: %s\n", n, why);
        print_ops(stdout, ops, n);
        if (save) {
            FILE *f = fopen(save, "w");

            if (f) {
                print_ops(f, ops, n);
                fclose(f);
            }
        }
        g_free(ops);
        return 1;
    }
    printf("%u sequences passed\n", sequences);
    g_free(ops);
    mh_free(hosts[0]);
    mh_free(hosts[1]);
    return 0;
}
