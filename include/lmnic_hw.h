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
#include <linux/build_bug.h>
#include <linux/types.h>
#else
#include <assert.h>
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

/* Limits */
#define LMNIC_MAX_VPORTS	16
#define LMNIC_MAX_QP		4	/* queue pairs per vport */
#define LMNIC_MAX_MAC_FILTERS	32	/* unicast + multicast per vport */
#define LMNIC_RSS_KEY_SIZE	40
#define LMNIC_RSS_TABLE_SIZE	128
#define LMNIC_RING_MIN		64
#define LMNIC_RING_MAX		4096	/* entries, a power of two */
#define LMNIC_MIN_MTU		68
#define LMNIC_MAX_MTU		9000
#define LMNIC_MAX_FRAME		(LMNIC_MAX_MTU + 18)	/* + ethernet + VLAN */
#define LMNIC_RX_BUF_MIN	256
#define LMNIC_RX_BUF_MAX	16384

/*
 * MSI-X: vector 0 serves the admin queue and adapter errors; every queue
 * pair is given a vector of its own (1 .. LMNIC_MSIX_VECTORS - 1) by the
 * driver when it creates the queue pair.
 */
#define LMNIC_VEC_ADMIN		0
#define LMNIC_MSIX_VECTORS	(1 + LMNIC_MAX_VPORTS * LMNIC_MAX_QP)

/* Identification block: read-only */
#define LMNIC_REG_ID_START	0x0000
#define LMNIC_REG_MAGIC		0x0000
#define LMNIC_MAGIC		0x434e4d4c	/* "LMNC" */
#define LMNIC_REG_VERSION	0x0004
#define LMNIC_VERSION_MINOR	GENMASK(15, 0)
#define LMNIC_VERSION_MAJOR	GENMASK(31, 16)
#define LMNIC_HW_VERSION_MAJOR	1
#define LMNIC_HW_VERSION_MINOR	6
#define LMNIC_REG_LAYOUT	0x0008	/* state-memory layout version */
#define LMNIC_LAYOUT_VERSION	1
#define LMNIC_REG_CAPS		0x000c
#define LMNIC_CAP_STATE_MEM	BIT(0)
#define LMNIC_CAP_RSS		BIT(1)
#define LMNIC_CAP_TX_CSUM	BIT(2)
#define LMNIC_CAP_RX_CSUM	BIT(3)
#define LMNIC_CAP_CONN		BIT(4)	/* connection table */
#define LMNIC_CAP_HOST_REGION	BIT(5)	/* host-resident offload region */
#define LMNIC_CAP_MIGRATION	BIT(6)	/* QUIESCE, SAVE, LOAD, RESUME, DIGEST */
#define LMNIC_CAP_PRECOPY	BIT(7)	/* LMNIC_MIGF_PRECOPY and _DELTA */
#define LMNIC_CAP_ROUNDS	BIT(8)	/* SAVE with PRECOPY | DELTA: a round */
#define LMNIC_CAP_ALL		GENMASK(8, 0)
#define LMNIC_REG_SERIAL_LO	0x0010
#define LMNIC_REG_SERIAL_HI	0x0014
#define LMNIC_REG_STATE_SIZE_LO	0x0018	/* BAR2 size in bytes */
#define LMNIC_REG_STATE_SIZE_HI	0x001c
#define LMNIC_REG_TOPOLOGY	0x0020
#define LMNIC_TOPO_VPORTS	GENMASK(7, 0)	/* vports on this adapter */
#define LMNIC_TOPO_MAX_QP	GENMASK(15, 8)	/* queue pairs per vport */
#define LMNIC_REG_VPORT_BLOCK	0x0024	/* bytes per vport state block */
#define LMNIC_REG_MAC_LO	0x0028	/* base MAC address, bytes 0..3 */
#define LMNIC_REG_MAC_HI	0x002c	/* bytes 4..5 in [15:0] */
#define LMNIC_REG_ID_END	0x002c

/* Control block */
#define LMNIC_REG_CTRL_START	0x0100
#define LMNIC_REG_CTRL		0x0100
#define LMNIC_CTRL_RESET	BIT(0)	/* self-clearing device reset */
#define LMNIC_REG_STATUS	0x0104
#define LMNIC_STATUS_READY	BIT(0)	/* reset complete, registers usable */
#define LMNIC_STATUS_FATAL	BIT(1)	/* adapter stopped on a fatal error */
#define LMNIC_STATUS_LINK	BIT(2)	/* physical port link up */
#define LMNIC_REG_SCRATCH	0x0108	/* read/write, no side effects */
#define LMNIC_REG_CTRL_END	0x0108

/*
 * Error block. The adapter latches the first error's details (vport, queue
 * pair, connection id, address, time) until the driver clears every cause
 * bit, and raises LMNIC_VEC_ADMIN for each new cause.
 */
#define LMNIC_REG_ERR_START	0x0180
#define LMNIC_REG_ERR_CAUSE	0x0180	/* write 1 to clear */
#define LMNIC_ERR_PARITY	BIT(0)	/* a connection entry failed its check */
#define LMNIC_ERR_DMA		BIT(1)	/* a queue's DMA faulted; queue stopped */
#define LMNIC_ERR_FATAL		BIT(2)	/* firmware fatal; the adapter stops */
#define LMNIC_ERR_ALL		GENMASK(2, 0)
#define LMNIC_REG_ERR_VPORT	0x0184
#define LMNIC_REG_ERR_QP	0x0188
#define LMNIC_REG_ERR_ENTRY	0x018c	/* connection id */
#define LMNIC_REG_ERR_ADDR_LO	0x0190	/* faulting DMA address */
#define LMNIC_REG_ERR_ADDR_HI	0x0194
#define LMNIC_REG_ERR_TIME_LO	0x0198	/* adapter time of the error, ns */
#define LMNIC_REG_ERR_TIME_HI	0x019c
#define LMNIC_REG_ERR_COUNT	0x01a0	/* errors since reset */
#define LMNIC_REG_TIME_LO	0x01a4	/* adapter clock, ns; reading LO */
#define LMNIC_REG_TIME_HI	0x01a8	/* latches HI */
#define LMNIC_REG_ERR_END	0x01a8

