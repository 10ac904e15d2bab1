/*
 * lmnic PCIe network adapter: registers, admin queue, vports and datapath
 *
 * Every vport's configuration, filters, RSS table, queue contexts and
 * counters live in its block of state memory (BAR2) and the datapath uses
 * them there: the block is the vport's hardware state.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "qemu/log.h"
#include "qemu/madvise.h"
#include "qemu/units.h"
#include "qapi/error.h"
#include "hw/pci/msix.h"
#include "net/eth.h"
#include "sysemu/dma.h"
#include "trace.h"

#include "lmnic_core.h"

/* ---- state memory ---------------------------------------------------- */

#define LMNIC_STATE_SIZE_MIN    (4 * MiB)

const struct lmnic_sm_layout_entry lmnic_layout1[] = LMNIC_SM_LAYOUT1;
const unsigned lmnic_layout1_len = ARRAY_SIZE(lmnic_layout1);

uint8_t *lmnic_vp_block(LmnicState *s, unsigned v)
{
    return s->state_mem + LMNIC_SM_VPORT_BASE + (uint64_t)v * s->vport_block;
}

static struct lmnic_sm_vport_hdr *lmnic_vp_hdr(LmnicState *s, unsigned v)
{
    return (struct lmnic_sm_vport_hdr *)lmnic_vp_block(s, v);
}

static struct lmnic_sm_config *lmnic_vp_cfg(LmnicState *s, unsigned v)
{
    return (void *)(lmnic_vp_block(s, v) + LMNIC_SM_OFF_CONFIG);
}

static struct lmnic_mac_filter *lmnic_vp_filters(LmnicState *s, unsigned v)
{
    return (void *)(lmnic_vp_block(s, v) + LMNIC_SM_OFF_MAC_FILTERS);
}

static uint8_t *lmnic_vp_vlan(LmnicState *s, unsigned v)
{
    return lmnic_vp_block(s, v) + LMNIC_SM_OFF_VLAN;
}

static struct lmnic_sm_rss *lmnic_vp_rss(LmnicState *s, unsigned v)
{
    return (void *)(lmnic_vp_block(s, v) + LMNIC_SM_OFF_RSS);
}

static struct lmnic_sm_queue *lmnic_vp_q(LmnicState *s, unsigned v,
                                         unsigned qp)
{
    return (struct lmnic_sm_queue *)(lmnic_vp_block(s, v) +
                                     LMNIC_SM_OFF_QUEUES) + qp;
}

static struct lmnic_sm_queue_host *lmnic_vp_qh(LmnicState *s, unsigned v,
                                               unsigned qp)
{
    return (struct lmnic_sm_queue_host *)(lmnic_vp_block(s, v) +
                                          LMNIC_SM_OFF_QUEUES_HOST) + qp;
}

struct lmnic_sm_counters *lmnic_vp_cnt(LmnicState *s, unsigned v)
{
    return (void *)(lmnic_vp_block(s, v) + LMNIC_SM_OFF_COUNTERS);
}

struct lmnic_sm_adapter *lmnic_adapter_blk(LmnicState *s)
{
    return (struct lmnic_sm_adapter *)s->state_mem;
}

static void lmnic_cnt_add(__le64 *c, uint64_t n)
{
    *c = cpu_to_le64(le64_to_cpu(*c) + n);
}

bool lmnic_vp_enabled(LmnicState *s, unsigned v)
{
    return le32_to_cpu(lmnic_vp_hdr(s, v)->state) & LMNIC_VPS_ENABLED;
}

/* Stopped for migration: nothing but the driver changes its block. */
bool lmnic_vp_quiesced(LmnicState *s, unsigned v)
{
    return le32_to_cpu(lmnic_vp_hdr(s, v)->state) & LMNIC_VPS_QUIESCED;
}

static void lmnic_vp_bump(LmnicState *s, unsigned v)
{
    struct lmnic_sm_vport_hdr *h = lmnic_vp_hdr(s, v);

    h->generation = cpu_to_le32(le32_to_cpu(h->generation) + 1);
}

static void lmnic_section(struct lmnic_sm_vport_hdr *h, unsigned i,
                          uint16_t type, uint16_t flags, uint32_t off,
                          uint32_t size)
{
    h->sections[i].type = cpu_to_le16(type);
    h->sections[i].flags = cpu_to_le16(flags);
    h->sections[i].offset = cpu_to_le32(off);
    h->sections[i].size = cpu_to_le32(size);
}

/* The section table of this adapter's vport blocks, into H. */
void lmnic_vp_sections(LmnicState *s, struct lmnic_sm_vport_hdr *h)
{
    unsigned i;

    memset(h->sections, 0, sizeof(h->sections));
    for (i = 0; i < ARRAY_SIZE(lmnic_layout1); i++) {
        lmnic_section(h, i, lmnic_layout1[i].type, lmnic_layout1[i].flags,
                      lmnic_layout1[i].offset, lmnic_layout1[i].size);
    }
    lmnic_section(h, i++, LMNIC_SEC_CONN_INDEX, 0, LMNIC_SM_OFF_CONN_INDEX,
                  s->conn_capacity * 4);
    lmnic_section(h, i++, LMNIC_SEC_CONN_TABLE, 0,
                  lmnic_sm_conn_table_off(s->conn_capacity),
                  s->conn_capacity * sizeof(struct lmnic_conn));
    h->num_sections = cpu_to_le16(i);
}

/* Power-on state of a vport's block: a header, empty sections. */
static void lmnic_vp_init(LmnicState *s, unsigned v)
{
    struct lmnic_sm_vport_hdr *h = lmnic_vp_hdr(s, v);
    struct lmnic_sm_config *cfg = lmnic_vp_cfg(s, v);

    memset(lmnic_vp_block(s, v), 0, LMNIC_SM_FIXED_END);
    h->magic = cpu_to_le32(LMNIC_SM_VPORT_MAGIC);
    h->layout = cpu_to_le16(LMNIC_LAYOUT_VERSION);
    h->block_size = cpu_to_le32(s->vport_block);
    h->vport = cpu_to_le16(v);
    lmnic_vp_sections(s, h);
    cfg->mtu = cpu_to_le16(1500);
    cfg->num_qp = cpu_to_le16(1);
    lmnic_conn_vp_init(s, v);
    lmnic_mig_vp_reset(s, v);
}

/* ---- interrupts -------------------------------------------------------- */

static void lmnic_vec_fire(LmnicState *s, unsigned n)
{
    LmnicVector *vec = &s->vec[n];

    vec->pending = false;
    vec->masked = true;
    vec->last_ns = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
    trace_lmnic_irq(n);
    msix_notify(PCI_DEVICE(s), n);
}

/* Send vector N now, or as soon as its mask and moderation allow. */
void lmnic_vec_raise(LmnicState *s, unsigned n)
{
    LmnicVector *vec;
    int64_t due;

    if (n >= LMNIC_MSIX_VECTORS) {
        return;
    }
    vec = &s->vec[n];
    vec->pending = true;
    if (vec->masked) {
        return;
    }
    due = vec->last_ns + (int64_t)vec->itr_us * 1000;
    if (vec->itr_us && qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL) < due) {
        if (!timer_pending(vec->timer)) {
            timer_mod(vec->timer, due);
        }
        return;
    }
    lmnic_vec_fire(s, n);
}

static void lmnic_vec_timer(void *opaque)
{
    LmnicVector *vec = opaque;

    if (vec->pending && !vec->masked) {
        lmnic_vec_fire(vec->s, vec->n);
    }
}

