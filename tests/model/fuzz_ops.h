/*
 * The lmnic device fuzzer's input: a program of guest operations on two
 * adapters, A and B, each in a guest of its own. Every operation is what a
 * guest (or, for FO_FAULT, the operator) can do; the program's bytes decide
 * what and with which values. The same encoder writes the seed corpus.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef LMNIC_MODEL_FUZZ_OPS_H
#define LMNIC_MODEL_FUZZ_OPS_H

#include <stddef.h>
#include <stdint.h>

/*
 * An operation is one byte: kind in bits 3:0, bit 7 selects adapter B
 * (for FO_MIGRATE: the direction B to A). Its arguments follow, little
 * endian; an input that ends inside an operation ends the program.
 *
 *   FO_MMIO_WR   u16 reg / 4, u32 val
 *   FO_MMIO_RD   u16 reg / 4
 *   FO_SM_WR     u32 offset, u8 log2 size, u64 val: a BAR2 write
 *   FO_SM_RD     u32 offset, u8 log2 size
 *   FO_RAM_WR    u32 gpa, u16 len, bytes: the guest's own RAM
 *   FO_ADMIN     u16 opcode, u16 vport, u8 ctl, u64 buf_addr, u32 buf_len,
 *                40 bytes p, u16 n, n bytes of data
 *   FO_RX        u16 len, bytes: a frame from the port
 *   FO_TX        u8 vport, u8 qp, u16 len, bytes
 *   FO_SETUP     u8 vport, u8 queue pairs - 1, u32 vport flags, u8 what
 *   FO_CONN      u8 verb, u8 vport, u32 id, u32 key, u16 actions,
 *                u16 queue, u32 mark
 *   FO_CLOCK     u16 ms: time passes, timers run
 *   FO_REAP      u8 vport, u8 qp: the guest takes completions
 *   FO_MIGRATE   u8 vport, u8 mode, u8 n, n x (u32 off, u8 xor): A's vport
 *                to B's, bytes of the image changed (mode bit 7: sealed)
 *   FO_RESUME    u8 vport
 *   FO_FAULT     u8 kind, u8 vport, u16 n: the operator injects a fault
 *   FO_IMAGE     u8 vport, u8 flags, u16 len, bytes: a LOAD of an image
 *                the guest wrote, records and digest sealed
 */
enum fo_kind {
    FO_MMIO_WR,
    FO_MMIO_RD,
    FO_SM_WR,
    FO_SM_RD,
    FO_RAM_WR,
    FO_ADMIN,
    FO_RX,
    FO_TX,
    FO_SETUP,
    FO_CONN,
    FO_CLOCK,
    FO_REAP,
    FO_MIGRATE,
    FO_RESUME,
    FO_FAULT,
    FO_IMAGE,
    FO_KINDS
};

#define FO_B            0x80

/* FO_ADMIN ctl */
#define FO_CTL_BUF      0x01    /* data in the guest's command buffer */
#define FO_CTL_IRQ      0x02

/* FO_SETUP what */
#define FO_SETUP_ENABLE 0x01
#define FO_SETUP_QUEUES 0x02
#define FO_SETUP_REGION 0x04
#define FO_SETUP_RSS    0x08
#define FO_SETUP_ALL    0x0f

/* FO_CONN verbs */
enum { FO_CONN_ADD, FO_CONN_DEL, FO_CONN_QUERY, FO_CONN_FLUSH, FO_CONN_LIMIT };

/* FO_MIGRATE modes */
enum { FO_MIG_STOP_COPY, FO_MIG_PRECOPY, FO_MIG_DELTA };

/* what the last program reached, for the seeds to check they still do */
typedef struct FoStats {
    unsigned admin_ok;          /* admin commands with status OK */
    unsigned conns;             /* connections added */
    unsigned rx;                /* completions the guests took */
    unsigned tx;                /* frames sent out of a port */
    unsigned loads, refused;    /* LOADs taken, LOADs refused */
    unsigned faults;            /* faults injected */
} FoStats;

extern FoStats fo_stats;

/* run one program on two adapters, power-cycled first */
void fo_run(const uint8_t *data, size_t size);

/* libFuzzer's entry point (fuzz_model.c) */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* ---- the encoder (seed corpus, regression inputs) ---------------------- */

typedef struct FoProg {
    uint8_t *buf;
    size_t len, cap;
} FoProg;

void fo_u8(FoProg *p, uint8_t v);
void fo_u16(FoProg *p, uint16_t v);
void fo_u32(FoProg *p, uint32_t v);
void fo_u64(FoProg *p, uint64_t v);
void fo_bytes(FoProg *p, const void *b, size_t n);

void fo_mmio_wr(FoProg *p, int b, uint32_t reg, uint32_t val);
void fo_mmio_rd(FoProg *p, int b, uint32_t reg);
void fo_sm_wr(FoProg *p, int b, uint32_t off, unsigned size, uint64_t val);
void fo_admin(FoProg *p, int b, uint16_t opcode, uint16_t vport,
              const void *param, size_t plen, const void *data, size_t n);
void fo_rx(FoProg *p, int b, const void *frame, uint16_t len);
void fo_tx(FoProg *p, int b, uint8_t vport, uint8_t qp, const void *frame,
           uint16_t len);
void fo_setup(FoProg *p, int b, uint8_t vport, uint8_t nqp, uint32_t flags,
              uint8_t what);
void fo_conn(FoProg *p, int b, uint8_t verb, uint8_t vport, uint32_t id,
             uint32_t key, uint16_t actions, uint16_t queue, uint32_t mark);
void fo_clock(FoProg *p, uint16_t ms);
void fo_reap(FoProg *p, int b, uint8_t vport, uint8_t qp);
void fo_migrate(FoProg *p, int b_to_a, uint8_t vport, uint8_t mode);
void fo_resume(FoProg *p, int b, uint8_t vport);
void fo_fault(FoProg *p, int b, uint8_t kind, uint8_t vport, uint16_t n);

#endif
