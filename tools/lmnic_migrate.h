/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lmnic-migrate: what the parts of the agent share. lmnic-migrate.c holds
 * the command line and the vport-only commands (status, resume, abort);
 * lmnic_migrate_out.c the results and the output; lmnic_migrate_nl.c the
 * family's migration operations; lmnic_migrate_checker.c the stream
 * checker; lmnic_migrate_tls.c the connections (TCP, TLS 1.3);
 * lmnic_migrate_proto.c the protocol between the agents;
 * lmnic_migrate_ctl.c the wait for the switchover and its control channel;
 * and lmnic_migrate_send.c, lmnic_migrate_recv.c, lmnic_migrate_file.c the
 * commands send, receive, and save, load and check.
 */
#ifndef LMNIC_TOOLS_MIGRATE_H
#define LMNIC_TOOLS_MIGRATE_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <openssl/evp.h>
#include <openssl/ssl.h>

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
	EX_ABORTED	= 10,	/* no switchover: abort command, its timeout */
};

#define PROTO_VERSION	2
#define PSK_IDENTITY	"lmnic-migrate"
/* the key both hosts hold, where none is named (LMNIC_MIGRATE_PSK_FILE) */
#define DEFAULT_PSK_FILE	"/etc/lmnic/migrate.key"
#define FRAME_MAX	(1U << 20)
#define RESTORE_CHUNK	65000

/* ---- options (lmnic-migrate.c) ----------------------------------------- */
struct opts {
	const char *cmd, *dev, *to, *listen, *file;
	const char *psk_file, *psk_identity, *cert, *key, *ca, *peer_name;
	int insecure, verify, json, stop, digest, timeout, precopy;
	int accept_timeout;
	int max_downtime, max_rounds, not_converged;	/* send, pre-copy */
	int switchover_wait, switchover_timeout;	/* send --switchover */
	const char *control;				/* send --control */
};

extern struct opts o;
extern volatile sig_atomic_t got_signal;

/* --if-not-converged */
enum { NC_SWITCHOVER, NC_WAIT, NC_ABORT };

/* ---- results and output (lmnic_migrate_out.c) --------------------------- */
struct result {
	const char *phase;
	const char *reason;	/* why the switchover was called off */
	const char *cipher;	/* the TLS cipher suite; NULL: none */
	char error[512];
	uint64_t bytes, total, precopy_bytes;
	double t_handshake, t_precopy, t_quiesce, t_transfer, t_restore;
	double t_resume, downtime, t_switchover;
	uint8_t src_digest[32], dst_digest[32], image_sha[32];
	int has_src_digest, has_dst_digest, has_image;
	int rounds;		/* pre-copy rounds after the image */
	int converged;		/* the last delta's expected downtime was in
				 * --max-downtime: 1, 0, or -1 (not known) */
};

extern struct result R;
extern double t_start;		/* now_ms() as the agent started */

/*
 * An event: one JSON object on a line, {"event":NAME,"v":EVENT_VERSION,
 * "ts":...,"mono_ms":..., and what ev_add() and ev_str() put after it.
 * ev_end() writes it on stdout (with --json) and to the control
 * connections (ctl_event()); ev_send() to one of them only.
 */
#define EVENT_VERSION	1

struct event {
	char buf[8192];
	size_t len;
};