static void lmnic_vec_enable(LmnicState *s, unsigned n)
{
    s->vec[n].masked = false;
    if (s->vec[n].pending) {
        lmnic_vec_raise(s, n);
    }
}

/* ---- queue pairs --------------------------------------------------------- */

static bool lmnic_ring_size_ok(uint16_t size)
{
    return is_power_of_2(size) && size >= LMNIC_RING_MIN &&
           size <= LMNIC_RING_MAX;
}

/* The portable context of a queue pair, as QUEUE_CREATE accepts it. */
static bool lmnic_queue_ok(uint16_t tx_size, uint16_t rx_size,
                           uint16_t rx_buf_len)
{
    return lmnic_ring_size_ok(tx_size) && lmnic_ring_size_ok(rx_size) &&
           rx_buf_len >= LMNIC_RX_BUF_MIN && rx_buf_len <= LMNIC_RX_BUF_MAX;
}

/* A QUEUES section an image brings: every entry enabled and valid, or 0s. */
bool lmnic_queues_ok(const struct lmnic_sm_queue *q)
{
    static const struct lmnic_sm_queue off;
    unsigned qp;

    for (qp = 0; qp < LMNIC_MAX_QP; qp++) {
        if (le16_to_cpu(q[qp].flags) == LMNIC_QF_ENABLED &&
            !q[qp].rsvd[0] && !q[qp].rsvd[1] &&
            lmnic_queue_ok(le16_to_cpu(q[qp].tx_size),
                           le16_to_cpu(q[qp].rx_size),
                           le16_to_cpu(q[qp].rx_buf_len))) {
            continue;
        }
        if (memcmp(&q[qp], &off, sizeof(off))) {
            return false;
        }
    }
    return true;
}

/*
 * One ring of a queue pair as the datapath may use it now: its size and
 * indices from the block, bounded. False if the queue pair is not enabled
 * or its context is not one QUEUE_CREATE and the doorbells would leave.
 */
typedef struct LmnicRing {
    dma_addr_t base;
    uint16_t size;
    uint16_t head;
    uint16_t tail;
} LmnicRing;

static bool lmnic_ring(LmnicState *s, unsigned v, unsigned qp, bool rx,
                       LmnicRing *r)
{
    struct lmnic_sm_queue *q = lmnic_vp_q(s, v, qp);
    struct lmnic_sm_queue_host *qh = lmnic_vp_qh(s, v, qp);

    if (!(le16_to_cpu(q->flags) & LMNIC_QF_ENABLED)) {
        return false;
    }
    r->size = le16_to_cpu(rx ? q->rx_size : q->tx_size);
    r->base = le64_to_cpu(rx ? qh->rx_base : qh->tx_base);
    r->head = le16_to_cpu(rx ? qh->rx_head : qh->tx_head);
    r->tail = le16_to_cpu(rx ? qh->rx_tail : qh->tx_tail);
    if (!lmnic_ring_size_ok(r->size) || r->head >= r->size ||
        r->tail >= r->size) {
        qemu_log_mask(LOG_GUEST_ERROR, "lmnic: vport %u qp %u: %s ring "
                      "context not usable (size %u, head %u, tail %u)\n",
                      v, qp, rx ? "RX" : "TX", r->size, r->head, r->tail);
        return false;
    }
    return true;
}

/* The interrupt of a queue pair: its own vector, never the admin one. */
static void lmnic_qp_irq(LmnicState *s, unsigned v, unsigned qp)
{
    unsigned n = le16_to_cpu(lmnic_vp_qh(s, v, qp)->vector);

    if (n != LMNIC_VEC_ADMIN) {
        lmnic_vec_raise(s, n);
    }
}

/* ---- datapath: receive ------------------------------------------------- */

static void lmnic_parse(const uint8_t *buf, size_t len, LmnicFrameInfo *fi)
{
    size_t off = ETH_HLEN;

    memset(fi, 0, sizeof(*fi));
    fi->ethertype = lduw_be_p(buf + 12);
    if (fi->ethertype == ETH_P_VLAN && len >= ETH_HLEN + 4) {
        fi->has_vlan = true;
        fi->vlan_tci = lduw_be_p(buf + 14);
        fi->ethertype = lduw_be_p(buf + 16);
        off += 4;
    }
    fi->l3_off = off;
    if (fi->ethertype == ETH_P_IP && len >= off + 20) {
        const uint8_t *ip = buf + off;
        size_t ihl = (ip[0] & 0xf) * 4;
        size_t tot = lduw_be_p(ip + 2);

        fi->ipv4 = true;
        if ((ip[0] >> 4) != 4 || ihl < 20 || tot < ihl || off + tot > len) {
            return;
        }
        if (lduw_be_p(ip + 6) & 0x3fff) {
            return; /* a fragment */
        }
        if (ip[9] == IP_PROTO_TCP || ip[9] == IP_PROTO_UDP) {
            fi->l4_proto = ip[9];
            fi->l4_off = off + ihl;
            fi->l4_len = tot - ihl;
        }
    } else if (fi->ethertype == ETH_P_IPV6 && len >= off + 40) {
        const uint8_t *ip = buf + off;
        size_t plen = lduw_be_p(ip + 4);

        fi->ipv6 = true;
        if (off + 40 + plen > len) {
            return;
        }
        if (ip[6] == IP_PROTO_TCP || ip[6] == IP_PROTO_UDP) {
            fi->l4_proto = ip[6];
            fi->l4_off = off + 40;
            fi->l4_len = plen;
        }
    }
    if (fi->l4_proto == IP_PROTO_TCP && fi->l4_len < 20) {
        fi->l4_proto = 0;
    } else if (fi->l4_proto == IP_PROTO_UDP && fi->l4_len < 8) {
        fi->l4_proto = 0;
    }
}

static uint32_t lmnic_csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
    size_t i;

    for (i = 0; i + 1 < len; i += 2) {
        sum += lduw_be_p(p + i);
    }
    if (len & 1) {
        sum += p[len - 1] << 8;
    }
    return sum;
}

static uint16_t lmnic_csum_fold(uint32_t sum)
{
    while (sum >> 16) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    return sum;
}

/* Does the TCP/UDP checksum of the frame verify? */
static bool lmnic_l4_csum_ok(const uint8_t *buf, const LmnicFrameInfo *fi)
{
    const uint8_t *ip = buf + fi->l3_off;
    uint32_t sum = fi->l4_proto + fi->l4_len;

    if (fi->l4_proto == IP_PROTO_UDP && !lduw_be_p(buf + fi->l4_off + 6)) {
        return true; /* no checksum */
    }
    if (fi->ipv6) {
        sum = lmnic_csum_add(sum, ip + 8, 32);
    } else {
        sum = lmnic_csum_add(sum, ip + 12, 8);
    }
    sum = lmnic_csum_add(sum, buf + fi->l4_off, fi->l4_len);
    return lmnic_csum_fold(sum) == 0xffff;
}

static uint32_t lmnic_toeplitz(const uint8_t *key, const uint8_t *in,
                               size_t len)
{
    uint32_t hash = 0;
    uint32_t window = ldl_be_p(key);
    size_t i;
    int b;

    for (i = 0; i < len; i++) {
        for (b = 7; b >= 0; b--) {
            if (in[i] & (1 << b)) {
                hash ^= window;
            }
            window <<= 1;
            if (i + 4 < LMNIC_RSS_KEY_SIZE &&
                (key[i + 4] & (1 << b))) {
                window |= 1;
            }
        }
    }
    return hash;
}

