/* SPDX-License-Identifier: GPL-2.0 */
/* oom_cgroup_aware's limits, shared by the policy and its loader. */
#ifndef __OOM_CGROUP_AWARE_H
#define __OOM_CGROUP_AWARE_H

/* The cgroups configured on the command line (the settings map). */
#define OOM_EXT_MAX_CONFIGURED		256
/* The memcgs whose usage history is kept for their growth. */
#define OOM_EXT_MAX_SAMPLED		4096

#endif /* __OOM_CGROUP_AWARE_H */
