// SPDX-License-Identifier: GPL-2.0
/*
 * lmnic-migrate send: the source. It connects, says HELLO and waits for
 * ACCEPT before anything pauses; with pre-copy it sends the image of the
 * running vport first, then rounds of what changed while the expected
 * downtime exceeds --max-downtime (next_stream()); with --switchover=wait it
 * then says ready and waits
 * for a command (lmnic_migrate_ctl.c); then it extracts (the vport stops),
 * sends the stream as it comes and waits for LOADED; the finish is the
 * commit point, and GO lets the destination resume. A failure rolls the
 * source vport back (src_rollback(), which save uses as well) unless the
 * destination may run it already.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/lmnic.h>
#include <linux/lmnic_mig.h>

#include "lmnic_migrate.h"

/* ---- send --------------------------------------------------------------- */
struct send_ctx {
	struct conn *c;
};

static int send_sink(struct extract *x, const void *data, size_t len)
{
	struct send_ctx *s = x->priv;
	int err = send_frame(s->c, F_DATA, data, len);

	if (err) {
		x->ex_code = err == -EINTR ? EX_SIGNAL : EX_TRANSFER;
		error("transfer: %s", s->c->err);
	}
	return err;
}

/* Tell the destination that the source gives up (ABORT: CODE, WHY). */
static void tell_abort(struct conn *c, int code, const char *why)
{
	int saved = got_signal;

	if (!c || c->fd < 0)
		return;
	got_signal = 0;		/* tell the peer even after a signal */
	o.timeout = o.timeout > 2 ? 2 : o.timeout;
	send_text(c, F_ABORT, code, why);
	got_signal = saved;
}

/*
 * Give the source vport back: VPORT_ABORT (it resumes unchanged); after a
 * VPORT_FINISH, VPORT_RESUME if the abort does not do it. Returns CODE, or
 * EX_ROLLBACK if the vport is not running again.
 */
int src_rollback(struct conn *c, int code, const char *why)
{
	struct mig_status s;
	int err, err2;

	tell_abort(c, code, why);
	say("rolling back: resuming the source vport");
	err = mig_do(LMNIC_CMD_VPORT_ABORT);
	if (err) {
		say("rollback: vport-abort: %s", nl_errstr(err));
		err2 = mig_do(LMNIC_CMD_VPORT_RESUME);
		if (err2 == -ENODEV) {
			error("ROLLBACK FAILED: %s is gone (its adapter was "
			      "removed): there is no source vport to resume",
			      o.dev);
			return EX_ROLLBACK;
		}
		if (err2) {
			error("ROLLBACK FAILED: vport-resume: %s; the source "
			      "vport may still be stopped: check it "
			      "(lmnic-migrate status %s) and act", nl_errstr(err2),
			      o.dev);
			return EX_ROLLBACK;
		}
	}
	err = mig_status(&s, 0);
	if (!err && s.has_state && s.state != LMNIC_MIG_STATE_RUNNING &&
	    s.state != LMNIC_MIG_STATE_DISABLED) {
		error("ROLLBACK FAILED: the source vport is %s after the "
		      "rollback: act", state_name(s.state));
		return EX_ROLLBACK;
	}
	say("rolled back: the source vport runs%s", err ? "" : " again");
	return code;
}

/* ,"KEY":V with 3 decimals, or null if V < 0 */
static void ev_num(struct event *e, const char *key, double v)
{
	if (v < 0)
		ev_add(e, ",\"%s\":null", key);
	else
		ev_add(e, ",\"%s\":%.3f", key, v);
}

/* what the pre-copy carried and what is left: next_stream() */
struct plan {
	double rate;		/* bytes/ms of the image's pipeline; -1 */
	double overhead;	/* ms of the last stream beyond bytes / rate */
	double expect;		/* expected downtime, ms; -1 if not known */
	uint64_t bytes;		/* image and rounds */
	uint64_t fixed;		/* bytes of a delta without table slots */
	uint64_t delta_bytes;	/* the last delta as it stands now */
	uint32_t slots;		/* table slots the image and rounds carried */
	uint32_t dirty_slots, prev_slots;
	int has_dirty, stalled;
	int measured;		/* a round measured the adapters' own times */
};

enum { S_IMAGE, S_ROUND, S_LAST };

