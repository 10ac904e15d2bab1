/*
 * lmnic PCIe network adapter: state images of a vport
 *
 * QUIESCE stops a vport, SAVE writes the image of its block to host
 * memory, LOAD checks an image completely and only then writes it into a
 * quiesced vport's block, RESUME starts the vport again, and DIGEST hashes
 * the portable part of a block. The image format is in lmnic_hw.h.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/log.h"
#include "qemu/bitmap.h"
#include "qemu/bswap.h"
#include "qemu/cutils.h"
#include "qemu/madvise.h"
#include "qemu/memalign.h"
#include "sysemu/dma.h"
#include "trace.h"

#include "lmnic_core.h"

/* A chunk directory and a position in the image it describes. */
typedef struct LmnicMigIo {
    LmnicState *s;
    uint8_t sha256[LMNIC_SHA256_LEN];
    uint64_t chunk[LMNIC_MIG_DIR_MAX];
    uint32_t num_chunks;
    unsigned shift;
    uint64_t off;           /* image bytes moved so far */
    LmnicSha256 *sum;       /* SAVE: of the bytes written */
    bool failed;            /* a DMA failed */
} LmnicMigIo;

/*
 * What the destination of a pre-copy holds of a vport's table: the used
 * slots of the pre-copy image, ascending, with those of every round since
 * in place of theirs; and the slots a QUIESCE with DELTA found to differ.
 */
/*
 * A pre-copy's view of what the destination holds: every slot of the table
 * as the image or a round last sent it (all zeroes where it carried none),
 * and the slots written since (lmnic_mig_slot_written()), where the table
 * may differ from it: a delta looks at those alone.
 */
typedef struct LmnicMigSnap {
    struct lmnic_conn *slot;    /* conn_capacity of them */
    unsigned long *written;     /* conn_capacity bits */
    uint32_t *delta;        /* QUIESCE with DELTA: slots that differ */
    uint32_t num_delta;
    bool have_delta;
    bool delta_running;     /* found while the vport ran: a round's */
} LmnicMigSnap;

/* A CONN_SLOTS record of an image being loaded. */
typedef struct LmnicMigSlots {
    uint32_t rec;
    uint32_t n;
    const struct lmnic_img_slot *slot;
} LmnicMigSlots;

/* What LOAD found in an image. */
typedef struct LmnicMigImage {
    const struct lmnic_sm_vport_hdr *hdr;
    const uint8_t *sec[LMNIC_SEC_MAX];
    uint32_t sec_rec[LMNIC_SEC_MAX];
    GArray *slots;          /* LmnicMigSlots */
    uint32_t records;
    uint32_t num_slots;
} LmnicMigImage;

static struct lmnic_sm_vport_hdr *lmnic_mig_hdr(LmnicState *s, unsigned v)
{
    return (struct lmnic_sm_vport_hdr *)lmnic_vp_block(s, v);
}

static const struct lmnic_conn *lmnic_mig_table(LmnicState *s, unsigned v)
{
    uint32_t off = lmnic_sm_conn_table_off(s->conn_capacity);

    return (const struct lmnic_conn *)(lmnic_vp_block(s, v) + off);
}

/* The fixed section of TYPE, or NULL. */
static const struct lmnic_sm_layout_entry *lmnic_mig_section(uint32_t type)
{
    unsigned i;

    for (i = 0; i < lmnic_layout1_len; i++) {
        if (lmnic_layout1[i].type == type) {
            return &lmnic_layout1[i];
        }
    }
    return NULL;
}

static bool lmnic_mig_slot_used(const struct lmnic_conn *c)
{
    return le16_to_cpu(c->flags) & (LMNIC_CONNF_VALID | LMNIC_CONNF_TOMB);
}

/*
 * Table slots an image of vport V carries: entries and tombstones, which
 * the table header counts (LOAD refuses an image where they disagree, and
 * SAVE fails if the table holds another number), never above the capacity.
 */
static uint32_t lmnic_mig_used(LmnicState *s, unsigned v)
{
    const struct lmnic_sm_conn_hdr *h =
        (const void *)(lmnic_vp_block(s, v) + LMNIC_SM_OFF_CONN);

    return MIN((uint64_t)le32_to_cpu(h->count) + le32_to_cpu(h->tombstones),
               s->conn_capacity);
}

/* Bytes and records of an image that carries USED table slots. */
static uint64_t lmnic_mig_size(uint32_t used, uint32_t *records)
{
    uint32_t nrec = DIV_ROUND_UP(used, LMNIC_IMG_SLOTS_PER_REC);
    uint64_t size = sizeof(struct lmnic_img_rec) +
                    sizeof(struct lmnic_sm_vport_hdr);
    unsigned i;

    for (i = 0; i < lmnic_layout1_len; i++) {
        size += sizeof(struct lmnic_img_rec) + lmnic_layout1[i].size;
    }
    *records = 1 + lmnic_layout1_len + nrec;
    return size + (uint64_t)nrec * sizeof(struct lmnic_img_rec) +
           (uint64_t)used * sizeof(struct lmnic_img_slot);
}

