// SPDX-License-Identifier: GPL-2.0
/*
 * lmnic-migrate: the stream checker, for lmnic-migrate check. The driver's
 * own stream parser (lmnic_stream.c, built for the host) takes the stream
 * with the records' CRC-32C checked too, and the records it emits go into
 * a SHA-256 that must match the trailer's.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "lmnic_migrate.h"

/* ---- the stream checker: parser + SHA-256 of the records ---------------- */
static int check_emit(void *priv, const void *data, __u32 len)
{
	struct checker *c = priv;

	return EVP_DigestUpdate(c->md, data, len) == 1 ? 0 : -ENOMEM;
}

/* Everything, the records' CRC-32C and the SHA-256 too, against WANT. */
int checker_init(struct checker *c, struct lmnic_stream_want want)
{
	want.rec_crc = true;
	c->md = EVP_MD_CTX_new();
	if (!c->md || EVP_DigestInit_ex(c->md, EVP_sha256(), NULL) != 1)
		return -ENOMEM;
	lmnic_stream_init(&c->st, &want, check_emit, c);
	return 0;
}

void checker_free(struct checker *c)
{
	EVP_MD_CTX_free(c->md);
	c->md = NULL;
}

/* The stream ended: everything there and the trailer's SHA-256 right? */
int checker_finish(struct checker *c, char *why, size_t whylen)
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
