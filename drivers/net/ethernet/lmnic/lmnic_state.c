// SPDX-License-Identifier: GPL-2.0
/* lmnic: the layout of state memory, and its validation */

#include <kunit/visibility.h>

#include "lmnic.h"

/* Where this driver expects each section of a layout-1 vport block. */
static const struct lmnic_sm_layout_entry lmnic_sm_layout[] = LMNIC_SM_LAYOUT1;

static bool lmnic_sm_overlap(const struct lmnic_sm_section *a,
			     const struct lmnic_sm_section *b)
{
	u64 a0 = le32_to_cpu(a->offset), a1 = a0 + le32_to_cpu(a->size);
	u64 b0 = le32_to_cpu(b->offset), b1 = b0 + le32_to_cpu(b->size);

	return a0 < b1 && b0 < a1;
}

/**
 * lmnic_sm_check_hdr - validate the header of a vport's state block
 * @hdr: a copy of the header
 * @block_size: the block size the adapter reports
 *
 * Every section must lie inside the block, after the header, apart from
 * the others, with known type and flags; each section the driver uses must
 * be present once, where layout 1 puts it, with the right HOST flag. The
 * connection index and table fill the rest of the block, as
 * lmnic_sm_conn_capacity() says.
 *
 * Return: 0; -EPROTO for another layout version; -EBADMSG otherwise.
 */
int lmnic_sm_check_hdr(const struct lmnic_sm_vport_hdr *hdr, u32 block_size)
{
	struct lmnic_sm_layout_entry want[ARRAY_SIZE(lmnic_sm_layout) + 2];
	u32 cap = lmnic_sm_conn_capacity(block_size);
	u16 n = le16_to_cpu(hdr->num_sections);
	unsigned long seen = 0;
	unsigned int i, j;

	/* the fixed sections, then the connection index and table */
	memcpy(want, lmnic_sm_layout, sizeof(lmnic_sm_layout));
	want[ARRAY_SIZE(lmnic_sm_layout)] = (struct lmnic_sm_layout_entry) {
		LMNIC_SEC_CONN_INDEX, 0, LMNIC_SM_OFF_CONN_INDEX, cap * 4,
	};
	want[ARRAY_SIZE(lmnic_sm_layout) + 1] = (struct lmnic_sm_layout_entry) {
		LMNIC_SEC_CONN_TABLE, 0, lmnic_sm_conn_table_off(cap),
		cap * sizeof(struct lmnic_conn),
	};

	if (le32_to_cpu(hdr->magic) != LMNIC_SM_VPORT_MAGIC)
		return -EBADMSG;
	if (le16_to_cpu(hdr->layout) != LMNIC_LAYOUT_VERSION)
		return -EPROTO;
	if (le32_to_cpu(hdr->block_size) != block_size || !n ||
	    n > LMNIC_SEC_MAX)
		return -EBADMSG;

	for (i = 0; i < n; i++) {
		const struct lmnic_sm_section *s = &hdr->sections[i];
		u16 type = le16_to_cpu(s->type);
		u64 end = (u64)le32_to_cpu(s->offset) + le32_to_cpu(s->size);

		if (!type || type >= LMNIC_SEC_MAX || (seen & BIT(type)))
			return -EBADMSG;
		if (le16_to_cpu(s->flags) & ~LMNIC_SECF_HOST)
			return -EBADMSG;
		if (le32_to_cpu(s->offset) < sizeof(*hdr) || end > block_size)
			return -EBADMSG;
		for (j = 0; j < i; j++)
			if (lmnic_sm_overlap(s, &hdr->sections[j]))
				return -EBADMSG;
		seen |= BIT(type);

		for (j = 0; j < ARRAY_SIZE(want); j++)
			if (want[j].type == type &&
			    (want[j].offset != le32_to_cpu(s->offset) ||
			     want[j].size > le32_to_cpu(s->size) ||
			     want[j].flags != le16_to_cpu(s->flags)))
				return -EBADMSG;
	}
	for (j = 0; j < ARRAY_SIZE(want); j++)
		if (!(seen & BIT(want[j].type)))
			return -EBADMSG;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(lmnic_sm_check_hdr);

/* Check every vport block the adapter presents before the driver uses it. */
int lmnic_sm_check(struct lmnic_dev *ld)
{
	struct lmnic_sm_vport_hdr hdr;
	int err;
	u16 v;

	for (v = 0; v < ld->num_vports; v++) {
		memcpy_fromio(&hdr, ld->state + LMNIC_SM_VPORT_BASE +
			      (u64)v * ld->vport_block, sizeof(hdr));
		err = lmnic_sm_check_hdr(&hdr, ld->vport_block);
		if (err) {
			dev_err(lmnic_to_dev(ld), "vport %u: state block header invalid: %pe\n",
				v, ERR_PTR(err));
			return err;
		}
	}
	return 0;
}
