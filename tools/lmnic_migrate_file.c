// SPDX-License-Identifier: GPL-2.0
/*
 * lmnic-migrate save, load and check: the migration stream to and from a
 * file. save extracts the vport into a new file of its own and resumes
 * the vport (or leaves it stopped, --stop); load holds the file's header
 * against the vport as receive holds a HELLO, then restores and resumes;
 * check checks a file offline, all of it, without a vport.
 */
#define _GNU_SOURCE
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/lmnic.h>
#include <linux/lmnic_mig.h>

#include "lmnic_migrate.h"

#define FILE_MAX	(1ULL << 30)

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

int cmd_save(void)
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

int cmd_load(void)
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

		err = mig_status(&dd, MS_DIGEST);
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
int cmd_check(void)
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
