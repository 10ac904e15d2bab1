// SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause)
/* Do not edit directly, auto-generated from: */
/*	Documentation/netlink/specs/lmnic.yaml */
/* YNL-GEN kernel source */

#include <net/netlink.h>
#include <net/genetlink.h>

#include "lmnic_nl_gen.h"

#include <uapi/linux/lmnic.h>

/* LMNIC_CMD_DEV_GET - do */
static const struct nla_policy lmnic_dev_get_do_nl_policy[LMNIC_A_DEV_VPORT + 1] = {
	[LMNIC_A_DEV_IFINDEX] = NLA_POLICY_MIN(NLA_U32, 1),
	[LMNIC_A_DEV_DEV_NAME] = { .type = NLA_NUL_STRING, .len = 31, },
	[LMNIC_A_DEV_VPORT] = NLA_POLICY_MAX(NLA_U32, 15),
};

/* LMNIC_CMD_DEV_GET - dump */
static const struct nla_policy lmnic_dev_get_dump_nl_policy[LMNIC_A_DEV_DEV_NAME + 1] = {
	[LMNIC_A_DEV_IFINDEX] = NLA_POLICY_MIN(NLA_U32, 1),
	[LMNIC_A_DEV_DEV_NAME] = { .type = NLA_NUL_STRING, .len = 31, },
};

/* LMNIC_CMD_CONN_ADD - do */
static const struct nla_policy lmnic_conn_add_nl_policy[LMNIC_A_CONN_MARK + 1] = {
	[LMNIC_A_CONN_IFINDEX] = NLA_POLICY_MIN(NLA_U32, 1),
	[LMNIC_A_CONN_DEV_NAME] = { .type = NLA_NUL_STRING, .len = 31, },
	[LMNIC_A_CONN_VPORT] = NLA_POLICY_MAX(NLA_U32, 15),
	[LMNIC_A_CONN_ID] = { .type = NLA_U32, },
	[LMNIC_A_CONN_FAMILY] = NLA_POLICY_RANGE(NLA_U8, 4, 6),
	[LMNIC_A_CONN_PROTO] = { .type = NLA_U8, },
	[LMNIC_A_CONN_SRC] = { .type = NLA_BINARY, },
	[LMNIC_A_CONN_DST] = { .type = NLA_BINARY, },
	[LMNIC_A_CONN_SPORT] = { .type = NLA_U16, },
	[LMNIC_A_CONN_DPORT] = { .type = NLA_U16, },
	[LMNIC_A_CONN_ACTIONS] = NLA_POLICY_MASK(NLA_U32, 0xf),
	[LMNIC_A_CONN_QUEUE] = NLA_POLICY_MAX(NLA_U32, 3),
	[LMNIC_A_CONN_MARK] = { .type = NLA_U32, },
};

/* LMNIC_CMD_CONN_DEL - do */
static const struct nla_policy lmnic_conn_del_nl_policy[LMNIC_A_CONN_ID + 1] = {
	[LMNIC_A_CONN_IFINDEX] = NLA_POLICY_MIN(NLA_U32, 1),
	[LMNIC_A_CONN_DEV_NAME] = { .type = NLA_NUL_STRING, .len = 31, },
	[LMNIC_A_CONN_VPORT] = NLA_POLICY_MAX(NLA_U32, 15),
	[LMNIC_A_CONN_ID] = { .type = NLA_U32, },
};

/* LMNIC_CMD_CONN_GET - dump */
static const struct nla_policy lmnic_conn_get_nl_policy[LMNIC_A_CONN_VPORT + 1] = {
	[LMNIC_A_CONN_IFINDEX] = NLA_POLICY_MIN(NLA_U32, 1),
	[LMNIC_A_CONN_DEV_NAME] = { .type = NLA_NUL_STRING, .len = 31, },
	[LMNIC_A_CONN_VPORT] = NLA_POLICY_MAX(NLA_U32, 15),
};

/* LMNIC_CMD_ERR_DUMP_GET - dump */
static const struct nla_policy lmnic_err_dump_get_nl_policy[LMNIC_A_ERR_DUMP_ID + 1] = {
	[LMNIC_A_ERR_DUMP_IFINDEX] = NLA_POLICY_MIN(NLA_U32, 1),
	[LMNIC_A_ERR_DUMP_DEV_NAME] = { .type = NLA_NUL_STRING, .len = 31, },
	[LMNIC_A_ERR_DUMP_ID] = { .type = NLA_U32, },
};

