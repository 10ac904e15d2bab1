/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lmnic: differences between the kernels lmnic supports (6.1 .. 6.12).
 * The Makefile probes the kernel's headers and defines LMNIC_HAVE_*.
 */
#ifndef _LMNIC_COMPAT_H_
#define _LMNIC_COMPAT_H_

#include <linux/ethtool.h>
#include <linux/string.h>

#ifdef LMNIC_HAVE_LINUX_UNALIGNED
#include <linux/unaligned.h>
#else
#include <asm/unaligned.h>
#endif

#ifndef LMNIC_HAVE_ETHTOOL_PUTS
static inline void ethtool_puts(u8 **data, const char *str)
{
	strscpy(*data, str, ETH_GSTRING_LEN);
	*data += ETH_GSTRING_LEN;
}
#endif

#endif /* _LMNIC_COMPAT_H_ */
