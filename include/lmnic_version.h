/* SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause) */
/*
 * lmnic's release: the driver's MODULE_VERSION, what the tools print for
 * --version, and the version dkms.conf and debian/changelog carry
 * (tests/test_packaging.py checks they agree). Not the adapter's
 * LMNIC_REG_VERSION (lmnic_hw.h).
 */
#ifndef _LMNIC_VERSION_H
#define _LMNIC_VERSION_H

#define LMNIC_VERSION	"1.0.0"

#endif /* _LMNIC_VERSION_H */
