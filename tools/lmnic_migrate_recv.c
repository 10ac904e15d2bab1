// SPDX-License-Identifier: GPL-2.0
/*
 * lmnic-migrate receive: the destination. It listens, turns away peers
 * that do not authenticate or say HELLO, accepts or refuses the source's
 * vport naming the difference, restores the stream as it comes (a
 * pre-copy image first, committed, then the delta), commits at END,
 * answers LOADED and resumes the vport at GO. A failure drops the restore
 * (dst_abort(), which load uses as well).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/lmnic.h>

#include "lmnic_migrate.h"

/* ---- receive ------------------------------------------------------------ */

/* The loaded event: STREAM (precopy, delta, full) of BYTES committed. */
static void ev_loaded(const char *stream, uint64_t bytes,
		      const struct restore_reply *rr)
{
	struct event e;
	char h[65];

	ev_begin(&e, "loaded");
	ev_str(&e, "dev", o.dev);
	ev_add(&e, ",\"stream\":\"%s\",\"bytes\":%" PRIu64 ",\"load_ms\":%.3f",
	       stream, bytes, rr->load_ns / 1e6);
	if (rr->has_sha) {
		hex(h, rr->sha, 32);
		ev_add(&e, ",\"image_sha256\":\"%s\"", h);
	}
	if (R.has_dst_digest) {
		hex(h, R.dst_digest, 32);
		ev_add(&e, ",\"dest_digest\":\"%s\"", h);
	}
	ev_end(&e);
}

/*
 * The pre-copy image or a round (STREAM) ended (END with "more"): OFF bytes
 * came; commit them and answer LOADED. Returns 0, or an error after saying
 * why.
 */
static int recv_precopy_end(struct conn *c, const struct frame *f,
			    const char *stream, uint64_t off,
			    struct restore_reply *rr)
{
	const uint8_t *q = f->data;
	uint8_t buf[80], *p = buf;
	uint64_t total = get64(&q);
	int err;

	if (total != off) {
		error("the source sent %" PRIu64 " bytes of the %s, END says %"
		      PRIu64, off, stream, total);
		return -EPROTO;
	}
	err = restore_chunk(off, NULL, 0, 1, rr);
	if (err) {
		error("vport-state-restore commit of the %s: %s", stream,
		      nl_errstr(err));
		return err;
	}
	say("%s of %" PRIu64 " bytes loaded in %.1f ms",
	    strcmp(stream, "precopy") ? stream : "pre-copy image", off,
	    rr->load_ns / 1e6);
	ev_loaded(stream, off, rr);
	put64(&p, rr->load_ns);
	memcpy(p, rr->sha, 32);
	p += 32;
	*p++ = 0;
	memset(p, 0, 32);
	p += 32;
	err = send_frame(c, F_LOADED, buf, p - buf);
	if (err)
		error("transfer: %s", c->err);
	return err;
}

int dst_abort(int opened, int code)
{
	int err;

	if (!opened)
		return code;
	err = mig_do(LMNIC_CMD_VPORT_ABORT);
	if (err) {
		struct mig_status s;

		/* a refused commit drops the restore itself */
		if (!mig_status(&s, 0) && s.has_state &&
		    (s.state == LMNIC_MIG_STATE_RUNNING ||
		     s.state == LMNIC_MIG_STATE_DISABLED)) {
			say("destination restore dropped");
			return code;
		}
		error("vport-abort on the destination: %s", nl_errstr(err));
		return EX_ROLLBACK;
	}
	say("destination restore dropped");
	return code;
}

static void peer_name(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN] = "?";
	int port = 0;

	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)ss;

		inet_ntop(AF_INET6, &s6->sin6_addr, a, sizeof(a));
		port = ntohs(s6->sin6_port);
	} else if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const void *)ss;

		inet_ntop(AF_INET, &s4->sin_addr, a, sizeof(a));
		port = ntohs(s4->sin_port);
	}
	snprintf(buf, len, "%s port %d", a, port);
}

/*
 * Take connections on LFD until one authenticates (TLS) and says HELLO, or
 * --accept-timeout runs out: a port probe, a peer with the wrong key or
 * one that says nothing is turned away and the agent listens on. On
 * success C, F and H hold the connection, its HELLO frame and what it
 * says; *T_HS when its handshake began. Returns 0 or an exit code.
 */
