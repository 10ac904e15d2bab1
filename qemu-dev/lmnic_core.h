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
void lmnic_core_realize(LmnicState *s);
void lmnic_core_unrealize(LmnicState *s);
uint64_t lmnic_core_read(LmnicState *s, hwaddr addr);
void lmnic_core_write(LmnicState *s, hwaddr addr, uint64_t val);
ssize_t lmnic_core_receive(LmnicState *s, const uint8_t *buf, size_t size);

#endif