/* Read the chunk directory of a SAVE or LOAD into IO. */
static uint16_t lmnic_mig_dir(LmnicState *s, const struct lmnic_aq_desc *d,
                              LmnicMigIo *io)
{
    uint32_t n = le32_to_cpu(d->p.mig.num_chunks);
    unsigned shift = d->p.mig.chunk_shift;
    dma_addr_t addr = le64_to_cpu(d->buf_addr);
    uint32_t i;

    if (!n || n > LMNIC_MIG_DIR_MAX || shift < LMNIC_MIG_CHUNK_SHIFT_MIN ||
        shift > LMNIC_MIG_CHUNK_SHIFT_MAX ||
        le32_to_cpu(d->buf_len) < LMNIC_SHA256_LEN + n * sizeof(uint64_t)) {
        return LMNIC_AQS_EINVAL;
    }
    if (pci_dma_read(PCI_DEVICE(s), addr, io->sha256, LMNIC_SHA256_LEN) !=
        MEMTX_OK ||
        pci_dma_read(PCI_DEVICE(s), addr + LMNIC_SHA256_LEN, io->chunk,
                     n * sizeof(uint64_t)) != MEMTX_OK) {
        return LMNIC_AQS_EIO;
    }
    for (i = 0; i < n; i++) {
        io->chunk[i] = le64_to_cpu(io->chunk[i]);
    }
    io->s = s;
    io->num_chunks = n;
    io->shift = shift;
    io->off = 0;
    io->sum = NULL;
    io->failed = false;
    return LMNIC_AQS_OK;
}

/* Move LEN image bytes at IO->off between BUF and the chunks. */
static void lmnic_mig_dma(LmnicMigIo *io, void *buf, uint64_t len,
                          DMADirection dir)
{
    uint64_t csize = 1ULL << io->shift;
    uint8_t *p = buf;

    while (len && !io->failed) {
        uint64_t i = io->off >> io->shift;
        uint64_t in = io->off & (csize - 1);
        uint64_t n = MIN(len, csize - in);

        if (i >= io->num_chunks ||
            pci_dma_rw(PCI_DEVICE(io->s), io->chunk[i] + in, p, n, dir,
                       MEMTXATTRS_UNSPECIFIED) != MEMTX_OK) {
            io->failed = true;
            return;
        }
        io->off += n;
        p += n;
        len -= n;
    }
}

static void lmnic_mig_put(LmnicMigIo *io, const void *buf, uint64_t len)
{
    lmnic_sha256_update(io->sum, buf, len);
    lmnic_mig_dma(io, (void *)buf, len, DMA_DIRECTION_FROM_DEVICE);
}

/*
 * CRC-32C from CRC on, without the final inversion: lmnic_crc32c()
 * inverts its result, so undo that.
 */
static uint32_t lmnic_mig_crc(uint32_t crc, const void *buf, uint32_t len)
{
    return lmnic_crc32c(crc, buf, len) ^ 0xffffffff;
}

/* A record's check: its header's first 12 bytes, then the payload. */
static uint32_t lmnic_mig_rec_check(const struct lmnic_img_rec *r,
                                    const void *payload, uint32_t len)
{
    uint32_t crc = lmnic_mig_crc(0xffffffff, r,
                                 offsetof(struct lmnic_img_rec, check));

    return lmnic_mig_crc(crc, payload, len);
}

static void lmnic_mig_record(LmnicMigIo *io, uint16_t type, uint16_t flags,
                             uint32_t arg, const void *payload, uint32_t len)
{
    struct lmnic_img_rec r = {
        .type = cpu_to_le16(type),
        .flags = cpu_to_le16(flags),
        .len = cpu_to_le32(len),
        .arg = cpu_to_le32(arg),
    };

    r.check = cpu_to_le32(lmnic_mig_rec_check(&r, payload, len));
    lmnic_mig_put(io, &r, sizeof(r));
    lmnic_mig_put(io, payload, len);
}

/* ---- QUIESCE, SAVE ------------------------------------------------------ */

void lmnic_mig_vp_reset(LmnicState *s, unsigned v)
{
    LmnicMigSnap *sn = s->mig_snap[v];

    if (sn) {
        g_free(sn->slot);
        g_free(sn->written);
        g_free(sn->delta);
        g_free(sn);
        s->mig_snap[v] = NULL;
    }
    s->mig_base[v] = false;
}

/* Slot SLOT of vport V's table is written: a pre-copy's delta looks at it. */
void lmnic_mig_slot_written(LmnicState *s, unsigned v, uint32_t slot)
{
    LmnicMigSnap *sn = s->mig_snap[v];

    if (sn && slot < s->conn_capacity) {
        set_bit(slot, sn->written);
    }
}

/* Every slot of vport V's table is written (cleared, or loaded anew). */
void lmnic_mig_table_written(LmnicState *s, unsigned v)
{
    LmnicMigSnap *sn = s->mig_snap[v];

    if (sn) {
        bitmap_fill(sn->written, s->conn_capacity);
    }
}

/*
 * The slots of vport V's table that differ from the pre-copy snapshot:
 * used ones that are new or changed, and the snapshot's that are empty now.
 * Only a slot written since the snapshot can differ: the cost is what
 * changed, not the table's size.
 */
