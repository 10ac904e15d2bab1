// SPDX-License-Identifier: GPL-2.0
/* lmnic: register access, identification and reset */

#include <kunit/visibility.h>
#include <linux/bitfield.h>
#include <linux/iopoll.h>

#include "lmnic.h"
#include "lmnic_compat.h"

/*
 * Every MMIO read of the adapter goes through here. A dead or surprise
 * removed adapter reads as all ones; the magic register never does on a
 * live one, so one extra read tells the two apart. The adapter is marked
 * dead once and reported once.
 */
u32 lmnic_rd32(struct lmnic_dev *ld, u32 reg)
{
	u32 val;

	if (test_bit(LMNIC_F_DEAD, &ld->flags))
		return LMNIC_DEAD_READ;

	val = readl(ld->regs + reg);
	if (val != LMNIC_DEAD_READ || reg == LMNIC_REG_SCRATCH)
		return val;
	if (readl(ld->regs + LMNIC_REG_MAGIC) == LMNIC_MAGIC)
		return val;

	if (!test_and_set_bit(LMNIC_F_DEAD, &ld->flags))
		dev_err(lmnic_to_dev(ld),
			"adapter not responding: read of 0x%04x returned all ones\n",
			reg);
	return LMNIC_DEAD_READ;
}

void lmnic_wr32(struct lmnic_dev *ld, u32 reg, u32 val)
{
	if (!test_bit(LMNIC_F_DEAD, &ld->flags))
		writel(val, ld->regs + reg);
}

/**
 * lmnic_hw_check_id - decide whether the driver can run an adapter
 * @magic: value of LMNIC_REG_MAGIC
 * @version: value of LMNIC_REG_VERSION
 * @layout: value of LMNIC_REG_LAYOUT
 *
 * Return: 0 if supported, -ENODEV if the registers are not an lmnic
 * adapter's, -EOPNOTSUPP for a hardware major or layout version this
 * driver does not know.
 */
int lmnic_hw_check_id(u32 magic, u32 version, u32 layout)
{
	if (magic != LMNIC_MAGIC)
		return -ENODEV;
	if (FIELD_GET(LMNIC_VERSION_MAJOR, version) != LMNIC_HW_VERSION_MAJOR)
		return -EOPNOTSUPP;
	if (layout != LMNIC_LAYOUT_VERSION)
		return -EOPNOTSUPP;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(lmnic_hw_check_id);

int lmnic_hw_reset(struct lmnic_dev *ld)
{
	u32 status;
	int err;

	lmnic_wr32(ld, LMNIC_REG_CTRL, LMNIC_CTRL_RESET);
	err = read_poll_timeout(lmnic_rd32, status,
				status == LMNIC_DEAD_READ ||
				(status & LMNIC_STATUS_READY),
				10, LMNIC_RESET_TIMEOUT_US, false,
				ld, LMNIC_REG_STATUS);
	if (err)
		return err;
	if (status == LMNIC_DEAD_READ || (status & LMNIC_STATUS_FATAL))
		return -EIO;
	return 0;
}

/*
 * The adapter may still access memory a command could not take back (an
 * admin command timed out, or failed on a dead queue): a reset stops every
 * DMA it does. The recovery that follows sets it up again.
 */
void lmnic_hw_stop_dma(struct lmnic_dev *ld)
{
	if (test_bit(LMNIC_F_DEAD, &ld->flags) ||
	    test_and_set_bit(LMNIC_F_DMA_STOPPED, &ld->flags))
		return;		/* a dead or reset adapter does no DMA */
	dev_warn(lmnic_to_dev(ld), "resetting the adapter to stop its DMA\n");
	set_bit(LMNIC_F_AQ_DEAD, &ld->flags);	/* the reset disables the queue */
	lmnic_hw_reset(ld);
}

int lmnic_hw_init(struct lmnic_dev *ld)
{
	struct device *dev = lmnic_to_dev(ld);
	u32 magic, topo, mac_lo, mac_hi;
	int err;

	magic = lmnic_rd32(ld, LMNIC_REG_MAGIC);
	ld->hw_version = lmnic_rd32(ld, LMNIC_REG_VERSION);
	ld->layout_version = lmnic_rd32(ld, LMNIC_REG_LAYOUT);
	err = lmnic_hw_check_id(magic, ld->hw_version, ld->layout_version);
	if (err) {
		dev_err(dev, "unsupported adapter: magic 0x%08x version 0x%08x layout %u: %pe\n",
			magic, ld->hw_version, ld->layout_version, ERR_PTR(err));
		return err;
	}

	/* what the adapter can do and this driver knows of */
	ld->caps = lmnic_rd32(ld, LMNIC_REG_CAPS) & LMNIC_CAP_ALL;
	ld->serial = lmnic_rd32(ld, LMNIC_REG_SERIAL_LO) |
		     (u64)lmnic_rd32(ld, LMNIC_REG_SERIAL_HI) << 32;
	ld->state_size = lmnic_rd32(ld, LMNIC_REG_STATE_SIZE_LO) |
			 (u64)lmnic_rd32(ld, LMNIC_REG_STATE_SIZE_HI) << 32;
	topo = lmnic_rd32(ld, LMNIC_REG_TOPOLOGY);
	ld->num_vports = min_t(u32, FIELD_GET(LMNIC_TOPO_VPORTS, topo),
			       LMNIC_MAX_VPORTS);
	ld->max_qp = min_t(u32, FIELD_GET(LMNIC_TOPO_MAX_QP, topo), LMNIC_MAX_QP);
	ld->vport_block = lmnic_rd32(ld, LMNIC_REG_VPORT_BLOCK);
	if (ld->caps & LMNIC_CAP_CONN)
		ld->conn_capacity = lmnic_sm_conn_capacity(ld->vport_block);
	mac_lo = lmnic_rd32(ld, LMNIC_REG_MAC_LO);
	mac_hi = lmnic_rd32(ld, LMNIC_REG_MAC_HI);
	put_unaligned_le32(mac_lo, ld->base_mac);
	put_unaligned_le16(mac_hi, ld->base_mac + 4);

	if (!ld->num_vports || !ld->max_qp ||
	    ld->vport_block < LMNIC_SM_FIXED_END ||
	    LMNIC_SM_VPORT_BASE + (u64)ld->num_vports * ld->vport_block >
	    ld->state_size) {
		dev_err(dev, "inconsistent topology: %u vports, %u queue pairs, block %u, state memory %llu\n",
			ld->num_vports, ld->max_qp, ld->vport_block,
			ld->state_size);
		return -EINVAL;
	}

	err = lmnic_hw_reset(ld);
	if (err) {
		dev_err(dev, "adapter reset failed: %pe\n", ERR_PTR(err));
		return err;
	}
	return 0;
}

/* A 64-bit counter in state memory. */
u64 lmnic_sm_rd64(struct lmnic_dev *ld, const __le64 __iomem *p)
{
	if (test_bit(LMNIC_F_DEAD, &ld->flags))
		return 0;
	return readq(p);
}
