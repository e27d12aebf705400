// SPDX-License-Identifier: GPL-2.0
/*
 * oom_cgroup_aware - foreground loader for policies/oom_cgroup_aware.bpf.c.
 *
 * On top of the common options it takes the per-cgroup configuration
 * (--prefer, --avoid, --omit, --group-kill, repeatable, and
 * --group-kill-all, --no-xattrs), checks every path before anything is
 * loaded, writes the configuration into the policy's map keyed by cgroup
 * id (the policy drops an entry when its cgroup is removed), attaches, and
 * prints each decision with the path it walked. It also copies oomd's
 * trusted.oomd_avoid and trusted.oomd_prefer marks into that map, rescanning
 * every few seconds: BPF can read only user.* attributes. And it starts the
 * policy's usage sampler, whose history gives each cgroup its growth.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/xattr.h>
#include <bpf/bpf.h>

#include <oom_ext/oom_ext.h>
#include "oom_cgroup_aware.h"
#include "oom_cgroup_aware.bpf.skel.h"

/* --prefer, --avoid, --omit, --group-kill: the flag is the path's tag. */
static struct oom_ext_path paths[OOM_EXT_MAX_CONFIGURED];
static struct oom_ext_paths configured = OOM_EXT_PATHS_INIT(paths);
static bool no_xattrs;
static const char *scan_top;	/* the attach cgroup, resolved */

static const char *flag_name(__u32 flag)
{
	switch (flag) {
	case OOM_EXT_CG_PREFER:
		return "prefer";
	case OOM_EXT_CG_AVOID:
		return "avoid";
	case OOM_EXT_CG_OMIT:
		return "omit";
	default:
		return "group-kill";
	}
}

/* A setting, from the command line or a cgroup's trusted.oomd_* mark. */
struct setting {
	const char *setting;
	const char *cgroup;
	const char *xattr;
};

static const struct oom_ext_field setting_fields[] = {
	OOM_EXT_FIELD("setting", OOM_EXT_F_STRP, struct setting, setting),
	{ .name = "cgroup", .type = OOM_EXT_F_STRP, .off = offsetof(struct setting, cgroup),
	  .if_set = "cgroup" },
	{ .name = "xattr", .type = OOM_EXT_F_STRP, .off = offsetof(struct setting, xattr),
	  .if_set = "xattr" },
	{}
};

static const struct oom_ext_format setting_format = {
	"setting", "{setting} {cgroup}{?xattr  ({xattr})}", setting_fields,
};

static const struct oom_ext_format group_kill_all_format = {
	"setting", "group kill for every chosen cgroup", setting_fields,
};

static void announce(const char *what, const char *path, const char *xattr)
{
	struct setting s = { what, path, xattr };

	oom_ext_print(&setting_format, &s);
}

/* Is @path (resolved) @top or below it? */
static bool below(const char *path, const char *top)
{
	size_t n = strlen(top);

	if (!strcmp(top, "/sys/fs/cgroup"))
		return !strncmp(path, top, n);
	return !strncmp(path, top, n) && (path[n] == '/' || !path[n]);
}

/*
 * Check every configured path: a memory cgroup at or below the attach
 * cgroup, not configured both ways. Exits with one line on the first
 * problem, before anything is loaded.
 */
