// SPDX-License-Identifier: GPL-2.0
/*
 * lmnic-migrate: results and output. The result of a run (R: its phase,
 * its first error, bytes, timings, digests), the messages on stderr, the
 * events (one JSON object per line, on stdout with --json and to the
 * control connections of send --control), among them phase and progress,
 * and the final report, which returns the exit code. The test
 * suite's fault-injection points (LMNIC_MIGRATE_STALL, LMNIC_MIGRATE_FLIP)
 * are here too, built into lmnic-migrate-test only.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "lmnic_json.h"
#include "lmnic_migrate.h"

/* ---- results and output ------------------------------------------------ */
struct result R = { .phase = "setup", .t_handshake = -1, .t_precopy = -1,
	.t_quiesce = -1, .t_transfer = -1, .t_restore = -1, .t_resume = -1,
	.downtime = -1, .t_switchover = -1, .converged = -1 };
double t_start;

double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* ---- events ----------------------------------------------------------- */
void ev_add(struct event *e, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (e->len >= sizeof(e->buf))
		return;
	va_start(ap, fmt);
	n = vsnprintf(e->buf + e->len, sizeof(e->buf) - e->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		e->len += n;
}

/*
 * {"event":NAME,"v":1,"ts":CLOCK_REALTIME in ms,"mono_ms":CLOCK_MONOTONIC
 * ms since the agent started
 */
void ev_begin(struct event *e, const char *name)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	e->len = 0;
	ev_add(e, "{\"event\":\"%s\",\"v\":%d,\"ts\":%lld,\"mono_ms\":%.3f",
	       name, EVENT_VERSION,
	       (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000,
	       now_ms() - t_start);
}

/* ,"KEY":"S", S quoted as every tool quotes strings (lmnic_json.h) */
void ev_str(struct event *e, const char *key, const char *s)
{
	ev_add(e, ",\"%s\":", key);
	if (e->len < sizeof(e->buf))
		e->len += lmnic_json_quote_buf(e->buf + e->len,
					       sizeof(e->buf) - e->len, s,
					       SIZE_MAX);
}

/* Close the object; 0, or -1 if it did not fit (and is not sent). */
static int ev_close(struct event *e)
{
	ev_add(e, "}\n");
	if (e->len >= sizeof(e->buf)) {
		say("an event did not fit its buffer: left out");
		return -1;
	}
	return 0;
}

/* To stdout with --json, and to every control connection. */
void ev_end(struct event *e)
{
	if (ev_close(e))
		return;
	if (o.json) {
		fwrite(e->buf, 1, e->len, stdout);
		fflush(stdout);
	}
	ctl_event(e->buf, e->len);
}

/* To one control connection FD; FD < 0: to stdout with --json. */
void ev_send(struct event *e, int fd)
{
	if (ev_close(e))
		return;
	if (fd >= 0) {
		send(fd, e->buf, e->len, MSG_DONTWAIT | MSG_NOSIGNAL);
	} else if (o.json) {
		fwrite(e->buf, 1, e->len, stdout);
		fflush(stdout);
	}
}

void hex(char *out, const uint8_t *b, int n)
{
	for (int i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
}

/* Print a message on stderr. */
void say(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "lmnic-migrate: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* Record the error of the failing phase (first one wins) and say it. */
void error(const char *fmt, ...)
{
	char buf[sizeof(R.error)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (!R.error[0])
		snprintf(R.error, sizeof(R.error), "%s", buf);
	say("%s", buf);
}

#ifdef LMNIC_MIGRATE_TEST_HOOKS
static volatile sig_atomic_t stall_go;

static void on_stall_go(int sig)
{
	stall_go = 1;
}

/*
 * Fault-injection point for the test suite (built into lmnic-migrate-test
 * only): with LMNIC_MIGRATE_STALL=PHASE
 * in the environment the agent stops as it enters PHASE, says so on
 * stderr and waits for a signal (a SIGKILL there is "agent killed in that
 * phase"; SIGINT or SIGTERM go on to the rollback; SIGUSR1 goes on as if
 * nothing happened).
 */
static void stall_point(const char *name)
{
	struct sigaction sa = { .sa_handler = on_stall_go };
	const char *at = getenv("LMNIC_MIGRATE_STALL");

	if (!at || strcmp(at, name))
		return;
	sigaction(SIGUSR1, &sa, NULL);
	fprintf(stderr, "lmnic-migrate: stalled at %s\n", name);
	fflush(stderr);
	while (!got_signal && !stall_go)
		pause();
}

/*
 * Fault-injection point for the test suite: LMNIC_MIGRATE_FLIP=N flips the
 * bits of stream byte N as the source hands it on, a corruption in flight.
 */
void flip_point(uint8_t *data, uint64_t off, uint32_t len)
{
	const char *at = getenv("LMNIC_MIGRATE_FLIP");
	uint64_t n;

	if (!at)
		return;
	n = strtoull(at, NULL, 0);
	if (n >= off && n - off < len)
		data[n - off] ^= 0xff;
}
#else
/* without the hooks flip_point() is a no-op of lmnic_migrate.h */
static void stall_point(const char *name)
{
}
#endif

void phase(const char *name)
{
	struct event e;

	stall_point(name);
	R.phase = name;
	ev_begin(&e, "phase");
	ev_add(&e, ",\"phase\":\"%s\"", name);
	ev_end(&e);
}

/*
 * Progress of one stream PH (precopy: the pre-copy image; round: a delta
 * of the running vport after it; transfer: the stream taken with the vport
 * stopped, the last delta after a pre-copy): at most
 * every 200 ms or 10 %, and at its end (LAST). TOTAL 0 while the size is not
 * known yet (a destination learns it at END).
 */
static double next_t;
static int next_pct = -1;
static uint64_t shown = UINT64_MAX, shown_total;
static const char *shown_ph;
static int shown_last;

/* A new stream: its reports owe nothing to the last one's, of equal size. */
void progress_start(void)
{
	next_t = 0;
	next_pct = -1;
	shown = UINT64_MAX;
	shown_ph = NULL;
}

void progress(const char *ph, uint64_t bytes, uint64_t total, int last)
{
	int pct = total ? (int)(bytes * 100 / total) : 0;
	double t = now_ms();
	int same = bytes == shown && total == shown_total && shown_ph == ph;

	if (!last && t < next_t && pct < next_pct && shown_ph == ph)
		return;
	if (same && (shown_last || !last))
		return;
	shown = bytes;
	shown_total = total;
	shown_ph = ph;
	shown_last = last;
	next_t = t + 200;
	next_pct = pct - pct % 10 + 10;
	{
		struct event e;

		ev_begin(&e, "progress");
		ev_add(&e, ",\"phase\":\"%s\",\"bytes\":%" PRIu64 ",\"total\":%"
		       PRIu64 ",\"last\":%s", ph, bytes, total,
		       last ? "true" : "false");
		ev_end(&e);
	}
	if (o.json || same)	/* the text shown already */
		return;
	if (total)
		fprintf(stderr, "lmnic-migrate: %s: %" PRIu64 "/%" PRIu64
			" bytes (%d%%)\n", ph, bytes, total, pct);
	else
		fprintf(stderr, "lmnic-migrate: %s: %" PRIu64 " bytes\n", ph,
			bytes);
}

static void json_ms(struct event *e, const char *name, double v, int *first)
{
	if (v < 0)
		return;
	ev_add(e, "%s\"%s\":%.3f", *first ? "" : ",", name, v);
	*first = 0;
}

/*
 * The final report, on stderr, or as the result event with --json; the
 * control connections get the event either way. Returns CODE.
 */
int result(int code)
{
	struct event e;
	char h[65];
	int first = 1;

	if (code == EX_OK)
		R.phase = "done";
	if (!o.json) {
		if (code == EX_OK && R.bytes) {
			fprintf(stderr, "lmnic-migrate: done: %" PRIu64 " bytes",
				R.bytes);
			if (R.downtime >= 0)
				fprintf(stderr, ", downtime %.1f ms", R.downtime);
			fputc('\n', stderr);
		}
		if (R.has_image) {
			hex(h, R.image_sha, 32);
			fprintf(stderr, "lmnic-migrate: image sha256 %s\n", h);
		}
		if (R.has_src_digest) {
			hex(h, R.src_digest, 32);
			fprintf(stderr, "lmnic-migrate: source digest      %s\n", h);
		}
		if (R.has_dst_digest) {
			hex(h, R.dst_digest, 32);
			fprintf(stderr, "lmnic-migrate: destination digest %s\n", h);
		}
		if (code)
			fprintf(stderr, "lmnic-migrate: failed in %s (exit %d)\n",
				R.phase, code);
	}
	ev_begin(&e, "result");
	ev_add(&e, ",\"command\":\"%s\",\"ok\":%s,\"exit_code\":%d,"
	       "\"phase\":\"%s\"", o.cmd, code ? "false" : "true", code, R.phase);
	ev_str(&e, "error", R.error);
	if (R.reason)
		ev_add(&e, ",\"reason\":\"%s\"", R.reason);
	ev_add(&e, ",\"bytes\":%" PRIu64 ",\"timings_ms\":{", R.bytes);
	json_ms(&e, "handshake", R.t_handshake, &first);
	json_ms(&e, "precopy", R.t_precopy, &first);
	json_ms(&e, "switchover", R.t_switchover, &first);
	json_ms(&e, "quiesce", R.t_quiesce, &first);
	json_ms(&e, "transfer", R.t_transfer, &first);
	json_ms(&e, "restore", R.t_restore, &first);
	json_ms(&e, "resume", R.t_resume, &first);
	ev_add(&e, "}");
	if (R.downtime >= 0)
		ev_add(&e, ",\"downtime_ms\":%.3f", R.downtime);
	if (R.t_precopy >= 0)
		ev_add(&e, ",\"precopy_bytes\":%" PRIu64 ",\"rounds\":%d,"
		       "\"converged\":%s", R.precopy_bytes, R.rounds,
		       R.converged < 0 ? "null" :
		       R.converged ? "true" : "false");
	if (R.cipher)
		ev_str(&e, "cipher", R.cipher);
	if (R.has_src_digest) {
		hex(h, R.src_digest, 32);
		ev_add(&e, ",\"source_digest\":\"%s\"", h);
	}
	if (R.has_dst_digest) {
		hex(h, R.dst_digest, 32);
		ev_add(&e, ",\"dest_digest\":\"%s\"", h);
	}
	if (R.has_image) {
		hex(h, R.image_sha, 32);
		ev_add(&e, ",\"image_sha256\":\"%s\"", h);
	}
	ev_end(&e);
	return code;
}
