// SPDX-License-Identifier: GPL-2.0
/*
 * lmnic tools: decoding and diagnosing an adapter error dump.
 *
 * The dump is untrusted input (a file, or what a dying adapter left in host
 * memory): every length, offset and count is checked before it is used.
 */
#include <arpa/inet.h>
#include <endian.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <linux/lmnic.h>

#include "crc32c.h"
#include "lmnic_dump.h"
#include "lmnic_json.h"

/*
 * The fuzz target is built with LMNIC_FUZZ: checksum mismatches are then
 * not fatal, so that mutated inputs reach the checks behind them.
 */
#ifdef LMNIC_FUZZ
#define CHECKSUMS_ENFORCED	0
#else
#define CHECKSUMS_ENFORCED	1
#endif

#define le16(x) le16toh(x)
#define le32(x) le32toh(x)
#define le64(x) le64toh(x)

static int bad(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static const char *sec_name(uint32_t type)
{
	switch (type) {
	case LMNIC_DUMP_SEC_REGS: return "registers";
	case LMNIC_DUMP_SEC_DRIVER: return "driver";
	case LMNIC_DUMP_SEC_VPORT: return "vport";
	case LMNIC_DUMP_SEC_REGION: return "offload region";
	default: return "unknown";
	}
}

static int parse_region(struct lmnic_dump_region *r, const uint8_t *p,
			uint32_t len, uint32_t vport, size_t at, char *err,
			size_t errlen)
{
	const struct lmnic_hr_header *hh = (const void *)p;
	uint32_t events, slots, eoff, noff;

	if (len < sizeof(*hh))
		return bad(err, errlen, "offload region of vport %u at offset %zu: "
			   "%u bytes, shorter than its header", vport, at, len);
	if (le32(hh->magic) != LMNIC_HR_MAGIC)
		return bad(err, errlen, "offload region of vport %u at offset %zu: "
			   "bad magic 0x%08x", vport, at, le32(hh->magic));
	if (le16(hh->version) != LMNIC_HR_VERSION)
		return bad(err, errlen, "offload region of vport %u: version %u, "
			   "this analyzer reads %u", vport, le16(hh->version),
			   LMNIC_HR_VERSION);
	events = le32(hh->events);
	slots = le32(hh->slots);
	eoff = le32(hh->events_off);
	noff = le32(hh->entries_off);
	if (le32(hh->entry_size) != sizeof(struct lmnic_conn) ||
	    le32(hh->event_size) != sizeof(struct lmnic_hr_event) ||
	    !events || events > 65536 || (events & (events - 1)) ||
	    eoff != lmnic_hr_events_off() || noff != lmnic_hr_entries_off(events))
		return bad(err, errlen, "offload region of vport %u: inconsistent "
			   "geometry (events %u at %u, entries at %u, sizes %u/%u)",
			   vport, events, eoff, noff, le32(hh->entry_size),
			   le32(hh->event_size));
	if (len < noff)
		return bad(err, errlen, "offload region of vport %u: %u bytes end "
			   "inside the event ring (entries start at %u)", vport,
			   len, noff);
	if ((len - noff) % sizeof(struct lmnic_conn))
		return bad(err, errlen, "offload region of vport %u: %u bytes of "
			   "entries is not a whole number of entries", vport,
			   len - noff);
	r->entries = (len - noff) / sizeof(struct lmnic_conn);
	if (r->entries > slots)
		return bad(err, errlen, "offload region of vport %u: %u entries, "
			   "more than its %u slots", vport, r->entries, slots);
	r->data = p;
	r->len = len;
	r->hh = hh;
	return 0;
}

int lmnic_dump_parse(const uint8_t *buf, size_t len,
		     struct lmnic_dump_view *v, char *err, size_t errlen)
{
	const struct lmnic_dump_hdr *h = (const void *)buf;
	struct lmnic_dump_hdr copy;
	uint32_t total, n, i;
	size_t off;

	memset(v, 0, sizeof(*v));
	if (len < sizeof(*h))
		return bad(err, errlen, "truncated: %zu bytes, shorter than the "
			   "%zu-byte dump header", len, sizeof(*h));
	if (le32(h->magic) != LMNIC_DUMP_MAGIC)
		return bad(err, errlen, "not an lmnic dump: magic 0x%08x at offset 0",
			   le32(h->magic));
	if (le16(h->version) != LMNIC_DUMP_VERSION)
		return bad(err, errlen, "dump version %u, this analyzer reads %u",
			   le16(h->version), LMNIC_DUMP_VERSION);
	if (le16(h->hdr_size) != sizeof(*h))
		return bad(err, errlen, "dump header of %u bytes, expected %zu",
			   le16(h->hdr_size), sizeof(*h));
	copy = *h;
	copy.check = 0;
	if (CHECKSUMS_ENFORCED && lmnic_crc32c(&copy, sizeof(copy)) != le32(h->check))
		return bad(err, errlen, "dump header corrupted: checksum mismatch "
			   "at offset 0");
	total = le32(h->total_size);
	if (total > len)
		return bad(err, errlen, "truncated: the header says %u bytes, the "
			   "dump has %zu", total, len);
	if (total < len)
		return bad(err, errlen, "%zu bytes of trailing garbage after the "
			   "dump's %u bytes", len - total, total);
	v->hdr = h;

	n = le32(h->num_sections);
	off = sizeof(*h);
	for (i = 0; i < n; i++) {
		const struct lmnic_dump_sec *s = (const void *)(buf + off);
		const uint8_t *p;
		uint32_t slen, type, vp;

		if (off + sizeof(*s) > total)
			return bad(err, errlen, "truncated: section %u of %u would "
				   "start at offset %zu, past the end (%u)", i, n,
				   off, total);
		slen = le32(s->len);
		type = le32(s->type);
		vp = le32(s->vport);
		p = buf + off + sizeof(*s);
		if (slen > total - off - sizeof(*s))
			return bad(err, errlen, "section %u (%s) at offset %zu: "
				   "%u bytes run past the end of the dump", i,
				   sec_name(type), off, slen);
		if (CHECKSUMS_ENFORCED && lmnic_crc32c(p, slen) != le32(s->check))
			return bad(err, errlen, "section %u (%s, vport %u) at offset "
				   "%zu: checksum mismatch, the data is corrupted",
				   i, sec_name(type), vp, off);
		switch (type) {
		case LMNIC_DUMP_SEC_REGS:
			if (slen != sizeof(*v->regs))
				return bad(err, errlen, "registers section of %u bytes", slen);
			v->regs = (const void *)p;
			break;
		case LMNIC_DUMP_SEC_DRIVER:
			if (slen != sizeof(*v->drv))
				return bad(err, errlen, "driver section of %u bytes", slen);
			v->drv = (const void *)p;
			break;
		case LMNIC_DUMP_SEC_VPORT:
			if (slen != sizeof(struct lmnic_dump_vport) ||
			    vp >= LMNIC_DUMP_VPORTS)
				return bad(err, errlen, "vport section at offset %zu: "
					   "vport %u, %u bytes", off, vp, slen);
			v->vport[vp] = (const void *)p;
			break;
		case LMNIC_DUMP_SEC_REGION:
			if (vp >= LMNIC_DUMP_VPORTS)
				return bad(err, errlen, "offload region at offset %zu "
					   "for vport %u", off, vp);
			if (parse_region(&v->region[vp], p, slen, vp, off, err, errlen))
				return -1;
			break;
		default:
			break;	/* a later section type: skipped */
		}
		off += sizeof(*s) + ((slen + 7) & ~7u);
	}
	if (off != total)
		return bad(err, errlen, "%u sections end at offset %zu, the dump at %u",
			   n, off, total);
	if (!v->drv)
		return bad(err, errlen, "no driver section");
	return 0;
}

/* ---- decoding --------------------------------------------------------- */

static const struct lmnic_conn *entry(const struct lmnic_dump_region *r,
				      uint32_t id)
{
	if (!r->data || id >= r->entries)
		return NULL;
	return (const void *)(r->data + le32(r->hh->entries_off) +
			      (size_t)id * sizeof(struct lmnic_conn));
}

enum { E_FREE, E_VALID, E_TORN, E_BAD };

static int entry_state(const struct lmnic_conn *c)
{
	if (le32(c->seq) & 1)
		return E_TORN;
	if (!(le16(c->flags) & LMNIC_CONNF_VALID))
		return E_FREE;
	if (lmnic_crc32c((const uint8_t *)c + LMNIC_CONN_CHECK_START,
			 LMNIC_CONN_CHECK_END - LMNIC_CONN_CHECK_START) !=
	    le32(c->check))
		return E_BAD;
	return E_VALID;
}

static const char *reason_name(uint32_t r)
{
	static const char * const names[] = {
		[LMNIC_ERR_REASON_PARITY] = "parity",
		[LMNIC_ERR_REASON_DMA_FAULT] = "dma-fault",
		[LMNIC_ERR_REASON_FATAL] = "fatal",
		[LMNIC_ERR_REASON_TX_TIMEOUT] = "tx-timeout",
		[LMNIC_ERR_REASON_DEAD] = "dead",
		[LMNIC_ERR_REASON_PCI_ERROR] = "pci-error",
		[LMNIC_ERR_REASON_REMOVED] = "removed",
		[LMNIC_ERR_REASON_AQ_TIMEOUT] = "aq-timeout",
	};

	return r < sizeof(names) / sizeof(names[0]) && names[r] ? names[r] : "unknown";
}

static const char *event_name(uint16_t op)
{
	static const char * const names[] = {
		[LMNIC_HR_EV_ADD] = "add", [LMNIC_HR_EV_DEL] = "del",
		[LMNIC_HR_EV_FLUSH] = "flush", [LMNIC_HR_EV_ADD_FAIL] = "add-failed",
		[LMNIC_HR_EV_PARITY] = "parity", [LMNIC_HR_EV_DMA_FAULT] = "dma-fault",
		[LMNIC_HR_EV_FATAL] = "fatal", [LMNIC_HR_EV_REGISTER] = "register",
	};

	return op < sizeof(names) / sizeof(names[0]) && names[op] ? names[op] : "unknown";
}

/* Decimal digits of V at P; returns the end. */
static char *put_u64(char *p, uint64_t v)
{
	char tmp[24];
	int n = 0;

	do {
		tmp[n++] = '0' + v % 10;
		v /= 10;
	} while (v);
	while (n)
		*p++ = tmp[--n];
	return p;
}

static char *put_str(char *p, const char *s)
{
	size_t n = strlen(s);

	memcpy(p, s, n);
	return p + n;
}

static char *put_ip4(char *p, const void *a)
{
	const uint8_t *b = a;
	int i;

	for (i = 0; i < 4; i++) {
		if (i)
			*p++ = '.';
		p = put_u64(p, b[i]);
	}
	return p;
}

/* "udp 1.2.3.4:5 -> 6.7.8.9:10"; at most 120 bytes. */
static char *put_key(char *p, const struct lmnic_conn_key *k)
{
	char a[INET6_ADDRSTRLEN];

	p = put_str(p, k->proto == 6 ? "tcp " : k->proto == 17 ? "udp " : "proto? ");
	if (k->family == LMNIC_CONN_FAMILY_IPV4) {
		p = put_ip4(p, k->src);
	} else {
		*p++ = '[';
		p = put_str(p, inet_ntop(AF_INET6, k->src, a, sizeof(a)) ? a : "?");
		*p++ = ']';
	}
	*p++ = ':';
	p = put_u64(p, ntohs(k->sport));
	p = put_str(p, " -> ");
	if (k->family == LMNIC_CONN_FAMILY_IPV4) {
		p = put_ip4(p, k->dst);
	} else {
		*p++ = '[';
		p = put_str(p, inet_ntop(AF_INET6, k->dst, a, sizeof(a)) ? a : "?");
		*p++ = ']';
	}
	*p++ = ':';
	return put_u64(p, ntohs(k->dport));
}

static void fmt_key(const struct lmnic_conn_key *k, char *buf, size_t len)
{
	char s[INET6_ADDRSTRLEN] = "?", d[INET6_ADDRSTRLEN] = "?";
	int af = k->family == LMNIC_CONN_FAMILY_IPV4 ? AF_INET : AF_INET6;

	inet_ntop(af, k->src, s, sizeof(s));
	inet_ntop(af, k->dst, d, sizeof(d));
	snprintf(buf, len, "%s %s%s%s:%u -> %s%s%s:%u",
		 k->proto == 6 ? "tcp" : k->proto == 17 ? "udp" : "proto?",
		 af == AF_INET6 ? "[" : "", s, af == AF_INET6 ? "]" : "",
		 ntohs(k->sport), af == AF_INET6 ? "[" : "", d,
		 af == AF_INET6 ? "]" : "", ntohs(k->dport));
}

struct diagnosis {
	const char *fault;
	int vport, qp;
	int64_t entry;
	uint64_t addr;
	char summary[512];
};

/* The last event of OP in vport V's ring, or NULL. */
static const struct lmnic_hr_event *last_event(const struct lmnic_dump_region *r,
					       uint16_t op)
{
	uint64_t seq, n, i;
	uint32_t events;

	if (!r->data)
		return NULL;
	events = le32(r->hh->events);
	seq = le64(r->hh->event_seq);
	n = seq < events ? seq : events;
	for (i = 0; i < n; i++) {
		const struct lmnic_hr_event *e = (const void *)(r->data +
			le32(r->hh->events_off) +
			((seq - 1 - i) % events) * sizeof(*e));

		if (le16(e->op) == op)
			return e;
	}
	return NULL;
}

static void diagnose(const struct lmnic_dump_view *v, struct diagnosis *d)
{
	static const struct lmnic_dump_regs none;
	const struct lmnic_dump_regs *regs = v->regs ? v->regs : &none;
	uint32_t reason = le32(v->hdr->reason);
	uint32_t cause = le32(regs->readable) ? le32(regs->err_cause) : 0;
	int i;

	memset(d, 0, sizeof(*d));
	d->vport = d->qp = -1;
	d->entry = -1;
	if (reason == LMNIC_ERR_REASON_PARITY || (cause & LMNIC_ERR_PARITY)) {
		d->fault = "parity";
		d->vport = le32(regs->err_vport);
		d->entry = le32(regs->err_entry);
		d->addr = le64(regs->err_addr);
	} else if (reason == LMNIC_ERR_REASON_DMA_FAULT || (cause & LMNIC_ERR_DMA)) {
		d->fault = "dma-fault";
		d->vport = le32(regs->err_vport);
		d->qp = le32(regs->err_qp);
		d->addr = le64(regs->err_addr);
	} else if (reason == LMNIC_ERR_REASON_TX_TIMEOUT) {
		d->fault = "tx-hang";
		d->vport = le32(v->drv->detail_vport);
		d->qp = le32(v->drv->detail_qp);
	} else if (reason == LMNIC_ERR_REASON_AQ_TIMEOUT) {
		/* the vport of the command that never completed */
		d->fault = "admin-queue-hang";
		d->vport = le32(v->drv->detail_vport);
	} else {
		/* the adapter stopped answering: did its firmware say why? */
		d->fault = "adapter-dead";
		for (i = 0; i < LMNIC_DUMP_VPORTS; i++)
			if (last_event(&v->region[i], LMNIC_HR_EV_FATAL)) {
				d->fault = "firmware-fatal";
				break;
			}
		if (reason == LMNIC_ERR_REASON_PCI_ERROR)
			d->fault = "pci-error";
		else if (reason == LMNIC_ERR_REASON_REMOVED)
			d->fault = "surprise-removal";
	}
}

static void summarize(const struct lmnic_dump_view *v, struct diagnosis *d)
{
	const struct lmnic_conn *c = NULL;
	char key[160];

	if (d->vport >= 0 && d->vport < LMNIC_DUMP_VPORTS && d->entry >= 0)
		c = entry(&v->region[d->vport], d->entry);
	if (!strcmp(d->fault, "parity") && c && entry_state(c) == E_VALID) {
		fmt_key(&c->key, key, sizeof(key));
		snprintf(d->summary, sizeof(d->summary),
			 "parity error in adapter table memory: vport %d connection %lld "
			 "(%s), offloaded by pid %u (%.16s); the host region holds "
			 "its intact copy", d->vport, (long long)d->entry, key,
			 le32(c->owner_pid), c->owner_comm);
	} else if (!strcmp(d->fault, "parity")) {
		snprintf(d->summary, sizeof(d->summary),
			 "parity error in adapter table memory: vport %d connection "
			 "%lld, not in the host region", d->vport, (long long)d->entry);
	} else if (!strcmp(d->fault, "dma-fault")) {
		snprintf(d->summary, sizeof(d->summary),
			 "DMA fault on vport %d queue pair %d at 0x%llx; the adapter "
			 "stopped the queue", d->vport, d->qp,
			 (unsigned long long)d->addr);
	} else if (!strcmp(d->fault, "tx-hang")) {
		snprintf(d->summary, sizeof(d->summary),
			 "transmit hang: vport %d queue pair %d stopped completing "
			 "descriptors", d->vport, d->qp);
	} else if (!strcmp(d->fault, "firmware-fatal")) {
		snprintf(d->summary, sizeof(d->summary),
			 "firmware fatal error: the adapter logged it in the offload "
			 "regions and stopped answering (registers read all ones)");
	} else {
		snprintf(d->summary, sizeof(d->summary),
			 "the adapter stopped answering (%s) without saying why",
			 reason_name(le32(v->hdr->reason)));
	}
}

/* The command name: anything else than printable ASCII becomes '?'. */
static char *put_comm(char *p, const char *comm)
{
	size_t i;

	for (i = 0; i < 16 && comm[i]; i++)
		*p++ = comm[i] >= 0x20 && comm[i] < 0x7f && comm[i] != '"' &&
		       comm[i] != '\\' ? comm[i] : '?';
	return p;
}

/* One connection per line; built by hand, a dump may hold millions. */
static void print_conn(FILE *out, const struct lmnic_conn *c, int vport)
{
	char line[512], *p = line;

	p = put_str(p, "    vport ");
	p = put_u64(p, vport);
	p = put_str(p, " id ");
	p = put_u64(p, le32(c->id));
	*p++ = ' ';
	p = put_key(p, &c->key);
	p = put_str(p, " actions ");
	p = put_u64(p, le16(c->actions));
	p = put_str(p, " queue ");
	p = put_u64(p, le16(c->queue));
	p = put_str(p, " mark ");
	p = put_u64(p, le32(c->mark));
	p = put_str(p, " owner ");
	p = put_u64(p, le32(c->owner_pid));
	*p++ = ' ';
	p = put_comm(p, c->owner_comm);
	p = put_str(p, " packets ");
	p = put_u64(p, le64(c->packets));
	*p++ = '\n';
	fwrite(line, 1, p - line, out);
}

static const char *const action_names[] = { "steer", "drop", "mark", "count" };

/* An address as text; IPv4 by hand, inet_ntop() is a printf. */
static void addr(int af, const void *a, char *buf, size_t len)
{
	if (af == AF_INET)
		*put_ip4(buf, a) = '\0';
	else if (!inet_ntop(af, a, buf, len))
		snprintf(buf, len, "?");
}

/* One connection as lmnic-conn -j shows one, with what only the dump has. */
static void json_conn(struct lmnic_json *j, const struct lmnic_conn *c,
		      int vport)
{
	const struct lmnic_conn_key *k = &c->key;
	int af = k->family == LMNIC_CONN_FAMILY_IPV4 ? AF_INET : AF_INET6;
	char a[INET6_ADDRSTRLEN] = "?";
	uint16_t actions = le16(c->actions), source = le16(c->source);
	unsigned int i;

	lmnic_json_break(j, 4);
	lmnic_json_obj_open(j, NULL);
	lmnic_json_u64(j, "vport", vport);
	lmnic_json_u64(j, "id", le32(c->id));
	lmnic_json_str(j, "proto", k->proto == 6 ? "tcp" : k->proto == 17 ?
		       "udp" : "proto?");
	addr(af, k->src, a, sizeof(a));
	lmnic_json_str(j, "src", a);
	lmnic_json_u64(j, "sport", ntohs(k->sport));
	addr(af, k->dst, a, sizeof(a));
	lmnic_json_str(j, "dst", a);
	lmnic_json_u64(j, "dport", ntohs(k->dport));
	lmnic_json_arr_open(j, "actions");
	for (i = 0; i < sizeof(action_names) / sizeof(action_names[0]); i++)
		if (actions & (1U << i))
			lmnic_json_str(j, NULL, action_names[i]);
	lmnic_json_arr_close(j);
	if (actions & LMNIC_CONN_ACT_STEER)
		lmnic_json_u64(j, "queue", le16(c->queue));
	if (actions & LMNIC_CONN_ACT_MARK)
		lmnic_json_u64(j, "mark", le32(c->mark));
	lmnic_json_str(j, "source", source == LMNIC_CONN_SRC_NETLINK ? "netlink" :
		       source == LMNIC_CONN_SRC_ETHTOOL ? "ethtool" : "unknown");
	lmnic_json_obj_open(j, "owner");
	lmnic_json_u64(j, "pid", le32(c->owner_pid));
	lmnic_json_strn(j, "comm", c->owner_comm, sizeof(c->owner_comm));
	lmnic_json_obj_close(j);
	lmnic_json_u64(j, "packets", le64(c->packets));
	lmnic_json_u64(j, "bytes", le64(c->bytes));
	lmnic_json_u64(j, "last_hit_ns", le64(c->last_hit_ns));
	lmnic_json_obj_close(j);
}

/* What the report says of vport VP's region. */
struct vport_view {
	uint32_t valid, torn, bad;
	uint64_t flush_age;	/* ns before the error of the last flush */
	int clock;		/* the adapter's clock was readable */
	int stopped;		/* its counters had stopped */
};

static void vport_view(const struct lmnic_dump_view *v, int vp,
		       const uint8_t *state, struct vport_view *w)
{
	const struct lmnic_dump_region *r = &v->region[vp];
	int64_t ref;
	uint32_t id;

	memset(w, 0, sizeof(*w));
	for (id = 0; id < r->entries; id++) {
		w->valid += state[id] == E_VALID;
		w->torn += state[id] == E_TORN;
		w->bad += state[id] == E_BAD;
	}
	/* counters stopped: how long before the error the last flush was */
	ref = v->regs && le32(v->regs->readable) ? (int64_t)le64(v->regs->now_ns) : -1;
	w->clock = ref >= 0;
	if (ref >= 0 && (uint64_t)ref > le64(r->hh->flush_ns))
		w->flush_age = ref - le64(r->hh->flush_ns);
	w->stopped = ref < 0 ||
		     w->flush_age > 4ULL * le32(r->hh->flush_interval_ms) * 1000000;
}

/* The last (up to) 8 events of R's ring into EV, oldest first. */
static uint64_t last_events(const struct lmnic_dump_region *r,
			    const struct lmnic_hr_event **ev)
{
	uint64_t seq = le64(r->hh->event_seq), n = seq < 8 ? seq : 8, k;

	if (n > le32(r->hh->events))
		n = le32(r->hh->events);
	for (k = 0; k < n; k++)
		ev[k] = (const void *)(r->data + le32(r->hh->events_off) +
				       ((seq - n + k) % le32(r->hh->events)) *
				       sizeof(**ev));
	return n;
}

static void report_text(const struct lmnic_dump_view *v, FILE *out,
			uint8_t **state, const struct diagnosis *d)
{
	const struct lmnic_dump_hdr *h = v->hdr;
	const struct lmnic_hr_event *ev[8];
	struct vport_view w;
	uint64_t k, n;
	uint32_t id;
	int vp;

	fprintf(out, "lmnic error dump %u of %.32s (serial %016llx): %s\n",
		le32(h->id), h->dev_name, (unsigned long long)le64(h->serial),
		reason_name(le32(h->reason)));
	fprintf(out, "diagnosis: %s\n  %s\n", d->fault, d->summary);
	for (vp = 0; vp < LMNIC_DUMP_VPORTS; vp++) {
		const struct lmnic_dump_region *r = &v->region[vp];

		if (!r->data || !state[vp])
			continue;
		vport_view(v, vp, state[vp], &w);
		fprintf(out, "vport %d: %u connections (region header says %u), "
			"%u torn, %u inconsistent; %llu counter flushes%s\n",
			vp, w.valid, le32(r->hh->count), w.torn, w.bad,
			(unsigned long long)le64(r->hh->flushes),
			!w.clock ? "; the adapter's clock was unreadable, "
			"counters stopped with it" : "");
		fprintf(out, "  last offload events:\n");
		n = last_events(r, ev);
		for (k = 0; k < n; k++) {
			uint16_t op = le16(ev[k]->op);
			int keyed = op == LMNIC_HR_EV_ADD || op == LMNIC_HR_EV_DEL;
			char key[160];

			fmt_key(&ev[k]->key, key, sizeof(key));
			fprintf(out, "    #%llu t=%llu ns %s id %u status %u%s%s\n",
				(unsigned long long)le64(ev[k]->seq),
				(unsigned long long)le64(ev[k]->time_ns),
				event_name(op), le32(ev[k]->id), le16(ev[k]->status),
				keyed ? " " : "", keyed ? key : "");
		}
		if (w.torn || w.bad)
			for (id = 0; id < r->entries; id++)
				if (state[vp][id] == E_TORN || state[vp][id] == E_BAD)
					fprintf(out, "  entry %u: %s\n", id,
						state[vp][id] == E_TORN ?
						"torn (written when the adapter stopped)" :
						"inconsistent (check mismatch)");
	}
	fprintf(out, "connections:\n");
	for (vp = 0; vp < LMNIC_DUMP_VPORTS; vp++)
		for (id = 0; state[vp] && id < v->region[vp].entries; id++)
			if (state[vp][id] == E_VALID)
				print_conn(out, entry(&v->region[vp], id), vp);
}

/*
 * One document, laid out so that a line-oriented reader finds its parts:
 * the dump and the diagnosis objects each whole on its line, then a vport
 * and a connection per line.
 */
static void report_json(const struct lmnic_dump_view *v, FILE *out,
			uint8_t **state, const struct diagnosis *d)
{
	const struct lmnic_dump_hdr *h = v->hdr;
	const struct lmnic_hr_event *ev[8];
	struct lmnic_json j;
	struct vport_view w;
	char serial[17];
	uint64_t k, n;
	uint32_t id;
	int vp;

	lmnic_json_init(&j, out);
	lmnic_json_obj_open(&j, NULL);
	lmnic_json_obj_open(&j, "dump");
	lmnic_json_u64(&j, "id", le32(h->id));
	lmnic_json_str(&j, "reason", reason_name(le32(h->reason)));
	lmnic_json_strn(&j, "dev_name", h->dev_name, sizeof(h->dev_name));
	snprintf(serial, sizeof(serial), "%016llx",
		 (unsigned long long)le64(h->serial));
	lmnic_json_str(&j, "serial", serial);
	lmnic_json_u64(&j, "time_ns", le64(h->time_ns));
	lmnic_json_u64(&j, "size", le32(h->total_size));
	lmnic_json_bool(&j, "adapter_answered",
			v->regs && le32(v->regs->readable));
	lmnic_json_obj_close(&j);

	lmnic_json_break(&j, 0);
	lmnic_json_obj_open(&j, "diagnosis");
	lmnic_json_str(&j, "fault", d->fault);
	lmnic_json_i64(&j, "vport", d->vport);
	lmnic_json_i64(&j, "queue", d->qp);
	lmnic_json_i64(&j, "entry", d->entry);
	lmnic_json_u64(&j, "address", d->addr);
	lmnic_json_strn(&j, "summary", d->summary, sizeof(d->summary));
	lmnic_json_obj_close(&j);

	lmnic_json_break(&j, 0);
	lmnic_json_arr_open(&j, "vports");
	for (vp = 0; vp < LMNIC_DUMP_VPORTS; vp++) {
		const struct lmnic_dump_region *r = &v->region[vp];

		if (!r->data || !state[vp])
			continue;
		vport_view(v, vp, state[vp], &w);
		lmnic_json_break(&j, 2);
		lmnic_json_obj_open(&j, NULL);
		lmnic_json_u64(&j, "vport", vp);
		lmnic_json_u64(&j, "connections", w.valid);
		lmnic_json_u64(&j, "header_count", le32(r->hh->count));
		lmnic_json_u64(&j, "torn", w.torn);
		lmnic_json_u64(&j, "inconsistent", w.bad);
		lmnic_json_u64(&j, "slots", le32(r->hh->slots));
		lmnic_json_u64(&j, "flushes", le64(r->hh->flushes));
		lmnic_json_u64(&j, "flush_age_ns", w.flush_age);
		lmnic_json_bool(&j, "counters_stopped", w.stopped);
		lmnic_json_arr_open(&j, "events");
		n = last_events(r, ev);
		for (k = 0; k < n; k++) {
			lmnic_json_obj_open(&j, NULL);
			lmnic_json_u64(&j, "seq", le64(ev[k]->seq));
			lmnic_json_u64(&j, "time_ns", le64(ev[k]->time_ns));
			lmnic_json_str(&j, "op", event_name(le16(ev[k]->op)));
			lmnic_json_u64(&j, "status", le16(ev[k]->status));
			lmnic_json_u64(&j, "id", le32(ev[k]->id));
			lmnic_json_obj_close(&j);
		}
		lmnic_json_arr_close(&j);
		lmnic_json_obj_close(&j);
	}
	lmnic_json_arr_close(&j);

	lmnic_json_break(&j, 0);
	lmnic_json_arr_open(&j, "connections");
	for (vp = 0; vp < LMNIC_DUMP_VPORTS; vp++)
		for (id = 0; state[vp] && id < v->region[vp].entries; id++)
			if (state[vp][id] == E_VALID)
				json_conn(&j, entry(&v->region[vp], id), vp);
	lmnic_json_arr_close(&j);
	lmnic_json_obj_close(&j);
	lmnic_json_end_line(&j);
}

void lmnic_dump_report(const struct lmnic_dump_view *v, FILE *out, int json)
{
	uint8_t *state[LMNIC_DUMP_VPORTS] = { 0 };
	struct diagnosis d;
	uint32_t id;
	int vp;

	/* every entry's state, checked once */
	for (vp = 0; vp < LMNIC_DUMP_VPORTS; vp++) {
		const struct lmnic_dump_region *r = &v->region[vp];

		if (!r->data)
			continue;
		state[vp] = malloc(r->entries ? r->entries : 1);
		if (!state[vp])
			continue;
		for (id = 0; id < r->entries; id++)
			state[vp][id] = entry_state(entry(r, id));
	}

	diagnose(v, &d);
	summarize(v, &d);
	if (json)
		report_json(v, out, state, &d);
	else
		report_text(v, out, state, &d);
	for (vp = 0; vp < LMNIC_DUMP_VPORTS; vp++)
		free(state[vp]);
}
