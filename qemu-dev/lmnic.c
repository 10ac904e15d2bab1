/*
 * lmnic PCIe network adapter: PCI/QOM shell
 *
 * The register map and layouts are defined in lmnic_hw.h, shared with the
 * Linux driver; Documentation/lmnic-hw.rst in the lmnic tree specifies them.
 * Register behaviour, the admin queue and the datapath are in lmnic_core.c.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/log.h"
#include "qemu/module.h"
#include "qemu/units.h"
#include "qapi/error.h"
#include "hw/pci/pci.h"
#include "hw/pci/pcie.h"
#include "hw/pci/msix.h"
#include "hw/qdev-properties.h"
#include "migration/vmstate.h"
#include "net/net.h"
#include "trace.h"

#include "lmnic_core.h"

#define LMNIC_PCIE_CAP_OFFSET   0xe0
#define LMNIC_AER_OFFSET        0x100

static uint64_t lmnic_mmio_read(void *opaque, hwaddr addr, unsigned size)
{
    uint64_t val = lmnic_core_read(opaque, addr);

    trace_lmnic_mmio_read(addr, val);
    return val;
}

static void lmnic_mmio_write(void *opaque, hwaddr addr, uint64_t val,
                             unsigned size)
{
    trace_lmnic_mmio_write(addr, val);
    lmnic_core_write(opaque, addr, val);
}

static const MemoryRegionOps lmnic_mmio_ops = {
    .read = lmnic_mmio_read,
    .write = lmnic_mmio_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = {
        .min_access_size = 4,
        .max_access_size = 4,
    },
};

static uint64_t lmnic_state_read(void *opaque, hwaddr addr, unsigned size)
{
    return lmnic_core_sm_read(opaque, addr, size);
}

static void lmnic_state_write(void *opaque, hwaddr addr, uint64_t val,
                              unsigned size)
{
    lmnic_core_sm_write(opaque, addr, val, size);
}

static const MemoryRegionOps lmnic_state_ops = {
    .read = lmnic_state_read,
    .write = lmnic_state_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = {
        .min_access_size = 1,
        .max_access_size = 8,
    },
    .impl = {
        .min_access_size = 1,
        .max_access_size = 8,
    },
};

static ssize_t lmnic_receive(NetClientState *nc, const uint8_t *buf,
                             size_t size)
{
    return lmnic_core_receive(qemu_get_nic_opaque(nc), buf, size);
}

static NetClientInfo lmnic_net_info = {
    .type = NET_CLIENT_DRIVER_NIC,
    .size = sizeof(NICState),
    .receive = lmnic_receive,
};

static void lmnic_realize(PCIDevice *pdev, Error **errp)
{
    LmnicState *s = LMNIC(pdev);
    DeviceState *dev = DEVICE(pdev);
    unsigned n;

    pci_config_set_interrupt_pin(pdev->config, 1);

    if (pcie_endpoint_cap_init(pdev, LMNIC_PCIE_CAP_OFFSET) < 0) {
        error_setg(errp, "lmnic: failed to add the PCIe capability");
        return;
    }
    pcie_cap_flr_init(pdev);   /* function-level reset revives a dead adapter */
    pcie_cap_deverr_init(pdev); /* the guest enables error reporting */
    /* errors the host can inject (pcie_aer_inject_error) and the guest take */
    if (pcie_aer_init(pdev, PCI_ERR_VER, LMNIC_AER_OFFSET, PCI_ERR_SIZEOF,
                      errp) < 0) {
        goto err_pcie;
    }

    memory_region_init_io(&s->mmio, OBJECT(s), &lmnic_mmio_ops, s,
                          "lmnic-regs", LMNIC_REGS_SIZE);
    pci_register_bar(pdev, LMNIC_BAR_REGS, PCI_BASE_ADDRESS_SPACE_MEMORY,
                     &s->mmio);

    if (!lmnic_core_realize(s, errp)) {
        goto err_aer;
    }
    memory_region_init_io(&s->state_region, OBJECT(s), &lmnic_state_ops, s,
                          "lmnic-state", s->state_size);
    pci_register_bar(pdev, LMNIC_BAR_STATE,
                     PCI_BASE_ADDRESS_SPACE_MEMORY |
                     PCI_BASE_ADDRESS_MEM_TYPE_64 |
                     PCI_BASE_ADDRESS_MEM_PREFETCH,
                     &s->state_region);

    if (msix_init_exclusive_bar(pdev, LMNIC_MSIX_VECTORS, LMNIC_BAR_MSIX,
                                errp)) {
        goto err_core;
    }
    for (n = 0; n < LMNIC_MSIX_VECTORS; n++) {
        msix_vector_use(pdev, n);
    }

    qemu_macaddr_default_if_unset(&s->conf.macaddr);
    s->nic = qemu_new_nic(&lmnic_net_info, &s->conf,
                          object_get_typename(OBJECT(s)), dev->id,
                          &dev->mem_reentrancy_guard, s);
    qemu_format_nic_info_str(qemu_get_queue(s->nic), s->conf.macaddr.a);

    lmnic_core_reset(s);
    return;

