// SPDX-License-Identifier: GPL-2.0
/*
 * oom_psi_proactive - foreground loader for policies/oom_psi_proactive.bpf.c.
 *
 * Checks the cgroups to watch (-c, repeatable) and the parents whose
 * children to watch (--children, repeatable) and the trigger specs, hands
 * them to the policy by cgroup id, attaches the bpf_psi_ops (a PSI policy
 * is not attached to a cgroup: it puts triggers on the cgroups it is
 * given), and prints what it does: the cgroups it watches, each OOM it
 * declares with the cgroup's oom_kill count afterwards, cool-downs, and
 * the counters every -i seconds. Watching the root cgroup means the
 * system-wide rule (--avail, --swap) instead of triggers there. It exits
 * on SIGINT/SIGTERM, or once every cgroup named on the command line is
 * gone.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include <oom_ext/oom_ext.h>
#include "oom_psi_proactive.bpf.skel.h"

enum {
	OPT_CHILDREN = 0x100,
	OPT_FULL,
	OPT_SOME,
	OPT_STALL,
	OPT_COOLDOWN,
	OPT_AVAIL,
	OPT_SWAP,
};

static const struct option extra_opts[] = {
	{ "children", required_argument, NULL, OPT_CHILDREN },
	{ "full", required_argument, NULL, OPT_FULL },
	{ "some", required_argument, NULL, OPT_SOME },
	{ "cooldown", required_argument, NULL, OPT_COOLDOWN },
	{ "avail", required_argument, NULL, OPT_AVAIL },
	{ "swap", required_argument, NULL, OPT_SWAP },
	{ "stall", required_argument, NULL, OPT_STALL },
	{}
};

static const char summary[] =
	"declare an OOM in a cgroup whose memory pressure holds (PSI)";

static const char extra_help[] =
"  -c PATH              watch the cgroup at PATH (repeatable); the root cgroup\n"
"                       means the whole machine (--avail, --swap)\n"
"  --children PATH      watch every child of PATH, also ones created later\n"
"                       (repeatable)\n"
"  -n                   dry run: report each OOM it would declare, declare none\n"
"  --full T/W           trigger on 'full' memory stalls of T per window W\n"
"                       (T, W: e.g. 100ms/1s; W at most 10s)\n"
"  --some T/W           the same for 'some' stalls (default: --full 50ms/500ms)\n"
"  --cooldown SECS      after declaring an OOM in a cgroup, leave it alone this\n"
"                       long (default 10)\n"
"  --avail PCT          whole machine: declare a system-wide OOM when available\n"
"                       memory is under PCT of RAM (default 10)\n"
"  --swap PCT           ... and free swap under PCT of swap (default 10)\n"
"  --stall T/W|off      ... or, instead of the swap condition, the root's 'full'\n"
"                       memory stall exceeds T per window W twice in a row\n"
"                       (default 100ms/1s)\n"
"A cgroup's incident is acted upon once its trigger fires in two consecutive\n"
"windows and it is stuck: more than 1/32 above its memory.high, or near its\n"
"memory.max and refaulting its working set. The victim is chosen by the policy\n"
"attached there or above (oom_cgroup_aware), else by the kernel.\n";

static struct target {
	const char *path;
	__u64 cgid;
	__u32 how;
	__u32 explicit;
} targets[OOM_EXT_PSI_MAX_TARGETS];
static int nr_targets, nr_explicit;
static __u32 full_t, full_w, some_t, some_w;
static unsigned long cooldown_s = 10;
static __u32 avail_permille = 100, swap_permille = 100;
static __u32 stall_t = 100000, stall_w = 1000000;
static bool system_wide;
static struct oom_psi_proactive *skel;

static void add_target(const char *path, __u32 how, __u32 explicit)
{
	if (nr_targets == OOM_EXT_PSI_MAX_TARGETS) {
		oom_ext_err("at most %d cgroups can be watched", OOM_EXT_PSI_MAX_TARGETS);
		exit(OOM_EXT_EXIT_USAGE);
	}
	targets[nr_targets].path = path;
	targets[nr_targets].how = how;
	targets[nr_targets].explicit = explicit;
	nr_targets++;
}

/* "100ms", "1s", "250000us" (bare numbers are microseconds) */
static int parse_us(const char *s, const char **end, __u32 *us)
{
	unsigned long long v, mult = 1;
	char *e;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &e, 10);
	if (errno)
		return -1;
	if (!strncmp(e, "us", 2)) {
		e += 2;
	} else if (!strncmp(e, "ms", 2)) {
		mult = 1000;
		e += 2;
	} else if (*e == 's') {
		mult = 1000000;
		e++;
	}
	if (v > 0xffffffffULL / mult)
		return -1;
	*us = v * mult;
	*end = e;
	return 0;
}

