/* SPDX-License-Identifier: GPL-2.0 */
/* lmnic: driver-wide definitions */
#ifndef _LMNIC_H_
#define _LMNIC_H_

#include <linux/bitops.h>
#include <linux/idr.h>
#include <linux/if_vlan.h>
#include <linux/io.h>
#include <linux/mutex.h>
#include <linux/netdevice.h>
#include <linux/pci.h>
#include <linux/types.h>
#include <linux/u64_stats_sync.h>
#include <linux/workqueue.h>
#include <net/devlink.h>

#include <lmnic_hw.h>
#include <uapi/linux/lmnic.h>
#include <uapi/linux/lmnic_mig.h>

struct devlink_health_reporter;
struct genl_family;

#define LMNIC_DRV_NAME		"lmnic"
#define LMNIC_RESET_TIMEOUT_US	100000
#define LMNIC_AQ_LEN		64
#define LMNIC_AQ_TIMEOUT_US	1000000	/* most commands; see lmnic_aq_timeout_us() */
#define LMNIC_AQ_LONG_TIMEOUT_US 60000000	/* a whole image or table */
#define LMNIC_AQ_BUF_SIZE	4096
#define LMNIC_DEFAULT_RING	1024
#define LMNIC_DEFAULT_ITR_US	20
#define LMNIC_TX_WAKE_THRESH	(MAX_SKB_FRAGS + 2)
#define LMNIC_HR_EVENTS		256	/* offload events kept per vport */
#define LMNIC_HR_CHUNK_SHIFT	16	/* region chunks of 64 KiB at least */
#define LMNIC_HR_DIR_MAX	(LMNIC_AQ_BUF_SIZE / sizeof(__le64))
#define LMNIC_CONN_ID_ANY	U32_MAX

/*
 * A vport's connection offloads and its host-resident offload region;
 * changes are serialised by lmnic_dev.conn_lock.
 */
struct lmnic_conn_table {
	unsigned long *ids;	/* bitmap of the ids in use */
	u32 id_next;		/* where the next free id is looked for */
	u32 slots;		/* ids 0 .. slots - 1, one region entry each */
	u32 count;
	unsigned int chunk_shift;
	unsigned int nchunks;
	void **chunk;		/* the region, in DMA-coherent chunks */
	dma_addr_t *chunk_dma;
	/*
	 * What a recovery that failed had saved and not offloaded again (the
	 * region it cleared no longer holds them): the next recovery's too.
	 */
	struct lmnic_conn *pending;
	u32 npending;
};

/* A state image in DMA-coherent chunks of 1 << shift bytes. */
struct lmnic_img {
	unsigned int shift;
	unsigned int n;
	void **chunk;
	dma_addr_t *dma;
	u64 size;		/* bytes in it */
	u64 cap;		/* bytes it may take (restore) */
};

/* Where a vport is in a migration (the uapi enum adds running/disabled). */
enum lmnic_mig_phase {
	LMNIC_MIG_NONE,
	LMNIC_MIG_QUIESCED,	/* extracted or extracting; the owner decides */
	LMNIC_MIG_FINISHED,	/* handed over; stays stopped */
	LMNIC_MIG_RESTORING,	/* taking a stream */
	LMNIC_MIG_LOADED,	/* restored, waiting for resume */
	LMNIC_MIG_PRECOPY,	/* pre-copy image extracted; the vport runs */
};

struct lmnic_stream;

#define LMNIC_MIG_LOADED_MAX	16

/* An image a LOAD took, kept until the vport resumes: recovery loads it again. */
struct lmnic_mig_loaded {
	struct lmnic_img img;
	u8 sha256[32];
	u32 num_records;
	bool delta;
};

