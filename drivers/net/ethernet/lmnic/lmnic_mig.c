// SPDX-License-Identifier: GPL-2.0
/*
 * lmnic: live migration of a vport's adapter state
 *
 * Source: vport-state-extract quiesces the vport (QUIESCE), has the adapter
 * write its state image to host memory (SAVE) and hands it out as a
 * migration stream. Destination: vport-state-restore checks the stream as
 * it arrives (lmnic_stream.c), keeps the image, and on commit has the
 * adapter check and take it (LOAD); vport-resume rebases the host-specific
 * state (the destination's own rings, vectors and offload region) and
 * restarts the vport. Every migration is held by the netlink socket that
 * started it; if that socket closes first, the vport goes back to what it
 * was (lmnic_mig_work()).
 *
 * All of it runs under RTNL, which also orders it against ndo_open/stop.
 */

#include <linux/bitfield.h>
#include <linux/etherdevice.h>
#include <linux/ktime.h>
#include <linux/log2.h>
#include <linux/rtnetlink.h>
#include <linux/slab.h>

#include "lmnic.h"
#include "lmnic_compat.h"
#include "lmnic_stream.h"

static u8 __iomem *lmnic_vp_block(struct lmnic_dev *ld, u16 v)
{
	return ld->state + LMNIC_SM_VPORT_BASE + (u64)v * ld->vport_block;
}

static struct lmnic_net *lmnic_vp_net(struct lmnic_dev *ld, u16 v)
{
	return ld->netdevs[v] ? netdev_priv(ld->netdevs[v]) : NULL;
}

static bool lmnic_ring_size_ok(u16 size)
{
	return is_power_of_2(size) && size >= LMNIC_RING_MIN &&
	       size <= LMNIC_RING_MAX;
}

/* ---- the image, in DMA-coherent chunks ---------------------------------- */

static void lmnic_img_free(struct lmnic_dev *ld, struct lmnic_img *img)
{
	unsigned int i;

	for (i = 0; i < img->n; i++)
		dma_free_coherent(lmnic_to_dev(ld), 1UL << img->shift,
				  img->chunk[i], img->dma[i]);
	kfree(img->chunk);
	kfree(img->dma);
	memset(img, 0, sizeof(*img));
}

/* Room for SIZE bytes in at most LMNIC_MIG_DIR_MAX chunks. */
static int lmnic_img_alloc(struct lmnic_dev *ld, struct lmnic_img *img, u64 size)
{
	unsigned int shift = 16, n, i;

	while (shift < LMNIC_MIG_CHUNK_SHIFT_MAX &&
	       DIV_ROUND_UP_ULL(size, 1ULL << shift) > LMNIC_MIG_DIR_MAX)
		shift++;
	n = DIV_ROUND_UP_ULL(size, 1ULL << shift);
	if (!n || n > LMNIC_MIG_DIR_MAX)
		return -E2BIG;
	img->chunk = kcalloc(n, sizeof(*img->chunk), GFP_KERNEL);
	img->dma = kcalloc(n, sizeof(*img->dma), GFP_KERNEL);
	img->shift = shift;
	if (!img->chunk || !img->dma)
		goto err;
	for (i = 0; i < n; i++) {
		img->chunk[i] = dma_alloc_coherent(lmnic_to_dev(ld), 1UL << shift,
						   &img->dma[i], GFP_KERNEL);
		if (!img->chunk[i])
			goto err;
		img->n++;
	}
	return 0;
err:
	lmnic_img_free(ld, img);
	return -ENOMEM;
}

static void lmnic_img_copy_out(const struct lmnic_img *img, u64 off, void *dst,
			       u32 len)
{
	while (len) {
		u64 c = off >> img->shift;
		u32 in = off & ((1ULL << img->shift) - 1);
		u32 n = min_t(u64, len, (1ULL << img->shift) - in);

		memcpy(dst, img->chunk[c] + in, n);
		dst += n;
		off += n;
		len -= n;
	}
}

/* SAVE or LOAD the image through its chunk directory. */
static int lmnic_img_cmd(struct lmnic_dev *ld, u16 v, u16 opcode,
			 struct lmnic_img *img, u8 *sha256,
			 struct lmnic_aq_desc *cmd)
{
	struct lmnic_mig_dir *dir;
	size_t len = struct_size(dir, chunk, img->n);
	unsigned int i;
	int err;

	dir = kzalloc(len, GFP_KERNEL);
	if (!dir)
		return -ENOMEM;
	memcpy(dir->sha256, sha256, sizeof(dir->sha256));
	for (i = 0; i < img->n; i++)
		dir->chunk[i] = cpu_to_le64(img->dma[i]);
	cmd->opcode = cpu_to_le16(opcode);
	cmd->vport = cpu_to_le16(v);
	cmd->p.mig.num_chunks = cpu_to_le32(img->n);
	cmd->p.mig.chunk_shift = img->shift;
	err = lmnic_aq_cmd_out(ld, cmd, dir, len, sha256, sizeof(dir->sha256));
	kfree(dir);
	/* never completed: the adapter may still be at the chunks */
	if (err == -ETIMEDOUT)
		lmnic_aq_hold(ld, img);
	return err;
}

/* ---- quiesce and resume -------------------------------------------------- */

static int lmnic_vport_cmd(struct lmnic_dev *ld, u16 v, u16 opcode,
			   struct lmnic_aq_desc *cmd)
{
	memset(cmd, 0, sizeof(*cmd));
	cmd->opcode = cpu_to_le16(opcode);
	cmd->vport = cpu_to_le16(v);
	return lmnic_aq_cmd(ld, cmd, NULL, 0);
}

/* The stack may send on a vport a migration stopped again. */
static void lmnic_mig_wake(struct lmnic_net *net)
{
	WRITE_ONCE(net->mig_stopped, false);
	if (netif_running(net->netdev)) {
		netif_tx_wake_all_queues(net->netdev);
		if (lmnic_rd32(net->ld, LMNIC_REG_STATUS) & LMNIC_STATUS_LINK)
			netif_carrier_on(net->netdev);
	}
}

/* Stop the stack's traffic, then the adapter's. */
static int lmnic_mig_quiesce(struct lmnic_dev *ld, u16 v,
			     struct lmnic_aq_desc *cmd)
{
	struct lmnic_net *net = lmnic_vp_net(ld, v);
	int err;

	if (net)
		lmnic_stop_datapath(net);
	err = lmnic_vport_cmd(ld, v, LMNIC_AQ_QUIESCE, cmd);
	if (err && net)
		lmnic_mig_wake(net);
	return err;
}