/* T/W with 0 < T <= W <= 10s, as the kernel checks it. */
static void parse_spec(const char *opt, const char *arg, __u32 *t, __u32 *w)
{
	const char *e;

	if (parse_us(arg, &e, t) || *e != '/' || parse_us(e + 1, &e, w) || *e) {
		oom_ext_err("--%s %s: expected STALL/WINDOW such as 100ms/1s", opt, arg);
		exit(OOM_EXT_EXIT_USAGE);
	}
	if (!*w || *w > 10000000) {
		oom_ext_err("--%s %s: the window must be more than 0 and at most 10s", opt, arg);
		exit(OOM_EXT_EXIT_USAGE);
	}
	if (!*t || *t > *w) {
		oom_ext_err("--%s %s: the stall time must be more than 0 and at most the window",
			    opt, arg);
		exit(OOM_EXT_EXIT_USAGE);
	}
}

/* A percentage from 0.1 to 100, as permille (rounded). */
static __u32 parse_permille(const char *opt, const char *arg)
{
	double v;
	char *end;

	errno = 0;
	v = strtod(arg, &end);
	if (errno || end == arg || *end || !(v >= 0.1 && v <= 100)) {
		oom_ext_err("--%s %s: expected a percentage from 0.1 to 100", opt, arg);
		exit(OOM_EXT_EXIT_USAGE);
	}
	return (__u32)(v * 10 + 0.5);
}

static int extra_opt(int opt, const char *arg)
{
	char *end;

	switch (opt) {
	case OPT_CHILDREN:
		add_target(arg, OOM_EXT_PSI_PARENT, 1);
		return 0;
	case OPT_FULL:
		parse_spec("full", arg, &full_t, &full_w);
		return 0;
	case OPT_SOME:
		parse_spec("some", arg, &some_t, &some_w);
		return 0;
	case OPT_STALL:
		if (!strcmp(arg, "off")) {
			stall_t = 0;
			stall_w = 0;
		} else {
			parse_spec("stall", arg, &stall_t, &stall_w);
		}
		return 0;
	case OPT_AVAIL:
	case OPT_SWAP:
		*(opt == OPT_AVAIL ? &avail_permille : &swap_permille) =
			parse_permille(opt == OPT_AVAIL ? "avail" : "swap", arg);
		return 0;
	case OPT_COOLDOWN:
		errno = 0;
		cooldown_s = strtoul(arg, &end, 10);
		if (errno || end == arg || *end || arg[0] == '-' || cooldown_s > 86400) {
			oom_ext_err("--cooldown: '%s' is not a number of seconds (0-86400)", arg);
			exit(OOM_EXT_EXIT_USAGE);
		}
		return 0;
	}
	return -1;
}

/*
 * Check every path and resolve it to a cgroup id. The current children of
 * each --children parent become targets too; later ones the policy picks
 * up itself. Exits with one line on the first problem.
 */