static void lmnic_mig_delta_scan(LmnicState *s, unsigned v, LmnicMigSnap *sn)
{
    const struct lmnic_conn *t = lmnic_mig_table(s, v);
    uint32_t cap = s->conn_capacity, n = 0;
    unsigned long i;

    g_free(sn->delta);
    sn->delta = g_new(uint32_t, MAX(bitmap_count_one(sn->written, cap), 1));
    for (i = find_first_bit(sn->written, cap); i < cap;
         i = find_next_bit(sn->written, cap, i + 1)) {
        bool was = lmnic_mig_slot_used(&sn->slot[i]);

        if (lmnic_mig_slot_used(&t[i]) ?
            !was || memcmp(&t[i], &sn->slot[i], sizeof(t[i])) : was) {
            sn->delta[n++] = i;
        }
    }
    sn->num_delta = n;
    sn->have_delta = true;
    sn->delta_running = !lmnic_vp_quiesced(s, v);
}

/*
 * After a round: its slots, as it sent them from table T, are what the
 * destination holds now; every other slot written since equals the
 * snapshot (the scan found no difference), so none is written any more.
 */
static void lmnic_mig_snap_update(LmnicState *s, LmnicMigSnap *sn,
                                  const struct lmnic_conn *t)
{
    uint32_t k;

    for (k = 0; k < sn->num_delta; k++) {
        uint32_t i = sn->delta[k];

        if (lmnic_mig_slot_used(&t[i])) {
            sn->slot[i] = t[i];
        } else {
            memset(&sn->slot[i], 0, sizeof(sn->slot[i]));
        }
    }
    bitmap_zero(sn->written, s->conn_capacity);
    sn->have_delta = false;
}

static uint16_t lmnic_mig_quiesce(LmnicState *s, unsigned v,
                                  struct lmnic_aq_desc *d)
{
    LmnicMigSnap *sn = s->mig_snap[v];
    uint32_t used, records;
    uint64_t size;

    if ((d->p.mig.flags & LMNIC_MIGF_DELTA) && !sn) {
        return LMNIC_AQS_EINVAL;
    }
    if (!(d->p.mig.flags & LMNIC_MIGF_PRECOPY)) {
        lmnic_mig_hdr(s, v)->state |= cpu_to_le32(LMNIC_VPS_QUIESCED);
    }
    if (d->p.mig.flags & LMNIC_MIGF_DELTA) {
        lmnic_mig_delta_scan(s, v, sn);
        used = sn->num_delta;
    } else {
        used = lmnic_mig_used(s, v);
    }
    size = lmnic_mig_size(used, &records);
    d->p.mig.image_size = cpu_to_le64(size);
    d->p.mig.num_records = cpu_to_le32(records);
    d->p.mig.slots = cpu_to_le32(used);
    trace_lmnic_mig_quiesce(v, size, used);
    return LMNIC_AQS_OK;
}

/* Slot I of the table as an image carries it: a slot DELTA emptied is 0s. */
static void lmnic_mig_img_slot(struct lmnic_img_slot *is, uint32_t i,
                               const struct lmnic_conn *c)
{
    is->slot = cpu_to_le32(i);
    is->rsvd = 0;
    if (lmnic_mig_slot_used(c)) {
        is->conn = *c;
    } else {
        memset(&is->conn, 0, sizeof(is->conn));
    }
}

static uint16_t lmnic_mig_save(LmnicState *s, unsigned v,
                               struct lmnic_aq_desc *d)
{
    const uint8_t *blk = lmnic_vp_block(s, v);
    const struct lmnic_conn *t = lmnic_mig_table(s, v);
    uint8_t flags = d->p.mig.flags;
    bool round = flags == (LMNIC_MIGF_PRECOPY | LMNIC_MIGF_DELTA);
    g_autofree struct lmnic_img_slot *buf = NULL;
    g_autofree struct lmnic_conn *snap = NULL;
    LmnicMigSnap *sn = s->mig_snap[v];
    uint8_t digest[LMNIC_SHA256_LEN];
    uint32_t used, records, i, n = 0, found = 0;
    LmnicSha256 sum;
    uint64_t size;
    LmnicMigIo io;
    uint16_t st;

    if (flags & ~(LMNIC_MIGF_PRECOPY | LMNIC_MIGF_DELTA)) {
        return LMNIC_AQS_EINVAL;
    }
    if (flags & LMNIC_MIGF_DELTA) {
        /* the last delta: the slots found to differ once the vport stopped */
        if (!sn || !sn->have_delta || (!round && sn->delta_running)) {
            return LMNIC_AQS_EINVAL;
        }
        if (!round && !lmnic_vp_quiesced(s, v)) {
            return LMNIC_AQS_EBUSY;
        }
    }
    if (round) {
        /*
         * The vport ran since its QUIESCE: frames and commands may have
         * changed slots. The round carries the table as it is now, if the
         * size the driver made room for still holds.
         */
        uint32_t sized = sn->num_delta;

        lmnic_mig_delta_scan(s, v, sn);
        if (sn->num_delta != sized) {
            return LMNIC_AQS_EBUSY;
        }
    } else if (!(flags & LMNIC_MIGF_PRECOPY) && !lmnic_vp_quiesced(s, v)) {
        return LMNIC_AQS_EBUSY;
    }
    st = lmnic_mig_dir(s, d, &io);
    if (st) {
        return st;
    }
    used = (flags & LMNIC_MIGF_DELTA) ? sn->num_delta : lmnic_mig_used(s, v);
    size = lmnic_mig_size(used, &records);
    if (((uint64_t)io.num_chunks << io.shift) < size) {
        return LMNIC_AQS_ENOSPC;
    }
    if (flags == LMNIC_MIGF_PRECOPY) {
        /* the pre-copy image: the snapshot its deltas compare with */
        snap = g_try_new(struct lmnic_conn, s->conn_capacity);
        if (!snap) {
            return LMNIC_AQS_ENOSPC;
        }
    }