/* RESUME a vport whose rings are in place, and let the stack send again. */
static int lmnic_mig_restart(struct lmnic_dev *ld, u16 v)
{
	struct lmnic_net *net = lmnic_vp_net(ld, v);
	struct lmnic_aq_desc cmd;
	int err;

	err = lmnic_vport_cmd(ld, v, LMNIC_AQ_RESUME, &cmd);
	if (err)
		return err;
	if (net)
		lmnic_mig_wake(net);
	return 0;
}

/* Drop the images kept of the LOADs since the last full one. */
static void lmnic_mig_loaded_free(struct lmnic_mig *m, struct lmnic_dev *ld)
{
	while (m->n_loaded)
		lmnic_img_free(ld, &m->loaded[--m->n_loaded].img);
	m->loaded_lost = false;
}

/* Keep the image a LOAD just took (full: the ones before go). */
static void lmnic_mig_loaded_keep(struct lmnic_mig *m, struct lmnic_dev *ld,
				  bool delta, u32 num_records)
{
	struct lmnic_mig_loaded *l;

	if (!delta)
		lmnic_mig_loaded_free(m, ld);
	if (m->n_loaded == LMNIC_MIG_LOADED_MAX) {
		m->loaded_lost = true;
		lmnic_img_free(ld, &m->img);
		return;
	}
	l = &m->loaded[m->n_loaded++];
	l->img = m->img;
	memset(&m->img, 0, sizeof(m->img));
	memcpy(l->sha256, m->sha256, sizeof(l->sha256));
	l->num_records = num_records;
	l->delta = delta;
}

static void lmnic_mig_reset(struct lmnic_mig *m, struct lmnic_dev *ld)
{
	lmnic_img_free(ld, &m->img);
	lmnic_mig_loaded_free(m, ld);
	m->base_lost = false;
	m->state_lost = false;
	kvfree(m->st);
	m->st = NULL;
	m->state = LMNIC_MIG_NONE;
	m->owner = 0;
	m->owner_net = NULL;
	m->owner_pid = 0;
	m->owner_gone = false;
	m->taken = 0;
	m->stream_size = 0;
	m->delta = false;
	m->on_base = false;
}

u32 lmnic_mig_uapi_state(struct lmnic_dev *ld, u16 v)
{
	struct lmnic_net *net = lmnic_vp_net(ld, v);

	switch (ld->mig[v].state) {
	case LMNIC_MIG_QUIESCED:
		return LMNIC_MIG_STATE_QUIESCED;
	case LMNIC_MIG_FINISHED:
		return LMNIC_MIG_STATE_FINISHED;
	case LMNIC_MIG_RESTORING:
		return LMNIC_MIG_STATE_RESTORING;
	case LMNIC_MIG_LOADED:
		return LMNIC_MIG_STATE_LOADED;
	case LMNIC_MIG_PRECOPY:
		return LMNIC_MIG_STATE_PRECOPY;
	default:
		return net && netif_running(net->netdev) ?
		       LMNIC_MIG_STATE_RUNNING : LMNIC_MIG_STATE_DISABLED;
	}
}

static bool lmnic_mig_owned_by(const struct lmnic_mig *m, struct net *ns,
			       u32 portid)
{
	return m->owner == portid && m->owner_net == ns;
}

/*
 * Only the socket that holds a migration moves it on; a finished one is
 * held by nobody (its source may be resumed by a privileged caller).
 */
static int lmnic_mig_check_owner(const struct lmnic_mig *m, u16 v,
				 struct net *ns, u32 portid,
				 struct netlink_ext_ack *extack)
{
	if (m->state == LMNIC_MIG_NONE || m->state == LMNIC_MIG_FINISHED ||
	    lmnic_mig_owned_by(m, ns, portid))
		return 0;
	NL_SET_ERR_MSG_FMT(extack, "vport %u's migration is held by another socket (pid %d)",
			   v, m->owner_pid);
	return -EPERM;
}

static void lmnic_mig_own(struct lmnic_mig *m, struct net *ns, u32 portid)
{
	m->owner = portid;
	m->owner_net = ns;
	m->owner_pid = task_tgid_vnr(current);
}

/* ---- extract ------------------------------------------------------------- */

static void lmnic_mig_build_hdr(struct lmnic_dev *ld, u16 v, struct lmnic_mig *m,
				const struct lmnic_aq_desc *cmd)
{
	u8 __iomem *b = lmnic_vp_block(ld, v);
	struct lmnic_mig_hdr *h = &m->hdr;
	struct lmnic_mig_trailer *t = &m->trailer;
	struct lmnic_sm_conn_hdr ch;
	struct lmnic_sm_config cfg;

	memcpy_fromio(&cfg, b + LMNIC_SM_OFF_CONFIG, sizeof(cfg));
	memcpy_fromio(&ch, b + LMNIC_SM_OFF_CONN, sizeof(ch));
	memset(h, 0, sizeof(*h));
	h->magic = cpu_to_le32(LMNIC_MIG_MAGIC);
	h->version = cpu_to_le16(LMNIC_MIG_VERSION);
	h->hdr_size = cpu_to_le16(sizeof(*h));
	h->layout = cpu_to_le16(ld->layout_version);
	h->caps = cpu_to_le32(ld->caps);
	h->block_size = cpu_to_le32(ld->vport_block);
	h->capacity = ch.capacity;
	h->conn_count = ch.count;
	h->conn_limit = ch.limit;
	memcpy(h->mac, cfg.mac, ETH_ALEN);
	h->mtu = cfg.mtu;
	h->num_qp = cfg.num_qp;
	h->vport = cpu_to_le16(v);
	h->flags = cpu_to_le16(m->delta ? LMNIC_MIG_F_DELTA : 0);
	h->image_size = cmd->p.mig.image_size;
	h->num_records = cmd->p.mig.num_records;
	h->check = cpu_to_le32(lmnic_stream_crc32c(~0U, h, LMNIC_MIG_HDR_CHECK_LEN));

	memset(t, 0, sizeof(*t));
	t->magic = cpu_to_le32(LMNIC_MIG_TRAILER_MAGIC);
	t->num_records = h->num_records;
	t->image_size = h->image_size;
	memcpy(t->sha256, m->sha256, sizeof(t->sha256));
	m->stream_size = sizeof(*h) + le64_to_cpu(h->image_size) + sizeof(*t);
}

/*
 * Size (QUIESCE) and SAVE an image of vport V with FLAGS (LMNIC_MIGF_*)
 * into IMG and its SHA-256; CMD holds the SAVE's completion.
 */
