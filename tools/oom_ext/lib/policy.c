// SPDX-License-Identifier: GPL-2.0
/*
 * The loop of a bpf_oom_ops policy that reports through common.bpf.h:
 * attach, then print each decision (struct oom_ext_event) with the path
 * its walk took, and the counters (struct oom_ext_stats). See oom_ext.h.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <oom_ext/oom_ext.h>

/* A decision as it is printed: the record and what is derived from it. */
struct decision {
	struct oom_ext_event e;
	const char *action;
	const char *reason;	/* without the "<tool>: " the kernel's report has */
	char more[32];		/* " and 3 more" for a group kill */
	char kill_id[20];	/* the decision's time: see struct oom_ext_victim */
	bool task;		/* about a task: killed, would be, refused */
};

/* A cgroup's choice flags as a JSON array of names. */
static void json_flags(const char *key, __u32 flags)
{
	static const char *const names[] = { "prefer", "avoid", "omit", "group_kill",
					     "own_tasks", "oom_group", "xattr", "growth" };
	unsigned int i;

	oom_ext_json_open(key, '[');
	for (i = 0; i < ARRAY_SIZE(names); i++)
		if (flags & (1U << i))
			oom_ext_json_str(NULL, names[i]);
	oom_ext_json_close(']');
}

static void json_levels(const void *rec)
{
	const struct oom_ext_event *e = &((const struct decision *)rec)->e;
	char path[512];
	__u32 i;

	oom_ext_json_open(NULL, '[');
	for (i = 0; i < e->nr_levels && i < OOM_EXT_MAX_LEVELS; i++) {
		const struct oom_ext_level *l = &e->levels[i];

		oom_ext_json_open(NULL, '{');
		oom_ext_json_str("in", oom_ext_cgroup_path(l->parent_cgid, path, sizeof(path)));
		oom_ext_json_str("chose", oom_ext_cgroup_path(l->chosen_cgid, path, sizeof(path)));
		oom_ext_json_num("chose_mib", oom_ext_mib(l->chosen_score));
		oom_ext_json_num("chose_growth_mib", oom_ext_mib(l->chosen_growth));
		json_flags("chose_flags", l->chosen_flags);
		oom_ext_json_str("decided_by", l->chosen_flags & OOM_EXT_CG_GROWTH ? "growth" :
					       "size");
		if (l->runner_cgid) {
			oom_ext_json_str("over", oom_ext_cgroup_path(l->runner_cgid, path,
								     sizeof(path)));
			oom_ext_json_num("over_mib", oom_ext_mib(l->runner_score));
			oom_ext_json_num("over_growth_mib", oom_ext_mib(l->runner_growth));
			json_flags("over_flags", l->runner_flags);
		}
		oom_ext_json_close('}');
	}
	oom_ext_json_close(']');
}

/*
 * "b [prefer] (12.5 MiB)" for /a/b below /a, or "its own tasks (3.0 MiB)";
 * with its recent growth when there was any: "(12.5 MiB, grew 10.0 MiB)".
 */
static void print_candidate(const char *parent, __u64 cgid, __u64 score, __u64 growth,
			    __u32 flags)
{
	size_t n = strlen(parent);
	char path[512];
	const char *name;

	oom_ext_cgroup_path(cgid, path, sizeof(path));
	name = path;
	if (!strncmp(path, parent, n) && path[n] == '/')
		name = path + n + 1;
	else if (!strcmp(parent, "/"))
		name = path + 1;
	if (flags & OOM_EXT_CG_OWN_TASKS)
		name = "its own tasks";
	printf("%s%s%s%s%s%s (%.1f MiB", name, flags & OOM_EXT_CG_PREFER ? " [prefer" : "",
	       flags & OOM_EXT_CG_AVOID ? " [avoid" : "",
	       !(flags & (OOM_EXT_CG_PREFER | OOM_EXT_CG_AVOID)) ? "" :
	       flags & OOM_EXT_CG_XATTR ? ": xattr]" : "]",
	       flags & OOM_EXT_CG_OOM_GROUP ? " [oom.group]" : "",
	       flags & OOM_EXT_CG_GROUP_KILL ? " [group-kill]" : "",
	       oom_ext_mib(score));
	if (growth)
		printf(", grew %.1f MiB", oom_ext_mib(growth));
	putchar(')');
}