    lmnic_sha256_init(&sum, true);
    io.sum = &sum;
    lmnic_mig_record(&io, LMNIC_REC_VPORT_HDR, 0, 0, blk,
                     sizeof(struct lmnic_sm_vport_hdr));
    for (i = 0; i < lmnic_layout1_len; i++) {
        const struct lmnic_sm_layout_entry *e = &lmnic_layout1[i];

        lmnic_mig_record(&io, LMNIC_REC_SECTION,
                         (e->flags & LMNIC_SECF_HOST) ?
                         LMNIC_RECF_HOST | LMNIC_RECF_OPTIONAL : 0,
                         e->type, blk + e->offset, e->size);
    }
    buf = g_new(struct lmnic_img_slot,
                MAX(MIN(used, LMNIC_IMG_SLOTS_PER_REC), 1));
    for (i = 0; found < used && !io.failed; i++) {
        uint32_t slot = i;

        if (flags & LMNIC_MIGF_DELTA) {
            slot = sn->delta[i];
        } else if (i >= s->conn_capacity) {
            break;
        } else if (!lmnic_mig_slot_used(&t[i])) {
            continue;
        }
        lmnic_mig_img_slot(&buf[n], slot, &t[slot]);
        found++;
        if (++n == LMNIC_IMG_SLOTS_PER_REC) {
            lmnic_mig_record(&io, LMNIC_REC_CONN_SLOTS, 0, n, buf,
                             n * sizeof(*buf));
            n = 0;
        }
    }
    if (n) {
        lmnic_mig_record(&io, LMNIC_REC_CONN_SLOTS, 0, n, buf,
                         n * sizeof(*buf));
    }
    lmnic_sha256_final(&sum, digest);
    if (found != used) {
        qemu_log_mask(LOG_GUEST_ERROR, "lmnic: vport %u: table holds %u "
                      "slots, its header counts %u\n", v, found, used);
        io.failed = true;
    }
    if (io.failed ||
        pci_dma_write(PCI_DEVICE(s), le64_to_cpu(d->buf_addr), digest,
                      sizeof(digest)) != MEMTX_OK) {
        trace_lmnic_mig_save(v, size, records, used, LMNIC_AQS_EIO);
        return LMNIC_AQS_EIO;
    }
    if (round) {
        /* what the next DELTA compares with: the slots as this one sent */
        lmnic_mig_snap_update(s, sn, t);
    } else if (snap) {
        /* what DELTA compares with: this image's slots */
        for (i = 0; i < s->conn_capacity; i++) {
            if (lmnic_mig_slot_used(&t[i])) {
                snap[i] = t[i];
            } else {
                memset(&snap[i], 0, sizeof(snap[i]));
            }
        }
        lmnic_mig_vp_reset(s, v);
        sn = g_new0(LmnicMigSnap, 1);
        sn->slot = g_steal_pointer(&snap);
        sn->written = bitmap_new(s->conn_capacity);
        s->mig_snap[v] = sn;
    }
    d->p.mig.image_size = cpu_to_le64(size);
    d->p.mig.num_records = cpu_to_le32(records);
    d->p.mig.slots = cpu_to_le32(used);
    trace_lmnic_mig_save(v, size, records, used, LMNIC_AQS_OK);
    return LMNIC_AQS_OK;
}

/* ---- LOAD --------------------------------------------------------------- */

/* The header of an image against this adapter's: 0 or LMNIC_LOADE_*. */
static unsigned lmnic_mig_check_hdr(LmnicState *s,
                                    const struct lmnic_sm_vport_hdr *h)
{
    struct lmnic_sm_vport_hdr own = { 0 };

    if (le32_to_cpu(h->magic) != LMNIC_SM_VPORT_MAGIC) {
        return LMNIC_LOADE_HEADER;
    }
    if (le16_to_cpu(h->layout) != LMNIC_LAYOUT_VERSION) {
        return LMNIC_LOADE_LAYOUT;
    }
    if (le32_to_cpu(h->block_size) != s->vport_block) {
        return LMNIC_LOADE_SIZE;
    }
    lmnic_vp_sections(s, &own);
    if (h->num_sections != own.num_sections ||
        memcmp(h->sections, own.sections, sizeof(own.sections))) {
        return LMNIC_LOADE_HEADER;
    }
    return 0;
}