static int lmnic_mig_image(struct lmnic_dev *ld, u16 v, u8 flags,
			   struct lmnic_img *img, u8 *sha256,
			   struct lmnic_aq_desc *cmd,
			   struct netlink_ext_ack *extack)
{
	u64 size;
	int err;

	memset(cmd, 0, sizeof(*cmd));
	cmd->opcode = cpu_to_le16(LMNIC_AQ_QUIESCE);
	cmd->vport = cpu_to_le16(v);
	cmd->p.mig.flags = flags;
	err = lmnic_aq_cmd(ld, cmd, NULL, 0);
	size = le64_to_cpu(cmd->p.mig.image_size);
	if (!err && (!size || size > lmnic_img_max_size(ld->conn_capacity)))
		err = -EIO;
	if (!err)
		err = lmnic_img_alloc(ld, img, size);
	if (err) {
		NL_SET_ERR_MSG_FMT(extack, "no room for the %llu-byte image", size);
		return err;
	}
	memset(cmd, 0, sizeof(*cmd));
	cmd->p.mig.flags = flags;
	err = lmnic_img_cmd(ld, v, LMNIC_AQ_SAVE, img, sha256, cmd);
	if (err || le64_to_cpu(cmd->p.mig.image_size) != size) {
		NL_SET_ERR_MSG_FMT(extack, "the adapter cannot save vport %u: %d",
				   v, err);
		lmnic_img_free(ld, img);
		return err ?: -EIO;
	}
	img->size = size;
	return 0;
}

/* Size and SAVE an image of vport V with FLAGS (LMNIC_MIGF_*) into m->img. */
static int lmnic_mig_save(struct lmnic_dev *ld, u16 v, u8 flags,
			  struct netlink_ext_ack *extack)
{
	struct lmnic_mig *m = &ld->mig[v];
	struct lmnic_aq_desc cmd;
	u64 t0 = ktime_get_ns();
	int err;

	err = lmnic_mig_image(ld, v, flags, &m->img, m->sha256, &cmd, extack);
	if (err)
		return err;
	m->save_ns = ktime_get_ns() - t0;
	m->delta = flags & LMNIC_MIGF_DELTA;
	lmnic_mig_build_hdr(ld, v, m, &cmd);
	return 0;
}

/**
 * lmnic_mig_extract_start - quiesce a vport and save its image
 * @ld: adapter
 * @v: vport
 * @ns: the requesting socket's namespace
 * @portid: the requesting socket, which holds the migration
 * @precopy: image the vport while it runs, and keep it running
 * @extack: for the reason of a failure
 *
 * A vport already quiesced by the same socket is saved again as it is; one
 * the same socket pre-copied is quiesced and saved as a delta on that, or,
 * with @precopy, saved as a round: the delta of what changed since the
 * image or the round before, while it runs on.
 * Context: takes RTNL.
 * Return: 0 or a negative errno; on failure the vport runs as before.
 */
int lmnic_mig_extract_start(struct lmnic_dev *ld, u16 v, struct net *ns,
			    u32 portid, bool precopy,
			    struct netlink_ext_ack *extack)
{
	struct lmnic_mig *m = &ld->mig[v];
	bool owned = lmnic_mig_owned_by(m, ns, portid);
	struct lmnic_aq_desc cmd;
	bool quiesced = false;
	u8 flags = 0;
	int err, tries;
	u64 t0;

	rtnl_lock();
	if (precopy && !(ld->caps & LMNIC_CAP_PRECOPY)) {
		NL_SET_ERR_MSG(extack, "the adapter cannot pre-copy");
		err = -EOPNOTSUPP;
		goto out;
	}
	if (precopy && m->state == LMNIC_MIG_PRECOPY && owned) {
		/* a round: a failed one leaves the pre-copy as it was */
		if (!(ld->caps & LMNIC_CAP_ROUNDS)) {
			NL_SET_ERR_MSG(extack, "the adapter cannot pre-copy in rounds");
			err = -EOPNOTSUPP;
			goto out;
		}
		if (m->base_lost) {
			NL_SET_ERR_MSG_FMT(extack,
					   "vport %u: the adapter was reset during the pre-copy; start again",
					   v);
			err = -ESTALE;
			goto err_precopy;
		}
		lmnic_img_free(ld, &m->img);
		/*
		 * Frames that arrive between sizing and saving can change the
		 * size; the adapter then refuses the SAVE (EBUSY): size again.
		 */
		mutex_lock(&ld->conn_lock);
		for (tries = 0; tries < 3; tries++) {
			err = lmnic_mig_save(ld, v, LMNIC_MIGF_PRECOPY | LMNIC_MIGF_DELTA,
					     extack);
			if (err != -EBUSY)
				break;
		}
		mutex_unlock(&ld->conn_lock);
		goto out;
	}
	if (precopy) {
		if (m->state != LMNIC_MIG_NONE) {
			NL_SET_ERR_MSG_FMT(extack, "vport %u is being migrated (pid %d)",
					   v, m->owner_pid);
			err = -EBUSY;
			goto out;
		}
		/* no connection comes or goes between sizing and saving */
		mutex_lock(&ld->conn_lock);
		err = lmnic_mig_save(ld, v, LMNIC_MIGF_PRECOPY, extack);
		mutex_unlock(&ld->conn_lock);
		if (err)
			goto out;
		m->quiesce_ns = 0;
		m->state = LMNIC_MIG_PRECOPY;
		lmnic_mig_own(m, ns, portid);
		goto out;
	}
	if (m->state == LMNIC_MIG_QUIESCED && owned) {
		lmnic_img_free(ld, &m->img);
		flags = m->delta ? LMNIC_MIGF_DELTA : 0;
	} else if (m->state == LMNIC_MIG_PRECOPY && owned && m->base_lost) {
		NL_SET_ERR_MSG_FMT(extack,
				   "vport %u: the adapter was reset during the pre-copy; start again",
				   v);
		err = -ESTALE;
		goto err_precopy;
	} else if (m->state == LMNIC_MIG_PRECOPY && owned) {
		lmnic_img_free(ld, &m->img);
		flags = LMNIC_MIGF_DELTA;
	} else if (m->state != LMNIC_MIG_NONE) {
		NL_SET_ERR_MSG_FMT(extack, "vport %u is being migrated (pid %d)",
				   v, m->owner_pid);
		err = -EBUSY;
		goto out;
	}
	if (m->state != LMNIC_MIG_QUIESCED) {
		t0 = ktime_get_ns();
		err = lmnic_mig_quiesce(ld, v, &cmd);
		if (err) {
			NL_SET_ERR_MSG_FMT(extack, "the adapter cannot quiesce vport %u: %d",
					   v, err);
			goto err_precopy;
		}
		m->quiesce_ns = ktime_get_ns() - t0;
		quiesced = true;
		m->state = LMNIC_MIG_QUIESCED;
		lmnic_mig_own(m, ns, portid);
	}
	err = lmnic_mig_save(ld, v, flags, extack);
	if (err && quiesced) {
		if (lmnic_mig_restart(ld, v))
			netdev_err(ld->netdevs[v], "cannot resume vport %u\n", v);
		lmnic_mig_reset(m, ld);
	}
	goto out;

err_precopy:
	/* a pre-copy ends here: the adapter drops what it kept */
	if (m->state == LMNIC_MIG_PRECOPY) {
		lmnic_vport_cmd(ld, v, LMNIC_AQ_RESUME, &cmd);
		lmnic_mig_reset(m, ld);
	}
out:
	rtnl_unlock();
	return err;
}

