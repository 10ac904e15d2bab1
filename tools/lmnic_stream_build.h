/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lmnic: build a migration stream (include/uapi/linux/lmnic_mig.h) in memory,
 * for tests and fuzz seeds: the header, the image records of a vport whose
 * sections are given or zero, its connection slots, and the trailer, with
 * every CRC-32C and the SHA-256 computed. A test that edits a stream calls
 * lmnic_sb_seal() to make its checks right again, so that the parser sees
 * only the fault the test meant.
 */
#ifndef LMNIC_TOOLS_STREAM_BUILD_H
#define LMNIC_TOOLS_STREAM_BUILD_H

#include <stddef.h>
#include <stdint.h>

#include <lmnic_hw.h>
#include <linux/lmnic_mig.h>

/* One connection-table slot: a valid entry or a tombstone. */
struct lmnic_sb_slot {
	uint32_t slot;
	uint32_t id;
	uint16_t flags;			/* LMNIC_CONNF_VALID or _TOMB */
};

/* An extra record, appended after the connection slots. */
struct lmnic_sb_rec {
	uint16_t type;
	uint16_t flags;
	uint32_t arg;
	uint32_t len;			/* a multiple of 8 */
	const void *data;		/* NULL: zeroes */
};

struct lmnic_sb_params {
	uint16_t layout;		/* 0: LMNIC_LAYOUT_VERSION */
	uint32_t caps;			/* 0: STATE_MEM | CONN | MIGRATION */
	uint32_t block_size;
	uint32_t capacity;		/* 0: lmnic_sm_conn_capacity(block_size) */
	uint32_t conn_limit;		/* 0: capacity */
	const struct lmnic_sb_slot *slots;	/* in stream order, as given */
	unsigned int num_slots;
	unsigned int slots_per_rec;	/* 0: LMNIC_IMG_SLOTS_PER_REC */
	/* section payloads by type; NULL: zeroes (CONN: filled in) */
	const void *sections[LMNIC_SEC_MAX];
	const struct lmnic_sb_rec *extra;
	unsigned int num_extra;
	uint16_t vport;
};

/*
 * A stream for P in a malloc()ed buffer (*out, *len): 0, or -1 if memory
 * ran out or a parameter cannot be encoded.
 */
int lmnic_sb_build(const struct lmnic_sb_params *p, uint8_t **out, size_t *len);

/*
 * Record INDEX of the stream in BUF (found by following the lengths from
 * the header), or NULL if there is no such record within LEN bytes.
 */
struct lmnic_img_rec *lmnic_sb_record(uint8_t *buf, size_t len,
				      unsigned int index);

/*
 * Recompute the header's check, every record's CRC-32C, and the trailer's
 * digest after an edit. The records are found by following their lengths;
 * the trailer is taken to follow the header's image_size bytes.
 */
void lmnic_sb_seal(uint8_t *buf, size_t len);

/* The header check and a record's CRC-32C, as the stream has them. */
uint32_t lmnic_sb_hdr_check(const struct lmnic_mig_hdr *h);
uint32_t lmnic_sb_rec_check(const struct lmnic_img_rec *r);

#endif