/* RSS: pick the queue pair; report the hash in *hash, 0 if none. */
static unsigned lmnic_rss(LmnicState *s, unsigned v, const uint8_t *buf,
                          const LmnicFrameInfo *fi, uint32_t *hash,
                          bool *l4)
{
    struct lmnic_sm_config *cfg = lmnic_vp_cfg(s, v);
    struct lmnic_sm_rss *rss = lmnic_vp_rss(s, v);
    uint32_t types = le32_to_cpu(rss->hash_types);
    unsigned nqp = le16_to_cpu(cfg->num_qp);
    uint8_t in[36];
    size_t n = 0;
    const uint8_t *ip = buf + fi->l3_off;
    bool use_l4 = false;
    bool tcp = fi->l4_proto == IP_PROTO_TCP;
    bool udp = fi->l4_proto == IP_PROTO_UDP;

    *hash = 0;
    *l4 = false;
    if (!(le32_to_cpu(cfg->flags) & LMNIC_VPF_RSS) || !nqp) {
        return 0;
    }
    if (fi->ipv4 && (types & LMNIC_RSS_HASH_IPV4)) {
        memcpy(in, ip + 12, 8);
        n = 8;
        use_l4 = (tcp && (types & LMNIC_RSS_HASH_TCP4)) ||
                 (udp && (types & LMNIC_RSS_HASH_UDP4));
    } else if (fi->ipv6 && (types & LMNIC_RSS_HASH_IPV6)) {
        memcpy(in, ip + 8, 32);
        n = 32;
        use_l4 = (tcp && (types & LMNIC_RSS_HASH_TCP6)) ||
                 (udp && (types & LMNIC_RSS_HASH_UDP6));
    }
    if (!n) {
        return 0;
    }
    if (use_l4) {
        memcpy(in + n, buf + fi->l4_off, 4);
        n += 4;
    }
    *hash = lmnic_toeplitz(rss->key, in, n);
    *l4 = use_l4;
    return rss->table[*hash % LMNIC_RSS_TABLE_SIZE] % MIN(nqp, LMNIC_MAX_QP);
}

static bool lmnic_mac_listed(LmnicState *s, unsigned v, const uint8_t *mac)
{
    struct lmnic_mac_filter *f = lmnic_vp_filters(s, v);
    unsigned n = MIN(le16_to_cpu(lmnic_vp_cfg(s, v)->num_filters),
                     LMNIC_MAX_MAC_FILTERS);
    unsigned i;

    for (i = 0; i < n; i++) {
        if ((le16_to_cpu(f[i].flags) & LMNIC_MACF_VALID) &&
            !memcmp(f[i].addr, mac, 6)) {
            return true;
        }
    }
    return false;
}

/* Does vport V's filter take a frame for DST? */
static bool lmnic_vp_accepts(LmnicState *s, unsigned v, const uint8_t *dst)
{
    struct lmnic_sm_config *cfg = lmnic_vp_cfg(s, v);
    uint32_t flags = le32_to_cpu(cfg->flags);

    if (!lmnic_vp_enabled(s, v)) {
        return false;
    }
    if (flags & LMNIC_VPF_PROMISC) {
        return true;
    }
    if (is_broadcast_ether_addr(dst)) {
        return flags & LMNIC_VPF_BROADCAST;
    }
    if (is_multicast_ether_addr(dst)) {
        return (flags & LMNIC_VPF_ALLMULTI) || lmnic_mac_listed(s, v, dst);
    }
    return !memcmp(cfg->mac, dst, 6) || lmnic_mac_listed(s, v, dst);
}

enum { LMNIC_RX_DONE, LMNIC_RX_DROPPED, LMNIC_RX_NOBUF };

/* Land one frame in vport V: filter, pick a queue, DMA, complete. */
static int lmnic_vp_rx(LmnicState *s, unsigned v, const uint8_t *buf,
                       size_t len)
{
    PCIDevice *pdev = PCI_DEVICE(s);
    struct lmnic_sm_config *cfg = lmnic_vp_cfg(s, v);
    struct lmnic_sm_counters *cnt = lmnic_vp_cnt(s, v);
    uint32_t flags = le32_to_cpu(cfg->flags);
    struct lmnic_sm_queue_host *qh;
    struct lmnic_rx_desc d;
    struct lmnic_rx_cmpl c = { 0 };
    LmnicFrameInfo fi;
    LmnicConnHit hit = { 0 };
    bool matched;
    uint16_t cflags = LMNIC_RXC_DD;
    LmnicRing ring;
    size_t hdr;
    uint32_t hash;
    unsigned qp;
    bool l4;
    dma_addr_t slot;

    lmnic_parse(buf, len, &fi);
    hdr = fi.has_vlan ? ETH_HLEN + 4 : ETH_HLEN;
    if (len > hdr + le16_to_cpu(cfg->mtu)) {
        lmnic_cnt_add(&cnt->rx_oversize, 1);
        return LMNIC_RX_DROPPED;
    }
    if (fi.has_vlan && (flags & LMNIC_VPF_VLAN_FILTER)) {
        unsigned vid = fi.vlan_tci & 0xfff;

        if (!(lmnic_vp_vlan(s, v)[vid / 8] & (1 << (vid % 8)))) {
            lmnic_cnt_add(&cnt->rx_vlan_drop, 1);
            return LMNIC_RX_DROPPED;
        }
    }

    matched = lmnic_conn_lookup(s, v, buf, len, &fi, &hit);
    if (matched && (hit.actions & LMNIC_CONN_ACT_DROP)) {
        lmnic_cnt_add(&cnt->rx_conn_drop, 1);
        return LMNIC_RX_DROPPED;
    }
    qp = lmnic_rss(s, v, buf, &fi, &hash, &l4);
    if (matched && (hit.actions & LMNIC_CONN_ACT_STEER) &&
        hit.queue < MIN(le16_to_cpu(cfg->num_qp), LMNIC_MAX_QP)) {
        qp = hit.queue;
    }
    if (s->qfault[v] & (1u << qp)) {
        return LMNIC_RX_DROPPED;    /* the queue stopped at its DMA fault */
    }
    qh = lmnic_vp_qh(s, v, qp);
    if (!lmnic_ring(s, v, qp, true, &ring)) {
        lmnic_cnt_add(&cnt->q[qp].rx_no_buffer, 1);
        return LMNIC_RX_DROPPED;
    }
    if (ring.head == ring.tail) {
        return LMNIC_RX_NOBUF;
    }
    slot = ring.base + (dma_addr_t)ring.head * sizeof(d);
    if (pci_dma_read(pdev, slot, &d, sizeof(d)) != MEMTX_OK) {
        lmnic_cnt_add(&cnt->q[qp].rx_no_buffer, 1);
        return LMNIC_RX_DROPPED;
    }
    if (len > le16_to_cpu(d.buf_len)) {
        lmnic_cnt_add(&cnt->rx_oversize, 1);
        return LMNIC_RX_DROPPED;
    }
    if (pci_dma_write(pdev, le64_to_cpu(d.addr), buf, len) != MEMTX_OK) {
        lmnic_cnt_add(&cnt->q[qp].rx_no_buffer, 1);
        return LMNIC_RX_DROPPED;
    }

    if (fi.l4_proto && (flags & LMNIC_VPF_RX_CSUM)) {
        if (lmnic_l4_csum_ok(buf, &fi)) {
            cflags |= LMNIC_RXC_L4_CSUM_OK;
        } else {
            cflags |= LMNIC_RXC_L4_CSUM_BAD;
            lmnic_cnt_add(&cnt->rx_csum_bad, 1);
        }
    }
    if (hash) {
        cflags |= LMNIC_RXC_RSS_VALID | (l4 ? LMNIC_RXC_RSS_L4 : 0);
    }
    if (matched && (hit.actions & LMNIC_CONN_ACT_MARK)) {
        cflags |= LMNIC_RXC_MARK_VALID;
        c.mark = cpu_to_le32(hit.mark);
        lmnic_cnt_add(&cnt->rx_conn_mark, 1);
    }
    if (fi.has_vlan) {
        cflags |= LMNIC_RXC_VLAN;
        c.vlan_tci = cpu_to_le16(fi.vlan_tci);
    }
    c.rss_hash = cpu_to_le32(hash);
    c.len = cpu_to_le16(len);
    c.flags = cpu_to_le16(cflags);
    pci_dma_write(pdev, slot, &c, sizeof(c));

    qh->rx_head = cpu_to_le16((ring.head + 1) & (ring.size - 1));
    lmnic_cnt_add(&cnt->q[qp].rx_packets, 1);
    lmnic_cnt_add(&cnt->q[qp].rx_bytes, len);
    if (is_broadcast_ether_addr(buf)) {
        lmnic_cnt_add(&cnt->rx_broadcast, 1);
    } else if (is_multicast_ether_addr(buf)) {
        lmnic_cnt_add(&cnt->rx_multicast, 1);
    } else {
        lmnic_cnt_add(&cnt->rx_unicast, 1);
    }
    trace_lmnic_rx(v, qp, len);
    lmnic_qp_irq(s, v, qp);
    return LMNIC_RX_DONE;
}

