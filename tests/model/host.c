/*
 * A host for the lmnic adapter model outside QEMU: the part of QEMU the
 * model's files use, with QEMU's own prototypes (its headers), and the
 * guest's view of the adapter. See host.h.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/bitmap.h"
#include "qemu/error-report.h"
#include "qemu/log.h"
#include "qemu/madvise.h"
#include "qemu/memalign.h"
#include "qemu/timer.h"
#include "qemu/units.h"
#include "qapi/error.h"
#include "exec/memory.h"
#include "hw/pci/msix.h"
#include "net/net.h"

#include "lmnic_core.h"
#include "host.h"

#ifdef QEMU_SANITIZE_ADDRESS
#include <sanitizer/asan_interface.h>
#else
#define ASAN_POISON_MEMORY_REGION(p, n)     ((void)(p), (void)(n))
#define ASAN_UNPOISON_MEMORY_REGION(p, n)   ((void)(p), (void)(n))
#endif

#define MH_RXQ_LEN      64      /* frames held for want of RX buffers */
#define MH_MAX_HOSTS    8
#define MH_MAX_TIMERS   (4 * (LMNIC_MSIX_VECTORS + 1))

struct ModelHost {
    LmnicState *s;
    NICState nic;
    NetClientState nc;
    uint8_t *ram;
    uint64_t ram_size;
    unsigned long *ram_dirty;   /* pages of RAM written since power-on */
    bool in_io;                 /* QEMU's MemReentrancyGuard of the device */
    bool delivering;
    uint8_t *rxq[MH_RXQ_LEN];
    size_t rxq_len[MH_RXQ_LEN];
    unsigned rxq_n;
    MhSendFn *send;
    void *send_opaque;
    uint64_t sent;
    uint64_t irqs[LMNIC_MSIX_VECTORS];
};

static ModelHost *hosts[MH_MAX_HOSTS];
static int64_t clock_ns = 1000000000;  /* the adapter clock is never 0 */
static QEMUTimer *timers[MH_MAX_TIMERS];   /* the pending ones */
static uint64_t guest_errors;

/* ---- QEMU: logging, tracing, errors, QOM ----------------------------- */

int qemu_loglevel = LOG_GUEST_ERROR;
bool message_with_timestamp;
int trace_events_enabled_count;

void qemu_log(const char *fmt, ...)
{
    va_list ap;

    guest_errors++;
    if (getenv("MODEL_LOG")) {
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
    }
}

int qemu_get_thread_id(void)
{
    return getpid();
}

struct Error {
    char *msg;
};

void error_setg_internal(Error **errp, const char *src, int line,
                         const char *func, const char *fmt, ...)
{
    va_list ap;
    Error *e;

    if (!errp) {
        return;
    }
    e = g_new0(Error, 1);
    va_start(ap, fmt);
    e->msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    *errp = e;
}

Object *object_dynamic_cast_assert(Object *obj, const char *typename,
                                   const char *file, int line,
                                   const char *func)
{
    return obj;
}

ObjectProperty *object_class_property_add_str(ObjectClass *klass,
        const char *name, char *(*get)(Object *, Error **),
        void (*set)(Object *, const char *, Error **))
{
    return NULL;
}

void object_class_property_set_description(ObjectClass *klass,
                                           const char *name,
                                           const char *description)
{
}

/* ---- QEMU: memory -------------------------------------------------------- */

void *qemu_anon_ram_alloc(size_t size, uint64_t *align, bool shared,
                          bool noreserve)
{
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

    return p == MAP_FAILED ? NULL : p;
}

void qemu_anon_ram_free(void *ptr, size_t size)
{
    if (ptr) {
        munmap(ptr, size);
    }
}

/* not instrumented: it reads a few MiB per power cycle in the fuzzer */
static bool __attribute__((no_sanitize("address", "undefined")))
mh_page_is_zero(const uint64_t *w, size_t words)
{
    uint64_t acc = 0;
    size_t i;

    for (i = 0; i < words; i++) {
        acc |= w[i];
    }
    return !acc;
}

