// SPDX-License-Identifier: GPL-2.0
/* lmnic: admin queue, the one path of every control command */

#include <kunit/visibility.h>
#include <linux/dma-mapping.h>
#include <linux/iopoll.h>
#include <linux/moduleparam.h>

#include "lmnic.h"

static unsigned int aq_long_timeout_ms = LMNIC_AQ_LONG_TIMEOUT_US / 1000;
module_param(aq_long_timeout_ms, uint, 0644);
MODULE_PARM_DESC(aq_long_timeout_ms,
		 "How long a command that walks a whole image or table may take, ms (default 60000)");

/**
 * lmnic_aq_status_to_errno - the one mapping of adapter status to errno
 * @status: enum lmnic_aq_status from a completed admin descriptor
 *
 * Return: 0 or a negative errno; an unknown status is -EIO.
 */
int lmnic_aq_status_to_errno(u16 status)
{
	switch (status) {
	case LMNIC_AQS_OK:
		return 0;
	case LMNIC_AQS_EINVAL:
		return -EINVAL;
	case LMNIC_AQS_ENOENT:
		return -ENOENT;
	case LMNIC_AQS_EBUSY:
		return -EBUSY;
	case LMNIC_AQS_ENOSPC:
		return -ENOSPC;
	case LMNIC_AQS_EOPNOTSUPP:
		return -EOPNOTSUPP;
	case LMNIC_AQS_EEXIST:
		return -EEXIST;
	case LMNIC_AQS_EBADIMAGE:
		return -EBADMSG;
	case LMNIC_AQS_EVERSION:
		return -EPROTO;
	case LMNIC_AQS_EIO:
	default:
		return -EIO;
	}
}
EXPORT_SYMBOL_IF_KUNIT(lmnic_aq_status_to_errno);

int lmnic_aq_init(struct lmnic_dev *ld)
{
	struct device *dev = lmnic_to_dev(ld);

	mutex_init(&ld->aq_lock);
	INIT_LIST_HEAD(&ld->aq_held);
	ld->aq = dma_alloc_coherent(dev, LMNIC_AQ_LEN * sizeof(*ld->aq),
				    &ld->aq_dma, GFP_KERNEL);
	if (!ld->aq)
		goto err_destroy_lock;
	ld->aq_buf = dma_alloc_coherent(dev, LMNIC_AQ_BUF_SIZE,
					&ld->aq_buf_dma, GFP_KERNEL);
	if (!ld->aq_buf)
		goto err_free_ring;

	lmnic_aq_start(ld);
	if (!(lmnic_rd32(ld, LMNIC_REG_AQ_CTRL) & LMNIC_AQ_CTRL_ENABLE)) {
		dev_err(dev, "adapter refused the admin queue\n");
		goto err_free_buf;
	}
	return 0;

err_free_buf:
	dma_free_coherent(dev, LMNIC_AQ_BUF_SIZE, ld->aq_buf, ld->aq_buf_dma);
err_free_ring:
	dma_free_coherent(dev, LMNIC_AQ_LEN * sizeof(*ld->aq), ld->aq,
			  ld->aq_dma);
err_destroy_lock:
	mutex_destroy(&ld->aq_lock);
	return -ENOMEM;
}

/* An image the adapter may still access after its command timed out. */
struct lmnic_img_held {
	struct list_head list;
	struct lmnic_img img;
};

/*
 * Keep IMG, whose memory an admin command that never completed gave the
 * adapter, until the adapter is reset (lmnic_aq_start()); IMG is emptied.
 * Without memory for the record, the image is leaked: never freed under
 * the adapter's DMA.
 */
void lmnic_aq_hold(struct lmnic_dev *ld, struct lmnic_img *img)
{
	struct lmnic_img_held *h = kzalloc(sizeof(*h), GFP_KERNEL);

	if (h) {
		h->img = *img;
		mutex_lock(&ld->aq_lock);
		list_add_tail(&h->list, &ld->aq_held);
		mutex_unlock(&ld->aq_lock);
	}
	memset(img, 0, sizeof(*img));
}