/*
 * After the pre-copy image or round X (MS ms from its extract to LOADED),
 * with rounds if ROUNDS: size what changed (the adapter's dirty set) and
 * choose the next stream, S_ROUND or S_LAST; the round event says why. The
 * expected downtime of the last delta is its bytes at the image's rate,
 * plus the last round's time beyond its bytes at that rate (commands and
 * load), plus two round trips (finish, GO and RESUMED). After the image
 * alone that time is not known, and the estimate is a floor: where slots
 * changed and rounds are allowed, a first round measures it (calibrating)
 * whatever the floor says. Sets *WAIT if the
 * switchover must wait for a command (--if-not-converged=wait). Returns
 * S_ROUND, S_LAST, or the exit code to give up with (--if-not-converged=
 * abort, the error said).
 */
static int next_stream(struct conn *c, struct plan *pl,
		       const struct extract *x, double ms, int rounds,
		       int *wait)
{
	double rtt = conn_rtt_ms(c), floor_ms;
	const char *decision = "switchover";
	struct mig_status s;
	struct event e;
	int next = S_LAST, conv = -1, calibrating = 0;

	if (!x->round)
		pl->rate = ms > 0 ? x->off / ms : -1;
	pl->bytes += x->off;
	pl->slots += x->walk.slots;
	pl->fixed = x->off - x->walk.slot_bytes;
	pl->overhead = 0;
	if (pl->rate > 0 && ms > x->off / pl->rate)
		pl->overhead = ms - x->off / pl->rate;
	if (x->round)
		pl->measured = 1;
	pl->has_dirty = 0;
	if (rounds && !mig_status(&s, MS_DIRTY) && s.has_dirty) {
		pl->has_dirty = 1;
		pl->delta_bytes = s.dirty_bytes;
		if (x->round && s.dirty_slots >= pl->prev_slots)
			pl->stalled++;
		else
			pl->stalled = 0;
		pl->prev_slots = pl->dirty_slots = s.dirty_slots;
	}
	pl->expect = -1;
	if (pl->rate > 0) {
		floor_ms = pl->has_dirty ? pl->delta_bytes / pl->rate :
			   pl->fixed / pl->rate;
		pl->expect = pl->overhead + floor_ms + 2 * (rtt > 0 ? rtt : 0);
		conv = pl->expect <= o.max_downtime;
	}
	if (conv == 1 && pl->has_dirty && pl->dirty_slots && !pl->measured &&
	    R.rounds < o.max_rounds) {
		/* the floor fits: a round tells what a delta really costs */
		calibrating = 1;
		conv = -1;
		next = S_ROUND;
		decision = "round";
	} else if (!pl->has_dirty || conv != 0 || !pl->dirty_slots) {
		/* no rounds; in the bound; or nothing a round could carry */
	} else if (R.rounds < o.max_rounds && pl->stalled < 2) {
		next = S_ROUND;
		decision = "round";
	} else if (o.not_converged == NC_ABORT) {
		decision = "abort";
	} else if (o.not_converged == NC_WAIT) {
		decision = "wait";
		*wait = 1;
	}
	if (pl->has_dirty)
		R.converged = conv;

	ev_begin(&e, "round");
	ev_add(&e, ",\"round\":%d,\"stream\":\"%s\",\"bytes\":%" PRIu64
	       ",\"slots\":%u,\"ms\":%.3f", x->round, x->round ? "round" :
	       "precopy", x->off, x->walk.slots, ms);
	ev_num(&e, "rate_bytes_per_ms", pl->rate);
	ev_num(&e, "rtt_ms", rtt);
	if (pl->has_dirty)
		ev_add(&e, ",\"delta_bytes\":%" PRIu64 ",\"dirty_slots\":%u",
		       pl->delta_bytes, pl->dirty_slots);
	else
		ev_add(&e, ",\"delta_bytes\":null,\"dirty_slots\":null");
	ev_num(&e, "expected_downtime_ms", pl->expect);
	ev_add(&e, ",\"max_downtime_ms\":%d,\"converged\":%s,"
	       "\"decision\":\"%s\",\"calibrating\":%s", o.max_downtime,
	       !pl->has_dirty || conv < 0 ? "null" : conv ? "true" : "false",
	       decision, calibrating ? "true" : "false");
	ev_end(&e);

	if (calibrating) {
		say("%u slots changed (a delta of %" PRIu64 " bytes): at least "
		    "%.1f ms; round %d measures the adapters' own times",
		    pl->dirty_slots, pl->delta_bytes, pl->expect, R.rounds + 1);
		return S_ROUND;
	}
	if (next == S_ROUND) {
		say("%u slots changed (a delta of %" PRIu64 " bytes): expected "
		    "downtime %.1f ms, over %d ms: round %d", pl->dirty_slots,
		    pl->delta_bytes,
		    pl->expect, o.max_downtime, R.rounds + 1);
		return S_ROUND;
	}
	if (pl->has_dirty && conv == 1)
		say("%u slots changed (a delta of %" PRIu64 " bytes): expected "
		    "downtime %.1f ms, within %d ms", pl->dirty_slots,
		    pl->delta_bytes, pl->expect, o.max_downtime);
	else if (pl->has_dirty && conv == 0 && !pl->dirty_slots)
		say("no slot changed: expected downtime %.1f ms, over %d ms, "
		    "which a round cannot shorten", pl->expect, o.max_downtime);
	if (pl->has_dirty && conv == 0 && pl->dirty_slots) {
		say("not converged after %d round%s (%u slots change as fast as "
		    "they are sent): expected downtime %.1f ms, over %d ms%s",
		    R.rounds, R.rounds == 1 ? "" : "s", pl->dirty_slots,
		    pl->expect, o.max_downtime, *decision == 'a' ?
		    ": giving up" : *decision == 'w' ?
		    ": waiting for a command" : ": switching over");
		if (*decision == 'a') {
			error("not converged: the expected downtime %.1f ms "
			      "exceeds --max-downtime %d ms after %d rounds",
			      pl->expect, o.max_downtime, R.rounds);
			R.reason = "not-converged";
			return EX_ABORTED;
		}
	}
	return S_LAST;
}