/*
 * Zero the pages of [P, P + LEN) that hold anything: the effect of
 * MADV_DONTNEED on private anonymous memory, without the TLB shootdown
 * that makes it slow when a fuzzer does it thousands of times a second.
 * Only once the range holds more than MH_RESIDENT_MAX resident pages are
 * they given back for real, so that the next scans stay short.
 */
#define MH_RESIDENT_MAX 256

static void mh_zero_resident(void *p, size_t len)
{
    static unsigned char *res;
    static size_t res_len;
    size_t page = qemu_real_host_page_size(), n = len / page, i, resident = 0;

    assert(!((uintptr_t)p % page) && !(len % page));
    if (n > res_len) {
        res = g_realloc(res, n);
        res_len = n;
    }
    if (mincore(p, len, res)) {
        abort();
    }
    for (i = 0; i < n; i++) {
        resident += res[i] & 1;
    }
    if (resident > MH_RESIDENT_MAX) {
        madvise(p, len, MADV_DONTNEED);
        return;
    }
    for (i = 0; i < n; i++) {
        uint8_t *pg = (uint8_t *)p + i * page;

        if ((res[i] & 1) && !mh_page_is_zero((const void *)pg, page / 8)) {
            memset(pg, 0, page);
        }
    }
}

/* as QEMU's; huge pages are a hint that would only slow the tests down */
int qemu_madvise(void *addr, size_t len, int advice)
{
    if (advice == QEMU_MADV_HUGEPAGE) {
        return 0;
    }
    if (advice == QEMU_MADV_DONTNEED) {
        mh_zero_resident(addr, len);
        return 0;
    }
    return madvise(addr, len, advice);
}

/*
 * Aligned allocations (LOAD stages its image in one) come from a small
 * pool: under ASan a fresh large block is an mmap and a shadow memset each
 * time, most of a fuzzer's time. A block is poisoned while free and past
 * the size asked for, so that ASan still sees every access out of bounds
 * or after the free.
 */
#define MH_POOL 4

static struct {
    void *p;
    size_t cap;
    size_t align;
    bool used;
} mh_pool[MH_POOL];

void *qemu_try_memalign(size_t alignment, size_t size)
{
    size_t want = ROUND_UP(MAX(size, 1), 8), cap;
    unsigned i;
    void *p;

    alignment = MAX(alignment, 4096);
    for (i = 0; i < MH_POOL; i++) {
        if (mh_pool[i].p && !mh_pool[i].used && mh_pool[i].cap >= want &&
            mh_pool[i].align >= alignment) {
            mh_pool[i].used = true;
            ASAN_UNPOISON_MEMORY_REGION(mh_pool[i].p, want);
            ASAN_POISON_MEMORY_REGION((uint8_t *)mh_pool[i].p + want,
                                      mh_pool[i].cap - want);
            return mh_pool[i].p;
        }
    }
    /* a power of two: the pool soon holds blocks every LOAD fits in */
    cap = MAX(pow2ceil(want), 64 * KiB);
    if (posix_memalign(&p, alignment, cap)) {
        return NULL;
    }
    for (i = 0; i < MH_POOL; i++) {
        if (!mh_pool[i].used) {
            free(mh_pool[i].p);
            mh_pool[i].p = p;
            mh_pool[i].cap = cap;
            mh_pool[i].align = alignment;
            mh_pool[i].used = true;
            break;
        }
    }
    ASAN_POISON_MEMORY_REGION((uint8_t *)p + want, cap - want);
    return p;
}

void qemu_vfree(void *ptr)
{
    unsigned i;

    for (i = 0; i < MH_POOL; i++) {
        if (mh_pool[i].used && mh_pool[i].p == ptr) {
            mh_pool[i].used = false;
            ASAN_POISON_MEMORY_REGION(ptr, mh_pool[i].cap);
            return;
        }
    }
    free(ptr);
}

