/*
 * The device fuzzer's seed corpus: the sessions lmnic.ko has with the
 * adapter, as programs (fuzz_ops.h). Probe (identity registers, reset,
 * admin queue, GET_INFO), bring-up (vport, MAC and VLAN filters, RSS,
 * queue pairs, region), traffic both ways, connections added, hit,
 * flushed and deleted, the migration flows (stop and copy, pre-copy with
 * churn and the delta, LOADs of damaged images), faults and recovery.
 * Each is run once here and must reach what it was written for (commands,
 * connections, frames, LOADs taken and refused, faults): a seed that no
 * longer does fails the run instead of weakening the corpus unseen.
 *
 * usage: seed-model DIR
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <endian.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "fuzz_ops.h"
#include "guest.h"

static const char *dir;

/* write seed NAME, once it reached at least what WANT says */
static void emit(FoProg *p, const char *name, const FoStats *want)
{
    char path[4096];
    FILE *f;

    fo_run(p->buf, p->len);
    if (fo_stats.admin_ok < want->admin_ok || fo_stats.conns < want->conns ||
        fo_stats.rx < want->rx || fo_stats.tx < want->tx ||
        fo_stats.loads < want->loads || fo_stats.refused < want->refused ||
        fo_stats.faults < want->faults) {
        fprintf(stderr, "seed-model: %s no longer reaches what it did: %u "
                "commands, %u connections, %u frames in, %u out, %u LOADs, "
                "%u refused, %u faults\n", name, fo_stats.admin_ok,
                fo_stats.conns, fo_stats.rx, fo_stats.tx, fo_stats.loads,
                fo_stats.refused, fo_stats.faults);
        exit(1);
    }
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "wb");
    if (!f || fwrite(p->buf, 1, p->len, f) != p->len || fclose(f)) {
        perror(path);
        exit(1);
    }
    g_free(p->buf);
    memset(p, 0, sizeof(*p));
}

/* what the driver reads at probe, then its reset and admin queue */
static void probe(FoProg *p, int b)
{
    static const uint32_t regs[] = {
        LMNIC_REG_MAGIC, LMNIC_REG_VERSION, LMNIC_REG_LAYOUT, LMNIC_REG_CAPS,
        LMNIC_REG_SERIAL_LO, LMNIC_REG_SERIAL_HI, LMNIC_REG_STATE_SIZE_LO,
        LMNIC_REG_STATE_SIZE_HI, LMNIC_REG_TOPOLOGY, LMNIC_REG_VPORT_BLOCK,
        LMNIC_REG_MAC_LO, LMNIC_REG_MAC_HI, LMNIC_REG_STATUS,
    };
    unsigned i;

    for (i = 0; i < G_N_ELEMENTS(regs); i++) {
        fo_mmio_rd(p, b, regs[i]);
    }
    fo_mmio_wr(p, b, LMNIC_REG_CTRL, LMNIC_CTRL_RESET);
    fo_mmio_wr(p, b, LMNIC_REG_AQ_BASE_LO, MG_AQ_GPA);
    fo_mmio_wr(p, b, LMNIC_REG_AQ_BASE_HI, 0);
    fo_mmio_wr(p, b, LMNIC_REG_AQ_LEN, MG_AQ_LEN);
    fo_mmio_wr(p, b, LMNIC_REG_AQ_CTRL, LMNIC_AQ_CTRL_ENABLE);
    fo_admin(p, b, LMNIC_AQ_GET_INFO, 0, NULL, 0, NULL, 0);
    fo_mmio_wr(p, b, LMNIC_REG_VEC_ENABLE(LMNIC_VEC_ADMIN), 1);
    fo_mmio_wr(p, b, LMNIC_REG_VEC_ITR(1), 50);
}

/* ndo_open of vport V: the vport, filters, VLANs, RSS, queues, region */
static void bring_up(FoProg *p, int b, uint8_t v, uint8_t nqp)
{
    struct lmnic_mac_filter f[2] = { 0 };
    uint8_t vlan[LMNIC_VLAN_BITMAP_SIZE] = { 0 };

    fo_setup(p, b, v, nqp, LMNIC_VPF_BROADCAST | LMNIC_VPF_RX_CSUM |
             LMNIC_VPF_RSS | LMNIC_VPF_VLAN_FILTER, FO_SETUP_ALL);
    f[0].addr[0] = 0x33;
    f[0].addr[1] = 0x33;
    f[0].addr[5] = 1;
    f[0].flags = htole16(LMNIC_MACF_VALID);
    f[1].addr[0] = 0x01;
    f[1].addr[2] = 0x5e;
    f[1].addr[5] = 1;
    f[1].flags = htole16(LMNIC_MACF_VALID);
    fo_admin(p, b, LMNIC_AQ_SET_MAC_FILTERS, v, NULL, 0, f, sizeof(f));
    vlan[0] = 0x01;
    vlan[12] = 0x10;
    fo_admin(p, b, LMNIC_AQ_SET_VLAN_FILTER, v, NULL, 0, vlan, sizeof(vlan));
}

