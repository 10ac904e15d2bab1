/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause) */
/* Do not edit directly, auto-generated from: */
/*	Documentation/netlink/specs/lmnic.yaml */
/* YNL-GEN uapi header */

#ifndef _UAPI_LINUX_LMNIC_H
#define _UAPI_LINUX_LMNIC_H

#define LMNIC_FAMILY_NAME	"lmnic"
#define LMNIC_FAMILY_VERSION	1

/**
 * enum lmnic_conn_source - Who offloaded a connection.
 * @LMNIC_CONN_SOURCE_NETLINK: an application, through this family
 * @LMNIC_CONN_SOURCE_ETHTOOL: an administrator, with ethtool -N
 */
enum lmnic_conn_source {
	LMNIC_CONN_SOURCE_NETLINK = 1,
	LMNIC_CONN_SOURCE_ETHTOOL,
};

/**
 * enum lmnic_conn_action - What the adapter does with a frame of the
 *   connection.
 */
enum lmnic_conn_action {
	LMNIC_CONN_ACTION_STEER = 1,
	LMNIC_CONN_ACTION_DROP = 2,
	LMNIC_CONN_ACTION_MARK = 4,
	LMNIC_CONN_ACTION_COUNT = 8,
};

/**
 * enum lmnic_err_reason - How the driver learnt of an adapter error.
 * @LMNIC_ERR_REASON_PARITY: the adapter found a connection entry failing its
 *   check
 * @LMNIC_ERR_REASON_DMA_FAULT: a queue's DMA faulted
 * @LMNIC_ERR_REASON_FATAL: the adapter reported a firmware-fatal error
 * @LMNIC_ERR_REASON_TX_TIMEOUT: a transmit queue made no progress
 * @LMNIC_ERR_REASON_DEAD: register reads return all ones
 * @LMNIC_ERR_REASON_PCI_ERROR: the PCI core reported an error (AER)
 * @LMNIC_ERR_REASON_REMOVED: the adapter was surprise removed
 * @LMNIC_ERR_REASON_AQ_TIMEOUT: an admin command did not complete; the admin
 *   queue is reset
 */
enum lmnic_err_reason {
	LMNIC_ERR_REASON_PARITY = 1,
	LMNIC_ERR_REASON_DMA_FAULT,
	LMNIC_ERR_REASON_FATAL,
	LMNIC_ERR_REASON_TX_TIMEOUT,
	LMNIC_ERR_REASON_DEAD,
	LMNIC_ERR_REASON_PCI_ERROR,
	LMNIC_ERR_REASON_REMOVED,
	LMNIC_ERR_REASON_AQ_TIMEOUT,
};

/**
 * enum lmnic_mig_state - Where a vport is in a migration.
 * @LMNIC_MIG_STATE_RUNNING: carrying traffic
 * @LMNIC_MIG_STATE_QUIESCED: stopped by vport-state-extract, state unchanged
 *   since
 * @LMNIC_MIG_STATE_FINISHED: extracted and handed over; stays stopped
 * @LMNIC_MIG_STATE_RESTORING: receiving a stream through vport-state-restore
 * @LMNIC_MIG_STATE_LOADED: a restored state is in the block, waiting for
 *   vport-resume
 * @LMNIC_MIG_STATE_DISABLED: the vport's netdev is down and nothing is
 *   migrating
 * @LMNIC_MIG_STATE_PRECOPY: a pre-copy image was extracted; the vport still
 *   runs, and the next vport-state-extract quiesces it and gives what changed
 *   since
 */
enum lmnic_mig_state {
	LMNIC_MIG_STATE_RUNNING,
	LMNIC_MIG_STATE_QUIESCED,
	LMNIC_MIG_STATE_FINISHED,
	LMNIC_MIG_STATE_RESTORING,
	LMNIC_MIG_STATE_LOADED,
	LMNIC_MIG_STATE_DISABLED,
	LMNIC_MIG_STATE_PRECOPY,
};

enum {
	LMNIC_A_DEV_IFINDEX = 1,
	LMNIC_A_DEV_DEV_NAME,
	LMNIC_A_DEV_VPORT,
	LMNIC_A_DEV_SERIAL,
	LMNIC_A_DEV_HW_VERSION,
	LMNIC_A_DEV_LAYOUT_VERSION,
	LMNIC_A_DEV_VPORTS,
	LMNIC_A_DEV_STATE_SIZE,
	LMNIC_A_DEV_VPORT_STATE_SIZE,
	LMNIC_A_DEV_CONN_CAPACITY,
	LMNIC_A_DEV_CONN_MAX,
	LMNIC_A_DEV_CONN_COUNT,
	LMNIC_A_DEV_DEAD,
	LMNIC_A_DEV_ERR_DUMPS,
	LMNIC_A_DEV_CAPS,
	LMNIC_A_DEV_PAD,

