/*
 * lmnic PCIe network adapter: connection table, host-resident offload
 * region, error reporting and fault injection
 *
 * Each vport's connections live in its state block: a hash table of
 * struct lmnic_conn (CONN_TABLE) with linear probing and tombstones, and an
 * index from connection id to slot (CONN_INDEX). Every change is mirrored
 * into the vport's host-resident offload region before the admin command
 * completes; a timer flushes changed counters into it every
 * LMNIC_HR_FLUSH_MS and verifies the check of every entry on the way.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "qemu/crc32c.h"
#include "qemu/log.h"
#include "qemu/madvise.h"
#include "qapi/error.h"
#include "net/eth.h"
#include "sysemu/dma.h"
#include "trace.h"

#include "lmnic_core.h"

/* ---- state-memory views ------------------------------------------------ */

static struct lmnic_sm_conn_hdr *lmnic_ct_hdr(LmnicState *s, unsigned v)
{
    return (void *)(lmnic_vp_block(s, v) + LMNIC_SM_OFF_CONN);
}

static struct lmnic_sm_region_host *lmnic_hr_host(LmnicState *s, unsigned v)
{
    return (void *)(lmnic_vp_block(s, v) + LMNIC_SM_OFF_REGION_HOST);
}

static __le32 *lmnic_ct_index(LmnicState *s, unsigned v)
{
    return (__le32 *)(lmnic_vp_block(s, v) + LMNIC_SM_OFF_CONN_INDEX);
}

/* Slot SLOT of vport V's table, to read. */
static const struct lmnic_conn *lmnic_ct_slot_ro(LmnicState *s, unsigned v,
                                                 uint32_t slot)
{
    return (const struct lmnic_conn *)(lmnic_vp_block(s, v) +
               lmnic_sm_conn_table_off(s->conn_capacity)) + slot;
}

/* Slot SLOT of vport V's table, to write: a pre-copy's delta looks at it. */
static struct lmnic_conn *lmnic_ct_slot(LmnicState *s, unsigned v,
                                        uint32_t slot)
{
    lmnic_mig_slot_written(s, v, slot);
    return (struct lmnic_conn *)lmnic_ct_slot_ro(s, v, slot);
}

/*
 * CRC-32C as QEMU's crc32c() computes it (from CRC on, result inverted),
 * with the host's CRC32 instruction where it has one: the adapter checks
 * and hashes every entry it touches, and checks every image it loads.
 */
#ifdef HOST_X86_64
static uint32_t __attribute__((target("sse4.2")))
lmnic_crc32c_sse42(uint32_t crc, const uint8_t *p, size_t len)
{
    uint64_t c = crc;
    uint64_t w;

    for (; len >= 8; p += 8, len -= 8) {
        memcpy(&w, p, sizeof(w));
        c = __builtin_ia32_crc32di(c, w);
    }
    crc = c;
    for (; len; p++, len--) {
        crc = __builtin_ia32_crc32qi(crc, *p);
    }
    return crc;
}
#endif

uint32_t lmnic_crc32c(uint32_t crc, const void *buf, size_t len)
{
#ifdef HOST_X86_64
    if (__builtin_cpu_supports("sse4.2")) {
        return lmnic_crc32c_sse42(crc, buf, len) ^ 0xffffffff;
    }
#endif
    return crc32c(crc, buf, len);
}

int64_t lmnic_now_ns(LmnicState *s)
{
    return qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL) - s->epoch_ns;
}

uint32_t lmnic_conn_check(const struct lmnic_conn *c)
{
    return lmnic_crc32c(0xffffffff, (const uint8_t *)c + LMNIC_CONN_CHECK_START,
                  LMNIC_CONN_CHECK_END - LMNIC_CONN_CHECK_START);
}

/* The ids vport V's table takes: 0 .. limit - 1, never beyond the index. */
static uint32_t lmnic_ct_limit(LmnicState *s, unsigned v)
{
    return MIN(le32_to_cpu(lmnic_ct_hdr(s, v)->limit), s->conn_capacity);
}

static uint32_t lmnic_ct_hash(LmnicState *s, unsigned v,
                              const struct lmnic_conn_key *k)
{
    return lmnic_crc32c(le32_to_cpu(lmnic_ct_hdr(s, v)->hash_seed),
                  (const uint8_t *)k, sizeof(*k));
}

static uint32_t lmnic_ct_home(LmnicState *s, uint32_t hash)
{
    return ((uint64_t)hash * s->conn_capacity) >> 32;
}

/* Zero a range of state memory, giving its pages back to the host. */
static void lmnic_sm_discard(uint8_t *p, uint64_t len)
{
    uintptr_t start = ROUND_UP((uintptr_t)p, qemu_real_host_page_size());
    uintptr_t end = ROUND_DOWN((uintptr_t)p + len,
                               qemu_real_host_page_size());

    if (end <= start ||
        qemu_madvise((void *)start, end - start, QEMU_MADV_DONTNEED)) {
        memset(p, 0, len);
        return;
    }
    memset(p, 0, start - (uintptr_t)p);
    memset((void *)end, 0, (uintptr_t)p + len - end);
}

static void lmnic_ct_clear(LmnicState *s, unsigned v)
{
    lmnic_mig_table_written(s, v);
    lmnic_sm_discard(lmnic_vp_block(s, v) + LMNIC_SM_OFF_CONN_INDEX,
                     s->vport_block - LMNIC_SM_OFF_CONN_INDEX);
}

/* Power-on state of a vport's connection table and region registration. */
void lmnic_conn_vp_init(LmnicState *s, unsigned v)
{
    struct lmnic_sm_conn_hdr *h = lmnic_ct_hdr(s, v);

    lmnic_ct_clear(s, v);
    h->capacity = cpu_to_le32(s->conn_capacity);
    h->limit = cpu_to_le32(s->conn_capacity);
    h->hash_seed = cpu_to_le32(0x4c4d4e43 ^ (v * 0x9e3779b9));
}

