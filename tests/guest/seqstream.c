// SPDX-License-Identifier: GPL-2.0
/*
 * lmnic-seqstream: a TCP byte stream whose every byte is known, for the
 * workload that migrates with its vport and for the peer that checks it.
 *
 * The stream is the 64-bit big-endian record numbers 0, 1, 2, ... one after
 * the other. The sender writes one record every INTERVAL ms from local port
 * LPORT; the checker accepts one connection, compares each byte it reads
 * with the one expected at that offset, and keeps the longest time between
 * two reads that brought data (the outage as the peer saw it). It writes
 * what it saw as one JSON object to OUT (replaced, never half written) at
 * most every 100 ms and when the stream ends or a signal stops it.
 *
 * usage: lmnic-seqstream send ADDR PORT LPORT INTERVAL_MS
 *        lmnic-seqstream check PORT OUT
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static int port_arg(const char *s, uint16_t *port)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || end == s || v == 0 || v > 65535)
		return -1;
	*port = v;
	return 0;
}

static int do_send(const char *addr, const char *port, const char *lport,
		   const char *interval)
{
	struct sockaddr_in to = { .sin_family = AF_INET };
	struct sockaddr_in me = { .sin_family = AF_INET };
	struct timespec gap;
	uint64_t seq = 0;
	uint16_t p, lp;
	long ms;
	int fd, one = 1;

	ms = strtol(interval, NULL, 10);
	if (inet_pton(AF_INET, addr, &to.sin_addr) != 1 || port_arg(port, &p) ||
	    port_arg(lport, &lp) || ms < 0 || ms > 10000) {
		fprintf(stderr, "lmnic-seqstream: bad address, port or interval\n");
		return 2;
	}
	to.sin_port = htons(p);
	me.sin_port = htons(lp);
	gap.tv_sec = ms / 1000;
	gap.tv_nsec = (ms % 1000) * 1000000L;
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&me, sizeof(me)) ||
	    connect(fd, (struct sockaddr *)&to, sizeof(to))) {
		perror("lmnic-seqstream: connect");
		return 1;
	}
	for (;;) {
		uint64_t be = htobe64(seq);
		const char *b = (const char *)&be;
		size_t off = 0;

		while (off < sizeof(be)) {
			ssize_t n = write(fd, b + off, sizeof(be) - off);

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				perror("lmnic-seqstream: write");
				return 1;
			}
			off += n;
		}
		seq++;
		while (nanosleep(&gap, &gap) && errno == EINTR)
			;
		gap.tv_sec = ms / 1000;
		gap.tv_nsec = (ms % 1000) * 1000000L;
	}
}

struct seen {
	uint64_t bytes;		/* bytes read */
	uint64_t bad;		/* bytes that were not the expected ones */
	int64_t first_bad;	/* the offset of the first, or -1 */
	double max_gap_ms;	/* the longest time between two reads */
	uint64_t gap_at;	/* the offset at which it ended */
	const char *end;	/* "", "eof", or the read's error */
};

static void report(const char *out, const struct seen *s)
{
	char tmp[4096];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", out);
	f = fopen(tmp, "w");
	if (!f)
		return;
	fprintf(f, "{\"bytes\": %llu, \"records\": %llu, \"bad\": %llu, "
		"\"first_bad\": %lld, \"max_gap_ms\": %.1f, \"gap_at\": %llu, "
		"\"end\": \"%s\"}\n",
		(unsigned long long)s->bytes,
		(unsigned long long)(s->bytes / 8),
		(unsigned long long)s->bad, (long long)s->first_bad,
		s->max_gap_ms, (unsigned long long)s->gap_at, s->end);
	if (fclose(f) == 0)
		rename(tmp, out);
}

static int do_check(const char *port, const char *out)
{
	struct sockaddr_in me = { .sin_family = AF_INET };
	struct seen s = { .first_bad = -1, .end = "" };
	struct sigaction sa = { .sa_handler = on_signal };
	double last = 0, reported = 0;
	unsigned char buf[4096];
	int lfd, fd, one = 1;
	uint16_t p;

	if (port_arg(port, &p)) {
		fprintf(stderr, "lmnic-seqstream: bad port\n");
		return 2;
	}
	me.sin_port = htons(p);
	/* no SA_RESTART: a signal ends a blocked read */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (lfd < 0 ||
	    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(lfd, (struct sockaddr *)&me, sizeof(me)) || listen(lfd, 1)) {
		perror("lmnic-seqstream: listen");
		return 1;
	}
	report(out, &s);
	fd = accept(lfd, NULL, NULL);
	if (fd < 0) {
		perror("lmnic-seqstream: accept");
		return 1;
	}
	close(lfd);
	while (!stop) {
		ssize_t n = read(fd, buf, sizeof(buf));
		double t = now_ms();

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			s.end = n ? strerror(errno) : "eof";
			break;
		}
		if (last && t - last > s.max_gap_ms) {
			s.max_gap_ms = t - last;
			s.gap_at = s.bytes;
		}
		last = t;
		for (ssize_t i = 0; i < n; i++, s.bytes++) {
			uint64_t rec = s.bytes / 8;
			unsigned int shift = 8 * (7 - s.bytes % 8);

			if (buf[i] == (unsigned char)(rec >> shift))
				continue;
			if (s.first_bad < 0)
				s.first_bad = s.bytes;
			s.bad++;
		}
		if (t - reported >= 100) {
			report(out, &s);
			reported = t;
		}
	}
	report(out, &s);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 6 && !strcmp(argv[1], "send"))
		return do_send(argv[2], argv[3], argv[4], argv[5]);
	if (argc == 4 && !strcmp(argv[1], "check"))
		return do_check(argv[2], argv[3]);
	fprintf(stderr, "usage: lmnic-seqstream send ADDR PORT LPORT INTERVAL_MS\n"
		"       lmnic-seqstream check PORT OUT\n");
	return 2;
}