/*
 * Walk the records of IMG: their framing, checks, the header and the
 * fixed sections. Returns 0 or LMNIC_LOADE_*, the record at fault in *REC.
 */
static unsigned lmnic_mig_walk(LmnicState *s, const uint8_t *img,
                               uint64_t size, LmnicMigImage *im,
                               uint32_t *rec)
{
    const struct lmnic_sm_layout_entry *e;
    uint64_t off = 0;
    uint32_t idx;
    unsigned i, why;

    for (idx = 0; off < size; idx++) {
        const struct lmnic_img_rec *r = (const void *)(img + off);
        const uint8_t *pl = img + off + sizeof(*r);
        uint32_t len, arg;
        uint16_t type, flags;
        LmnicMigSlots cs;

        *rec = idx;
        if (size - off < sizeof(*r)) {
            return LMNIC_LOADE_RECORD_BAD;
        }
        type = le16_to_cpu(r->type);
        flags = le16_to_cpu(r->flags);
        len = le32_to_cpu(r->len);
        arg = le32_to_cpu(r->arg);
        if (len % 8 || len > LMNIC_IMG_REC_MAX ||
            len > size - off - sizeof(*r) || (flags & ~LMNIC_RECF_ALL)) {
            return LMNIC_LOADE_RECORD_BAD;
        }
        if (lmnic_mig_rec_check(r, pl, len) != le32_to_cpu(r->check)) {
            return LMNIC_LOADE_CHECK;
        }
        off += sizeof(*r) + len;

        if (idx == 0) {
            /* the block header first, and only there */
            if (type != LMNIC_REC_VPORT_HDR || (flags & LMNIC_RECF_HOST) ||
                len != sizeof(struct lmnic_sm_vport_hdr)) {
                return LMNIC_LOADE_RECORD_BAD;
            }
            why = lmnic_mig_check_hdr(s, (const void *)pl);
            if (why) {
                return why;
            }
            im->hdr = (const void *)pl;
            continue;
        }
        if (flags & LMNIC_RECF_HOST) {
            continue;   /* another host's: never loaded */
        }
        switch (type) {
        case LMNIC_REC_SECTION:
            e = lmnic_mig_section(arg);
            if (!e || len != e->size || im->sec[arg]) {
                return LMNIC_LOADE_RECORD_BAD;
            }
            im->sec[arg] = pl;
            im->sec_rec[arg] = idx;
            break;
        case LMNIC_REC_CONN_SLOTS:
            if ((uint64_t)arg * sizeof(struct lmnic_img_slot) != len) {
                return LMNIC_LOADE_RECORD_BAD;
            }
            cs.rec = idx;
            cs.n = arg;
            cs.slot = (const void *)pl;
            g_array_append_val(im->slots, cs);
            break;
        case LMNIC_REC_VPORT_HDR:
            return LMNIC_LOADE_RECORD_BAD;  /* exactly once */
        default:
            if (!(flags & LMNIC_RECF_OPTIONAL)) {
                return LMNIC_LOADE_RECORD_BAD;
            }
            break;
        }
    }
    im->records = idx;

    *rec = idx;
    for (i = 0; i < lmnic_layout1_len; i++) {
        e = &lmnic_layout1[i];
        if (!(e->flags & LMNIC_SECF_HOST) && !im->sec[e->type]) {
            return LMNIC_LOADE_MISSING;
        }
    }
    return 0;
}

/*
 * The values of the sections the datapath uses as the commands that set
 * them check them: CONFIG as SET_CONFIG, QUEUES as QUEUE_CREATE, RSS as
 * SET_RSS. 0 or LMNIC_LOADE_VALUE, the section's record in *REC.
 */
static unsigned lmnic_mig_check_values(const LmnicMigImage *im, uint32_t *rec)
{
    bool enabled = le32_to_cpu(im->hdr->state) & LMNIC_VPS_ENABLED;

    *rec = im->sec_rec[LMNIC_SEC_CONFIG];
    if (!lmnic_config_ok((const void *)im->sec[LMNIC_SEC_CONFIG], enabled)) {
        return LMNIC_LOADE_VALUE;
    }
    *rec = im->sec_rec[LMNIC_SEC_QUEUES];
    if (!lmnic_queues_ok((const void *)im->sec[LMNIC_SEC_QUEUES])) {
        return LMNIC_LOADE_VALUE;
    }
    *rec = im->sec_rec[LMNIC_SEC_RSS];
    if (!lmnic_rss_ok((const void *)im->sec[LMNIC_SEC_RSS])) {
        return LMNIC_LOADE_VALUE;
    }
    return 0;
}