/* ---- host-resident offload region -------------------------------------- */

/*
 * A region's geometry as REGION_SET accepts it: chunks, their size, the
 * event ring and the entry slots, which the chunks must hold.
 */
static bool lmnic_hr_geometry_ok(LmnicState *s, uint32_t num_chunks,
                                 unsigned shift, uint16_t events,
                                 uint32_t slots)
{
    return num_chunks && num_chunks <= LMNIC_HR_MAX_CHUNKS &&
           shift >= LMNIC_HR_CHUNK_SHIFT_MIN &&
           shift <= LMNIC_HR_CHUNK_SHIFT_MAX &&
           is_power_of_2(events) && events >= 16 &&
           slots && slots <= s->conn_capacity &&
           lmnic_hr_size(events, slots) <= ((uint64_t)num_chunks << shift);
}

/* Has vport V a region, whose geometry (checked at every use) holds? */
static bool lmnic_hr_registered(LmnicState *s, unsigned v)
{
    struct lmnic_sm_region_host *r = lmnic_hr_host(s, v);

    return lmnic_hr_geometry_ok(s, le32_to_cpu(r->num_chunks), r->chunk_shift,
                                le16_to_cpu(r->events), le32_to_cpu(r->slots));
}

/* DMA LEN bytes at OFF of vport V's region; they never cross a chunk. */
static void lmnic_hr_write(LmnicState *s, unsigned v, uint64_t off,
                           const void *buf, size_t len)
{
    struct lmnic_sm_region_host *r = lmnic_hr_host(s, v);
    unsigned shift = r->chunk_shift;
    uint64_t chunk = off >> shift;

    if (!lmnic_hr_registered(s, v) || chunk >= le32_to_cpu(r->num_chunks)) {
        return;
    }
    if (pci_dma_write(PCI_DEVICE(s), le64_to_cpu(r->chunk[chunk]) +
                      (off & ((1ULL << shift) - 1)), buf, len) != MEMTX_OK) {
        qemu_log_mask(LOG_GUEST_ERROR, "lmnic: vport %u: offload region "
                      "not writable at 0x%" PRIx64 "\n", v, off);
    }
}

static void lmnic_hr_read(LmnicState *s, unsigned v, uint64_t off,
                          void *buf, size_t len)
{
    struct lmnic_sm_region_host *r = lmnic_hr_host(s, v);
    unsigned shift = r->chunk_shift;
    uint64_t chunk = off >> shift;

    memset(buf, 0, len);
    if (lmnic_hr_registered(s, v) && chunk < le32_to_cpu(r->num_chunks)) {
        pci_dma_read(PCI_DEVICE(s), le64_to_cpu(r->chunk[chunk]) +
                     (off & ((1ULL << shift) - 1)), buf, len);
    }
}

static uint64_t lmnic_hr_entry_off(LmnicState *s, unsigned v, uint32_t id)
{
    return lmnic_hr_entries_off(le16_to_cpu(lmnic_hr_host(s, v)->events)) +
           (uint64_t)id * sizeof(struct lmnic_conn);
}

/*
 * Mirror connection ID: its sequence number goes odd, the body is written
 * (bytes LEN at OFF of the entry, or all of it), then the number goes even.
 */
static void lmnic_hr_mirror(LmnicState *s, unsigned v, uint32_t id,
                            const struct lmnic_conn *c, size_t off,
                            size_t len)
{
    uint64_t base;
    __le32 seq;
    uint32_t n;

    if (!lmnic_hr_registered(s, v) ||
        id >= le32_to_cpu(lmnic_hr_host(s, v)->slots)) {
        return;
    }
    base = lmnic_hr_entry_off(s, v, id);
    lmnic_hr_read(s, v, base, &seq, sizeof(seq));
    n = le32_to_cpu(seq);
    n = (n & 1) ? n + 2 : n + 1;    /* odd: a torn write stays torn */
    seq = cpu_to_le32(n);
    lmnic_hr_write(s, v, base, &seq, sizeof(seq));
    lmnic_hr_write(s, v, base + off, (const uint8_t *)c + off, len);
    seq = cpu_to_le32(n + 1);
    lmnic_hr_write(s, v, base, &seq, sizeof(seq));
}

static void lmnic_hr_mirror_all(LmnicState *s, unsigned v, uint32_t id,
                                const struct lmnic_conn *c)
{
    lmnic_hr_mirror(s, v, id, c, 4, sizeof(*c) - 4);
}

static void lmnic_hr_event(LmnicState *s, unsigned v, uint16_t op,
                           uint16_t status, uint32_t id,
                           const struct lmnic_conn_key *key)
{
    struct lmnic_sm_conn_hdr *h = lmnic_ct_hdr(s, v);
    struct lmnic_sm_region_host *r = lmnic_hr_host(s, v);
    uint64_t seq = le64_to_cpu(h->event_seq) + 1;
    struct lmnic_hr_event e = { 0 };
    __le64 hseq;

    h->event_seq = cpu_to_le64(seq);
    if (!lmnic_hr_registered(s, v)) {
        return;
    }
    e.seq = cpu_to_le64(seq);
    e.time_ns = cpu_to_le64(lmnic_now_ns(s));
    e.op = cpu_to_le16(op);
    e.status = cpu_to_le16(status);
    e.id = cpu_to_le32(id);
    if (key) {
        e.key = *key;
    }
    lmnic_hr_write(s, v, lmnic_hr_events_off() +
                   ((seq - 1) % le16_to_cpu(r->events)) * sizeof(e),
                   &e, sizeof(e));
    hseq = cpu_to_le64(seq);
    lmnic_hr_write(s, v, offsetof(struct lmnic_hr_header, event_seq),
                   &hseq, sizeof(hseq));
}