static void resolve_targets(void)
{
	int i, j, n = nr_targets;
	__u64 id;

	for (i = 0; i < n; i++) {
		const char *opt = targets[i].how == OOM_EXT_PSI_PARENT ? "--children" : "-c";
		char child[PATH_MAX];
		struct dirent *de;
		DIR *d;

		oom_ext_check_cgroup(opt, targets[i].path);
		targets[i].cgid = oom_ext_cgroup_id(targets[i].path);
		if (!targets[i].cgid) {
			oom_ext_err("%s %s: %s", opt, targets[i].path, strerror(errno));
			exit(OOM_EXT_EXIT_USAGE);
		}
		if (targets[i].how == OOM_EXT_PSI_WATCH && targets[i].cgid == OOM_EXT_ROOT_CGID)
			system_wide = true;
		for (j = 0; j < i; j++) {
			if (targets[j].cgid == targets[i].cgid &&
			    targets[j].how == targets[i].how) {
				oom_ext_err("%s %s: given twice", opt, targets[i].path);
				exit(OOM_EXT_EXIT_USAGE);
			}
		}
		if (targets[i].how != OOM_EXT_PSI_PARENT)
			continue;
		d = opendir(targets[i].path);
		while (d && (de = readdir(d))) {
			if (de->d_type != DT_DIR || de->d_name[0] == '.')
				continue;
			snprintf(child, sizeof(child), "%s/%s", targets[i].path, de->d_name);
			id = oom_ext_cgroup_id(child);
			if (!id)
				continue;
			add_target(strdup(child), OOM_EXT_PSI_WATCH, 0);
			targets[nr_targets - 1].cgid = id;
		}
		if (d)
			closedir(d);
	}
}

/*
 * Paths of the watched cgroups by id: a removed cgroup's path can no longer
 * be looked up, and its removal is worth a line that names it.
 */
static struct { __u64 cgid; char *path; } names[OOM_EXT_PSI_MAX_WATCHED];

static void name_remember(__u64 cgid, const char *path)
{
	int i;

	for (i = 0; i < OOM_EXT_PSI_MAX_WATCHED; i++) {
		if (!names[i].cgid) {
			names[i].cgid = cgid;
			names[i].path = strdup(path);
			return;
		}
	}
}

/* The path @cgid was watched under, forgotten now; NULL if unknown. */
static char *name_forget(__u64 cgid)
{
	char *path;
	int i;

	for (i = 0; i < OOM_EXT_PSI_MAX_WATCHED; i++) {
		if (names[i].cgid == cgid) {
			path = names[i].path;
			names[i].cgid = 0;
			names[i].path = NULL;
			return path;
		}
	}
	return NULL;
}

static void print_stats(void)
{
	const struct oom_ext_psi_stats *s = &skel->bss->stats;

	if (oom_ext_json) {
		oom_ext_json_begin("counters");
		oom_ext_json_int("watching", s->watched);
		oom_ext_json_int("events", s->events);
		oom_ext_json_int("declared", s->declared);
		oom_ext_json_int("kills", s->kills);
		oom_ext_json_int("unconfirmed", s->unconfirmed);
		oom_ext_json_int("cooling", s->cooling);
		oom_ext_json_int("progressing", s->progressing);
		if (system_wide) {
			oom_ext_json_int("memory_samples", s->samples);
			oom_ext_json_int("requests_merged", s->short_waits);
		}
		oom_ext_json_end();
		return;
	}

	oom_ext_info("watching %llu, events %llu, declared %llu, kills %llu, unconfirmed %llu, cooling %llu, progressing %llu",
		     (unsigned long long)s->watched, (unsigned long long)s->events,
		     (unsigned long long)s->declared, (unsigned long long)s->kills,
		     (unsigned long long)s->unconfirmed, (unsigned long long)s->cooling,
		     (unsigned long long)s->progressing);
	if (system_wide)
		printf(", memory samples %llu, requests merged %llu",
		       (unsigned long long)s->samples, (unsigned long long)s->short_waits);
	printf("\n");
	fflush(stdout);
}

static void json_short(const struct oom_ext_psi_event *e)
{
	oom_ext_json_begin("system_short");
	oom_ext_json_str("action", e->action == OOM_EXT_PSI_SHORT_DRY_RUN ? "dry_run" :
			 e->action == OOM_EXT_PSI_SHORT_GAVE_UP ? "paused" :
			 e->err < 0 ? "failed" : "declared");
	oom_ext_json_num("available_mib", oom_ext_mib(e->available));
	oom_ext_json_num("total_mib", oom_ext_mib(e->total));
	oom_ext_json_num("swap_free_mib", oom_ext_mib(e->swap_free));
	oom_ext_json_num("swap_total_mib", oom_ext_mib(e->swap_total));
	oom_ext_json_num("avail_pct", avail_permille / 10.0);
	oom_ext_json_num("swap_pct", swap_permille / 10.0);
	oom_ext_json_num("after_sample_ms", (e->ts_ns - e->seen_ns) / 1e6);
	oom_ext_json_bool("stalled", e->full);
	if (e->action == OOM_EXT_PSI_SHORT_GAVE_UP)
		oom_ext_json_int("oom_kills", e->oom_kills);
	if (e->err < 0)
		oom_ext_json_str("error", strerror(-e->err));
	oom_ext_json_end();
}