/* The connection table of an image: 0 or LMNIC_LOADE_*. */
static unsigned lmnic_mig_check_conn(LmnicState *s, LmnicMigImage *im,
                                     uint32_t *rec)
{
    const struct lmnic_sm_conn_hdr *h = (const void *)im->sec[LMNIC_SEC_CONN];
    uint32_t limit = le32_to_cpu(h->limit);
    uint32_t valid = 0, tomb = 0, i, j;
    g_autofree unsigned long *ids = NULL;
    int64_t prev = -1;

    *rec = im->sec_rec[LMNIC_SEC_CONN];
    if (le32_to_cpu(h->capacity) != s->conn_capacity || !limit ||
        limit > s->conn_capacity) {
        return LMNIC_LOADE_SIZE;
    }
    ids = bitmap_new(limit);
    for (i = 0; i < im->slots->len; i++) {
        const LmnicMigSlots *cs = &g_array_index(im->slots, LmnicMigSlots, i);

        *rec = cs->rec;
        for (j = 0; j < cs->n; j++) {
            const struct lmnic_img_slot *is = &cs->slot[j];
            uint32_t slot = le32_to_cpu(is->slot);
            uint32_t id = le32_to_cpu(is->conn.id);
            uint16_t flags = le16_to_cpu(is->conn.flags);

            if ((int64_t)slot <= prev || slot >= s->conn_capacity) {
                return LMNIC_LOADE_SLOT;
            }
            prev = slot;
            if (flags == LMNIC_CONNF_TOMB) {
                tomb++;
                continue;
            }
            if (flags != LMNIC_CONNF_VALID || id >= limit ||
                test_and_set_bit(id, ids) ||
                lmnic_conn_check(&is->conn) != le32_to_cpu(is->conn.check)) {
                return LMNIC_LOADE_SLOT;
            }
            valid++;
        }
    }
    *rec = im->sec_rec[LMNIC_SEC_CONN];
    if (le32_to_cpu(h->count) != valid || le32_to_cpu(h->tombstones) != tomb) {
        return LMNIC_LOADE_SLOT;
    }
    im->num_slots = valid + tomb;
    return 0;
}

/*
 * The connection table of a DELTA image on vport V's table as it is:
 * 0 or LMNIC_LOADE_*. Each slot of the image replaces the slot there, or
 * empties it (flags 0); the table that results must be whole: ids unique
 * and below the limit, counts as the image's table header says.
 */
static unsigned lmnic_mig_check_delta(LmnicState *s, unsigned v,
                                      LmnicMigImage *im, uint32_t *rec)
{
    const struct lmnic_sm_conn_hdr *h = (const void *)im->sec[LMNIC_SEC_CONN];
    const struct lmnic_sm_conn_hdr *ch =
        (const void *)(lmnic_vp_block(s, v) + LMNIC_SM_OFF_CONN);
    const struct lmnic_conn *t = lmnic_mig_table(s, v);
    const __le32 *index = (const void *)(lmnic_vp_block(s, v) +
                                         LMNIC_SM_OFF_CONN_INDEX);
    uint32_t limit = le32_to_cpu(h->limit), cur = le32_to_cpu(ch->limit);
    uint32_t valid = le32_to_cpu(ch->count);
    uint32_t tomb = le32_to_cpu(ch->tombstones), i, j, id;
    g_autofree unsigned long *ids = NULL;
    int64_t prev = -1;

    *rec = im->sec_rec[LMNIC_SEC_CONN];
    if (le32_to_cpu(h->capacity) != s->conn_capacity || !limit ||
        limit > s->conn_capacity || cur > s->conn_capacity) {
        return LMNIC_LOADE_SIZE;
    }
    /* the ids in use now, less those of the slots the image replaces */
    ids = bitmap_new(s->conn_capacity);
    for (id = 0; id < cur; id++) {
        if (le32_to_cpu(index[id])) {
            set_bit(id, ids);
        }
    }
    for (i = 0; i < im->slots->len; i++) {
        const LmnicMigSlots *cs = &g_array_index(im->slots, LmnicMigSlots, i);

        *rec = cs->rec;
        for (j = 0; j < cs->n; j++) {
            uint32_t slot = le32_to_cpu(cs->slot[j].slot);
            uint16_t old;

            if ((int64_t)slot <= prev || slot >= s->conn_capacity) {
                return LMNIC_LOADE_SLOT;
            }
            prev = slot;
            old = le16_to_cpu(t[slot].flags);
            if (old == LMNIC_CONNF_VALID) {
                if (le32_to_cpu(t[slot].id) < s->conn_capacity) {
                    clear_bit(le32_to_cpu(t[slot].id), ids);
                }
                valid--;
            } else if (old == LMNIC_CONNF_TOMB) {
                tomb--;
            }
        }
    }
    /* then theirs */
    for (i = 0; i < im->slots->len; i++) {
        const LmnicMigSlots *cs = &g_array_index(im->slots, LmnicMigSlots, i);

        *rec = cs->rec;
        for (j = 0; j < cs->n; j++) {
            const struct lmnic_conn *c = &cs->slot[j].conn;
            uint16_t flags = le16_to_cpu(c->flags);

            id = le32_to_cpu(c->id);
            if (!flags) {
                if (!buffer_is_zero(c, sizeof(*c))) {
                    return LMNIC_LOADE_SLOT;
                }
            } else if (flags == LMNIC_CONNF_TOMB) {
                tomb++;
            } else if (flags != LMNIC_CONNF_VALID || id >= limit ||
                       test_and_set_bit(id, ids) ||
                       lmnic_conn_check(c) != le32_to_cpu(c->check)) {
                return LMNIC_LOADE_SLOT;
            } else {
                valid++;
            }
        }
    }
    *rec = im->sec_rec[LMNIC_SEC_CONN];
    if (le32_to_cpu(h->count) != valid || le32_to_cpu(h->tombstones) != tomb ||
        find_next_bit(ids, s->conn_capacity, limit) < s->conn_capacity) {
        return LMNIC_LOADE_SLOT;
    }
    im->num_slots = valid + tomb;
    return 0;
}

