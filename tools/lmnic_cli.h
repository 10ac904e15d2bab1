/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lmnic tools: what their command lines share: --version, the exit status
 * of lmnic-analyze and lmnic-conn, numbers and device names checked before
 * anything is sent to the lmnic family.
 */
#ifndef LMNIC_TOOLS_CLI_H
#define LMNIC_TOOLS_CLI_H

#include <stdint.h>

#include <lmnic_version.h>

/*
 * The exit status of lmnic-analyze and lmnic-conn (EXIT STATUS in their
 * man pages); lmnic-migrate has its own (lmnic_migrate.h).
 */
enum {
	LMNIC_EXIT_OK		= 0,
	LMNIC_EXIT_FAIL		= 1,	/* the operation failed */
	LMNIC_EXIT_USAGE	= 2,	/* a bad command line: nothing was done */
};

/* "TOOL (lmnic) VERSION" on standard output. */
void lmnic_cli_version(const char *tool);

/*
 * S as a number from MIN to MAX, in BASE (10, or 0: also 0x hexadecimal
 * and 0 octal): digits only, no sign, no blanks, nothing after them, no
 * overflow. Returns 0, or -1 with *V untouched; with TOOL, also says
 * "TOOL: WHAT S: not a number from MIN to MAX" on standard error.
 */
int lmnic_cli_u32(const char *tool, const char *what, const char *s,
		  int base, uint32_t min, uint32_t max, uint32_t *v);

/*
 * Check the form of a device argument before it is used: a PCI address
 * with a vport ("0000:00:01.0/2") needs a number as the vport. Netdev
 * names are looked up later. Returns 0, or -1 with a message (TOOL: ...)
 * on standard error.
 */
int lmnic_cli_dev(const char *tool, const char *dev);

#endif
