/* SPDX-License-Identifier: GPL-2.0 */
/* What fuzz_stream.c expects and stream_seed.c writes. */
#ifndef LMNIC_FUZZ_STREAM_H
#define LMNIC_FUZZ_STREAM_H

#define FUZZ_BLOCK	(64 * 1024)	/* the destination vport's block */
#define FUZZ_PATTERN	4		/* bytes of piece sizes before the stream */

#endif