/* A vport's migration; changed under RTNL. */
struct lmnic_mig {
	struct lmnic_dev *ld;
	u32 state;		/* enum lmnic_mig_phase */
	u32 owner;		/* netlink portid of the socket holding it */
	struct net *owner_net;	/* compared, never dereferenced */
	pid_t owner_pid;
	bool owner_gone;	/* the socket closed: undo it */
	bool was_running;
	bool delta;		/* the image is a pre-copy delta */
	bool on_base;		/* restoring a delta on a loaded pre-copy */
	struct lmnic_img img;
	struct lmnic_stream *st;	/* restore: the stream parser */
	u64 taken;		/* restore: stream bytes taken */
	u64 stream_size;	/* extract: bytes of the stream */
	struct lmnic_mig_hdr hdr;
	struct lmnic_mig_trailer trailer;
	u8 sha256[32];		/* of the image last extracted or restored */
	/*
	 * Restore: the images loaded since the last full one, so that a
	 * recovery of an adapter that no longer answers can load them again;
	 * loaded_lost once there were more than LMNIC_MIG_LOADED_MAX.
	 */
	struct lmnic_mig_loaded loaded[LMNIC_MIG_LOADED_MAX];
	unsigned int n_loaded;
	bool loaded_lost;
	bool base_lost;		/* pre-copy: an adapter reset dropped the kept image */
	bool state_lost;	/* stopped, its block lost in an adapter reset */
	struct lmnic_mig_loaded held;	/* the block, saved for a reset */
	bool have_held;
	u64 quiesce_ns;
	u64 save_ns;
	u64 load_ns;
};

/* lmnic_dev.flags */
enum {
	LMNIC_F_DEAD,		/* MMIO reads return all ones */
	LMNIC_F_ERR_PENDING,	/* an error is being dumped and recovered */
	LMNIC_F_AQ_DEAD,	/* an admin command timed out: reset before reuse */
	LMNIC_F_DMA_STOPPED,	/* reset to stop its DMA; set up again by recovery */
	LMNIC_F_CNT_FOLDED,	/* counters folded for the reset to come */
	LMNIC_F_PCI_ERR,	/* the PCI core is recovering the function */
};

/* What the netlink family and devlink tell of a kept error dump. */
struct lmnic_dump_ref {
	u32 size;
	u32 id;
	u32 reason;
	u64 time;
};

/*
 * One per adapter; the private data of its devlink instance. It exists
 * without any netdev.
 */
struct lmnic_dev {
	struct pci_dev *pdev;
	u8 __iomem *regs;	/* BAR0 */
	u8 __iomem *state;	/* BAR2: state memory */
	unsigned long flags;	/* LMNIC_F_*, atomic bitops */

	/* read from the adapter at probe, constant afterwards */
	u32 hw_version;
	u32 layout_version;
	u32 caps;
	u64 serial;
	u64 state_size;
	u32 vport_block;
	u16 num_vports;
	u16 max_qp;
	u8 base_mac[ETH_ALEN];
	u32 conn_capacity;	/* connection slots per vport */
	u32 max_conns;		/* devlink param max_conns, as last applied */
	/*
	 * devlink reload: down (the vports and their tables gone) until the
	 * reload's up half succeeds; removing once remove() began. Both under
	 * the devlink instance lock.
	 */
	bool reload_down;
	bool removing;

	/* admin queue; aq_lock serialises commands and protects all of it */
	struct mutex aq_lock;
	struct lmnic_aq_desc *aq;
	dma_addr_t aq_dma;
	u16 aq_tail;
	void *aq_buf;		/* indirect data of the command in flight */
	dma_addr_t aq_buf_dma;
	/*
	 * DMA memory an admin command gave the adapter when the queue died:
	 * the adapter may still access it, so it is freed after a reset
	 * (struct lmnic_img_held, under aq_lock).
	 */
	struct list_head aq_held;

	struct net_device *netdevs[LMNIC_MAX_VPORTS];