static void check_configured(const char *cgroup, uid_t *owner)
{
	static char top[PATH_MAX];
	char real[PATH_MAX], file[PATH_MAX + 16];
	struct statfs sfs;
	struct stat st;
	int i, j;

	if (!realpath(cgroup ?: "/sys/fs/cgroup", top) || stat(top, &st)) {
		oom_ext_err("%s: %s", cgroup ?: "/sys/fs/cgroup", strerror(errno));
		exit(OOM_EXT_EXIT_USAGE);
	}
	*owner = st.st_uid;
	scan_top = top;
	for (i = 0; i < (int)configured.n; i++) {
		struct oom_ext_path *c = &configured.v[i];
		const char *path = c->path;
		const char *opt = flag_name(c->tag);

		if (!realpath(path, real) || stat(real, &st)) {
			oom_ext_err("--%s %s: %s", opt, path, strerror(errno));
			exit(OOM_EXT_EXIT_USAGE);
		}
		if (!S_ISDIR(st.st_mode) || statfs(real, &sfs) ||
		    sfs.f_type != CGROUP2_SUPER_MAGIC) {
			oom_ext_err("--%s %s: not a cgroup v2 directory", opt, path);
			exit(OOM_EXT_EXIT_USAGE);
		}
		snprintf(file, sizeof(file), "%s/memory.current", real);
		if (access(file, F_OK)) {
			oom_ext_err("--%s %s: not a memory cgroup (the root, or memory not enabled in its parent)",
				    opt, path);
			exit(OOM_EXT_EXIT_USAGE);
		}
		if (!below(real, top)) {
			oom_ext_err("--%s %s: not below the attach cgroup %s", opt, path, top);
			exit(OOM_EXT_EXIT_USAGE);
		}
		c->cgid = oom_ext_cgroup_id(real);
		for (j = 0; j < i; j++) {
			__u32 both = c->tag | configured.v[j].tag;

			if (configured.v[j].cgid == c->cgid &&
			    both == (OOM_EXT_CG_PREFER | OOM_EXT_CG_AVOID)) {
				oom_ext_err("--%s %s: also given to --%s", opt, path,
					    flag_name(configured.v[j].tag));
				exit(OOM_EXT_EXIT_USAGE);
			}
		}
	}
}

/*
 * Write the configuration. Runs after the cleanup program is attached, and
 * checks each cgroup again afterwards: one removed in between would
 * otherwise leave an entry behind.
 */
static int write_configured(struct bpf_map *map, bool group_kill_all)
{
	int fd = bpf_map__fd(map);
	unsigned int i;

	for (i = 0; i < configured.n; i++) {
		const struct oom_ext_path *c = &configured.v[i];
		__u64 key = c->cgid;
		__u32 flags = 0;

		bpf_map_lookup_elem(fd, &key, &flags);
		flags |= c->tag;
		if (bpf_map_update_elem(fd, &key, &flags, BPF_ANY)) {
			oom_ext_err("--%s %s: cannot store the setting: %s", flag_name(c->tag),
				    c->path, strerror(errno));
			return -1;
		}
		if (oom_ext_cgroup_id(c->path) != key) {
			bpf_map_delete_elem(fd, &key);
			oom_ext_err("--%s %s: the cgroup was removed meanwhile",
				    flag_name(c->tag), c->path);
			return -1;
		}
	}
	for (i = 0; i < configured.n; i++)
		announce(flag_name(configured.v[i].tag), configured.v[i].path, NULL);
	if (group_kill_all)
		oom_ext_print(&group_kill_all_format,
			      &(struct setting){ .setting = "group-kill-all" });
	return 0;
}

/*
 * oomd's trusted.oomd_avoid and trusted.oomd_prefer. Only CAP_SYS_ADMIN can
 * set trusted.* attributes, so no owner rule applies; the policy cannot
 * read them (bpf_cgroup_read_xattr() takes user.* only), so the loader
 * copies them into cgroup_config as avoid or prefer with OOM_EXT_CG_XATTR,
 * which tells them from the command line's entries. A rescan every
 * TRUSTED_RESCAN_SECS seconds follows marks set, changed and removed
 * later. The command line beats them; they beat the user.* marks.
 */
#define TRUSTED_RESCAN_SECS	2
#define CG_BIAS			(OOM_EXT_CG_PREFER | OOM_EXT_CG_AVOID)

static int config_fd;
static __u64 *marked;		/* cgids found with a mark by this scan */
static size_t nr_marked, max_marked;

/* Is @name set to true ("1", "yes", "true", "on"), as the policy reads it? */
static bool has_mark(const char *path, const char *name)
{
	char v[4] = "";

	if (getxattr(path, name, v, sizeof(v) - 1) <= 0)
		return false;
	return (v[0] && strchr("1yYtT", v[0])) ||
	       ((v[0] == 'o' || v[0] == 'O') && (v[1] == 'n' || v[1] == 'N'));
}

