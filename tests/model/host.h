/*
 * A host for the lmnic adapter model outside QEMU
 *
 * The model's own C files (qemu-dev/lmnic_core.c, lmnic_conn.c,
 * lmnic_mig.c) are linked unmodified against this file, which gives them
 * the part of QEMU they use: DMA into a guest's RAM, the virtual clock and
 * its timers, MSI-X, and a network port. A test or a fuzzer then acts as
 * the guest and reaches the adapter only as a guest does: register reads
 * and writes of BAR0, reads and writes of BAR2, its own RAM (descriptors,
 * rings, buffers), and frames on the port. Each adapter has a guest of its
 * own; the clock is shared.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef LMNIC_MODEL_HOST_H
#define LMNIC_MODEL_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct ModelHost ModelHost;

/*
 * Guest physical addresses: RAM from 0, then the adapter's BAR0 and BAR2.
 * A DMA that the adapter aims at its own BARs reaches them (with QEMU's
 * re-entrancy guard), as in QEMU; anything else outside RAM fails.
 */
#define MH_BAR0_GPA     0xfe000000ULL
#define MH_BAR2_GPA     0x4000000000ULL

typedef struct ModelConfig {
    uint64_t state_size;    /* BAR2 bytes; 0: 4 MiB */
    uint32_t vports;        /* 0: 4 */
    uint64_t ram_size;      /* guest RAM bytes; 0: 64 MiB */
    uint64_t serial;
    uint8_t mac[6];         /* base MAC; all zero: 52:54:00:4c:4d:00 */
} ModelConfig;

ModelHost *mh_new(const ModelConfig *cfg);
void mh_free(ModelHost *h);
/* power off and on: the adapter's reset, the guest's RAM zeroes again */
void mh_power_cycle(ModelHost *h);

/* the guest's view */
uint32_t mh_rd32(ModelHost *h, uint32_t reg);
void mh_wr32(ModelHost *h, uint32_t reg, uint32_t val);
uint64_t mh_sm_rd(ModelHost *h, uint64_t off, unsigned size);
void mh_sm_wr(ModelHost *h, uint64_t off, uint64_t val, unsigned size);
uint8_t *mh_ram(ModelHost *h, uint64_t gpa, uint64_t len);  /* or NULL */
uint64_t mh_ram_size(ModelHost *h);

/* the port: a frame arrives; frames the adapter sent */
void mh_rx(ModelHost *h, const void *frame, size_t len);
typedef void MhSendFn(void *opaque, const void *frame, size_t len);
void mh_on_send(ModelHost *h, MhSendFn *fn, void *opaque);
uint64_t mh_sent(ModelHost *h);

/* interrupts sent on VECTOR since the adapter was made */
uint64_t mh_irqs(ModelHost *h, unsigned vector);

/* guest errors the model logged (qemu_log_mask(LOG_GUEST_ERROR)) */
uint64_t mh_guest_errors(void);

/* the virtual clock, shared by every adapter: advance it, run timers */
void mh_clock_step(int64_t ns);
int64_t mh_clock_ns(void);
/* back to its start: power-cycle every adapter right after */
void mh_clock_reset(void);

/* operator actions (QMP): inject-fault; 0 or -1 with the error in ERR */
int mh_inject_fault(ModelHost *h, const char *fault, char *err, size_t len);

/*
 * White-box views for the tests' checks, never used to drive the model:
 * the bytes of state memory, and the block size and table capacity. The
 * tests of the model's bounds write it too, as a fault (a flipped bit, a
 * bad SRAM cell) would: whatever the memory holds, the model must stay
 * inside its own memory and terminate.
 */
uint8_t *mh_state(ModelHost *h);
/*
 * SHA-256 of BUF as the model computes it, in updates of SPLIT bytes (0:
 * one), on the host's SHA extensions if ACCEL; whether it used them.
 */
bool mh_sha256(const void *buf, size_t len, size_t split, bool accel,
               uint8_t digest[32]);
uint32_t mh_vport_block(ModelHost *h);
uint32_t mh_conn_capacity(ModelHost *h);

#endif