/* LMNIC_CMD_ERR_DUMP_CLEAR - do */
static const struct nla_policy lmnic_err_dump_clear_nl_policy[LMNIC_A_ERR_DUMP_ID + 1] = {
	[LMNIC_A_ERR_DUMP_IFINDEX] = NLA_POLICY_MIN(NLA_U32, 1),
	[LMNIC_A_ERR_DUMP_DEV_NAME] = { .type = NLA_NUL_STRING, .len = 31, },
	[LMNIC_A_ERR_DUMP_ID] = { .type = NLA_U32, },
};

/* LMNIC_CMD_VPORT_STATE_EXTRACT - dump */
static const struct nla_policy lmnic_vport_state_extract_nl_policy[LMNIC_A_MIG_PRECOPY + 1] = {
	[LMNIC_A_MIG_IFINDEX] = NLA_POLICY_MIN(NLA_U32, 1),
	[LMNIC_A_MIG_DEV_NAME] = { .type = NLA_NUL_STRING, .len = 31, },
	[LMNIC_A_MIG_VPORT] = NLA_POLICY_MAX(NLA_U32, 15),
	[LMNIC_A_MIG_PRECOPY] = { .type = NLA_FLAG, },
};

/* LMNIC_CMD_VPORT_STATE_RESTORE - do */
static const struct nla_policy lmnic_vport_state_restore_nl_policy[LMNIC_A_MIG_COMMIT + 1] = {
	[LMNIC_A_MIG_IFINDEX] = NLA_POLICY_MIN(NLA_U32, 1),
	[LMNIC_A_MIG_DEV_NAME] = { .type = NLA_NUL_STRING, .len = 31, },
	[LMNIC_A_MIG_VPORT] = NLA_POLICY_MAX(NLA_U32, 15),
	[LMNIC_A_MIG_OFFSET] = { .type = NLA_U64, },
	[LMNIC_A_MIG_DATA] = { .type = NLA_BINARY, },
	[LMNIC_A_MIG_COMMIT] = { .type = NLA_FLAG, },
};

/* LMNIC_CMD_VPORT_RESUME - do */
static const struct nla_policy lmnic_vport_resume_nl_policy[LMNIC_A_MIG_VPORT + 1] = {
	[LMNIC_A_MIG_IFINDEX] = NLA_POLICY_MIN(NLA_U32, 1),
	[LMNIC_A_MIG_DEV_NAME] = { .type = NLA_NUL_STRING, .len = 31, },
	[LMNIC_A_MIG_VPORT] = NLA_POLICY_MAX(NLA_U32, 15),
};

/* LMNIC_CMD_VPORT_ABORT - do */
static const struct nla_policy lmnic_vport_abort_nl_policy[LMNIC_A_MIG_VPORT + 1] = {
	[LMNIC_A_MIG_IFINDEX] = NLA_POLICY_MIN(NLA_U32, 1),
	[LMNIC_A_MIG_DEV_NAME] = { .type = NLA_NUL_STRING, .len = 31, },
	[LMNIC_A_MIG_VPORT] = NLA_POLICY_MAX(NLA_U32, 15),
};

/* LMNIC_CMD_VPORT_FINISH - do */
static const struct nla_policy lmnic_vport_finish_nl_policy[LMNIC_A_MIG_VPORT + 1] = {
	[LMNIC_A_MIG_IFINDEX] = NLA_POLICY_MIN(NLA_U32, 1),
	[LMNIC_A_MIG_DEV_NAME] = { .type = NLA_NUL_STRING, .len = 31, },
	[LMNIC_A_MIG_VPORT] = NLA_POLICY_MAX(NLA_U32, 15),
};

/* LMNIC_CMD_MIG_STATUS - do */
static const struct nla_policy lmnic_mig_status_nl_policy[LMNIC_A_MIG_WANT_DIRTY + 1] = {
	[LMNIC_A_MIG_IFINDEX] = NLA_POLICY_MIN(NLA_U32, 1),
	[LMNIC_A_MIG_DEV_NAME] = { .type = NLA_NUL_STRING, .len = 31, },
	[LMNIC_A_MIG_VPORT] = NLA_POLICY_MAX(NLA_U32, 15),
	[LMNIC_A_MIG_WANT_DIGEST] = { .type = NLA_FLAG, },
	[LMNIC_A_MIG_WANT_DIRTY] = { .type = NLA_FLAG, },
};