/* Admin queue block */
#define LMNIC_REG_AQ_START	0x0200
#define LMNIC_REG_AQ_BASE_LO	0x0200	/* ring DMA address, 64-byte aligned */
#define LMNIC_REG_AQ_BASE_HI	0x0204
#define LMNIC_REG_AQ_LEN	0x0208	/* entries: power of two, 2..256 */
#define LMNIC_REG_AQ_HEAD	0x020c	/* read-only: next entry the device takes */
#define LMNIC_REG_AQ_TAIL	0x0210	/* doorbell: next entry the driver fills */
#define LMNIC_REG_AQ_CTRL	0x0214
#define LMNIC_AQ_CTRL_ENABLE	BIT(0)
#define LMNIC_AQ_LEN_MAX	256
#define LMNIC_REG_AQ_END	0x0214

/*
 * Interrupt block. After the device sends vector N it masks it until the
 * driver writes 1 to LMNIC_REG_VEC_ENABLE(N); an event in between is sent
 * at the unmask. LMNIC_REG_VEC_ITR(N) is the least time between two
 * interrupts on vector N, in microseconds (0: no moderation).
 */
#define LMNIC_REG_INTR_START	0x0400
#define LMNIC_REG_VEC_ENABLE(n)	(0x0400 + (n) * 8)	/* write 1: unmask */
#define LMNIC_REG_VEC_ITR(n)	(0x0404 + (n) * 8)
#define LMNIC_ITR_MAX_US	10000
#define LMNIC_REG_INTR_END	LMNIC_REG_VEC_ITR(LMNIC_MSIX_VECTORS - 1)

/*
 * Doorbells: the producer index of each ring (0 .. ring size - 1). Writing
 * TX tells the device that the descriptors up to, not including, the index
 * are ready; writing RX posts the buffers up to it. A ring holds at most
 * size - 1 entries in flight.
 */
#define LMNIC_REG_DB_START	0x1000
#define LMNIC_REG_DB(vport, qp, rx) \
	(0x1000 + (((vport) * LMNIC_MAX_QP + (qp)) * 2 + (rx)) * 4)
#define LMNIC_REG_DB_END	LMNIC_REG_DB(LMNIC_MAX_VPORTS - 1, LMNIC_MAX_QP - 1, 1)
#define LMNIC_REG_REGS_END	(LMNIC_REGS_SIZE - 4)

/* An MMIO read of a dead or removed adapter returns all ones. */
#define LMNIC_DEAD_READ		0xffffffffU

/*
 * TX descriptor, written by the driver. A frame is one or more descriptors,
 * the last with EOP. With CSUM, the device stores the 16-bit ones'
 * complement checksum of the bytes from csum_start to the end of the frame
 * at csum_start + csum_offset. The device sets DD in the flags of the EOP
 * descriptor once the whole frame is sent (or dropped) and its buffers are
 * free again.
 */
struct lmnic_tx_desc {
	__le64 addr;
	__le16 len;
	__le16 csum_start;
	__le16 csum_offset;
	__le16 flags;
};

#define LMNIC_TXD_EOP		BIT(0)
#define LMNIC_TXD_CSUM		BIT(1)
#define LMNIC_TXD_DD		BIT(15)

/* RX descriptor as the driver posts it: one buffer for one frame. */
struct lmnic_rx_desc {
	__le64 addr;
	__le16 buf_len;
	__le16 rsvd0;
	__le32 rsvd1;
};

/* The same slot as the device writes it back when a frame has landed. */
struct lmnic_rx_cmpl {
	__le32 rss_hash;
	__le32 mark;
	__le16 len;
	__le16 vlan_tci;
	__le16 rsvd;
	__le16 flags;
};

#define LMNIC_RXC_L4_CSUM_OK	BIT(0)	/* TCP/UDP checksum verified */
#define LMNIC_RXC_L4_CSUM_BAD	BIT(1)
#define LMNIC_RXC_RSS_VALID	BIT(2)
#define LMNIC_RXC_RSS_L4	BIT(3)	/* hash covered L4 ports */
#define LMNIC_RXC_MARK_VALID	BIT(4)
#define LMNIC_RXC_VLAN		BIT(5)	/* frame carried vlan_tci (left in) */
#define LMNIC_RXC_DD		BIT(15)

/*
 * Admin queue descriptor, 64 bytes. The driver fills opcode, vport and the
 * parameters and clears flags but IRQ; the device writes status and sets
 * DD when done, and raises LMNIC_VEC_ADMIN if IRQ was set. Data larger
 * than the inline parameters travels in a buffer at buf_addr.
 */