double now_ms(void);
void ev_begin(struct event *e, const char *name);
void ev_add(struct event *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void ev_str(struct event *e, const char *key, const char *s);
void ev_end(struct event *e);
void ev_send(struct event *e, int fd);
void hex(char *out, const uint8_t *b, int n);
void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void phase(const char *name);
void progress_start(void);
void progress(const char *ph, uint64_t bytes, uint64_t total, int last);
int result(int code);

/* the test suite's corruption in flight: lmnic-migrate-test only */
#ifdef LMNIC_MIGRATE_TEST_HOOKS
void flip_point(uint8_t *data, uint64_t off, uint32_t len);
#else
static inline void flip_point(uint8_t *data, uint64_t off, uint32_t len)
{
}
#endif

/* ---- netlink (lmnic_migrate_nl.c) --------------------------------------- */
extern struct lmnic_nl nl;

struct mig_status {
	uint32_t state, layout, caps, block_size, capacity, conn_max;
	uint32_t conn_count, mtu, queues, owner_pid, ifindex, vport;
	uint64_t stream_size, offset, quiesce_ns, save_ns, load_ns;
	uint64_t dirty_bytes;	/* with MS_DIRTY, in a pre-copy */
	uint32_t dirty_slots;
	uint8_t mac[6], digest[32], image_sha[32];
	int has_digest, has_image, has_state, has_dirty;
	int bad;		/* -EPROTO: a reply this agent cannot read */
	char dev_name[32];
};

struct restore_reply {
	uint32_t state;
	uint64_t offset, load_ns;
	uint8_t sha[32];
	int has_sha;
	int bad;		/* -EPROTO: a reply this agent cannot read */
};

/* The record headers of a stream followed as it passes (extract) */
struct rec_walk {
	uint64_t at;		/* stream offset of the next record header */
	uint64_t end;		/* of the records: the trailer's offset */
	int have_hdr;
	struct lmnic_mig_hdr hdr;	/* as it was taken, in pieces */
	struct lmnic_img_rec rec;
	uint64_t slot_bytes;	/* of the CONN_SLOTS records, with headers */
	uint32_t slots;		/* connection-table slots in them */
};

struct extract {
	int (*sink)(struct extract *x, const void *data, size_t len);
	void *priv;
	uint64_t off, total;
	double t_first;
	int precopy;		/* the vport keeps running: a pre-copy image */
	int round;		/* and after the image: the round's number */
	int err;		/* the sink's, negative; dump continues, drained */
	int ex_code;		/* the exit code the sink failure means */
	/* the last bytes: the trailer, read through its struct */
	uint8_t tail[sizeof(struct lmnic_mig_trailer)]
		__attribute__((aligned(__alignof__(struct lmnic_mig_trailer))));
	struct rec_walk walk;
};

const char *state_name(uint32_t s);
const char *nl_errstr(int err);
#define MS_DIGEST	1
#define MS_DIRTY	2
int mig_status(struct mig_status *s, int want);
int mig_do(int cmd);
int restore_chunk(uint64_t off, const void *data, size_t len, int commit,
		  struct restore_reply *r);
int restore_data(uint64_t off, const uint8_t *p, size_t len, int commit,
		 struct restore_reply *r);
int extract(struct extract *x);

/* ---- the stream checker (lmnic_migrate_checker.c) ----------------------- */
struct checker {
	struct lmnic_stream st;
	EVP_MD_CTX *md;
};

int checker_init(struct checker *c, struct lmnic_stream_want want);
void checker_free(struct checker *c);
int checker_finish(struct checker *c, char *why, size_t whylen);

/* ---- connections: TCP and TLS 1.3 (lmnic_migrate_tls.c) ----------------- */
struct conn {
	int fd;
	SSL *ssl;
	char err[300];
};

extern uint8_t psk_key[256];
extern size_t psk_len;

int load_psk(const char *path);
SSL_CTX *tls_ctx(int server);
int wait_fd(int fd, short ev, double deadline);
double deadline(void);
int conn_write(struct conn *c, const void *buf, size_t len);
int conn_read(struct conn *c, void *buf, size_t len, double dl);
int tls_handshake(struct conn *c, SSL_CTX *ctx, int server, const char *host);
void conn_close(struct conn *c);
int split_hostport(const char *s, char *host, size_t hlen, char *port,
		   size_t plen, int port_only_ok);
int tcp_connect(struct conn *c, const char *host, const char *port);
int tcp_listen(const char *spec);
double conn_rtt_ms(const struct conn *c);

/* ---- the protocol between the agents (lmnic_migrate_proto.c) ------------ */
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
	F_KEEPALIVE,	/* source, waiting for the switchover (HELLO_F_WAIT) */
	F_ROUND,	/* source: u32 round number, a round's stream follows */
	F_MAX = F_ROUND
};

#define HELLO_F_VERIFY	1
#define HELLO_F_PRECOPY	2	/* a pre-copy stream, then the delta */
/*
 * The source may wait for the switchover before its (next) stream and
 * sends KEEPALIVE while it does. A destination that takes it says so in
 * ACCEPT's flags and adds its --timeout (u32 seconds); one that does not
 * know it (an agent before the flag) leaves it out: same protocol version.
 */
#define HELLO_F_WAIT	4
/*
 * Pre-copy in rounds: after the image, deltas of the running vport, each
 * announced by ROUND and ending with END "more", before the last delta. A
 * destination that takes it says so in ACCEPT's flags.
 */
#define HELLO_F_ROUNDS	8

struct hello {
	uint32_t proto, stream_version, layout, caps, block_size, capacity;
	uint32_t conn_count, conn_max, mtu, queues, flags;
	uint8_t mac[6];
	uint64_t stream_size;
};

struct frame {
	uint8_t type;
	uint32_t len;
	uint8_t *data;
};

void put32(uint8_t **p, uint32_t v);
void put64(uint8_t **p, uint64_t v);
uint32_t get32(const uint8_t **p);
uint64_t get64(const uint8_t **p);
int send_frame(struct conn *c, int type, const void *data, uint32_t len);
int send_text(struct conn *c, int type, int code, const char *text);
int recv_frame(struct conn *c, struct frame *f, double dl);
const char *frame_text(struct frame *f, int *code);
const char *frame_name(int type);
void hello_from_status(struct hello *h, const struct mig_status *s);
int send_hello(struct conn *c, const struct hello *h);
int parse_hello(const struct frame *f, struct hello *h);
int compatible(const struct hello *h, const struct mig_status *d,
	       char *why, size_t len);

/* ---- the switchover and its control channel (lmnic_migrate_ctl.c) ------- */
int ctl_open(void);
void ctl_close(void);
void ctl_event(const char *buf, size_t len);
int ctl_wait(struct conn *c, struct event *ready, double keepalive_ms);

/* ---- the commands ------------------------------------------------------- */
/* lmnic_migrate_send.c */
int src_rollback(struct conn *c, int code, const char *why);
int cmd_send(void);
/* lmnic_migrate_recv.c */
int dst_abort(int opened, int code);
int cmd_receive(void);
/* lmnic_migrate_file.c */
int cmd_save(void);
int cmd_load(void);
int cmd_check(void);

#endif