/*
 * Switch a frame to the vports that take it. FROM is the sending vport, or
 * -1 for a frame from the physical port. Returns how many vports took it,
 * or -1 if a unicast frame's only taker had no buffer (the caller may hold
 * the frame and retry).
 */
static int lmnic_switch(LmnicState *s, int from, const uint8_t *buf,
                        size_t len)
{
    bool unicast = !is_multicast_ether_addr(buf);
    int taken = 0, nobuf = 0, held = 0;
    unsigned v;

    for (v = 0; v < s->num_vports; v++) {
        if ((int)v == from || !lmnic_vp_accepts(s, v, buf)) {
            continue;
        }
        if (lmnic_vp_quiesced(s, v)) {
            /* stopped for migration: its block must not change */
            lmnic_cnt_add(&lmnic_adapter_blk(s)->rx_quiesced, 1);
            held++;
        } else {
            switch (lmnic_vp_rx(s, v, buf, len)) {
            case LMNIC_RX_DONE:
                taken++;
                break;
            case LMNIC_RX_NOBUF:
                nobuf++;
                break;
            }
        }
        if (unicast && !(le32_to_cpu(lmnic_vp_cfg(s, v)->flags) &
                         LMNIC_VPF_PROMISC)) {
            break;
        }
    }
    if (!taken && nobuf && unicast) {
        return -1;
    }
    return taken + nobuf + held;
}

/* Was a frame from the port sent by one of this adapter's vports? */
static bool lmnic_own_source(LmnicState *s, const uint8_t *src)
{
    unsigned v;

    for (v = 0; v < s->num_vports; v++) {
        if (lmnic_vp_enabled(s, v) &&
            !memcmp(lmnic_vp_cfg(s, v)->mac, src, 6)) {
            return true;
        }
    }
    return false;
}

ssize_t lmnic_core_receive(LmnicState *s, const uint8_t *buf, size_t size)
{
    struct lmnic_sm_adapter *a = lmnic_adapter_blk(s);
    int n;

    if (!(s->status & LMNIC_STATUS_READY) || s->dead) {
        return size;
    }
    if (size < ETH_HLEN) {
        lmnic_cnt_add(&a->rx_runt, 1);
        return size;
    }
    if (lmnic_own_source(s, buf + 6)) {
        return size; /* our own frame, reflected by the segment */
    }
    n = lmnic_switch(s, -1, buf, size);
    if (n < 0) {
        return 0; /* held by QEMU until buffers are posted */
    }
    lmnic_cnt_add(&a->rx_wire, 1);
    if (n == 0) {
        lmnic_cnt_add(&a->rx_no_vport, 1);
        trace_lmnic_rx_no_vport(size);
    }
    return size;
}

/* ---- datapath: transmit ------------------------------------------------ */

static void lmnic_tx_frame(LmnicState *s, unsigned v, unsigned qp,
                           size_t len)
{
    struct lmnic_sm_counters *cnt = lmnic_vp_cnt(s, v);
    struct lmnic_sm_adapter *a = lmnic_adapter_blk(s);
    const uint8_t *buf = s->tx_frame;
    bool local = false;
    unsigned o;

    lmnic_cnt_add(&cnt->q[qp].tx_packets, 1);
    lmnic_cnt_add(&cnt->q[qp].tx_bytes, len);
    trace_lmnic_tx(v, qp, len);

    if (!is_multicast_ether_addr(buf)) {
        for (o = 0; o < s->num_vports; o++) {
            if (o != v && lmnic_vp_enabled(s, o) &&
                !memcmp(lmnic_vp_cfg(s, o)->mac, buf, 6)) {
                local = true;
                break;
            }
        }
    }
    if (lmnic_switch(s, v, buf, len) > 0) {
        lmnic_cnt_add(&cnt->tx_local, 1);
    }
    if (!local) {
        lmnic_cnt_add(&cnt->tx_wire, 1);
        lmnic_cnt_add(&a->tx_wire, 1);
        qemu_send_packet(qemu_get_queue(s->nic), buf, len);
    }
}

static void lmnic_tx_csum(uint8_t *buf, size_t len, unsigned start,
                          unsigned offset)
{
    uint16_t sum;

    if (start >= len || start + offset + 2 > len) {
        return;
    }
    sum = ~lmnic_csum_fold(lmnic_csum_add(0, buf + start, len - start));
    stw_be_p(buf + start + offset, sum);
}

