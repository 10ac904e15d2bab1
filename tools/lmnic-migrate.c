// SPDX-License-Identifier: GPL-2.0
/*
 * lmnic-migrate: live migration of an lmnic vport's adapter state between
 * two hosts (send/receive over TLS 1.3), to and from a file (save/load),
 * and the vport's migration status. See lmnic-migrate(8).
 *
 * The source holds the migration through one netlink socket from the
 * extract to the end: if this process dies, the kernel resumes the source
 * vport unchanged. The destination holds its restore the same way.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <linux/lmnic.h>
#include <linux/lmnic_mig.h>

#include "lmnic_nl.h"
#include "lmnic_stream.h"

/* ---- exit codes (lmnic-migrate(8), EXIT STATUS) ------------------------ */
enum {
	EX_OK		= 0,
	EX_LOCAL	= 1,	/* usage or local error, nothing happened */
	EX_REFUSED	= 2,	/* incompatible, refused at the handshake */
	EX_CONNECT	= 3,	/* connection/TLS/authentication, before the pause */
	EX_EXTRACT	= 4,	/* quiesce/extract failed, rolled back */
	EX_TRANSFER	= 5,	/* peer gone, connection cut, timeout; rolled back */
	EX_RESTORE	= 6,	/* the destination refused the restore; rolled back */
	EX_RESUME	= 7,	/* resume failed on the destination; rolled back */
	EX_ROLLBACK	= 8,	/* rollback failed: the source may be stopped */
	EX_SIGNAL	= 9,	/* interrupted by a signal, rolled back */
};

#define PROTO_VERSION	2
#define PSK_IDENTITY	"lmnic-migrate"
#define FRAME_MAX	(1U << 20)
#define RESTORE_CHUNK	65000
#define FILE_MAX	(1ULL << 30)

/* ---- the protocol between the agents ----------------------------------- */
enum frame_type {
	F_HELLO = 1,	/* source -> destination: what the source vport is */
	F_ACCEPT,	/* destination: compatible, go ahead; u32 flags taken */
	F_REFUSE,	/* destination: u32 code, text: incompatible */
	F_DATA,		/* source: stream bytes, in order */
	F_END,		/* source: u64 total, u8 has digest, digest[32] */
	F_LOADED,	/* destination: u64 load ns, sha[32], u8 has, digest[32] */
	F_FAILED,	/* either: u32 exit code, text */
	F_GO,		/* source: finished, resume the destination */
	F_RESUMED,	/* destination: u64 resume ns */
	F_ABORT,	/* source: u32 exit code, text: giving up */
};

static const char *const frame_names[] = {
	[F_HELLO] = "HELLO", [F_ACCEPT] = "ACCEPT", [F_REFUSE] = "REFUSE",
	[F_DATA] = "DATA", [F_END] = "END", [F_LOADED] = "LOADED",
	[F_FAILED] = "FAILED", [F_GO] = "GO", [F_RESUMED] = "RESUMED",
	[F_ABORT] = "ABORT",
};

#define HELLO_F_VERIFY	1
#define HELLO_F_PRECOPY	2	/* a pre-copy stream, then the delta */

/* Capabilities a migration uses if both adapters have them */
#define CAPS_OPTIONAL	((uint32_t)LMNIC_CAP_PRECOPY)

struct hello {
	uint32_t proto, stream_version, layout, caps, block_size, capacity;
	uint32_t conn_count, conn_max, mtu, queues, flags;
	uint8_t mac[6];
	uint64_t stream_size;
};

/* ---- options ------------------------------------------------------------ */
static struct opts {
	const char *cmd, *dev, *to, *listen, *file;
	const char *psk_file, *psk_identity, *cert, *key, *ca, *peer_name;
	int insecure, verify, json, stop, digest, timeout, precopy;
	int accept_timeout;
} o = { .psk_identity = PSK_IDENTITY, .timeout = 30, .precopy = 1 };

static volatile sig_atomic_t got_signal;

/* ---- results and output ------------------------------------------------ */
static struct result {
	const char *phase;
	char error[512];
	uint64_t bytes, total, precopy_bytes;
	double t_handshake, t_precopy, t_quiesce, t_transfer, t_restore;
	double t_resume, downtime;
	uint8_t src_digest[32], dst_digest[32], image_sha[32];
	int has_src_digest, has_dst_digest, has_image;
} R = { .phase = "setup", .t_handshake = -1, .t_precopy = -1, .t_quiesce = -1,
	.t_transfer = -1, .t_restore = -1, .t_resume = -1, .downtime = -1 };

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static void hex(char *out, const uint8_t *b, int n)
{
	for (int i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
}

/* Print a message on stderr. */
static void say(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "lmnic-migrate: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* Record the error of the failing phase (first one wins) and say it. */
static void error(const char *fmt, ...)
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
static void flip_point(uint8_t *data, uint64_t off, uint32_t len)
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
static void stall_point(const char *name)
{
}

static void flip_point(uint8_t *data, uint64_t off, uint32_t len)
{
}
#endif

static void phase(const char *name)
{
	stall_point(name);
	R.phase = name;
	if (o.json) {
		printf("{\"event\":\"phase\",\"phase\":\"%s\"}\n", name);
		fflush(stdout);
	}
}

static void progress(const char *ph, uint64_t bytes, uint64_t total, int last)
{
	static double next_t;
	static int next_pct = -1;
	static uint64_t shown = UINT64_MAX;
	int pct = total ? (int)(bytes * 100 / total) : 0;
	double t = now_ms();

	if ((!last && t < next_t && pct < next_pct) || bytes == shown)
		return;
	shown = bytes;
	next_t = t + 200;
	next_pct = pct - pct % 10 + 10;
	if (o.json) {
		printf("{\"event\":\"progress\",\"phase\":\"%s\",\"bytes\":%" PRIu64
		       ",\"total\":%" PRIu64 "}\n", ph, bytes, total);
		fflush(stdout);
	} else {
		fprintf(stderr, "lmnic-migrate: %s: %" PRIu64 "/%" PRIu64
			" bytes (%d%%)\n", ph, bytes, total, total ? pct : 100);
	}
}

static void json_ms(const char *name, double v, int *first)
{
	if (v < 0)
		return;
	printf("%s\"%s\":%.3f", *first ? "" : ",", name, v);
	*first = 0;
}

/* The final report; returns CODE. */
static int result(int code)
{
	char h[65];

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
		return code;
	}
	int first = 1;

	printf("{\"event\":\"result\",\"command\":\"%s\",\"ok\":%s,\"exit_code\":%d,"
	       "\"phase\":\"%s\",\"error\":", o.cmd, code ? "false" : "true",
	       code, R.phase);
	json_str(stdout, R.error);
	printf(",\"bytes\":%" PRIu64 ",\"timings_ms\":{", R.bytes);
	json_ms("handshake", R.t_handshake, &first);
	json_ms("precopy", R.t_precopy, &first);
	json_ms("quiesce", R.t_quiesce, &first);
	json_ms("transfer", R.t_transfer, &first);
	json_ms("restore", R.t_restore, &first);
	json_ms("resume", R.t_resume, &first);
	printf("}");
	if (R.downtime >= 0)
		printf(",\"downtime_ms\":%.3f", R.downtime);
	if (R.t_precopy >= 0)
		printf(",\"precopy_bytes\":%" PRIu64, R.precopy_bytes);
	if (R.has_src_digest) {
		hex(h, R.src_digest, 32);
		printf(",\"source_digest\":\"%s\"", h);
	}
	if (R.has_dst_digest) {
		hex(h, R.dst_digest, 32);
		printf(",\"dest_digest\":\"%s\"", h);
	}
	if (R.has_image) {
		hex(h, R.image_sha, 32);
		printf(",\"image_sha256\":\"%s\"", h);
	}
	printf("}\n");
	fflush(stdout);
	return code;
}

/* ---- netlink ------------------------------------------------------------ */
static struct lmnic_nl nl;

static const char *const state_names[] = {
	[LMNIC_MIG_STATE_RUNNING] = "running",
	[LMNIC_MIG_STATE_QUIESCED] = "quiesced",
	[LMNIC_MIG_STATE_FINISHED] = "finished",
	[LMNIC_MIG_STATE_RESTORING] = "restoring",
	[LMNIC_MIG_STATE_LOADED] = "loaded",
	[LMNIC_MIG_STATE_DISABLED] = "disabled",
	[LMNIC_MIG_STATE_PRECOPY] = "precopy",
};

static const char *state_name(uint32_t s)
{
	return s < sizeof(state_names) / sizeof(state_names[0]) &&
	       state_names[s] ? state_names[s] : "unknown";
}

struct mig_status {
	uint32_t state, layout, caps, block_size, capacity, conn_max;
	uint32_t conn_count, mtu, queues, owner_pid, ifindex, vport;
	uint64_t stream_size, offset, quiesce_ns, save_ns, load_ns;
	uint8_t mac[6], digest[32], image_sha[32];
	int has_digest, has_image, has_state;
	char dev_name[32];
};

/* An nl error's text: "strerror: extack". */
static const char *nl_errstr(int err)
{
	static char buf[400];

	snprintf(buf, sizeof(buf), "%s%s%s", strerror(-err),
		 nl.err[0] ? ": " : "", nl.err);
	return buf;
}

static struct nl_msg *mig_msg(int cmd, int flags, size_t size)
{
	struct nl_msg *msg = size ? nlmsg_alloc_size(size) : nlmsg_alloc();

	if (!msg)
		return NULL;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, nl.family, 0, flags,
			 cmd, LMNIC_FAMILY_VERSION) ||
	    lmnic_nl_put_dev(msg, o.dev, LMNIC_A_MIG_IFINDEX,
			     LMNIC_A_MIG_DEV_NAME, LMNIC_A_MIG_VPORT)) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

