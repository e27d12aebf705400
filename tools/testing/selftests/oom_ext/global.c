// SPDX-License-Identifier: GPL-2.0
/*
 * The whole machine: bpf_oom_get_meminfo() against /proc/meminfo.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "oom_test.h"
#include "policy_util.h"
#include "declare.bpf.skel.h"
#include "util.h"


/* struct bpf_oom_meminfo (include/linux/bpf_oom.h), as the program fills it */
struct meminfo {
	__u64 total;
	__u64 available;
	__u64 free;
	__u64 swap_total;
	__u64 swap_free;
};

/* A /proc/meminfo or /proc/vmstat value; -1 if missing. */
static long long proc_key(const char *file, const char *key)
{
	char line[256];
	long long v = -1;
	size_t n = strlen(key);
	FILE *f = fopen(file, "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, n) && (line[n] == ':' || line[n] == ' '))
			v = atoll(line + n + 1);
	fclose(f);
	return v;
}

static enum oom_test_status run_meminfo(void *ctx)
{
	struct meminfo mi = {};
	LIBBPF_OPTS(bpf_test_run_opts, opts, .ctx_in = &mi, .ctx_size_in = sizeof(mi));
	long long kib = sysconf(_SC_PAGESIZE) / 1024, avail;
	struct declare *skel = declare__open_and_load();
	int err;

	OT_ASSERT(skel, "load: %s", ot_libbpf_log());
	err = bpf_prog_test_run_opts(bpf_program__fd(skel->progs.read_meminfo), &opts);
	declare__destroy(skel);
	OT_ASSERT(!err && !opts.retval, "BPF_PROG_RUN: %s", strerror(errno));
	avail = proc_key("/proc/meminfo", "MemAvailable");
	ot_info("bpf_oom_get_meminfo: total %llu available %llu free %llu swap %llu/%llu pages",
		mi.total, mi.available, mi.free, mi.swap_free, mi.swap_total);
	OT_ASSERT((long long)mi.total * kib == proc_key("/proc/meminfo", "MemTotal"),
		  "MemTotal %lld kB, total %llu pages", proc_key("/proc/meminfo", "MemTotal"),
		  mi.total);
	OT_ASSERT((long long)mi.swap_total * kib == proc_key("/proc/meminfo", "SwapTotal"), "SwapTotal");
	/* A quiet machine: within 16 MiB of each other. */
	OT_ASSERT(llabs((long long)mi.available * kib - avail) < 16384,
		  "MemAvailable %lld kB, available %llu pages", avail, mi.available);
	OT_ASSERT(mi.free > 0 && mi.free <= mi.total && mi.available <= mi.total,
		  "free %llu, available %llu", mi.free, mi.available);
	return OOM_TEST_PASS;
}

static struct oom_test meminfo = {
	.name = "global_meminfo_matches_proc",
	.description = "bpf_oom_get_meminfo() gives /proc/meminfo's MemTotal and SwapTotal and, on a quiet machine, its MemAvailable",
	.run = run_meminfo,
};

REGISTER_OOM_TEST(&meminfo)
