// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the migration stream parser on arbitrary bytes, fed in
 * pieces whose sizes the input chooses. Built with LMNIC_FUZZ, the parser
 * ignores CRC-32C and header check mismatches so that mutations reach the
 * checks behind them.
 *
 * Input: 4 bytes of piece sizes (piece k takes 1 + 16 * b[k % 4] bytes),
 * then the stream, for a vport of FUZZ_BLOCK bytes.
 */
#include <endian.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../drivers/net/ethernet/lmnic/lmnic_stream.h"
#include "fuzz_stream.h"

static int emit(void *priv, const void *data, __u32 len)
{
	uint64_t *n = priv;

	/* touch what was handed on, so that ASan sees every byte */
	if (len < sizeof(struct lmnic_img_rec))
		abort();
	*n += len + ((const uint8_t *)data)[len - 1];
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct lmnic_stream st;
	struct lmnic_stream_want want = {
		.layout = LMNIC_LAYOUT_VERSION,
		.caps = LMNIC_CAP_ALL,
		.block_size = FUZZ_BLOCK,
		.capacity = lmnic_sm_conn_capacity(FUZZ_BLOCK),
		.conn_max = lmnic_sm_conn_capacity(FUZZ_BLOCK),
		.rec_crc = true,
	};
	uint8_t pat[FUZZ_PATTERN];
	uint64_t emitted = 0;
	size_t n, k = 0;
	uint8_t *copy;
	int err = 0;

	if (size < FUZZ_PATTERN)
		return 0;
	memcpy(pat, data, FUZZ_PATTERN);
	data += FUZZ_PATTERN;
	size -= FUZZ_PATTERN;
	/* each piece in a buffer of its own, so that ASan sees overreads */
	lmnic_stream_init(&st, &want, emit, &emitted);
	while (size && !err) {
		n = 1 + 16 * (size_t)pat[k++ % FUZZ_PATTERN];
		if (n > size)
			n = size;
		copy = malloc(n);
		if (!copy)
			return 0;
		memcpy(copy, data, n);
		err = lmnic_stream_feed(&st, copy, n);
		free(copy);
		data += n;
		size -= n;
	}
	if (!err)
		err = lmnic_stream_finish(&st);
	if (err && (err != st.err || !st.msg[0] ||
		    strnlen(st.msg, sizeof(st.msg)) == sizeof(st.msg)))
		abort();
	if (!err && emitted < le64toh(st.hdr.image_size))
		abort();
	return 0;
}
