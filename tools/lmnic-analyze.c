// SPDX-License-Identifier: GPL-2.0
/*
 * lmnic-analyze: fetch an lmnic adapter's error dump, decode it and name a
 * diagnosis; or watch for adapter errors and keep each dump as a file.
 * See lmnic-analyze(8).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/lmnic.h>

#include "lmnic_cli.h"
#include "lmnic_dump.h"
#include "lmnic_nl.h"

#define TOOL "lmnic-analyze"

static void usage(int code)
{
	fprintf(code ? stderr : stdout,
		"usage: lmnic-analyze [--json] [--id N] [--save FILE] DEV\n"
		"       lmnic-analyze [--json] FILE\n"
		"       lmnic-analyze --watch DIR [--count N]\n"
		"       lmnic-analyze --clear [--id N] DEV\n"
		"       lmnic-analyze -h | --help | -V | --version\n"
		"DEV: a vport's netdev or the adapter's PCI address. Without --id,\n"
		"the newest dump. --watch saves every new dump in DIR, readable\n"
		"only by its owner. Exit: 0 decoded, 1 no dump or unreadable,\n"
		"2 usage. See lmnic-analyze(8).\n");
	exit(code);
}

struct fetch {
	uint8_t *buf;
	uint32_t size;
	uint32_t got;
	uint32_t id;
	int bad;
	char why[160];		/* a reply this tool cannot read */
};

static int fetch_cb(struct nl_msg *msg, void *arg)
{
	struct nlattr *tb[LMNIC_A_ERR_DUMP_MAX + 1];
	struct fetch *f = arg;
	uint32_t size, off, len;

	if (f->bad)
		return NL_OK;
	if (lmnic_nl_parse(msg, tb, &lmnic_nl_err_dump, f->why, sizeof(f->why))) {
		f->bad = 1;
		return NL_OK;
	}
	if (!tb[LMNIC_A_ERR_DUMP_SIZE] || !tb[LMNIC_A_ERR_DUMP_OFFSET] ||
	    !tb[LMNIC_A_ERR_DUMP_DATA] || !tb[LMNIC_A_ERR_DUMP_ID]) {
		snprintf(f->why, sizeof(f->why), "lacks its id, size, offset "
			 "or data");
		f->bad = 1;
		return NL_OK;
	}
	size = nla_get_u32(tb[LMNIC_A_ERR_DUMP_SIZE]);
	off = nla_get_u32(tb[LMNIC_A_ERR_DUMP_OFFSET]);
	len = nla_len(tb[LMNIC_A_ERR_DUMP_DATA]);
	if (!f->buf) {
		f->buf = calloc(1, size ? size : 1);
		f->size = size;
		f->id = nla_get_u32(tb[LMNIC_A_ERR_DUMP_ID]);
	}
	if (!f->buf || size != f->size || off != f->got || len > size - off) {
		f->bad = 1;
		return NL_OK;
	}
	memcpy(f->buf + off, nla_data(tb[LMNIC_A_ERR_DUMP_DATA]), len);
	f->got += len;
	return NL_OK;
}

/* The dump ID (0: newest) of DEV; DEV may be a PCI address of a gone adapter. */
static int fetch(struct lmnic_nl *nl, const char *dev, uint32_t id,
		 struct fetch *f)
{
	struct nl_msg *msg = lmnic_nl_msg(nl, LMNIC_CMD_ERR_DUMP_GET, NLM_F_DUMP);
	int err;

	memset(f, 0, sizeof(*f));
	if (lmnic_nl_put_dev(msg, dev, LMNIC_A_ERR_DUMP_IFINDEX,
			     LMNIC_A_ERR_DUMP_DEV_NAME, -1)) {
		fprintf(stderr, "lmnic-analyze: no device %s\n", dev);
		nlmsg_free(msg);
		return -ENODEV;
	}
	if (id)
		nla_put_u32(msg, LMNIC_A_ERR_DUMP_ID, id);
	err = lmnic_nl_run(nl, msg, fetch_cb, f);
	if (err) {
		fprintf(stderr, "lmnic-analyze: %s: %s%s%s\n", dev, strerror(-err),
			nl->err[0] ? ": " : "", nl->err);
	} else if (f->why[0]) {
		fprintf(stderr, "lmnic-analyze: %s: the driver's reply %s: a "
			"driver of another version?\n", dev, f->why);
		err = -EPROTO;
	} else if (f->bad || !f->buf || f->got != f->size) {
		fprintf(stderr, "lmnic-analyze: %s: dump arrived incomplete (%u of %u bytes)\n",
			dev, f->got, f->size);
		err = -EIO;
	}
	if (err) {
		free(f->buf);
		f->buf = NULL;
		return err;
	}
	return 0;
}