err_core:
    lmnic_core_unrealize(s);
err_aer:
    pcie_aer_exit(pdev);
err_pcie:
    pcie_cap_exit(pdev);
}

static void lmnic_exit(PCIDevice *pdev)
{
    LmnicState *s = LMNIC(pdev);

    lmnic_core_unrealize(s);
    qemu_del_nic(s->nic);
    msix_unuse_all_vectors(pdev);
    msix_uninit_exclusive_bar(pdev);
    pcie_aer_exit(pdev);
    pcie_cap_exit(pdev);
}

static void lmnic_write_config(PCIDevice *pdev, uint32_t addr, uint32_t val,
                               int len)
{
    pci_default_write_config(pdev, addr, val, len);
    pcie_cap_flr_write_config(pdev, addr, val, len);
    pcie_aer_write_config(pdev, addr, val, len);
}

static void lmnic_qdev_reset(DeviceState *dev)
{
    pcie_cap_deverr_reset(PCI_DEVICE(dev));
    lmnic_core_reset(LMNIC(dev));
}

static const VMStateDescription lmnic_vmstate = {
    .name = "lmnic",
    .unmigratable = 1,
};

static Property lmnic_properties[] = {
    DEFINE_NIC_PROPERTIES(LmnicState, conf),
    DEFINE_PROP_SIZE("state-size", LmnicState, state_size, 256 * MiB),
    DEFINE_PROP_UINT64("serial", LmnicState, serial, 0x4c4d000000000001ULL),
    DEFINE_PROP_UINT32("vports", LmnicState, num_vports, 4),
    DEFINE_PROP_END_OF_LIST(),
};

static void lmnic_class_init(ObjectClass *klass, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    PCIDeviceClass *k = PCI_DEVICE_CLASS(klass);

    k->realize = lmnic_realize;
    k->exit = lmnic_exit;
    k->config_write = lmnic_write_config;
    k->vendor_id = LMNIC_PCI_VENDOR_ID;
    k->device_id = LMNIC_PCI_DEVICE_ID;
    k->revision = LMNIC_PCI_REVISION;
    k->class_id = PCI_CLASS_NETWORK_ETHERNET;

    dc->desc = "lmnic network adapter";
    dc->reset = lmnic_qdev_reset;
    dc->vmsd = &lmnic_vmstate;
    device_class_set_props(dc, lmnic_properties);
    set_bit(DEVICE_CATEGORY_NETWORK, dc->categories);
    lmnic_conn_class_init(klass);
}

static const TypeInfo lmnic_info = {
    .name = TYPE_LMNIC,
    .parent = TYPE_PCI_DEVICE,
    .instance_size = sizeof(LmnicState),
    .class_init = lmnic_class_init,
    .interfaces = (InterfaceInfo[]) {
        { INTERFACE_PCIE_DEVICE },
        { }
    },
};

static void lmnic_register_types(void)
{
    type_register_static(&lmnic_info);
}

type_init(lmnic_register_types)
