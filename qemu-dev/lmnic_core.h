/*
 * lmnic PCIe network adapter: state shared by the PCI shell and the core
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_NET_LMNIC_CORE_H
#define HW_NET_LMNIC_CORE_H

#include "hw/pci/pci.h"
#include "net/net.h"
#include "qemu/timer.h"
#include "lmnic_hw.h"

#define TYPE_LMNIC "lmnic"

typedef struct LmnicState LmnicState;

typedef struct LmnicVector {
    LmnicState *s;
    unsigned n;
    bool masked;        /* sent, waiting for VEC_ENABLE */
    bool pending;       /* an event arrived while it could not be sent */
    uint32_t itr_us;
    int64_t last_ns;
    QEMUTimer *timer;
} LmnicVector;

/* What the datapath parsed out of a frame. */
typedef struct LmnicFrameInfo {
    uint16_t ethertype;
    uint16_t vlan_tci;
    bool has_vlan;
    size_t l3_off;
    bool ipv4;              /* an IPv4 header is in the frame */
    uint8_t l4_proto;       /* 0 unless an unfragmented TCP or UDP packet */
    size_t l4_off;
    size_t l4_len;
    bool ipv6;
} LmnicFrameInfo;

/* What a connection entry tells the datapath to do with a frame. */
typedef struct LmnicConnHit {
    uint16_t actions;       /* LMNIC_CONN_ACT_* */
    uint16_t queue;
    uint32_t mark;
} LmnicConnHit;

struct LmnicState {
    PCIDevice parent_obj;

    MemoryRegion mmio;
    MemoryRegion state_region;
    NICState *nic;

    /* adapter state memory (BAR2), mapped sparsely */
    uint8_t *state_mem;
    uint32_t vport_block;

    uint32_t status;
    uint32_t scratch;

    uint64_t aq_base;
    uint32_t aq_len;
    uint32_t aq_head;
    uint32_t aq_tail;
    uint32_t aq_ctrl;

    LmnicVector vec[LMNIC_MSIX_VECTORS];

    /* connection table and host-resident offload regions */
    uint32_t conn_capacity;             /* slots per vport */
    QEMUTimer *conn_timer;              /* counter flush and scrub */
    int64_t epoch_ns;                   /* adapter clock zero */
    int64_t hr_registered_ns[LMNIC_MAX_VPORTS];
    uint64_t hr_flushes[LMNIC_MAX_VPORTS];
    uint32_t parity_seen[LMNIC_MAX_VPORTS];     /* slot + 1 reported */

    /* migration: the pre-copy SAVE kept (source), a LOAD done (destination) */
    struct LmnicMigSnap *mig_snap[LMNIC_MAX_VPORTS];
    bool mig_base[LMNIC_MAX_VPORTS];

    /* BAR2 writes, all refused: at most one log line a second */
    int64_t sm_refused_log_ns;

    /* errors (LMNIC_REG_ERR_*) and injected faults */
    bool dead;                          /* firmware fatal: stopped */
    bool aq_hung;                       /* admin queue stopped: aq-hang */
    uint16_t aq_hang_op;                /* aq-hang:OPCODE: at its next one */
    uint16_t dma_arm_op;                /* dma:VPORT:QP@OPCODE: armed */
    uint8_t dma_arm_vport;
    uint8_t dma_arm_qp;
    uint32_t err_cause;
    uint32_t err_vport;
    uint32_t err_qp;
    uint32_t err_entry;
    uint32_t err_count;
    uint64_t err_addr;
    uint64_t err_time;
    uint32_t time_hi;                   /* latched by a TIME_LO read */
    uint8_t qfault[LMNIC_MAX_VPORTS];   /* queue pairs whose DMA faulted */
    uint8_t txhang[LMNIC_MAX_VPORTS];   /* queue pairs whose TX hangs */
    char *last_fault;

    /* frame being assembled from TX descriptors */
    uint8_t tx_frame[LMNIC_MAX_FRAME];

    /* properties */
    NICConf conf;
    uint64_t state_size;
    uint64_t serial;
    uint32_t num_vports;
};

DECLARE_INSTANCE_CHECKER(LmnicState, LMNIC, TYPE_LMNIC)

