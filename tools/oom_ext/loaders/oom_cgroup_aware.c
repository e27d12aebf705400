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
 * every few seconds: BPF can read only user.* attributes.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <ftw.h>
#include <getopt.h>
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
#include "oom_cgroup_aware.bpf.skel.h"

enum {
	OPT_PREFER = 0x100,
	OPT_AVOID,
	OPT_OMIT,
	OPT_GROUP_KILL,
	OPT_GROUP_KILL_ALL,
	OPT_NO_XATTRS,
};

static const struct option extra_opts[] = {
	{ "prefer", required_argument, NULL, OPT_PREFER },
	{ "avoid", required_argument, NULL, OPT_AVOID },
	{ "omit", required_argument, NULL, OPT_OMIT },
	{ "group-kill", required_argument, NULL, OPT_GROUP_KILL },
	{ "group-kill-all", no_argument, NULL, OPT_GROUP_KILL_ALL },
	{ "no-xattrs", no_argument, NULL, OPT_NO_XATTRS },
	{}
};

static const char extra_help[] =
"  --prefer PATH        choose this cgroup sooner: its score counts 8 times\n"
"  --avoid PATH         choose this cgroup later: its score counts 1/8\n"
"  --omit PATH          never choose this cgroup or anything below it\n"
"  --group-kill PATH    when chosen, kill every process of this cgroup\n"
"  --group-kill-all     kill every process of the cgroup the choice ends in,\n"
"                       not only its largest task\n"
"                       (PATH options may be repeated; settings are kept by\n"
"                       cgroup id and dropped when the cgroup is removed)\n"
"  --no-xattrs          ignore the cgroups' marks: user.oomd_omit,\n"
"                       user.oomd_avoid, user.oomd_prefer (systemd's\n"
"                       ManagedOOMPreference=; only on cgroups owned by root or\n"
"                       by the attach cgroup's owner), trusted.oomd_avoid and\n"
"                       trusted.oomd_prefer\n";

static struct {
	const char *path;
	__u32 flag;
	__u64 cgid;
} configured[OOM_EXT_MAX_CONFIGURED];
static int nr_configured;
static bool group_kill_all;
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