/* After a reset: free what the adapter could still access before it. */
static void lmnic_aq_release_held(struct lmnic_dev *ld)
{
	struct lmnic_img_held *h, *tmp;
	unsigned int i;

	lockdep_assert_held(&ld->aq_lock);
	list_for_each_entry_safe(h, tmp, &ld->aq_held, list) {
		for (i = 0; i < h->img.n; i++)
			dma_free_coherent(lmnic_to_dev(ld), 1UL << h->img.shift,
					  h->img.chunk[i], h->img.dma[i]);
		kfree(h->img.chunk);
		kfree(h->img.dma);
		list_del(&h->list);
		kfree(h);
	}
}

/*
 * Point the adapter at the (empty) ring: at probe and after a reset, which
 * also ends a queue that died and frees what it held.
 */
void lmnic_aq_start(struct lmnic_dev *ld)
{
	mutex_lock(&ld->aq_lock);
	lmnic_aq_release_held(ld);
	clear_bit(LMNIC_F_AQ_DEAD, &ld->flags);
	clear_bit(LMNIC_F_DMA_STOPPED, &ld->flags);
	clear_bit(LMNIC_F_CNT_FOLDED, &ld->flags);
	memset(ld->aq, 0, LMNIC_AQ_LEN * sizeof(*ld->aq));
	ld->aq_tail = 0;
	lmnic_wr32(ld, LMNIC_REG_AQ_BASE_LO, lower_32_bits(ld->aq_dma));
	lmnic_wr32(ld, LMNIC_REG_AQ_BASE_HI, upper_32_bits(ld->aq_dma));
	lmnic_wr32(ld, LMNIC_REG_AQ_LEN, LMNIC_AQ_LEN);
	lmnic_wr32(ld, LMNIC_REG_AQ_CTRL, LMNIC_AQ_CTRL_ENABLE);
	mutex_unlock(&ld->aq_lock);
}

void lmnic_aq_fini(struct lmnic_dev *ld)
{
	struct device *dev = lmnic_to_dev(ld);

	/* a command that never completed may still be at its memory */
	if (test_bit(LMNIC_F_AQ_DEAD, &ld->flags))
		lmnic_hw_stop_dma(ld);
	lmnic_wr32(ld, LMNIC_REG_AQ_CTRL, 0);
	mutex_lock(&ld->aq_lock);
	lmnic_aq_release_held(ld);
	mutex_unlock(&ld->aq_lock);
	dma_free_coherent(dev, LMNIC_AQ_BUF_SIZE, ld->aq_buf, ld->aq_buf_dma);
	dma_free_coherent(dev, LMNIC_AQ_LEN * sizeof(*ld->aq), ld->aq,
			  ld->aq_dma);
	mutex_destroy(&ld->aq_lock);
}

static bool lmnic_aq_done(struct lmnic_aq_desc *d)
{
	return le16_to_cpu(READ_ONCE(d->flags)) & LMNIC_AQF_DD;
}

/*
 * How long a command may take: those that walk a whole image, table or
 * region scale with the table (tens of MiB), the rest are short.
 */
static unsigned long lmnic_aq_timeout_us(u16 opcode)
{
	switch (opcode) {
	case LMNIC_AQ_SAVE:
	case LMNIC_AQ_LOAD:
	case LMNIC_AQ_DIGEST:
	case LMNIC_AQ_QUIESCE:
	case LMNIC_AQ_CONN_FLUSH:
	case LMNIC_AQ_REGION_SET:
	case LMNIC_AQ_VPORT_RESET:
		return max(READ_ONCE(aq_long_timeout_ms), 100U) * 1000UL;
	default:
		return LMNIC_AQ_TIMEOUT_US;
	}
}

/*
 * A command did not complete: the adapter may still read the descriptor
 * and the data it points to, and the next one would reuse both. The queue
 * is dead until a reset; the error path (lmnic_err_work()) takes a dump
 * and recovers, which resets the adapter.
 */
static void lmnic_aq_died(struct lmnic_dev *ld, const struct lmnic_aq_desc *cmd)
{
	lockdep_assert_held(&ld->aq_lock);
	set_bit(LMNIC_F_AQ_DEAD, &ld->flags);
	dev_err(lmnic_to_dev(ld), "admin command 0x%04x (vport %u) timed out: the admin queue is reset\n",
		le16_to_cpu(cmd->opcode), le16_to_cpu(cmd->vport));
	lmnic_err_report(ld, LMNIC_ERR_REASON_AQ_TIMEOUT,
			 le16_to_cpu(cmd->vport), U32_MAX);
}