static void get_bin(struct nlattr *a, void *dst, int len, int *has)
{
	if (a && nla_len(a) >= len) {
		memcpy(dst, nla_data(a), len);
		if (has)
			*has = 1;
	}
}

static int status_cb(struct nl_msg *msg, void *arg)
{
	struct nlattr *tb[LMNIC_A_MIG_MAX + 1];
	struct mig_status *s = arg;

	if (lmnic_nl_parse(msg, tb, LMNIC_A_MIG_MAX))
		return NL_SKIP;
#define U32(f, a) do { if (tb[a]) s->f = nla_get_u32(tb[a]); } while (0)
#define U64(f, a) do { if (tb[a]) s->f = nla_get_u64(tb[a]); } while (0)
	U32(state, LMNIC_A_MIG_STATE);
	s->has_state = !!tb[LMNIC_A_MIG_STATE];
	U32(layout, LMNIC_A_MIG_LAYOUT_VERSION);
	U32(caps, LMNIC_A_MIG_CAPS);
	U32(block_size, LMNIC_A_MIG_VPORT_STATE_SIZE);
	U32(capacity, LMNIC_A_MIG_CONN_CAPACITY);
	U32(conn_max, LMNIC_A_MIG_CONN_MAX);
	U32(conn_count, LMNIC_A_MIG_CONN_COUNT);
	U32(mtu, LMNIC_A_MIG_MTU);
	U32(queues, LMNIC_A_MIG_QUEUES);
	U32(owner_pid, LMNIC_A_MIG_OWNER_PID);
	U32(ifindex, LMNIC_A_MIG_IFINDEX);
	U32(vport, LMNIC_A_MIG_VPORT);
	U64(stream_size, LMNIC_A_MIG_STREAM_SIZE);
	U64(offset, LMNIC_A_MIG_OFFSET);
	U64(quiesce_ns, LMNIC_A_MIG_QUIESCE_NS);
	U64(save_ns, LMNIC_A_MIG_SAVE_NS);
	U64(load_ns, LMNIC_A_MIG_LOAD_NS);
#undef U32
#undef U64
	get_bin(tb[LMNIC_A_MIG_MAC], s->mac, 6, NULL);
	get_bin(tb[LMNIC_A_MIG_DIGEST], s->digest, 32, &s->has_digest);
	get_bin(tb[LMNIC_A_MIG_IMAGE_SHA256], s->image_sha, 32, &s->has_image);
	if (tb[LMNIC_A_MIG_DEV_NAME])
		snprintf(s->dev_name, sizeof(s->dev_name), "%s",
			 nla_get_string(tb[LMNIC_A_MIG_DEV_NAME]));
	return NL_OK;
}

static int mig_status(struct mig_status *s, int want_digest)
{
	struct nl_msg *msg = mig_msg(LMNIC_CMD_MIG_STATUS, 0, 0);

	memset(s, 0, sizeof(*s));
	if (!msg)
		return -ENODEV;
	if (want_digest)
		nla_put_flag(msg, LMNIC_A_MIG_WANT_DIGEST);
	return lmnic_nl_run(&nl, msg, status_cb, s);
}

/* VPORT_RESUME, VPORT_ABORT, VPORT_FINISH. */
static int mig_do(int cmd)
{
	struct nl_msg *msg = mig_msg(cmd, 0, 0);

	if (!msg)
		return -ENODEV;
	return lmnic_nl_run(&nl, msg, NULL, NULL);
}

struct restore_reply {
	uint32_t state;
	uint64_t offset, load_ns;
	uint8_t sha[32];
	int has_sha;
};

static int restore_cb(struct nl_msg *msg, void *arg)
{
	struct nlattr *tb[LMNIC_A_MIG_MAX + 1];
	struct restore_reply *r = arg;

	if (lmnic_nl_parse(msg, tb, LMNIC_A_MIG_MAX))
		return NL_SKIP;
	if (tb[LMNIC_A_MIG_STATE])
		r->state = nla_get_u32(tb[LMNIC_A_MIG_STATE]);
	if (tb[LMNIC_A_MIG_OFFSET])
		r->offset = nla_get_u64(tb[LMNIC_A_MIG_OFFSET]);
	if (tb[LMNIC_A_MIG_LOAD_NS])
		r->load_ns = nla_get_u64(tb[LMNIC_A_MIG_LOAD_NS]);
	get_bin(tb[LMNIC_A_MIG_IMAGE_SHA256], r->sha, 32, &r->has_sha);
	return NL_OK;
}

static int restore_chunk(uint64_t off, const void *data, size_t len,
			 int commit, struct restore_reply *r)
{
	struct nl_msg *msg = mig_msg(LMNIC_CMD_VPORT_STATE_RESTORE, 0,
				     len + 4096);

	if (!msg)
		return -ENOMEM;
	nla_put_u64(msg, LMNIC_A_MIG_OFFSET, off);
	if (len)
		nla_put(msg, LMNIC_A_MIG_DATA, len, data);
	if (commit)
		nla_put_flag(msg, LMNIC_A_MIG_COMMIT);
	memset(r, 0, sizeof(*r));
	return lmnic_nl_run(&nl, msg, restore_cb, r);
}

/* Restore LEN bytes at OFF in chunks the kernel takes. */
static int restore_data(uint64_t off, const uint8_t *p, size_t len, int commit,
			struct restore_reply *r)
{
	int err;

	do {
		size_t n = len > RESTORE_CHUNK ? RESTORE_CHUNK : len;
		int last = n == len;

		err = restore_chunk(off, p, n, commit && last, r);
		if (err)
			return err;
		off += n;
		p += n;
		len -= n;
	} while (len);
	return 0;
}

/* ---- extract (dump) ----------------------------------------------------- */
struct extract {
	int (*sink)(struct extract *x, const void *data, size_t len);
	void *priv;
	uint64_t off, total;
	double t_first;
	int precopy;		/* the vport keeps running: a pre-copy image */
	int err;		/* the sink's, negative; dump continues, drained */
	int ex_code;		/* the exit code the sink failure means */
	uint8_t tail[sizeof(struct lmnic_mig_trailer)];
};

static int extract_cb(struct nl_msg *msg, void *arg)
{
	struct nlattr *tb[LMNIC_A_MIG_MAX + 1];
	struct extract *x = arg;
	uint64_t off;
	size_t len, keep;

	if (x->err)
		return NL_SKIP;		/* drain what the kernel sends */
	if (lmnic_nl_parse(msg, tb, LMNIC_A_MIG_MAX) || !tb[LMNIC_A_MIG_DATA] ||
	    !tb[LMNIC_A_MIG_OFFSET]) {
		x->err = -EPROTO;
		x->ex_code = EX_EXTRACT;
		error("extract: a reply without offset or data");
		return NL_SKIP;
	}
	if (!x->t_first)
		x->t_first = now_ms();
	if (tb[LMNIC_A_MIG_STREAM_SIZE])
		x->total = nla_get_u64(tb[LMNIC_A_MIG_STREAM_SIZE]);
	off = nla_get_u64(tb[LMNIC_A_MIG_OFFSET]);
	len = nla_len(tb[LMNIC_A_MIG_DATA]);
	if (off != x->off) {
		x->err = -EPROTO;
		x->ex_code = EX_EXTRACT;
		error("extract: data at offset %" PRIu64 ", expected %" PRIu64,
		      off, x->off);
		return NL_SKIP;
	}
	/* keep the last bytes: the trailer, with the image's SHA-256 */
	keep = len >= sizeof(x->tail) ? sizeof(x->tail) : len;
	memmove(x->tail, x->tail + keep, sizeof(x->tail) - keep);
	memcpy(x->tail + sizeof(x->tail) - keep,
	       (uint8_t *)nla_data(tb[LMNIC_A_MIG_DATA]) + len - keep, keep);
	if (got_signal) {
		x->err = -EINTR;
		x->ex_code = EX_SIGNAL;
		error("interrupted by a signal");
		return NL_SKIP;
	}
	flip_point(nla_data(tb[LMNIC_A_MIG_DATA]), off, len);
	x->err = x->sink(x, nla_data(tb[LMNIC_A_MIG_DATA]), len);
	x->off += len;
	R.bytes = x->off;
	progress("transfer", x->off, x->total, 0);
	return x->err ? NL_SKIP : NL_OK;
}

