/* SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause) */
/*
 * lmnic adapter hardware interface.
 *
 * The one definition of the adapter's PCI identity, register map and
 * on-adapter layouts, shared by the device model (qemu-dev/), the driver
 * (drivers/net/ethernet/lmnic/) and the tools (tools/). The prose
 * specification is Documentation/lmnic-hw.rst.
 *
 * Registers are 32 bits wide, little endian, at the BAR0 offsets below.
 * Fields are masks built with GENMASK()/BIT(); the values of a field are
 * listed right under it.
 */
#ifndef _LMNIC_HW_H
#define _LMNIC_HW_H

#ifdef __KERNEL__
#include <linux/bits.h>
#include <linux/types.h>
#else
#include <linux/types.h>
#ifndef BIT
#define BIT(n)			(1UL << (n))
#endif
#ifndef GENMASK
#define GENMASK(h, l)		(((~0UL) << (l)) & (~0UL >> (63 - (h))))
#endif
#ifndef FIELD_PREP
#define FIELD_PREP(mask, val)	(((val) << __builtin_ctzll(mask)) & (mask))
#endif
#ifndef FIELD_GET
#define FIELD_GET(mask, reg)	(((reg) & (mask)) >> __builtin_ctzll(mask))
#endif
#endif

/* PCI identity */
#define LMNIC_PCI_VENDOR_ID	0x1234
#define LMNIC_PCI_DEVICE_ID	0x4c4d
#define LMNIC_PCI_REVISION	0x01
#define LMNIC_PCI_CLASS		0x0200	/* network controller, ethernet */

/* BARs */
#define LMNIC_BAR_REGS		0	/* registers, LMNIC_REGS_SIZE bytes */
#define LMNIC_BAR_STATE		2	/* state memory, 64-bit prefetchable */
#define LMNIC_BAR_MSIX		4	/* MSI-X table and PBA */
#define LMNIC_REGS_SIZE		0x10000

/* MSI-X vector 0 serves the admin queue and adapter errors. */
#define LMNIC_VEC_ADMIN		0
#define LMNIC_MSIX_VECTORS	1

/* Identification block: read-only */
#define LMNIC_REG_ID_START	0x0000
#define LMNIC_REG_MAGIC		0x0000
#define LMNIC_MAGIC		0x434e4d4c	/* "LMNC" */
#define LMNIC_REG_VERSION	0x0004
#define LMNIC_VERSION_MINOR	GENMASK(15, 0)
#define LMNIC_VERSION_MAJOR	GENMASK(31, 16)
#define LMNIC_HW_VERSION_MAJOR	1
#define LMNIC_REG_LAYOUT	0x0008	/* state-memory layout version */
#define LMNIC_LAYOUT_VERSION	1
#define LMNIC_REG_CAPS		0x000c
#define LMNIC_CAP_STATE_MEM	BIT(0)
#define LMNIC_REG_SERIAL_LO	0x0010
#define LMNIC_REG_SERIAL_HI	0x0014
#define LMNIC_REG_STATE_SIZE_LO	0x0018	/* BAR2 size in bytes */
#define LMNIC_REG_STATE_SIZE_HI	0x001c
#define LMNIC_REG_ID_END	0x001c

/* Control block */
#define LMNIC_REG_CTRL_START	0x0100
#define LMNIC_REG_CTRL		0x0100
#define LMNIC_CTRL_RESET	BIT(0)	/* self-clearing device reset */
#define LMNIC_REG_STATUS	0x0104
#define LMNIC_STATUS_READY	BIT(0)	/* reset complete, registers usable */
#define LMNIC_STATUS_FATAL	BIT(1)	/* adapter stopped on a fatal error */
#define LMNIC_REG_SCRATCH	0x0108	/* read/write, no side effects */
#define LMNIC_REG_CTRL_END	0x0108

/* An MMIO read of a dead or removed adapter returns all ones. */
#define LMNIC_DEAD_READ		0xffffffffU

#endif /* _LMNIC_HW_H */
