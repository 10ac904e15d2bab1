// SPDX-License-Identifier: GPL-2.0
/* lmnic tools: what their command lines share (lmnic_cli.h). */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lmnic_cli.h"

void lmnic_cli_version(const char *tool)
{
	printf("%s (lmnic) %s\n", tool, LMNIC_VERSION);
}

int lmnic_cli_u32(const char *tool, const char *what, const char *s,
		  int base, uint32_t min, uint32_t max, uint32_t *v)
{
	unsigned long long n;
	char *end;

	/* strtoull alone would take blanks, a sign and "-1" as a huge number */
	if (isdigit((unsigned char)s[0])) {
		errno = 0;
		n = strtoull(s, &end, base);
		if (!errno && !*end && n >= min && n <= max) {
			*v = n;
			return 0;
		}
	}
	if (tool)
		fprintf(stderr, "%s: %s %s: not a number from %u to %u\n",
			tool, what, s, min, max);
	return -1;
}

int lmnic_cli_dev(const char *tool, const char *dev)
{
	const char *slash = strchr(dev, '/');
	uint32_t vport;

	if (!dev[0]) {
		fprintf(stderr, "%s: an empty device name\n", tool);
		return -1;
	}
	if (strchr(dev, ':') && slash &&
	    lmnic_cli_u32(NULL, NULL, slash + 1, 0, 0, UINT32_MAX, &vport)) {
		fprintf(stderr, "%s: %s: the vport after / is not a number from 0 to %u\n",
			tool, dev, UINT32_MAX);
		return -1;
	}
	return 0;
}