static ModelHost *host_of_as(AddressSpace *as)
{
    unsigned i;

    for (i = 0; i < MH_MAX_HOSTS; i++) {
        if (hosts[i] && &PCI_DEVICE(hosts[i]->s)->bus_master_as == as) {
            return hosts[i];
        }
    }
    abort();
}

static bool in_window(hwaddr addr, hwaddr len, uint64_t base, uint64_t size)
{
    return addr >= base && len <= size && addr - base <= size - len;
}

/*
 * A DMA into the adapter's own BARs, as QEMU's memory API does it: in
 * accesses the region takes (4 bytes for BAR0, up to 8 for BAR2), refused
 * while the device is inside an access already (MemReentrancyGuard).
 */
static MemTxResult mh_dma_bar(ModelHost *h, hwaddr off, uint8_t *buf,
                              hwaddr len, bool is_write, bool bar0)
{
    unsigned step = bar0 ? 4 : 8;
    hwaddr i;

    if (h->in_io) {
        return MEMTX_ACCESS_ERROR;
    }
    h->in_io = true;
    for (i = 0; i + step <= len; i += step) {
        if (bar0 && is_write) {
            lmnic_core_write(h->s, off + i, ldl_le_p(buf + i));
        } else if (bar0) {
            stl_le_p(buf + i, lmnic_core_read(h->s, off + i));
        } else if (is_write) {
            lmnic_core_sm_write(h->s, off + i, ldq_le_p(buf + i), 8);
        } else {
            stq_le_p(buf + i, lmnic_core_sm_read(h->s, off + i, 8));
        }
    }
    h->in_io = false;
    return MEMTX_OK;
}

/*
 * The pages of guest RAM that may hold anything but zeroes: those the
 * device wrote, and those the guest reached through mh_ram(). A power
 * cycle zeroes only these, without faulting the rest in or scanning it.
 */
static void mh_ram_touch(ModelHost *h, uint64_t gpa, uint64_t len)
{
    uint64_t page = qemu_real_host_page_size();

    if (len) {
        bitmap_set(h->ram_dirty, gpa / page,
                   (gpa + len - 1) / page - gpa / page + 1);
    }
}

MemTxResult address_space_rw(AddressSpace *as, hwaddr addr, MemTxAttrs attrs,
                             void *buf, hwaddr len, bool is_write)
{
    ModelHost *h = host_of_as(as);

    if (in_window(addr, len, 0, h->ram_size)) {
        if (is_write) {
            mh_ram_touch(h, addr, len);
            memcpy(h->ram + addr, buf, len);
        } else {
            memcpy(buf, h->ram + addr, len);
        }
        return MEMTX_OK;
    }
    if (in_window(addr, len, MH_BAR0_GPA, LMNIC_REGS_SIZE)) {
        return mh_dma_bar(h, addr - MH_BAR0_GPA, buf, len, is_write, true);
    }
    if (in_window(addr, len, MH_BAR2_GPA, h->s->state_size)) {
        return mh_dma_bar(h, addr - MH_BAR2_GPA, buf, len, is_write, false);
    }
    return MEMTX_DECODE_ERROR;
}

/* ---- QEMU: MSI-X --------------------------------------------------------- */

void msix_notify(PCIDevice *dev, unsigned vector)
{
    unsigned i;

    assert(vector < dev->msix_entries_nr);     /* as hw/pci/msix.c does */
    for (i = 0; i < MH_MAX_HOSTS; i++) {
        if (hosts[i] && PCI_DEVICE(hosts[i]->s) == dev) {
            hosts[i]->irqs[vector]++;
        }
    }
}

/* ---- QEMU: the virtual clock and its timers ------------------------------ */

int64_t qemu_clock_get_ns(QEMUClockType type)
{
    return clock_ns;
}