struct lmnic_aq_desc {
	__le16 opcode;
	__le16 flags;
	__le16 status;
	__le16 vport;
	__le64 buf_addr;
	__le32 buf_len;
	__le32 rsvd;
	union {
		__u8 raw[40];
		struct lmnic_aq_vport_cfg {
			__u8 mac[6];
			__le16 mtu;
			__le16 num_qp;
			__le16 rsvd;
			__le32 flags;	/* LMNIC_VPF_* */
		} vport_cfg;
		struct lmnic_aq_queue {
			__le64 tx_base;
			__le64 rx_base;
			__le16 qp;
			__le16 tx_size;
			__le16 rx_size;
			__le16 rx_buf_len;
			__le16 vector;
			__le16 rsvd[3];
		} queue;
		struct lmnic_aq_info {	/* written by the device */
			__le32 vport_block;
			__le32 layout;
			__le16 num_vports;
			__le16 max_qp;
			__le32 caps;
			__le32 conn_capacity;	/* connection slots per vport */
		} info;
		struct lmnic_aq_conn {
			__le32 id;	/* connection id: 0 .. limit - 1 */
			__le32 limit;	/* CONN_LIMIT: new limit */
			__le32 count;	/* written by the device: entries in use */
			__le32 capacity;	/* written by the device */
		} conn;
		struct lmnic_aq_region {
			__le32 num_chunks;	/* addresses in the buffer */
			__le32 slots;	/* connection entries */
			__le16 events;	/* event ring entries, a power of two */
			__u8 chunk_shift;	/* log2 of the chunk size */
			__u8 rsvd;
		} region;
		struct lmnic_aq_mig {
			__le64 image_size;	/* bytes of the image */
			__le32 num_chunks;	/* SAVE, LOAD: addresses in the buffer */
			__le32 num_records;
			__le32 slots;		/* connection slots in the image */
			__u8 chunk_shift;	/* log2 of the chunk size */
			__u8 flags;		/* LMNIC_MIGF_* */
			__u8 rsvd0[2];
			__le32 detail;		/* LOAD refused: LMNIC_LOADE_*, record */
			__le32 rsvd1[2];
		} mig;
	} p;
};

#define LMNIC_AQF_DD		BIT(0)
#define LMNIC_AQF_IRQ		BIT(1)

enum lmnic_aq_opcode {
	LMNIC_AQ_NOP		= 0x0000,
	LMNIC_AQ_GET_INFO	= 0x0001,
	LMNIC_AQ_VPORT_ENABLE	= 0x0010,	/* vport_cfg: MAC, MTU, queues, flags */
	LMNIC_AQ_VPORT_DISABLE	= 0x0011,
	LMNIC_AQ_VPORT_RESET	= 0x0012,	/* back to power-on state */
	LMNIC_AQ_SET_CONFIG	= 0x0013,	/* vport_cfg of an enabled vport */
	LMNIC_AQ_SET_MAC_FILTERS = 0x0014,	/* buf: struct lmnic_mac_filter[] */
	LMNIC_AQ_SET_VLAN_FILTER = 0x0015,	/* buf: 512-byte VLAN bitmap */
	LMNIC_AQ_SET_RSS	= 0x0016,	/* buf: struct lmnic_sm_rss */
	LMNIC_AQ_QUEUE_CREATE	= 0x0020,	/* queue */
	LMNIC_AQ_QUEUE_DESTROY	= 0x0021,	/* queue.qp */
	LMNIC_AQ_CONN_ADD	= 0x0030,	/* conn.id, buf: struct lmnic_conn */
	LMNIC_AQ_CONN_DEL	= 0x0031,	/* conn.id */
	LMNIC_AQ_CONN_QUERY	= 0x0032,	/* conn.id, buf <- struct lmnic_conn */
	LMNIC_AQ_CONN_FLUSH	= 0x0033,	/* delete every entry */
	LMNIC_AQ_CONN_LIMIT	= 0x0034,	/* conn.limit */
	LMNIC_AQ_REGION_SET	= 0x0038,	/* region, buf: __le64 chunk[] */
	LMNIC_AQ_REGION_CLEAR	= 0x0039,
	LMNIC_AQ_QUIESCE	= 0x0040,	/* mig <- image_size, slots */
	LMNIC_AQ_SAVE		= 0x0041,	/* mig, buf: struct lmnic_mig_dir */
	LMNIC_AQ_LOAD		= 0x0042,	/* mig, buf: struct lmnic_mig_dir */
	LMNIC_AQ_RESUME		= 0x0043,
	LMNIC_AQ_DIGEST		= 0x0044,	/* raw[0..31] <- SHA-256 */
};

/* Admin command status, in lmnic_aq_desc.status */
enum lmnic_aq_status {
	LMNIC_AQS_OK		= 0,
	LMNIC_AQS_EINVAL	= 1,	/* bad parameter */
	LMNIC_AQS_ENOENT	= 2,	/* no such vport, queue or entry */
	LMNIC_AQS_EBUSY		= 3,	/* object in a state that forbids it */
	LMNIC_AQS_ENOSPC	= 4,	/* table full */
	LMNIC_AQS_EOPNOTSUPP	= 5,	/* unknown opcode */
	LMNIC_AQS_EIO		= 6,	/* DMA failed */
	LMNIC_AQS_EEXIST	= 7,	/* entry exists */
	LMNIC_AQS_EBADIMAGE	= 8,	/* state image failed validation */
	LMNIC_AQS_EVERSION	= 9,	/* state image of another layout */
};

/* ------------------------------------------------------------------------
 * State memory (BAR2)
 *
 * 0 .. LMNIC_SM_VPORT_BASE-1: the adapter block (struct lmnic_sm_adapter).
 * Then one block per vport, LMNIC_REG_VPORT_BLOCK bytes apart. A vport's
 * block is its whole hardware state and the datapath uses it in place: the
 * "native format" that migration copies. It starts with a header and a
 * table of sections; a section flagged HOST holds values that only make
 * sense on one host (DMA addresses, vectors, ring indices).
 * All fields are little endian.
 */