/* The fixed part of a checked image into vport V's block. */
static void lmnic_mig_apply_fixed(LmnicState *s, unsigned v,
                                  const LmnicMigImage *im)
{
    uint8_t *blk = lmnic_vp_block(s, v);
    g_autofree uint8_t *fixed = g_malloc0(LMNIC_SM_FIXED_END);
    struct lmnic_sm_vport_hdr *h = (void *)fixed;
    unsigned i;

    /* the header as the image has it, but this vport's index and state */
    *h = *im->hdr;
    h->vport = lmnic_mig_hdr(s, v)->vport;
    h->state = cpu_to_le32((le32_to_cpu(im->hdr->state) & LMNIC_VPS_ENABLED) |
                           LMNIC_VPS_QUIESCED);
    for (i = 0; i < lmnic_layout1_len; i++) {
        const struct lmnic_sm_layout_entry *e = &lmnic_layout1[i];

        memcpy(fixed + e->offset, (e->flags & LMNIC_SECF_HOST) ?
               blk + e->offset : im->sec[e->type], e->size);
    }
    memcpy(blk, fixed, LMNIC_SM_FIXED_END);
}

/*
 * Write a checked image into vport V's block; a delta's slots in place of
 * those it names, and in the region the entries of the ids it changed.
 */
static void lmnic_mig_apply(LmnicState *s, unsigned v,
                            const LmnicMigImage *im, bool delta)
{
    g_autoptr(GArray) touched = NULL;
    unsigned i, j;

    lmnic_mig_apply_fixed(s, v, im);
    if (delta) {
        touched = g_array_new(false, false, sizeof(uint32_t));
    } else {
        lmnic_conn_load_begin(s, v);
    }
    for (i = 0; i < im->slots->len; i++) {
        const LmnicMigSlots *cs = &g_array_index(im->slots, LmnicMigSlots, i);

        for (j = 0; j < cs->n; j++) {
            lmnic_conn_load_slot(s, v, le32_to_cpu(cs->slot[j].slot),
                                 &cs->slot[j].conn, delta, touched);
        }
    }
    lmnic_conn_load_end(s, v, touched);
}

static uint16_t lmnic_mig_refuse(struct lmnic_aq_desc *d, unsigned why,
                                 uint32_t rec)
{
    d->p.mig.detail = cpu_to_le32(FIELD_PREP(LMNIC_LOADE_REASON, why) |
                                  FIELD_PREP(LMNIC_LOADE_RECORD, rec));
    return why == LMNIC_LOADE_LAYOUT ? LMNIC_AQS_EVERSION :
                                       LMNIC_AQS_EBADIMAGE;
}

/* LOAD: the image in IMG, read from the host; check all of it, then apply */
static uint16_t lmnic_mig_load_buf(LmnicState *s, unsigned v,
                                   struct lmnic_aq_desc *d, LmnicMigIo *io,
                                   uint8_t *img, uint64_t size)
{
    bool delta = d->p.mig.flags & LMNIC_MIGF_DELTA;
    uint8_t digest[LMNIC_SHA256_LEN];
    LmnicMigImage im = { 0 };
    LmnicSha256 sum;
    uint32_t rec = 0;
    unsigned why;

    lmnic_mig_dma(io, img, size, DMA_DIRECTION_TO_DEVICE);
    if (io->failed) {
        return LMNIC_AQS_EIO;
    }

    /* each record first, so that a damaged one is named; then the whole */
    im.slots = g_array_new(false, false, sizeof(LmnicMigSlots));
    why = lmnic_mig_walk(s, img, size, &im, &rec);
    if (!why) {
        lmnic_sha256_init(&sum, true);
        lmnic_sha256_update(&sum, img, size);
        lmnic_sha256_final(&sum, digest);
        if (memcmp(digest, io->sha256, sizeof(digest))) {
            why = LMNIC_LOADE_DIGEST;
            rec = 0;
        }
    }
    if (!why) {
        why = lmnic_mig_check_values(&im, &rec);
    }
    if (!why) {
        why = delta ? lmnic_mig_check_delta(s, v, &im, &rec) :
                      lmnic_mig_check_conn(s, &im, &rec);
    }
    if (why) {
        g_array_free(im.slots, true);
        return lmnic_mig_refuse(d, why, rec);
    }
    lmnic_mig_apply(s, v, &im, delta);
    s->mig_base[v] = true;
    if (s->mig_snap[v]) {
        /* a pre-copy of this vport compares with the table as it is now */
        s->mig_snap[v]->have_delta = false;
    }
    d->p.mig.num_records = cpu_to_le32(im.records);
    d->p.mig.slots = cpu_to_le32(im.num_slots);
    g_array_free(im.slots, true);
    return LMNIC_AQS_OK;
}