void timer_init_full(QEMUTimer *ts, QEMUTimerListGroup *timer_list_group,
                     QEMUClockType type, int scale, int attributes,
                     QEMUTimerCB *cb, void *opaque)
{
    ts->timer_list = NULL;
    ts->cb = cb;
    ts->opaque = opaque;
    ts->scale = scale;
    ts->attributes = attributes;
    ts->expire_time = -1;
}

bool timer_pending(QEMUTimer *ts)
{
    return ts->expire_time >= 0;
}

void timer_del(QEMUTimer *ts)
{
    unsigned i;

    if (ts->expire_time < 0) {
        return;     /* not pending: not in the list */
    }
    for (i = 0; i < MH_MAX_TIMERS; i++) {
        if (timers[i] == ts) {
            timers[i] = NULL;
        }
    }
    ts->expire_time = -1;
}

void timer_mod(QEMUTimer *ts, int64_t expire_time)
{
    unsigned i, free = MH_MAX_TIMERS;

    for (i = 0; i < MH_MAX_TIMERS; i++) {
        if (timers[i] == ts) {
            break;
        }
        if (!timers[i] && free == MH_MAX_TIMERS) {
            free = i;
        }
    }
    if (i == MH_MAX_TIMERS) {
        assert(free < MH_MAX_TIMERS);
        timers[free] = ts;
    }
    ts->expire_time = MAX(expire_time * ts->scale, 0);
}

/* Run every timer due by now, earliest first. */
static void mh_run_timers(void)
{
    for (;;) {
        QEMUTimer *next = NULL;
        unsigned i, at = 0;

        for (i = 0; i < MH_MAX_TIMERS; i++) {
            if (timers[i] && timers[i]->expire_time <= clock_ns &&
                (!next || timers[i]->expire_time < next->expire_time)) {
                next = timers[i];
                at = i;
            }
        }
        if (!next) {
            return;
        }
        timers[at] = NULL;
        next->expire_time = -1;
        next->cb(next->opaque);
    }
}

void mh_clock_step(int64_t ns)
{
    int64_t end = clock_ns + MAX(ns, 0);

    /* stop at every expiry on the way, as the main loop would */
    for (;;) {
        int64_t due = end;
        unsigned i;

        for (i = 0; i < MH_MAX_TIMERS; i++) {
            if (timers[i] && timers[i]->expire_time < due) {
                due = MAX(timers[i]->expire_time, clock_ns);
            }
        }
        clock_ns = due;
        mh_run_timers();
        if (due == end) {
            return;
        }
    }
}

int64_t mh_clock_ns(void)
{
    return clock_ns;
}

void mh_clock_reset(void)
{
    clock_ns = 1000000000;
}

/* ---- QEMU: the network port ---------------------------------------------- */

NetClientState *qemu_get_queue(NICState *nic)
{
    return nic->ncs;
}

static ModelHost *host_of_nc(NetClientState *nc)
{
    unsigned i;

    for (i = 0; i < MH_MAX_HOSTS; i++) {
        if (hosts[i] && &hosts[i]->nc == nc) {
            return hosts[i];
        }
    }
    abort();
}

ssize_t qemu_send_packet(NetClientState *nc, const uint8_t *buf, int size)
{
    ModelHost *h = host_of_nc(nc);

    h->sent++;
    if (h->send) {
        h->send(h->send_opaque, buf, size);
    }
    return size;
}

/*
 * Deliver one frame to the adapter, as net/net.c does: the device's
 * re-entrancy guard is engaged for the delivery unless it is already (a
 * flush from inside a register write). 0 means held.
 */
static ssize_t mh_deliver(ModelHost *h, const uint8_t *buf, size_t len)
{
    bool own = !h->in_io;
    ssize_t r;

    h->in_io = true;
    r = lmnic_core_receive(h->s, buf, len);
    if (own) {
        h->in_io = false;
    }
    return r;
}

static void mh_hold(ModelHost *h, const void *frame, size_t len)
{
    if (h->rxq_n < MH_RXQ_LEN) {
        h->rxq[h->rxq_n] = g_memdup2(frame, len);
        h->rxq_len[h->rxq_n++] = len;
    }
}

