/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause) */
/*
 * lmnic migration stream: what vport-state-extract gives, what
 * vport-state-restore takes and what lmnic-migrate save/load files hold.
 *
 *   struct lmnic_mig_hdr          64 bytes
 *   image records                 hdr.image_size bytes: the adapter's state
 *                                 image (struct lmnic_img_rec and payload,
 *                                 see lmnic_hw.h), verbatim
 *   struct lmnic_mig_trailer      48 bytes
 *
 * All fields are little endian. hdr.check is the CRC-32C (seed ~0, no final
 * inversion) of the header's first 60 bytes; the trailer's sha256 is the
 * SHA-256 of the image records. A reader checks the header, every record's
 * length, type, order and CRC-32C, and the trailer before it uses anything.
 */
#ifndef _UAPI_LINUX_LMNIC_MIG_H
#define _UAPI_LINUX_LMNIC_MIG_H

#include <linux/types.h>

#define LMNIC_MIG_MAGIC		0x534d4d4c	/* "LMMS" */
#define LMNIC_MIG_TRAILER_MAGIC	0x544d4d4c	/* "LMMT" */
#define LMNIC_MIG_VERSION	1

struct lmnic_mig_hdr {
	__le32 magic;			/* LMNIC_MIG_MAGIC */
	__le16 version;			/* LMNIC_MIG_VERSION */
	__le16 hdr_size;		/* sizeof(struct lmnic_mig_hdr) */
	__le16 layout;			/* state-memory layout version */
	__le16 flags;			/* LMNIC_MIG_F_* */
	__le32 caps;			/* the source adapter's LMNIC_CAP_* */
	__le32 block_size;		/* bytes of the vport's state block */
	__le32 capacity;		/* connection slots in the block */
	__le32 conn_count;		/* valid connections */
	__le32 conn_limit;		/* connection ids 0 .. limit - 1 */
	__u8 mac[6];			/* the vport's primary address */
	__le16 mtu;
	__le16 num_qp;
	__le16 vport;			/* index on the source adapter */
	__le64 image_size;		/* bytes of image records */
	__le32 num_records;
	__le32 check;
};

struct lmnic_mig_trailer {
	__le32 magic;			/* LMNIC_MIG_TRAILER_MAGIC */
	__le32 num_records;		/* as in the header */
	__le64 image_size;		/* as in the header */
	__u8 sha256[32];		/* of the image records */
};

#define LMNIC_MIG_HDR_CHECK_LEN	60

/*
 * hdr.flags. DELTA: the second image of a pre-copy migration, applied on
 * the first, which the destination loaded while the source still ran: it
 * carries the vport header and every section whole, and of the connection
 * table only the slots that changed since the first image, a slot emptied
 * since as a slot record whose entry is all zeroes. conn_count is of the
 * whole table the two give.
 */
#define LMNIC_MIG_F_DELTA	0x0001

#endif /* _UAPI_LINUX_LMNIC_MIG_H */