static int scan_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	__u64 cgid = oom_ext_cgroup_id(path);
	__u32 flags = 0, mark = 0;
	static bool warned;
	__u64 *grown;

	if (type != FTW_D || !cgid || !strcmp(path, scan_top))
		return 0;
	if (has_mark(path, "trusted.oomd_avoid"))
		mark = OOM_EXT_CG_AVOID;
	else if (has_mark(path, "trusted.oomd_prefer"))
		mark = OOM_EXT_CG_PREFER;
	if (!mark)
		return 0;
	bpf_map_lookup_elem(config_fd, &cgid, &flags);
	if ((flags & CG_BIAS) && !(flags & OOM_EXT_CG_XATTR))
		return 0;	/* the command line's */
	if (nr_marked == max_marked) {
		size_t n = max_marked ? 2 * max_marked : 64;

		grown = realloc(marked, n * sizeof(*marked));
		if (!grown)
			return 1;
		marked = grown;
		max_marked = n;
	}
	marked[nr_marked++] = cgid;
	if ((flags & (CG_BIAS | OOM_EXT_CG_XATTR)) == (mark | OOM_EXT_CG_XATTR))
		return 0;
	flags = (flags & ~CG_BIAS) | mark | OOM_EXT_CG_XATTR;
	if (bpf_map_update_elem(config_fd, &cgid, &flags, BPF_ANY)) {
		if (!warned)
			oom_ext_err("%s: cannot store its trusted.oomd_* mark: %s (at most %d cgroups)",
				    path, strerror(errno), OOM_EXT_MAX_CONFIGURED);
		warned = true;
		return 0;
	}
	announce(flag_name(mark), path, mark == OOM_EXT_CG_AVOID ?
		 "trusted.oomd_avoid" : "trusted.oomd_prefer");
	return 0;
}

static bool was_marked(__u64 cgid)
{
	size_t i;

	for (i = 0; i < nr_marked; i++)
		if (marked[i] == cgid)
			return true;
	return false;
}

static void scan_trusted(struct oom_ext_loop *loop)
{
	__u64 keys[OOM_EXT_MAX_CONFIGURED], *prev = NULL;
	char path[PATH_MAX];
	int i, n = 0;
	__u32 flags;

	nr_marked = 0;
	if (nftw(scan_top, scan_one, 32, FTW_PHYS | FTW_MOUNT))
		return;	/* out of memory: keep what is there */
	while (n < OOM_EXT_MAX_CONFIGURED &&
	       !bpf_map_get_next_key(config_fd, prev, &keys[n]))
		prev = &keys[n++];
	/* Entries whose mark is gone: drop what the mark had set. */
	for (i = 0; i < n; i++) {
		if (bpf_map_lookup_elem(config_fd, &keys[i], &flags) ||
		    !(flags & OOM_EXT_CG_XATTR) || was_marked(keys[i]))
			continue;
		flags &= ~(CG_BIAS | OOM_EXT_CG_XATTR);
		if (flags ? bpf_map_update_elem(config_fd, &keys[i], &flags, BPF_ANY) :
			    bpf_map_delete_elem(config_fd, &keys[i]))
			continue;
		snprintf(path, sizeof(path), "/sys/fs/cgroup");
		oom_ext_cgroup_path(keys[i], path + strlen(path), sizeof(path) - strlen(path));
		announce("unmarked", path, "trusted.oomd_*");
	}
}

/* Is cgroup2 mounted with memory_recursiveprot? It changes protection. */
static bool recursive_protection(void)
{
	char line[4096];
	bool ret = false;
	FILE *f = fopen("/proc/self/mountinfo", "r");

	while (f && fgets(line, sizeof(line), f)) {
		char *sep = strstr(line, " - cgroup2 ");

		if (sep && strstr(line, " /sys/fs/cgroup ") &&
		    strstr(sep, "memory_recursiveprot"))
			ret = true;
	}
	if (f)
		fclose(f);
	return ret;
}

#define CG_OPT(__name, __flag, __help)						\
	{ .name = (__name), .arg = "PATH", .kind = OOM_EXT_OPT_PATHS,		\
	  .dest = &configured, .tag = (__flag), .help = (__help) }