/* Ops table for lmnic */
const struct genl_split_ops lmnic_nl_ops[13] = {
	{
		.cmd		= LMNIC_CMD_DEV_GET,
		.doit		= lmnic_nl_dev_get_doit,
		.policy		= lmnic_dev_get_do_nl_policy,
		.maxattr	= LMNIC_A_DEV_VPORT,
		.flags		= GENL_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd		= LMNIC_CMD_DEV_GET,
		.dumpit		= lmnic_nl_dev_get_dumpit,
		.policy		= lmnic_dev_get_dump_nl_policy,
		.maxattr	= LMNIC_A_DEV_DEV_NAME,
		.flags		= GENL_ADMIN_PERM | GENL_CMD_CAP_DUMP,
	},
	{
		.cmd		= LMNIC_CMD_CONN_ADD,
		.doit		= lmnic_nl_conn_add_doit,
		.policy		= lmnic_conn_add_nl_policy,
		.maxattr	= LMNIC_A_CONN_MARK,
		.flags		= GENL_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd		= LMNIC_CMD_CONN_DEL,
		.doit		= lmnic_nl_conn_del_doit,
		.policy		= lmnic_conn_del_nl_policy,
		.maxattr	= LMNIC_A_CONN_ID,
		.flags		= GENL_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd		= LMNIC_CMD_CONN_GET,
		.dumpit		= lmnic_nl_conn_get_dumpit,
		.policy		= lmnic_conn_get_nl_policy,
		.maxattr	= LMNIC_A_CONN_VPORT,
		.flags		= GENL_ADMIN_PERM | GENL_CMD_CAP_DUMP,
	},
	{
		.cmd		= LMNIC_CMD_ERR_DUMP_GET,
		.dumpit		= lmnic_nl_err_dump_get_dumpit,
		.policy		= lmnic_err_dump_get_nl_policy,
		.maxattr	= LMNIC_A_ERR_DUMP_ID,
		.flags		= GENL_ADMIN_PERM | GENL_CMD_CAP_DUMP,
	},
	{
		.cmd		= LMNIC_CMD_ERR_DUMP_CLEAR,
		.doit		= lmnic_nl_err_dump_clear_doit,
		.policy		= lmnic_err_dump_clear_nl_policy,
		.maxattr	= LMNIC_A_ERR_DUMP_ID,
		.flags		= GENL_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd		= LMNIC_CMD_VPORT_STATE_EXTRACT,
		.dumpit		= lmnic_nl_vport_state_extract_dumpit,
		.policy		= lmnic_vport_state_extract_nl_policy,
		.maxattr	= LMNIC_A_MIG_PRECOPY,
		.flags		= GENL_ADMIN_PERM | GENL_CMD_CAP_DUMP,
	},
	{
		.cmd		= LMNIC_CMD_VPORT_STATE_RESTORE,
		.doit		= lmnic_nl_vport_state_restore_doit,
		.policy		= lmnic_vport_state_restore_nl_policy,
		.maxattr	= LMNIC_A_MIG_COMMIT,
		.flags		= GENL_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd		= LMNIC_CMD_VPORT_RESUME,
		.doit		= lmnic_nl_vport_resume_doit,
		.policy		= lmnic_vport_resume_nl_policy,
		.maxattr	= LMNIC_A_MIG_VPORT,
		.flags		= GENL_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd		= LMNIC_CMD_VPORT_ABORT,
		.doit		= lmnic_nl_vport_abort_doit,
		.policy		= lmnic_vport_abort_nl_policy,
		.maxattr	= LMNIC_A_MIG_VPORT,
		.flags		= GENL_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd		= LMNIC_CMD_VPORT_FINISH,
		.doit		= lmnic_nl_vport_finish_doit,
		.policy		= lmnic_vport_finish_nl_policy,
		.maxattr	= LMNIC_A_MIG_VPORT,
		.flags		= GENL_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
	{
		.cmd		= LMNIC_CMD_MIG_STATUS,
		.doit		= lmnic_nl_mig_status_doit,
		.policy		= lmnic_mig_status_nl_policy,
		.maxattr	= LMNIC_A_MIG_WANT_DIRTY,
		.flags		= GENL_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
};

static const struct genl_multicast_group lmnic_nl_mcgrps[] = {
	[LMNIC_NLGRP_ERRORS] = { "errors", },
};