static uint16_t lmnic_mig_load_image(LmnicState *s, unsigned v,
                                     struct lmnic_aq_desc *d, uint64_t size)
{
    LmnicMigIo io;
    uint8_t *img;
    uint16_t st;

    st = lmnic_mig_dir(s, d, &io);
    if (st) {
        return st;
    }
    if (!size || size > lmnic_img_max_size(s->conn_capacity)) {
        return lmnic_mig_refuse(d, LMNIC_LOADE_SIZE, 0);
    }
    if (((uint64_t)io.num_chunks << io.shift) < size) {
        return LMNIC_AQS_EINVAL;
    }
    /* the adapter's staging memory: in huge pages where the host has them */
    img = qemu_try_memalign(QEMU_VMALLOC_ALIGN, size);
    if (!img) {
        return LMNIC_AQS_ENOSPC;
    }
    qemu_madvise(img, size, QEMU_MADV_HUGEPAGE);
    st = lmnic_mig_load_buf(s, v, d, &io, img, size);
    qemu_vfree(img);
    return st;
}

static uint16_t lmnic_mig_load(LmnicState *s, unsigned v,
                               struct lmnic_aq_desc *d)
{
    uint64_t size = le64_to_cpu(d->p.mig.image_size);
    uint32_t detail;
    uint16_t st;

    if (!lmnic_vp_quiesced(s, v)) {
        return LMNIC_AQS_EBUSY;
    }
    d->p.mig.detail = 0;
    if (d->p.mig.flags & ~LMNIC_MIGF_DELTA) {
        return LMNIC_AQS_EINVAL;
    }
    if ((d->p.mig.flags & LMNIC_MIGF_DELTA) && !s->mig_base[v]) {
        return lmnic_mig_refuse(d, LMNIC_LOADE_NO_BASE, 0);
    }
    st = lmnic_mig_load_image(s, v, d, size);
    detail = le32_to_cpu(d->p.mig.detail);
    trace_lmnic_mig_load(v, size, st, FIELD_GET(LMNIC_LOADE_REASON, detail),
                         FIELD_GET(LMNIC_LOADE_RECORD, detail));
    return st;
}

/* ---- RESUME, DIGEST ----------------------------------------------------- */

static uint16_t lmnic_mig_resume(LmnicState *s, unsigned v)
{
    lmnic_mig_hdr(s, v)->state &= ~cpu_to_le32(LMNIC_VPS_QUIESCED);
    lmnic_mig_vp_reset(s, v);
    trace_lmnic_mig_resume(v);
    lmnic_vp_restart(s, v);
    return LMNIC_AQS_OK;
}

static void lmnic_mig_sum_zeroes(LmnicSha256 *sum, uint64_t len)
{
    static const uint8_t zeroes[4096];

    while (len) {
        uint64_t n = MIN(len, sizeof(zeroes));

        lmnic_sha256_update(sum, zeroes, n);
        len -= n;
    }
}

/*
 * SHA-256 of vport V's whole block with its HOST sections and the header's
 * vport and state read as zeroes, fed in place.
 */
static uint16_t lmnic_mig_digest(LmnicState *s, unsigned v,
                                 struct lmnic_aq_desc *d)
{
    const uint8_t *blk = lmnic_vp_block(s, v);
    struct lmnic_sm_vport_hdr h = *lmnic_mig_hdr(s, v);
    uint64_t off = sizeof(h);
    LmnicSha256 sum;
    unsigned i;

    lmnic_sha256_init(&sum, true);
    h.vport = 0;
    h.state = 0;
    lmnic_sha256_update(&sum, &h, sizeof(h));
    for (i = 0; i < lmnic_layout1_len; i++) {
        const struct lmnic_sm_layout_entry *e = &lmnic_layout1[i];

        if (e->flags & LMNIC_SECF_HOST) {
            lmnic_sha256_update(&sum, blk + off, e->offset - off);
            lmnic_mig_sum_zeroes(&sum, e->size);
            off = e->offset + e->size;
        }
    }
    lmnic_sha256_update(&sum, blk + off, s->vport_block - off);
    memset(d->p.raw, 0, sizeof(d->p.raw));
    lmnic_sha256_final(&sum, d->p.raw);
    trace_lmnic_mig_digest(v);
    return LMNIC_AQS_OK;
}

uint16_t lmnic_mig_aq(LmnicState *s, unsigned v, struct lmnic_aq_desc *d)
{
    switch (le16_to_cpu(d->opcode)) {
    case LMNIC_AQ_QUIESCE:
        return lmnic_mig_quiesce(s, v, d);
    case LMNIC_AQ_SAVE:
        return lmnic_mig_save(s, v, d);
    case LMNIC_AQ_LOAD:
        return lmnic_mig_load(s, v, d);
    case LMNIC_AQ_RESUME:
        return lmnic_mig_resume(s, v);
    case LMNIC_AQ_DIGEST:
        return lmnic_mig_digest(s, v, d);
    }
    return LMNIC_AQS_EOPNOTSUPP;
}