static int extract(struct extract *x)
{
	struct nl_msg *msg = mig_msg(LMNIC_CMD_VPORT_STATE_EXTRACT, NLM_F_DUMP, 0);
	int err;

	if (!msg)
		return -ENODEV;
	if (x->precopy && nla_put_flag(msg, LMNIC_A_MIG_PRECOPY)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	err = lmnic_nl_run(&nl, msg, extract_cb, x);
	if (err)
		return err;
	if (x->err)
		return x->err;
	if (x->total && x->off != x->total) {
		error("extract: %" PRIu64 " bytes of a %" PRIu64 "-byte stream",
		      x->off, x->total);
		x->ex_code = EX_EXTRACT;
		return -EPROTO;
	}
	progress("transfer", x->off, x->total ? x->total : x->off, 1);
	return 0;
}

/* ---- the stream checker: parser + SHA-256 of the records ---------------- */
struct checker {
	struct lmnic_stream st;
	EVP_MD_CTX *md;
};

static int check_emit(void *priv, const void *data, __u32 len)
{
	struct checker *c = priv;

	return EVP_DigestUpdate(c->md, data, len) == 1 ? 0 : -ENOMEM;
}

/* Everything, the records' CRC-32C and the SHA-256 too, against WANT. */
static int checker_init(struct checker *c, struct lmnic_stream_want want)
{
	want.rec_crc = true;
	c->md = EVP_MD_CTX_new();
	if (!c->md || EVP_DigestInit_ex(c->md, EVP_sha256(), NULL) != 1)
		return -ENOMEM;
	lmnic_stream_init(&c->st, &want, check_emit, c);
	return 0;
}

static void checker_free(struct checker *c)
{
	EVP_MD_CTX_free(c->md);
	c->md = NULL;
}

/* The stream ended: everything there and the trailer's SHA-256 right? */
static int checker_finish(struct checker *c, char *why, size_t whylen)
{
	uint8_t sha[32];
	unsigned int n = 0;
	int err = lmnic_stream_finish(&c->st);

	if (err) {
		snprintf(why, whylen, "stream check: %s", c->st.msg[0] ?
			 c->st.msg : strerror(-err));
		return err;
	}
	if (EVP_DigestFinal_ex(c->md, sha, &n) != 1 || n != 32 ||
	    memcmp(sha, c->st.trailer.sha256, 32)) {
		snprintf(why, whylen, "stream check: the trailer's SHA-256 "
			 "does not match the records");
		return -EBADMSG;
	}
	return 0;
}

/* ---- connections: TCP and TLS 1.3 --------------------------------------- */
struct conn {
	int fd;
	SSL *ssl;
	char err[300];
};

static uint8_t psk_key[256];
static size_t psk_len;

static void tls_errstr(char *buf, size_t len)
{
	unsigned long e = ERR_peek_last_error();

	if (!e) {
		snprintf(buf, len, "TLS error");
		return;
	}
	ERR_error_string_n(e, buf, len);
	ERR_clear_error();
}

static SSL_SESSION *psk_session(SSL *ssl)
{
	static const unsigned char aes128gcmsha256[] = { 0x13, 0x01 };
	const SSL_CIPHER *cipher = SSL_CIPHER_find(ssl, aes128gcmsha256);
	SSL_SESSION *s;

	if (!cipher)
		return NULL;
	s = SSL_SESSION_new();
	if (!s || !SSL_SESSION_set1_master_key(s, psk_key, psk_len) ||
	    !SSL_SESSION_set_cipher(s, cipher) ||
	    !SSL_SESSION_set_protocol_version(s, TLS1_3_VERSION)) {
		SSL_SESSION_free(s);
		return NULL;
	}
	return s;
}

/*
 * The identities are bound to the roles: the source (the TLS client) says
 * "ID/source" and the destination accepts nothing else, so that a
 * connection reflected or turned around between two agents holding the
 * same key is refused.
 */
static const char *psk_role_identity(void)
{
	static char id[160];

	snprintf(id, sizeof(id), "%s/source", o.psk_identity);
	return id;
}

static int psk_use_cb(SSL *ssl, const EVP_MD *md, const unsigned char **id,
		      size_t *idlen, SSL_SESSION **sess)
{
	SSL_SESSION *s = psk_session(ssl);

	*sess = NULL;
	*id = NULL;
	*idlen = 0;
	if (!s)
		return 0;
	if (md && SSL_CIPHER_get_handshake_digest(SSL_SESSION_get0_cipher(s)) != md) {
		SSL_SESSION_free(s);
		return 1;
	}
	*sess = s;
	*id = (const unsigned char *)psk_role_identity();
	*idlen = strlen(psk_role_identity());
	return 1;
}

static char psk_note[160];

static int psk_find_cb(SSL *ssl, const unsigned char *id, size_t idlen,
		       SSL_SESSION **sess)
{
	*sess = NULL;
	if (idlen != strlen(psk_role_identity()) ||
	    memcmp(id, psk_role_identity(), idlen)) {
		snprintf(psk_note, sizeof(psk_note), "unknown PSK identity "
			 "\"%.*s\"", idlen > 64 ? 64 : (int)idlen, id);
		return 1;	/* no PSK: the handshake fails */
	}
	*sess = psk_session(ssl);
	return *sess ? 1 : 0;
}

/* Read a PSK: hex (at least 16 bytes' worth) or the raw bytes. */
static int load_psk(const char *path)
{
	uint8_t buf[1024];
	struct stat st;
	size_t n, i, j;
	FILE *f = fopen(path, "rb");

	if (!f) {
		error("--psk-file %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fileno(f), &st) || (st.st_mode & 077)) {
		fclose(f);
		error("--psk-file %s: readable or writable by group or others; "
		      "chmod 600 %s", path, path);
		return -1;
	}
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r' ||
		     buf[n - 1] == ' '))
		n--;
	for (i = 0; i < n && strchr("0123456789abcdefABCDEF", buf[i]) && buf[i];
	     i++)
		;
	if (i == n && n % 2 == 0 && n / 2 <= sizeof(psk_key)) {
		for (j = 0; j < n / 2; j++) {
			unsigned int v;

			sscanf((char *)buf + 2 * j, "%2x", &v);
			psk_key[j] = v;
		}
		psk_len = n / 2;
	} else {
		psk_len = n > sizeof(psk_key) ? sizeof(psk_key) : n;
		memcpy(psk_key, buf, psk_len);
	}
	OPENSSL_cleanse(buf, sizeof(buf));
	if (psk_len < 16) {
		error("--psk-file %s: the key has %zu bytes, at least 16 needed "
		      "(openssl rand -hex 32 > %s)", path, psk_len, path);
		return -1;
	}
	return 0;
}

static SSL_CTX *tls_ctx(int server)
{
	SSL_CTX *ctx = SSL_CTX_new(server ? TLS_server_method() :
				   TLS_client_method());
	char e[256];

	if (!ctx)
		goto fail;
	if (!SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) ||
	    !SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION))
		goto fail;
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_num_tickets(ctx, 0);
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
	if (o.psk_file) {
		if (!SSL_CTX_set_ciphersuites(ctx, "TLS_AES_128_GCM_SHA256"))
			goto fail;
		if (server) {
			SSL_CTX_set_psk_find_session_callback(ctx, psk_find_cb);
		} else {
			SSL_CTX_set_psk_use_session_callback(ctx, psk_use_cb);
			/* no trust anchors: a server certificate never passes */
			SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
		}
		return ctx;
	}
	if (SSL_CTX_use_certificate_chain_file(ctx, o.cert) != 1) {
		tls_errstr(e, sizeof(e));
		error("--cert %s: %s", o.cert, e);
		goto out;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, o.key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1) {
		tls_errstr(e, sizeof(e));
		error("--key %s: %s", o.key, e);
		goto out;
	}
	if (SSL_CTX_load_verify_locations(ctx, o.ca, NULL) != 1) {
		tls_errstr(e, sizeof(e));
		error("--ca %s: %s", o.ca, e);
		goto out;
	}
	SSL_CTX_set_verify(ctx, server ? SSL_VERIFY_PEER |
			   SSL_VERIFY_FAIL_IF_NO_PEER_CERT : SSL_VERIFY_PEER,
			   NULL);
	return ctx;
fail:
	tls_errstr(e, sizeof(e));
	error("TLS setup: %s", e);
out:
	SSL_CTX_free(ctx);
	return NULL;
}

/* Wait for EV on FD until DEADLINE (ms): 0, -ETIMEDOUT or -EINTR. */
static int wait_fd(int fd, short ev, double deadline)
{
	struct pollfd p = { .fd = fd, .events = ev };
	int n;

	for (;;) {
		double left = deadline - now_ms();

		if (got_signal)
			return -EINTR;
		if (left <= 0)
			return -ETIMEDOUT;
		n = poll(&p, 1, left > 1000 ? 1000 : (int)left + 1);
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return -errno;
	}
}

static double deadline(void)
{
	return now_ms() + o.timeout * 1000.0;
}

