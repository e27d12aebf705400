// SPDX-License-Identifier: GPL-2.0
/*
 * Why a removed cgroup is not released: the stress tests call
 * ot_explain_dying() when one is left, and it prints what holds it
 * (holders.bpf.c's reference counts and charge cache slots) while it
 * releases one possible holder after another.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include <bpf/bpf.h>

#include <oom_ext/oom_ext.h>

#include "holders.h"
#include "holders.bpf.skel.h"
#include "oom_test.h"
#include "util.h"

long long ot_dying_after(const char *parent, int ms)
{
	long long dying = -1;
	int i;

	for (i = 0; i <= ms / 50; i++) {
		dying = ot_cg_read_key(parent, "cgroup.stat", "nr_dying_descendants");
		if (dying <= 0)
			break;
		usleep(50000);
	}
	return dying;
}

/*
 * Make every per-CPU charge cache (memcg_stock, 7 slots) evict every memcg
 * it holds: on each CPU in turn, NR_CYCLE tasks in NR_CYCLE fresh memcgs
 * charge memory one after the other and stay until the last has charged.
 * A memcg that is not cached takes an empty slot, else evicts the next one
 * in turn (refill_stock()); NR_CYCLE > 7 new ones evict them all. The
 * tasks must stay: an exiting task's kernel memory goes back into its
 * memcg's slot, overflows it and empties it, and the next memcg then takes
 * that empty slot instead of evicting an old one.
 */
#define NR_CYCLE	16
static void cycle_charge_caches(void)
{
	int ncpu = sysconf(_SC_NPROCESSORS_ONLN), cpu, k;
	struct ot_hog one_mib = { .mib = 1 };
	struct ot_child kids[NR_CYCLE];
	char *cg[NR_CYCLE] = {}, rel[32];
	cpu_set_t all, one;

	if (sched_getaffinity(0, sizeof(all), &all))
		return;
	for (k = 0; k < NR_CYCLE; k++) {
		snprintf(rel, sizeof(rel), "cycle%d", k);
		cg[k] = ot_cg_create(rel);
		if (!cg[k])
			ot_info("cannot create %s: %s", rel, strerror(errno));
	}
	for (cpu = 0; cpu < ncpu; cpu++) {
		/* The children inherit the CPU. */
		CPU_ZERO(&one);
		CPU_SET(cpu, &one);
		if (sched_setaffinity(0, sizeof(one), &one))
			continue;
		for (k = 0; k < NR_CYCLE; k++) {
			kids[k].pid = -1;
			if (cg[k] && ot_child_spawn_hog(&kids[k], cg[k], &one_mib))
				ot_info("cannot charge in %s on CPU %d", cg[k], cpu);
		}
		for (k = 0; k < NR_CYCLE; k++)
			ot_child_reap(&kids[k]);
	}
	sched_setaffinity(0, sizeof(all), &all);
	for (k = 0; k < NR_CYCLE; k++) {
		if (cg[k])
			ot_cg_destroy(cg[k]);
		free(cg[k]);
	}
}

/*
 * The kernel's reference counts for every cgroup below @parent, the
 * parent first, and the charge cache slots that hold its memcg
 * (holders.bpf.c).
 */