#define LMNIC_SM_VPORT_BASE	0x10000

struct lmnic_sm_adapter {
	__le32 magic;			/* LMNIC_SM_ADAPTER_MAGIC */
	__le32 layout;
	__le64 rx_no_vport;		/* frames no vport accepted */
	__le64 rx_runt;			/* frames shorter than an ethernet header */
	__le64 tx_wire;			/* frames sent out of the port */
	__le64 rx_wire;			/* frames received from the port */
	__le64 rx_quiesced;		/* frames for a quiesced vport, dropped */
	__le64 sm_writes_refused;	/* BAR2 writes to a running vport */
};

#define LMNIC_SM_ADAPTER_MAGIC	0x41534d4c	/* "LMSA" */

enum lmnic_sm_section_type {
	LMNIC_SEC_CONFIG	= 1,	/* struct lmnic_sm_config */
	LMNIC_SEC_MAC_FILTERS	= 2,	/* struct lmnic_mac_filter[32] */
	LMNIC_SEC_VLAN_FILTER	= 3,	/* 4096-bit bitmap */
	LMNIC_SEC_RSS		= 4,	/* struct lmnic_sm_rss */
	LMNIC_SEC_QUEUES	= 5,	/* struct lmnic_sm_queue[4] */
	LMNIC_SEC_QUEUES_HOST	= 6,	/* struct lmnic_sm_queue_host[4], HOST */
	LMNIC_SEC_COUNTERS	= 7,	/* struct lmnic_sm_counters */
	LMNIC_SEC_CONN		= 8,	/* struct lmnic_sm_conn_hdr */
	LMNIC_SEC_REGION_HOST	= 9,	/* struct lmnic_sm_region_host, HOST */
	LMNIC_SEC_CONN_INDEX	= 10,	/* __le32 slot + 1 per connection id */
	LMNIC_SEC_CONN_TABLE	= 11,	/* struct lmnic_conn[capacity] */
	LMNIC_SEC_MAX		= 12,
};

struct lmnic_sm_section {
	__le16 type;			/* enum lmnic_sm_section_type */
	__le16 flags;			/* LMNIC_SECF_* */
	__le32 offset;			/* from the start of the block */
	__le32 size;
	__le32 rsvd;
};

#define LMNIC_SECF_HOST		BIT(0)	/* host-specific: rebased on restore */

struct lmnic_sm_vport_hdr {
	__le32 magic;			/* LMNIC_SM_VPORT_MAGIC */
	__le16 layout;			/* LMNIC_LAYOUT_VERSION */
	__le16 num_sections;
	__le32 block_size;
	__le32 generation;		/* bumped by every configuration change */
	__le16 vport;			/* index on this adapter (host-specific) */
	__le16 rsvd0;
	__le32 state;			/* LMNIC_VPS_* */
	__le32 rsvd1[2];
	struct lmnic_sm_section sections[LMNIC_SEC_MAX];
};

#define LMNIC_SM_VPORT_MAGIC	0x50564d4c	/* "LMVP" */

/* lmnic_sm_vport_hdr.state */
#define LMNIC_VPS_ENABLED	BIT(0)
#define LMNIC_VPS_QUIESCED	BIT(1)	/* stopped for migration */

/* lmnic_sm_config.flags and lmnic_aq_vport_cfg.flags */
#define LMNIC_VPF_PROMISC	BIT(0)
#define LMNIC_VPF_ALLMULTI	BIT(1)
#define LMNIC_VPF_BROADCAST	BIT(2)	/* accept broadcast */
#define LMNIC_VPF_VLAN_FILTER	BIT(3)	/* drop tagged frames not in the bitmap */
#define LMNIC_VPF_RX_CSUM	BIT(4)	/* verify TCP/UDP checksums */
#define LMNIC_VPF_RSS		BIT(5)	/* spread by RSS; else queue 0 */
#define LMNIC_VPF_ALL		GENMASK(5, 0)

struct lmnic_sm_config {
	__u8 mac[6];			/* primary unicast address */
	__le16 mtu;
	__le16 num_qp;			/* queue pairs in use */
	__le16 num_filters;		/* entries used in MAC_FILTERS */
	__le32 flags;			/* LMNIC_VPF_* */
};

struct lmnic_mac_filter {
	__u8 addr[6];
	__le16 flags;			/* LMNIC_MACF_* */
};

#define LMNIC_MACF_VALID	BIT(0)

#define LMNIC_VLAN_BITMAP_SIZE	(4096 / 8)

struct lmnic_sm_rss {
	__u8 key[LMNIC_RSS_KEY_SIZE];
	__le32 hash_types;		/* LMNIC_RSS_HASH_* */
	__le32 rsvd;
	__u8 table[LMNIC_RSS_TABLE_SIZE];	/* queue pair per bucket */
};

#define LMNIC_RSS_HASH_IPV4	BIT(0)
#define LMNIC_RSS_HASH_TCP4	BIT(1)
#define LMNIC_RSS_HASH_UDP4	BIT(2)
#define LMNIC_RSS_HASH_IPV6	BIT(3)
#define LMNIC_RSS_HASH_TCP6	BIT(4)
#define LMNIC_RSS_HASH_UDP6	BIT(5)
#define LMNIC_RSS_HASH_ALL	GENMASK(5, 0)

/* Portable part of a queue pair's context. */
struct lmnic_sm_queue {
	__le16 tx_size;
	__le16 rx_size;
	__le16 rx_buf_len;
	__le16 flags;			/* LMNIC_QF_* */
	__le32 rsvd[2];
};

