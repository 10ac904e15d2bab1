/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause) */
/*
 * lmnic adapter error dumps, as the lmnic family's err-dump-get returns them
 * and lmnic-analyze reads them (from the family or from a file).
 *
 * A dump is a header followed by sections, each a section header and its
 * payload, 8-byte aligned. All fields are little endian. check fields are
 * CRC-32C; the header's covers the header with check zero.
 */
#ifndef _UAPI_LINUX_LMNIC_DUMP_H
#define _UAPI_LINUX_LMNIC_DUMP_H

#include <linux/types.h>

#define LMNIC_DUMP_MAGIC	0x504d444c	/* "LDMP" */
#define LMNIC_DUMP_VERSION	1

struct lmnic_dump_hdr {
	__le32 magic;
	__le16 version;
	__le16 hdr_size;		/* sizeof(struct lmnic_dump_hdr) */
	__le32 total_size;		/* header and every section */
	__le32 num_sections;
	__le32 id;			/* per adapter, from 1 */
	__le32 reason;			/* enum lmnic_err_reason */
	__le64 time_ns;			/* wall clock, ns since the epoch */
	__le64 serial;			/* adapter serial number */
	char dev_name[32];		/* PCI address */
	__le32 check;
	__le32 rsvd;
};

enum lmnic_dump_sec_type {
	LMNIC_DUMP_SEC_REGS	= 1,	/* struct lmnic_dump_regs */
	LMNIC_DUMP_SEC_DRIVER	= 2,	/* struct lmnic_dump_driver */
	LMNIC_DUMP_SEC_VPORT	= 3,	/* struct lmnic_dump_vport */
	LMNIC_DUMP_SEC_REGION	= 4,	/* a vport's offload region, see below */
};

struct lmnic_dump_sec {
	__le32 type;			/* enum lmnic_dump_sec_type */
	__le32 len;			/* payload bytes, not padded */
	__le32 vport;			/* for per-vport sections */
	__le32 check;			/* of the payload */
};

/* The adapter's error registers, when it still answered. */
struct lmnic_dump_regs {
	__le32 readable;		/* 0: the adapter did not answer */
	__le32 status;
	__le32 err_cause;		/* LMNIC_ERR_* of lmnic_hw.h */
	__le32 err_vport;
	__le32 err_qp;
	__le32 err_entry;
	__le32 err_count;
	__le32 rsvd;
	__le64 err_addr;
	__le64 err_time_ns;		/* adapter clock */
	__le64 now_ns;			/* adapter clock at the dump */
};

/* The driver's own view. */
struct lmnic_dump_driver {
	__le32 vports;
	__le32 flags;			/* LMNIC_DUMP_DRV_* */
	__le32 hw_version;
	__le32 layout_version;
	__le32 detail_vport;		/* what the detector pointed at, or ~0 */
	__le32 detail_qp;
	__le64 uptime_ns;		/* since the driver bound */
};

#define LMNIC_DUMP_DRV_DEAD	(1U << 0)

#define LMNIC_DUMP_MAX_QP	4

struct lmnic_dump_queue {
	__le16 tx_next_to_use;
	__le16 tx_next_to_clean;
	__le16 rx_next_to_use;
	__le16 rx_next_to_clean;
	__le64 tx_packets;
	__le64 rx_packets;
	__le64 tx_last_progress_ms;	/* ms before the dump; ~0: idle */
};

struct lmnic_dump_vport {
	__le32 vport;
	__le32 ifindex;			/* 0 without a netdev */
	char ifname[16];
	__le32 up;
	__le32 num_qp;
	__le32 conn_count;
	__le32 conn_slots;
	__le64 tx_timeouts;
	struct lmnic_dump_queue q[LMNIC_DUMP_MAX_QP];
};

/*
 * LMNIC_DUMP_SEC_REGION: the vport's host-resident offload region as the
 * adapter left it (struct lmnic_hr_header, events, entries; lmnic_hw.h),
 * cut after the last entry in use.
 */

#endif /* _UAPI_LINUX_LMNIC_DUMP_H */