/*
 * The switchover point (--switchover=wait, or --if-not-converged=wait): the
 * pre-copy (PL, NULL without one) is loaded at the destination, the source
 * vport runs. Say ready with what is known of the downtime ahead, wait for
 * the command (ctl_wait()) and mark the end of the wait with a KEEPALIVE,
 * from which the destination counts its downtime. 0 to go on, or the exit
 * code to give up with (the error said).
 */
static int switchover(struct conn *c, const struct plan *pl,
		      double keepalive_ms)
{
	double rtt = conn_rtt_ms(c), t0 = now_ms();
	struct mig_status s;
	struct event e;
	int err, code;

	phase("switchover");
	err = mig_status(&s, 0);
	ev_begin(&e, "ready");
	ev_str(&e, "dev", o.dev);
	if (err) {
		ev_add(&e, ",\"adapter\":null,\"vport\":null,\"state\":null,"
		       "\"conn_count\":null");
	} else {
		ev_str(&e, "adapter", s.dev_name);
		ev_add(&e, ",\"vport\":%u,\"state\":\"%s\",\"conn_count\":%u",
		       s.vport, state_name(s.state), s.conn_count);
	}
	ev_add(&e, ",\"proto\":%d,\"precopy\":%s", PROTO_VERSION,
	       pl ? "true" : "false");
	if (pl) {
		ev_add(&e, ",\"precopy_bytes\":%" PRIu64 ",\"precopy_ms\":%.3f,"
		       "\"precopy_slots\":%u,\"rounds\":%d,"
		       "\"delta_fixed_bytes\":%" PRIu64, pl->bytes, R.t_precopy,
		       pl->slots, R.rounds, pl->fixed);
		/*
		 * With rounds the adapter sized the delta as it stood; without,
		 * the estimate is that of a delta without changed slots, a
		 * floor (lmnic-migrate(8), EVENTS).
		 */
		if (pl->has_dirty)
			ev_add(&e, ",\"dirty_bytes_estimate\":%" PRIu64,
			       pl->delta_bytes > pl->fixed ?
			       pl->delta_bytes - pl->fixed : 0);
		else
			ev_add(&e, ",\"dirty_bytes_estimate\":null");
		ev_num(&e, "link_rate_bytes_per_ms", pl->rate);
	} else {
		ev_add(&e, ",\"precopy_bytes\":null,\"precopy_ms\":null,"
		       "\"precopy_slots\":null,\"rounds\":null,"
		       "\"delta_fixed_bytes\":null,"
		       "\"dirty_bytes_estimate\":null,"
		       "\"link_rate_bytes_per_ms\":null");
	}
	ev_num(&e, "rtt_ms", rtt);
	ev_num(&e, "expected_downtime_ms", pl ? pl->expect : -1);
	ev_add(&e, ",\"converged\":%s", R.converged < 0 ? "null" :
	       R.converged ? "true" : "false");
	ev_add(&e, ",\"switchover_timeout_s\":%d", o.switchover_timeout);
	if (o.control)
		ev_str(&e, "control", o.control);
	else
		ev_add(&e, ",\"control\":null");
	if (pl && pl->expect >= 0)
		say("ready for the switchover: expected downtime %.1f ms%s",
		    pl->expect, pl->has_dirty ? "" : " or more");
	else
		say("ready for the switchover");
	say("waiting for switchover or abort on standard input%s, for %d s",
	    o.control ? " or the --control socket" : "", o.switchover_timeout);
	/* a destination host that vanishes: KEEPALIVE unacknowledged fails */
	setsockopt(c->fd, IPPROTO_TCP, TCP_USER_TIMEOUT,
		   &(unsigned int){ o.timeout * 1000U }, sizeof(unsigned int));
	code = ctl_wait(c, &e, keepalive_ms);
	R.t_switchover = now_ms() - t0;
	if (code)
		return code;
	say("switchover");
	err = send_frame(c, F_KEEPALIVE, NULL, 0);
	if (err) {
		error("transfer: %s", c->err);
		return err == -EINTR ? EX_SIGNAL : EX_TRANSFER;
	}
	return 0;
}

