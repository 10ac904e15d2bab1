// SPDX-License-Identifier: GPL-2.0
/* libFuzzer target: lmnic-analyze's dump decoder on arbitrary bytes. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lmnic_dump.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lmnic_dump_view v;
	char err[256];
	uint8_t *buf = malloc(size ? size : 1);	/* aligned, like a read file */
	FILE *out;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	if (!lmnic_dump_parse(buf, size, &v, err, sizeof(err))) {
		out = fopen("/dev/null", "w");
		if (out) {
			lmnic_dump_report(&v, out, 0);
			lmnic_dump_report(&v, out, 1);
			fclose(out);
		}
	}
	free(buf);
	return 0;
}
