/*
 * The guest side of the lmnic model's host tests: a small driver that
 * programs the adapter only through what a guest has (registers, BAR2,
 * its own RAM), the way lmnic.ko does: admin queue, vports, queue pairs,
 * connections, the host-resident region, migration commands, frames.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef LMNIC_MODEL_GUEST_H
#define LMNIC_MODEL_GUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lmnic_hw.h"
#include "host.h"

/* guest RAM of a test guest */
#define MG_AQ_GPA       0x10000ULL      /* admin ring */
#define MG_BUF_GPA      0x20000ULL      /* command buffer */
#define MG_BUF_SIZE     0x20000U
#define MG_HEAP_GPA     0x100000ULL     /* rings, buffers, regions, images */
#define MG_AQ_LEN       64

/* a status no command returns: the adapter did not complete it */
#define MG_NO_DD        0xffff

typedef struct MgQueue {
    bool live;
    uint64_t tx_ring, rx_ring, tx_buf, rx_buf;
    uint16_t tx_size, rx_size, buf_len;
    uint16_t tx_tail, rx_tail, rx_next;
} MgQueue;

typedef struct MgRegion {
    uint64_t gpa;
    uint32_t slots;
    uint16_t events;
} MgRegion;

typedef struct MgGuest {
    ModelHost *h;
    unsigned aq_tail;
    uint64_t heap;
    uint8_t mac[LMNIC_MAX_VPORTS][6];
    MgQueue q[LMNIC_MAX_VPORTS][LMNIC_MAX_QP];
    MgRegion region[LMNIC_MAX_VPORTS];
} MgGuest;

/* bring-up: reset, admin queue; 0 or -1 */
int mg_init(MgGuest *g, ModelHost *h);
/* the same of an adapter just reset (power-on) */
int mg_attach(MgGuest *g, ModelHost *h);
uint64_t mg_alloc(MgGuest *g, uint64_t size);

/*
 * One admin command: D filled by the caller (opcode, vport, parameters,
 * the IRQ flag if wanted),
 * IN copied to the command buffer and given as the buffer (OUT_LEN bytes
 * of it copied back to OUT afterwards). D holds the completed descriptor
 * on return; returns its status, or MG_NO_DD.
 */
uint16_t mg_cmd(MgGuest *g, struct lmnic_aq_desc *d, const void *in,
                uint32_t in_len, void *out, uint32_t out_len);
uint16_t mg_simple(MgGuest *g, uint16_t opcode, unsigned v);

uint16_t mg_vport_enable(MgGuest *g, unsigned v, unsigned nqp,
                         uint32_t flags);
uint16_t mg_queue_create(MgGuest *g, unsigned v, unsigned qp,
                         uint16_t size, uint16_t buf_len);
uint16_t mg_queue_rebase(MgGuest *g, unsigned v, unsigned qp);
uint16_t mg_rss(MgGuest *g, unsigned v, const struct lmnic_sm_rss *rss);

uint16_t mg_conn_add(MgGuest *g, unsigned v, uint32_t id,
                     const struct lmnic_conn_key *key, uint16_t actions,
                     uint16_t queue, uint32_t mark);
uint16_t mg_conn_del(MgGuest *g, unsigned v, uint32_t id);
uint16_t mg_conn_query(MgGuest *g, unsigned v, uint32_t id,
                       struct lmnic_conn *out);
uint16_t mg_conn_limit(MgGuest *g, unsigned v, uint32_t limit);
uint16_t mg_region_set(MgGuest *g, unsigned v, uint32_t slots,
                       uint16_t events);
/* entry ID of vport V's region, or NULL */
const struct lmnic_conn *mg_region_entry(MgGuest *g, unsigned v, uint32_t id);

/* migration: an image lives in the host process's memory between steps */
typedef struct MgImage {
    uint8_t *bytes;
    uint64_t size;
    uint8_t sha256[32];
    uint32_t records, slots;
} MgImage;

uint16_t mg_quiesce(MgGuest *g, unsigned v, uint8_t flags, uint64_t *size,
                    uint32_t *slots);
uint16_t mg_save(MgGuest *g, unsigned v, uint8_t flags, MgImage *img);
/* SAVE alone, into room for SIZE bytes (the QUIESCE was the caller's) */
uint16_t mg_save_sized(MgGuest *g, unsigned v, uint8_t flags, uint64_t size,
                       MgImage *img);
uint16_t mg_load(MgGuest *g, unsigned v, uint8_t flags, const MgImage *img,
                 uint32_t *detail);
uint16_t mg_digest(MgGuest *g, unsigned v, uint8_t out[32]);
void mg_image_free(MgImage *img);
/* recompute every record's check and the SHA-256, as a guest could */
void mg_image_seal(MgImage *img);

/* frames: a TCP/UDP frame of KEY for vport V's MAC */
size_t mg_frame(MgGuest *g, unsigned v, const struct lmnic_conn_key *key,
                uint8_t *buf, size_t payload);
/* send LEN bytes of FRAME on vport V, queue pair QP; repost RX buffers */
void mg_tx(MgGuest *g, unsigned v, unsigned qp, const void *frame,
           size_t len);
unsigned mg_rx_reap(MgGuest *g, unsigned v, unsigned qp);

/* a key from a number: distinct numbers, distinct keys */
void mg_key(uint32_t n, struct lmnic_conn_key *k);

#endif
