// SPDX-License-Identifier: GPL-2.0
/* lmnic tools: the JSON writer (lmnic_json.h) */
#include <inttypes.h>
#include <string.h>

#include "lmnic_json.h"

void lmnic_json_flush(struct lmnic_json *j)
{
	if (j->len)
		fwrite(j->buf, 1, j->len, j->out);
	j->len = 0;
}

/* N bytes of S into J's buffer: a value is a few calls of this. */
static void jput(struct lmnic_json *j, const char *s, size_t n)
{
	if (n > sizeof(j->buf) - j->len) {
		lmnic_json_flush(j);
		if (n > sizeof(j->buf)) {
			fwrite(s, 1, n, j->out);
			return;
		}
	}
	memcpy(j->buf + j->len, s, n);
	j->len += n;
}

static void jputc(struct lmnic_json *j, char c)
{
	if (j->len == sizeof(j->buf))
		lmnic_json_flush(j);
	j->buf[j->len++] = c;
}

/*
 * Where quoted text goes: a writer, a stream, or a buffer that counts what
 * overflows.
 */
struct sink {
	struct lmnic_json *j;
	FILE *out;
	char *buf;
	size_t cap, len;
};

static void put(struct sink *k, const char *s, size_t n)
{
	size_t i;

	if (k->j) {
		jput(k->j, s, n);
		return;
	}
	if (k->out) {
		fwrite(s, 1, n, k->out);
		return;
	}
	for (i = 0; i < n; i++, k->len++)
		if (k->len + 1 < k->cap)
			k->buf[k->len] = s[i];
}

/* The length of the valid UTF-8 sequence at S (N bytes left), or 0. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t len, i;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* overlong forms, surrogates, past U+10FFFF */
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

/* Bytes that go into a JSON string as they are. */
static int plain(unsigned char c)
{
	return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
}

static void quote(struct sink *k, const char *str, size_t max)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t n = 0, len;
	char esc[8];

	while (n < max && s[n])
		n++;
	put(k, "\"", 1);
	while (n) {
		/* a run of printable ASCII at once: the common case */
		for (len = 0; len < n && plain(s[len]); len++)
			;
		if (len) {
			put(k, (const char *)s, len);
		} else if (*s == '"' || *s == '\\') {
			esc[0] = '\\';
			esc[1] = *s;
			put(k, esc, 2);
			len = 1;
		} else if (*s < 0x20 || *s == 0x7f) {
			snprintf(esc, sizeof(esc), "\\u%04x", *s);
			put(k, esc, 6);
			len = 1;
		} else {
			len = utf8_len(s, n);
			if (len)
				put(k, (const char *)s, len);
			else
				put(k, "\\ufffd", 6);
			if (!len)
				len = 1;
		}
		s += len;
		n -= len;
	}
	put(k, "\"", 1);
}

void lmnic_json_quote(FILE *out, const char *s, size_t max)
{
	struct sink k = { .out = out };

	quote(&k, s, max);
}

size_t lmnic_json_quote_buf(char *buf, size_t cap, const char *s, size_t max)
{
	struct sink k = { .buf = buf, .cap = cap };

	quote(&k, s, max);
	if (cap)
		buf[k.len < cap ? k.len : cap - 1] = '\0';
	return k.len;
}

void lmnic_json_init(struct lmnic_json *j, FILE *out)
{
	j->out = out;
	j->depth = 0;
	j->brk = -1;
	j->len = 0;
	j->more[0] = 0;
}

/* S quoted into J */
static void jquote(struct lmnic_json *j, const char *s, size_t max)
{
	struct sink k = { .j = j };
	char *p, *end;
	size_t i;

	/*
	 * The common case, a short run of printable ASCII, straight into the
	 * buffer; anything else through quote().
	 */
	if (sizeof(j->buf) - j->len >= 66) {
		p = j->buf + j->len;
		end = p + 65;
		*p++ = '"';
		for (i = 0; i < max && s[i] && p < end && plain(s[i]); i++)
			*p++ = s[i];
		if ((i == max || !s[i]) && p < end) {
			*p++ = '"';
			j->len = p - j->buf;
			return;
		}
	}
	quote(&k, s, max);
}

void lmnic_json_break(struct lmnic_json *j, int indent)
{
	j->brk = indent;
}

/* The comma before a value, and its key. */
static void value(struct lmnic_json *j, const char *key)
{
	int d = j->depth < LMNIC_JSON_DEPTH ? j->depth : LMNIC_JSON_DEPTH - 1;

	if (j->more[d])
		jputc(j, ',');
	j->more[d] = 1;
	if (j->brk >= 0) {
		jputc(j, '\n');
		for (; j->brk > 0; j->brk--)
			jputc(j, ' ');
		j->brk = -1;
	}
	if (key) {
		jquote(j, key, SIZE_MAX);
		jputc(j, ':');
	}
}

static void open_(struct lmnic_json *j, const char *key, char c)
{
	value(j, key);
	jputc(j, c);
	j->depth++;
	if (j->depth < LMNIC_JSON_DEPTH)
		j->more[j->depth] = 0;
}

static void close_(struct lmnic_json *j, char c)
{
	if (j->depth > 0)
		j->depth--;
	jputc(j, c);
}

void lmnic_json_obj_open(struct lmnic_json *j, const char *key)
{
	open_(j, key, '{');
}

void lmnic_json_obj_close(struct lmnic_json *j)
{
	close_(j, '}');
}

void lmnic_json_arr_open(struct lmnic_json *j, const char *key)
{
	open_(j, key, '[');
}

void lmnic_json_arr_close(struct lmnic_json *j)
{
	close_(j, ']');
}

void lmnic_json_strn(struct lmnic_json *j, const char *key, const char *s,
		     size_t max)
{
	value(j, key);
	jquote(j, s, max);
}

void lmnic_json_str(struct lmnic_json *j, const char *key, const char *s)
{
	lmnic_json_strn(j, key, s, SIZE_MAX);
}

/* V in decimal; printf costs more than the rest of a value. */
static void put_u64(struct lmnic_json *j, uint64_t v)
{
	char buf[24], *p = buf + sizeof(buf);

	do {
		*--p = '0' + v % 10;
		v /= 10;
	} while (v);
	jput(j, p, buf + sizeof(buf) - p);
}

void lmnic_json_u64(struct lmnic_json *j, const char *key, uint64_t v)
{
	value(j, key);
	put_u64(j, v);
}

void lmnic_json_i64(struct lmnic_json *j, const char *key, int64_t v)
{
	value(j, key);
	if (v < 0)
		jputc(j, '-');
	put_u64(j, v < 0 ? -(uint64_t)v : (uint64_t)v);
}

void lmnic_json_bool(struct lmnic_json *j, const char *key, int v)
{
	value(j, key);
	if (v)
		jput(j, "true", 4);
	else
		jput(j, "false", 5);
}

void lmnic_json_null(struct lmnic_json *j, const char *key)
{
	value(j, key);
	jput(j, "null", 4);
}

void lmnic_json_end_line(struct lmnic_json *j)
{
	jputc(j, '\n');
	lmnic_json_flush(j);
	j->depth = 0;
	j->brk = -1;
	j->more[0] = 0;
}