/**
 * lmnic_aq_cmd - run one admin command and wait for its completion
 * @ld: adapter
 * @cmd: the command; on return it holds what the adapter wrote back
 * @buf: data the command carries to the adapter, or NULL
 * @buf_len: bytes of @buf, at most LMNIC_AQ_BUF_SIZE
 *
 * Context: process context; takes ld->aq_lock.
 * Return: 0 or a negative errno from the adapter's status; -ENODEV if the
 * adapter is dead, -ETIMEDOUT if it does not answer (memory the command
 * gave the adapter must then stay until a reset: lmnic_aq_hold()), -EIO
 * while the admin queue waits for that reset.
 */
int lmnic_aq_cmd(struct lmnic_dev *ld, struct lmnic_aq_desc *cmd,
		 const void *buf, u32 buf_len)
{
	return lmnic_aq_cmd_out(ld, cmd, buf, buf_len, NULL, 0);
}

/**
 * lmnic_aq_cmd_out - run one admin command whose buffer the adapter fills
 * @ld: adapter
 * @cmd: the command; on return it holds what the adapter wrote back
 * @buf: data the command carries to the adapter, or NULL
 * @buf_len: bytes of @buf, at most LMNIC_AQ_BUF_SIZE
 * @out: where to copy the start of the buffer after the command, or NULL
 * @out_len: bytes to copy, at most @buf_len
 *
 * Context: process context; takes ld->aq_lock.
 * Return: as lmnic_aq_cmd().
 */
int lmnic_aq_cmd_out(struct lmnic_dev *ld, struct lmnic_aq_desc *cmd,
		     const void *buf, u32 buf_len, void *out, u32 out_len)
{
	struct lmnic_aq_desc *d;
	bool done;
	int err;

	if (WARN_ON(buf_len > LMNIC_AQ_BUF_SIZE || out_len > buf_len))
		return -EINVAL;
	if (test_bit(LMNIC_F_DEAD, &ld->flags))
		return -ENODEV;

	mutex_lock(&ld->aq_lock);
	if (test_bit(LMNIC_F_AQ_DEAD, &ld->flags)) {
		mutex_unlock(&ld->aq_lock);
		return -EIO;
	}
	d = &ld->aq[ld->aq_tail];
	*d = *cmd;
	d->flags = 0;
	d->status = 0;
	if (buf_len) {
		memcpy(ld->aq_buf, buf, buf_len);
		d->buf_addr = cpu_to_le64(ld->aq_buf_dma);
		d->buf_len = cpu_to_le32(buf_len);
	}
	ld->aq_tail = (ld->aq_tail + 1) % LMNIC_AQ_LEN;
	/* writel orders the descriptor before the doorbell */
	lmnic_wr32(ld, LMNIC_REG_AQ_TAIL, ld->aq_tail);

	err = read_poll_timeout(lmnic_aq_done, done,
				done || test_bit(LMNIC_F_DEAD, &ld->flags),
				10, lmnic_aq_timeout_us(le16_to_cpu(cmd->opcode)),
				false, d);
	if (err)
		lmnic_aq_died(ld, cmd);
	else if (!done)
		err = -ENODEV;
	if (!err) {
		dma_rmb();
		*cmd = *d;
		err = lmnic_aq_status_to_errno(le16_to_cpu(d->status));
		if (!err && out_len)
			memcpy(out, ld->aq_buf, out_len);
	} else {
		dev_err(lmnic_to_dev(ld), "admin command 0x%04x: %pe\n",
			le16_to_cpu(cmd->opcode), ERR_PTR(err));
	}
	mutex_unlock(&ld->aq_lock);
	return err;
}

/* A command for one vport whose only parameter is its data buffer. */
int lmnic_aq_vport(struct lmnic_dev *ld, u16 opcode, u16 vport,
		   const void *buf, u32 buf_len)
{
	struct lmnic_aq_desc cmd = {
		.opcode = cpu_to_le16(opcode),
		.vport = cpu_to_le16(vport),
	};

	return lmnic_aq_cmd(ld, &cmd, buf, buf_len);
}
