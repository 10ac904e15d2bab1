// SPDX-License-Identifier: GPL-2.0
/*
 * lmnic-migrate send --switchover=wait: the wait at the switchover point
 * and its control channel. Commands come one per line on standard input
 * and, with --control PATH, from any connection to a unix socket there:
 * "switchover" goes on, "abort" rolls back; anything else is answered with
 * an error event and ignored. Every connection gets the events from the
 * ready event on (ev_end() hands them to ctl_event()). While it waits the
 * source sends KEEPALIVE to the destination and watches the connection
 * to it; --switchover-timeout without a command rolls back.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "lmnic_migrate.h"

/* ---- the control socket ------------------------------------------------- */
#define CTL_CONNS	8	/* control connections at once */
#define CTL_LINE	256	/* longest command line */

struct ctl_conn {
	int fd;			/* -1: a free slot */
	char line[CTL_LINE];
	size_t len;
	int skip;		/* the line was too long: drop up to its end */
};

static int lfd = -1;
static dev_t l_dev;
static ino_t l_ino;
static struct ctl_conn conns[CTL_CONNS] = {
	[0 ... CTL_CONNS - 1] = { .fd = -1 },
};
static struct ctl_conn in = { .fd = 0 };	/* standard input */
static char ready_ev[sizeof(((struct event *)0)->buf)];
static size_t ready_len;

/*
 * Is somebody listening on the socket at SA? 1 yes, 0 no (a stale socket
 * a dead agent left), -1 cannot tell (errno).
 */
static int live(const struct sockaddr_un *sa)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int ret, e;

	if (fd < 0)
		return -1;
	ret = connect(fd, (const struct sockaddr *)sa, sizeof(*sa));
	e = errno;
	close(fd);
	if (!ret || e == EAGAIN || e == EINPROGRESS)
		return 1;
	if (e == ECONNREFUSED)
		return 0;
	errno = e;
	return -1;
}

/*
 * Create the --control socket, mode 0600. A path that exists is refused
 * unless it is a socket nobody listens on (left by an agent that died),
 * which is replaced. 0, or -1 after saying why.
 */
int ctl_open(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char *path = o.control;
	struct stat st;
	mode_t old;
	int fd, ret;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		error("--control %s: longer than a socket path may be (%zu bytes)",
		      path, sizeof(sa.sun_path) - 1);
		return -1;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if (!lstat(path, &st)) {
		if (!S_ISSOCK(st.st_mode)) {
			error("--control %s: exists and is not a socket", path);
			return -1;
		}
		ret = live(&sa);
		if (ret) {
			error("--control %s: %s", path, ret > 0 ?
			      "another process listens on it" : strerror(errno));
			return -1;
		}
		if (unlink(path) && errno != ENOENT) {
			error("--control %s: removing a stale socket: %s", path,
			      strerror(errno));
			return -1;
		}
		say("--control %s: replaced a stale socket", path);
	} else if (errno != ENOENT) {
		error("--control %s: %s", path, strerror(errno));
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		error("--control: socket: %s", strerror(errno));
		return -1;
	}
	old = umask(0177);
	ret = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (ret || listen(fd, CTL_CONNS) || stat(path, &st)) {
		error("--control %s: %s", path, strerror(errno));
		close(fd);
		if (!ret)
			unlink(path);
		return -1;
	}
	lfd = fd;
	l_dev = st.st_dev;
	l_ino = st.st_ino;
	return 0;
}

static void drop(struct ctl_conn *k)
{
	close(k->fd);
	k->fd = -1;
	k->len = 0;
	k->skip = 0;
}

/*
 * Close the connections and the socket; remove it if it is still ours.
 * What a connection sent after the wait is read first (and ignored): a
 * close with unread data would reset it, and the events it has not read
 * yet, the result among them, would be lost.
 */
void ctl_close(void)
{
	char buf[512];
	struct stat st;

	for (int i = 0; i < CTL_CONNS; i++) {
		if (conns[i].fd < 0)
			continue;
		shutdown(conns[i].fd, SHUT_WR);
		while (read(conns[i].fd, buf, sizeof(buf)) > 0)
			;
		drop(&conns[i]);
	}
	if (lfd < 0)
		return;
	close(lfd);
	lfd = -1;
	if (!lstat(o.control, &st) && st.st_dev == l_dev && st.st_ino == l_ino)
		unlink(o.control);
}