/* Send every frame the driver made ready on vport V, queue pair QP. */
static void lmnic_tx_kick(LmnicState *s, unsigned v, unsigned qp)
{
    PCIDevice *pdev = PCI_DEVICE(s);
    struct lmnic_sm_queue_host *qh = lmnic_vp_qh(s, v, qp);
    struct lmnic_sm_counters *cnt = lmnic_vp_cnt(s, v);
    struct lmnic_tx_desc d, first = { 0 };
    size_t len = 0;
    bool bad = false, sent = false;
    unsigned ndesc = 0;
    uint16_t size, head, tail;
    dma_addr_t base;
    LmnicRing ring;

    if ((s->qfault[v] | s->txhang[v]) & (1u << qp)) {
        return;     /* stopped by a DMA fault, or hung */
    }
    if (!lmnic_ring(s, v, qp, false, &ring)) {
        return;
    }
    size = ring.size;
    head = ring.head;
    tail = ring.tail;
    base = ring.base;

    while (head != tail) {
        dma_addr_t slot = base + (dma_addr_t)head * sizeof(d);
        uint16_t flags, dlen;

        if (pci_dma_read(pdev, slot, &d, sizeof(d)) != MEMTX_OK) {
            qemu_log_mask(LOG_GUEST_ERROR, "lmnic: vport %u qp %u: TX ring "
                          "not readable\n", v, qp);
            lmnic_cnt_add(&cnt->q[qp].tx_errors, 1);
            break;
        }
        if (!ndesc++) {
            first = d;
        }
        flags = le16_to_cpu(d.flags);
        dlen = le16_to_cpu(d.len);
        if (bad || len + dlen > sizeof(s->tx_frame) ||
            pci_dma_read(pdev, le64_to_cpu(d.addr), s->tx_frame + len,
                         dlen) != MEMTX_OK) {
            bad = true;
        } else {
            len += dlen;
        }
        head = (head + 1) & (size - 1);
        if (!(flags & LMNIC_TXD_EOP)) {
            if (ndesc < size) {
                continue;
            }
            bad = true;
        }
        if (bad || len < ETH_HLEN) {
            lmnic_cnt_add(&cnt->q[qp].tx_errors, 1);
        } else {
            if (le16_to_cpu(first.flags) & LMNIC_TXD_CSUM) {
                lmnic_tx_csum(s->tx_frame, len,
                              le16_to_cpu(first.csum_start),
                              le16_to_cpu(first.csum_offset));
            }
            lmnic_tx_frame(s, v, qp, len);
        }
        d.flags = cpu_to_le16(flags | LMNIC_TXD_DD);
        pci_dma_write(pdev, slot + offsetof(struct lmnic_tx_desc, flags),
                      &d.flags, sizeof(d.flags));
        qh->tx_head = cpu_to_le16(head);
        len = 0;
        ndesc = 0;
        bad = false;
        sent = true;
    }
    if (sent) {
        lmnic_qp_irq(s, v, qp);
    }
}

/* ---- admin queue ------------------------------------------------------- */

static bool lmnic_mac_ok(const uint8_t *mac)
{
    static const uint8_t zero[6];

    return !is_multicast_ether_addr(mac) && memcmp(mac, zero, 6);
}

/*
 * A CONFIG section as SET_CONFIG leaves it (the MAC only matters to a
 * vport that was enabled: a power-on block has none).
 */
bool lmnic_config_ok(const struct lmnic_sm_config *cfg, bool enabled)
{
    uint16_t mtu = le16_to_cpu(cfg->mtu), nqp = le16_to_cpu(cfg->num_qp);

    return (!enabled || lmnic_mac_ok(cfg->mac)) &&
           mtu >= LMNIC_MIN_MTU && mtu <= LMNIC_MAX_MTU &&
           nqp && nqp <= LMNIC_MAX_QP &&
           !(le32_to_cpu(cfg->flags) & ~LMNIC_VPF_ALL) &&
           le16_to_cpu(cfg->num_filters) <= LMNIC_MAX_MAC_FILTERS;
}

/* An RSS section as SET_RSS takes it. */
bool lmnic_rss_ok(const struct lmnic_sm_rss *rss)
{
    unsigned i;

    for (i = 0; i < LMNIC_RSS_TABLE_SIZE; i++) {
        if (rss->table[i] >= LMNIC_MAX_QP) {
            return false;
        }
    }
    return !(le32_to_cpu(rss->hash_types) & ~LMNIC_RSS_HASH_ALL);
}

static uint16_t lmnic_aq_set_config(LmnicState *s, unsigned v,
                                    const struct lmnic_aq_vport_cfg *p)
{
    struct lmnic_sm_config *cfg = lmnic_vp_cfg(s, v);
    struct lmnic_sm_config c = *cfg;

    memcpy(c.mac, p->mac, 6);
    c.mtu = p->mtu;
    c.num_qp = p->num_qp;
    c.flags = p->flags;
    if (!lmnic_config_ok(&c, true)) {
        return LMNIC_AQS_EINVAL;
    }
    *cfg = c;
    lmnic_vp_bump(s, v);
    return LMNIC_AQS_OK;
}

static uint16_t lmnic_aq_read_buf(LmnicState *s, struct lmnic_aq_desc *d,
                                  void *dst, uint32_t min, uint32_t max)
{
    uint32_t len = le32_to_cpu(d->buf_len);

    if (len < min || len > max) {
        return LMNIC_AQS_EINVAL;
    }
    if (pci_dma_read(PCI_DEVICE(s), le64_to_cpu(d->buf_addr), dst, len) !=
        MEMTX_OK) {
        return LMNIC_AQS_EIO;
    }
    return LMNIC_AQS_OK;
}

static void lmnic_queue_stop(LmnicState *s, unsigned v, unsigned qp)
{
    memset(lmnic_vp_q(s, v, qp), 0, sizeof(struct lmnic_sm_queue));
    memset(lmnic_vp_qh(s, v, qp), 0, sizeof(struct lmnic_sm_queue_host));
}

static uint16_t lmnic_aq_queue_create(LmnicState *s, unsigned v,
                                      const struct lmnic_aq_queue *p)
{
    unsigned qp = le16_to_cpu(p->qp);
    uint16_t txs = le16_to_cpu(p->tx_size), rxs = le16_to_cpu(p->rx_size);
    uint16_t buf = le16_to_cpu(p->rx_buf_len), vec = le16_to_cpu(p->vector);
    struct lmnic_sm_queue *q;
    struct lmnic_sm_queue_host *qh;
    bool rebase;

    if (qp >= LMNIC_MAX_QP) {
        return LMNIC_AQS_ENOENT;
    }
    q = lmnic_vp_q(s, v, qp);
    qh = lmnic_vp_qh(s, v, qp);
    /*
     * On a quiesced vport whose queue pair came with its state (LOAD), the
     * command only gives it this host's rings: the sizes must match.
     */
    rebase = lmnic_vp_quiesced(s, v) &&
             (le16_to_cpu(q->flags) & LMNIC_QF_ENABLED);
    if ((le16_to_cpu(q->flags) & LMNIC_QF_ENABLED) && !rebase) {
        return LMNIC_AQS_EBUSY;
    }
    if (rebase && (txs != le16_to_cpu(q->tx_size) ||
                   rxs != le16_to_cpu(q->rx_size) ||
                   buf != le16_to_cpu(q->rx_buf_len))) {
        return LMNIC_AQS_EINVAL;
    }
    if (!lmnic_queue_ok(txs, rxs, buf) ||
        vec == LMNIC_VEC_ADMIN || vec >= LMNIC_MSIX_VECTORS ||
        (le64_to_cpu(p->tx_base) & 63) || (le64_to_cpu(p->rx_base) & 63) ||
        !p->tx_base || !p->rx_base) {
        return LMNIC_AQS_EINVAL;
    }
    qh->tx_base = p->tx_base;
    qh->rx_base = p->rx_base;
    qh->tx_head = qh->tx_tail = qh->rx_head = qh->rx_tail = 0;
    qh->vector = cpu_to_le16(vec);
    if (rebase) {
        return LMNIC_AQS_OK;
    }
    q->tx_size = cpu_to_le16(txs);
    q->rx_size = cpu_to_le16(rxs);
    q->rx_buf_len = cpu_to_le16(buf);
    q->flags = cpu_to_le16(LMNIC_QF_ENABLED);
    lmnic_vp_bump(s, v);
    return LMNIC_AQS_OK;
}

/* Commands that change a vport's portable state: refused when quiesced. */
static bool lmnic_aq_portable(uint16_t op)
{
    switch (op) {
    case LMNIC_AQ_VPORT_ENABLE:
    case LMNIC_AQ_VPORT_DISABLE:
    case LMNIC_AQ_SET_CONFIG:
    case LMNIC_AQ_SET_MAC_FILTERS:
    case LMNIC_AQ_SET_VLAN_FILTER:
    case LMNIC_AQ_SET_RSS:
    case LMNIC_AQ_CONN_ADD:
    case LMNIC_AQ_CONN_DEL:
    case LMNIC_AQ_CONN_FLUSH:
    case LMNIC_AQ_CONN_LIMIT:
        return true;
    }
    return false;
}