int cmd_send(void)
{
	struct conn c = { .fd = -1 };
	struct frame f = { 0 };
	struct mig_status s, sd;
	struct send_ctx sc = { .c = &c };
	struct extract x;
	struct hello h;
	char host[256], port[32];
	uint8_t buf[64], *p;
	const struct lmnic_mig_trailer *tr;
	double t0, t_down = 0, t_pre = 0, t, t_go, t_stream, keepalive_ms = 0;
	struct plan pl = { .rate = -1, .expect = -1 };
	SSL_CTX *ctx = NULL;
	int err, code, kind, precopy, rounds, wait = o.switchover_wait;

	if (split_hostport(o.to, host, sizeof(host), port, sizeof(port), 0)) {
		error("--to %s: not HOST:PORT", o.to);
		return EX_LOCAL;
	}
	if (!o.insecure && !(ctx = tls_ctx(0)))
		return EX_LOCAL;
	err = mig_status(&s, 0);
	if (err) {
		error("status of %s: %s", o.dev, nl_errstr(err));
		return EX_LOCAL;
	}
	if (s.state != LMNIC_MIG_STATE_RUNNING &&
	    s.state != LMNIC_MIG_STATE_DISABLED) {
		error("%s is %s: nothing to migrate (a migration of it is "
		      "under way or done)", o.dev, state_name(s.state));
		return EX_LOCAL;
	}

	/* (1) connect, TLS; (2) HELLO; (3) ACCEPT or REFUSE */
	phase("handshake");
	t0 = now_ms();
	err = tcp_connect(&c, host, port);
	if (!err && ctx)
		err = tls_handshake(&c, ctx, 0, host);
	if (!err) {
		hello_from_status(&h, &s);
		err = send_hello(&c, &h);
	}
	if (!err)
		err = recv_frame(&c, &f, deadline());
	if (err) {
		error("%s %s: %s%s", ctx ? "TLS connection to" : "connection to",
		      o.to, c.err, err == -EPROTO || err == -EACCES ?
		      " (authentication failed? check the PSK/certificates)" : "");
		code = err == -EINTR ? EX_SIGNAL : EX_CONNECT;
		goto out;
	}
	if (f.type == F_REFUSE) {
		error("refused by the destination: %s", frame_text(&f, &code));
		code = EX_REFUSED;
		goto out;
	}
	if (f.type != F_ACCEPT || f.len < 4) {
		error("protocol error: %s instead of ACCEPT", frame_name(f.type));
		code = EX_CONNECT;
		goto out;
	}
	{
		const uint8_t *q = f.data;
		uint32_t taken = get32(&q), dst_timeout;

		precopy = h.flags & HELLO_F_PRECOPY & taken;
		rounds = precopy && (h.flags & HELLO_F_ROUNDS & taken);
		if (o.precopy && !precopy)
			say("the %s adapter cannot pre-copy: stop and copy",
			    h.flags & HELLO_F_PRECOPY ? "destination" : "source");
		if ((h.flags & HELLO_F_WAIT) && !(taken & HELLO_F_WAIT)) {
			error("the destination's agent cannot wait for the "
			      "switchover (it is older): update it, or go "
			      "without --switchover=wait and "
			      "--if-not-converged=wait");
			tell_abort(&c, EX_REFUSED, R.error);
			code = EX_REFUSED;
			goto out;
		}
		/* a KEEPALIVE well within either side's --timeout */
		dst_timeout = f.len >= 8 ? get32(&q) : 0;
		if (!dst_timeout || dst_timeout > (uint32_t)o.timeout)
			dst_timeout = o.timeout;
		keepalive_ms = dst_timeout * 1000.0 / 3;
	}
	R.t_handshake = now_ms() - t0;
	if (got_signal) {
		error("interrupted by a signal (nothing was paused)");
		code = EX_SIGNAL;
		goto out;
	}

	/*
	 * (4) With pre-copy, first the image of the running vport: DATA, END
	 * with "more", LOADED; then, with rounds, as long as next_stream()
	 * says: ROUND, the delta of the running vport the same way; with
	 * --switchover=wait, the wait for the command (KEEPALIVE while it
	 * lasts, and once at its end); then as without: extract (the vport
	 * stops here; with pre-copy the stream is the last delta), DATA as it
	 * comes, END; (5) the destination restores: LOADED or FAILED.
	 */
	for (kind = precopy ? S_IMAGE : S_LAST;;) {
		int pre = kind != S_LAST;

		/* x holds the pre-copy's last extract here, if there was one */
		if (!pre && wait) {
			code = switchover(&c, precopy ? &pl : NULL,
					  keepalive_ms);
			if (code && precopy) {
				code = src_rollback(&c, code, R.error);
				goto out;
			}
			if (code) {
				tell_abort(&c, code, R.error);
				say("nothing was paused: the source vport runs");
				goto out;
			}
		}
		if (kind == S_ROUND) {
			p = buf;
			put32(&p, R.rounds + 1);
			err = send_frame(&c, F_ROUND, buf, p - buf);
			if (err) {
				error("transfer: %s", c.err);
				code = src_rollback(&c, err == -EINTR ?
						    EX_SIGNAL : EX_TRANSFER,
						    R.error);
				goto out;
			}
		}
		memset(&x, 0, sizeof(x));
		x.sink = send_sink;
		x.priv = &sc;
		x.precopy = pre;
		x.round = kind == S_ROUND ? R.rounds + 1 : 0;
		if (kind == S_IMAGE) {
			phase("precopy");
			say("accepted; pre-copying %s as it runs", o.dev);
			t_pre = now_ms();
		} else if (pre) {
			say("round %d: what changed in %s", x.round, o.dev);
		} else {
			phase("quiesce");
			say("%squiescing %s", precopy ? "" : "accepted; ",
			    o.dev);
			t_down = now_ms();
		}
		t_stream = now_ms();
		err = extract(&x);
		if (!pre && x.t_first)
			R.t_quiesce = x.t_first - t_down;
		if (err) {
			if (!x.ex_code || x.ex_code == EX_EXTRACT) {
				if (!x.ex_code)
					error("extract: %s", nl_errstr(err));
				if (!pre)
					R.phase = x.off ? "transfer" : "quiesce";
				code = src_rollback(&c, EX_EXTRACT, R.error);
			} else {
				if (!pre)
					R.phase = "transfer";
				code = src_rollback(&c, x.ex_code, R.error);
			}
			goto out;
		}
		if (pre) {
			R.precopy_bytes += x.off;
		} else {
			phase("transfer");
			R.bytes = x.off;
			if (x.off >= sizeof(x.tail)) {
				tr = (const void *)x.tail;
				memcpy(R.image_sha, tr->sha256, 32);
				R.has_image = 1;
			}
		}
		if (!pre && o.verify) {
			err = mig_status(&sd, MS_DIGEST);
			if (err || !sd.has_digest) {
				error("verify: source digest: %s", err ?
				      nl_errstr(err) : "the kernel gave none");
				code = src_rollback(&c, EX_EXTRACT, R.error);
				goto out;
			}
			memcpy(R.src_digest, sd.digest, 32);
			R.has_src_digest = 1;
		}
		p = buf;
		put64(&p, x.off);
		*p++ = !pre && o.verify;
		memcpy(p, R.src_digest, 32);
		p += 32;
		*p++ = pre;		/* more: a round or the last delta follows */
		err = send_frame(&c, F_END, buf, p - buf);
		t = now_ms();
		if (!pre) {
			R.t_transfer = t - (x.t_first ? x.t_first : t_down);
			phase("restore");
		}
		if (!err)
			err = recv_frame(&c, &f, deadline());
		if (err) {
			error("transfer: %s", c.err);
			code = src_rollback(&c, err == -EINTR ? EX_SIGNAL :
					    EX_TRANSFER, R.error);
			goto out;
		}
		if (f.type == F_FAILED || f.type == F_REFUSE) {
			error("the destination failed the %srestore: %s",
			      kind == S_IMAGE ? "pre-copy " :
			      kind == S_ROUND ? "round's " : "",
			      frame_text(&f, &code));
			code = src_rollback(&c, EX_RESTORE, R.error);
			goto out;
		}
		if (f.type != F_LOADED || f.len < 73) {
			error("protocol error: %s instead of LOADED",
			      frame_name(f.type));
			code = src_rollback(&c, EX_TRANSFER, R.error);
			goto out;
		}
		if (pre) {
			t = now_ms();
			R.t_precopy = t - t_pre;
			if (kind == S_IMAGE)
				say("pre-copied %" PRIu64 " bytes in %.1f ms",
				    x.off, t - t_stream);
			else
				say("round %d: %" PRIu64 " bytes in %.1f ms",
				    x.round, x.off, t - t_stream);
			if (kind == S_ROUND)
				R.rounds = x.round;
			kind = next_stream(&c, &pl, &x, t - t_stream,
					   rounds, &wait);
			if (kind != S_ROUND && kind != S_LAST) {
				code = src_rollback(&c, kind, R.error);
				goto out;
			}
			continue;
		}
		R.t_restore = now_ms() - t;
		{
			const uint8_t *q = f.data;
			uint64_t load_ns = get64(&q);

			if (!R.has_image || memcmp(R.image_sha, q, 32))
				say("note: the destination's image SHA-256 differs");
			if (q[32]) {
				memcpy(R.dst_digest, q + 33, 32);
				R.has_dst_digest = 1;
			}
			say("loaded on the destination in %.1f ms",
			    load_ns / 1e6);
		}
		break;
	}
	if (o.verify && (!R.has_dst_digest ||
			 memcmp(R.src_digest, R.dst_digest, 32))) {
		error("verify: the destination's state digest differs");
		code = src_rollback(&c, EX_RESTORE, R.error);
		goto out;
	}
	if (got_signal) {
		error("interrupted by a signal");
		code = src_rollback(&c, EX_SIGNAL, R.error);
		goto out;
	}

	/* (6) commit point: finish, GO; (7) RESUMED */
	phase("resume");
	t = now_ms();
	err = mig_do(LMNIC_CMD_VPORT_FINISH);
	if (err) {
		error("vport-finish: %s", nl_errstr(err));
		code = src_rollback(&c, EX_RESUME, R.error);
		goto out;
	}
	err = send_frame(&c, F_GO, NULL, 0);
	if (err) {
		error("transfer: sending GO: %s", c.err);
		code = src_rollback(&c, err == -EINTR ? EX_SIGNAL : EX_TRANSFER,
				    R.error);
		goto out;
	}
	err = recv_frame(&c, &f, deadline());
	if (err) {
		/* the destination may run the vport now: do not resume it here */
		error("the connection failed after GO (%s): the destination may "
		      "run the vport; the source stays stopped: check the "
		      "destination", c.err);
		code = EX_ROLLBACK;
		goto out;
	}
	if (f.type == F_FAILED) {
		error("the destination failed to resume: %s",
		      frame_text(&f, &code));
		code = src_rollback(&c, EX_RESUME, R.error);
		goto out;
	}
	if (f.type != F_RESUMED) {
		error("protocol error: %s instead of RESUMED; the source stays "
		      "stopped: check the destination", frame_name(f.type));
		code = EX_ROLLBACK;
		goto out;
	}
	t_go = now_ms();
	R.t_resume = t_go - t;
	R.downtime = t_go - t_down;
	code = EX_OK;
out:
	free(f.data);
	conn_close(&c);
	SSL_CTX_free(ctx);
	return result(code);
}