/* An SSL call's failure: retry (1, after waiting) or an error (< 0). */
static int ssl_retry(struct conn *c, int ret, double dl)
{
	int e = SSL_get_error(c->ssl, ret);

	switch (e) {
	case SSL_ERROR_WANT_READ:
		return wait_fd(c->fd, POLLIN, dl) ?: 1;
	case SSL_ERROR_WANT_WRITE:
		return wait_fd(c->fd, POLLOUT, dl) ?: 1;
	case SSL_ERROR_ZERO_RETURN:
		snprintf(c->err, sizeof(c->err), "the peer closed the connection");
		return -ECONNRESET;
	case SSL_ERROR_SYSCALL:
		snprintf(c->err, sizeof(c->err), "%s", errno ? strerror(errno) :
			 "the peer closed the connection");
		return errno ? -errno : -ECONNRESET;
	default:
		tls_errstr(c->err, sizeof(c->err));
		return -EPROTO;
	}
}

static int io_fail(struct conn *c, int err)
{
	if (err == -ETIMEDOUT)
		snprintf(c->err, sizeof(c->err), "timed out after %d s",
			 o.timeout);
	else if (err == -EINTR)
		snprintf(c->err, sizeof(c->err), "interrupted by a signal");
	else if (!c->err[0])
		snprintf(c->err, sizeof(c->err), "%s", strerror(-err));
	return err;
}

static int conn_write(struct conn *c, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	double dl = deadline();
	int err;

	c->err[0] = 0;
	while (len) {
		size_t done = 0;
		ssize_t n;

		if (got_signal)
			return io_fail(c, -EINTR);
		if (c->ssl) {
			ERR_clear_error();
			n = SSL_write_ex(c->ssl, p, len, &done);
			if (n <= 0) {
				err = ssl_retry(c, (int)n, dl);
				if (err < 0)
					return io_fail(c, err);
				continue;
			}
		} else {
			n = send(c->fd, p, len, MSG_NOSIGNAL);
			if (n < 0) {
				if (errno == EAGAIN || errno == EINTR) {
					err = wait_fd(c->fd, POLLOUT, dl);
					if (err)
						return io_fail(c, err);
					continue;
				}
				return io_fail(c, -errno);
			}
			done = n;
		}
		p += done;
		len -= done;
		dl = deadline();
	}
	return 0;
}

/* Read exactly LEN bytes; DL is the deadline (ms). */
static int conn_read(struct conn *c, void *buf, size_t len, double dl)
{
	uint8_t *p = buf;
	int err;

	c->err[0] = 0;
	while (len) {
		size_t done = 0;
		ssize_t n;

		if (got_signal)
			return io_fail(c, -EINTR);
		if (c->ssl) {
			ERR_clear_error();
			n = SSL_read_ex(c->ssl, p, len, &done);
			if (n <= 0) {
				err = ssl_retry(c, (int)n, dl);
				if (err < 0)
					return io_fail(c, err);
				continue;
			}
		} else {
			n = recv(c->fd, p, len, 0);
			if (n == 0) {
				snprintf(c->err, sizeof(c->err),
					 "the peer closed the connection");
				return -ECONNRESET;
			}
			if (n < 0) {
				if (errno == EAGAIN || errno == EINTR) {
					err = wait_fd(c->fd, POLLIN, dl);
					if (err)
						return io_fail(c, err);
					continue;
				}
				return io_fail(c, -errno);
			}
			done = n;
		}
		p += done;
		len -= done;
	}
	return 0;
}

static int tls_handshake(struct conn *c, SSL_CTX *ctx, int server,
			 const char *host)
{
	double dl = deadline();
	int ret, err;

	c->ssl = SSL_new(ctx);
	if (!c->ssl || !SSL_set_fd(c->ssl, c->fd)) {
		tls_errstr(c->err, sizeof(c->err));
		return -ENOMEM;
	}
	if (!server && !o.psk_file) {
		const char *name = o.peer_name ? o.peer_name : host;
		X509_VERIFY_PARAM *vp = SSL_get0_param(c->ssl);
		unsigned char a[16];

		if (inet_pton(AF_INET, name, a) == 1 ||
		    inet_pton(AF_INET6, name, a) == 1)
			X509_VERIFY_PARAM_set1_ip_asc(vp, name);
		else {
			SSL_set_tlsext_host_name(c->ssl, name);
			X509_VERIFY_PARAM_set1_host(vp, name, 0);
		}
	}
	for (;;) {
		ERR_clear_error();
		ret = server ? SSL_accept(c->ssl) : SSL_connect(c->ssl);
		if (ret == 1)
			break;
		err = ssl_retry(c, ret, dl);
		if (err < 0) {
			io_fail(c, err);
			if (psk_note[0])
				snprintf(c->err, sizeof(c->err), "%s", psk_note);
			if (err == -EPROTO && !o.psk_file) {
				long v = SSL_get_verify_result(c->ssl);

				if (v != X509_V_OK) {
					size_t l = strlen(c->err);

					snprintf(c->err + l, sizeof(c->err) - l,
						 " (%s)",
						 X509_verify_cert_error_string(v));
				}
			}
			return err;
		}
	}
	/* the peer must have authenticated itself */
	if (o.psk_file) {
		if (!SSL_session_reused(c->ssl)) {
			snprintf(c->err, sizeof(c->err),
				 "the peer did not authenticate with the PSK");
			return -EACCES;
		}
	} else if (SSL_get_verify_result(c->ssl) != X509_V_OK ||
		   !SSL_get0_peer_certificate(c->ssl)) {
		snprintf(c->err, sizeof(c->err),
			 "the peer's certificate was not verified");
		return -EACCES;
	}
	return 0;
}

static void conn_close(struct conn *c)
{
	if (c->ssl) {
		SSL_shutdown(c->ssl);
		SSL_free(c->ssl);
		c->ssl = NULL;
	}
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

/* Split "HOST:PORT" / "[V6]:PORT" / "PORT" (HOST NULL then). */
static int split_hostport(const char *s, char *host, size_t hlen, char *port,
			  size_t plen, int port_only_ok)
{
	const char *colon = strrchr(s, ':');

	if (!colon) {
		if (!port_only_ok)
			return -1;
		host[0] = 0;
		snprintf(port, plen, "%s", s);
		return *s ? 0 : -1;
	}
	if (s[0] == '[') {
		const char *end = strchr(s, ']');

		if (!end || end + 1 != colon)
			return -1;
		snprintf(host, hlen, "%.*s", (int)(end - s - 1), s + 1);
	} else {
		if (memchr(s, ':', colon - s))
			return -1;	/* a bare IPv6 address: use [addr]:port */
		snprintf(host, hlen, "%.*s", (int)(colon - s), s);
	}
	snprintf(port, plen, "%s", colon + 1);
	return port[0] ? 0 : -1;
}

static int tcp_connect(struct conn *c, const char *host, const char *port)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai, *a;
	int err, one = 1;

	err = getaddrinfo(host, port, &hints, &ai);
	if (err) {
		snprintf(c->err, sizeof(c->err), "%s:%s: %s", host, port,
			 gai_strerror(err));
		return -EHOSTUNREACH;
	}
	err = -ECONNREFUSED;
	for (a = ai; a; a = a->ai_next) {
		socklen_t l = sizeof(int);
		int soerr = 0;

		c->fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK |
			       SOCK_CLOEXEC, a->ai_protocol);
		if (c->fd < 0)
			continue;
		if (connect(c->fd, a->ai_addr, a->ai_addrlen) &&
		    errno != EINPROGRESS) {
			err = -errno;
		} else {
			err = wait_fd(c->fd, POLLOUT, deadline());
			if (!err) {
				getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soerr, &l);
				err = -soerr;
			}
		}
		if (!err)
			break;
		close(c->fd);
		c->fd = -1;
		if (err == -EINTR)
			break;
	}
	freeaddrinfo(ai);
	if (err) {
		io_fail(c, err);
		return err;
	}
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return 0;
}

static int tcp_listen(const char *spec)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE }, *ai = NULL, *a;
	char host[256], port[32];
	int fd = -1, one = 1, zero = 0, err;

	if (split_hostport(spec, host, sizeof(host), port, sizeof(port), 1)) {
		error("--listen %s: not [ADDR:]PORT", spec);
		return -1;
	}
	if (!host[0])
		hints.ai_family = AF_INET6;
	err = getaddrinfo(host[0] ? host : NULL, port, &hints, &ai);
	if (err && !host[0]) {
		hints.ai_family = AF_INET;
		err = getaddrinfo(NULL, port, &hints, &ai);
	}
	if (err) {
		error("--listen %s: %s", spec, gai_strerror(err));
		return -1;
	}
	for (a = ai; a; a = a->ai_next) {
		fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC,
			    a->ai_protocol);
		if (fd < 0)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (a->ai_family == AF_INET6)
			setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero,
				   sizeof(zero));
		if (!bind(fd, a->ai_addr, a->ai_addrlen) && !listen(fd, 4))
			break;
		err = errno;
		close(fd);
		fd = -1;
		errno = err;
	}
	freeaddrinfo(ai);
	if (fd < 0)
		error("--listen %s: %s", spec, strerror(errno));
	return fd;
}