static uint16_t lmnic_aq_exec(LmnicState *s, struct lmnic_aq_desc *d)
{
    uint16_t op = le16_to_cpu(d->opcode);
    unsigned v = le16_to_cpu(d->vport);
    struct lmnic_sm_rss rss;
    uint8_t vlan[LMNIC_VLAN_BITMAP_SIZE];
    struct lmnic_mac_filter f[LMNIC_MAX_MAC_FILTERS];
    uint16_t st;

    if (op == LMNIC_AQ_NOP) {
        return LMNIC_AQS_OK;
    }
    if (op == LMNIC_AQ_GET_INFO) {
        d->p.info.vport_block = cpu_to_le32(s->vport_block);
        d->p.info.layout = cpu_to_le32(LMNIC_LAYOUT_VERSION);
        d->p.info.num_vports = cpu_to_le16(s->num_vports);
        d->p.info.max_qp = cpu_to_le16(LMNIC_MAX_QP);
        d->p.info.caps = cpu_to_le32(LMNIC_CAP_ALL);
        d->p.info.conn_capacity = cpu_to_le32(s->conn_capacity);
        return LMNIC_AQS_OK;
    }
    if (v >= s->num_vports) {
        return LMNIC_AQS_ENOENT;
    }
    if (lmnic_vp_quiesced(s, v) && lmnic_aq_portable(op)) {
        return LMNIC_AQS_EBUSY;
    }

    switch (op) {
    case LMNIC_AQ_VPORT_ENABLE:
        if (lmnic_vp_enabled(s, v)) {
            return LMNIC_AQS_EBUSY;
        }
        st = lmnic_aq_set_config(s, v, &d->p.vport_cfg);
        if (st == LMNIC_AQS_OK) {
            lmnic_vp_hdr(s, v)->state |= cpu_to_le32(LMNIC_VPS_ENABLED);
            qemu_flush_queued_packets(qemu_get_queue(s->nic));
        }
        return st;
    case LMNIC_AQ_VPORT_DISABLE:
        lmnic_vp_hdr(s, v)->state &= ~cpu_to_le32(LMNIC_VPS_ENABLED);
        lmnic_vp_bump(s, v);
        qemu_flush_queued_packets(qemu_get_queue(s->nic));
        return LMNIC_AQS_OK;
    case LMNIC_AQ_VPORT_RESET:
        lmnic_vp_init(s, v);
        qemu_flush_queued_packets(qemu_get_queue(s->nic));
        return LMNIC_AQS_OK;
    case LMNIC_AQ_SET_CONFIG:
        return lmnic_aq_set_config(s, v, &d->p.vport_cfg);
    case LMNIC_AQ_SET_MAC_FILTERS:
        if (le32_to_cpu(d->buf_len) % sizeof(f[0])) {
            return LMNIC_AQS_EINVAL;
        }
        st = lmnic_aq_read_buf(s, d, f, 0, sizeof(f));
        if (st) {
            return st;
        }
        memcpy(lmnic_vp_filters(s, v), f, le32_to_cpu(d->buf_len));
        lmnic_vp_cfg(s, v)->num_filters =
            cpu_to_le16(le32_to_cpu(d->buf_len) / sizeof(f[0]));
        lmnic_vp_bump(s, v);
        return LMNIC_AQS_OK;
    case LMNIC_AQ_SET_VLAN_FILTER:
        st = lmnic_aq_read_buf(s, d, vlan, sizeof(vlan), sizeof(vlan));
        if (st) {
            return st;
        }
        memcpy(lmnic_vp_vlan(s, v), vlan, sizeof(vlan));
        lmnic_vp_bump(s, v);
        return LMNIC_AQS_OK;
    case LMNIC_AQ_SET_RSS:
        st = lmnic_aq_read_buf(s, d, &rss, sizeof(rss), sizeof(rss));
        if (st) {
            return st;
        }
        if (!lmnic_rss_ok(&rss)) {
            return LMNIC_AQS_EINVAL;
        }
        memcpy(lmnic_vp_rss(s, v), &rss, sizeof(rss));
        lmnic_vp_bump(s, v);
        return LMNIC_AQS_OK;
    case LMNIC_AQ_QUEUE_CREATE:
        return lmnic_aq_queue_create(s, v, &d->p.queue);
    case LMNIC_AQ_CONN_ADD:
    case LMNIC_AQ_CONN_DEL:
    case LMNIC_AQ_CONN_QUERY:
    case LMNIC_AQ_CONN_FLUSH:
    case LMNIC_AQ_CONN_LIMIT:
        return lmnic_conn_aq(s, v, d);
    case LMNIC_AQ_REGION_SET:
    case LMNIC_AQ_REGION_CLEAR:
        return lmnic_region_aq(s, v, d);
    case LMNIC_AQ_QUIESCE:
    case LMNIC_AQ_SAVE:
    case LMNIC_AQ_LOAD:
    case LMNIC_AQ_RESUME:
    case LMNIC_AQ_DIGEST:
        return lmnic_mig_aq(s, v, d);
    case LMNIC_AQ_QUEUE_DESTROY:
        if (le16_to_cpu(d->p.queue.qp) >= LMNIC_MAX_QP) {
            return LMNIC_AQS_ENOENT;
        }
        s->qfault[v] &= ~(1u << le16_to_cpu(d->p.queue.qp));
        s->txhang[v] &= ~(1u << le16_to_cpu(d->p.queue.qp));
        if (lmnic_vp_quiesced(s, v)) {
            /* only this host's part: the queue pair's state migrates */
            memset(lmnic_vp_qh(s, v, le16_to_cpu(d->p.queue.qp)), 0,
                   sizeof(struct lmnic_sm_queue_host));
            return LMNIC_AQS_OK;
        }
        lmnic_queue_stop(s, v, le16_to_cpu(d->p.queue.qp));
        lmnic_vp_bump(s, v);
        return LMNIC_AQS_OK;
    default:
        qemu_log_mask(LOG_GUEST_ERROR, "lmnic: unknown admin opcode 0x%x\n",
                      op);
        return LMNIC_AQS_EOPNOTSUPP;
    }
}

static void lmnic_aq_process(LmnicState *s)
{
    PCIDevice *pdev = PCI_DEVICE(s);
    struct lmnic_aq_desc d;
    bool irq = false;

    if (!(s->aq_ctrl & LMNIC_AQ_CTRL_ENABLE) || s->dead || s->aq_hung) {
        return;     /* a hung queue takes nothing until a reset */
    }
    while (s->aq_head != s->aq_tail) {
        dma_addr_t slot = s->aq_base + (dma_addr_t)s->aq_head * sizeof(d);
        uint16_t st;

        if (pci_dma_read(pdev, slot, &d, sizeof(d)) != MEMTX_OK) {
            qemu_log_mask(LOG_GUEST_ERROR, "lmnic: admin queue not readable\n");
            s->aq_ctrl = 0;
            return;
        }
        lmnic_fault_at_command(s, le16_to_cpu(d.opcode));
        if (s->aq_hang_op && le16_to_cpu(d.opcode) == s->aq_hang_op) {
            s->aq_hang_op = 0;
            s->aq_hung = true;  /* the command never completes */
            break;
        }
        st = lmnic_aq_exec(s, &d);
        trace_lmnic_aq(le16_to_cpu(d.opcode), le16_to_cpu(d.vport), st);
        d.status = cpu_to_le16(st);
        irq |= le16_to_cpu(d.flags) & LMNIC_AQF_IRQ;
        d.flags |= cpu_to_le16(LMNIC_AQF_DD);
        pci_dma_write(pdev, slot, &d, sizeof(d));
        s->aq_head = (s->aq_head + 1) & (s->aq_len - 1);
    }
    if (irq) {
        lmnic_vec_raise(s, LMNIC_VEC_ADMIN);
    }
}