/* One more line per level of the choice: what won, and the runner-up. */
static void text_levels(const void *rec)
{
	const struct oom_ext_event *e = &((const struct decision *)rec)->e;
	char parent[512];
	__u32 i;

	for (i = 0; i < e->nr_levels && i < OOM_EXT_MAX_LEVELS; i++) {
		const struct oom_ext_level *l = &e->levels[i];

		oom_ext_cgroup_path(l->parent_cgid, parent, sizeof(parent));
		printf("\n%s:   in %s: chose ", program_invocation_short_name, parent);
		print_candidate(parent, l->chosen_cgid, l->chosen_score, l->chosen_growth,
				l->chosen_flags);
		if (l->runner_cgid) {
			printf(" over ");
			print_candidate(parent, l->runner_cgid, l->runner_score, l->runner_growth,
					l->runner_flags);
			printf(" by %s", l->chosen_flags & OOM_EXT_CG_GROWTH ? "growth" : "size");
		} else {
			printf(", the only candidate");
		}
	}
}

#define D(__name, __type, __member)	OOM_EXT_FIELD(__name, __type, struct decision, __member)
#define D_TASK(__name, __type, __member) { .name = (__name), .type = (__type),	\
	.off = offsetof(struct decision, __member), .if_set = "task" }

static const struct oom_ext_field decision_fields[] = {
	D("action", OOM_EXT_F_STRP, action),
	D("domain", OOM_EXT_F_CGROUP, e.domain_cgid),
	D("reason", OOM_EXT_F_STRP, reason),
	D_TASK("pid", OOM_EXT_F_S32, e.pid),
	D_TASK("comm", OOM_EXT_F_STR, e.comm),
	D_TASK("cgroup", OOM_EXT_F_CGROUP, e.victim_cgid),
	D_TASK("mib", OOM_EXT_F_MIB, e.pages),
	D_TASK("killed", OOM_EXT_F_U32, e.nr_killed),
	D_TASK("uid", OOM_EXT_F_U32, e.uid),
	D_TASK("kill_id", OOM_EXT_F_STR, kill_id),
	{ .name = "error", .type = OOM_EXT_F_ERRNO, .off = offsetof(struct decision, e.err),
	  .if_set = "error" },
	{ .name = "levels", .type = OOM_EXT_F_CUSTOM, .json = json_levels,
	  .text = text_levels },
	{ .name = "more", .type = OOM_EXT_F_STR, .off = offsetof(struct decision, more),
	  .text_only = true },
	{ .name = "task", .type = OOM_EXT_F_BOOL, .off = offsetof(struct decision, task),
	  .text_only = true },
	{}
};

static const struct oom_ext_format decision_formats[] = {
	[OOM_EXT_KILLED] = { "decision",
		"OOM in {domain}: killed pid {pid} ({comm}){more} in {cgroup}, {mib} MiB: {reason}{levels}",
		decision_fields },
	[OOM_EXT_DRY_RUN] = { "decision",
		"OOM in {domain}: would kill pid {pid} ({comm}){more} in {cgroup}, {mib} MiB: {reason} [dry run: the kernel decides]{levels}",
		decision_fields },
	[OOM_EXT_PASSED] = { "decision", "OOM in {domain}: passed ({reason}){levels}",
		decision_fields },
	[OOM_EXT_FAILED] = { "decision",
		"OOM in {domain}: the kernel refused to kill pid {pid} ({comm}): {error}; it decides{levels}",
		decision_fields },
	[OOM_EXT_CHOSEN] = { "decision",
		"OOM in {domain}, asked without killing (a warning first): chose pid {pid} ({comm}){more} in {cgroup}, {mib} MiB: {reason}{levels}",
		decision_fields },
};

