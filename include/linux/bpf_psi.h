/* SPDX-License-Identifier: GPL-2.0 */
/*
 * PSI triggers owned by BPF programs: struct bpf_psi_ops.
 * See Documentation/mm/bpf_oom.rst, "Pressure events".
 */
#ifndef _LINUX_BPF_PSI_H
#define _LINUX_BPF_PSI_H

#include <linux/psi_types.h>
#include <linux/types.h>
#include <linux/workqueue.h>
#include <uapi/linux/bpf_psi.h>

#define BPF_PSI_NAME_MAX	64

struct bpf_psi;
struct cgroup;

/**
 * struct bpf_psi_trigger - A PSI trigger created by a bpf_psi_ops program
 * @psi: the PSI trigger; the aggregator calls back through @psi.notify
 * @cgroup_id: id of the watched cgroup (kernfs node id)
 * @resource: as passed to bpf_psi_create_trigger(), including BPF_PSI_FULL
 * @threshold_us: stall time per window that generates an event
 * @window_us: the window
 *
 * Handlers may read the fields above @cgrp. The rest is private.
 */
struct bpf_psi_trigger {
	struct psi_trigger psi;
	u64 cgroup_id;
	u32 resource;
	u32 threshold_us;
	u32 window_us;
	/* private: */
	struct cgroup *cgrp;		/* reference held until freed */
	struct bpf_psi *bpf_psi;
	struct list_head node;		/* on bpf_psi->triggers */
	struct work_struct work;	/* runs handle_psi_event() */
	struct task_struct *rtpoll_task; /* while being freed */
	bool published;
};

/**
 * struct bpf_psi_ops - PSI event handling in BPF
 * @init: called once on attach, before any other handler; typically
 *	creates triggers. A non-zero return fails the attach.
 * @handle_psi_event: a trigger fired (at most once per window)
 * @handle_cgroup_online: a cgroup was created
 * @handle_cgroup_offline: a cgroup was removed; its triggers are gone
 * @handle_timer: the delay given to bpf_psi_timer_start() has passed
 * @name: policy name
 *
 * Every handler runs in process context and may sleep: @init from the
 * attach, the others from a workqueue. Programs that call sleepable kfuncs
 * (bpf_psi_create_trigger(), bpf_out_of_memory()) must be sleepable
 * (SEC("struct_ops.s/...")).
 */
struct bpf_psi_ops {
	int (*init)(struct bpf_psi *bpf_psi);
	void (*handle_psi_event)(struct bpf_psi *bpf_psi,
				 struct bpf_psi_trigger *trigger);
	void (*handle_cgroup_online)(struct bpf_psi *bpf_psi,
				     struct cgroup *cgroup);
	void (*handle_cgroup_offline)(struct bpf_psi *bpf_psi, u64 cgroup_id);
	void (*handle_timer)(struct bpf_psi *bpf_psi);
	char name[BPF_PSI_NAME_MAX];
};

#endif /* _LINUX_BPF_PSI_H */