/* ---- registers ----------------------------------------------------------- */

uint64_t lmnic_core_read(LmnicState *s, hwaddr addr)
{
    if (s->dead) {
        return LMNIC_DEAD_READ;
    }
    if (addr >= LMNIC_REG_DB_START && addr <= LMNIC_REG_DB_END) {
        return 0;
    }
    if (addr >= LMNIC_REG_INTR_START && addr <= LMNIC_REG_INTR_END) {
        unsigned n = (addr - LMNIC_REG_INTR_START) / 8;

        return (addr & 4) ? s->vec[n].itr_us : !s->vec[n].masked;
    }

    switch (addr) {
    case LMNIC_REG_MAGIC:
        return LMNIC_MAGIC;
    case LMNIC_REG_VERSION:
        return FIELD_PREP(LMNIC_VERSION_MAJOR, LMNIC_HW_VERSION_MAJOR) |
               FIELD_PREP(LMNIC_VERSION_MINOR, LMNIC_HW_VERSION_MINOR);
    case LMNIC_REG_LAYOUT:
        return LMNIC_LAYOUT_VERSION;
    case LMNIC_REG_CAPS:
        return LMNIC_CAP_ALL;
    case LMNIC_REG_SERIAL_LO:
        return (uint32_t)s->serial;
    case LMNIC_REG_SERIAL_HI:
        return s->serial >> 32;
    case LMNIC_REG_STATE_SIZE_LO:
        return (uint32_t)s->state_size;
    case LMNIC_REG_STATE_SIZE_HI:
        return s->state_size >> 32;
    case LMNIC_REG_TOPOLOGY:
        return FIELD_PREP(LMNIC_TOPO_VPORTS, s->num_vports) |
               FIELD_PREP(LMNIC_TOPO_MAX_QP, LMNIC_MAX_QP);
    case LMNIC_REG_VPORT_BLOCK:
        return s->vport_block;
    case LMNIC_REG_MAC_LO:
        return ldl_le_p(s->conf.macaddr.a);
    case LMNIC_REG_MAC_HI:
        return lduw_le_p(s->conf.macaddr.a + 4);
    case LMNIC_REG_CTRL:
        return 0;
    case LMNIC_REG_STATUS:
        return s->status |
               (qemu_get_queue(s->nic)->link_down ? 0 : LMNIC_STATUS_LINK);
    case LMNIC_REG_SCRATCH:
        return s->scratch;
    case LMNIC_REG_ERR_CAUSE:
        return s->err_cause;
    case LMNIC_REG_ERR_VPORT:
        return s->err_vport;
    case LMNIC_REG_ERR_QP:
        return s->err_qp;
    case LMNIC_REG_ERR_ENTRY:
        return s->err_entry;
    case LMNIC_REG_ERR_ADDR_LO:
        return (uint32_t)s->err_addr;
    case LMNIC_REG_ERR_ADDR_HI:
        return s->err_addr >> 32;
    case LMNIC_REG_ERR_TIME_LO:
        return (uint32_t)s->err_time;
    case LMNIC_REG_ERR_TIME_HI:
        return s->err_time >> 32;
    case LMNIC_REG_ERR_COUNT:
        return s->err_count;
    case LMNIC_REG_TIME_LO: {
        uint64_t now = lmnic_now_ns(s);

        s->time_hi = now >> 32;
        return (uint32_t)now;
    }
    case LMNIC_REG_TIME_HI:
        return s->time_hi;
    case LMNIC_REG_AQ_BASE_LO:
        return (uint32_t)s->aq_base;
    case LMNIC_REG_AQ_BASE_HI:
        return s->aq_base >> 32;
    case LMNIC_REG_AQ_LEN:
        return s->aq_len;
    case LMNIC_REG_AQ_HEAD:
        return s->aq_head;
    case LMNIC_REG_AQ_TAIL:
        return s->aq_tail;
    case LMNIC_REG_AQ_CTRL:
        return s->aq_ctrl;
    }
    qemu_log_mask(LOG_GUEST_ERROR, "lmnic: read of unknown register 0x%"
                  HWADDR_PRIx "\n", addr);
    return 0;
}

static void lmnic_doorbell(LmnicState *s, hwaddr addr, uint32_t val)
{
    unsigned idx = (addr - LMNIC_REG_DB_START) / 4;
    unsigned rx = idx & 1, qp = (idx / 2) % LMNIC_MAX_QP;
    unsigned v = idx / 2 / LMNIC_MAX_QP;
    struct lmnic_sm_queue *q;
    struct lmnic_sm_queue_host *qh;

    if (v >= s->num_vports) {
        qemu_log_mask(LOG_GUEST_ERROR, "lmnic: doorbell of vport %u\n", v);
        return;
    }
    q = lmnic_vp_q(s, v, qp);
    qh = lmnic_vp_qh(s, v, qp);
    if (!(le16_to_cpu(q->flags) & LMNIC_QF_ENABLED)) {
        qemu_log_mask(LOG_GUEST_ERROR, "lmnic: doorbell of disabled queue "
                      "pair %u of vport %u\n", qp, v);
        return;
    }
    if (val >= le16_to_cpu(rx ? q->rx_size : q->tx_size)) {
        qemu_log_mask(LOG_GUEST_ERROR, "lmnic: doorbell index %u beyond "
                      "the ring\n", val);
        return;
    }
    if (rx) {
        qh->rx_tail = cpu_to_le16(val);
        qemu_flush_queued_packets(qemu_get_queue(s->nic));
    } else {
        qh->tx_tail = cpu_to_le16(val);
        /* a quiesced vport sends what is ready when it resumes */
        if (lmnic_vp_enabled(s, v) && !lmnic_vp_quiesced(s, v)) {
            lmnic_tx_kick(s, v, qp);
        }
    }
}

/* A vport resumed: send what its TX doorbells made ready meanwhile. */
void lmnic_vp_restart(LmnicState *s, unsigned v)
{
    unsigned qp;

    if (lmnic_vp_enabled(s, v) && !lmnic_vp_quiesced(s, v)) {
        for (qp = 0; qp < LMNIC_MAX_QP; qp++) {
            if (le16_to_cpu(lmnic_vp_q(s, v, qp)->flags) & LMNIC_QF_ENABLED) {
                lmnic_tx_kick(s, v, qp);
            }
        }
    }
    qemu_flush_queued_packets(qemu_get_queue(s->nic));
}

uint64_t lmnic_core_sm_read(LmnicState *s, hwaddr addr, unsigned size)
{
    if (s->dead) {
        return MAKE_64BIT_MASK(0, size * 8);
    }
    return ldn_le_p(s->state_mem + addr, size);
}

/*
 * BAR2 is read-only to the host: state memory changes only through the
 * admin commands, which check what they are given, and the datapath. A
 * write is dropped and counted; at most one a second is logged.
 */
