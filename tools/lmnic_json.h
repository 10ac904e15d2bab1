/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lmnic tools: one JSON writer for the three of them, after iproute2's
 * json_print: values are written as they come, to a stream (struct
 * lmnic_json) or into a caller's buffer (lmnic_json_quote_buf()); strings
 * are always valid UTF-8 (a byte that does not start or continue a valid
 * sequence is written as U+FFFD) with control characters escaped.
 */
#ifndef LMNIC_TOOLS_JSON_H
#define LMNIC_TOOLS_JSON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define LMNIC_JSON_DEPTH	16
#define LMNIC_JSON_BUF		8192

/*
 * A writer keeps its text until a line ends (lmnic_json_end_line()), its
 * buffer fills or lmnic_json_flush(): what else goes to OUT in between
 * comes before it.
 */
struct lmnic_json {
	FILE *out;
	int depth;
	int brk;		/* lmnic_json_break(): indent of the next line */
	size_t len;		/* bytes held in buf */
	unsigned char more[LMNIC_JSON_DEPTH];	/* a value came at this depth */
	char buf[LMNIC_JSON_BUF];
};

/* S (at most MAX bytes, or up to its NUL) as a quoted JSON string. */
void lmnic_json_quote(FILE *out, const char *s, size_t max);
/*
 * The same into BUF of CAP bytes, NUL-terminated if CAP > 0; returns the
 * length the whole string needs (without the NUL), as snprintf does.
 */
size_t lmnic_json_quote_buf(char *buf, size_t cap, const char *s, size_t max);

void lmnic_json_init(struct lmnic_json *j, FILE *out);
/*
 * KEY names the value inside an object; NULL at the top and in arrays.
 * Opening deeper than LMNIC_JSON_DEPTH is a bug of the caller: the
 * structure is still written, its commas may be wrong.
 */
void lmnic_json_obj_open(struct lmnic_json *j, const char *key);
void lmnic_json_obj_close(struct lmnic_json *j);
void lmnic_json_arr_open(struct lmnic_json *j, const char *key);
void lmnic_json_arr_close(struct lmnic_json *j);
void lmnic_json_str(struct lmnic_json *j, const char *key, const char *s);
void lmnic_json_strn(struct lmnic_json *j, const char *key, const char *s,
		     size_t max);
void lmnic_json_u64(struct lmnic_json *j, const char *key, uint64_t v);
void lmnic_json_i64(struct lmnic_json *j, const char *key, int64_t v);
void lmnic_json_bool(struct lmnic_json *j, const char *key, int v);
void lmnic_json_null(struct lmnic_json *j, const char *key);
/*
 * The next value starts a new line, indented by INDENT spaces, after its
 * comma if it has one: a long document laid out a record per line.
 */
void lmnic_json_break(struct lmnic_json *j, int indent);
/* Ends a top-level value with a newline (one JSON document per line), flushed. */
void lmnic_json_end_line(struct lmnic_json *j);
/* Hands what the writer holds to its stream. */
void lmnic_json_flush(struct lmnic_json *j);

#endif
