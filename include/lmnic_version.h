/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lmnic's version: the one string of the project. The tools print it
 * (--version); the driver may give it as its MODULE_VERSION.
 */
#ifndef _LMNIC_VERSION_H
#define _LMNIC_VERSION_H

#define LMNIC_VERSION "1.0.0"

#endif
