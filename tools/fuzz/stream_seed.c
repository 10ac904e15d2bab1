// SPDX-License-Identifier: GPL-2.0
/*
 * Seeds for fuzz-stream: valid streams from lmnic_stream_build.c, each
 * behind fuzz_stream.c's piece-size pattern.
 *
 * usage: stream-seed DIR
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lmnic_stream_build.h"
#include "fuzz_stream.h"

static const struct lmnic_sb_slot slots[] = {
	{ .slot = 1, .id = 0, .flags = LMNIC_CONNF_VALID },
	{ .slot = 2, .id = 3, .flags = LMNIC_CONNF_TOMB },
	{ .slot = 40, .id = 1, .flags = LMNIC_CONNF_VALID },
	{ .slot = 41, .id = 7, .flags = LMNIC_CONNF_VALID },
	{ .slot = 300, .id = 2, .flags = LMNIC_CONNF_VALID },
};

static int seed(const char *dir, const char *name, const uint8_t pat[FUZZ_PATTERN],
		const struct lmnic_sb_params *p)
{
	char path[4096];
	uint8_t *buf;
	size_t len;
	FILE *f;
	int ok;

	if (lmnic_sb_build(p, &buf, &len))
		return -1;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f) {
		perror(path);
		free(buf);
		return -1;
	}
	ok = fwrite(pat, FUZZ_PATTERN, 1, f) == 1 && fwrite(buf, len, 1, f) == 1;
	ok = !fclose(f) && ok;
	free(buf);
	return ok ? 0 : -1;
}

int main(int argc, char **argv)
{
	static const uint8_t whole[FUZZ_PATTERN] = { 255, 255, 255, 255 };
	static const uint8_t small[FUZZ_PATTERN] = { 0, 3, 1, 17 };
	struct lmnic_sb_rec opt = { .type = 9, .flags = LMNIC_RECF_OPTIONAL, .len = 16 };
	struct lmnic_sb_params p = {
		.block_size = FUZZ_BLOCK,
		.slots = slots,
		.num_slots = sizeof(slots) / sizeof(slots[0]),
		.slots_per_rec = 2,
	};

	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	if (seed(argv[1], "slots.stream", whole, &p) ||
	    seed(argv[1], "slots-pieces.stream", small, &p))
		return 1;
	p.extra = &opt;
	p.num_extra = 1;
	p.conn_limit = 8;
	if (seed(argv[1], "optional.stream", small, &p))
		return 1;
	p.num_slots = 0;
	p.num_extra = 0;
	if (seed(argv[1], "empty.stream", whole, &p))
		return 1;
	return 0;
}