/*
 * N frames of key KEY into adapter B's port, for vport V's MAC as adapter
 * OWNER gave it (a vport keeps its MAC when it moves), then the guest
 * takes the completions.
 */
static void rx_for(FoProg *p, int b, int owner, uint8_t v, uint32_t key,
                   unsigned n)
{
    static const uint8_t mac0[6] = { 0x52, 0x54, 0x00, 0x4c, 0x4d, 0x00 };
    struct lmnic_conn_key k;
    MgGuest g = { 0 };
    uint8_t frame[256];
    size_t len;
    unsigned i;

    memcpy(g.mac[v], mac0, 6);
    g.mac[v][5] += v + (owner ? 0x10 : 0);
    mg_key(key, &k);
    len = mg_frame(&g, v, &k, frame, 64);
    for (i = 0; i < n; i++) {
        fo_rx(p, b, frame, len);
    }
    for (i = 0; i < LMNIC_MAX_QP; i++) {
        fo_reap(p, b, v, i);
    }
}

static void rx(FoProg *p, int b, uint8_t v, uint32_t key, unsigned n)
{
    rx_for(p, b, b, v, key, n);
}

static void conns(FoProg *p, int b, uint8_t v, uint32_t first, unsigned n)
{
    static const uint16_t act[] = {
        LMNIC_CONN_ACT_COUNT, LMNIC_CONN_ACT_STEER | LMNIC_CONN_ACT_COUNT,
        LMNIC_CONN_ACT_MARK, LMNIC_CONN_ACT_DROP,
    };
    unsigned i;

    for (i = 0; i < n; i++) {
        fo_conn(p, b, FO_CONN_ADD, v, first + i, first + i, act[i % 4],
                i % 2, 0x1000 + i);
    }
}