/* ---- frames ------------------------------------------------------------- */
struct frame {
	uint8_t type;
	uint32_t len;
	uint8_t *data;
};

static void put32(uint8_t **p, uint32_t v)
{
	v = htonl(v);
	memcpy(*p, &v, 4);
	*p += 4;
}

static void put64(uint8_t **p, uint64_t v)
{
	put32(p, v >> 32);
	put32(p, (uint32_t)v);
}

static uint32_t get32(const uint8_t **p)
{
	uint32_t v;

	memcpy(&v, *p, 4);
	*p += 4;
	return ntohl(v);
}

static uint64_t get64(const uint8_t **p)
{
	uint64_t hi = get32(p);

	return hi << 32 | get32(p);
}

/* Frame: u8 'L', u8 type, u16 0, be32 length, payload; one write. */
static int send_frame(struct conn *c, int type, const void *data, uint32_t len)
{
	static uint8_t buf[8 + FRAME_MAX];
	uint32_t be = htonl(len);

	if (len > FRAME_MAX)
		return -EMSGSIZE;
	buf[0] = 'L';
	buf[1] = type;
	buf[2] = buf[3] = 0;
	memcpy(buf + 4, &be, 4);
	if (len)
		memcpy(buf + 8, data, len);
	return conn_write(c, buf, 8 + len);
}

/* u32 exit code, text */
static int send_text(struct conn *c, int type, int code, const char *text)
{
	uint8_t buf[600], *p = buf;
	size_t n = strlen(text);

	if (n > sizeof(buf) - 4)
		n = sizeof(buf) - 4;
	put32(&p, code);
	memcpy(p, text, n);
	return send_frame(c, type, buf, 4 + n);
}

static int recv_frame(struct conn *c, struct frame *f, double dl)
{
	uint8_t h[8];
	int err;

	free(f->data);
	f->data = NULL;
	err = conn_read(c, h, sizeof(h), dl);
	if (err)
		return err;
	memcpy(&f->len, h + 4, 4);
	f->len = ntohl(f->len);
	f->type = h[1];
	if (h[0] != 'L' || !f->type || f->type > F_ABORT || f->len > FRAME_MAX) {
		snprintf(c->err, sizeof(c->err), "protocol error: bad frame "
			 "(type %u, length %u)", h[1], f->len);
		return -EPROTO;
	}
	f->data = malloc(f->len + 1);
	if (!f->data)
		return -ENOMEM;
	err = conn_read(c, f->data, f->len, deadline());
	f->data[f->len] = 0;
	return err;
}

/* The text of a REFUSE/FAILED/ABORT frame; *code its exit code. */
static const char *frame_text(struct frame *f, int *code)
{
	const uint8_t *p = f->data;

	if (f->len < 4) {
		*code = 0;
		return "";
	}
	*code = get32(&p);
	return (const char *)f->data + 4;
}

static const char *frame_name(int type)
{
	return type > 0 && type <= F_ABORT ? frame_names[type] : "?";
}

static void hello_from_status(struct hello *h, const struct mig_status *s)
{
	memset(h, 0, sizeof(*h));
	h->proto = PROTO_VERSION;
	h->stream_version = LMNIC_MIG_VERSION;
	h->layout = s->layout;
	h->caps = s->caps;
	h->block_size = s->block_size;
	h->capacity = s->capacity;
	h->conn_count = s->conn_count;
	h->conn_max = s->conn_max;
	h->mtu = s->mtu;
	h->queues = s->queues;
	memcpy(h->mac, s->mac, 6);
	h->stream_size = s->stream_size;
	h->flags = (o.verify ? HELLO_F_VERIFY : 0) |
		   (o.precopy && (s->caps & LMNIC_CAP_PRECOPY) ?
		    HELLO_F_PRECOPY : 0);
}

static int send_hello(struct conn *c, const struct hello *h)
{
	uint8_t buf[64], *p = buf;

	put32(&p, h->proto);
	put32(&p, h->stream_version);
	put32(&p, h->layout);
	put32(&p, h->caps);
	put32(&p, h->block_size);
	put32(&p, h->capacity);
	put32(&p, h->conn_count);
	put32(&p, h->conn_max);
	put32(&p, h->mtu);
	put32(&p, h->queues);
	put32(&p, h->flags);
	memcpy(p, h->mac, 6);
	p += 8;
	put64(&p, h->stream_size);
	return send_frame(c, F_HELLO, buf, p - buf);
}

static int parse_hello(const struct frame *f, struct hello *h)
{
	const uint8_t *p = f->data;

	if (f->len < 8)
		return -1;
	h->proto = get32(&p);
	if (h->proto != PROTO_VERSION)
		return 0;	/* checked by the caller, with a message */
	if (f->len < 60)
		return -1;
	h->stream_version = get32(&p);
	h->layout = get32(&p);
	h->caps = get32(&p);
	h->block_size = get32(&p);
	h->capacity = get32(&p);
	h->conn_count = get32(&p);
	h->conn_max = get32(&p);
	h->mtu = get32(&p);
	h->queues = get32(&p);
	h->flags = get32(&p);
	memcpy(h->mac, p, 6);
	p += 8;
	h->stream_size = get64(&p);
	return 0;
}

/*
 * Can the destination (D, its own status) take what the source (H) is?
 * 0, or -1 with the difference in WHY.
 */
static int compatible(const struct hello *h, const struct mig_status *d,
		      char *why, size_t len)
{
	if (h->proto != PROTO_VERSION)
		snprintf(why, len, "protocol version: source %u, destination %u",
			 h->proto, PROTO_VERSION);
	else if (h->stream_version != LMNIC_MIG_VERSION)
		snprintf(why, len, "stream version: source %u, destination %u",
			 h->stream_version, LMNIC_MIG_VERSION);
	else if (d->state != LMNIC_MIG_STATE_RUNNING &&
		 d->state != LMNIC_MIG_STATE_DISABLED)
		snprintf(why, len, "destination vport busy: it is %s%s",
			 state_name(d->state), d->owner_pid ?
			 " (held by another process)" : "");
	else if (d->conn_count)
		snprintf(why, len, "destination vport busy: %u offloaded "
			 "connections", d->conn_count);
	else if (h->layout != d->layout)
		snprintf(why, len, "layout version: source %u, destination %u",
			 h->layout, d->layout);
	else if (h->block_size != d->block_size)
		snprintf(why, len, "vport state size: source %u, destination %u",
			 h->block_size, d->block_size);
	else if (h->capacity != d->capacity)
		snprintf(why, len, "connection capacity: source %u, "
			 "destination %u", h->capacity, d->capacity);
	else if (d->conn_max < h->conn_max)
		snprintf(why, len, "free capacity: source uses connection ids "
			 "up to %u, destination holds %u", h->conn_max,
			 d->conn_max);
	else if ((h->caps & d->caps & ~CAPS_OPTIONAL) !=
		 (h->caps & ~CAPS_OPTIONAL))
		snprintf(why, len, "capabilities: source 0x%x, destination 0x%x "
			 "(missing 0x%x)", h->caps, d->caps,
			 h->caps & ~d->caps & ~CAPS_OPTIONAL);
	else
		return 0;
	return -1;
}

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

/*
 * Give the source vport back: VPORT_ABORT (it resumes unchanged); after a
 * VPORT_FINISH, VPORT_RESUME if the abort does not do it. Returns CODE, or
 * EX_ROLLBACK if the vport is not running again.
 */
static int src_rollback(struct conn *c, int code, const char *why)
{
	struct mig_status s;
	int err, err2;

	if (c && c->fd >= 0) {
		int saved = got_signal;

		got_signal = 0;		/* tell the peer even after a signal */
		o.timeout = o.timeout > 2 ? 2 : o.timeout;
		send_text(c, F_ABORT, code, why);
		got_signal = saved;
	}
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

static int cmd_send(void)
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
	double t0, t_down = 0, t_pre = 0, t, t_go;
	SSL_CTX *ctx = NULL;
	int err, code, pass, precopy;

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

		precopy = h.flags & HELLO_F_PRECOPY & get32(&q);
		if (o.precopy && !precopy)
			say("the %s adapter cannot pre-copy: stop and copy",
			    h.flags & HELLO_F_PRECOPY ? "destination" : "source");
	}
	R.t_handshake = now_ms() - t0;
	if (got_signal) {
		error("interrupted by a signal (nothing was paused)");
		code = EX_SIGNAL;
		goto out;
	}

	/*
	 * (4) With pre-copy, first the image of the running vport: DATA, END
	 * with "more", LOADED; then as without: extract (the vport stops
	 * here; with pre-copy the stream is the delta), DATA as it comes,
	 * END; (5) the destination restores: LOADED or FAILED.
	 */
	for (pass = precopy ? 0 : 1; pass < 2; pass++) {
		int pre = pass == 0;

		memset(&x, 0, sizeof(x));
		x.sink = send_sink;
		x.priv = &sc;
		x.precopy = pre;
		if (pre) {
			phase("precopy");
			say("accepted; pre-copying %s as it runs", o.dev);
			t_pre = now_ms();
		} else {
			phase("quiesce");
			say("%squiescing %s", precopy ? "" : "accepted; ",
			    o.dev);
			t_down = now_ms();
		}
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
			R.precopy_bytes = x.off;
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
			err = mig_status(&sd, 1);
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
		*p++ = pre;		/* more: the delta follows */
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
			      pre ? "pre-copy " : "", frame_text(&f, &code));
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
			R.t_precopy = now_ms() - t_pre;
			say("pre-copied %" PRIu64 " bytes in %.1f ms", x.off,
			    R.t_precopy);
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