static int clear(struct lmnic_nl *nl, const char *dev, uint32_t id)
{
	struct nl_msg *msg = lmnic_nl_msg(nl, LMNIC_CMD_ERR_DUMP_CLEAR, 0);
	int err;

	if (lmnic_nl_put_dev(msg, dev, LMNIC_A_ERR_DUMP_IFINDEX,
			     LMNIC_A_ERR_DUMP_DEV_NAME, -1)) {
		fprintf(stderr, "lmnic-analyze: no device %s\n", dev);
		nlmsg_free(msg);
		return 1;
	}
	if (id)
		nla_put_u32(msg, LMNIC_A_ERR_DUMP_ID, id);
	err = lmnic_nl_run(nl, msg, NULL, NULL);
	if (err) {
		fprintf(stderr, "lmnic-analyze: %s: %s%s%s\n", dev, strerror(-err),
			nl->err[0] ? ": " : "", nl->err);
		return 1;
	}
	return 0;
}

static int save(const char *path, const uint8_t *buf, uint32_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	if (fd < 0 || fchmod(fd, 0600) || write(fd, buf, len) != (ssize_t)len ||
	    close(fd)) {
		fprintf(stderr, "lmnic-analyze: %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

static int analyze(const char *what, const uint8_t *buf, size_t len, int json)
{
	struct lmnic_dump_view v;
	char err[256];

	if (lmnic_dump_parse(buf, len, &v, err, sizeof(err))) {
		fprintf(stderr, "lmnic-analyze: %s: %s\n", what, err);
		return 1;
	}
	lmnic_dump_report(&v, stdout, json);
	return 0;
}

/* Map a dump file read-only: a dump can be hundreds of MiB. */
static int map_file(const char *path, uint8_t **buf, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	void *p;

	if (fd < 0 || fstat(fd, &st)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	*len = st.st_size;
	p = *len ? mmap(NULL, *len, PROT_READ, MAP_PRIVATE, fd, 0) : NULL;
	close(fd);
	if (p == MAP_FAILED)
		return -1;
	*buf = p;
	return 0;
}

struct watch {
	struct lmnic_nl *fetcher;
	const char *dir;
	int left;
};

static int watch_cb(struct nl_msg *msg, void *arg)
{
	struct nlattr *tb[LMNIC_A_ERR_DUMP_MAX + 1];
	struct watch *w = arg;
	char path[512], name[32], why[160] = "";
	struct fetch f;
	uint32_t id;
	int err;

	if (lmnic_nl_parse(msg, tb, &lmnic_nl_err_dump, why, sizeof(why)) ||
	    !tb[LMNIC_A_ERR_DUMP_DEV_NAME] || !tb[LMNIC_A_ERR_DUMP_ID]) {
		fprintf(stderr, "lmnic-analyze: an error notification this tool "
			"cannot read (%s): a driver of another version?\n",
			why[0] ? why : "no adapter name or dump id");
		return NL_OK;
	}
	snprintf(name, sizeof(name), "%s", nla_get_string(tb[LMNIC_A_ERR_DUMP_DEV_NAME]));
	id = nla_get_u32(tb[LMNIC_A_ERR_DUMP_ID]);
	err = fetch(w->fetcher, name, id, &f);
	if (err == -EPERM) {
		/* told of an error of a vport of this namespace; the dump,
		 * which holds every vport's state, is not its to read
		 */
		printf("%s dump %u: readable from the initial network namespace only\n",
		       name, id);
		fflush(stdout);
		if (w->left > 0)
			w->left--;
		return NL_OK;
	}
	if (err)
		return NL_OK;
	snprintf(path, sizeof(path), "%s/lmnic-%s-%u.dump", w->dir, name, id);
	if (!save(path, f.buf, f.size)) {
		printf("%s\n", path);
		fflush(stdout);
		if (w->left > 0)
			w->left--;
	}
	free(f.buf);
	return NL_OK;
}

static int watch(const char *dir, int count)
{
	struct lmnic_nl sub, fetcher;
	struct watch w = { .fetcher = &fetcher, .dir = dir, .left = count };
	int grp, err;

	if (lmnic_nl_open(&sub) || lmnic_nl_open(&fetcher)) {
		fprintf(stderr, "lmnic-analyze: no lmnic netlink family\n");
		return 1;
	}
	grp = genl_ctrl_resolve_grp(sub.sk, LMNIC_FAMILY_NAME, LMNIC_MCGRP_ERRORS);
	if (grp < 0) {
		fprintf(stderr, "lmnic-analyze: no errors group\n");
		return 1;
	}
	err = nl_socket_add_membership(sub.sk, grp);
	if (err) {
		fprintf(stderr, "lmnic-analyze: cannot join the errors group: %s\n",
			nl_geterror(err));
		return 1;
	}
	nl_socket_disable_seq_check(sub.sk);
	nl_socket_modify_cb(sub.sk, NL_CB_VALID, NL_CB_CUSTOM, watch_cb, &w);
	fprintf(stderr, "lmnic-analyze: watching for adapter errors\n");
	while (w.left != 0) {
		err = nl_recvmsgs_default(sub.sk);
		if (err < 0 && err != -NLE_INTR && err != -NLE_AGAIN) {
			fprintf(stderr, "lmnic-analyze: %s\n", nl_geterror(err));
			return 1;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "id", required_argument, NULL, 'i' },
		{ "save", required_argument, NULL, 's' },
		{ "watch", required_argument, NULL, 'w' },
		{ "count", required_argument, NULL, 'c' },
		{ "clear", no_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ }
	};
	const char *save_to = NULL, *watch_dir = NULL;
	int json = 0, count = -1, do_clear = 0, has_id = 0, c, rc;
	uint32_t id = 0, n;
	struct lmnic_nl nl;
	struct fetch f;
	struct stat st;
	uint8_t *buf;
	size_t len;

	setvbuf(stdout, NULL, _IOFBF, 1 << 20);
	while ((c = getopt_long(argc, argv, "ji:s:w:c:ChV", opts, NULL)) != -1) {
		switch (c) {
		case 'j': json = 1; break;
		case 'i':
			if (lmnic_cli_u32(TOOL, "--id", optarg, 0, 0, UINT32_MAX, &id))
				return LMNIC_EXIT_USAGE;
			has_id = 1;
			break;
		case 's': save_to = optarg; break;
		case 'w': watch_dir = optarg; break;
		case 'c':
			if (lmnic_cli_u32(TOOL, "--count", optarg, 10, 1, INT_MAX, &n))
				return LMNIC_EXIT_USAGE;
			count = n;
			break;
		case 'C': do_clear = 1; break;
		case 'h': usage(LMNIC_EXIT_OK); break;
		case 'V':
			lmnic_cli_version(TOOL);
			return LMNIC_EXIT_OK;
		default: usage(LMNIC_EXIT_USAGE);
		}
	}
	if (count >= 0 && !watch_dir) {
		fprintf(stderr, TOOL ": --count goes with --watch\n");
		return LMNIC_EXIT_USAGE;
	}
	if (watch_dir) {
		if (json || has_id || save_to || do_clear) {
			fprintf(stderr, TOOL ": --watch takes no --json, --id, --save or --clear\n");
			return LMNIC_EXIT_USAGE;
		}
		if (optind != argc)
			usage(LMNIC_EXIT_USAGE);
		/* where the dumps go: there before anything is watched */
		if (stat(watch_dir, &st)) {
			fprintf(stderr, TOOL ": %s: %s\n", watch_dir, strerror(errno));
			return LMNIC_EXIT_FAIL;
		}
		if (!S_ISDIR(st.st_mode)) {
			fprintf(stderr, TOOL ": %s: %s\n", watch_dir, strerror(ENOTDIR));
			return LMNIC_EXIT_FAIL;
		}
		return watch(watch_dir, count);
	}
	if (do_clear && (json || save_to)) {
		fprintf(stderr, TOOL ": --clear takes no --json or --save\n");
		return LMNIC_EXIT_USAGE;
	}
	if (optind != argc - 1)
		usage(LMNIC_EXIT_USAGE);

	if (!stat(argv[optind], &st) && S_ISREG(st.st_mode)) {
		if (has_id || save_to || do_clear) {
			fprintf(stderr, TOOL ": %s is a file: --id, --save and --clear are for a DEV\n",
				argv[optind]);
			return LMNIC_EXIT_USAGE;
		}
		if (map_file(argv[optind], &buf, &len)) {
			fprintf(stderr, "lmnic-analyze: %s: %s\n", argv[optind],
				strerror(errno));
			return LMNIC_EXIT_FAIL;
		}
		rc = analyze(argv[optind], buf, len, json);
		if (len)
			munmap(buf, len);
		return rc;
	}
	if (lmnic_cli_dev(TOOL, argv[optind]))
		return LMNIC_EXIT_USAGE;
	if (lmnic_nl_open(&nl)) {
		fprintf(stderr, "lmnic-analyze: no lmnic netlink family\n");
		return LMNIC_EXIT_FAIL;
	}
	if (do_clear) {
		rc = clear(&nl, argv[optind], id);
		lmnic_nl_close(&nl);
		return rc;
	}
	if (fetch(&nl, argv[optind], id, &f))
		return LMNIC_EXIT_FAIL;
	if (save_to && save(save_to, f.buf, f.size))
		return LMNIC_EXIT_FAIL;
	rc = analyze(argv[optind], f.buf, f.size, json);
	free(f.buf);
	lmnic_nl_close(&nl);
	return rc;
}
