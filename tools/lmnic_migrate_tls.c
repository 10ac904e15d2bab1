// SPDX-License-Identifier: GPL-2.0
/*
 * lmnic-migrate: the connection between the agents. TCP, and over it TLS
 * 1.3 only, authenticated with an external PSK (--psk-file, its identity
 * bound to the source's role) or with mutual certificates (--cert --key
 * --ca); plaintext with --insecure. Reads and writes are whole, with the
 * --timeout deadline, and stop at a signal.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "lmnic_migrate.h"

/* ---- connections: TCP and TLS 1.3 --------------------------------------- */
uint8_t psk_key[256];
size_t psk_len;

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
int load_psk(const char *path)
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

/*
 * The cipher suites in order of preference: AES-GCM first on a CPU with
 * AES and carry-less multiply instructions, ChaCha20-Poly1305 first on one
 * without, where it is several times faster than AES in software. The
 * source (the client) offers its order and the destination takes it: the
 * source's CPU encrypts the stream. An external PSK is bound to SHA-256,
 * so the SHA-384 suite is offered with certificates only.
 */
static const char *tls_suites(void)
{
	int aes = 0;

#if defined(__x86_64__) || defined(__i386__)
	__builtin_cpu_init();
	aes = __builtin_cpu_supports("aes") && __builtin_cpu_supports("pclmul");
#else
	aes = 1;	/* elsewhere, OpenSSL's own order */
#endif
	if (o.psk_file)
		return aes ? "TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256" :
			     "TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256";
	return aes ? "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:"
		     "TLS_CHACHA20_POLY1305_SHA256" :
		     "TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256:"
		     "TLS_AES_256_GCM_SHA384";
}

SSL_CTX *tls_ctx(int server)
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
	if (!SSL_CTX_set_ciphersuites(ctx, tls_suites()))
		goto fail;
	if (o.psk_file) {
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
int wait_fd(int fd, short ev, double deadline)
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

double deadline(void)
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

int conn_write(struct conn *c, const void *buf, size_t len)
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
int conn_read(struct conn *c, void *buf, size_t len, double dl)
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

int tls_handshake(struct conn *c, SSL_CTX *ctx, int server,
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
	R.cipher = SSL_CIPHER_get_name(SSL_get_current_cipher(c->ssl));
	return 0;
}

void conn_close(struct conn *c)
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

/* The kernel's smoothed round-trip time of C's TCP connection; -1: none. */
double conn_rtt_ms(const struct conn *c)
{
	struct tcp_info ti;
	socklen_t l = sizeof(ti);

	if (c->fd < 0 || getsockopt(c->fd, IPPROTO_TCP, TCP_INFO, &ti, &l) ||
	    l < offsetof(struct tcp_info, tcpi_rttvar))
		return -1;
	return ti.tcpi_rtt / 1e3;
}

/* Split "HOST:PORT" / "[V6]:PORT" / "PORT" (HOST NULL then). */
int split_hostport(const char *s, char *host, size_t hlen, char *port,
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

int tcp_connect(struct conn *c, const char *host, const char *port)
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

int tcp_listen(const char *spec)
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