/* Write the region header: identity, geometry and the flush status. */
static void lmnic_hr_header(LmnicState *s, unsigned v, bool full)
{
    struct lmnic_sm_conn_hdr *h = lmnic_ct_hdr(s, v);
    struct lmnic_sm_region_host *r = lmnic_hr_host(s, v);
    struct lmnic_hr_header hh = { 0 };
    uint16_t events = le16_to_cpu(r->events);
    size_t from = offsetof(struct lmnic_hr_header, flush_ns);

    hh.magic = cpu_to_le32(LMNIC_HR_MAGIC);
    hh.version = cpu_to_le16(LMNIC_HR_VERSION);
    hh.vport = cpu_to_le16(v);
    hh.slots = r->slots;
    hh.events = cpu_to_le32(events);
    hh.events_off = cpu_to_le32(lmnic_hr_events_off());
    hh.entries_off = cpu_to_le32(lmnic_hr_entries_off(events));
    hh.entry_size = cpu_to_le32(sizeof(struct lmnic_conn));
    hh.event_size = cpu_to_le32(sizeof(struct lmnic_hr_event));
    hh.serial = cpu_to_le64(s->serial);
    hh.event_seq = h->event_seq;
    hh.flush_ns = cpu_to_le64(lmnic_now_ns(s));
    hh.registered_ns = cpu_to_le64(s->hr_registered_ns[v]);
    hh.flush_interval_ms = cpu_to_le32(LMNIC_HR_FLUSH_MS);
    hh.count = h->count;
    hh.limit = h->limit;
    hh.capacity = h->capacity;
    hh.flushes = cpu_to_le64(s->hr_flushes[v]);
    if (full) {
        lmnic_hr_write(s, v, 0, &hh, sizeof(hh));
    } else {
        lmnic_hr_write(s, v, from, (uint8_t *)&hh + from,
                       offsetof(struct lmnic_hr_header, rsvd) - from);
    }
}

/* ---- errors ------------------------------------------------------------ */

void lmnic_err_raise(LmnicState *s, uint32_t cause, unsigned v, unsigned qp,
                     uint32_t entry, uint64_t addr)
{
    if (s->dead) {
        return;
    }
    if (!s->err_cause) {
        s->err_vport = v;
        s->err_qp = qp;
        s->err_entry = entry;
        s->err_addr = addr;
        s->err_time = lmnic_now_ns(s);
    }
    s->err_count++;
    trace_lmnic_error(cause, v, qp, entry);
    if (!(s->err_cause & cause)) {
        s->err_cause |= cause;
        lmnic_vec_raise(s, LMNIC_VEC_ADMIN);
    }
}

static void lmnic_ct_parity(LmnicState *s, unsigned v, uint32_t slot,
                            const struct lmnic_conn *c)
{
    struct lmnic_sm_conn_hdr *h = lmnic_ct_hdr(s, v);
    uint32_t id = le32_to_cpu(c->id);

    if (s->parity_seen[v] == slot + 1) {
        return; /* reported already */
    }
    if (lmnic_vp_quiesced(s, v)) {
        return; /* its block must not change: reported after RESUME */
    }
    s->parity_seen[v] = slot + 1;
    h->parity_errors = cpu_to_le64(le64_to_cpu(h->parity_errors) + 1);
    lmnic_hr_event(s, v, LMNIC_HR_EV_PARITY, 0, id, &c->key);
    lmnic_err_raise(s, LMNIC_ERR_PARITY, v, 0, id,
                    LMNIC_SM_VPORT_BASE + (uint64_t)v * s->vport_block +
                    lmnic_sm_conn_table_off(s->conn_capacity) +
                    (uint64_t)slot * sizeof(*c));
}

static bool lmnic_ct_intact(LmnicState *s, unsigned v, uint32_t slot)
{
    const struct lmnic_conn *c = lmnic_ct_slot_ro(s, v, slot);

    if (le32_to_cpu(c->check) == lmnic_conn_check(c)) {
        return true;
    }
    lmnic_ct_parity(s, v, slot, c);
    return false;
}

/* ---- the table --------------------------------------------------------- */

static bool lmnic_key_eq(const struct lmnic_conn_key *a,
                         const struct lmnic_conn_key *b)
{
    return !memcmp(a, b, sizeof(*a));
}

/* Slot of KEY in vport V's table, or -1. */
static int64_t lmnic_ct_find(LmnicState *s, unsigned v,
                             const struct lmnic_conn_key *key)
{
    uint32_t slot = lmnic_ct_home(s, lmnic_ct_hash(s, v, key));
    unsigned i;

    for (i = 0; i < LMNIC_CONN_MAX_PROBE; i++) {
        const struct lmnic_conn *c = lmnic_ct_slot_ro(s, v, slot);
        uint16_t flags = le16_to_cpu(c->flags);

        if (!flags) {
            return -1;
        }
        if ((flags & LMNIC_CONNF_VALID) && lmnic_key_eq(&c->key, key)) {
            return slot;
        }
        slot = slot + 1 == s->conn_capacity ? 0 : slot + 1;
    }
    return -1;
}

static bool lmnic_key_ok(const struct lmnic_conn_key *k)
{
    if (k->proto != IP_PROTO_TCP && k->proto != IP_PROTO_UDP) {
        return false;
    }
    if (k->rsvd) {
        return false;
    }
    if (k->family == LMNIC_CONN_FAMILY_IPV4) {
        return !k->src[1] && !k->src[2] && !k->src[3] &&
               !k->dst[1] && !k->dst[2] && !k->dst[3];
    }
    return k->family == LMNIC_CONN_FAMILY_IPV6;
}

