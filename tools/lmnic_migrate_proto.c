// SPDX-License-Identifier: GPL-2.0
/*
 * lmnic-migrate: the protocol between the agents. Frames ('L', a type, a
 * length, the payload) and the big-endian fields in them; the source's
 * HELLO, which says what its vport is before anything pauses, and the
 * destination's judgement of it (compatible()), which load applies to a
 * file's header too.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/lmnic.h>
#include <linux/lmnic_mig.h>

#include "lmnic_migrate.h"

/* ---- the protocol between the agents ----------------------------------- */
static const char *const frame_names[] = {
	[F_HELLO] = "HELLO", [F_ACCEPT] = "ACCEPT", [F_REFUSE] = "REFUSE",
	[F_DATA] = "DATA", [F_END] = "END", [F_LOADED] = "LOADED",
	[F_FAILED] = "FAILED", [F_GO] = "GO", [F_RESUMED] = "RESUMED",
	[F_ABORT] = "ABORT", [F_KEEPALIVE] = "KEEPALIVE", [F_ROUND] = "ROUND",
};

/* Capabilities a migration uses if both adapters have them */
#define CAPS_OPTIONAL	((uint32_t)(LMNIC_CAP_PRECOPY | LMNIC_CAP_ROUNDS))

/* ---- frames ------------------------------------------------------------- */
void put32(uint8_t **p, uint32_t v)
{
	v = htonl(v);
	memcpy(*p, &v, 4);
	*p += 4;
}

void put64(uint8_t **p, uint64_t v)
{
	put32(p, v >> 32);
	put32(p, (uint32_t)v);
}

uint32_t get32(const uint8_t **p)
{
	uint32_t v;

	memcpy(&v, *p, 4);
	*p += 4;
	return ntohl(v);
}

uint64_t get64(const uint8_t **p)
{
	uint64_t hi = get32(p);

	return hi << 32 | get32(p);
}

/* Frame: u8 'L', u8 type, u16 0, be32 length, payload; one write. */
int send_frame(struct conn *c, int type, const void *data, uint32_t len)
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
int send_text(struct conn *c, int type, int code, const char *text)
{
	uint8_t buf[600], *p = buf;
	size_t n = strlen(text);

	if (n > sizeof(buf) - 4)
		n = sizeof(buf) - 4;
	put32(&p, code);
	memcpy(p, text, n);
	return send_frame(c, type, buf, 4 + n);
}

int recv_frame(struct conn *c, struct frame *f, double dl)
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
	if (h[0] != 'L' || !f->type || f->type > F_MAX || f->len > FRAME_MAX) {
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
const char *frame_text(struct frame *f, int *code)
{
	const uint8_t *p = f->data;

	if (f->len < 4) {
		*code = 0;
		return "";
	}
	*code = get32(&p);
	return (const char *)f->data + 4;
}

const char *frame_name(int type)
{
	return type > 0 && type <= F_MAX ? frame_names[type] : "?";
}

void hello_from_status(struct hello *h, const struct mig_status *s)
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
		    HELLO_F_PRECOPY : 0) |
		   (o.switchover_wait || o.not_converged == NC_WAIT ?
		    HELLO_F_WAIT : 0) |
		   (o.precopy && o.max_rounds && (s->caps & LMNIC_CAP_ROUNDS) ?
		    HELLO_F_ROUNDS : 0);
}

int send_hello(struct conn *c, const struct hello *h)
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

int parse_hello(const struct frame *f, struct hello *h)
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
int compatible(const struct hello *h, const struct mig_status *d,
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