/*
 * An event for every control connection. One that does not take it whole
 * (it does not read: its buffer is full) is dropped.
 */
void ctl_event(const char *buf, size_t len)
{
	for (int i = 0; i < CTL_CONNS; i++) {
		struct ctl_conn *k = &conns[i];

		if (k->fd >= 0 &&
		    send(k->fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL) !=
		    (ssize_t)len) {
			say("control connection %d dropped: it does not take "
			    "the events", i);
			drop(k);
		}
	}
}

/* Take the connections waiting on the socket; each gets the ready event. */
static void accept_all(void)
{
	for (;;) {
		int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		int i;

		if (fd < 0)
			return;
		for (i = 0; i < CTL_CONNS && conns[i].fd >= 0; i++)
			;
		if (i == CTL_CONNS) {
			struct event e;

			ev_begin(&e, "error");
			ev_add(&e, ",\"error\":\"too many control connections "
			       "(at most %d)\",\"from\":\"control\"", CTL_CONNS);
			ev_send(&e, fd);
			close(fd);
			continue;
		}
		conns[i].fd = fd;
		if (ready_len)
			send(fd, ready_ev, ready_len, MSG_DONTWAIT | MSG_NOSIGNAL);
	}
}

enum { CMD_NONE, CMD_GO, CMD_ABORT };

static const char *abort_from;	/* where abort came from */

/*
 * One command line from K (standard input, or a connection): CMD_GO,
 * CMD_ABORT, or CMD_NONE after answering an unknown one with an error
 * event to K alone.
 */
static int command(struct ctl_conn *k, char *line)
{
	const char *from = k == &in ? "stdin" : "control";
	struct event e;
	char *end;

	while (*line == ' ' || *line == '\t')
		line++;
	end = line + strlen(line);
	while (end > line && (end[-1] == ' ' || end[-1] == '\t' ||
			      end[-1] == '\r'))
		*--end = 0;
	if (!*line)
		return CMD_NONE;
	if (!strcmp(line, "switchover") || !strcmp(line, "abort")) {
		ev_begin(&e, "ack");
		ev_add(&e, ",\"command\":\"%s\",\"from\":\"%s\"", line, from);
		ev_end(&e);
		abort_from = k == &in ? "standard input" : "the control socket";
		return line[0] == 's' ? CMD_GO : CMD_ABORT;
	}
	say("%s: unknown command \"%.64s\" (switchover or abort): ignored",
	    from, line);
	ev_begin(&e, "error");
	ev_str(&e, "error", "unknown command: switchover or abort");
	ev_str(&e, "command", line);
	ev_add(&e, ",\"from\":\"%s\"", from);
	ev_send(&e, k == &in ? -1 : k->fd);
	return CMD_NONE;
}

/*
 * Read what K has; the commands of its whole lines, until one decides.
 * CMD_*, or -1 at its end (EOF or an error).
 */
static int take(struct ctl_conn *k)
{
	char buf[512];
	ssize_t n = read(k->fd, buf, sizeof(buf));

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return CMD_NONE;
	if (n <= 0)
		return -1;
	for (ssize_t i = 0; i < n; i++) {
		int cmd;

		if (buf[i] != '\n') {
			if (k->len < CTL_LINE - 1)
				k->line[k->len++] = buf[i];
			else
				k->skip = 1;
			continue;
		}
		k->line[k->len] = 0;
		k->len = 0;
		if (k->skip) {
			struct event e;

			k->skip = 0;
			ev_begin(&e, "error");
			ev_add(&e, ",\"error\":\"line too long (at most %d bytes): "
			       "ignored\",\"from\":\"%s\"", CTL_LINE - 1,
			       k == &in ? "stdin" : "control");
			ev_send(&e, k == &in ? -1 : k->fd);
			continue;
		}
		cmd = command(k, k->line);
		if (cmd != CMD_NONE)
			return cmd;
	}
	return CMD_NONE;
}