#define LMNIC_QF_ENABLED	BIT(0)

/* Host-specific part of a queue pair's context. */
struct lmnic_sm_queue_host {
	__le64 tx_base;
	__le64 rx_base;
	__le16 tx_head;			/* next descriptor the device takes */
	__le16 tx_tail;			/* last doorbell */
	__le16 rx_head;
	__le16 rx_tail;
	__le16 vector;
	__le16 rsvd[3];
};

struct lmnic_sm_queue_counters {
	__le64 tx_packets;
	__le64 tx_bytes;
	__le64 rx_packets;
	__le64 rx_bytes;
	__le64 rx_no_buffer;		/* dropped: no RX buffer posted */
	__le64 tx_errors;		/* dropped: bad descriptor or DMA error */
};

struct lmnic_sm_counters {
	struct lmnic_sm_queue_counters q[LMNIC_MAX_QP];
	__le64 rx_unicast;
	__le64 rx_multicast;
	__le64 rx_broadcast;
	__le64 rx_vlan_drop;		/* tagged with a VLAN not in the filter */
	__le64 rx_oversize;		/* longer than the MTU or the buffer */
	__le64 rx_csum_bad;
	__le64 tx_local;		/* delivered to a sibling vport */
	__le64 tx_wire;			/* sent out of the physical port */
	__le64 rx_conn_hit;		/* matched a connection entry */
	__le64 rx_conn_drop;		/* dropped by a connection's DROP */
	__le64 rx_conn_mark;		/* marked by a connection's MARK */
	__le64 rsvd;
};

/* ---- connection table ------------------------------------------------
 *
 * Each vport has a hash table of connections in its block (CONN_TABLE) and
 * an index from connection id to slot (CONN_INDEX). A connection is an exact
 * 5-tuple of a received frame; its actions apply to matching frames.
 */
#define LMNIC_CONN_FAMILY_IPV4	4
#define LMNIC_CONN_FAMILY_IPV6	6
#define LMNIC_CONN_MAX_PROBE	64	/* longest hash-table probe */

struct lmnic_conn_key {
	__be32 src[4];			/* IPv4: src[0], the rest zero */
	__be32 dst[4];
	__be16 sport;
	__be16 dport;
	__u8 family;			/* LMNIC_CONN_FAMILY_* */
	__u8 proto;			/* 6 (TCP) or 17 (UDP) */
	__le16 rsvd;			/* zero */
};

/*
 * A connection, 128 bytes: the same in the table and in the host region.
 * check is the CRC-32C of bytes 4 .. 87 (id through created_ns); the
 * adapter verifies it whenever it reads the entry and reports a mismatch
 * as a parity error. seq is the host region's sequence number (odd while
 * the adapter writes the entry); in the table it is zero.
 */
struct lmnic_conn {
	__le32 seq;
	__le32 id;
	struct lmnic_conn_key key;
	__le16 flags;			/* LMNIC_CONNF_* */
	__le16 actions;			/* LMNIC_CONN_ACT_* */
	__le16 queue;			/* STEER: queue pair */
	__le16 source;			/* LMNIC_CONN_SRC_* */
	__le32 mark;			/* MARK: reported in the RX completion */
	__le32 owner_pid;		/* who offloaded it */
	char owner_comm[16];
	__le64 created_ns;		/* adapter time of the add */
	__le32 check;
	__le32 dirty;			/* table: counters changed since flush */
	__le64 packets;
	__le64 bytes;
	__le64 last_hit_ns;		/* adapter time; 0: never */
	__le64 rsvd;
};

#define LMNIC_CONN_CHECK_START	4
#define LMNIC_CONN_CHECK_END	88

#define LMNIC_CONNF_VALID	BIT(0)
#define LMNIC_CONNF_TOMB	BIT(1)	/* table: deleted, keeps probes going */

#define LMNIC_CONN_ACT_STEER	BIT(0)
#define LMNIC_CONN_ACT_DROP	BIT(1)
#define LMNIC_CONN_ACT_MARK	BIT(2)
#define LMNIC_CONN_ACT_COUNT	BIT(3)
#define LMNIC_CONN_ACT_ALL	GENMASK(3, 0)

#define LMNIC_CONN_SRC_NETLINK	1	/* an application, through the family */
#define LMNIC_CONN_SRC_ETHTOOL	2	/* an administrator, ethtool -N */

struct lmnic_sm_conn_hdr {
	__le32 capacity;		/* slots in CONN_TABLE */
	__le32 limit;			/* ids are 0 .. limit - 1 */
	__le32 count;			/* valid entries */
	__le32 tombstones;
	__le32 hash_seed;
	__le32 rsvd0;
	__le64 event_seq;		/* offload events so far */
	__le64 adds;
	__le64 dels;
	__le64 add_fails;
	__le64 parity_errors;
};

/* Host-resident offload region, as the adapter knows it (HOST section). */
#define LMNIC_HR_MAX_CHUNKS	1022
#define LMNIC_HR_CHUNK_SHIFT_MIN 12
#define LMNIC_HR_CHUNK_SHIFT_MAX 22

struct lmnic_sm_region_host {
	__le32 num_chunks;		/* 0: no region registered */
	__le32 slots;
	__le16 events;
	__u8 chunk_shift;
	__u8 rsvd0;
	__le32 rsvd1;
	__le64 chunk[LMNIC_HR_MAX_CHUNKS];
};