/* ---- receive ------------------------------------------------------------ */

/*
 * The pre-copy stream ended (END with "more"): OFF bytes came; commit them
 * and answer LOADED. Returns 0, or an error after saying why.
 */
static int recv_precopy_end(struct conn *c, const struct frame *f,
			    uint64_t off, struct restore_reply *rr)
{
	const uint8_t *q = f->data;
	uint8_t buf[80], *p = buf;
	uint64_t total = get64(&q);
	int err;

	if (total != off) {
		error("the source sent %" PRIu64 " pre-copy bytes, END says %"
		      PRIu64, off, total);
		return -EPROTO;
	}
	err = restore_chunk(off, NULL, 0, 1, rr);
	if (err) {
		error("vport-state-restore commit of the pre-copy image: %s",
		      nl_errstr(err));
		return err;
	}
	say("pre-copy image of %" PRIu64 " bytes loaded in %.1f ms", off,
	    rr->load_ns / 1e6);
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

static int dst_abort(int opened, int code)
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

static int cmd_receive(void)
{
	struct conn c = { .fd = -1 };
	struct frame f = { 0 };
	struct mig_status d, dd;
	struct restore_reply rr;
	struct hello h;
	char why[400];
	uint8_t buf[80], *p;
	uint64_t off = 0, total = 0;
	double t_acc, t_first = 0, t, t_hs;
	SSL_CTX *ctx = NULL;
	int lfd, err, code, opened = 0, want_digest = o.verify;

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
		if (o.json) {
			printf("{\"event\":\"listening\",\"address\":\"%s\","
			       "\"port\":%d}\n", a, lport);
			fflush(stdout);
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
		h.flags &= ~HELLO_F_PRECOPY;
	p = buf;
	put32(&p, h.flags & HELLO_F_PRECOPY);
	err = send_frame(&c, F_ACCEPT, buf, p - buf);
	if (err) {
		error("handshake: %s", c.err);
		code = err == -EINTR ? EX_SIGNAL : EX_CONNECT;
		goto out;
	}
	t_acc = now_ms();
	R.t_handshake = t_acc - t_hs;
	R.total = h.stream_size;

	/*
	 * (5) DATA ... END: restore as it comes, commit at END. The kernel
	 * checks the stream's structure as it takes it, the adapter every
	 * record's CRC-32C and the image's SHA-256 before it loads. With
	 * pre-copy, the first stream is of the running source vport: END
	 * says "more", it is committed and LOADED answered; the delta that
	 * completes it follows once the source stopped.
	 */
	phase(h.flags & HELLO_F_PRECOPY ? "precopy" : "transfer");
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
			if (code < EX_REFUSED || code > EX_SIGNAL)
				code = EX_TRANSFER;
			code = dst_abort(opened, code);
			goto out;
		}
		if (f.type == F_END && f.len >= 42 && f.data[41]) {
			err = recv_precopy_end(&c, &f, off, &rr);
			opened = 1;
			if (err)
				goto restore_failed;
			R.precopy_bytes = off;
			R.t_precopy = now_ms() - t_acc;
			off = 0;
			t_first = 0;
			t_acc = now_ms();
			phase("transfer");
			continue;
		}
		if (f.type == F_END)
			break;
		if (f.type != F_DATA) {
			error("protocol error: %s during the transfer",
			      frame_name(f.type));
			code = dst_abort(opened, EX_TRANSFER);
			send_text(&c, F_FAILED, code, R.error);
			goto out;
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
		progress("transfer", off, R.total, 0);
	}
	progress("transfer", off, R.total ? R.total : off, 1);
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
		err = mig_status(&dd, 1);
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

/* ---- save, load, check --------------------------------------------------- */

/* The whole of o.file, if it can be a stream; NULL after saying why. */
static uint8_t *read_stream_file(size_t *lenp)
{
	uint8_t *buf = NULL;
	struct stat st;
	size_t len = 0;
	int fd;

	fd = open(o.file, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st)) {
		error("%s: %s", o.file, strerror(errno));
		return NULL;
	}
	if ((uint64_t)st.st_size > FILE_MAX ||
	    (uint64_t)st.st_size < sizeof(struct lmnic_mig_hdr) +
				   sizeof(struct lmnic_mig_trailer)) {
		error("%s: %lld bytes is not a migration stream", o.file,
		      (long long)st.st_size);
		close(fd);
		return NULL;
	}
	buf = malloc(st.st_size);
	while (buf && len < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + len, st.st_size - len);

		if (n <= 0) {
			if (n < 0 && errno == EINTR)
				continue;
			break;
		}
		len += n;
	}
	close(fd);
	if (!buf || len != (size_t)st.st_size) {
		error("%s: %s", o.file, buf ? "short read" : "out of memory");
		free(buf);
		return NULL;
	}
	*lenp = len;
	return buf;
}
struct save_ctx {
	int fd;
};

static int save_sink(struct extract *x, const void *data, size_t len)
{
	struct save_ctx *s = x->priv;
	const uint8_t *p = data;

	while (len) {
		ssize_t n = write(s->fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			x->ex_code = EX_EXTRACT;
			error("write: %s", strerror(errno));
			return -errno;
		}
		p += n;
		len -= n;
	}
	return 0;
}

static int cmd_save(void)
{
	struct save_ctx sc = { .fd = -1 };
	struct extract x = { .sink = save_sink, .priv = &sc };
	struct mig_status s;
	char tmp[PATH_MAX], dir[PATH_MAX];
	double t_down, t;
	int err, code, dfd;

	err = mig_status(&s, 0);
	if (err) {
		error("status of %s: %s", o.dev, nl_errstr(err));
		return result(EX_LOCAL);
	}
	if (s.state != LMNIC_MIG_STATE_RUNNING &&
	    s.state != LMNIC_MIG_STATE_DISABLED) {
		error("%s is %s: cannot save it now", o.dev, state_name(s.state));
		return result(EX_LOCAL);
	}
	/*
	 * A new file of ours, never one someone put there or a link to
	 * another: created exclusively, then renamed over the name.
	 */
	snprintf(tmp, sizeof(tmp), "%s.%d.tmp", o.file, (int)getpid());
	sc.fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		     0600);
	if (sc.fd < 0) {
		error("%s: %s", tmp, strerror(errno));
		return result(EX_LOCAL);
	}
	phase("quiesce");
	t_down = now_ms();
	err = extract(&x);
	if (x.t_first)
		R.t_quiesce = x.t_first - t_down;
	phase("transfer");
	if (!err && fsync(sc.fd)) {
		error("%s: %s", tmp, strerror(errno));
		err = -EIO;
	}
	if (close(sc.fd) && !err) {
		error("%s: %s", tmp, strerror(errno));
		err = -EIO;
	}
	sc.fd = -1;
	if (!err && rename(tmp, o.file)) {
		error("rename %s: %s", o.file, strerror(errno));
		err = -EIO;
	}
	if (err) {
		if (!R.error[0])
			error("extract: %s", nl_errstr(err));
		unlink(tmp);
		code = src_rollback(NULL, x.ex_code ? x.ex_code : EX_EXTRACT,
				    R.error);
		return result(code);
	}
	snprintf(dir, sizeof(dir), "%s", o.file);
	dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	R.t_transfer = now_ms() - (x.t_first ? x.t_first : t_down);
	R.bytes = x.off;
	if (x.off >= sizeof(x.tail)) {
		memcpy(R.image_sha,
		       ((const struct lmnic_mig_trailer *)x.tail)->sha256, 32);
		R.has_image = 1;
	}
	say("saved %" PRIu64 " bytes to %s", x.off, o.file);
	phase("resume");
	t = now_ms();
	if (o.stop) {
		err = mig_do(LMNIC_CMD_VPORT_FINISH);
		if (err) {
			error("vport-finish: %s", nl_errstr(err));
			return result(src_rollback(NULL, EX_RESUME, R.error));
		}
		say("%s stays stopped (--stop)", o.dev);
	} else {
		err = mig_do(LMNIC_CMD_VPORT_ABORT);
		if (err) {
			error("resuming %s (vport-abort): %s", o.dev,
			      nl_errstr(err));
			return result(src_rollback(NULL, EX_ROLLBACK, R.error));
		}
		R.t_resume = now_ms() - t;
		R.downtime = now_ms() - t_down;
	}
	return result(got_signal ? EX_SIGNAL : EX_OK);
}