	struct mutex conn_lock;	/* connection changes, of every vport */
	struct lmnic_conn_table conns[LMNIC_MAX_VPORTS];
	u16 num_conn_tables;	/* set up by lmnic_conns_init() */
	/* devlink regions: each table's host-resident region (lmnic_devlink.c) */
	struct devlink_region *hr_region[LMNIC_MAX_VPORTS];
	struct devlink_region_ops hr_region_ops[LMNIC_MAX_VPORTS];
	char hr_region_name[LMNIC_MAX_VPORTS][24];
	/* and each vport's block of state memory, as the adapter holds it */
	struct devlink_region *sm_region[LMNIC_MAX_VPORTS];
	struct devlink_region_ops sm_region_ops[LMNIC_MAX_VPORTS];
	char sm_region_name[LMNIC_MAX_VPORTS][24];
	struct lmnic_sm_region {
		struct lmnic_dev *ld;
		u16 vport;
	} sm_region_of[LMNIC_MAX_VPORTS];

	/*
	 * errors: what the error vector latched, and their handling. Until
	 * the end of probe (lmnic_err_start()) a report is held, not handled:
	 * err_lock orders the two.
	 */
	struct work_struct err_work;
	spinlock_t err_lock;	/* orders err_held and the report queueing */
	bool err_held;
	struct delayed_work service;
	struct devlink_health_reporter *health;
	u32 err_reason;		/* enum lmnic_err_reason being handled */
	u32 err_detail_vport;
	u32 err_detail_qp;
	u32 err_cause;
	u32 err_vport;
	u32 err_qp;
	u32 err_entry;
	u64 err_addr;
	u64 err_time;
	u64 probe_ns;

	/*
	 * The netlink family's view: nl_list is on its list (lmnic_devs_lock);
	 * a request pins the adapter (nl_users) and holds nl_lock for its whole
	 * length; removal takes nl_lock to tear the migrations down, sets
	 * nl_gone, and waits for nl_users to drop to zero.
	 */
	struct list_head nl_list;
	struct mutex nl_lock;	/* a request's whole length; mig[] teardown */
	atomic_t nl_users;
	bool nl_gone;

	struct lmnic_mig mig[LMNIC_MAX_VPORTS];
	struct work_struct mig_work;	/* undoes migrations of closed sockets */
};

struct lmnic_tx_buf {
	struct sk_buff *skb;	/* on the frame's first descriptor only */
	dma_addr_t dma;
	u32 len;
	u16 eop;		/* first descriptor: index of the EOP one */
	bool head;		/* mapped with dma_map_single */
};

struct lmnic_rx_buf {
	struct sk_buff *skb;
	dma_addr_t dma;
};

/*
 * Counters of one queue index, summed over every queue pair that had it:
 * a queue pair's counters are added here when it goes, so that the totals
 * never go back (lmnic_net.stats_lock).
 */
struct lmnic_qp_totals {
	u64 tx_packets;
	u64 tx_bytes;
	u64 tx_busy;
	u64 rx_packets;
	u64 rx_bytes;
	u64 rx_alloc_fail;
	u64 rx_csum_bad;
	u64 rx_marked;
};

/* The adapter counters the netdev's totals take, summed over resets. */
struct lmnic_hw_totals {
	u64 rx_missed;
	u64 tx_errors;
	u64 multicast;
	u64 rx_length;
	u64 rx_crc;
	u64 rx_dropped;
};

struct lmnic_ring_stats {
	u64 packets;
	u64 bytes;
	u64 busy;		/* TX: stopped for lack of descriptors */
	u64 alloc_fail;		/* RX: buffer allocation failures */
	u64 csum_bad;		/* RX: device flagged a bad L4 checksum */
	u64 marked;		/* RX: carried a connection's mark */
	struct u64_stats_sync syncp;
};

struct lmnic_ring {
	void *desc;		/* struct lmnic_tx_desc[] or lmnic_rx_desc[] */
	dma_addr_t dma;
	u16 size;		/* entries, a power of two */
	u16 next_to_use;
	u16 next_to_clean;
	union {
		struct lmnic_tx_buf *tx;
		struct lmnic_rx_buf *rx;
	};
	u8 __iomem *db;
	struct lmnic_ring_stats stats;
};