void qemu_flush_queued_packets(NetClientState *nc)
{
    ModelHost *h = host_of_nc(nc);

    if (h->delivering) {
        return;
    }
    h->delivering = true;
    while (h->rxq_n) {
        if (!mh_deliver(h, h->rxq[0], h->rxq_len[0])) {
            break;
        }
        g_free(h->rxq[0]);
        h->rxq_n--;
        memmove(h->rxq, h->rxq + 1, h->rxq_n * sizeof(h->rxq[0]));
        memmove(h->rxq_len, h->rxq_len + 1, h->rxq_n * sizeof(h->rxq_len[0]));
    }
    h->delivering = false;
}

/* A frame arrives from the port: after those held, or held itself. */
void mh_rx(ModelHost *h, const void *frame, size_t len)
{
    if (h->rxq_n || h->delivering) {
        mh_hold(h, frame, len);
        qemu_flush_queued_packets(&h->nc);
        return;
    }
    h->delivering = true;
    if (!mh_deliver(h, frame, len)) {
        mh_hold(h, frame, len);
    }
    h->delivering = false;
}

void mh_on_send(ModelHost *h, MhSendFn *fn, void *opaque)
{
    h->send = fn;
    h->send_opaque = opaque;
}

uint64_t mh_sent(ModelHost *h)
{
    return h->sent;
}

/* ---- the guest's view ---------------------------------------------------- */

ModelHost *mh_new(const ModelConfig *cfg)
{
    static const uint8_t mac0[6] = { 0x52, 0x54, 0x00, 0x4c, 0x4d, 0x00 };
    static const uint8_t zero[6];
    ModelHost *h = g_new0(ModelHost, 1);
    Error *err = NULL;
    LmnicState *s;
    unsigned i;

    i = 0;
    while (i < MH_MAX_HOSTS && hosts[i]) {
        i++;
    }
    assert(i < MH_MAX_HOSTS);
    s = g_malloc0(sizeof(*s));
    h->s = s;
    s->state_size = cfg->state_size ? cfg->state_size : 4 * MiB;
    s->num_vports = cfg->vports ? cfg->vports : 4;
    s->serial = cfg->serial ? cfg->serial : 0x4c4d000000000001ULL + i;
    memcpy(s->conf.macaddr.a, memcmp(cfg->mac, zero, 6) ? cfg->mac : mac0, 6);
    s->conf.macaddr.a[5] += memcmp(cfg->mac, zero, 6) ? 0 : i * 0x10;
    PCI_DEVICE(s)->msix_entries_nr = LMNIC_MSIX_VECTORS;
    h->nic.ncs = &h->nc;
    h->nic.opaque = s;
    s->nic = &h->nic;
    h->ram_size = cfg->ram_size ? cfg->ram_size : 64 * MiB;
    h->ram = qemu_anon_ram_alloc(h->ram_size, NULL, false, true);
    assert(h->ram);
    h->ram_dirty = bitmap_new(h->ram_size / qemu_real_host_page_size());
    hosts[i] = h;
    if (!lmnic_core_realize(s, &err)) {
        fprintf(stderr, "lmnic model: %s\n", err->msg);
        abort();
    }
    lmnic_core_reset(s);
    return h;
}

/* the guest's RAM as at power-on: all zeroes */
static void mh_ram_zero(ModelHost *h)
{
    size_t page = qemu_real_host_page_size(), n = h->ram_size / page, i;

    for (i = find_first_bit(h->ram_dirty, n); i < n;
         i = find_next_bit(h->ram_dirty, n, i + 1)) {
        memset(h->ram + i * page, 0, page);
    }
    bitmap_zero(h->ram_dirty, n);
}

void mh_power_cycle(ModelHost *h)
{
    unsigned i;

    for (i = 0; i < h->rxq_n; i++) {
        g_free(h->rxq[i]);
    }
    h->rxq_n = 0;
    h->sent = 0;
    memset(h->irqs, 0, sizeof(h->irqs));
    h->send = NULL;
    mh_ram_zero(h);
    lmnic_core_reset(h->s);
}