static int cmd_load(void)
{
	struct restore_reply rr;
	struct mig_status d;
	struct hello h;
	char why[400];
	uint8_t *buf = NULL;
	size_t len = 0;
	double t0, t;
	int err, code;

	buf = read_stream_file(&len);
	if (!buf)
		return result(EX_LOCAL);
	err = mig_status(&d, 0);
	if (err) {
		error("status of %s: %s", o.dev, nl_errstr(err));
		free(buf);
		return result(EX_LOCAL);
	}
	/* the file's header against the vport, with the send/receive checks */
	{
		const struct lmnic_mig_hdr *hdr = (const void *)buf;

		memset(&h, 0, sizeof(h));
		h.proto = PROTO_VERSION;
		h.stream_version = le16toh(hdr->version);
		h.layout = le16toh(hdr->layout);
		h.caps = le32toh(hdr->caps);
		h.block_size = le32toh(hdr->block_size);
		h.capacity = le32toh(hdr->capacity);
		h.conn_count = le32toh(hdr->conn_count);
		h.conn_max = le32toh(hdr->conn_limit);
		if (le32toh(hdr->magic) != LMNIC_MIG_MAGIC) {
			error("%s: not a migration stream (bad magic)", o.file);
			free(buf);
			return result(EX_LOCAL);
		}
	}
	phase("check");
	if (compatible(&h, &d, why, sizeof(why))) {
		error("%s does not fit %s: %s", o.file, o.dev, why);
		free(buf);
		return result(EX_REFUSED);
	}
	/* the kernel and the adapter check the rest: see cmd_check() */
	if (got_signal) {
		error("interrupted by a signal");
		code = EX_SIGNAL;
		goto out;
	}
	phase("restore");
	t0 = now_ms();
	R.total = len;
	for (size_t off = 0; off < len;) {
		size_t n = len - off > RESTORE_CHUNK ? RESTORE_CHUNK : len - off;

		err = restore_chunk(off, buf + off, n, off + n == len, &rr);
		if (err) {
			error("vport-state-restore at byte %zu%s: %s", off,
			      off + n == len ? " (commit)" : "", nl_errstr(err));
			code = dst_abort(1, EX_RESTORE);
			goto out;
		}
		off += n;
		R.bytes = off;
		progress("restore", off, len, off == len);
		if (got_signal) {
			error("interrupted by a signal");
			code = dst_abort(1, EX_SIGNAL);
			goto out;
		}
	}
	t = now_ms();
	R.t_restore = t - t0;
	if (rr.has_sha) {
		memcpy(R.image_sha, rr.sha, 32);
		R.has_image = 1;
	}
	say("loaded in %.1f ms", rr.load_ns / 1e6);
	if (o.verify) {
		struct mig_status dd;

		err = mig_status(&dd, 1);
		if (err || !dd.has_digest) {
			error("destination digest: %s", err ? nl_errstr(err) :
			      "the kernel gave none");
			code = dst_abort(1, EX_RESTORE);
			goto out;
		}
		memcpy(R.dst_digest, dd.digest, 32);
		R.has_dst_digest = 1;
	}
	phase("resume");
	err = mig_do(LMNIC_CMD_VPORT_RESUME);
	if (err) {
		error("vport-resume: %s", nl_errstr(err));
		code = dst_abort(1, EX_RESUME);
		goto out;
	}
	R.t_resume = now_ms() - t;
	R.downtime = now_ms() - t0;
	code = EX_OK;
out:
	free(buf);
	return result(code);
}

/*
 * Check a saved stream offline, all of it: what the kernel checks before
 * a restore, and the records' CRC-32C and the image's SHA-256, which the
 * adapter checks before it loads. The stream is held against the vport its
 * own header describes and this tool's layout version.
 */
static int cmd_check(void)
{
	const struct lmnic_mig_hdr *hdr;
	struct lmnic_stream_want want;
	struct checker chk = { 0 };
	char why[400], h[65];
	uint8_t *buf;
	size_t len = 0;
	int err, code = EX_RESTORE;

	buf = read_stream_file(&len);
	if (!buf)
		return result(EX_LOCAL);
	hdr = (const void *)buf;
	want = (struct lmnic_stream_want){
		.layout = LMNIC_LAYOUT_VERSION,
		.caps = le32toh(hdr->caps),
		.block_size = le32toh(hdr->block_size),
		.capacity = le32toh(hdr->capacity),
		.conn_max = le32toh(hdr->conn_limit),
	};
	phase("check");
	if (checker_init(&chk, want)) {
		error("out of memory");
		code = EX_LOCAL;
		goto out;
	}
	err = lmnic_stream_feed(&chk.st, buf, len);
	if (err) {
		error("%s: %s", o.file, chk.st.msg[0] ? chk.st.msg :
		      strerror(-err));
		goto out;
	}
	if (checker_finish(&chk, why, sizeof(why))) {
		error("%s: %s", o.file, why);
		goto out;
	}
	R.bytes = len;
	memcpy(R.image_sha, chk.st.trailer.sha256, 32);
	R.has_image = 1;
	hex(h, R.image_sha, 32);
	say("%s: a whole stream: %u records, %u connections, %u of %u slots, "
	    "layout %u, image sha256 %s", o.file, chk.st.rec_index,
	    chk.st.conns, chk.st.slots, chk.st.want.capacity,
	    le16toh(hdr->layout), h);
	code = EX_OK;
out:
	checker_free(&chk);
	free(buf);
	return result(code);
}

/* ---- status, resume, abort ---------------------------------------------- */
static int cmd_status(void)
{
	struct mig_status s;
	char h[65];
	int err = mig_status(&s, o.digest);

	if (err) {
		error("status of %s: %s", o.dev, nl_errstr(err));
		return o.json ? result(EX_LOCAL) : EX_LOCAL;
	}
	if (o.json) {
		printf("{\"event\":\"status\",\"dev\":");
		json_str(stdout, o.dev);
		printf(",\"state\":\"%s\",\"layout_version\":%u,\"caps\":%u,"
		       "\"vport_state_size\":%u,\"conn_capacity\":%u,"
		       "\"conn_max\":%u,\"conn_count\":%u,"
		       "\"mac\":\"%02x:%02x:%02x:%02x:%02x:%02x\",\"mtu\":%u,"
		       "\"queues\":%u,\"stream_size\":%" PRIu64 ",\"offset\":%"
		       PRIu64 ",\"owner_pid\":%u,\"quiesce_ns\":%" PRIu64
		       ",\"save_ns\":%" PRIu64 ",\"load_ns\":%" PRIu64,
		       state_name(s.state), s.layout, s.caps, s.block_size,
		       s.capacity, s.conn_max, s.conn_count, s.mac[0], s.mac[1],
		       s.mac[2], s.mac[3], s.mac[4], s.mac[5], s.mtu, s.queues,
		       s.stream_size, s.offset, s.owner_pid, s.quiesce_ns,
		       s.save_ns, s.load_ns);
		if (s.has_digest) {
			hex(h, s.digest, 32);
			printf(",\"digest\":\"%s\"", h);
		}
		if (s.has_image) {
			hex(h, s.image_sha, 32);
			printf(",\"image_sha256\":\"%s\"", h);
		}
		printf("}\n");
		return EX_OK;
	}
	printf("%s: %s\n", o.dev, state_name(s.state));
	printf("  layout %u  caps 0x%x  vport state %u bytes\n", s.layout,
	       s.caps, s.block_size);
	printf("  connections %u  capacity %u  max id %u\n", s.conn_count,
	       s.capacity, s.conn_max);
	printf("  mac %02x:%02x:%02x:%02x:%02x:%02x  mtu %u  queues %u\n",
	       s.mac[0], s.mac[1], s.mac[2], s.mac[3], s.mac[4], s.mac[5],
	       s.mtu, s.queues);
	printf("  stream %" PRIu64 " bytes  restore offset %" PRIu64 "\n",
	       s.stream_size, s.offset);
	if (s.owner_pid)
		printf("  held by pid %u\n", s.owner_pid);
	if (s.quiesce_ns || s.save_ns || s.load_ns)
		printf("  quiesce %.3f ms  save %.3f ms  load %.3f ms\n",
		       s.quiesce_ns / 1e6, s.save_ns / 1e6, s.load_ns / 1e6);
	if (s.has_image) {
		hex(h, s.image_sha, 32);
		printf("  image sha256 %s\n", h);
	}
	if (s.has_digest) {
		hex(h, s.digest, 32);
		printf("  digest %s\n", h);
	}
	return EX_OK;
}

static int cmd_simple(int cmd, const char *what)
{
	int err = mig_do(cmd);

	if (err) {
		error("%s %s: %s", what, o.dev, nl_errstr(err));
		return o.json ? result(EX_LOCAL) : EX_LOCAL;
	}
	if (o.json)
		return result(EX_OK);
	say("%s %s: done", what, o.dev);
	return EX_OK;
}

/* ---- main --------------------------------------------------------------- */
/*
 * Does SPEC ([ADDR:]PORT, HOST:PORT) name only loopback addresses? An
 * empty host (every address) does not.
 */
