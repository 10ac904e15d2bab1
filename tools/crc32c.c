// SPDX-License-Identifier: GPL-2.0
/*
 * CRC-32C (Castagnoli): reflected polynomial 0x82f63b78, init and final ~0.
 * Uses the CPU's crc32 instruction where there is one (x86-64 SSE4.2).
 * lmnic_crc32c_raw() is the bare register, for incremental use: seed it
 * with ~0 and leave the result uninverted, as the state image does.
 */
#include <string.h>

#include "crc32c.h"

static uint32_t table[256];

static uint32_t crc_table(uint32_t crc, const uint8_t *p, size_t len)
{
	uint32_t i, j, c;

	if (!table[1]) {
		for (i = 0; i < 256; i++) {
			c = i;
			for (j = 0; j < 8; j++)
				c = c & 1 ? (c >> 1) ^ 0x82f63b78 : c >> 1;
			table[i] = c;
		}
	}
	while (len--)
		crc = table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return crc;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2")))
static uint32_t crc_hw(uint32_t crc, const uint8_t *p, size_t len)
{
	uint64_t c = crc, v;

	while (len >= 8) {
		memcpy(&v, p, 8);
		c = __builtin_ia32_crc32di(c, v);
		p += 8;
		len -= 8;
	}
	crc = c;
	while (len--)
		crc = __builtin_ia32_crc32qi(crc, *p++);
	return crc;
}
#endif

uint32_t lmnic_crc32c_raw(uint32_t crc, const void *buf, size_t len)
{
#if defined(__x86_64__)
	static int hw = -1;

	if (hw < 0) {
		__builtin_cpu_init();
		hw = __builtin_cpu_supports("sse4.2");
	}
	if (hw)
		return crc_hw(crc, buf, len);
#endif
	return crc_table(crc, buf, len);
}

uint32_t lmnic_crc32c(const void *buf, size_t len)
{
	return ~lmnic_crc32c_raw(~0U, buf, len);
}