static int accept_source(int lfd, SSL_CTX *ctx, struct conn *c,
			 struct frame *f, struct hello *h, double *t_hs)
{
	double until = o.accept_timeout ? now_ms() + o.accept_timeout * 1e3 :
			1e300;
	struct sockaddr_storage ss;
	socklen_t sl;
	char who[80];
	int err;

	for (;;) {
		err = wait_fd(lfd, POLLIN, until);
		if (err == -EINTR) {
			error("interrupted by a signal");
			return EX_SIGNAL;
		}
		if (err) {
			error("no source authenticated within %d s "
			      "(--accept-timeout)", o.accept_timeout);
			return EX_CONNECT;
		}
		sl = sizeof(ss);
		c->fd = accept4(lfd, (struct sockaddr *)&ss, &sl,
				SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (c->fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED ||
			    errno == EAGAIN)
				continue;
			error("accept: %s", strerror(errno));
			return EX_CONNECT;
		}
		peer_name(&ss, who, sizeof(who));
		setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &(int){ 1 },
			   sizeof(int));
		phase("handshake");
		*t_hs = now_ms();
		err = ctx ? tls_handshake(c, ctx, 1, NULL) : 0;
		if (!err)
			err = recv_frame(c, f, deadline());
		if (!err && f->type == F_HELLO && !parse_hello(f, h))
			return 0;
		if (err == -EINTR) {
			error("interrupted by a signal");
			return EX_SIGNAL;
		}
		if (err)
			say("turned away %s: %s%s", who, c->err,
			    err == -EPROTO || err == -EACCES ? " (not "
			    "authenticated: check the PSK/certificates)" : "");
		else
			say("turned away %s: %s instead of HELLO", who,
			    f->type == F_HELLO ? "a malformed HELLO" :
			    frame_name(f->type));
		free(f->data);
		f->data = NULL;
		conn_close(c);
		c->err[0] = 0;
		phase("listen");
	}
}