/*
 * The host-resident offload region of one vport: host memory the driver
 * registers with REGION_SET, a list of chunks seen as one byte range:
 *
 *   0                  struct lmnic_hr_header
 *   events_off         struct lmnic_hr_event[events]
 *   entries_off        struct lmnic_conn[slots], slot = connection id
 *
 * The adapter writes an entry before it completes the command that changes
 * it, flushes the counters of changed entries every flush_interval_ms, and
 * appends an event for every table change and error.
 */
#define LMNIC_HR_MAGIC		0x52484d4c	/* "LMHR" */
#define LMNIC_HR_VERSION	1
#define LMNIC_HR_HDR_SIZE	256
#define LMNIC_HR_FLUSH_MS	100

struct lmnic_hr_header {
	__le32 magic;
	__le16 version;
	__le16 vport;
	__le32 slots;
	__le32 events;
	__le32 events_off;
	__le32 entries_off;
	__le32 entry_size;
	__le32 event_size;
	__le64 serial;			/* adapter serial number */
	__le64 event_seq;		/* events written so far */
	__le64 flush_ns;		/* adapter time of the last flush */
	__le64 registered_ns;
	__le32 flush_interval_ms;
	__le32 count;			/* valid entries */
	__le32 limit;
	__le32 capacity;
	__le64 flushes;
	__u8 rsvd[168];
};

enum lmnic_hr_event_op {
	LMNIC_HR_EV_ADD		= 1,
	LMNIC_HR_EV_DEL		= 2,
	LMNIC_HR_EV_FLUSH	= 3,	/* every entry deleted */
	LMNIC_HR_EV_ADD_FAIL	= 4,	/* status says why */
	LMNIC_HR_EV_PARITY	= 5,	/* entry failed its check */
	LMNIC_HR_EV_DMA_FAULT	= 6,	/* id: queue pair */
	LMNIC_HR_EV_FATAL	= 7,
	LMNIC_HR_EV_REGISTER	= 8,	/* region registered */
};

struct lmnic_hr_event {
	__le64 seq;			/* 1, 2, ...: slot (seq - 1) % events */
	__le64 time_ns;
	__le16 op;			/* enum lmnic_hr_event_op */
	__le16 status;			/* enum lmnic_aq_status */
	__le32 id;
	struct lmnic_conn_key key;
};

static inline __u32 lmnic_hr_events_off(void)
{
	return LMNIC_HR_HDR_SIZE;
}

static inline __u32 lmnic_hr_entries_off(__u32 events)
{
	return LMNIC_HR_HDR_SIZE + events * sizeof(struct lmnic_hr_event);
}

static inline __u64 lmnic_hr_size(__u32 events, __u32 slots)
{
	return lmnic_hr_entries_off(events) +
	       (__u64)slots * sizeof(struct lmnic_conn);
}

/* Section placement in a layout-1 vport block */
#define LMNIC_SM_OFF_CONFIG	0x0100
#define LMNIC_SM_OFF_MAC_FILTERS 0x0200
#define LMNIC_SM_OFF_VLAN	0x0400
#define LMNIC_SM_OFF_RSS	0x0600
#define LMNIC_SM_OFF_QUEUES	0x0700
#define LMNIC_SM_OFF_QUEUES_HOST 0x0800
#define LMNIC_SM_OFF_COUNTERS	0x0900
#define LMNIC_SM_OFF_CONN	0x0b00
#define LMNIC_SM_OFF_REGION_HOST 0x1000
#define LMNIC_SM_FIXED_END	0x4000
#define LMNIC_SM_OFF_CONN_INDEX	LMNIC_SM_FIXED_END

/*
 * The sections of a layout-1 vport block, in header order. Adapter, driver
 * and tools build their table from this one initializer:
 *   static const struct lmnic_sm_layout_entry t[] = LMNIC_SM_LAYOUT1;
 */
struct lmnic_sm_layout_entry {
	__u16 type;
	__u16 flags;
	__u32 offset;
	__u32 size;
};

#define LMNIC_SM_LAYOUT1 {						\
	{ LMNIC_SEC_CONFIG, 0, LMNIC_SM_OFF_CONFIG,			\
	  sizeof(struct lmnic_sm_config) },				\
	{ LMNIC_SEC_MAC_FILTERS, 0, LMNIC_SM_OFF_MAC_FILTERS,		\
	  LMNIC_MAX_MAC_FILTERS * sizeof(struct lmnic_mac_filter) },	\
	{ LMNIC_SEC_VLAN_FILTER, 0, LMNIC_SM_OFF_VLAN,			\
	  LMNIC_VLAN_BITMAP_SIZE },					\
	{ LMNIC_SEC_RSS, 0, LMNIC_SM_OFF_RSS,				\
	  sizeof(struct lmnic_sm_rss) },				\
	{ LMNIC_SEC_QUEUES, 0, LMNIC_SM_OFF_QUEUES,			\
	  LMNIC_MAX_QP * sizeof(struct lmnic_sm_queue) },		\
	{ LMNIC_SEC_QUEUES_HOST, LMNIC_SECF_HOST, LMNIC_SM_OFF_QUEUES_HOST, \
	  LMNIC_MAX_QP * sizeof(struct lmnic_sm_queue_host) },		\
	{ LMNIC_SEC_COUNTERS, 0, LMNIC_SM_OFF_COUNTERS,		\
	  sizeof(struct lmnic_sm_counters) },				\
	{ LMNIC_SEC_CONN, 0, LMNIC_SM_OFF_CONN,			\
	  sizeof(struct lmnic_sm_conn_hdr) },				\
	{ LMNIC_SEC_REGION_HOST, LMNIC_SECF_HOST, LMNIC_SM_OFF_REGION_HOST, \
	  sizeof(struct lmnic_sm_region_host) },			\
}