/**
 * lmnic_mig_extract_read - bytes of the stream an extract produced
 * @ld: adapter
 * @v: vport
 * @ns: namespace of the reader
 * @portid: the reader, which must hold the migration
 * @off: stream offset
 * @dst: where to copy
 * @len: bytes wanted; fewer are copied at the end of the stream
 *
 * Return: bytes copied, or a negative errno.
 */
int lmnic_mig_extract_read(struct lmnic_dev *ld, u16 v, struct net *ns,
			   u32 portid, u64 off, void *dst, u32 len)
{
	struct lmnic_mig *m = &ld->mig[v];
	u64 hsz = sizeof(m->hdr), isz;
	u32 done = 0, n;
	int err = 0;

	rtnl_lock();
	if ((m->state != LMNIC_MIG_QUIESCED && m->state != LMNIC_MIG_PRECOPY) ||
	    !lmnic_mig_owned_by(m, ns, portid) || !m->img.size) {
		err = -ESTALE;
		goto out;
	}
	isz = m->img.size;
	if (off >= m->stream_size)
		goto out;
	len = min_t(u64, len, m->stream_size - off);
	while (done < len) {
		if (off < hsz) {
			n = min_t(u64, len - done, hsz - off);
			memcpy(dst + done, (u8 *)&m->hdr + off, n);
		} else if (off < hsz + isz) {
			n = min_t(u64, len - done, hsz + isz - off);
			lmnic_img_copy_out(&m->img, off - hsz, dst + done, n);
		} else {
			n = len - done;
			memcpy(dst + done, (u8 *)&m->trailer + (off - hsz - isz), n);
		}
		done += n;
		off += n;
	}
out:
	rtnl_unlock();
	return err ?: done;
}

u64 lmnic_mig_stream_size(struct lmnic_dev *ld, u16 v)
{
	return ld->mig[v].stream_size;
}

/* ---- restore ------------------------------------------------------------- */

static int lmnic_mig_emit(void *priv, const void *data, u32 len)
{
	struct lmnic_mig *m = priv;
	struct lmnic_img *img = &m->img;
	u64 off = img->size;
	int err;

	/* room for the image, once the stream's header has been checked */
	if (!img->n) {
		err = lmnic_img_alloc(m->ld, img, le64_to_cpu(m->st->hdr.image_size));
		if (err)
			return err;
		img->cap = le64_to_cpu(m->st->hdr.image_size);
	}
	if (off + len > img->cap)
		return -EMSGSIZE;
	while (len) {
		u64 c = off >> img->shift;
		u32 in = off & ((1ULL << img->shift) - 1);
		u32 n = min_t(u64, len, (1ULL << img->shift) - in);

		memcpy(img->chunk[c] + in, data, n);
		data += n;
		off += n;
		len -= n;
	}
	img->size = off;
	return 0;
}

/* short: "adapter refused the image, record N: " leaves 45 bytes of extack */
static const char * const lmnic_loade_names[] = {
	[LMNIC_LOADE_DIGEST] = "SHA-256 differs from the trailer's",
	[LMNIC_LOADE_CHECK] = "CRC-32C mismatch",
	[LMNIC_LOADE_RECORD_BAD] = "bad type, flags, length or order",
	[LMNIC_LOADE_LAYOUT] = "another layout version",
	[LMNIC_LOADE_SIZE] = "for a vport of another size",
	[LMNIC_LOADE_SLOT] = "bad, repeated or out-of-range slot",
	[LMNIC_LOADE_MISSING] = "a required record is missing",
	[LMNIC_LOADE_HEADER] = "invalid vport header",
	[LMNIC_LOADE_NO_BASE] = "a delta without a pre-copy image",
	[LMNIC_LOADE_VALUE] = "a section value the adapter refuses",
};

/*
 * Drop a restore that did not commit: the vport is as it was, with the
 * pre-copy image it holds if the restore was a delta on that.
 */
static void lmnic_mig_restore_drop(struct lmnic_dev *ld, u16 v)
{
	struct lmnic_mig *m = &ld->mig[v];

	if (!m->on_base) {
		lmnic_mig_reset(m, ld);
		return;
	}
	lmnic_img_free(ld, &m->img);
	kvfree(m->st);
	m->st = NULL;
	m->taken = 0;
	m->on_base = false;
	m->state = LMNIC_MIG_LOADED;
}