/* Tell the rest of the system (notify.c). */
static void killed(struct oom_ext_loop *loop, const struct decision *d)
{
	char cgroup[PATH_MAX];
	struct oom_ext_victim v = {
		.pid = d->e.pid, .reason = d->reason, .kill_id = d->kill_id,
		.comm = d->e.comm, .uid = d->e.uid, .nr = d->e.nr_killed,
		.cgroup = oom_ext_cgroup_path(d->e.group_cgid ?: d->e.victim_cgid, cgroup,
					      sizeof(cgroup)),
	};

	oom_ext_killed(loop, &v);
}

static int print_decision(struct oom_ext_loop *loop, const void *data, size_t size)
{
	static const char *const actions[] = {
		[OOM_EXT_KILLED] = "kill", [OOM_EXT_DRY_RUN] = "dry_run",
		[OOM_EXT_PASSED] = "pass", [OOM_EXT_FAILED] = "refused",
		[OOM_EXT_CHOSEN] = "chosen",
	};
	const char *tool = program_invocation_short_name;
	struct decision d = {};
	size_t n = strlen(tool);

	if (size < sizeof(d.e))
		return 0;
	memcpy(&d.e, data, sizeof(d.e));
	if (d.e.action >= ARRAY_SIZE(actions))
		d.e.action = OOM_EXT_PASSED;
	d.e.comm[sizeof(d.e.comm) - 1] = '\0';
	d.e.reason[sizeof(d.e.reason) - 1] = '\0';
	d.action = actions[d.e.action];
	d.task = d.e.action != OOM_EXT_PASSED;
	d.reason = d.e.reason;
	if (!strncmp(d.reason, tool, n) && !strncmp(d.reason + n, ": ", 2))
		d.reason += n + 2;
	if (d.e.nr_killed > 1)
		snprintf(d.more, sizeof(d.more), " and %u more", d.e.nr_killed - 1);
	snprintf(d.kill_id, sizeof(d.kill_id), "%016llx", (unsigned long long)d.e.ts_ns);
	/* The records first: once the line is out, they are all written. */
	if (d.e.action == OOM_EXT_KILLED)
		killed(loop, &d);
	oom_ext_print(&decision_formats[d.e.action], &d);
	return 0;
}

#define S(__name, __metric, __help)						\
	OOM_EXT_METRIC(#__name, struct oom_ext_stats, __name, __metric, __help)

/* kills: oom_ext_kills_total, by cgroup, comes from each kill (notify.c). */
static const struct oom_ext_format counters = {
	.event = "counters",
	.fields = (const struct oom_ext_field[]){
		S(calls, "oom_ext_handler_calls_total", "OOMs the policy was called for."),
		S(kills, NULL, NULL),
		S(passes, "oom_ext_passes_total",
		  "OOMs the policy left to the kernel (nothing to do, a dry run, a refusal)."),
		S(refused, "oom_ext_kills_refused_total", "Kills the kernel refused."),
		{}
	},
};

/* The attached line of a policy; one per process. */
static struct attached {
	const char *cgroup;	/* JSON: the path */
	const char *where;	/* text */
	bool dry_run;
} attached;

static const struct oom_ext_format attached_format = {
	.event = "attached",
	.text = "attached to {where}{?dry_run  in dry-run mode}; Ctrl-C detaches",
	.fields = (const struct oom_ext_field[]){
		OOM_EXT_FIELD("cgroup", OOM_EXT_F_STRP, struct attached, cgroup),
		OOM_EXT_FIELD("dry_run", OOM_EXT_F_BOOL, struct attached, dry_run),
		{ .name = "where", .type = OOM_EXT_F_STRP,
		  .off = offsetof(struct attached, where), .text_only = true },
		{}
	},
};

void oom_ext_policy_loop(struct oom_ext_loop *loop, struct bpf_map *ops,
			 struct bpf_map *events, const struct oom_ext_stats *stats,
			 const char *cgroup, bool dry_run)
{
	attached.cgroup = cgroup ?: "/sys/fs/cgroup";
	attached.where = cgroup ?: "the root cgroup (system-wide)";
	attached.dry_run = dry_run;
	loop->links[0] = oom_ext_attach(ops, cgroup);
	loop->cgroup = cgroup;
	loop->events = events;
	loop->on_event = print_decision;
	loop->attached = &attached_format;
	loop->attached_rec = &attached;
	loop->counters = &counters;
	loop->counters_rec = stats;
}