static int extra_opt(int opt, const char *arg)
{
	static const __u32 flags[] = {
		[OPT_PREFER - OPT_PREFER] = OOM_EXT_CG_PREFER,
		[OPT_AVOID - OPT_PREFER] = OOM_EXT_CG_AVOID,
		[OPT_OMIT - OPT_PREFER] = OOM_EXT_CG_OMIT,
		[OPT_GROUP_KILL - OPT_PREFER] = OOM_EXT_CG_GROUP_KILL,
	};

	if (opt == OPT_GROUP_KILL_ALL) {
		group_kill_all = true;
		return 0;
	}
	if (opt == OPT_NO_XATTRS) {
		no_xattrs = true;
		return 0;
	}
	if (opt < OPT_PREFER || opt > OPT_GROUP_KILL)
		return -1;
	if (nr_configured == OOM_EXT_MAX_CONFIGURED) {
		oom_ext_err("at most %d cgroups can be configured", OOM_EXT_MAX_CONFIGURED);
		exit(OOM_EXT_EXIT_USAGE);
	}
	configured[nr_configured].path = arg;
	configured[nr_configured].flag = flags[opt - OPT_PREFER];
	nr_configured++;
	return 0;
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
static void check_configured(const struct oom_ext_opts *opts, uid_t *owner)
{
	static char top[PATH_MAX];
	char real[PATH_MAX], file[PATH_MAX + 16];
	struct statfs sfs;
	struct stat st;
	int i, j;

	if (!realpath(opts->cgroup ?: "/sys/fs/cgroup", top) || stat(top, &st)) {
		oom_ext_err("%s: %s", opts->cgroup ?: "/sys/fs/cgroup", strerror(errno));
		exit(OOM_EXT_EXIT_USAGE);
	}
	*owner = st.st_uid;
	scan_top = top;
	for (i = 0; i < nr_configured; i++) {
		const char *path = configured[i].path;
		const char *opt = flag_name(configured[i].flag);

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
		configured[i].cgid = oom_ext_cgroup_id(real);
		for (j = 0; j < i; j++) {
			__u32 both = configured[i].flag | configured[j].flag;

			if (configured[j].cgid == configured[i].cgid &&
			    both == (OOM_EXT_CG_PREFER | OOM_EXT_CG_AVOID)) {
				oom_ext_err("--%s %s: also given to --%s", opt, path,
					    flag_name(configured[j].flag));
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
static int write_configured(struct bpf_map *map)
{
	int i, fd = bpf_map__fd(map);

	for (i = 0; i < nr_configured; i++) {
		__u64 key = configured[i].cgid;
		__u32 flags = 0;

		bpf_map_lookup_elem(fd, &key, &flags);
		flags |= configured[i].flag;
		if (bpf_map_update_elem(fd, &key, &flags, BPF_ANY)) {
			oom_ext_err("--%s %s: cannot store the setting: %s",
				    flag_name(configured[i].flag), configured[i].path,
				    strerror(errno));
			return -1;
		}
		if (oom_ext_cgroup_id(configured[i].path) != key) {
			bpf_map_delete_elem(fd, &key);
			oom_ext_err("--%s %s: the cgroup was removed meanwhile",
				    flag_name(configured[i].flag), configured[i].path);
			return -1;
		}
	}
	for (i = 0; i < nr_configured; i++) {
		if (oom_ext_json) {
			oom_ext_json_begin("setting");
			oom_ext_json_str("setting", flag_name(configured[i].flag));
			oom_ext_json_str("cgroup", configured[i].path);
			oom_ext_json_end();
		} else {
			oom_ext_info("%s %s\n", flag_name(configured[i].flag),
				     configured[i].path);
		}
	}
	if (group_kill_all && oom_ext_json) {
		oom_ext_json_begin("setting");
		oom_ext_json_str("setting", "group-kill-all");
		oom_ext_json_end();
	} else if (group_kill_all) {
		oom_ext_info("group kill for every chosen cgroup\n");
	}
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

static void announce_mark(const char *path, const char *what, const char *xattr)
{
	if (oom_ext_json) {
		oom_ext_json_begin("setting");
		oom_ext_json_str("setting", what);
		oom_ext_json_str("cgroup", path);
		oom_ext_json_str("xattr", xattr);
		oom_ext_json_end();
	} else {
		oom_ext_info("%s %s (%s)\n", what, path, xattr);
		fflush(stdout);
	}
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
	announce_mark(path, flag_name(mark), mark == OOM_EXT_CG_AVOID ?
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

static void scan_trusted(void)
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
		announce_mark(path, "unmarked", "trusted.oomd_*");
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

int main(int argc, char **argv)
{
	struct oom_cgroup_aware *skel;
	struct oom_ext_opts opts;
	struct bpf_link *cleanup;
	bool user_marks;
	uid_t owner;
	int ret;

	oom_ext_parse(argc, argv,
		      "kill by cgroup: descend to the cgroup using most memory above its protection",
		      extra_opts, extra_help, extra_opt, &opts);
	oom_ext_check(&opts);
	check_configured(&opts, &owner);
	user_marks = !no_xattrs;
	if (user_marks && !oom_ext_kernel_has_func("bpf_cgroup_read_xattr")) {
		oom_ext_err("this kernel cannot read cgroup xattrs from BPF (it needs CONFIG_BPF_LSM): user.oomd_* marks are ignored");
		user_marks = false;
	}

	skel = OOM_EXT_OPEN(oom_cgroup_aware);
	skel->rodata->dry_run = opts.dry_run;
	skel->rodata->group_kill_all = group_kill_all;
	skel->rodata->recursive_prot = recursive_protection();
	skel->rodata->use_xattrs = user_marks;
	skel->rodata->xattr_owner = owner;
	OOM_EXT_LOAD(skel, oom_cgroup_aware);
	cleanup = bpf_program__attach(skel->progs.forget_cgroup);
	if (!cleanup) {
		oom_ext_err("cannot attach to the cgroup_rmdir tracepoint: %s", strerror(errno));
		oom_cgroup_aware__destroy(skel);
		return OOM_EXT_EXIT_FAIL;
	}
	if (write_configured(skel->maps.cgroup_config)) {
		bpf_link__destroy(cleanup);
		oom_cgroup_aware__destroy(skel);
		return OOM_EXT_EXIT_USAGE;
	}

	if (!no_xattrs) {
		config_fd = bpf_map__fd(skel->maps.cgroup_config);
		scan_trusted();
		oom_ext_every(TRUSTED_RESCAN_SECS, scan_trusted);
	}
	ret = OOM_EXT_ATTACH_RUN(skel, oom_cgroup_aware, cgroup_aware_ops, &opts);
	bpf_link__destroy(cleanup);
	return ret;
}