/*
 * Wait at the switchover point: say READY, then take commands until one
 * decides, sending KEEPALIVE to the destination every KEEPALIVE_MS and
 * watching C (anything the destination says now, its end included, fails
 * the wait). 0 for "switchover"; else the exit code to roll back with,
 * the error said and R.reason set (abort, timeout, eof).
 */
int ctl_wait(struct conn *c, struct event *ready, double keepalive_ms)
{
	double until = now_ms() + o.switchover_timeout * 1000.0;
	double next_ka = now_ms() + keepalive_ms;
	struct pollfd p[3 + CTL_CONNS];
	struct frame f = { 0 };
	int cmd = CMD_NONE, code = 0;

	/* a read of a terminal that is not ours then fails, it does not stop */
	signal(SIGTTIN, SIG_IGN);
	if (lfd >= 0)
		accept_all();
	ev_end(ready);
	memcpy(ready_ev, ready->buf, ready->len);
	ready_len = ready->len;
	while (cmd == CMD_NONE) {
		double t = now_ms(), left = (until < next_ka ? until : next_ka) - t;
		int n, err;

		if (got_signal) {
			error("interrupted by a signal while waiting for the "
			      "switchover");
			code = EX_SIGNAL;
			break;
		}
		if (t >= until) {
			error("no switchover command within %d s "
			      "(--switchover-timeout)", o.switchover_timeout);
			R.reason = "timeout";
			code = EX_ABORTED;
			break;
		}
		if (t >= next_ka) {
			err = send_frame(c, F_KEEPALIVE, NULL, 0);
			if (err) {
				error("transfer: keepalive to the destination: %s",
				      c->err);
				code = err == -EINTR ? EX_SIGNAL : EX_TRANSFER;
				break;
			}
			next_ka = t + keepalive_ms;
			continue;
		}
		p[0] = (struct pollfd){ .fd = c->fd, .events = POLLIN };
		p[1] = (struct pollfd){ .fd = in.fd, .events = POLLIN };
		p[2] = (struct pollfd){ .fd = lfd, .events = POLLIN };
		for (int i = 0; i < CTL_CONNS; i++)
			p[3 + i] = (struct pollfd){ .fd = conns[i].fd,
						    .events = POLLIN };
		if (c->ssl && SSL_pending(c->ssl))
			left = 0;
		n = poll(p, 3 + CTL_CONNS, left > 1000 ? 1000 : (int)left + 1);
		if (n < 0 && errno != EINTR) {
			error("poll: %s", strerror(errno));
			code = EX_LOCAL;
			break;
		}
		if (n <= 0 && !(c->ssl && SSL_pending(c->ssl)))
			continue;
		if (p[0].revents || (c->ssl && SSL_pending(c->ssl))) {
			err = recv_frame(c, &f, deadline());
			if (err)
				error("the connection to the destination failed "
				      "while waiting for the switchover: %s", c->err);
			else if (f.type == F_FAILED)
				error("the destination gave up while waiting for "
				      "the switchover: %s", frame_text(&f, &code));
			else
				error("protocol error: %s while waiting for the "
				      "switchover", frame_name(f.type));
			code = err == -EINTR ? EX_SIGNAL : EX_TRANSFER;
			break;
		}
		if (p[1].revents) {
			cmd = take(&in);
			if (cmd < 0) {
				in.fd = -1;	/* poll() skips it from now on */
				cmd = CMD_NONE;
				if (lfd < 0) {
					error("standard input ended without a "
					      "command, and there is no --control "
					      "socket: nothing can say switchover");
					R.reason = "eof";
					code = EX_ABORTED;
					break;
				}
				say("standard input ended: commands from the "
				    "--control socket only");
			}
		}
		for (int i = 0; i < CTL_CONNS && cmd == CMD_NONE; i++) {
			if (!p[3 + i].revents || conns[i].fd < 0)
				continue;
			cmd = take(&conns[i]);
			if (cmd < 0) {
				drop(&conns[i]);
				cmd = CMD_NONE;
			}
		}
		if (cmd == CMD_NONE && p[2].revents)
			accept_all();
	}
	free(f.data);
	if (cmd == CMD_ABORT) {
		error("abort from %s: no switchover", abort_from);
		R.reason = "abort";
		code = EX_ABORTED;
	}
	return code;
}