int cmd_receive(void)
{
	struct conn c = { .fd = -1 };
	struct frame f = { 0 };
	struct mig_status d, dd;
	struct restore_reply rr;
	struct hello h;
	char why[400];
	uint8_t buf[80], *p;
	uint64_t off = 0, total = 0;
	/* the stream being taken, and its size where the source told it */
	const char *stream = "transfer";
	uint64_t stream_total;
	double t_acc, t_first = 0, t, t_hs = 0, t_wait = 0;
	SSL_CTX *ctx = NULL;
	int lfd, err, code, opened = 0, want_digest = o.verify, waiting;
	int rounds = 0;		/* pre-copy streams loaded: image, rounds */

	if (!o.insecure && !(ctx = tls_ctx(1)))
		return EX_LOCAL;
	err = mig_status(&d, 0);
	if (err) {
		error("status of %s: %s", o.dev, nl_errstr(err));
		return EX_LOCAL;
	}
	lfd = tcp_listen(o.listen);
	if (lfd < 0)
		return result(EX_LOCAL);
	{
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		char a[INET6_ADDRSTRLEN] = "?";
		int lport = 0;

		getsockname(lfd, (struct sockaddr *)&ss, &sl);
		if (ss.ss_family == AF_INET6) {
			struct sockaddr_in6 *s6 = (void *)&ss;

			inet_ntop(AF_INET6, &s6->sin6_addr, a, sizeof(a));
			lport = ntohs(s6->sin6_port);
		} else if (ss.ss_family == AF_INET) {
			struct sockaddr_in *s4 = (void *)&ss;

			inet_ntop(AF_INET, &s4->sin_addr, a, sizeof(a));
			lport = ntohs(s4->sin_port);
		}
		{
			struct event e;

			ev_begin(&e, "listening");
			ev_add(&e, ",\"address\":\"%s\",\"port\":%d", a, lport);
			ev_end(&e);
		}
		say("listening on %s port %d for %s", a, lport, o.dev);
	}
	phase("listen");
	code = accept_source(lfd, ctx, &c, &f, &h, &t_hs);
	close(lfd);
	if (code)
		goto out;
	err = mig_status(&d, 0);
	if (err) {
		snprintf(why, sizeof(why), "destination status: %s",
			 nl_errstr(err));
		code = EX_LOCAL;
	} else {
		code = compatible(&h, &d, why, sizeof(why)) ? EX_REFUSED : 0;
	}
	if (code) {
		error("refusing the migration: %s", why);
		send_text(&c, F_REFUSE, code, why);
		goto out;
	}
	want_digest |= h.flags & HELLO_F_VERIFY;
	/* a pre-copy if both adapters can */
	if (!(d.caps & LMNIC_CAP_PRECOPY))
		h.flags &= ~(HELLO_F_PRECOPY | HELLO_F_ROUNDS);
	/* rounds: deltas loaded one on the other, if this adapter can */
	if (!(d.caps & LMNIC_CAP_ROUNDS))
		h.flags &= ~HELLO_F_ROUNDS;
	p = buf;
	put32(&p, h.flags & (HELLO_F_PRECOPY | HELLO_F_WAIT | HELLO_F_ROUNDS));
	/* the source waits for its switchover: it keeps within our timeout */
	if (h.flags & HELLO_F_WAIT)
		put32(&p, o.timeout);
	err = send_frame(&c, F_ACCEPT, buf, p - buf);
	if (err) {
		error("handshake: %s", c.err);
		code = err == -EINTR ? EX_SIGNAL : EX_CONNECT;
		goto out;
	}
	t_acc = now_ms();
	R.t_handshake = t_acc - t_hs;
	R.total = h.stream_size;
	if (h.flags & HELLO_F_PRECOPY) {
		stream = "precopy";
		stream_total = 0;	/* the pre-copy's: known at END */
	} else {
		stream_total = R.total;
	}

	/*
	 * (5) DATA ... END: restore as it comes, commit at END. The kernel
	 * checks the stream's structure as it takes it, the adapter every
	 * record's CRC-32C and the image's SHA-256 before it loads. With
	 * pre-copy, the first stream is of the running source vport: END
	 * says "more", it is committed and LOADED answered; the delta that
	 * completes it follows once the source stopped. A source that waits
	 * for its switchover (HELLO_F_WAIT) sends KEEPALIVE before its
	 * (next) stream, the last one as it quiesces: the downtime runs from
	 * there. The phase is "switchover" meanwhile.
	 */
	waiting = (h.flags & (HELLO_F_PRECOPY | HELLO_F_WAIT)) == HELLO_F_WAIT;
	t_wait = now_ms();
	phase(h.flags & HELLO_F_PRECOPY ? "precopy" :
	      waiting ? "switchover" : "transfer");
	for (;;) {
		err = recv_frame(&c, &f, deadline());
		if (err) {
			error("transfer: %s", c.err);
			code = dst_abort(opened, err == -EINTR ? EX_SIGNAL :
					 EX_TRANSFER);
			goto out;
		}
		if (f.type == F_ABORT) {
			error("the source gave up: %s", frame_text(&f, &code));
			if (code < EX_REFUSED || code > EX_ABORTED)
				code = EX_TRANSFER;
			code = dst_abort(opened, code);
			goto out;
		}
		if (f.type == F_END && f.len >= 42 && f.data[41]) {
			const char *what = rounds ? "round" : "precopy";

			if (rounds && !(h.flags & HELLO_F_ROUNDS)) {
				error("protocol error: a second pre-copy stream "
				      "without rounds");
				code = dst_abort(opened, EX_TRANSFER);
				send_text(&c, F_FAILED, code, R.error);
				goto out;
			}
			err = recv_precopy_end(&c, &f, what, off, &rr);
			opened = 1;
			if (err)
				goto restore_failed;
			progress(what, off, off, 1);
			progress_start();
			/* a round may follow, or the last delta */
			rounds++;
			stream = "transfer";
			stream_total = 0;	/* the next one's: known at END */
			R.precopy_bytes += off;
			R.t_precopy = (R.t_precopy < 0 ? 0 : R.t_precopy) +
				      now_ms() - t_acc;
			R.rounds = rounds - 1;
			off = 0;
			t_first = 0;
			t_acc = t_wait = now_ms();
			waiting = !!(h.flags & HELLO_F_WAIT);
			phase(waiting ? "switchover" : "transfer");
			continue;
		}
		if (f.type == F_END)
			break;
		if (f.type == F_ROUND && rounds && !off &&
		    (h.flags & HELLO_F_ROUNDS)) {
			/* the source runs on: not a switchover yet */
			stream = "round";
			waiting = 0;
			phase("precopy");
			t_acc = t_wait = now_ms();
			continue;
		}
		if (f.type == F_KEEPALIVE && waiting) {
			t_acc = now_ms();
			continue;
		}
		if (f.type != F_DATA) {
			error("protocol error: %s during the transfer",
			      frame_name(f.type));
			code = dst_abort(opened, EX_TRANSFER);
			send_text(&c, F_FAILED, code, R.error);
			goto out;
		}
		if (waiting) {
			waiting = 0;
			R.t_switchover = t_acc - t_wait;
			phase("transfer");
		}
		if (!t_first) {
			t_first = now_ms();
			R.t_quiesce = t_first - t_acc;
		}
		err = restore_data(off, f.data, f.len, 0, &rr);
		opened = 1;
		if (err) {
			error("vport-state-restore at byte %" PRIu64 ": %s", off,
			      nl_errstr(err));
			goto restore_failed;
		}
		off += f.len;
		R.bytes = off;
		progress(stream, off, stream_total, 0);
	}
	t = now_ms();
	R.t_transfer = t - (t_first ? t_first : t_acc);
	{
		const uint8_t *q = f.data;

		if (f.len < 41) {
			error("protocol error: short END");
			code = dst_abort(opened, EX_TRANSFER);
			goto out;
		}
		total = get64(&q);
		if (q[0]) {
			memcpy(R.src_digest, q + 1, 32);
			R.has_src_digest = 1;
			want_digest = 1;
		}
	}
	if (total == off)
		progress(stream, off, total, 1);
	phase("restore");
	if (total != off) {
		error("the source sent %" PRIu64 " bytes, END says %" PRIu64,
		      off, total);
		goto restore_failed;
	}
	err = restore_chunk(off, NULL, 0, 1, &rr);
	opened = 1;
	if (err) {
		error("vport-state-restore commit: %s", nl_errstr(err));
		goto restore_failed;
	}
	R.t_restore = now_ms() - t;
	if (rr.has_sha) {
		memcpy(R.image_sha, rr.sha, 32);
		R.has_image = 1;
	}
	say("loaded in %.1f ms", rr.load_ns / 1e6);
	if (want_digest) {
		err = mig_status(&dd, MS_DIGEST);
		if (err || !dd.has_digest) {
			error("verify: destination digest: %s",
			      err ? nl_errstr(err) : "the kernel gave none");
			goto restore_failed;
		}
		memcpy(R.dst_digest, dd.digest, 32);
		R.has_dst_digest = 1;
		if (R.has_src_digest && memcmp(R.src_digest, R.dst_digest, 32)) {
			error("verify: the state digests differ");
			goto restore_failed;
		}
	}
	ev_loaded(h.flags & HELLO_F_PRECOPY ? "delta" : "full", off, &rr);
	p = buf;
	put64(&p, rr.load_ns);
	memcpy(p, R.image_sha, 32);
	p += 32;
	*p++ = R.has_dst_digest;
	memcpy(p, R.dst_digest, 32);
	p += 32;
	err = send_frame(&c, F_LOADED, buf, p - buf);

	/* (6) GO; (7) resume, RESUMED */
	phase("resume");
	if (!err)
		err = recv_frame(&c, &f, deadline());
	if (err || f.type != F_GO) {
		if (err)
			error("waiting for GO: %s", c.err);
		else if (f.type == F_ABORT)
			error("the source gave up: %s", frame_text(&f, &code));
		else
			error("protocol error: %s instead of GO",
			      frame_name(f.type));
		code = dst_abort(1, err == -EINTR ? EX_SIGNAL : EX_TRANSFER);
		goto out;
	}
	t = now_ms();
	err = mig_do(LMNIC_CMD_VPORT_RESUME);
	if (err) {
		error("vport-resume: %s", nl_errstr(err));
		code = dst_abort(1, EX_RESUME);
		send_text(&c, F_FAILED, code, R.error);
		goto out;
	}
	R.t_resume = now_ms() - t;
	R.downtime = now_ms() - t_acc;
	{
		struct event e;

		ev_begin(&e, "resumed");
		ev_str(&e, "dev", o.dev);
		ev_add(&e, ",\"resume_ms\":%.3f,\"downtime_ms\":%.3f",
		       R.t_resume, R.downtime);
		ev_end(&e);
	}
	p = buf;
	put64(&p, (uint64_t)(R.t_resume * 1e6));
	if (send_frame(&c, F_RESUMED, buf, 8))
		say("note: the source did not get RESUMED: %s", c.err);
	code = EX_OK;
	goto out;

restore_failed:
	R.phase = "restore";
	code = dst_abort(opened, got_signal ? EX_SIGNAL : EX_RESTORE);
	{
		int saved = got_signal;

		got_signal = 0;
		send_text(&c, F_FAILED, code, R.error);
		got_signal = saved;
	}
out:
	free(f.data);
	conn_close(&c);
	SSL_CTX_free(ctx);
	return result(code);
}