static uint16_t lmnic_ct_add(LmnicState *s, unsigned v, uint32_t id,
                             const struct lmnic_conn *req)
{
    struct lmnic_sm_conn_hdr *h = lmnic_ct_hdr(s, v);
    __le32 *index = lmnic_ct_index(s, v);
    uint16_t act = le16_to_cpu(req->actions);
    struct lmnic_conn *c;
    uint32_t slot;
    int64_t free = -1;
    unsigned i;

    if (id >= lmnic_ct_limit(s, v) || !lmnic_key_ok(&req->key) ||
        !act || (act & ~LMNIC_CONN_ACT_ALL) ||
        ((act & LMNIC_CONN_ACT_DROP) &&
         (act & (LMNIC_CONN_ACT_STEER | LMNIC_CONN_ACT_MARK))) ||
        ((act & LMNIC_CONN_ACT_STEER) &&
         le16_to_cpu(req->queue) >= LMNIC_MAX_QP)) {
        return LMNIC_AQS_EINVAL;
    }
    if (index[id] || lmnic_ct_find(s, v, &req->key) >= 0) {
        return LMNIC_AQS_EEXIST;
    }
    if (le32_to_cpu(h->count) >= lmnic_ct_limit(s, v)) {
        return LMNIC_AQS_ENOSPC;
    }
    slot = lmnic_ct_home(s, lmnic_ct_hash(s, v, &req->key));
    for (i = 0; i < LMNIC_CONN_MAX_PROBE; i++) {
        uint16_t flags = le16_to_cpu(lmnic_ct_slot_ro(s, v, slot)->flags);

        if (!(flags & LMNIC_CONNF_VALID)) {
            free = slot;
            break;
        }
        slot = slot + 1 == s->conn_capacity ? 0 : slot + 1;
    }
    if (free < 0) {
        return LMNIC_AQS_ENOSPC;
    }

    c = lmnic_ct_slot(s, v, free);
    if (le16_to_cpu(c->flags) & LMNIC_CONNF_TOMB) {
        h->tombstones = cpu_to_le32(le32_to_cpu(h->tombstones) - 1);
    }
    memset(c, 0, sizeof(*c));
    c->id = cpu_to_le32(id);
    c->key = req->key;
    c->flags = cpu_to_le16(LMNIC_CONNF_VALID);
    c->actions = cpu_to_le16(act);
    c->queue = (act & LMNIC_CONN_ACT_STEER) ? req->queue : 0;
    c->source = req->source;
    c->mark = (act & LMNIC_CONN_ACT_MARK) ? req->mark : 0;
    c->owner_pid = req->owner_pid;
    memcpy(c->owner_comm, req->owner_comm, sizeof(c->owner_comm));
    c->owner_comm[sizeof(c->owner_comm) - 1] = 0;
    c->created_ns = cpu_to_le64(lmnic_now_ns(s));
    c->check = cpu_to_le32(lmnic_conn_check(c));
    index[id] = cpu_to_le32(free + 1);
    h->count = cpu_to_le32(le32_to_cpu(h->count) + 1);
    h->adds = cpu_to_le64(le64_to_cpu(h->adds) + 1);
    lmnic_hr_mirror_all(s, v, id, c);
    return LMNIC_AQS_OK;
}

/* Delete connection ID, in SLOT: a tombstone stays. */
static void lmnic_ct_remove(LmnicState *s, unsigned v, uint32_t id,
                            uint32_t slot)
{
    struct lmnic_sm_conn_hdr *h = lmnic_ct_hdr(s, v);
    struct lmnic_conn *c = lmnic_ct_slot(s, v, slot);
    struct lmnic_conn gone = { 0 };

    gone.id = cpu_to_le32(id);
    lmnic_ct_index(s, v)[id] = 0;
    memset(c, 0, sizeof(*c));
    c->flags = cpu_to_le16(LMNIC_CONNF_TOMB);
    h->count = cpu_to_le32(le32_to_cpu(h->count) - 1);
    h->tombstones = cpu_to_le32(le32_to_cpu(h->tombstones) + 1);
    h->dels = cpu_to_le64(le64_to_cpu(h->dels) + 1);
    if (s->parity_seen[v] == slot + 1) {
        s->parity_seen[v] = 0;
    }
    lmnic_hr_mirror_all(s, v, id, &gone);
}

static int64_t lmnic_ct_slot_of(LmnicState *s, unsigned v, uint32_t id)
{
    uint32_t at;

    if (id >= lmnic_ct_limit(s, v)) {
        return -1;
    }
    at = le32_to_cpu(lmnic_ct_index(s, v)[id]);
    return at && at <= s->conn_capacity ? (int64_t)at - 1 : -1;
}

/* Entries mirrored at once when the whole table is: 32 KiB of region */
#define LMNIC_HR_BATCH  256

/*
 * Mirror entries FIRST .. FIRST + N - 1, which sit in one chunk of the
 * region, from SRC, as lmnic_hr_mirror() does one entry: first every
 * sequence number goes odd, then the bodies are written, then every number
 * goes even. A reader that sees the same even number before and after
 * reading an entry has read it whole.
 */
static void lmnic_hr_mirror_batch(LmnicState *s, unsigned v, uint32_t first,
                                  uint32_t n, const struct lmnic_conn *src,
                                  struct lmnic_conn *buf)
{
    uint64_t base = lmnic_hr_entry_off(s, v, first);
    size_t len = n * sizeof(*buf);
    uint32_t i, seq;

    lmnic_hr_read(s, v, base, buf, len);
    for (i = 0; i < n; i++) {
        seq = le32_to_cpu(buf[i].seq);
        buf[i].seq = cpu_to_le32((seq & 1) ? seq + 2 : seq + 1);
    }
    lmnic_hr_write(s, v, base, buf, len);
    smp_wmb();  /* every number odd before any body changes */
    for (i = 0; i < n; i++) {
        memcpy((uint8_t *)&buf[i] + sizeof(buf[i].seq),
               (const uint8_t *)&src[i] + sizeof(src[i].seq),
               sizeof(buf[i]) - sizeof(buf[i].seq));
    }
    lmnic_hr_write(s, v, base, buf, len);
    smp_wmb();  /* every body in place before a number goes even */
    for (i = 0; i < n; i++) {
        buf[i].seq = cpu_to_le32(le32_to_cpu(buf[i].seq) + 1);
    }
    lmnic_hr_write(s, v, base, buf, len);
}

