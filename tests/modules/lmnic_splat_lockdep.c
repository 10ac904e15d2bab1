// SPDX-License-Identifier: GPL-2.0
/*
 * Test only: take two locks in both orders, one after the other, so lockdep
 * reports a possible circular locking dependency without a real deadlock.
 */

#include <linux/module.h>
#include <linux/mutex.h>

static DEFINE_MUTEX(lmnic_splat_a);
static DEFINE_MUTEX(lmnic_splat_b);

static int __init lmnic_splat_lockdep_init(void)
{
	mutex_lock(&lmnic_splat_a);
	mutex_lock(&lmnic_splat_b);
	mutex_unlock(&lmnic_splat_b);
	mutex_unlock(&lmnic_splat_a);

	mutex_lock(&lmnic_splat_b);
	mutex_lock(&lmnic_splat_a);
	mutex_unlock(&lmnic_splat_a);
	mutex_unlock(&lmnic_splat_b);
	return 0;
}

static void __exit lmnic_splat_lockdep_exit(void)
{
}

module_init(lmnic_splat_lockdep_init);
module_exit(lmnic_splat_lockdep_exit);
MODULE_DESCRIPTION("lmnic test: trigger a lockdep report");
MODULE_LICENSE("GPL");