/* A TX/RX queue pair, its interrupt vector and its NAPI context. */
struct lmnic_qp {
	struct lmnic_net *net;
	struct napi_struct napi;
	struct lmnic_ring tx;
	struct lmnic_ring rx;
	u16 idx;
	u16 vector;		/* adapter MSI-X vector */
	bool napi_enabled;
	char irq_name[IFNAMSIZ + 16];

	/* transmit progress, for the service task (under RTNL) */
	u16 tx_seen_ntc;
	u8 tx_stall;
	unsigned long tx_progress;	/* jiffies of the last progress */
};

/* netdev private data: one vport */
/* ethtool -S counters read from state memory: queue pairs', vport's, adapter's */
#define LMNIC_ETHTOOL_HW_STATS	(LMNIC_MAX_QP * 2 + 11 + 6)

struct lmnic_net {
	struct net_device *netdev;
	struct lmnic_dev *ld;
	u16 vport;
	struct devlink_port dl_port;	/* the vport's, index vport */

	/* configuration, changed under RTNL */
	u16 num_qp;
	u16 tx_ring_size;
	u16 rx_ring_size;
	u16 rx_buf_len;
	u32 itr_us;
	u8 rss_key[LMNIC_RSS_KEY_SIZE];
	u8 rss_table[LMNIC_RSS_TABLE_SIZE];
	bool filter_overflow;	/* more addresses than MAC filters */
	unsigned long active_vlans[BITS_TO_LONGS(VLAN_N_VID)];	/* RTNL */

	/*
	 * Queue pairs while up: set and cleared under RTNL, and under
	 * stats_lock, which readers of the counters take; the datapath uses
	 * them only between netif_tx_start and netif_tx_disable.
	 */
	struct lmnic_qp *qps[LMNIC_MAX_QP];
	struct lmnic_sm_counters __iomem *cnt;	/* in state memory */
	spinlock_t stats_lock;	/* qps[] against readers; the totals below */
	struct lmnic_qp_totals qp_base[LMNIC_MAX_QP];
	struct lmnic_hw_totals hw_base;
	u64 ethtool_base[LMNIC_ETHTOOL_HW_STATS];	/* adapter blocks gone */

	struct work_struct rx_mode_work;
	atomic64_t tx_timeouts;
	bool mig_stopped;	/* quiesced for migration (RTNL) */
	bool mig_adopting;	/* taking a loaded block's MAC and MTU (RTNL) */
};

static inline struct device *lmnic_to_dev(struct lmnic_dev *ld)
{
	return &ld->pdev->dev;
}

static inline u16 lmnic_qp_vector(u16 vport, u16 qp)
{
	return 1 + vport * LMNIC_MAX_QP + qp;
}

static inline u16 lmnic_ring_next(const struct lmnic_ring *r, u16 i)
{
	return (i + 1) & (r->size - 1);
}

/* Entries the driver may still fill: one stays empty to tell full from empty */
static inline u16 lmnic_ring_unused(const struct lmnic_ring *r)
{
	return (READ_ONCE(r->next_to_clean) - READ_ONCE(r->next_to_use) - 1) &
	       (r->size - 1);
}

/* lmnic_hw.c */
u32 lmnic_rd32(struct lmnic_dev *ld, u32 reg);
void lmnic_wr32(struct lmnic_dev *ld, u32 reg, u32 val);
int lmnic_hw_check_id(u32 magic, u32 version, u32 layout);
int lmnic_hw_init(struct lmnic_dev *ld);
int lmnic_hw_reset(struct lmnic_dev *ld);
void lmnic_hw_stop_dma(struct lmnic_dev *ld);
u64 lmnic_sm_rd64(struct lmnic_dev *ld, const __le64 __iomem *p);

/* lmnic_state.c */
int lmnic_sm_check_hdr(const struct lmnic_sm_vport_hdr *hdr, u32 block_size);
int lmnic_sm_check(struct lmnic_dev *ld);