static int loopback_only(const char *spec)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai, *a;
	char host[256], port[32];
	int ok = 1;

	if (split_hostport(spec, host, sizeof(host), port, sizeof(port), 1) ||
	    !host[0] || getaddrinfo(host, port, &hints, &ai))
		return 0;
	for (a = ai; a; a = a->ai_next) {
		if (a->ai_family == AF_INET) {
			const struct sockaddr_in *s4 = (const void *)a->ai_addr;

			ok &= (ntohl(s4->sin_addr.s_addr) >> 24) == 127;
		} else if (a->ai_family == AF_INET6) {
			const struct sockaddr_in6 *s6 = (const void *)a->ai_addr;

			ok &= IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr);
		} else {
			ok = 0;
		}
	}
	freeaddrinfo(ai);
	return ok;
}

static void usage(int code)
{
	fprintf(code ? stderr : stdout,
		"usage: lmnic-migrate send DEV --to HOST:PORT CREDS [--verify] [--timeout SEC]\n"
		"                          [--no-precopy]\n"
		"       lmnic-migrate receive DEV --listen [ADDR:]PORT CREDS [--verify] [--timeout SEC]\n"
		"                             [--accept-timeout SEC]\n"
		"       lmnic-migrate save DEV -o FILE [--stop]\n"
		"       lmnic-migrate load DEV -i FILE [--verify]\n"
		"       lmnic-migrate check -i FILE\n"
		"       lmnic-migrate status DEV [--digest]\n"
		"       lmnic-migrate resume DEV | abort DEV\n"
		"CREDS: --psk-file FILE [--psk-identity ID]\n"
		"     | --cert FILE --key FILE --ca FILE [--peer-name NAME]\n"
		"     | --insecure (plaintext TCP, loopback addresses only)\n"
		"DEV: a vport's netdev (eth1) or PCIADDR/VPORT (0000:00:04.0/1).\n"
		"--json: one JSON object per line on stdout. See lmnic-migrate(8).\n");
	exit(code);
}

static void on_signal(int sig)
{
	got_signal = sig;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "to", required_argument, NULL, 't' },
		{ "listen", required_argument, NULL, 'l' },
		{ "output", required_argument, NULL, 'o' },
		{ "input", required_argument, NULL, 'i' },
		{ "psk-file", required_argument, NULL, 'P' },
		{ "psk-identity", required_argument, NULL, 'I' },
		{ "cert", required_argument, NULL, 'C' },
		{ "key", required_argument, NULL, 'K' },
		{ "ca", required_argument, NULL, 'A' },
		{ "peer-name", required_argument, NULL, 'N' },
		{ "insecure", no_argument, NULL, 'n' },
		{ "verify", no_argument, NULL, 'v' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "accept-timeout", required_argument, NULL, 'a' },
		{ "json", no_argument, NULL, 'j' },
		{ "stop", no_argument, NULL, 's' },
		{ "digest", no_argument, NULL, 'd' },
		{ "no-precopy", no_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct sigaction sa = { .sa_handler = on_signal };	/* no SA_RESTART */
	int c, err, net, code;
	char *end;

	if (argc < 2)
		usage(EX_LOCAL);
	o.cmd = argv[1];
	if (!strcmp(o.cmd, "-h") || !strcmp(o.cmd, "--help") ||
	    !strcmp(o.cmd, "help"))
		usage(EX_OK);
	optind = 2;
	while ((c = getopt_long(argc, argv, "o:i:h", lo, NULL)) != -1) {
		switch (c) {
		case 't': o.to = optarg; break;
		case 'l': o.listen = optarg; break;
		case 'o': o.file = optarg; break;
		case 'i': o.file = optarg; break;
		case 'P': o.psk_file = optarg; break;
		case 'I': o.psk_identity = optarg; break;
		case 'C': o.cert = optarg; break;
		case 'K': o.key = optarg; break;
		case 'A': o.ca = optarg; break;
		case 'N': o.peer_name = optarg; break;
		case 'n': o.insecure = 1; break;
		case 'v': o.verify = 1; break;
		case 'j': o.json = 1; break;
		case 's': o.stop = 1; break;
		case 'd': o.digest = 1; break;
		case 'p': o.precopy = 0; break;
		case 'T':
			o.timeout = strtol(optarg, &end, 10);
			if (*end || o.timeout <= 0 || o.timeout > 86400) {
				error("--timeout %s: seconds, 1 to 86400", optarg);
				return EX_LOCAL;
			}
			break;
		case 'a':
			o.accept_timeout = strtol(optarg, &end, 10);
			if (*end || o.accept_timeout <= 0 ||
			    o.accept_timeout > 86400) {
				error("--accept-timeout %s: seconds, 1 to 86400",
				      optarg);
				return EX_LOCAL;
			}
			break;
		case 'h': usage(EX_OK); break;
		default: usage(EX_LOCAL);
		}
	}
	if (!strcmp(o.cmd, "check")) {
		if (optind != argc || !o.file) {
			error("check: -i FILE, and no DEV");
			usage(EX_LOCAL);
		}
		if (o.to || o.listen || o.stop || o.digest || o.verify ||
		    !o.precopy ||
		    o.psk_file || o.cert || o.key || o.ca || o.insecure ||
		    o.peer_name) {
			error("check: an option that does not apply to it");
			return EX_LOCAL;
		}
		return cmd_check();
	}
	if (optind != argc - 1) {
		error("%s: one DEV expected", o.cmd);
		usage(EX_LOCAL);
	}
	o.dev = argv[optind];

	net = !strcmp(o.cmd, "send") || !strcmp(o.cmd, "receive");
	if (!net && !strcmp(o.cmd, "save") + !strcmp(o.cmd, "load") +
	    !strcmp(o.cmd, "status") + !strcmp(o.cmd, "resume") +
	    !strcmp(o.cmd, "abort") == 0) {
		error("unknown command %s", o.cmd);
		usage(EX_LOCAL);
	}
	if (!strcmp(o.cmd, "send") && !o.to) {
		error("send: --to HOST:PORT is needed");
		return EX_LOCAL;
	}
	if (!strcmp(o.cmd, "receive") && !o.listen) {
		error("receive: --listen [ADDR:]PORT is needed");
		return EX_LOCAL;
	}
	if ((!strcmp(o.cmd, "save") || !strcmp(o.cmd, "load")) && !o.file) {
		error("%s: %s FILE is needed", o.cmd,
		      o.cmd[0] == 's' ? "-o" : "-i");
		return EX_LOCAL;
	}
	if ((o.to && strcmp(o.cmd, "send")) ||
	    (o.listen && strcmp(o.cmd, "receive")) ||
	    (o.stop && strcmp(o.cmd, "save")) ||
	    (o.digest && strcmp(o.cmd, "status")) ||
	    (!o.precopy && strcmp(o.cmd, "send")) ||
	    (o.accept_timeout && strcmp(o.cmd, "receive")) ||
	    (!net && (o.psk_file || o.cert || o.key || o.ca || o.insecure ||
		      o.peer_name))) {
		error("%s: an option that does not apply to it", o.cmd);
		return EX_LOCAL;
	}
	if (net) {
		int certs = !!o.cert + !!o.key + !!o.ca;

		if (o.psk_file && certs) {
			error("--psk-file or --cert/--key/--ca, not both");
			return EX_LOCAL;
		}
		if (certs && certs != 3) {
			error("certificates need all of --cert, --key and --ca");
			return EX_LOCAL;
		}
		if (o.insecure && (o.psk_file || certs)) {
			error("--insecure with credentials: choose one");
			return EX_LOCAL;
		}
		if (!o.insecure && !o.psk_file && !certs) {
			error("no credentials: give --psk-file FILE or --cert, "
			      "--key and --ca (or --insecure for plaintext TCP "
			      "on a loopback address)");
			return EX_LOCAL;
		}
		if (o.insecure && !loopback_only(o.to ? o.to : o.listen)) {
			error("--insecure only on a loopback address (127.0.0.1, "
			      "::1): %s is not one", o.to ? o.to : o.listen);
			return EX_LOCAL;
		}
		if (o.insecure)
			say("warning: --insecure: the state travels in plaintext, "
			    "and the peer is not authenticated");
		if (o.psk_file && load_psk(o.psk_file))
			return EX_LOCAL;
	}

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	err = lmnic_nl_open(&nl);
	if (err) {
		error("the lmnic netlink family: %s%s", strerror(-err),
		      err == -ENOENT ? " (is the lmnic driver loaded?)" : "");
		return o.json ? result(EX_LOCAL) : EX_LOCAL;
	}
	if (!strcmp(o.cmd, "send"))
		code = cmd_send();
	else if (!strcmp(o.cmd, "receive"))
		code = cmd_receive();
	else if (!strcmp(o.cmd, "save"))
		code = cmd_save();
	else if (!strcmp(o.cmd, "load"))
		code = cmd_load();
	else if (!strcmp(o.cmd, "status"))
		code = cmd_status();
	else if (!strcmp(o.cmd, "resume"))
		code = cmd_simple(LMNIC_CMD_VPORT_RESUME, "resume");
	else
		code = cmd_simple(LMNIC_CMD_VPORT_ABORT, "abort");
	/* closing the socket last: it holds the migration until here */
	lmnic_nl_close(&nl);
	OPENSSL_cleanse(psk_key, sizeof(psk_key));
	return code;
}
