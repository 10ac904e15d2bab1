/* SPDX-License-Identifier: GPL-2.0 */
/* lmnic: driver-wide definitions */
#ifndef _LMNIC_H_
#define _LMNIC_H_

#include <linux/bitops.h>
#include <linux/io.h>
#include <linux/pci.h>
#include <linux/types.h>

#include <lmnic_hw.h>

#define LMNIC_DRV_NAME		"lmnic"
#define LMNIC_RESET_TIMEOUT_US	100000

/* lmnic_dev.flags */
enum {
	LMNIC_F_DEAD,		/* MMIO reads return all ones */
};

/* One per adapter; the private data of its devlink instance. */
struct lmnic_dev {
	struct pci_dev *pdev;
	u8 __iomem *regs;	/* BAR0 */
	unsigned long flags;	/* LMNIC_F_*, atomic bitops */

	/* read from the adapter at probe, constant afterwards */
	u32 hw_version;
	u32 layout_version;
	u32 caps;
	u64 serial;
	u64 state_size;
};

static inline struct device *lmnic_to_dev(struct lmnic_dev *ld)
{
	return &ld->pdev->dev;
}

u32 lmnic_rd32(struct lmnic_dev *ld, u32 reg);
void lmnic_wr32(struct lmnic_dev *ld, u32 reg, u32 val);
int lmnic_hw_check_id(u32 magic, u32 version, u32 layout);
int lmnic_hw_init(struct lmnic_dev *ld);
int lmnic_hw_reset(struct lmnic_dev *ld);

int lmnic_devlink_register(struct lmnic_dev *ld);
void lmnic_devlink_unregister(struct lmnic_dev *ld);
struct lmnic_dev *lmnic_devlink_alloc(struct device *dev);
void lmnic_devlink_free(struct lmnic_dev *ld);

#endif /* _LMNIC_H_ */