/*
 * The connection index and table fill the rest of a vport block: CAPACITY
 * slots of 128 bytes, after an index of CAPACITY 32-bit words rounded up
 * to 4 KiB.
 */
static inline __u32 lmnic_sm_conn_capacity(__u32 block_size)
{
	if (block_size < LMNIC_SM_FIXED_END + 4096)
		return 0;
	return (block_size - LMNIC_SM_FIXED_END - 4096) /
	       (sizeof(struct lmnic_conn) + 4);
}

static inline __u32 lmnic_sm_conn_table_off(__u32 capacity)
{
	return LMNIC_SM_OFF_CONN_INDEX + ((capacity * 4 + 4095) & ~4095U);
}

/* ---- state images: QUIESCE, SAVE, LOAD, RESUME ---------------------------
 *
 * QUIESCE stops one vport: frames for it are dropped (rx_quiesced), its TX
 * doorbells wait, in-flight DMA is finished, and neither the datapath nor
 * the adapter's timers change its block until RESUME. Commands that would
 * change a quiesced vport's portable state fail with EBUSY; QUEUE_CREATE,
 * QUEUE_DESTROY, REGION_SET, REGION_CLEAR (host-specific state) and
 * CONN_QUERY are allowed. BAR2 writes are accepted only into the block of
 * a vport that is quiesced or not enabled.
 *
 * SAVE writes the image of a quiesced vport's block to host memory; LOAD
 * checks an image completely and only then writes it into a quiesced
 * vport's block. Both take a chunk directory (struct lmnic_mig_dir) in
 * their buffer: chunk i holds image bytes [i << chunk_shift, (i + 1) <<
 * chunk_shift).
 *
 * The image is a sequence of records, each a struct lmnic_img_rec and len
 * bytes of payload, 8-byte aligned (len is a multiple of 8):
 *
 *   VPORT_HDR    the block header, struct lmnic_sm_vport_hdr
 *   SECTION      one per fixed section in layout order; arg: section type;
 *                a HOST section's record is flagged HOST | OPTIONAL
 *   CONN_SLOTS   every non-empty connection-table slot (valid entries and
 *                tombstones) in ascending slot order, at most
 *                LMNIC_IMG_SLOTS_PER_REC per record; arg: slots in it
 *
 * The connection index is not carried: LOAD rebuilds it from the slots.
 * A record's check is the CRC-32C, seed ~0 and no final inversion (unlike
 * lmnic_conn.check, the standard CRC-32C), of the record header's first
 * 12 bytes followed by the payload. A record
 * of unknown type is skipped if it is OPTIONAL and refused otherwise.
 * LOAD keeps the destination's own HOST sections, vport index and state
 * bits, writes everything else as the image says, and mirrors the loaded
 * connections into the destination's host-resident region.
 */
enum lmnic_img_rec_type {
	LMNIC_REC_VPORT_HDR	= 1,
	LMNIC_REC_SECTION	= 2,
	LMNIC_REC_CONN_SLOTS	= 3,
};

#define LMNIC_RECF_OPTIONAL	BIT(0)	/* may be skipped if not understood */
#define LMNIC_RECF_HOST		BIT(1)	/* host-specific: not loaded */
#define LMNIC_RECF_ALL		GENMASK(1, 0)

struct lmnic_img_rec {
	__le16 type;			/* enum lmnic_img_rec_type */
	__le16 flags;			/* LMNIC_RECF_* */
	__le32 len;			/* payload bytes, a multiple of 8 */
	__le32 arg;
	__le32 check;
};

struct lmnic_img_slot {
	__le32 slot;			/* index in CONN_TABLE */
	__le32 rsvd;
	struct lmnic_conn conn;
};

#define LMNIC_IMG_SLOTS_PER_REC	480
#define LMNIC_IMG_REC_MAX	(LMNIC_IMG_SLOTS_PER_REC * sizeof(struct lmnic_img_slot))

/* The largest image of a vport whose table has CAPACITY slots. */
static inline __u64 lmnic_img_max_size(__u32 capacity)
{
	__u64 recs = 1 + LMNIC_SEC_MAX +
		     (capacity + LMNIC_IMG_SLOTS_PER_REC - 1) / LMNIC_IMG_SLOTS_PER_REC;

	return recs * sizeof(struct lmnic_img_rec) + LMNIC_SM_FIXED_END +
	       (__u64)capacity * sizeof(struct lmnic_img_slot);
}

/* SAVE and LOAD buffer: the image's digest and the chunk directory. */
struct lmnic_mig_dir {
	__u8 sha256[32];		/* SAVE: written; LOAD: checked */
	__le64 chunk[];
};

#define LMNIC_MIG_DIR_MAX	((4096 - 32) / 8)

/*
 * lmnic_aq_mig.flags. Pre-copy: QUIESCE with PRECOPY only sizes the image
 * of a running vport, which keeps running; SAVE with PRECOPY images it and
 * keeps what it saved. Then QUIESCE with DELTA stops the vport and sizes,
 * and SAVE with DELTA images, only the table slots that differ from what
 * was kept: changed and new ones, and those emptied since (a slot record
 * whose entry is all zeroes). LOAD with DELTA applies such an image on the
 * one the vport loaded last, still quiesced. RESUME and VPORT_RESET end
 * either. Rounds (LMNIC_CAP_ROUNDS): QUIESCE with both sizes, and SAVE with
 * both images, the slots that differ while the vport runs on; what that SAVE
 * wrote is what the next delta compares with.
 */