/* The stack and the driver take what the loaded block says. */
static void lmnic_mig_adopt(struct lmnic_dev *ld, u16 v)
{
	struct lmnic_net *net = lmnic_vp_net(ld, v);
	u8 __iomem *b = lmnic_vp_block(ld, v);
	struct lmnic_sm_queue q;
	struct lmnic_sm_config cfg;
	struct lmnic_sm_rss rss;

	/* the ids the adapter loaded, as it mirrored them */
	if (v < ld->num_conn_tables) {
		mutex_lock(&ld->conn_lock);
		lmnic_conn_ids_rescan(&ld->conns[v]);
		mutex_unlock(&ld->conn_lock);
	}
	if (!net)
		return;

	memcpy_fromio(&cfg, b + LMNIC_SM_OFF_CONFIG, sizeof(cfg));
	memcpy_fromio(&rss, b + LMNIC_SM_OFF_RSS, sizeof(rss));
	memcpy_fromio(&q, b + LMNIC_SM_OFF_QUEUES, sizeof(q));

	/*
	 * Address and MTU through the stack, as a user's change goes (its
	 * checks, notifiers, rollback); the vport's handlers only record them
	 * (mig_adopting): the loaded block has them already.
	 */
	net->mig_adopting = true;
	if (is_valid_ether_addr(cfg.mac) &&
	    !ether_addr_equal(cfg.mac, net->netdev->dev_addr)) {
		struct sockaddr sa = { .sa_family = net->netdev->type };

		memcpy(sa.sa_data, cfg.mac, ETH_ALEN);
		if (dev_set_mac_address(net->netdev, &sa, NULL))
			netdev_warn(net->netdev, "cannot take the address %pM\n",
				    cfg.mac);
	}
	if (le16_to_cpu(cfg.mtu) != net->netdev->mtu &&
	    dev_set_mtu(net->netdev, le16_to_cpu(cfg.mtu)))
		netdev_warn(net->netdev, "cannot take MTU %u\n",
			    le16_to_cpu(cfg.mtu));
	net->mig_adopting = false;

	if (le16_to_cpu(cfg.num_qp) >= 1 && le16_to_cpu(cfg.num_qp) <= ld->max_qp)
		net->num_qp = le16_to_cpu(cfg.num_qp);
	memcpy(net->rss_key, rss.key, sizeof(net->rss_key));
	memcpy(net->rss_table, rss.table, sizeof(net->rss_table));
	/* rings as the adapter's checks allow them, else the driver's own */
	if ((le16_to_cpu(q.flags) & LMNIC_QF_ENABLED) &&
	    lmnic_ring_size_ok(le16_to_cpu(q.tx_size)) &&
	    lmnic_ring_size_ok(le16_to_cpu(q.rx_size)) &&
	    le16_to_cpu(q.rx_buf_len) >= LMNIC_RX_BUF_MIN &&
	    le16_to_cpu(q.rx_buf_len) <= LMNIC_RX_BUF_MAX &&
	    le16_to_cpu(q.rx_buf_len) >= lmnic_rx_buf_len(net->netdev->mtu)) {
		net->tx_ring_size = le16_to_cpu(q.tx_size);
		net->rx_ring_size = le16_to_cpu(q.rx_size);
		net->rx_buf_len = le16_to_cpu(q.rx_buf_len);
	} else if (le16_to_cpu(q.flags) & LMNIC_QF_ENABLED) {
		netdev_warn(net->netdev, "loaded queue context %u/%u/%u not usable\n",
			    le16_to_cpu(q.tx_size), le16_to_cpu(q.rx_size),
			    le16_to_cpu(q.rx_buf_len));
	}
}

/*
 * Commit: the stream is complete; stop the vport, have the adapter check
 * and load the image. On failure the vport runs again as before.
 */
static int lmnic_mig_commit(struct lmnic_dev *ld, u16 v,
			    struct netlink_ext_ack *extack)
{
	struct lmnic_net *net = lmnic_vp_net(ld, v);
	struct lmnic_mig *m = &ld->mig[v];
	struct lmnic_cnt_snap snap;
	struct lmnic_aq_desc cmd;
	bool running = net && netif_running(net->netdev);
	u64 t0 = ktime_get_ns();
	u32 detail, reason;
	int err;

	err = lmnic_stream_finish(m->st);
	if (err) {
		NL_SET_ERR_MSG_FMT(extack, "%s", m->st->msg);
		return err;
	}
	memcpy(m->sha256, m->st->trailer.sha256, sizeof(m->sha256));
	if (m->on_base)
		goto load;	/* stopped and quiesced since the pre-copy load */

	if (running) {
		netif_carrier_off(net->netdev);
		netif_tx_disable(net->netdev);
		lmnic_aq_vport(ld, LMNIC_AQ_VPORT_DISABLE, v, NULL, 0);
		lmnic_qps_down(net);
	}
	err = lmnic_mig_quiesce(ld, v, &cmd);
	if (err) {
		NL_SET_ERR_MSG_FMT(extack, "the adapter cannot quiesce vport %u: %d",
				   v, err);
		goto err_up;
	}
load:
	/* the image's counters replace the block's: those join the totals */
	if (net && !m->on_base)
		lmnic_cnt_snap(net, &snap);
	memset(&cmd, 0, sizeof(cmd));
	cmd.p.mig.image_size = cpu_to_le64(m->img.size);
	cmd.p.mig.num_records = m->st->hdr.num_records;
	cmd.p.mig.flags = m->on_base ? LMNIC_MIGF_DELTA : 0;
	err = lmnic_img_cmd(ld, v, LMNIC_AQ_LOAD, &m->img, m->sha256, &cmd);
	if (!err && net && !m->on_base)
		lmnic_cnt_fold(net, &snap);
	if (err) {
		detail = le32_to_cpu(cmd.p.mig.detail);
		reason = FIELD_GET(LMNIC_LOADE_REASON, detail);
		if (reason && reason < ARRAY_SIZE(lmnic_loade_names))
			NL_SET_ERR_MSG_FMT(extack, "adapter refused the image, record %lu: %s",
					   FIELD_GET(LMNIC_LOADE_RECORD, detail),
					   lmnic_loade_names[reason]);
		else
			NL_SET_ERR_MSG_FMT(extack, "the adapter cannot load the image: %d",
					   err);
		if (m->on_base)
			return err;	/* the pre-copy image stays loaded */
		lmnic_vport_cmd(ld, v, LMNIC_AQ_RESUME, &cmd);
		goto err_up;
	}
	m->load_ns = ktime_get_ns() - t0;
	if (!m->on_base)
		m->was_running = running;
	lmnic_mig_loaded_keep(m, ld, m->on_base,
			      le32_to_cpu(m->st->hdr.num_records));
	m->on_base = false;
	m->state = LMNIC_MIG_LOADED;
	lmnic_mig_adopt(ld, v);
	kvfree(m->st);
	m->st = NULL;
	return 0;

err_up:
	if (net)
		net->mig_stopped = false;
	if (running && lmnic_up(net))
		netdev_err(net->netdev, "cannot bring the vport back up\n");
	return err;
}

/**
 * lmnic_mig_restore - take a piece of a migration stream
 * @ld: adapter
 * @v: vport
 * @ns: the requesting socket's namespace
 * @portid: the requesting socket
 * @off: where @data starts in the stream
 * @data: stream bytes, or NULL
 * @len: bytes of @data
 * @commit: the stream ends here
 * @extack: for the reason of a failure
 *
 * Context: takes RTNL.
 * Return: 0 or a negative errno. A malformed piece drops the whole restore.
 */
int lmnic_mig_restore(struct lmnic_dev *ld, u16 v, struct net *ns, u32 portid,
		      u64 off, const void *data, u32 len, bool commit,
		      struct netlink_ext_ack *extack)
{
	struct lmnic_mig *m = &ld->mig[v];
	struct lmnic_stream_want want = {};
	int err;

