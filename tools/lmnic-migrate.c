// SPDX-License-Identifier: GPL-2.0
/*
 * lmnic-migrate: live migration of an lmnic vport's adapter state between
 * two hosts (send/receive over TLS 1.3), to and from a file (save/load),
 * and the vport's migration status. See lmnic-migrate(8).
 *
 * The source holds the migration through one netlink socket from the
 * extract to the end: if this process dies, the kernel resumes the source
 * vport unchanged. The destination holds its restore the same way.
 *
 * This file holds the command line and the commands on the vport alone
 * (status, resume, abort); lmnic_migrate.h names the agent's other parts.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include <linux/lmnic.h>

#include "lmnic_cli.h"
#include "lmnic_migrate.h"

/* ---- options ------------------------------------------------------------ */
struct opts o = { .psk_identity = PSK_IDENTITY, .timeout = 30, .precopy = 1,
		  .switchover_timeout = 300, .max_downtime = 50,
		  .max_rounds = 10 };

volatile sig_atomic_t got_signal;

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
		struct event e;

		ev_begin(&e, "status");
		ev_str(&e, "dev", o.dev);
		ev_add(&e, ",\"state\":\"%s\",\"layout_version\":%u,\"caps\":%u,"
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
			ev_add(&e, ",\"digest\":\"%s\"", h);
		}
		if (s.has_image) {
			hex(h, s.image_sha, 32);
			ev_add(&e, ",\"image_sha256\":\"%s\"", h);
		}
		ev_end(&e);
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
		"                          [--no-precopy] [--max-downtime MS] [--max-rounds N]\n"
		"                          [--if-not-converged=switchover|wait|abort]\n"
		"                          [--switchover=auto|wait]\n"
		"                          [--switchover-timeout SEC] [--control PATH]\n"
		"       lmnic-migrate receive DEV --listen [ADDR:]PORT CREDS [--verify] [--timeout SEC]\n"
		"                             [--accept-timeout SEC]\n"
		"       lmnic-migrate save DEV -o FILE [--stop]\n"
		"       lmnic-migrate load DEV -i FILE [--verify]\n"
		"       lmnic-migrate check -i FILE\n"
		"       lmnic-migrate status DEV [--digest]\n"
		"       lmnic-migrate resume DEV | abort DEV\n"
		"       lmnic-migrate -h | --help | -V | --version\n"
		"CREDS: [--psk-file FILE] [--psk-identity ID] (the key: " DEFAULT_PSK_FILE ")\n"
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
		{ "switchover", required_argument, NULL, 'S' },
		{ "switchover-timeout", required_argument, NULL, 'W' },
		{ "control", required_argument, NULL, 'c' },
		{ "max-downtime", required_argument, NULL, 'D' },
		{ "max-rounds", required_argument, NULL, 'R' },
		{ "if-not-converged", required_argument, NULL, 'U' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct sigaction sa = { .sa_handler = on_signal };	/* no SA_RESTART */
	int c, err, net, code, switchover = 0, sw_timeout = 0, rounds = 0;
	char *end;

	t_start = now_ms();
	if (argc < 2)
		usage(EX_LOCAL);
	o.cmd = argv[1];
	if (!strcmp(o.cmd, "-h") || !strcmp(o.cmd, "--help") ||
	    !strcmp(o.cmd, "help"))
		usage(EX_OK);
	if (!strcmp(o.cmd, "-V") || !strcmp(o.cmd, "--version")) {
		lmnic_cli_version("lmnic-migrate");
		return EX_OK;
	}
	optind = 2;
	while ((c = getopt_long(argc, argv, "o:i:hV", lo, NULL)) != -1) {
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
		case 'S':
			if (strcmp(optarg, "auto") && strcmp(optarg, "wait")) {
				error("--switchover %s: auto or wait", optarg);
				return EX_LOCAL;
			}
			o.switchover_wait = !strcmp(optarg, "wait");
			switchover = 1;
			break;
		case 'W':
			o.switchover_timeout = strtol(optarg, &end, 10);
			if (*end || o.switchover_timeout <= 0 ||
			    o.switchover_timeout > 86400) {
				error("--switchover-timeout %s: seconds, 1 to 86400",
				      optarg);
				return EX_LOCAL;
			}
			sw_timeout = 1;
			break;
		case 'c': o.control = optarg; break;
		case 'D':
			o.max_downtime = strtol(optarg, &end, 10);
			if (*end || !*optarg || o.max_downtime < 0 ||
			    o.max_downtime > 86400000) {
				error("--max-downtime %s: milliseconds, 0 to "
				      "86400000", optarg);
				return EX_LOCAL;
			}
			rounds = 1;
			break;
		case 'R':
			o.max_rounds = strtol(optarg, &end, 10);
			if (*end || !*optarg || o.max_rounds < 0 ||
			    o.max_rounds > 1000) {
				error("--max-rounds %s: 0 to 1000", optarg);
				return EX_LOCAL;
			}
			rounds = 1;
			break;
		case 'U':
			if (!strcmp(optarg, "switchover")) {
				o.not_converged = NC_SWITCHOVER;
			} else if (!strcmp(optarg, "wait")) {
				o.not_converged = NC_WAIT;
			} else if (!strcmp(optarg, "abort")) {
				o.not_converged = NC_ABORT;
			} else {
				error("--if-not-converged %s: switchover, wait "
				      "or abort", optarg);
				return EX_LOCAL;
			}
			rounds = 1;
			break;
		case 'h': usage(EX_OK); break;
		case 'V':
			lmnic_cli_version("lmnic-migrate");
			return EX_OK;
		default: usage(EX_LOCAL);
		}
	}
	if (!strcmp(o.cmd, "check")) {
		if (optind != argc || !o.file) {
			error("check: -i FILE, and no DEV");
			usage(EX_LOCAL);
		}
		if (o.to || o.listen || o.stop || o.digest || o.verify ||
		    !o.precopy || switchover || sw_timeout || o.control ||
		    rounds ||
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
	    ((switchover || sw_timeout || o.control || rounds) &&
	     strcmp(o.cmd, "send")) ||
	    (o.accept_timeout && strcmp(o.cmd, "receive")) ||
	    (!net && (o.psk_file || o.cert || o.key || o.ca || o.insecure ||
		      o.peer_name))) {
		error("%s: an option that does not apply to it", o.cmd);
		return EX_LOCAL;
	}
	if ((sw_timeout || o.control) && !o.switchover_wait &&
	    o.not_converged != NC_WAIT) {
		error("--switchover-timeout and --control go with --switchover=wait "
		      "or --if-not-converged=wait");
		return EX_LOCAL;
	}
	if (rounds && !o.precopy) {
		error("--max-downtime, --max-rounds and --if-not-converged go "
		      "with a pre-copy: not with --no-precopy");
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
			/* the key both hosts hold, where none is named */
			const char *def = getenv("LMNIC_MIGRATE_PSK_FILE");

			if (!def || !*def)
				def = DEFAULT_PSK_FILE;
			if (access(def, F_OK)) {
				error("no credentials: no key %s; give --psk-file "
				      "FILE or --cert, --key and --ca (or --insecure "
				      "for plaintext TCP on a loopback address)",
				      def);
				return EX_LOCAL;
			}
			o.psk_file = def;
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

	if (o.control && ctl_open())
		return EX_LOCAL;
	err = lmnic_nl_open(&nl);
	if (err) {
		error("the lmnic netlink family: %s%s", strerror(-err),
		      err == -ENOENT ? " (is the lmnic driver loaded?)" : "");
		code = o.json ? result(EX_LOCAL) : EX_LOCAL;
		ctl_close();
		return code;
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
	ctl_close();
	/* closing the socket last: it holds the migration until here */
	lmnic_nl_close(&nl);
	OPENSSL_cleanse(psk_key, sizeof(psk_key));
	return code;
}