/* The system-wide rule held: what the sample saw and what came of it. */
static int print_short(const struct oom_ext_psi_event *e)
{
	double mib = sysconf(_SC_PAGESIZE) / 1048576.0;
	char swap[96] = "no swap";

	if (oom_ext_json) {
		json_short(e);
		return 0;
	}

	if (e->full)
		snprintf(swap, sizeof(swap),
			 "free swap %.1f MiB, the machine stalls (full %u ms per %u ms, twice)",
			 e->swap_free * mib, stall_t / 1000, stall_w / 1000);
	else if (e->swap_total)
		snprintf(swap, sizeof(swap), "free swap %.1f MiB (%.1f%% < %.1f%%)",
			 e->swap_free * mib, 100.0 * e->swap_free / e->swap_total,
			 swap_permille / 10.0);
	oom_ext_info("system: available memory %.1f MiB of %.1f MiB (%.1f%% < %.1f%%), %s: ",
		     e->available * mib, e->total * mib,
		     e->total ? 100.0 * e->available / e->total : 0, avail_permille / 10.0, swap);
	if (e->action == OOM_EXT_PSI_SHORT_DRY_RUN)
		printf("would declare a system-wide OOM [dry run]\n");
	else if (e->action == OOM_EXT_PSI_SHORT_GAVE_UP && e->oom_kills)
		printf("still short after %llu kill(s): killing does not end it; pausing %lu s\n",
		       (unsigned long long)e->oom_kills, cooldown_s);
	else if (e->action == OOM_EXT_PSI_SHORT_GAVE_UP)
		printf("still short after %lu s with nothing killed; pausing %lu s\n",
		       cooldown_s, cooldown_s);
	else if (e->err < 0)
		printf("declaring a system-wide OOM failed: %s\n", strerror(-e->err));
	else
		printf("system-wide OOM declared, %.1f ms after the sample\n",
		       (e->ts_ns - e->seen_ns) / 1e6);
	fflush(stdout);
	return 0;
}

/* A cgroup named on the command line went away: was it the last one? */
static bool all_gone(const struct oom_ext_psi_event *e)
{
	if (!e->explicit || --nr_explicit)
		return false;
	oom_ext_done = true;
	return true;
}

static void json_event(const struct oom_ext_psi_event *e, const char *path, const char *kind)
{
	static const char *const names[] = {
		[OOM_EXT_PSI_WATCHING] = "watching", [OOM_EXT_PSI_GONE] = "cgroup_removed",
		[OOM_EXT_PSI_DRY_RUN] = "would_declare", [OOM_EXT_PSI_DECLARED] = "declared",
		[OOM_EXT_PSI_COOLING] = "cooling", [OOM_EXT_PSI_ERROR] = "error",
	};

	oom_ext_json_begin(e->action < ARRAY_SIZE(names) && names[e->action] ?
			   names[e->action] : "error");
	oom_ext_json_str("cgroup", path);
	switch (e->action) {
	case OOM_EXT_PSI_WATCHING:
		oom_ext_json_str("rule", e->cgid == OOM_EXT_ROOT_CGID ? "system" : "pressure");
		break;
	case OOM_EXT_PSI_GONE:
		oom_ext_json_bool("last", all_gone(e));
		break;
	case OOM_EXT_PSI_DRY_RUN:
	case OOM_EXT_PSI_DECLARED:
		oom_ext_json_str("stall", kind);
		oom_ext_json_num("threshold_ms", e->stall_us / 1000.0);
		oom_ext_json_num("window_ms", e->window_us / 1000.0);
		if (e->action == OOM_EXT_PSI_DRY_RUN)
			break;
		oom_ext_json_str("result", e->err == -EAGAIN ? "victim_exiting" :
				 e->err < 0 ? "failed" : e->err ? "killed" : "nothing_killed");
		if (e->err < 0)
			oom_ext_json_str("error", strerror(-e->err));
		oom_ext_json_int("oom_kill", e->oom_kills);
		break;
	case OOM_EXT_PSI_COOLING:
		oom_ext_json_int("remaining_ms", e->remaining_ms);
		break;
	default:
		oom_ext_json_str("error", strerror(-e->err));
	}
	oom_ext_json_end();
}