/*
 * Write every connection of the table into vport V's region; with CLEAR,
 * every other entry slot of the region too, as deleted. In batches that
 * stay inside one chunk of the region.
 */
static void lmnic_hr_mirror_table(LmnicState *s, unsigned v, bool clear)
{
    uint32_t limit = lmnic_ct_limit(s, v);
    uint32_t slots = le32_to_cpu(lmnic_hr_host(s, v)->slots);
    uint32_t end = clear ? slots : MIN(limit, slots);
    unsigned shift = lmnic_hr_host(s, v)->chunk_shift;
    g_autofree struct lmnic_conn *src = g_new(struct lmnic_conn,
                                              LMNIC_HR_BATCH);
    g_autofree struct lmnic_conn *buf = g_new(struct lmnic_conn,
                                              LMNIC_HR_BATCH);
    uint32_t id, first = 0, n = 0;

    if (!lmnic_hr_registered(s, v)) {
        return;
    }
    for (id = 0; id < end; id++) {
        int64_t slot = lmnic_ct_slot_of(s, v, id);

        if (n && (n == LMNIC_HR_BATCH ||
                  lmnic_hr_entry_off(s, v, id) >> shift !=
                  lmnic_hr_entry_off(s, v, first) >> shift ||
                  (!clear && slot < 0))) {
            lmnic_hr_mirror_batch(s, v, first, n, src, buf);
            n = 0;
        }
        if (!clear && slot < 0) {
            continue;   /* without CLEAR, other entries stay as they are */
        }
        if (!n) {
            first = id;
        }
        if (slot >= 0) {
            src[n] = *lmnic_ct_slot_ro(s, v, slot);
        } else {
            memset(&src[n], 0, sizeof(src[n]));
            src[n].id = cpu_to_le32(id);
        }
        n++;
    }
    if (n) {
        lmnic_hr_mirror_batch(s, v, first, n, src, buf);
    }
}

/* Delete every entry: the table goes back to its power-on state. */
static void lmnic_ct_flush(LmnicState *s, unsigned v)
{
    struct lmnic_sm_conn_hdr *h = lmnic_ct_hdr(s, v);
    uint32_t limit = lmnic_ct_limit(s, v), id;
    struct lmnic_conn gone = { 0 };

    for (id = 0; id < limit && le32_to_cpu(h->count); id++) {
        if (lmnic_ct_slot_of(s, v, id) >= 0) {
            gone.id = cpu_to_le32(id);
            lmnic_hr_mirror_all(s, v, id, &gone);
            h->count = cpu_to_le32(le32_to_cpu(h->count) - 1);
            h->dels = cpu_to_le64(le64_to_cpu(h->dels) + 1);
        }
    }
    lmnic_ct_clear(s, v);
    h->count = 0;
    h->tombstones = 0;
    s->parity_seen[v] = 0;
}

uint16_t lmnic_conn_aq(LmnicState *s, unsigned v, struct lmnic_aq_desc *d)
{
    PCIDevice *pdev = PCI_DEVICE(s);
    struct lmnic_sm_conn_hdr *h = lmnic_ct_hdr(s, v);
    struct lmnic_sm_region_host *r = lmnic_hr_host(s, v);
    uint32_t id = le32_to_cpu(d->p.conn.id);
    struct lmnic_conn c;
    uint16_t st = LMNIC_AQS_OK;
    int64_t slot;

    switch (le16_to_cpu(d->opcode)) {
    case LMNIC_AQ_CONN_ADD:
        if (le32_to_cpu(d->buf_len) != sizeof(c)) {
            st = LMNIC_AQS_EINVAL;
        } else if (pci_dma_read(pdev, le64_to_cpu(d->buf_addr), &c,
                                sizeof(c)) != MEMTX_OK) {
            st = LMNIC_AQS_EIO;
        } else {
            st = lmnic_ct_add(s, v, id, &c);
        }
        lmnic_hr_event(s, v, st ? LMNIC_HR_EV_ADD_FAIL : LMNIC_HR_EV_ADD, st,
                       id, st == LMNIC_AQS_EIO ? NULL : &c.key);
        if (st) {
            h->add_fails = cpu_to_le64(le64_to_cpu(h->add_fails) + 1);
        }
        break;
    case LMNIC_AQ_CONN_DEL:
        slot = lmnic_ct_slot_of(s, v, id);
        if (slot < 0) {
            return LMNIC_AQS_ENOENT;
        }
        c = *lmnic_ct_slot_ro(s, v, slot);
        lmnic_ct_remove(s, v, id, slot);
        lmnic_hr_event(s, v, LMNIC_HR_EV_DEL, 0, id, &c.key);
        break;
    case LMNIC_AQ_CONN_QUERY:
        slot = lmnic_ct_slot_of(s, v, id);
        if (slot < 0) {
            return LMNIC_AQS_ENOENT;
        }
        if (le32_to_cpu(d->buf_len) < sizeof(c)) {
            return LMNIC_AQS_EINVAL;
        }
        if (!lmnic_ct_intact(s, v, slot)) {
            return LMNIC_AQS_EIO;
        }
        if (pci_dma_write(pdev, le64_to_cpu(d->buf_addr),
                          lmnic_ct_slot_ro(s, v, slot),
                          sizeof(c)) != MEMTX_OK) {
            return LMNIC_AQS_EIO;
        }
        break;
    case LMNIC_AQ_CONN_FLUSH:
        lmnic_ct_flush(s, v);
        lmnic_hr_event(s, v, LMNIC_HR_EV_FLUSH, 0, 0, NULL);
        break;
    case LMNIC_AQ_CONN_LIMIT: {
        uint32_t limit = le32_to_cpu(d->p.conn.limit);

        if (!limit || limit > s->conn_capacity ||
            (lmnic_hr_registered(s, v) && limit > le32_to_cpu(r->slots))) {
            return LMNIC_AQS_EINVAL;
        }
        if (h->count) {
            return LMNIC_AQS_EBUSY;
        }
        h->limit = cpu_to_le32(limit);
        break;
    }
    default:
        return LMNIC_AQS_EOPNOTSUPP;
    }
    d->p.conn.count = h->count;
    d->p.conn.capacity = h->capacity;
    if (lmnic_hr_registered(s, v)) {
        lmnic_hr_header(s, v, false);
    }
    return st;
}