	rtnl_lock();
	if (!off && (m->state == LMNIC_MIG_NONE ||
		     (m->state == LMNIC_MIG_LOADED &&
		      lmnic_mig_owned_by(m, ns, portid)))) {
		/* a delta completes the pre-copy image this socket loaded */
		m->on_base = m->state == LMNIC_MIG_LOADED;
		m->taken = 0;
		if (!m->on_base && v < ld->num_conn_tables && ld->conns[v].count) {
			NL_SET_ERR_MSG_FMT(extack, "vport %u is busy: %u offloaded connections",
					   v, ld->conns[v].count);
			err = -EBUSY;
			goto out;
		}
		m->st = kvzalloc(sizeof(*m->st), GFP_KERNEL);
		if (!m->st) {
			err = -ENOMEM;
			goto out;
		}
		want.layout = ld->layout_version;
		want.caps = ld->caps;
		want.block_size = ld->vport_block;
		want.capacity = ld->conn_capacity;
		want.conn_max = v < ld->num_conn_tables ? ld->conns[v].slots : 0;
		/* the adapter checks the records' CRC-32C and SHA-256 */
		want.rec_crc = false;
		lmnic_stream_init(m->st, &want, lmnic_mig_emit, m);
		m->state = LMNIC_MIG_RESTORING;
		lmnic_mig_own(m, ns, portid);
	} else if (m->state != LMNIC_MIG_RESTORING ||
		   !lmnic_mig_owned_by(m, ns, portid)) {
		if (m->state == LMNIC_MIG_NONE)
			NL_SET_ERR_MSG(extack, "a restore starts at offset 0");
		else
			NL_SET_ERR_MSG_FMT(extack, "vport %u is being migrated (pid %d)",
					   v, m->owner_pid);
		err = m->state == LMNIC_MIG_NONE ? -EINVAL : -EBUSY;
		goto out;
	}
	if (off != m->taken) {
		NL_SET_ERR_MSG_FMT(extack, "stream offset %llu, expected %llu",
				   off, m->taken);
		err = -EINVAL;
		goto out;
	}
	if (len) {
		err = lmnic_stream_feed(m->st, data, len);
		if (err) {
			NL_SET_ERR_MSG_FMT(extack, "%s", m->st->msg);
			goto err_drop;
		}
		if (m->st->phase != LMNIC_SP_HDR && m->st->delta != m->on_base) {
			if (m->on_base)
				NL_SET_ERR_MSG(extack, "only a delta completes a pre-copy image");
			else
				NL_SET_ERR_MSG(extack, "a delta needs the pre-copy it completes");
			err = -EINVAL;
			goto err_drop;
		}
	}
	m->taken += len;
	if (commit) {
		err = lmnic_mig_commit(ld, v, extack);
		if (err)
			goto err_drop;
	}
	err = 0;
	goto out;

err_drop:
	lmnic_mig_restore_drop(ld, v);
out:
	rtnl_unlock();
	return err;
}

/* ---- resume, abort, finish ----------------------------------------------- */

/* Rebase a loaded vport on this host: its rings, then RESUME, announce. */
static int lmnic_mig_resume_loaded(struct lmnic_dev *ld, u16 v,
				   struct netlink_ext_ack *extack)
{
	struct lmnic_net *net = lmnic_vp_net(ld, v);
	struct lmnic_aq_desc cmd;
	int err;

	if (!net || !netif_running(net->netdev)) {
		err = lmnic_mig_restart(ld, v);
		if (!err && net)
			lmnic_aq_vport(ld, LMNIC_AQ_VPORT_DISABLE, v, NULL, 0);
		return err;
	}
	err = netif_set_real_num_tx_queues(net->netdev, net->num_qp);
	if (!err)
		err = netif_set_real_num_rx_queues(net->netdev, net->num_qp);
	if (!err)
		err = lmnic_qps_up(net);
	if (err) {
		NL_SET_ERR_MSG_FMT(extack, "cannot set up the vport's queues: %d", err);
		return err;
	}
	err = lmnic_mig_restart(ld, v);
	if (err) {
		NL_SET_ERR_MSG_FMT(extack, "the adapter cannot resume vport %u: %d",
				   v, err);
		lmnic_qps_down(net);
		lmnic_vport_cmd(ld, v, LMNIC_AQ_QUIESCE, &cmd);
		return err;
	}
	netif_tx_start_all_queues(net->netdev);
	schedule_work(&net->rx_mode_work);
	__netdev_notify_peers(net->netdev);
	return 0;
}

/* Back to the vport's power-on state, set up as the driver does at probe. */
static void lmnic_mig_discard(struct lmnic_dev *ld, u16 v)
{
	struct lmnic_net *net = lmnic_vp_net(ld, v);
	struct lmnic_conn_table *ct;

	/* what the block counted, the loaded source's counters included */
	if (net)
		lmnic_fold_hw_counters(net);
	lmnic_aq_vport(ld, LMNIC_AQ_VPORT_RESET, v, NULL, 0);
	if (v < ld->num_conn_tables) {
		ct = &ld->conns[v];
		mutex_lock(&ld->conn_lock);
		lmnic_conn_ids_clear(ct);
		memset(lmnic_hr_hdr(ct), 0, LMNIC_HR_HDR_SIZE);
		if (lmnic_region_register(ld, v))
			dev_err(lmnic_to_dev(ld), "vport %u: cannot register the offload region\n",
				v);
		mutex_unlock(&ld->conn_lock);
	}
	if (net) {
		net->mig_stopped = false;
		if (netif_running(net->netdev) && lmnic_up(net))
			netdev_err(net->netdev, "cannot bring the vport up\n");
	}
}

/* RTNL held. */
static int lmnic_mig_do_resume(struct lmnic_dev *ld, u16 v,
			       struct netlink_ext_ack *extack)
{
	struct lmnic_mig *m = &ld->mig[v];
	int err;

	if (m->state_lost) {
		NL_SET_ERR_MSG_FMT(extack,
				   "vport %u lost its state in an adapter reset: abort the migration",
				   v);
		return -EIO;
	}
	switch (m->state) {
	case LMNIC_MIG_QUIESCED:
	case LMNIC_MIG_FINISHED:
		err = lmnic_mig_restart(ld, v);
		if (err)
			NL_SET_ERR_MSG_FMT(extack, "the adapter cannot resume vport %u: %d",
					   v, err);
		break;
	case LMNIC_MIG_LOADED:
		err = lmnic_mig_resume_loaded(ld, v, extack);
		break;
	default:
		NL_SET_ERR_MSG_FMT(extack, "vport %u is not stopped for migration", v);
		return -EINVAL;
	}
	if (!err)
		lmnic_mig_reset(m, ld);
	return err;
}

