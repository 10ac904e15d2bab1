/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause) */
/*
 * lmnic userspace ABI: the "lmnic" generic netlink family.
 *
 * Documentation/netlink/specs/lmnic.yaml is the source of truth of the
 * family; its commands and attributes are added here as they are defined.
 */
#ifndef _UAPI_LINUX_LMNIC_H
#define _UAPI_LINUX_LMNIC_H

#define LMNIC_FAMILY_NAME	"lmnic"
#define LMNIC_FAMILY_VERSION	1

#endif /* _UAPI_LINUX_LMNIC_H */