void lmnic_core_reset(LmnicState *s);
bool lmnic_core_realize(LmnicState *s, Error **errp);
void lmnic_core_unrealize(LmnicState *s);
uint64_t lmnic_core_read(LmnicState *s, hwaddr addr);
void lmnic_core_write(LmnicState *s, hwaddr addr, uint64_t val);
uint64_t lmnic_core_sm_read(LmnicState *s, hwaddr addr, unsigned size);
void lmnic_core_sm_write(LmnicState *s, hwaddr addr, uint64_t val,
                         unsigned size);
ssize_t lmnic_core_receive(LmnicState *s, const uint8_t *buf, size_t size);

/* lmnic_core.c, for lmnic_conn.c and lmnic_mig.c */
extern const struct lmnic_sm_layout_entry lmnic_layout1[];
extern const unsigned lmnic_layout1_len;
uint8_t *lmnic_vp_block(LmnicState *s, unsigned v);
struct lmnic_sm_counters *lmnic_vp_cnt(LmnicState *s, unsigned v);
struct lmnic_sm_adapter *lmnic_adapter_blk(LmnicState *s);
bool lmnic_vp_enabled(LmnicState *s, unsigned v);
bool lmnic_vp_quiesced(LmnicState *s, unsigned v);
bool lmnic_config_ok(const struct lmnic_sm_config *cfg, bool enabled);
bool lmnic_queues_ok(const struct lmnic_sm_queue *q);
bool lmnic_rss_ok(const struct lmnic_sm_rss *rss);
void lmnic_vp_sections(LmnicState *s, struct lmnic_sm_vport_hdr *h);
void lmnic_vp_restart(LmnicState *s, unsigned v);
void lmnic_vec_raise(LmnicState *s, unsigned n);

/* lmnic_sha256.c: SHA-256, on the host's SHA extensions where ACCEL allows */
#define LMNIC_SHA256_LEN    32

typedef struct LmnicSha256 {
    GChecksum *glib;        /* without the SHA extensions */
    uint32_t state[8];
    uint8_t block[64];
    size_t fill;
    uint64_t len;
} LmnicSha256;

void lmnic_sha256_init(LmnicSha256 *h, bool accel);
void lmnic_sha256_update(LmnicSha256 *h, const void *buf, size_t len);
void lmnic_sha256_final(LmnicSha256 *h, uint8_t digest[LMNIC_SHA256_LEN]);

/* lmnic_conn.c */
int64_t lmnic_now_ns(LmnicState *s);
uint32_t lmnic_conn_check(const struct lmnic_conn *c);
uint32_t lmnic_crc32c(uint32_t crc, const void *buf, size_t len);
void lmnic_conn_vp_init(LmnicState *s, unsigned v);
uint16_t lmnic_conn_aq(LmnicState *s, unsigned v, struct lmnic_aq_desc *d);
uint16_t lmnic_region_aq(LmnicState *s, unsigned v, struct lmnic_aq_desc *d);
bool lmnic_conn_lookup(LmnicState *s, unsigned v, const uint8_t *buf,
                       size_t len, const LmnicFrameInfo *fi,
                       LmnicConnHit *hit);
void lmnic_err_raise(LmnicState *s, uint32_t cause, unsigned v, unsigned qp,
                     uint32_t entry, uint64_t addr);
void lmnic_inject_fault(LmnicState *s, const char *value, Error **errp);
void lmnic_fault_at_command(LmnicState *s, uint16_t opcode);
void lmnic_conn_class_init(ObjectClass *klass);
void lmnic_conn_reset(LmnicState *s);
void lmnic_conn_realize(LmnicState *s);
void lmnic_conn_unrealize(LmnicState *s);
void lmnic_conn_load_begin(LmnicState *s, unsigned v);
void lmnic_conn_load_slot(LmnicState *s, unsigned v, uint32_t slot,
                          const struct lmnic_conn *c, bool replace,
                          GArray *touched);
void lmnic_conn_load_end(LmnicState *s, unsigned v, const GArray *touched);

/* lmnic_mig.c */
uint16_t lmnic_mig_aq(LmnicState *s, unsigned v, struct lmnic_aq_desc *d);
void lmnic_mig_slot_written(LmnicState *s, unsigned v, uint32_t slot);
void lmnic_mig_table_written(LmnicState *s, unsigned v);
void lmnic_mig_vp_reset(LmnicState *s, unsigned v);

#endif