int lmnic_mig_resume(struct lmnic_dev *ld, u16 v, struct net *ns, u32 portid,
		     struct netlink_ext_ack *extack)
{
	int err;

	rtnl_lock();
	err = lmnic_mig_check_owner(&ld->mig[v], v, ns, portid, extack) ?:
	      lmnic_mig_do_resume(ld, v, extack);
	rtnl_unlock();
	return err;
}

/* RTNL held. */
static int lmnic_mig_do_abort(struct lmnic_dev *ld, u16 v,
			      struct netlink_ext_ack *extack)
{
	struct lmnic_mig *m = &ld->mig[v];
	struct lmnic_aq_desc cmd;

	if (m->state_lost) {
		/* nothing to go back to: the vport starts afresh */
		lmnic_mig_discard(ld, v);
		lmnic_mig_reset(m, ld);
		return 0;
	}
	switch (m->state) {
	case LMNIC_MIG_QUIESCED:
	case LMNIC_MIG_FINISHED:
		return lmnic_mig_do_resume(ld, v, extack);
	case LMNIC_MIG_RESTORING:
		lmnic_mig_restore_drop(ld, v);
		if (m->state != LMNIC_MIG_LOADED)
			return 0;
		fallthrough;
	case LMNIC_MIG_LOADED:
		lmnic_mig_discard(ld, v);
		lmnic_mig_reset(m, ld);
		return 0;
	case LMNIC_MIG_PRECOPY:
		/* it never stopped: the adapter drops what it kept */
		lmnic_vport_cmd(ld, v, LMNIC_AQ_RESUME, &cmd);
		lmnic_mig_reset(m, ld);
		return 0;
	default:
		NL_SET_ERR_MSG_FMT(extack, "vport %u is not being migrated", v);
		return -EINVAL;
	}
}

int lmnic_mig_abort(struct lmnic_dev *ld, u16 v, struct net *ns, u32 portid,
		    struct netlink_ext_ack *extack)
{
	int err;

	rtnl_lock();
	err = lmnic_mig_check_owner(&ld->mig[v], v, ns, portid, extack) ?:
	      lmnic_mig_do_abort(ld, v, extack);
	rtnl_unlock();
	return err;
}

int lmnic_mig_finish(struct lmnic_dev *ld, u16 v, struct net *ns, u32 portid,
		     struct netlink_ext_ack *extack)
{
	struct lmnic_mig *m = &ld->mig[v];
	int err;

	rtnl_lock();
	err = lmnic_mig_check_owner(m, v, ns, portid, extack);
	if (!err && m->state != LMNIC_MIG_QUIESCED) {
		NL_SET_ERR_MSG_FMT(extack, "vport %u was not extracted", v);
		err = -EINVAL;
	} else if (!err) {
		lmnic_img_free(ld, &m->img);
		m->state = LMNIC_MIG_FINISHED;
		m->owner = 0;
		m->owner_net = NULL;
		m->owner_gone = false;
	}
	rtnl_unlock();
	return err;
}

/* ---- sockets that went away ---------------------------------------------- */

/* Mark the migrations the closed socket held; lmnic_mig_work() undoes them. */
void lmnic_mig_release(struct lmnic_dev *ld, struct net *ns, u32 portid)
{
	bool any = false;
	u16 v;

	for (v = 0; v < ld->num_vports; v++) {
		struct lmnic_mig *m = &ld->mig[v];

		if (m->state != LMNIC_MIG_NONE && m->state != LMNIC_MIG_FINISHED &&
		    READ_ONCE(m->owner) == portid && READ_ONCE(m->owner_net) == ns) {
			WRITE_ONCE(m->owner_gone, true);
			any = true;
		}
	}
	if (any)
		schedule_work(&ld->mig_work);
}

static void lmnic_mig_work(struct work_struct *work)
{
	struct lmnic_dev *ld = container_of(work, struct lmnic_dev, mig_work);
	static const char * const what[] = {
		[LMNIC_MIG_QUIESCED] = "resumed unchanged",
		[LMNIC_MIG_RESTORING] = "partial restore dropped",
		[LMNIC_MIG_LOADED] = "restored state discarded",
		[LMNIC_MIG_PRECOPY] = "pre-copy ended, the vport runs on",
	};
	u16 v;

	rtnl_lock();
	for (v = 0; v < ld->num_vports; v++) {
		struct lmnic_mig *m = &ld->mig[v];
		u32 state = m->state;

		if (!m->owner_gone || state == LMNIC_MIG_NONE ||
		    state == LMNIC_MIG_FINISHED)
			continue;
		if (lmnic_mig_do_abort(ld, v, NULL))
			dev_err(lmnic_to_dev(ld), "vport %u: cannot undo the migration of a closed socket\n",
				v);
		else
			dev_warn(lmnic_to_dev(ld), "vport %u: migration socket closed: %s\n",
				 v, what[state]);
	}
	rtnl_unlock();
}

/* ---- adapter recovery ---------------------------------------------------- */

/* Does the recovery of an adapter keep vport V's block as it is? */
bool lmnic_mig_keeps_block(struct lmnic_dev *ld, u16 v)
{
	const struct lmnic_mig *m = &ld->mig[v];

	switch (m->state) {
	case LMNIC_MIG_QUIESCED:
	case LMNIC_MIG_FINISHED:
	case LMNIC_MIG_LOADED:
		return true;
	case LMNIC_MIG_RESTORING:
		return m->on_base;	/* a loaded pre-copy, taking its delta */
	default:
		return false;
	}
}

/**
 * lmnic_mig_recover_prepare - before an adapter reset, for vport V
 * @ld: adapter
 * @v: vport
 *
 * A vport a migration stopped keeps its block through the reset: while the
 * adapter still answers, it saves the block whole, which the recovery
 * loads back (lmnic_mig_recover()). RTNL held.
 */
void lmnic_mig_recover_prepare(struct lmnic_dev *ld, u16 v)
{
	struct lmnic_mig *m = &ld->mig[v];
	struct lmnic_aq_desc cmd;

	m->have_held = false;
	if (!lmnic_mig_keeps_block(ld, v) || test_bit(LMNIC_F_DEAD, &ld->flags) ||
	    test_bit(LMNIC_F_AQ_DEAD, &ld->flags))
		return;
	if (!lmnic_mig_image(ld, v, 0, &m->held.img, m->held.sha256, &cmd, NULL)) {
		m->held.num_records = le32_to_cpu(cmd.p.mig.num_records);
		m->held.delta = false;
		m->have_held = true;
	}
}

