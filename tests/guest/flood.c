// SPDX-License-Identifier: GPL-2.0
/*
 * lmnic-flood: UDP datagrams to ADDR:PORT as fast as the stack takes them
 * (or PPS a second), for SECONDS (0: until a signal), for the stress
 * tests' TX and RX floods.
 * A send the stack refuses (a stopped queue, ENOBUFS) is counted, not an
 * error: the test is what the driver does meanwhile. Prints what it sent.
 *
 * usage: lmnic-flood ADDR PORT SECONDS [SIZE [PPS]]
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
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

int main(int argc, char **argv)
{
	struct sockaddr_in to = { .sin_family = AF_INET };
	unsigned long sent = 0, refused = 0;
	char buf[9000] = { 0 };
	struct timespec t0, t;
	size_t size = 1000;
	double secs, pps = 0, el;
	int fd;

	if (argc < 4 || inet_pton(AF_INET, argv[1], &to.sin_addr) != 1) {
		fprintf(stderr, "usage: lmnic-flood ADDR PORT SECONDS [SIZE [PPS]]\n");
		return 2;
	}
	to.sin_port = htons(atoi(argv[2]));
	secs = atof(argv[3]);
	if (argc > 4)
		size = strtoul(argv[4], NULL, 0) % sizeof(buf);
	if (argc > 5)
		pps = atof(argv[5]);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0) {
		perror("socket");
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (!stop) {
		if (sendto(fd, buf, size, MSG_DONTWAIT, (struct sockaddr *)&to,
			   sizeof(to)) < 0)
			refused++;
		else
			sent++;
		if (pps > 0 || (sent + refused) % 256 == 0) {
			clock_gettime(CLOCK_MONOTONIC, &t);
			el = t.tv_sec - t0.tv_sec + (t.tv_nsec - t0.tv_nsec) / 1e9;
			if (secs > 0 && el >= secs)
				break;
			/* ahead of PPS: wait for the next one's time */
			if (pps > 0 && (sent + refused) / pps > el)
				usleep(((sent + refused) / pps - el) * 1e6);
		}
	}
	printf("sent %lu refused %lu\n", sent, refused);
	return 0;
}