uint16_t lmnic_region_aq(LmnicState *s, unsigned v, struct lmnic_aq_desc *d)
{
    struct lmnic_sm_region_host *r = lmnic_hr_host(s, v);
    uint32_t n = le32_to_cpu(d->p.region.num_chunks);
    uint32_t slots = le32_to_cpu(d->p.region.slots);
    uint16_t events = le16_to_cpu(d->p.region.events);
    unsigned shift = d->p.region.chunk_shift;
    uint64_t chunk[LMNIC_HR_MAX_CHUNKS];
    unsigned i;

    if (le16_to_cpu(d->opcode) == LMNIC_AQ_REGION_CLEAR) {
        memset(r, 0, sizeof(*r));
        return LMNIC_AQS_OK;
    }
    if (!lmnic_hr_geometry_ok(s, n, shift, events, slots) ||
        slots < lmnic_ct_limit(s, v) ||
        le32_to_cpu(d->buf_len) != n * sizeof(uint64_t)) {
        return LMNIC_AQS_EINVAL;
    }
    if (pci_dma_read(PCI_DEVICE(s), le64_to_cpu(d->buf_addr), chunk,
                     n * sizeof(uint64_t)) != MEMTX_OK) {
        return LMNIC_AQS_EIO;
    }
    for (i = 0; i < n; i++) {
        if (!chunk[i] || (le64_to_cpu(chunk[i]) & ((1ULL << shift) - 1))) {
            return LMNIC_AQS_EINVAL;
        }
    }
    r->num_chunks = cpu_to_le32(n);
    r->slots = cpu_to_le32(slots);
    r->events = cpu_to_le16(events);
    r->chunk_shift = shift;
    memcpy(r->chunk, chunk, n * sizeof(uint64_t));
    s->hr_registered_ns[v] = lmnic_now_ns(s);
    s->hr_flushes[v] = 0;
    lmnic_hr_header(s, v, true);

    /* a region registered over a populated table starts complete */
    lmnic_hr_mirror_table(s, v, false);
    if (!lmnic_vp_quiesced(s, v)) {
        /* the event sequence is portable state: not while quiesced */
        lmnic_hr_event(s, v, LMNIC_HR_EV_REGISTER, 0, slots, NULL);
    }
    return LMNIC_AQS_OK;
}

/*
 * LOAD: the connection table of vport V is replaced. Its header is in
 * place already; the slots come one by one, then the index is complete
 * and the region, if any, gets every entry slot rewritten. A DELTA LOAD
 * REPLACEs slots of the table as it is, without load_begin.
 */
void lmnic_conn_load_begin(LmnicState *s, unsigned v)
{
    lmnic_ct_clear(s, v);
    s->parity_seen[v] = 0;
}

/*
 * A slot of the image into SLOT. With REPLACE (a delta), the id the slot
 * held leaves the index, unless a slot loaded before took that id: in a
 * delta an id may move to another slot, either side of its old one. The
 * ids whose region entries change (the slot's old and new) go to TOUCHED
 * if not NULL.
 */
void lmnic_conn_load_slot(LmnicState *s, unsigned v, uint32_t slot,
                          const struct lmnic_conn *c, bool replace,
                          GArray *touched)
{
    struct lmnic_conn *old = lmnic_ct_slot(s, v, slot);
    __le32 *index = lmnic_ct_index(s, v);
    uint32_t id = le32_to_cpu(old->id);

    if (le16_to_cpu(old->flags) == LMNIC_CONNF_VALID &&
        id < s->conn_capacity) {
        if (touched) {
            g_array_append_val(touched, id);
        }
        if (replace && le32_to_cpu(index[id]) == slot + 1) {
            index[id] = 0;
        }
    }
    *old = *c;
    id = le32_to_cpu(c->id);
    if ((le16_to_cpu(c->flags) & LMNIC_CONNF_VALID) && id < s->conn_capacity) {
        index[id] = cpu_to_le32(slot + 1);
        if (touched) {
            g_array_append_val(touched, id);
        }
    }
}

/*
 * After the slots: the region, if any, gets every entry slot rewritten, or
 * with TOUCHED (a delta) the entries of those ids only, each as the table
 * holds it now (an id without a slot as deleted). A delta then costs the
 * region what it changed, not the table's size.
 */
void lmnic_conn_load_end(LmnicState *s, unsigned v, const GArray *touched)
{
    uint32_t i;

    if (!lmnic_hr_registered(s, v)) {
        return;
    }
    if (!touched) {
        lmnic_hr_mirror_table(s, v, true);
    }
    for (i = 0; touched && i < touched->len; i++) {
        uint32_t id = g_array_index(touched, uint32_t, i);
        int64_t slot = lmnic_ct_slot_of(s, v, id);
        struct lmnic_conn gone = { 0 };

        gone.id = cpu_to_le32(id);
        lmnic_hr_mirror_all(s, v, id,
                            slot >= 0 ? lmnic_ct_slot_ro(s, v, slot) : &gone);
    }
    lmnic_hr_header(s, v, false);
}