static int lmnic_mig_reload(struct lmnic_dev *ld, u16 v,
			    struct lmnic_mig_loaded *l)
{
	struct lmnic_aq_desc cmd = {};

	cmd.p.mig.image_size = cpu_to_le64(l->img.size);
	cmd.p.mig.num_records = cpu_to_le32(l->num_records);
	cmd.p.mig.flags = l->delta ? LMNIC_MIGF_DELTA : 0;
	return lmnic_img_cmd(ld, v, LMNIC_AQ_LOAD, &l->img, l->sha256, &cmd);
}

/**
 * lmnic_mig_recover - after an adapter reset, for vport V
 * @ld: adapter
 * @v: vport
 *
 * A vport in a pre-copy runs on, but the adapter dropped the image it
 * kept: the delta cannot follow (the owner is told at its next extract).
 * A vport a migration stopped is stopped again (QUIESCE) and gets its
 * block back: the one saved before the reset, else the images it loaded;
 * failing both (an adapter that stopped answering), it stays stopped with
 * no state (state_lost: only an abort ends it). A source keeps its queue
 * pairs, rebased on this adapter, and stays silent. RTNL held; the
 * adapter's regions are registered.
 *
 * Return: 0, or a negative errno if the vport could not be stopped.
 */
int lmnic_mig_recover(struct lmnic_dev *ld, u16 v)
{
	struct lmnic_net *net = lmnic_vp_net(ld, v);
	struct lmnic_mig *m = &ld->mig[v];
	struct lmnic_aq_desc cmd;
	unsigned int i;
	int err = 0;

	if (m->state == LMNIC_MIG_PRECOPY) {
		m->base_lost = true;
		return 0;
	}
	if (!lmnic_mig_keeps_block(ld, v))
		return 0;

	err = lmnic_vport_cmd(ld, v, LMNIC_AQ_QUIESCE, &cmd);
	if (err)
		goto out;
	if (m->have_held) {
		err = lmnic_mig_reload(ld, v, &m->held);
	} else if ((m->state == LMNIC_MIG_LOADED || m->on_base) &&
		   m->n_loaded && !m->loaded_lost) {
		for (i = 0; i < m->n_loaded && !err; i++)
			err = lmnic_mig_reload(ld, v, &m->loaded[i]);
	} else {
		err = -ENODATA;
	}
	if (err) {
		m->state_lost = true;
		dev_err(lmnic_to_dev(ld), "vport %u: its migrated state did not survive the reset: %pe; it stays stopped\n",
			v, ERR_PTR(err));
		err = 0;
		goto out;
	}
	if (v < ld->num_conn_tables) {
		mutex_lock(&ld->conn_lock);
		lmnic_conn_ids_rescan(&ld->conns[v]);
		mutex_unlock(&ld->conn_lock);
	}
	/* a source's rings, rebased here; the stack stays stopped */
	if (net && netif_running(net->netdev) &&
	    (m->state == LMNIC_MIG_QUIESCED || m->state == LMNIC_MIG_FINISHED))
		err = lmnic_qps_up(net);
out:
	if (m->have_held) {
		lmnic_img_free(ld, &m->held.img);
		m->have_held = false;
	}
	return err;
}

/* ---- status ---------------------------------------------------------------- */

int lmnic_mig_digest(struct lmnic_dev *ld, u16 v, u8 *digest)
{
	struct lmnic_aq_desc cmd;
	int err;

	err = lmnic_vport_cmd(ld, v, LMNIC_AQ_DIGEST, &cmd);
	if (!err)
		memcpy(digest, cmd.p.raw, 32);
	return err;
}

/**
 * lmnic_mig_dirty - what a pre-copy has still to carry
 * @ld: adapter
 * @v: vport
 * @bytes: the stream a round (or the last delta) would be now
 * @slots: the table slots that changed since the image or the last round
 *
 * The adapter sizes the delta as it stands (QUIESCE with PRECOPY | DELTA);
 * the vport runs on.
 * Context: takes RTNL.
 * Return: 0; -ENOENT if @v is in no pre-copy, -EOPNOTSUPP if the adapter
 * cannot size a round; or another negative errno.
 */
int lmnic_mig_dirty(struct lmnic_dev *ld, u16 v, u64 *bytes, u32 *slots)
{
	struct lmnic_mig *m = &ld->mig[v];
	struct lmnic_aq_desc cmd = {};
	int err;

	rtnl_lock();
	if (m->state != LMNIC_MIG_PRECOPY || m->base_lost) {
		err = -ENOENT;
		goto out;
	}
	if (!(ld->caps & LMNIC_CAP_ROUNDS)) {
		err = -EOPNOTSUPP;
		goto out;
	}
	cmd.opcode = cpu_to_le16(LMNIC_AQ_QUIESCE);
	cmd.vport = cpu_to_le16(v);
	cmd.p.mig.flags = LMNIC_MIGF_PRECOPY | LMNIC_MIGF_DELTA;
	err = lmnic_aq_cmd(ld, &cmd, NULL, 0);
	if (err)
		goto out;
	*bytes = sizeof(struct lmnic_mig_hdr) + le64_to_cpu(cmd.p.mig.image_size) +
		 sizeof(struct lmnic_mig_trailer);
	*slots = le32_to_cpu(cmd.p.mig.slots);
out:
	rtnl_unlock();
	return err;
}

void lmnic_mig_init(struct lmnic_dev *ld)
{
	u16 v;

	INIT_WORK(&ld->mig_work, lmnic_mig_work);
	mutex_init(&ld->nl_lock);
	atomic_set(&ld->nl_users, 0);
	for (v = 0; v < LMNIC_MAX_VPORTS; v++)
		ld->mig[v].ld = ld;
}

/*
 * Removal: every migration ends with the adapter; what they hold goes.
 * Under the adapter's nl_lock (lmnic_nl_dev_del()), so that no request is
 * inside a handler; takes RTNL, which the state is changed under.
 */
void lmnic_mig_fini(struct lmnic_dev *ld)
{
	u16 v;

	cancel_work_sync(&ld->mig_work);
	rtnl_lock();
	for (v = 0; v < LMNIC_MAX_VPORTS; v++)
		lmnic_mig_reset(&ld->mig[v], ld);
	rtnl_unlock();
}
