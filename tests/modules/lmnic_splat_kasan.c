// SPDX-License-Identifier: GPL-2.0
/* Test only: one heap out-of-bounds read, for KASAN to report. */

#include <linux/module.h>
#include <linux/slab.h>

static int __init lmnic_splat_kasan_init(void)
{
	char *p;
	size_t n = 24;
	char c;

	p = kmalloc(n, GFP_KERNEL);
	if (!p)
		return -ENOMEM;
	OPTIMIZER_HIDE_VAR(n);
	c = READ_ONCE(p[n + 8]);
	kfree(p);
	pr_info("lmnic_splat_kasan: read %d past the end\n", c);
	return 0;
}

static void __exit lmnic_splat_kasan_exit(void)
{
}

module_init(lmnic_splat_kasan_init);
module_exit(lmnic_splat_kasan_exit);
MODULE_DESCRIPTION("lmnic test: trigger a KASAN report");
MODULE_LICENSE("GPL");