/* lmnic_adminq.c */
int lmnic_aq_status_to_errno(u16 status);
int lmnic_aq_init(struct lmnic_dev *ld);
void lmnic_aq_hold(struct lmnic_dev *ld, struct lmnic_img *img);
void lmnic_aq_start(struct lmnic_dev *ld);
void lmnic_aq_fini(struct lmnic_dev *ld);
int lmnic_aq_cmd(struct lmnic_dev *ld, struct lmnic_aq_desc *cmd,
		 const void *buf, u32 buf_len);
int lmnic_aq_vport(struct lmnic_dev *ld, u16 opcode, u16 vport,
		   const void *buf, u32 buf_len);
int lmnic_aq_cmd_out(struct lmnic_dev *ld, struct lmnic_aq_desc *cmd,
		     const void *buf, u32 buf_len, void *out, u32 out_len);

/* lmnic_netdev.c */
int lmnic_netdevs_create(struct lmnic_dev *ld);
void lmnic_netdevs_destroy(struct lmnic_dev *ld);
int lmnic_vport_config(struct lmnic_net *net, u16 opcode);
int lmnic_set_rss(struct lmnic_net *net);
int lmnic_reconfigure(struct lmnic_net *net, u16 num_qp, u16 tx_size,
		      u16 rx_size);
void lmnic_rss_default_table(struct lmnic_net *net);
int lmnic_up(struct lmnic_net *net);
void lmnic_down(struct lmnic_net *net);
void lmnic_stop_datapath(struct lmnic_net *net);
/* what a vport's block counted, read before something clears it */
struct lmnic_cnt_snap {
	struct lmnic_hw_totals totals;
	u64 hw[LMNIC_ETHTOOL_HW_STATS];
};

void lmnic_cnt_snap(struct lmnic_net *net, struct lmnic_cnt_snap *snap);
void lmnic_cnt_fold(struct lmnic_net *net, const struct lmnic_cnt_snap *snap);
void lmnic_fold_hw_counters(struct lmnic_net *net);
void lmnic_fold_adapter_counters(struct lmnic_dev *ld);
void lmnic_ethtool_snap(struct lmnic_net *net, u64 *hw);

/* lmnic_txrx.c */
int lmnic_qps_up(struct lmnic_net *net);
void lmnic_qps_down(struct lmnic_net *net);
void lmnic_qps_napi_disable(struct lmnic_net *net);
void lmnic_qp_totals(struct lmnic_net *net, u16 q, struct lmnic_qp_totals *t);
void lmnic_rx_check_depleted(struct lmnic_net *net);
netdev_tx_t lmnic_xmit(struct sk_buff *skb, struct net_device *netdev);
u16 lmnic_rx_buf_len(unsigned int mtu);

/* lmnic_conn.c */
u32 lmnic_conns_default(void);
int lmnic_conns_init(struct lmnic_dev *ld);
void lmnic_conns_fini(struct lmnic_dev *ld);
int lmnic_region_register(struct lmnic_dev *ld, u16 v);
struct lmnic_hr_header *lmnic_hr_hdr(struct lmnic_conn_table *ct);
int lmnic_conn_read(struct lmnic_conn_table *ct, u32 id, struct lmnic_conn *out);
void lmnic_conn_ids_clear(struct lmnic_conn_table *ct);
void lmnic_conn_ids_rescan(struct lmnic_conn_table *ct);
int lmnic_conn_add(struct lmnic_dev *ld, u16 v, const struct lmnic_conn *req,
		   u32 id, u32 *out_id, struct netlink_ext_ack *extack);
int lmnic_conn_del(struct lmnic_dev *ld, u16 v, u32 id,
		   struct netlink_ext_ack *extack);
void lmnic_conn_set_owner(struct lmnic_conn *c, u16 source);
int lmnic_conn_replay(struct lmnic_dev *ld, u16 v, const struct lmnic_conn *c);