static int print_event(void *ctx, void *data, size_t size)
{
	const struct oom_ext_psi_event *e = data;
	const char *kind;
	char path[512], *old;

	if (size < sizeof(*e))
		return 0;
	if (e->action == OOM_EXT_PSI_SHORT || e->action == OOM_EXT_PSI_SHORT_DRY_RUN ||
	    e->action == OOM_EXT_PSI_SHORT_GAVE_UP)
		return print_short(e);
	kind = e->full ? "full" : "some";
	if (e->action == OOM_EXT_PSI_GONE) {
		old = name_forget(e->cgid);
		snprintf(path, sizeof(path), "%s", old ?: "a cgroup");
		free(old);
	} else {
		oom_ext_cgroup_path(e->cgid, path, sizeof(path));
	}
	if (e->action == OOM_EXT_PSI_WATCHING)
		name_remember(e->cgid, path);
	if (oom_ext_json) {
		json_event(e, path, kind);
		return 0;
	}
	switch (e->action) {
	case OOM_EXT_PSI_WATCHING:
		if (e->cgid == OOM_EXT_ROOT_CGID)
			oom_ext_info("watching the whole machine: available memory under %.1f%% of RAM and free swap under %.1f%% of swap\n",
				     avail_permille / 10.0, swap_permille / 10.0);
		else
			oom_ext_info("watching %s\n", path);
		break;
	case OOM_EXT_PSI_GONE:
		oom_ext_info("%s was removed\n", path);
		if (all_gone(e))
			oom_ext_info("every cgroup given on the command line is gone\n");
		break;
	case OOM_EXT_PSI_DRY_RUN:
		oom_ext_info("%s: memory %s stall over %.0f ms per %.0f ms window, twice in a row: would declare an OOM [dry run]\n",
			     path, kind, e->stall_us / 1000.0, e->window_us / 1000.0);
		break;
	case OOM_EXT_PSI_DECLARED:
		if (e->err == -EAGAIN)
			oom_ext_info("%s: memory %s stall over %.0f ms per %.0f ms window, twice in a row: an earlier OOM victim is still exiting, nothing more was killed\n",
				     path, kind, e->stall_us / 1000.0, e->window_us / 1000.0);
		else if (e->err < 0)
			oom_ext_info("%s: memory %s stall over %.0f ms per %.0f ms window, twice in a row: declaring an OOM failed: %s\n",
				     path, kind, e->stall_us / 1000.0, e->window_us / 1000.0,
				     strerror(-e->err));
		else
			oom_ext_info("%s: memory %s stall over %.0f ms per %.0f ms window, twice in a row: declared an OOM, %s (oom_kill %llu)\n",
				     path, kind, e->stall_us / 1000.0, e->window_us / 1000.0,
				     e->err ? "a task was killed" : "nothing was killed",
				     (unsigned long long)e->oom_kills);
		break;
	case OOM_EXT_PSI_COOLING:
		oom_ext_info("%s: pressure again during the cool-down, ignored for %llu ms more\n",
			     path, (unsigned long long)e->remaining_ms);
		break;
	default:
		oom_ext_info("%s: cannot create its triggers: %s\n", path,
			     strerror(-e->err));
	}
	fflush(stdout);
	return 0;
}

