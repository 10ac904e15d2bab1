// SPDX-License-Identifier: GPL-2.0
/*
 * lmnic tools: the family's replies checked against the attribute tables
 * generated from its spec (lmnic_nl_policy.c), so that a tool and a driver
 * of other versions meet with a clear error, not a misread value.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "lmnic_nl.h"

const char *lmnic_nl_attr_name(const struct lmnic_nl_set *set, int attr,
			       char *buf, size_t len)
{
	if (attr > 0 && attr <= set->max && set->attr[attr].name)
		snprintf(buf, len, "%s.%s", set->name, set->attr[attr].name);
	else
		snprintf(buf, len, "%s.%d", set->name, attr);
	return buf;
}

/* Why attribute A does not fit P, or NULL. */
static const char *lmnic_nl_misfit(const struct lmnic_nl_attr *p,
				   const struct nlattr *a, char *buf, size_t len)
{
	int n = nla_len(a);

	if (p->type == LMNIC_NLT_PAD)
		return NULL;
	if (n < p->min_len || n > p->max_len) {
		if (p->min_len == p->max_len)
			snprintf(buf, len, "has %d bytes, not %u", n, p->min_len);
		else
			snprintf(buf, len, "has %d bytes, not %u to %u", n,
				 p->min_len, p->max_len);
		return buf;
	}
	if (p->type == LMNIC_NLT_STRING &&
	    ((const char *)nla_data(a))[n - 1] != '\0')
		return "is a string without its end";
	return NULL;
}

int lmnic_nl_parse(struct nl_msg *msg, struct nlattr **tb,
		   const struct lmnic_nl_set *set, char *why, size_t len)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct genlmsghdr *g;
	char name[64], detail[64];
	const char *bad;
	struct nlattr *a;
	int rem, type;

	memset(tb, 0, (set->max + 1) * sizeof(*tb));
	if (!genlmsg_valid_hdr(nlh, 0)) {
		snprintf(why, len, "a %s reply too short for its header",
			 set->name);
		return -EPROTO;
	}
	g = nlmsg_data(nlh);
	nla_for_each_attr(a, genlmsg_attrdata(g, 0), genlmsg_attrlen(g, 0),
			  rem) {
		type = nla_type(a);
		if (type <= 0 || type > set->max || !set->attr[type].type)
			continue;
		bad = lmnic_nl_misfit(&set->attr[type], a, detail,
				      sizeof(detail));
		if (bad) {
			snprintf(why, len, "attribute %s %s",
				 lmnic_nl_attr_name(set, type, name,
						    sizeof(name)), bad);
			return -EPROTO;
		}
		tb[type] = a;
	}
	if (rem > 0) {
		snprintf(why, len, "a %s reply with %d bytes after its last "
			 "attribute", set->name, rem);
		return -EPROTO;
	}
	return 0;
}
