// SPDX-License-Identifier: GPL-2.0
/*
 * lmnic-failnth: make the Nth fault-injection point (failslab,
 * fail_page_alloc) of one operation fail, with /proc/thread-self/fail-nth,
 * the operation being done by this very task so that the count covers it
 * and nothing else:
 *
 *   lmnic-failnth N bind PCIADDR     probe, through the driver's bind file
 *   lmnic-failnth N up IFNAME        ndo_open, through SIOCSIFFLAGS
 *   lmnic-failnth N exec CMD ARG...  the command (its own start included)
 *
 * It prints "injected" or "not injected" (the operation made fewer than N
 * calls) on stderr. For bind and up it exits 0 if the operation succeeded,
 * 1 if it failed; for exec with the command's exit status. The command
 * runs in a child whose count is read before it is reaped, so that its
 * exit (the release of its sockets) is covered too.
 */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static int fail_nth(const char *n)
{
	int fd = open("/proc/thread-self/fail-nth", O_RDWR);

	if (fd < 0 || write(fd, n, strlen(n)) < 0) {
		perror("fail-nth");
		exit(2);
	}
	return fd;
}

static void report(int fd, int reset)
{
	char buf[16] = "";

	lseek(fd, 0, SEEK_SET);
	if (read(fd, buf, sizeof(buf) - 1) < 0)
		strcpy(buf, "?");
	/* 0: the fault was injected; else it is still to come */
	fprintf(stderr, "%s\n", atoi(buf) == 0 ? "injected" : "not injected");
	if (!reset)
		return;
	/* nothing else of this task fails */
	lseek(fd, 0, SEEK_SET);
	if (write(fd, "0", 1) < 0)
		perror("fail-nth");
}

static int run(const char *n, char **cmd)
{
	char path[64];
	siginfo_t si;
	pid_t pid;
	int fd, status;

	pid = fork();
	if (pid < 0) {
		perror("fork");
		return 2;
	}
	if (!pid) {
		fail_nth(n);
		execvp(cmd[0], cmd);
		perror(cmd[0]);
		_exit(127);
	}
	/* exited but not reaped: its count can still be read */
	if (waitid(P_PID, pid, &si, WEXITED | WNOWAIT)) {
		perror("waitid");
		return 2;
	}
	snprintf(path, sizeof(path), "/proc/%d/fail-nth", pid);
	fd = open(path, O_RDWR);
	if (fd < 0) {
		perror(path);
		return 2;
	}
	report(fd, 0);
	close(fd);
	if (waitpid(pid, &status, 0) < 0) {
		perror("waitpid");
		return 2;
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int main(int argc, char **argv)
{
	struct ifreq ifr = { 0 };
	int fd, s, rc = 0;

	if (argc < 4) {
		fprintf(stderr, "usage: lmnic-failnth N bind PCIADDR | N up IFNAME | N exec CMD...\n");
		return 2;
	}
	if (!strcmp(argv[2], "exec"))
		return run(argv[1], argv + 3);
	if (!strcmp(argv[2], "bind")) {
		int b = open("/sys/bus/pci/drivers/lmnic/bind", O_WRONLY);

		if (b < 0) {
			perror("bind");
			return 2;
		}
		fd = fail_nth(argv[1]);
		rc = write(b, argv[3], strlen(argv[3])) < 0;
	} else if (!strcmp(argv[2], "up")) {
		s = socket(AF_INET, SOCK_DGRAM, 0);
		strncpy(ifr.ifr_name, argv[3], IFNAMSIZ - 1);
		if (s < 0 || ioctl(s, SIOCGIFFLAGS, &ifr)) {
			perror(argv[3]);
			return 2;
		}
		ifr.ifr_flags |= IFF_UP;
		fd = fail_nth(argv[1]);
		rc = ioctl(s, SIOCSIFFLAGS, &ifr) != 0;
	} else {
		fprintf(stderr, "lmnic-failnth: unknown operation %s\n", argv[2]);
		return 2;
	}
	if (rc)
		fprintf(stderr, "%s %s: %s\n", argv[2], argv[3], strerror(errno));
	report(fd, 1);
	return rc;
}