/* ---- datapath ---------------------------------------------------------- */

bool lmnic_conn_lookup(LmnicState *s, unsigned v, const uint8_t *buf,
                       size_t len, const LmnicFrameInfo *fi,
                       LmnicConnHit *hit)
{
    struct lmnic_sm_counters *cnt;
    struct lmnic_conn_key k = { 0 };
    const uint8_t *ip = buf + fi->l3_off;
    struct lmnic_conn *c;
    int64_t slot;

    if (!lmnic_ct_hdr(s, v)->count || !fi->l4_proto) {
        return false;
    }
    if (fi->ipv6) {
        k.family = LMNIC_CONN_FAMILY_IPV6;
        memcpy(k.src, ip + 8, 16);
        memcpy(k.dst, ip + 24, 16);
    } else {
        k.family = LMNIC_CONN_FAMILY_IPV4;
        memcpy(k.src, ip + 12, 4);
        memcpy(k.dst, ip + 16, 4);
    }
    memcpy(&k.sport, buf + fi->l4_off, 2);
    memcpy(&k.dport, buf + fi->l4_off + 2, 2);
    k.proto = fi->l4_proto;

    slot = lmnic_ct_find(s, v, &k);
    if (slot < 0 || !lmnic_ct_intact(s, v, slot)) {
        return false;
    }
    c = lmnic_ct_slot(s, v, slot);
    c->packets = cpu_to_le64(le64_to_cpu(c->packets) + 1);
    c->bytes = cpu_to_le64(le64_to_cpu(c->bytes) + len);
    c->last_hit_ns = cpu_to_le64(lmnic_now_ns(s));
    c->dirty = cpu_to_le32(1);
    cnt = lmnic_vp_cnt(s, v);
    cnt->rx_conn_hit = cpu_to_le64(le64_to_cpu(cnt->rx_conn_hit) + 1);

    hit->actions = le16_to_cpu(c->actions);
    hit->queue = le16_to_cpu(c->queue);
    hit->mark = le32_to_cpu(c->mark);
    return true;
}

/* ---- counter flush and scrub ------------------------------------------- */

static void lmnic_conn_flush_vport(LmnicState *s, unsigned v)
{
    struct lmnic_sm_conn_hdr *h = lmnic_ct_hdr(s, v);
    uint32_t limit = lmnic_ct_limit(s, v), left = le32_to_cpu(h->count);
    uint32_t id;

    for (id = 0; id < limit && left; id++) {
        int64_t slot = lmnic_ct_slot_of(s, v, id);
        struct lmnic_conn *c;

        if (slot < 0) {
            continue;
        }
        left--;
        if (!lmnic_ct_intact(s, v, slot)) {
            continue;
        }
        if (lmnic_ct_slot_ro(s, v, slot)->dirty) {
            c = lmnic_ct_slot(s, v, slot);
            c->dirty = 0;
            lmnic_hr_mirror(s, v, id, c, offsetof(struct lmnic_conn, packets),
                            3 * sizeof(uint64_t));
        }
    }
    s->hr_flushes[v]++;
    lmnic_hr_header(s, v, false);
}

static void lmnic_conn_timer(void *opaque)
{
    LmnicState *s = opaque;
    unsigned v;

    if (s->dead) {
        return;
    }
    for (v = 0; v < s->num_vports; v++) {
        if (lmnic_vp_quiesced(s, v)) {
            continue;   /* its block stays as it is until RESUME */
        }
        if (lmnic_hr_registered(s, v)) {
            lmnic_conn_flush_vport(s, v);
        } else if (lmnic_ct_hdr(s, v)->count) {
            uint32_t id, limit = lmnic_ct_limit(s, v);

            for (id = 0; id < limit; id++) {
                int64_t slot = lmnic_ct_slot_of(s, v, id);

                if (slot >= 0) {
                    lmnic_ct_intact(s, v, slot);
                }
            }
        }
    }
    timer_mod(s->conn_timer, qemu_clock_get_ms(QEMU_CLOCK_VIRTUAL) +
              LMNIC_HR_FLUSH_MS);
}

/* ---- fault injection --------------------------------------------------- */

/*
 * The "inject-fault" property takes one of
 *   parity:VPORT:ID     flip a bit of connection ID in table memory
 *   dma:VPORT:QP        the queue pair's DMA faults; the queue stops
 *   dma:VPORT:QP@OPCODE the same, when the next command of OPCODE starts
 *   tx-hang:VPORT:QP    the queue pair's transmit engine stops, silently
 *   aq-hang[:OPCODE]    the admin queue stops taking commands, silently (at
 *                       the next command of OPCODE, armed across resets)
 *   fatal               firmware fatal error: the adapter stops answering
 * as real faults come: the adapter finds and reports them itself.
 */
static void lmnic_fault_parity(LmnicState *s, unsigned v, uint32_t id,
                               Error **errp)
{
    int64_t slot = lmnic_ct_slot_of(s, v, id);
    struct lmnic_conn *c;

    if (slot < 0) {
        error_setg(errp, "vport %u has no connection %u", v, id);
        return;
    }
    c = lmnic_ct_slot(s, v, slot);
    c->key.sport ^= cpu_to_be16(0x0100);
}

static void lmnic_fault_dma(LmnicState *s, unsigned v, unsigned qp)
{
    struct lmnic_sm_queue_host *qh =
        (struct lmnic_sm_queue_host *)(lmnic_vp_block(s, v) +
                                       LMNIC_SM_OFF_QUEUES_HOST) + qp;

    s->qfault[v] |= 1u << qp;
    lmnic_hr_event(s, v, LMNIC_HR_EV_DMA_FAULT, 0, qp, NULL);
    lmnic_err_raise(s, LMNIC_ERR_DMA, v, qp, 0, le64_to_cpu(qh->rx_base));
}