static void print_holders(const char *parent)
{
	unsigned int i, j, cpu, slot;
	__u64 cgid = ot_cg_id(parent);
	struct holders *skel;
	int err;
	/* A syscall program's context is copied back into ctx_in. */
	LIBBPF_OPTS(bpf_test_run_opts, opts, .ctx_in = &cgid, .ctx_size_in = sizeof(cgid));

	skel = holders__open_and_load();
	if (!skel) {
		ot_info("cannot load holders.bpf.o: %s", strerror(errno));
		return;
	}
	err = bpf_prog_test_run_opts(bpf_program__fd(skel->progs.find_holders), &opts);
	if (err || opts.retval) {
		ot_info("cannot read the reference counts: %d, %d", err, opts.retval);
		holders__destroy(skel);
		return;
	}
	for (i = 0; i < skel->bss->nr_cgroups && i < HOLDERS_MAX; i++) {
		struct holder_cgroup *c = &skel->bss->cgroups[i];
		char memcg[128] = "no memory css", slots[64] = "";

		for (j = 0; j < skel->bss->nr_memcgs && j < HOLDERS_MAX; j++) {
			struct holder_memcg *m = &skel->bss->memcgs[j];

			if (m->cgid == c->cgid)
				snprintf(memcg, sizeof(memcg),
					 "memcg flags %#x refs %lld, %lld pages, %d ID refs",
					 m->flags, (long long)m->refs, (long long)m->pages,
					 m->id_refs);
		}
		for (cpu = 0; cpu < HOLDERS_CPUS; cpu++)
			for (slot = 0; slot < HOLDERS_SLOTS; slot++)
				if (skel->bss->stock[cpu][slot] == c->cgid)
					snprintf(slots + strlen(slots),
						 sizeof(slots) - strlen(slots), " %u.%u",
						 cpu, slot);
		ot_info("cgroup %llu flags %#x refs %lld, cgroup_bpf refs %lld; %s; stock slots:%s",
			(unsigned long long)c->cgid, c->flags, (long long)c->refs,
			(long long)c->bpf_refs, memcg, slots[0] ? slots : " none");
	}
	for (cpu = 0; cpu < HOLDERS_CPUS; cpu++) {
		struct holder_cpu *h = &skel->bss->stock_cpu[cpu];
		char pages[64] = "";

		if (!skel->bss->stock[cpu][0] && !h->flags && !h->locked)
			continue;
		for (slot = 0; slot < HOLDERS_SLOTS; slot++)
			snprintf(pages + strlen(pages), sizeof(pages) - strlen(pages),
				 " %u", h->nr_pages[slot]);
		ot_info("CPU %u charge cache: pages%s, next eviction %u, flags %#llx, drain work %s, lock %s",
			cpu, pages, h->drain_idx, (unsigned long long)h->flags,
			h->work_pending ? "pending" : "idle", h->locked ? "taken" : "free");
	}
	holders__destroy(skel);
}

/*
 * What still holds a removed memcg, found by releasing one holder after
 * another: the counters (the parent's include its dying children), an
 * unreaped task of ours (a zombie keeps its cgroups), the per-CPU charge
 * caches with pages (memory.high drains them), then those without
 * (only charges from other memcgs evict them), then time. Returns how
 * many are still dying after that.
 *
 * A charge cache (memcg_stock) slot holds a reference on its memcg. The
 * drain at offline, drain_all_stock(), gives up when another drain holds
 * percpu_charge_mutex, and skips slots without pages; such a memcg stays
 * dying until that CPU charges other memcgs. That is the base kernel's
 * lazy release, seen here about once in three debug-kernel stress runs,
 * not a reference that bpf_oom_ops or bpf_psi_ops keeps: what survives
 * both drains is.
 */
long long ot_explain_dying(const char *parent)
{
	static const char *const keys[] = { "anon", "file", "kernel", "kernel_stack",
					    "pagetables", "percpu", "sock", "slab", "shmem",
					    "unevictable", "swapcached" };
	char path[64], buf[512];
	unsigned int i;
	DIR *d;
	struct dirent *de;

	if (ot_cg_read(parent, "memory.current", buf, sizeof(buf)) >= 0)
		ot_info("parent memory.current %lld", strtoll(buf, NULL, 10));
	for (i = 0; i < ARRAY_SIZE(keys); i++)
		ot_info("  %s %lld", keys[i], ot_cg_read_key(parent, "memory.stat", keys[i]));
	print_holders(parent);
	d = opendir("/proc");
	while (d && (de = readdir(d))) {
		int ppid = 0;
		char state = 0;
		FILE *f;

		snprintf(path, sizeof(path), "/proc/%.16s/stat", de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(buf, sizeof(buf), f) &&
		    sscanf(strrchr(buf, ')') ?: buf, ") %c %d", &state, &ppid) == 2 &&
		    ppid == getpid())
			ot_info("child %s in state %c", de->d_name, state);
		fclose(f);
	}
	if (d)
		closedir(d);

	ot_cg_write(parent, "memory.high", "0");
	ot_cg_write(parent, "memory.high", "max");
	if (!ot_dying_after(parent, 2000)) {
		ot_info("released once memory.high drained the charge caches: one with pages held it");
		return 0;
	}
	cycle_charge_caches();
	if (!ot_dying_after(parent, 2000)) {
		ot_info("released once other memcgs evicted every charge cache slot: an empty slot held it");
		return 0;
	}
	/*
	 * Last, time: a release that waits for RCU grace periods (struct_ops
	 * maps are freed after an RCU tasks trace one) can take long on a
	 * KASAN kernel under TCG. A reference that is kept never goes.
	 */
	if (!ot_dying_after(parent, 60000)) {
		ot_info("released within 60 s more, with nothing done: a slow release");
		return 0;
	}
	ot_info("still dying: neither a charge cache, charged pages nor time release it");
	print_holders(parent);
	return ot_cg_read_key(parent, "cgroup.stat", "nr_dying_descendants");
}
