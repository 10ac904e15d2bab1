/* SPDX-License-Identifier: GPL-2.0 */
/* lmnic tools: decoding and diagnosing an adapter error dump. */
#ifndef LMNIC_TOOLS_DUMP_H
#define LMNIC_TOOLS_DUMP_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <linux/lmnic_dump.h>
#include <lmnic_hw.h>

#define LMNIC_DUMP_VPORTS	16

struct lmnic_dump_region {
	const uint8_t *data;		/* NULL: no region section */
	uint32_t len;
	const struct lmnic_hr_header *hh;
	uint32_t entries;		/* entry slots present in the dump */
};

struct lmnic_dump_view {
	const struct lmnic_dump_hdr *hdr;
	const struct lmnic_dump_regs *regs;
	const struct lmnic_dump_driver *drv;
	const struct lmnic_dump_vport *vport[LMNIC_DUMP_VPORTS];
	struct lmnic_dump_region region[LMNIC_DUMP_VPORTS];
};

/*
 * Check and index a dump. Every length, offset and count is checked
 * before use; on failure ERR says where the dump breaks.
 * Returns 0 or -1.
 */
int lmnic_dump_parse(const uint8_t *buf, size_t len,
		     struct lmnic_dump_view *v, char *err, size_t errlen);

/* Decode a parsed dump and name a diagnosis, as text or JSON. */
void lmnic_dump_report(const struct lmnic_dump_view *v, FILE *out, int json);

#endif
