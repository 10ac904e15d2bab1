// SPDX-License-Identifier: GPL-2.0
/*
 * lmnic-membench: the time of one memcpy() of N bytes between two buffers
 * already touched, best of R rounds, in microseconds. The yardstick the
 * migration benchmark holds extract + restore against, in the same guest.
 *
 * usage: lmnic-membench BYTES [ROUNDS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

int main(int argc, char **argv)
{
	size_t n = argc > 1 ? strtoull(argv[1], NULL, 0) : 0;
	int rounds = argc > 2 ? atoi(argv[2]) : 5, i;
	double best = 0;
	char *a, *b;

	if (!n || rounds < 1) {
		fprintf(stderr, "usage: lmnic-membench BYTES [ROUNDS]\n");
		return 1;
	}
	a = malloc(n);
	b = malloc(n);
	if (!a || !b) {
		perror("malloc");
		return 1;
	}
	memset(a, 0x5a, n);
	memset(b, 0xa5, n);
	for (i = 0; i < rounds; i++) {
		double t = now_us();

		memcpy(b, a, n);
		t = now_us() - t;
		if (!i || t < best)
			best = t;
		a[i % n] ^= b[(i * 7919) % n];	/* keep the copies */
	}
	printf("%zu %.1f\n", n, best);
	return 0;
}