int main(int argc, char **argv)
{
    FoProg p = { 0 };
    uint8_t frame[1514] = { 0 };
    unsigned i;

    if (argc != 2) {
        fprintf(stderr, "usage: seed-model DIR\n");
        return 2;
    }
    dir = argv[1];

    probe(&p, 0);
    emit(&p, "probe", &(FoStats){ .admin_ok = 1 });

    probe(&p, 0);
    bring_up(&p, 0, 0, 4);
    bring_up(&p, 0, 1, 1);
    rx(&p, 0, 0, 10, 8);
    rx(&p, 0, 1, 11, 3);
    memset(frame, 0xff, 6);
    frame[12] = 0x08;
    frame[13] = 0x06;
    fo_tx(&p, 0, 0, 0, frame, 60);
    fo_tx(&p, 0, 1, 0, frame, 1514);
    fo_clock(&p, 150);
    emit(&p, "traffic", &(FoStats){ .admin_ok = 4, .rx = 11, .tx = 2 });

    probe(&p, 0);
    bring_up(&p, 0, 0, 2);
    conns(&p, 0, 0, 0, 40);
    rx(&p, 0, 0, 3, 5);
    rx(&p, 0, 0, 4, 5);
    fo_clock(&p, 250);
    for (i = 0; i < 40; i += 3) {
        fo_conn(&p, 0, FO_CONN_DEL, 0, i, 0, 0, 0, 0);
    }
    fo_conn(&p, 0, FO_CONN_QUERY, 0, 4, 0, 0, 0, 0);
    conns(&p, 0, 0, 0, 10);
    fo_conn(&p, 0, FO_CONN_FLUSH, 0, 0, 0, 0, 0, 0);
    fo_conn(&p, 0, FO_CONN_LIMIT, 0, 100, 0, 0, 0, 0);
    conns(&p, 0, 0, 90, 20);
    emit(&p, "connections", &(FoStats){ .conns = 54, .rx = 5 });

    probe(&p, 0);
    probe(&p, 1);
    bring_up(&p, 0, 1, 2);
    fo_setup(&p, 1, 1, 1, 0, FO_SETUP_REGION);
    conns(&p, 0, 1, 0, 60);
    fo_migrate(&p, 0, 1, FO_MIG_STOP_COPY);
    fo_setup(&p, 1, 1, 2, 0, FO_SETUP_QUEUES);
    fo_resume(&p, 1, 1);
    rx_for(&p, 1, 0, 1, 8, 4);
    emit(&p, "stop-and-copy",
         &(FoStats){ .conns = 60, .loads = 1, .rx = 4 });

    probe(&p, 0);
    probe(&p, 1);
    bring_up(&p, 0, 2, 1);
    fo_setup(&p, 1, 2, 1, 0, FO_SETUP_REGION);
    conns(&p, 0, 2, 0, 80);
    fo_migrate(&p, 0, 2, FO_MIG_PRECOPY);
    for (i = 0; i < 80; i += 4) {
        fo_conn(&p, 0, FO_CONN_DEL, 2, i, 0, 0, 0, 0);
    }
    conns(&p, 0, 2, 200, 30);
    fo_conn(&p, 0, FO_CONN_ADD, 2, 1000, 0, LMNIC_CONN_ACT_COUNT, 0, 0);
    rx(&p, 0, 2, 201, 3);
    fo_clock(&p, 120);
    fo_migrate(&p, 0, 2, FO_MIG_DELTA);
    fo_setup(&p, 1, 2, 1, 0, FO_SETUP_QUEUES);
    fo_resume(&p, 1, 2);
    emit(&p, "pre-copy", &(FoStats){ .conns = 110, .loads = 2 });

    probe(&p, 0);
    probe(&p, 1);
    bring_up(&p, 0, 0, 1);
    conns(&p, 0, 0, 0, 12);
    /* the MTU in the CONFIG record made 17884, the records sealed again */
    fo_u8(&p, FO_MIGRATE);
    fo_u8(&p, 0);
    fo_u8(&p, FO_MIG_STOP_COPY | 0x80);
    fo_u8(&p, 1);
    fo_u32(&p, 16 + sizeof(struct lmnic_sm_vport_hdr) + 16 + 7);
    fo_u8(&p, 0x40);
    /* a byte of a connection slot flipped, not sealed */
    fo_u8(&p, FO_MIGRATE);
    fo_u8(&p, 0);
    fo_u8(&p, FO_MIG_STOP_COPY);
    fo_u8(&p, 1);
    fo_u32(&p, 0x1a00);
    fo_u8(&p, 0x01);
    fo_resume(&p, 0, 0);
    emit(&p, "damaged-image", &(FoStats){ .refused = 2 });

    probe(&p, 0);
    bring_up(&p, 0, 0, 2);
    conns(&p, 0, 0, 0, 8);
    rx(&p, 0, 0, 1, 2);
    fo_fault(&p, 0, 0, 0, 1);           /* parity */
    rx(&p, 0, 0, 1, 2);
    fo_clock(&p, 120);
    fo_fault(&p, 0, 1, 0, 1);           /* DMA */
    fo_fault(&p, 0, 2, 0, 0);           /* TX hang */
    fo_tx(&p, 0, 0, 0, frame, 60);
    fo_admin(&p, 0, LMNIC_AQ_QUEUE_DESTROY, 0, "\0\0\0\0\0\0\0\0"
             "\0\0\0\0\0\0\0\0\1", 17, NULL, 0);
    fo_fault(&p, 0, 3, 0, 0);           /* fatal */
    fo_mmio_rd(&p, 0, LMNIC_REG_STATUS);
    fo_mmio_wr(&p, 0, LMNIC_REG_CTRL, LMNIC_CTRL_RESET);
    probe(&p, 0);
    emit(&p, "faults", &(FoStats){ .faults = 4, .rx = 2 });

    probe(&p, 0);
    bring_up(&p, 0, 0, 1);
    fo_sm_wr(&p, 0, LMNIC_SM_VPORT_BASE + LMNIC_SM_OFF_QUEUES_HOST + 24, 2,
             82);
    fo_sm_wr(&p, 0, LMNIC_SM_VPORT_BASE + LMNIC_SM_OFF_CONN + 4, 4,
             0xffffffff);
    rx(&p, 0, 0, 1, 2);
    emit(&p, "bar2-writes", &(FoStats){ .rx = 2 });
    return 0;
}