void lmnic_core_sm_write(LmnicState *s, hwaddr addr, uint64_t val,
                         unsigned size)
{
    struct lmnic_sm_adapter *blk = lmnic_adapter_blk(s);
    int64_t now;

    if (s->dead) {
        return;
    }
    blk->sm_writes_refused =
        cpu_to_le64(le64_to_cpu(blk->sm_writes_refused) + 1);
    trace_lmnic_sm_write_refused(addr, size);
    now = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
    if (le64_to_cpu(blk->sm_writes_refused) == 1 ||
        now - s->sm_refused_log_ns >= NANOSECONDS_PER_SECOND) {
        qemu_log_mask(LOG_GUEST_ERROR, "lmnic: BAR2 write of %u bytes at "
                      "0x%" HWADDR_PRIx " refused: state memory is read-only "
                      "(%" PRIu64 " refused so far)\n", size, addr,
                      le64_to_cpu(blk->sm_writes_refused));
        s->sm_refused_log_ns = now;
    }
}

void lmnic_core_write(LmnicState *s, hwaddr addr, uint64_t val)
{
    if (s->dead) {
        return;
    }
    if (addr >= LMNIC_REG_DB_START && addr <= LMNIC_REG_DB_END) {
        lmnic_doorbell(s, addr, val);
        return;
    }
    if (addr >= LMNIC_REG_AQ_BASE_LO && addr <= LMNIC_REG_AQ_LEN &&
        (s->aq_ctrl & LMNIC_AQ_CTRL_ENABLE)) {
        /* the ring of a running queue stays where it is */
        qemu_log_mask(LOG_GUEST_ERROR, "lmnic: admin queue register 0x%"
                      HWADDR_PRIx " written while the queue is enabled\n",
                      addr);
        return;
    }
    if (addr >= LMNIC_REG_INTR_START && addr <= LMNIC_REG_INTR_END) {
        unsigned n = (addr - LMNIC_REG_INTR_START) / 8;

        if (addr & 4) {
            s->vec[n].itr_us = MIN(val, LMNIC_ITR_MAX_US);
        } else if (val & 1) {
            lmnic_vec_enable(s, n);
        }
        return;
    }

    switch (addr) {
    case LMNIC_REG_CTRL:
        if (val & LMNIC_CTRL_RESET) {
            lmnic_core_reset(s);
        }
        return;
    case LMNIC_REG_SCRATCH:
        s->scratch = val;
        return;
    case LMNIC_REG_ERR_CAUSE:
        s->err_cause &= ~val;
        return;
    case LMNIC_REG_AQ_BASE_LO:
        s->aq_base = deposit64(s->aq_base, 0, 32, val);
        return;
    case LMNIC_REG_AQ_BASE_HI:
        s->aq_base = deposit64(s->aq_base, 32, 32, val);
        return;
    case LMNIC_REG_AQ_LEN:
        if (!is_power_of_2(val) || val < 2 || val > LMNIC_AQ_LEN_MAX) {
            qemu_log_mask(LOG_GUEST_ERROR, "lmnic: bad admin queue length "
                          "%" PRIu64 "\n", val);
            return;
        }
        s->aq_len = val;
        return;
    case LMNIC_REG_AQ_TAIL:
        if (val >= s->aq_len) {
            qemu_log_mask(LOG_GUEST_ERROR, "lmnic: admin tail %" PRIu64
                          " beyond the ring\n", val);
            return;
        }
        s->aq_tail = val;
        lmnic_aq_process(s);
        return;
    case LMNIC_REG_AQ_CTRL:
        s->aq_ctrl = val & LMNIC_AQ_CTRL_ENABLE;
        if (!s->aq_ctrl) {
            s->aq_head = s->aq_tail = 0;
        } else if ((s->aq_base & 63) || !s->aq_len) {
            qemu_log_mask(LOG_GUEST_ERROR, "lmnic: admin queue enabled "
                          "without a valid ring\n");
            s->aq_ctrl = 0;
        }
        return;
    }
    qemu_log_mask(LOG_GUEST_ERROR, "lmnic: write of 0x%" PRIx64 " to "
                  "read-only or unknown register 0x%" HWADDR_PRIx "\n",
                  val, addr);
}

/* ---- lifecycle ----------------------------------------------------------- */

void lmnic_core_reset(LmnicState *s)
{
    struct lmnic_sm_adapter *a = lmnic_adapter_blk(s);
    unsigned v, n;

    s->scratch = 0;
    s->aq_base = 0;
    s->aq_len = 0;
    s->aq_head = s->aq_tail = 0;
    s->aq_ctrl = 0;
    for (n = 0; n < LMNIC_MSIX_VECTORS; n++) {
        timer_del(s->vec[n].timer);
        s->vec[n].masked = false;
        s->vec[n].pending = false;
        s->vec[n].itr_us = 0;
        s->vec[n].last_ns = 0;
    }
    lmnic_conn_reset(s);
    memset(a, 0, sizeof(*a));
    a->magic = cpu_to_le32(LMNIC_SM_ADAPTER_MAGIC);
    a->layout = cpu_to_le32(LMNIC_LAYOUT_VERSION);
    for (v = 0; v < s->num_vports; v++) {
        lmnic_vp_init(s, v);
    }
    s->status = LMNIC_STATUS_READY;
    trace_lmnic_reset();
}

bool lmnic_core_realize(LmnicState *s, Error **errp)
{
    unsigned n;

    if (s->state_size < LMNIC_STATE_SIZE_MIN || !is_power_of_2(s->state_size)) {
        error_setg(errp, "lmnic: state-size must be a power of two of at "
                   "least %u bytes", (unsigned)LMNIC_STATE_SIZE_MIN);
        return false;
    }
    if (!s->num_vports || s->num_vports > LMNIC_MAX_VPORTS) {
        error_setg(errp, "lmnic: vports must be 1 to %u", LMNIC_MAX_VPORTS);
        return false;
    }
    /*
     * Untouched pages of the state memory cost no host memory. Touched
     * ones come as huge pages where the host has them: a large connection
     * table touches most of its pages anyway, and takes 512 times fewer
     * page faults to fill (a LOAD of 64K connections, for one).
     */
    s->state_mem = qemu_anon_ram_alloc(s->state_size, NULL, false, false);
    if (!s->state_mem) {
        error_setg(errp, "lmnic: cannot map %" PRIu64 " bytes of state memory",
                   s->state_size);
        return false;
    }
    qemu_madvise(s->state_mem, s->state_size, QEMU_MADV_HUGEPAGE);
    s->vport_block = ((s->state_size - LMNIC_SM_VPORT_BASE) / s->num_vports) &
                     ~(uint64_t)(LMNIC_SM_FIXED_END - 1);
    lmnic_conn_realize(s);
    for (n = 0; n < LMNIC_MSIX_VECTORS; n++) {
        s->vec[n].s = s;
        s->vec[n].n = n;
        s->vec[n].timer = timer_new_ns(QEMU_CLOCK_VIRTUAL, lmnic_vec_timer,
                                       &s->vec[n]);
    }
    return true;
}

void lmnic_core_unrealize(LmnicState *s)
{
    unsigned n;

    lmnic_conn_unrealize(s);
    for (n = 0; n < LMNIC_MAX_VPORTS; n++) {
        lmnic_mig_vp_reset(s, n);
    }
    for (n = 0; n < LMNIC_MSIX_VECTORS; n++) {
        timer_free(s->vec[n].timer);
        s->vec[n].timer = NULL;
    }
    qemu_anon_ram_free(s->state_mem, s->state_size);
    s->state_mem = NULL;
}
