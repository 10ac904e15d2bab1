/* SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause) */
/*
 * lmnic: the migration stream parser, shared by the driver (restore), the
 * tools (lmnic-migrate load/receive checks) and the host fuzz target.
 *
 * The stream (include/uapi/linux/lmnic_mig.h) is untrusted input. The
 * parser takes it in pieces of any size, in order, checks every length,
 * count, offset and version before it uses it, and hands the image bytes
 * (the records, verbatim) to an emit callback only once the record they
 * belong to has passed its checks: a record is emitted whole. It never
 * allocates: its state is struct lmnic_stream.
 *
 * The stream header's CRC-32C is always checked. The records' CRC-32C is
 * checked when the reader asks for it (want.rec_crc): lmnic-migrate check
 * does; the driver does not, because the adapter checks every record's
 * CRC-32C and the image's SHA-256 before LOAD changes the vport's block
 * (LMNIC_LOADE_CHECK, LMNIC_LOADE_DIGEST), and the driver itself uses no
 * byte of a record beyond the lengths, counts and ids checked here.
 */
#ifndef _LMNIC_STREAM_H
#define _LMNIC_STREAM_H

#ifdef __KERNEL__
#include <linux/types.h>
#else
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>
#endif

#include <lmnic_hw.h>
#include <linux/lmnic_mig.h>

/* What the destination vport is: the stream must fit it. */
struct lmnic_stream_want {
	__u16 layout;		/* LMNIC_LAYOUT_VERSION of the adapter */
	__u32 caps;		/* the adapter's LMNIC_CAP_* */
	__u32 block_size;	/* its vport block */
	__u32 capacity;		/* connection slots per vport */
	__u32 conn_max;		/* connection ids its region holds */
	bool rec_crc;		/* check each record's CRC-32C here too */
};

enum lmnic_stream_phase {
	LMNIC_SP_HDR,		/* taking the stream header */
	LMNIC_SP_REC_HDR,	/* taking a record header */
	LMNIC_SP_REC_DATA,	/* taking a record's payload */
	LMNIC_SP_TRAILER,
	LMNIC_SP_DONE,		/* trailer taken and checked */
	LMNIC_SP_FAILED,	/* an error was reported; nothing more taken */
};

/*
 * Image bytes of checked records, in order. A negative return stops the
 * parser with that error.
 */
typedef int (*lmnic_stream_emit_t)(void *priv, const void *data, __u32 len);

struct lmnic_stream {
	struct lmnic_stream_want want;
	lmnic_stream_emit_t emit;
	void *priv;

	enum lmnic_stream_phase phase;
	__u64 off;			/* stream bytes taken */
	__u64 image_off;		/* image bytes taken */
	struct lmnic_mig_hdr hdr;
	struct lmnic_mig_trailer trailer;
	struct lmnic_img_rec rec;	/* the record being taken */
	__u32 rec_index;		/* records taken so far */
	__u32 got;			/* bytes of the current piece held */
	__u32 crc;			/* running CRC-32C of the record */
	__u32 slots;			/* connection slots taken */
	__u32 conns;			/* valid connections among them */
	__u32 next_slot;		/* the lowest slot the next may have */
	__u32 sections;			/* BIT(type) of fixed sections seen */
	__u32 tombs;			/* tombstones among the slots */
	__u64 rec_off;			/* stream offset of the current record */
	bool have_vport_hdr;		/* the VPORT_HDR record was taken */
	bool delta;			/* LMNIC_MIG_F_DELTA: on a loaded image */
	/* the record being taken: its header, then its payload */
	__u8 hold[sizeof(struct lmnic_img_rec) + LMNIC_IMG_REC_MAX];

	int err;			/* first error, negative errno */
	char msg[160];			/* what was wrong, and where */
};

void lmnic_stream_init(struct lmnic_stream *st,
		       const struct lmnic_stream_want *want,
		       lmnic_stream_emit_t emit, void *priv);

/*
 * Take LEN more bytes. Returns 0, or a negative errno with st->msg set;
 * after an error every call returns the same error.
 *   -EBADMSG   malformed or corrupted: bad magic, length, type, order,
 *              CRC-32C, or data beyond the trailer
 *   -EPROTO    another stream version or layout version
 *   -EINVAL    the stream does not fit the destination (block size,
 *              capacity, connection limit, capabilities)
 */
int lmnic_stream_feed(struct lmnic_stream *st, const void *data, size_t len);

/*
 * The stream has ended: 0 if the trailer was taken and everything the
 * header promised arrived (-ENODATA otherwise, with st->msg saying what is
 * missing). The trailer's SHA-256 is st->trailer.sha256; checking it is
 * the caller's (the adapter checks it at LOAD).
 */
int lmnic_stream_finish(struct lmnic_stream *st);

/* CRC-32C as the image uses it: seed ~0, no final inversion. */
__u32 lmnic_stream_crc32c(__u32 crc, const void *data, size_t len);

#endif /* _LMNIC_STREAM_H */