/* lmnic_err.c */
int lmnic_err_init(struct lmnic_dev *ld);
void lmnic_err_start(struct lmnic_dev *ld);
int lmnic_err_hold(struct lmnic_dev *ld);
void lmnic_err_stop(struct lmnic_dev *ld);
void lmnic_err_fini(struct lmnic_dev *ld);
void lmnic_err_irq(struct lmnic_dev *ld);
void lmnic_err_report(struct lmnic_dev *ld, u32 reason, u32 vport, u32 qp);
int lmnic_recover(struct lmnic_dev *ld);
int lmnic_recover_locked(struct lmnic_dev *ld);
void lmnic_health_healthy(struct lmnic_dev *ld);
const char *lmnic_reason_name(u32 reason);
int lmnic_dump_info(const char *dev_name, u32 id, struct lmnic_dump_ref *out);
int lmnic_dump_read(const char *dev_name, u32 id, u32 off, void *dst, u32 len);
int lmnic_dump_clear(const char *dev_name, u32 id);
u32 lmnic_dump_count(const char *dev_name);
void lmnic_dumps_free_all(void);

/* lmnic_mig.c */
void lmnic_mig_init(struct lmnic_dev *ld);
void lmnic_mig_fini(struct lmnic_dev *ld);
u32 lmnic_mig_uapi_state(struct lmnic_dev *ld, u16 v);
int lmnic_mig_extract_start(struct lmnic_dev *ld, u16 v, struct net *ns,
			    u32 portid, bool precopy,
			    struct netlink_ext_ack *extack);
int lmnic_mig_extract_read(struct lmnic_dev *ld, u16 v, struct net *ns,
			   u32 portid, u64 off, void *dst, u32 len);
u64 lmnic_mig_stream_size(struct lmnic_dev *ld, u16 v);
int lmnic_mig_restore(struct lmnic_dev *ld, u16 v, struct net *ns, u32 portid,
		      u64 off, const void *data, u32 len, bool commit,
		      struct netlink_ext_ack *extack);
int lmnic_mig_resume(struct lmnic_dev *ld, u16 v, struct net *ns, u32 portid,
		     struct netlink_ext_ack *extack);
int lmnic_mig_abort(struct lmnic_dev *ld, u16 v, struct net *ns, u32 portid,
		    struct netlink_ext_ack *extack);
int lmnic_mig_finish(struct lmnic_dev *ld, u16 v, struct net *ns, u32 portid,
		     struct netlink_ext_ack *extack);
void lmnic_mig_release(struct lmnic_dev *ld, struct net *ns, u32 portid);
bool lmnic_mig_keeps_block(struct lmnic_dev *ld, u16 v);
void lmnic_mig_recover_prepare(struct lmnic_dev *ld, u16 v);
int lmnic_mig_recover(struct lmnic_dev *ld, u16 v);
int lmnic_mig_digest(struct lmnic_dev *ld, u16 v, u8 *digest);
int lmnic_mig_dirty(struct lmnic_dev *ld, u16 v, u64 *bytes, u32 *slots);

/* lmnic_nl.c */
extern struct genl_family lmnic_nl_family;
int lmnic_nl_register(void);
void lmnic_nl_unregister(void);
void lmnic_nl_dev_add(struct lmnic_dev *ld);
void lmnic_nl_dev_del(struct lmnic_dev *ld);
int lmnic_nl_dev_release(struct lmnic_dev *ld, struct netlink_ext_ack *extack);
void lmnic_nl_notify_err(struct lmnic_dev *ld, const struct lmnic_dump_ref *d);

/* lmnic_ethtool.c */
void lmnic_set_ethtool_ops(struct net_device *netdev);

/* lmnic_devlink.c */
int lmnic_devlink_params_register(struct lmnic_dev *ld);
void lmnic_devlink_params_unregister(struct lmnic_dev *ld);
int lmnic_devlink_regions_create(struct lmnic_dev *ld);
void lmnic_devlink_regions_destroy(struct lmnic_dev *ld);
struct lmnic_dev *lmnic_devlink_alloc(struct device *dev);
void lmnic_devlink_free(struct lmnic_dev *ld);
void lmnic_devlink_regions_snapshot(struct lmnic_dev *ld);
int lmnic_devlink_port_register(struct lmnic_net *net);
void lmnic_devlink_port_unregister(struct lmnic_net *net);

#endif /* _LMNIC_H_ */