#define LMNIC_MIGF_PRECOPY	BIT(0)
#define LMNIC_MIGF_DELTA	BIT(1)
#define LMNIC_MIG_CHUNK_SHIFT_MIN 12
#define LMNIC_MIG_CHUNK_SHIFT_MAX 24

/*
 * lmnic_aq_mig.detail when LOAD refuses an image: the reason in [7:0],
 * the index of the record at fault in [31:8]. The status is EVERSION for
 * LOADE_LAYOUT and EBADIMAGE otherwise.
 */
#define LMNIC_LOADE_REASON	GENMASK(7, 0)
#define LMNIC_LOADE_RECORD	GENMASK(31, 8)

enum lmnic_load_error {
	LMNIC_LOADE_DIGEST	= 1,	/* SHA-256 of the image differs */
	LMNIC_LOADE_CHECK	= 2,	/* a record's CRC-32C differs */
	LMNIC_LOADE_RECORD_BAD	= 3,	/* bad type, flags, length or order */
	LMNIC_LOADE_LAYOUT	= 4,	/* another layout version */
	LMNIC_LOADE_SIZE	= 5,	/* another block size or capacity */
	LMNIC_LOADE_SLOT	= 6,	/* slot out of range, repeated or bad */
	LMNIC_LOADE_MISSING	= 7,	/* a required record is missing */
	LMNIC_LOADE_HEADER	= 8,	/* the block header is invalid */
	LMNIC_LOADE_NO_BASE	= 9,	/* DELTA: no image loaded to apply it on */
	LMNIC_LOADE_VALUE	= 10,	/* a section value its command refuses */
};

/*
 * DIGEST: SHA-256 of a vport's whole block with every HOST section and the
 * header's vport and state fields read as zeroes, so that a block and its
 * restored copy on another adapter give the same digest.
 */

static_assert(sizeof(struct lmnic_tx_desc) == 16);
static_assert(sizeof(struct lmnic_rx_desc) == 16);
static_assert(sizeof(struct lmnic_rx_cmpl) == 16);
static_assert(sizeof(struct lmnic_aq_desc) == 64);
static_assert(sizeof(struct lmnic_sm_section) == 16);
static_assert(sizeof(struct lmnic_sm_vport_hdr) == 32 + 16 * LMNIC_SEC_MAX);
static_assert(sizeof(struct lmnic_aq_conn) <= 40);
static_assert(sizeof(struct lmnic_aq_region) <= 40);
static_assert(sizeof(struct lmnic_aq_mig) <= 40);
static_assert(sizeof(struct lmnic_img_rec) == 16);
static_assert(sizeof(struct lmnic_img_slot) == 136);
static_assert(LMNIC_IMG_REC_MAX <= 65536);
static_assert(sizeof(struct lmnic_conn_key) == 40);
static_assert(sizeof(struct lmnic_conn) == 128);
static_assert(sizeof(struct lmnic_sm_conn_hdr) == 64);
static_assert(sizeof(struct lmnic_sm_region_host) == 16 + 8 * LMNIC_HR_MAX_CHUNKS);
static_assert(sizeof(struct lmnic_hr_header) == LMNIC_HR_HDR_SIZE);
static_assert(sizeof(struct lmnic_hr_event) == 64);
static_assert(LMNIC_SM_OFF_CONN - LMNIC_SM_OFF_COUNTERS >=
		    sizeof(struct lmnic_sm_counters));
static_assert(LMNIC_SM_OFF_REGION_HOST - LMNIC_SM_OFF_CONN >=
		    sizeof(struct lmnic_sm_conn_hdr));
static_assert(LMNIC_SM_FIXED_END - LMNIC_SM_OFF_REGION_HOST >=
		    sizeof(struct lmnic_sm_region_host));
static_assert(sizeof(struct lmnic_sm_config) == 16);
static_assert(sizeof(struct lmnic_mac_filter) == 8);
static_assert(sizeof(struct lmnic_sm_rss) == 176);
static_assert(sizeof(struct lmnic_sm_queue) == 16);
static_assert(sizeof(struct lmnic_sm_queue_host) == 32);
static_assert(sizeof(struct lmnic_sm_counters) == 48 * LMNIC_MAX_QP + 96);
static_assert(LMNIC_SM_OFF_MAC_FILTERS - LMNIC_SM_OFF_CONFIG >=
		    sizeof(struct lmnic_sm_config));
static_assert(LMNIC_SM_OFF_VLAN - LMNIC_SM_OFF_MAC_FILTERS >=
		    LMNIC_MAX_MAC_FILTERS * sizeof(struct lmnic_mac_filter));
static_assert(LMNIC_SM_OFF_RSS - LMNIC_SM_OFF_VLAN >= LMNIC_VLAN_BITMAP_SIZE);
static_assert(LMNIC_SM_OFF_QUEUES - LMNIC_SM_OFF_RSS >= sizeof(struct lmnic_sm_rss));
static_assert(LMNIC_SM_OFF_QUEUES_HOST - LMNIC_SM_OFF_QUEUES >=
		    LMNIC_MAX_QP * sizeof(struct lmnic_sm_queue));
static_assert(LMNIC_SM_OFF_COUNTERS - LMNIC_SM_OFF_QUEUES_HOST >=
		    LMNIC_MAX_QP * sizeof(struct lmnic_sm_queue_host));
static_assert(sizeof(struct lmnic_sm_vport_hdr) <= LMNIC_SM_OFF_CONFIG);
static_assert(sizeof(struct lmnic_sm_adapter) <= LMNIC_SM_VPORT_BASE);

#endif /* _LMNIC_HW_H */