	__LMNIC_A_DEV_MAX,
	LMNIC_A_DEV_MAX = (__LMNIC_A_DEV_MAX - 1)
};

enum {
	LMNIC_A_CONN_IFINDEX = 1,
	LMNIC_A_CONN_DEV_NAME,
	LMNIC_A_CONN_VPORT,
	LMNIC_A_CONN_ID,
	LMNIC_A_CONN_FAMILY,
	LMNIC_A_CONN_PROTO,
	LMNIC_A_CONN_SRC,
	LMNIC_A_CONN_DST,
	LMNIC_A_CONN_SPORT,
	LMNIC_A_CONN_DPORT,
	LMNIC_A_CONN_ACTIONS,
	LMNIC_A_CONN_QUEUE,
	LMNIC_A_CONN_MARK,
	LMNIC_A_CONN_SOURCE,
	LMNIC_A_CONN_OWNER_PID,
	LMNIC_A_CONN_OWNER_COMM,
	LMNIC_A_CONN_PACKETS,
	LMNIC_A_CONN_BYTES,
	LMNIC_A_CONN_LAST_HIT_NS,
	LMNIC_A_CONN_CREATED_NS,
	LMNIC_A_CONN_PAD,

	__LMNIC_A_CONN_MAX,
	LMNIC_A_CONN_MAX = (__LMNIC_A_CONN_MAX - 1)
};

enum {
	LMNIC_A_ERR_DUMP_IFINDEX = 1,
	LMNIC_A_ERR_DUMP_DEV_NAME,
	LMNIC_A_ERR_DUMP_ID,
	LMNIC_A_ERR_DUMP_REASON,
	LMNIC_A_ERR_DUMP_TIME,
	LMNIC_A_ERR_DUMP_SIZE,
	LMNIC_A_ERR_DUMP_OFFSET,
	LMNIC_A_ERR_DUMP_DATA,
	LMNIC_A_ERR_DUMP_PAD,

	__LMNIC_A_ERR_DUMP_MAX,
	LMNIC_A_ERR_DUMP_MAX = (__LMNIC_A_ERR_DUMP_MAX - 1)
};

enum {
	LMNIC_A_MIG_IFINDEX = 1,
	LMNIC_A_MIG_DEV_NAME,
	LMNIC_A_MIG_VPORT,
	LMNIC_A_MIG_STATE,
	LMNIC_A_MIG_OFFSET,
	LMNIC_A_MIG_DATA,
	LMNIC_A_MIG_STREAM_SIZE,
	LMNIC_A_MIG_COMMIT,
	LMNIC_A_MIG_LAYOUT_VERSION,
	LMNIC_A_MIG_CAPS,
	LMNIC_A_MIG_VPORT_STATE_SIZE,
	LMNIC_A_MIG_CONN_CAPACITY,
	LMNIC_A_MIG_CONN_MAX,
	LMNIC_A_MIG_CONN_COUNT,
	LMNIC_A_MIG_MAC,
	LMNIC_A_MIG_MTU,
	LMNIC_A_MIG_QUEUES,
	LMNIC_A_MIG_WANT_DIGEST,
	LMNIC_A_MIG_DIGEST,
	LMNIC_A_MIG_IMAGE_SHA256,
	LMNIC_A_MIG_OWNER_PID,
	LMNIC_A_MIG_QUIESCE_NS,
	LMNIC_A_MIG_SAVE_NS,
	LMNIC_A_MIG_LOAD_NS,
	LMNIC_A_MIG_PAD,
	LMNIC_A_MIG_PRECOPY,

	__LMNIC_A_MIG_MAX,
	LMNIC_A_MIG_MAX = (__LMNIC_A_MIG_MAX - 1)
};

enum {
	LMNIC_CMD_DEV_GET = 1,
	LMNIC_CMD_CONN_ADD,
	LMNIC_CMD_CONN_DEL,
	LMNIC_CMD_CONN_GET,
	LMNIC_CMD_ERR_DUMP_GET,
	LMNIC_CMD_ERR_DUMP_CLEAR,
	LMNIC_CMD_ERR_NOTIFY,
	LMNIC_CMD_VPORT_STATE_EXTRACT,
	LMNIC_CMD_VPORT_STATE_RESTORE,
	LMNIC_CMD_VPORT_RESUME,
	LMNIC_CMD_VPORT_ABORT,
	LMNIC_CMD_VPORT_FINISH,
	LMNIC_CMD_MIG_STATUS,

	__LMNIC_CMD_MAX,
	LMNIC_CMD_MAX = (__LMNIC_CMD_MAX - 1)
};

#define LMNIC_MCGRP_ERRORS	"errors"

#endif /* _UAPI_LINUX_LMNIC_H */