/*
 * The admin queue starts a command of OPCODE: an armed DMA fault fires.
 * Arming outlives resets (it is how a fault lands inside a driver's probe,
 * which begins with one); a quiesced vport keeps it armed.
 */
void lmnic_fault_at_command(LmnicState *s, uint16_t opcode)
{
    if (!s->dma_arm_op || opcode != s->dma_arm_op || s->dead ||
        lmnic_vp_quiesced(s, s->dma_arm_vport)) {
        return;
    }
    s->dma_arm_op = 0;
    lmnic_fault_dma(s, s->dma_arm_vport, s->dma_arm_qp);
}

static void lmnic_fault_fatal(LmnicState *s)
{
    unsigned v;

    for (v = 0; v < s->num_vports; v++) {
        if (!lmnic_vp_quiesced(s, v)) {
            lmnic_hr_event(s, v, LMNIC_HR_EV_FATAL, 0, 0, NULL);
        }
    }
    lmnic_err_raise(s, LMNIC_ERR_FATAL, 0, 0, 0, 0);
    s->dead = true;
    s->status |= LMNIC_STATUS_FATAL;
    timer_del(s->conn_timer);
}

void lmnic_inject_fault(LmnicState *s, const char *value, Error **errp)
{
    char kind[16];
    unsigned v, n;
    int used = 0, op;

    if (!strcmp(value, "fatal")) {
        if (!s->dead) {
            lmnic_fault_fatal(s);
        }
        goto done;
    }
    if (!strcmp(value, "aq-hang")) {
        s->aq_hung = true;  /* silently, as a stuck firmware loop would */
        goto done;
    }
    if (sscanf(value, "aq-hang:%i%n", (int *)&n, &used) == 1 && !value[used]) {
        if (!n || n > UINT16_MAX) {
            error_setg(errp, "inject-fault: aq-hang:OPCODE, an opcode");
            return;
        }
        /* the queue hangs at that command, a recovery's own included */
        s->aq_hang_op = n;
        goto done;
    }
    if (sscanf(value, "dma:%u:%u@%i%n", &v, &n, &op, &used) == 3 &&
        !value[used]) {
        if (v >= s->num_vports || n >= LMNIC_MAX_QP || op <= 0 ||
            op > UINT16_MAX) {
            error_setg(errp, "inject-fault: dma:VPORT:QP@OPCODE, a vport, "
                       "a queue pair and an opcode");
            return;
        }
        s->dma_arm_vport = v;
        s->dma_arm_qp = n;
        s->dma_arm_op = op;
        goto done;
    }
    if (sscanf(value, "%15[a-z-]:%u:%u%n", kind, &v, &n, &used) != 3 ||
        value[used]) {
        error_setg(errp, "inject-fault: expected parity:VPORT:ID, "
                   "dma:VPORT:QP[@OPCODE], tx-hang:VPORT:QP, "
                   "aq-hang[:OPCODE] or fatal");
        return;
    }
    if (v >= s->num_vports) {
        error_setg(errp, "inject-fault: no vport %u", v);
        return;
    }
    if (s->dead) {
        error_setg(errp, "inject-fault: the adapter is dead");
        return;
    }
    if (lmnic_vp_quiesced(s, v) && strcmp(kind, "tx-hang")) {
        error_setg(errp, "inject-fault: vport %u is quiesced", v);
        return;
    }
    if (!strcmp(kind, "parity")) {
        lmnic_fault_parity(s, v, n, errp);
    } else if (!strcmp(kind, "dma") && n < LMNIC_MAX_QP) {
        lmnic_fault_dma(s, v, n);
    } else if (!strcmp(kind, "tx-hang") && n < LMNIC_MAX_QP) {
        s->txhang[v] |= 1u << n;
    } else {
        error_setg(errp, "inject-fault: bad fault '%s'", value);
        return;
    }
done:
    g_free(s->last_fault);
    s->last_fault = g_strdup(value);
}

static void lmnic_set_fault(Object *obj, const char *value, Error **errp)
{
    lmnic_inject_fault(LMNIC(obj), value, errp);
}

static char *lmnic_get_fault(Object *obj, Error **errp)
{
    LmnicState *s = LMNIC(obj);

    return g_strdup(s->last_fault ? s->last_fault : "");
}

void lmnic_conn_class_init(ObjectClass *klass)
{
    object_class_property_add_str(klass, "inject-fault", lmnic_get_fault,
                                  lmnic_set_fault);
    object_class_property_set_description(klass, "inject-fault",
        "inject an adapter fault: parity:VPORT:ID, dma:VPORT:QP, "
        "tx-hang:VPORT:QP, aq-hang[:OPCODE] or fatal");
}

void lmnic_conn_reset(LmnicState *s)
{
    s->dead = false;
    s->aq_hung = false;
    s->err_cause = 0;
    s->err_vport = s->err_qp = s->err_entry = s->err_count = 0;
    s->err_addr = s->err_time = 0;
    memset(s->qfault, 0, sizeof(s->qfault));
    memset(s->txhang, 0, sizeof(s->txhang));
    memset(s->parity_seen, 0, sizeof(s->parity_seen));
    memset(s->hr_flushes, 0, sizeof(s->hr_flushes));
    s->epoch_ns = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
    timer_mod(s->conn_timer, qemu_clock_get_ms(QEMU_CLOCK_VIRTUAL) +
              LMNIC_HR_FLUSH_MS);
}

void lmnic_conn_realize(LmnicState *s)
{
    s->conn_capacity = lmnic_sm_conn_capacity(s->vport_block);
    s->conn_timer = timer_new_ms(QEMU_CLOCK_VIRTUAL, lmnic_conn_timer, s);
}

void lmnic_conn_unrealize(LmnicState *s)
{
    timer_free(s->conn_timer);
    s->conn_timer = NULL;
    g_free(s->last_fault);
    s->last_fault = NULL;
}