void mh_free(ModelHost *h)
{
    unsigned i;

    lmnic_core_unrealize(h->s);
    for (i = 0; i < h->rxq_n; i++) {
        g_free(h->rxq[i]);
    }
    for (i = 0; i < MH_MAX_HOSTS; i++) {
        if (hosts[i] == h) {
            hosts[i] = NULL;
        }
    }
    qemu_anon_ram_free(h->ram, h->ram_size);
    g_free(h->ram_dirty);
    g_free(h->s);
    g_free(h);
}

uint32_t mh_rd32(ModelHost *h, uint32_t reg)
{
    uint32_t v;

    if (reg >= LMNIC_REGS_SIZE || (reg & 3)) {
        return 0;
    }
    h->in_io = true;
    v = lmnic_core_read(h->s, reg);
    h->in_io = false;
    return v;
}

void mh_wr32(ModelHost *h, uint32_t reg, uint32_t val)
{
    if (reg >= LMNIC_REGS_SIZE || (reg & 3)) {
        return;
    }
    h->in_io = true;
    lmnic_core_write(h->s, reg, val);
    h->in_io = false;
}

/* BAR2 takes accesses of 1, 2, 4 or 8 bytes inside it */
static bool mh_sm_ok(ModelHost *h, uint64_t off, unsigned size)
{
    return (size == 1 || size == 2 || size == 4 || size == 8) &&
           off < h->s->state_size && size <= h->s->state_size - off;
}

uint64_t mh_sm_rd(ModelHost *h, uint64_t off, unsigned size)
{
    uint64_t v;

    if (!mh_sm_ok(h, off, size)) {
        return 0;
    }
    h->in_io = true;
    v = lmnic_core_sm_read(h->s, off, size);
    h->in_io = false;
    return v;
}

void mh_sm_wr(ModelHost *h, uint64_t off, uint64_t val, unsigned size)
{
    if (!mh_sm_ok(h, off, size)) {
        return;
    }
    h->in_io = true;
    lmnic_core_sm_write(h->s, off, val, size);
    h->in_io = false;
}

uint8_t *mh_ram(ModelHost *h, uint64_t gpa, uint64_t len)
{
    if (!in_window(gpa, len, 0, h->ram_size)) {
        return NULL;
    }
    /* the caller may write what it is given */
    mh_ram_touch(h, gpa, len);
    return h->ram + gpa;
}

uint64_t mh_ram_size(ModelHost *h)
{
    return h->ram_size;
}

uint64_t mh_irqs(ModelHost *h, unsigned vector)
{
    return vector < LMNIC_MSIX_VECTORS ? h->irqs[vector] : 0;
}

uint64_t mh_guest_errors(void)
{
    return guest_errors;
}

int mh_inject_fault(ModelHost *h, const char *fault, char *err, size_t len)
{
    Error *e = NULL;

    lmnic_inject_fault(h->s, fault, &e);
    if (!e) {
        return 0;
    }
    snprintf(err, len, "%s", e->msg);
    g_free(e->msg);
    g_free(e);
    return -1;
}

uint8_t *mh_state(ModelHost *h)
{
    return h->s->state_mem;
}

uint32_t mh_vport_block(ModelHost *h)
{
    return h->s->vport_block;
}

uint32_t mh_conn_capacity(ModelHost *h)
{
    return h->s->conn_capacity;
}

bool mh_sha256(const void *buf, size_t len, size_t split, bool accel,
               uint8_t digest[32])
{
    const uint8_t *p = buf;
    LmnicSha256 h;
    bool used;

    lmnic_sha256_init(&h, accel);
    used = !h.glib;
    while (len) {
        size_t n = split ? MIN(split, len) : len;

        lmnic_sha256_update(&h, p, n);
        p += n;
        len -= n;
    }
    lmnic_sha256_final(&h, digest);
    return used;
}