/* Run the policy's start_sampler program: the usage timer that growth reads. */
static int start_sampler(struct oom_cgroup_aware *skel)
{
	LIBBPF_OPTS(bpf_test_run_opts, topts);
	int err;

	err = bpf_prog_test_run_opts(bpf_program__fd(skel->progs.start_sampler), &topts);
	if (err || topts.retval) {
		oom_ext_err("cannot start the usage sampler: %s",
			    strerror(err ? errno : -(int)topts.retval));
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct oom_cgroup_aware *skel = OOM_EXT_OPEN(oom_cgroup_aware);
	struct oom_ext_loop loop = {};
	struct oom_ext_opts opts;
	const char *cgroup = NULL;
	bool user_marks;
	uid_t owner;
	int ret;
	const struct oom_ext_option options[] = {
		OOM_EXT_OPT_ATTACH(&cgroup),
		OOM_EXT_OPT_DRY_RUN(&skel->rodata->dry_run),
		CG_OPT("prefer", OOM_EXT_CG_PREFER,
		       "choose this cgroup sooner: its score counts 8 times"),
		CG_OPT("avoid", OOM_EXT_CG_AVOID,
		       "choose this cgroup later: its score counts 1/8"),
		CG_OPT("omit", OOM_EXT_CG_OMIT,
		       "never choose this cgroup or anything below it"),
		CG_OPT("group-kill", OOM_EXT_CG_GROUP_KILL,
		       "when chosen, kill every process of this cgroup"),
		{ .name = "group-kill-all", .kind = OOM_EXT_OPT_FLAG,
		  .dest = (void *)&skel->rodata->group_kill_all,
		  .help = "kill every process of the cgroup the choice ends in,\n"
			  "not only its largest task\n"
			  "(PATH options may be repeated; settings are kept by\n"
			  "cgroup id and dropped when the cgroup is removed)" },
		{ .name = "no-xattrs", .kind = OOM_EXT_OPT_FLAG, .dest = &no_xattrs,
		  .help = "ignore the cgroups' marks: user.oomd_omit,\n"
			  "user.oomd_avoid, user.oomd_prefer (systemd's\n"
			  "ManagedOOMPreference=; only on cgroups owned by root or\n"
			  "by the attach cgroup's owner), trusted.oomd_avoid and\n"
			  "trusted.oomd_prefer" },
		{}
	};
	const struct oom_ext_tool tool = {
		.summary =
		"kill by cgroup: descend to the cgroup using most memory above its protection",
		.options = options,
	};

	oom_ext_parse(argc, argv, &tool, &opts);
	oom_ext_check(cgroup, &opts);
	check_configured(cgroup, &owner);
	user_marks = !no_xattrs;
	if (user_marks && !oom_ext_kernel_has_func("bpf_cgroup_read_xattr")) {
		oom_ext_err("this kernel cannot read cgroup xattrs from BPF (it needs CONFIG_BPF_LSM): user.oomd_* marks are ignored");
		user_marks = false;
	}

	skel->rodata->recursive_prot = recursive_protection();
	skel->rodata->use_xattrs = user_marks;
	skel->rodata->xattr_owner = owner;
	OOM_EXT_LOAD(skel, oom_cgroup_aware);
	/* Drops a removed cgroup's settings: attached before they are written. */
	loop.links[1] = bpf_program__attach(skel->progs.forget_cgroup);
	if (!loop.links[1]) {
		oom_ext_err("cannot attach to the cgroup_rmdir tracepoint: %s", strerror(errno));
		oom_cgroup_aware__destroy(skel);
		return OOM_EXT_EXIT_FAIL;
	}
	if (write_configured(skel->maps.cgroup_config, skel->rodata->group_kill_all)) {
		bpf_link__destroy(loop.links[1]);
		oom_cgroup_aware__destroy(skel);
		return OOM_EXT_EXIT_USAGE;
	}
	/* The growth history: sampled from now on, before any OOM is taken. */
	if (start_sampler(skel)) {
		bpf_link__destroy(loop.links[1]);
		oom_cgroup_aware__destroy(skel);
		return OOM_EXT_EXIT_FAIL;
	}
	if (!no_xattrs) {
		config_fd = bpf_map__fd(skel->maps.cgroup_config);
		scan_trusted(&loop);
		loop.on_tick = scan_trusted;
		loop.tick_secs = TRUSTED_RESCAN_SECS;
	}
	oom_ext_policy_loop(&loop, skel->maps.cgroup_aware_ops, skel->maps.events,
			    &skel->bss->stats, cgroup, skel->rodata->dry_run);
	ret = oom_ext_run(&loop, &opts);
	oom_cgroup_aware__destroy(skel);
	return ret;
}