int main(int argc, char **argv)
{
	struct oom_ext_opts opts;
	struct bpf_link *link;
	unsigned int i;
	__u32 k;
	int ret;

	oom_ext_parse(argc, argv, summary, extra_opts, extra_help, extra_opt, &opts);
	for (i = 0; i < opts.nr_cgroups; i++)
		add_target(opts.cgroups[i], OOM_EXT_PSI_WATCH, 1);
	if (!nr_targets) {
		oom_ext_err("nothing to watch: give -c PATH or --children PATH");
		return OOM_EXT_EXIT_USAGE;
	}
	if (!full_w && !some_w) {
		full_t = 50000;
		full_w = 500000;
	}
	oom_ext_check_root();
	resolve_targets();
	oom_ext_check_kernel("bpf_psi_ops", "BPF PSI", "CONFIG_BPF_PSI");
	oom_ext_check_kernel("bpf_oom_ops", "BPF OOM", "CONFIG_BPF_OOM");
	oom_ext_protect(&opts);

	skel = OOM_EXT_OPEN(oom_psi_proactive);
	skel->rodata->dry_run = opts.dry_run;
	skel->rodata->cooldown_ns = cooldown_s * 1000000000ULL;
	skel->rodata->full_threshold_us = full_t;
	skel->rodata->full_window_us = full_w;
	skel->rodata->some_threshold_us = some_t;
	skel->rodata->some_window_us = some_w;
	skel->rodata->nr_targets = nr_targets;
	if (system_wide) {
		skel->rodata->avail_permille = avail_permille;
		skel->rodata->swap_permille = swap_permille;
		skel->rodata->stall_threshold_us = stall_t;
		skel->rodata->stall_window_us = stall_w;
	} else {
		bpf_program__set_autoload(skel->progs.count_victim, false);
	}
	OOM_EXT_LOAD(skel, oom_psi_proactive);
	for (k = 0; k < (__u32)nr_targets; k++) {
		char path[512];
		struct oom_ext_psi_target t = {
			.cgid = targets[k].cgid,
			.how = targets[k].how,
			.explicit = targets[k].explicit,
		};

		nr_explicit += targets[k].explicit;
		if (targets[k].how == OOM_EXT_PSI_PARENT)
			name_remember(t.cgid, oom_ext_cgroup_path(t.cgid, path, sizeof(path)));
		bpf_map_update_elem(bpf_map__fd(skel->maps.targets), &k, &t, BPF_ANY);
	}

	/* The system-wide rule counts OOM victims: one per shortage. */
	if (system_wide && !bpf_program__attach(skel->progs.count_victim)) {
		oom_ext_err("cannot attach to the mark_victim tracepoint: %s", strerror(errno));
		oom_psi_proactive__destroy(skel);
		return OOM_EXT_EXIT_FAIL;
	}
	/* init() creates the triggers; its error is the attach's. */
	link = bpf_map__attach_struct_ops(skel->maps.psi_ops);
	if (!link) {
		oom_ext_err("cannot attach: %s (a watched cgroup was removed meanwhile?)",
			    strerror(errno));
		oom_psi_proactive__destroy(skel);
		return OOM_EXT_EXIT_FAIL;
	}
	if (oom_ext_json) {
		oom_ext_json_begin("attached");
		oom_ext_json_bool("dry_run", opts.dry_run);
		if (full_w) {
			oom_ext_json_num("full_ms", full_t / 1000.0);
			oom_ext_json_num("full_window_ms", full_w / 1000.0);
		}
		if (some_w) {
			oom_ext_json_num("some_ms", some_t / 1000.0);
			oom_ext_json_num("some_window_ms", some_w / 1000.0);
		}
		oom_ext_json_int("cooldown_s", cooldown_s);
		if (system_wide) {
			oom_ext_json_num("avail_pct", avail_permille / 10.0);
			oom_ext_json_num("swap_pct", swap_permille / 10.0);
			if (stall_w) {
				oom_ext_json_num("stall_ms", stall_t / 1000.0);
				oom_ext_json_num("stall_window_ms", stall_w / 1000.0);
			}
		}
		oom_ext_json_end();
	} else {
		oom_ext_info("attached to PSI triggers%s; memory",
			     opts.dry_run ? " in dry-run mode" : "");
		if (full_w)
			printf(" full %u ms/%u ms", full_t / 1000, full_w / 1000);
		if (some_w)
			printf(" some %u ms/%u ms", some_t / 1000, some_w / 1000);
		printf(", cool-down %lu s", cooldown_s);
		if (system_wide)
			printf("; system-wide: available memory < %.1f%%, free swap < %.1f%%",
			       avail_permille / 10.0, swap_permille / 10.0);
		if (system_wide && stall_w)
			printf(" or full stall %u ms/%u ms", stall_t / 1000, stall_w / 1000);
		printf("; Ctrl-C detaches\n");
	}
	ret = oom_ext_loop(link, skel->maps.events, print_event, print_stats, &opts);
	bpf_link__destroy(link);
	oom_psi_proactive__destroy(skel);
	oom_ext_detached();
	return ret;
}
