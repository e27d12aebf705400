// SPDX-License-Identifier: GPL-2.0
/*
 * User side of oom_ext, shared by every loader: see oom_ext.h.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/magic.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/vfs.h>
#include <bpf/btf.h>

#include <oom_ext/oom_ext.h>

#define CGROUP_ROOT "/sys/fs/cgroup"

void oom_ext_err(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", program_invocation_short_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void oom_ext_info(const char *fmt, ...)
{
	va_list ap;

	printf("%s: ", program_invocation_short_name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fflush(stdout);
}

/*
 * libbpf's warnings (a failed load says why) always; its debug with -v.
 * Muted around attaching, whose errors get one line of ours.
 */
static bool libbpf_debug, libbpf_mute;

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if ((level == LIBBPF_DEBUG && !libbpf_debug) || (libbpf_mute && !libbpf_debug))
		return 0;
	return vfprintf(stderr, fmt, ap);
}

/* -c and -n for a bpf_oom_ops policy; other tools describe their own. */
static const char policy_help[] =
"  -c PATH              attach to the memory cgroup at PATH (default: the root\n"
"                       cgroup, system-wide)\n"
"  -n                   dry run: report each decision and pass, so the kernel\n"
"                       chooses the victim\n";

static const char common_help[] =
"  -i SECS              print the counters every SECS seconds (default 10;\n"
"                       0: only at exit)\n"
"  --oom-score-adj N    this process's own oom_score_adj (default -1000: never\n"
"                       killed, by the kernel or by its own policy)\n"
"  --json               print JSON, one object per line (see README)\n"
"  -v                   also print libbpf's debug output\n"
"  -V, --version        print the version and exit\n"
"  -h, --help           print this help and exit\n";

enum { OPT_OOM_SCORE_ADJ = 0x1000, OPT_JSON };

static const struct option common_longopts[] = {
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ "oom-score-adj", required_argument, NULL, OPT_OOM_SCORE_ADJ },
	{ "json", no_argument, NULL, OPT_JSON },
	{}
};

void oom_ext_parse(int argc, char **argv, const char *summary,
		   const struct option *extra, const char *extra_help,
		   int (*extra_opt)(int opt, const char *arg),
		   struct oom_ext_opts *opts)
{
	struct option longopts[32] = {};
	const char *name = program_invocation_short_name;
	int n = 0, i, opt;

	while (extra && extra[n].name && n < 28) {
		longopts[n] = extra[n];
		n++;
	}
	for (i = 0; common_longopts[i].name; i++)
		longopts[n++] = common_longopts[i];
	memset(opts, 0, sizeof(*opts));
	opts->interval = 10;
	opts->oom_score_adj = -1000;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":c:ni:vVh", longopts, NULL)) != -1) {
		char *end;
		unsigned long v;
		long adj;

		switch (opt) {
		case 'c':
			if (opts->nr_cgroups == OOM_EXT_MAX_CGROUPS) {
				oom_ext_err("-c: at most %d cgroups", OOM_EXT_MAX_CGROUPS);
				exit(OOM_EXT_EXIT_USAGE);
			}
			opts->cgroups[opts->nr_cgroups++] = optarg;
			if (!opts->cgroup)
				opts->cgroup = optarg;
			break;
		case 'n':
			opts->dry_run = true;
			break;
		case 'i':
			errno = 0;
			v = strtoul(optarg, &end, 10);
			if (errno || end == optarg || *end || optarg[0] == '-' || v > 86400) {
				oom_ext_err("-i: '%s' is not a number of seconds (0-86400)",
					    optarg);
				exit(OOM_EXT_EXIT_USAGE);
			}
			opts->interval = v;
			break;
		case 'v':
			opts->verbose = true;
			break;
		case OPT_OOM_SCORE_ADJ:
			errno = 0;
			adj = strtol(optarg, &end, 10);
			if (errno || end == optarg || *end || adj < -1000 || adj > 1000) {
				oom_ext_err("--oom-score-adj: '%s' is not a number from -1000 to 1000",
					    optarg);
				exit(OOM_EXT_EXIT_USAGE);
			}
			opts->oom_score_adj = adj;
			break;
		case OPT_JSON:
			opts->json = true;
			oom_ext_json = true;
			break;
		case 'V':
			printf("%s (oom_ext) %s\n", name, OOM_EXT_VERSION);
			exit(0);
		case 'h':
			extra_help = extra_help ?: "";
			printf("%s - %s\n\nUsage: %s [options]\n\n%s%s%s", name, summary, name,
			       strncmp(extra_help, "  -c ", 5) ? policy_help : "", extra_help,
			       common_help);
			exit(0);
		case ':':
			oom_ext_err("option '%s' needs an argument (see -h)", argv[optind - 1]);
			exit(OOM_EXT_EXIT_USAGE);
		case '?':
			if (optopt)
				oom_ext_err("unknown option '-%c' (see -h)", optopt);
			else
				oom_ext_err("unknown option '%s' (see -h)", argv[optind - 1]);
			exit(OOM_EXT_EXIT_USAGE);
		default:
			if (!extra_opt || extra_opt(opt, optarg)) {
				oom_ext_err("unknown option (see -h)");
				exit(OOM_EXT_EXIT_USAGE);
			}
		}
	}
	if (optind < argc) {
		oom_ext_err("unexpected argument '%s' (see -h)", argv[optind]);
		exit(OOM_EXT_EXIT_USAGE);
	}
	libbpf_debug = opts->verbose;
	libbpf_set_print(libbpf_print);
}

static bool have_cap(int cap)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};

	if (syscall(SYS_capget, &hdr, data))
		return false;
	return data[CAP_TO_INDEX(cap)].effective & CAP_TO_MASK(cap);
}

/*
 * What the kernel checks: CAP_BPF to create the maps and load, CAP_PERFMON
 * for a struct_ops program, CAP_SYS_ADMIN to register bpf_oom_ops or
 * bpf_psi_ops. Not the user id: a service may have exactly these.
 */
void oom_ext_check_root(void)
{
	static const struct { int cap; const char *name; } need[] = {
		{ CAP_BPF, "CAP_BPF" },
		{ CAP_PERFMON, "CAP_PERFMON" },
		{ CAP_SYS_ADMIN, "CAP_SYS_ADMIN" },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(need); i++) {
		if (!have_cap(need[i].cap)) {
			oom_ext_err("needs CAP_BPF, CAP_PERFMON and CAP_SYS_ADMIN (no %s): run as root",
				    need[i].name);
			exit(OOM_EXT_EXIT_USAGE);
		}
	}
}

/*
 * A policy is needed most when memory runs out: keep this process out of
 * reach. Its pages stay in RAM (a loader stuck in reclaim stops reporting,
 * and one that is killed takes its link, and so the policy, with it), and
 * its oom_score_adj keeps the kernel and its own policy from choosing it.
 * Either may fail without the privilege (CAP_IPC_LOCK, CAP_SYS_RESOURCE);
 * then say so and go on.
 */
void oom_ext_protect(const struct oom_ext_opts *opts)
{
	char adj[16];
	int fd, n;

	if (mlockall(MCL_CURRENT | MCL_FUTURE))
		oom_ext_err("warning: cannot lock this process in memory: %s", strerror(errno));
	n = snprintf(adj, sizeof(adj), "%d", opts->oom_score_adj);
	fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, adj, n) != n)
		oom_ext_err("warning: cannot set this process's oom_score_adj to %s: %s",
			    adj, strerror(errno));
	if (fd >= 0)
		close(fd);
}

void oom_ext_check_cgroup(const char *opt, const char *path)
{
	char file[PATH_MAX + 16];
	struct statfs sfs;
	struct stat st;

	if (stat(path, &st)) {
		oom_ext_err("%s %s: %s", opt, path, strerror(errno));
		exit(OOM_EXT_EXIT_USAGE);
	}
	if (!S_ISDIR(st.st_mode) || statfs(path, &sfs) || sfs.f_type != CGROUP2_SUPER_MAGIC) {
		oom_ext_err("%s %s: not a cgroup v2 directory", opt, path);
		exit(OOM_EXT_EXIT_USAGE);
	}
	snprintf(file, sizeof(file), "%s/memory.max", path);
	if (access(file, F_OK) && oom_ext_cgroup_id(path) != OOM_EXT_ROOT_CGID) {
		oom_ext_err("%s %s: the memory controller is not enabled for this cgroup",
			    opt, path);
		exit(OOM_EXT_EXIT_USAGE);
	}
}

void oom_ext_check_kernel(const char *type, const char *what, const char *config)
{
	struct btf *btf = btf__load_vmlinux_btf();

	if (!btf) {
		oom_ext_err("cannot read the kernel's BTF (%s): no %s support here",
			    strerror(errno), what);
		exit(OOM_EXT_EXIT_USAGE);
	}
	if (btf__find_by_name_kind(btf, type, BTF_KIND_STRUCT) < 0) {
		btf__free(btf);
		oom_ext_err("this kernel has no %s support (struct %s is not in its BTF; it needs %s)",
			    what, type, config);
		exit(OOM_EXT_EXIT_USAGE);
	}
	btf__free(btf);
}

bool oom_ext_kernel_has_func(const char *name)
{
	struct btf *btf = btf__load_vmlinux_btf();
	bool ret = btf && btf__find_by_name_kind(btf, name, BTF_KIND_FUNC) >= 0;

	btf__free(btf);
	return ret;
}

void oom_ext_check(const struct oom_ext_opts *opts)
{
	oom_ext_check_root();
	if (opts->nr_cgroups > 1) {
		oom_ext_err("-c given %u times: a policy attaches to one cgroup",
			    opts->nr_cgroups);
		exit(OOM_EXT_EXIT_USAGE);
	}
	if (opts->cgroup)
		oom_ext_check_cgroup("-c", opts->cgroup);
	oom_ext_check_kernel("bpf_oom_ops", "BPF OOM", "CONFIG_BPF_OOM");
	oom_ext_protect(opts);
}

struct bpf_link *oom_ext_attach(struct bpf_map *ops, const struct oom_ext_opts *opts)
{
	LIBBPF_OPTS(bpf_struct_ops_opts, aopts);
	const char *where = opts->cgroup ?: "the root cgroup";
	struct bpf_link *link;
	int fd = -1, err;

	if (opts->cgroup) {
		fd = open(opts->cgroup, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0) {
			oom_ext_err("-c %s: %s", opts->cgroup, strerror(errno));
			exit(OOM_EXT_EXIT_USAGE);
		}
		aopts.flags = BPF_F_CGROUP_FD;
		aopts.target_fd = fd;
	}
	libbpf_mute = true;
	link = bpf_map__attach_struct_ops_opts(ops, &aopts);
	err = errno;
	libbpf_mute = false;
	if (fd >= 0)
		close(fd);
	if (link)
		return link;
	switch (err) {
	case EEXIST:
		oom_ext_err("%s: a BPF OOM policy is already attached there", where);
		break;
	case EPERM:
	case EACCES:
		oom_ext_err("%s: not permitted to attach a BPF OOM policy", where);
		break;
	case EINVAL:
		oom_ext_err("%s: cannot attach here (memory controller not enabled?)", where);
		break;
	default:
		oom_ext_err("%s: attaching failed: %s", where, strerror(err));
	}
	exit(OOM_EXT_EXIT_USAGE);
}

/*
 * Cgroup ids and paths. A cgroupfs file handle is the cgroup id (kernfs,
 * FILEID_KERNFS), so name_to_handle_at() gives the id of a path and
 * open_by_handle_at() the cgroup of an id; the latter needs
 * CAP_DAC_READ_SEARCH, without which one walk of the hierarchy finds it.
 * cgroup v2 does not rename cgroups and never reuses ids, so a path once
 * found stays right: a small cache keeps the walks to one per cgroup.
 */
#define FILEID_KERNFS	0xfe	/* include/linux/exportfs.h */

union cgroup_handle {
	struct file_handle fh;
	char buf[sizeof(struct file_handle) + sizeof(__u64)];
};

__u64 oom_ext_cgroup_id(const char *path)
{
	union cgroup_handle h = { .fh.handle_bytes = sizeof(__u64) };
	__u64 id;
	int mnt;

	if (name_to_handle_at(AT_FDCWD, path, &h.fh, &mnt, 0) ||
	    h.fh.handle_bytes != sizeof(id))
		return 0;
	memcpy(&id, h.fh.f_handle, sizeof(id));
	return id;
}

/* By handle: needs CAP_DAC_READ_SEARCH. */
static bool path_by_handle(__u64 cgid, char *buf, size_t len)
{
	static int mount_fd = -1;
	union cgroup_handle h = { .fh.handle_bytes = sizeof(__u64) };
	char link[64], path[PATH_MAX];
	ssize_t n;
	int fd;

	if (mount_fd < 0)
		mount_fd = open(CGROUP_ROOT, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	h.fh.handle_type = FILEID_KERNFS;
	memcpy(h.fh.f_handle, &cgid, sizeof(cgid));
	fd = open_by_handle_at(mount_fd, &h.fh, O_PATH | O_CLOEXEC);
	if (fd < 0)
		return false;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, path, sizeof(path) - 1);
	close(fd);
	if (n < (ssize_t)strlen(CGROUP_ROOT) || strncmp(path, CGROUP_ROOT, strlen(CGROUP_ROOT)))
		return false;
	path[n] = '\0';
	snprintf(buf, len, "%s", path[strlen(CGROUP_ROOT)] ? path + strlen(CGROUP_ROOT) : "/");
	return true;
}

/* By walking the hierarchy, the one nftw() callback's arguments. */
static __u64 find_cgid;
static char *find_buf;
static size_t find_len;

static int find_cgroup(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	if (flag != FTW_D || oom_ext_cgroup_id(path) != find_cgid)
		return 0;
	snprintf(find_buf, find_len, "%s", path + strlen(CGROUP_ROOT));
	if (!find_buf[0])
		snprintf(find_buf, find_len, "/");
	return 1;
}

#define PATH_CACHE	64

const char *oom_ext_cgroup_path(__u64 cgid, char *buf, size_t len)
{
	static struct {
		__u64 cgid;
		char *path;
	} cache[PATH_CACHE];
	static unsigned int next;
	unsigned int i;

	for (i = 0; i < PATH_CACHE; i++) {
		if (cache[i].cgid == cgid && cache[i].path) {
			snprintf(buf, len, "%s", cache[i].path);
			return buf;
		}
	}
	if (!path_by_handle(cgid, buf, len)) {
		find_cgid = cgid;
		find_buf = buf;
		find_len = len;
		if (nftw(CGROUP_ROOT, find_cgroup, 32, FTW_PHYS | FTW_MOUNT) != 1) {
			snprintf(buf, len, "cgroup#%llu", (unsigned long long)cgid);
			return buf;	/* removed: not cached */
		}
	}
	i = next++ % PATH_CACHE;
	free(cache[i].path);
	cache[i].cgid = cgid;
	cache[i].path = strdup(buf);
	return buf;
}

bool oom_ext_json;
static bool json_comma;

static void json_key(const char *key)
{
	if (json_comma)
		putchar(',');
	if (key)
		printf("\"%s\":", key);
	json_comma = true;
}

void oom_ext_json_begin(const char *event)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	printf("{\"time\":%lld.%03ld,\"tool\":\"%s\",\"event\":\"%s\"",
	       (long long)ts.tv_sec, ts.tv_nsec / 1000000, program_invocation_short_name,
	       event);
	json_comma = true;
}

void oom_ext_json_str(const char *key, const char *v)
{
	json_key(key);
	putchar('"');
	for (; *v; v++) {
		unsigned char c = *v;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

void oom_ext_json_int(const char *key, long long v)
{
	json_key(key);
	printf("%lld", v);
}

void oom_ext_json_num(const char *key, double v)
{
	json_key(key);
	printf("%.1f", v);
}

void oom_ext_json_bool(const char *key, bool v)
{
	json_key(key);
	printf("%s", v ? "true" : "false");
}

void oom_ext_json_open(const char *key, char bracket)
{
	json_key(key);
	putchar(bracket);
	json_comma = false;
}

void oom_ext_json_close(char bracket)
{
	putchar(bracket);
	json_comma = true;
}

void oom_ext_json_end(void)
{
	printf("}\n");
	fflush(stdout);
}

double oom_ext_mib(__u64 pages)
{
	return (double)pages * sysconf(_SC_PAGESIZE) / (1 << 20);
}

/* A cgroup's choice flags as a JSON array of names. */
static void json_flags(const char *key, __u32 flags)
{
	static const char *const names[] = { "prefer", "avoid", "omit", "group_kill",
					     "own_tasks", "oom_group", "xattr" };
	unsigned int i;

	oom_ext_json_open(key, '[');
	for (i = 0; i < ARRAY_SIZE(names); i++)
		if (flags & (1U << i))
			oom_ext_json_str(NULL, names[i]);
	oom_ext_json_close(']');
}

static void json_event(const struct oom_ext_event *e, const char *reason)
{
	static const char *const actions[] = {
		[OOM_EXT_KILLED] = "kill", [OOM_EXT_DRY_RUN] = "dry_run",
		[OOM_EXT_FAILED] = "refused",
	};
	char path[512];
	__u32 i;

	oom_ext_json_begin("decision");
	oom_ext_json_str("action", e->action < ARRAY_SIZE(actions) &&
			 actions[e->action] ? actions[e->action] : "pass");
	oom_ext_json_str("domain", oom_ext_cgroup_path(e->domain_cgid, path, sizeof(path)));
	oom_ext_json_str("reason", reason);
	if (e->action == OOM_EXT_KILLED || e->action == OOM_EXT_DRY_RUN ||
	    e->action == OOM_EXT_FAILED) {
		oom_ext_json_int("pid", e->pid);
		oom_ext_json_str("comm", e->comm);
		oom_ext_json_str("cgroup", oom_ext_cgroup_path(e->victim_cgid, path, sizeof(path)));
		oom_ext_json_num("mib", oom_ext_mib(e->pages));
		oom_ext_json_int("killed", e->nr_killed);
	}
	if (e->action == OOM_EXT_FAILED)
		oom_ext_json_str("error", strerror(-e->err));
	oom_ext_json_open("levels", '[');
	for (i = 0; i < e->nr_levels && i < OOM_EXT_MAX_LEVELS; i++) {
		const struct oom_ext_level *l = &e->levels[i];

		oom_ext_json_open(NULL, '{');
		oom_ext_json_str("in", oom_ext_cgroup_path(l->parent_cgid, path, sizeof(path)));
		oom_ext_json_str("chose", oom_ext_cgroup_path(l->chosen_cgid, path, sizeof(path)));
		oom_ext_json_num("chose_mib", oom_ext_mib(l->chosen_score));
		json_flags("chose_flags", l->chosen_flags);
		if (l->runner_cgid) {
			oom_ext_json_str("over", oom_ext_cgroup_path(l->runner_cgid, path,
								     sizeof(path)));
			oom_ext_json_num("over_mib", oom_ext_mib(l->runner_score));
			json_flags("over_flags", l->runner_flags);
		}
		oom_ext_json_close('}');
	}
	oom_ext_json_close(']');
	oom_ext_json_end();
}

/* "b (prefer) 12.5 MiB" for /a/b below /a, or "own tasks 3.0 MiB" */
static void print_candidate(const char *parent, __u64 cgid, __u64 score, __u32 flags)
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
	printf("%s%s%s%s%s%s (%.1f MiB)", name, flags & OOM_EXT_CG_PREFER ? " [prefer" : "",
	       flags & OOM_EXT_CG_AVOID ? " [avoid" : "",
	       !(flags & (OOM_EXT_CG_PREFER | OOM_EXT_CG_AVOID)) ? "" :
	       flags & OOM_EXT_CG_XATTR ? ": xattr]" : "]",
	       flags & OOM_EXT_CG_OOM_GROUP ? " [oom.group]" : "",
	       flags & OOM_EXT_CG_GROUP_KILL ? " [group-kill]" : "",
	       oom_ext_mib(score));
}

/*
 * One line per level of a hierarchical choice: what won and the runner-up,
 * with their scores (usage above protection, after bias).
 */
static void print_levels(const struct oom_ext_event *e)
{
	char parent[512];
	__u32 i;

	for (i = 0; i < e->nr_levels && i < OOM_EXT_MAX_LEVELS; i++) {
		const struct oom_ext_level *l = &e->levels[i];

		oom_ext_cgroup_path(l->parent_cgid, parent, sizeof(parent));
		printf("%s:   in %s: chose ", program_invocation_short_name, parent);
		print_candidate(parent, l->chosen_cgid, l->chosen_score, l->chosen_flags);
		if (l->runner_cgid) {
			printf(" over ");
			print_candidate(parent, l->runner_cgid, l->runner_score, l->runner_flags);
		} else {
			printf(", the only candidate");
		}
		printf("\n");
	}
}

/* The policy names itself in its reason, for the kernel's report. */
static const char *reason_of(const struct oom_ext_event *e)
{
	const char *name = program_invocation_short_name;
	size_t n = strlen(name);

	if (!strncmp(e->reason, name, n) && !strncmp(e->reason + n, ": ", 2))
		return e->reason + n + 2;
	return e->reason;
}

static int print_event(void *ctx, void *data, size_t size)
{
	const struct oom_ext_event *e = data;
	char victim[512], domain[512], group[32] = "";
	double mib = oom_ext_mib(e->pages);
	const char *reason = reason_of(e);

	if (size < sizeof(*e))
		return 0;
	if (oom_ext_json) {
		json_event(e, reason);
		return 0;
	}
	oom_ext_cgroup_path(e->domain_cgid, domain, sizeof(domain));
	if (e->nr_killed > 1)
		snprintf(group, sizeof(group), " and %u more", e->nr_killed - 1);
	switch (e->action) {
	case OOM_EXT_KILLED:
		oom_ext_info("OOM in %s: killed pid %d (%s)%s in %s, %.1f MiB: %s\n",
			     domain, e->pid, e->comm, group,
			     oom_ext_cgroup_path(e->victim_cgid, victim, sizeof(victim)), mib,
			     reason);
		break;
	case OOM_EXT_DRY_RUN:
		oom_ext_info("OOM in %s: would kill pid %d (%s)%s in %s, %.1f MiB: %s [dry run: the kernel decides]\n",
			     domain, e->pid, e->comm, group,
			     oom_ext_cgroup_path(e->victim_cgid, victim, sizeof(victim)), mib,
			     reason);
		break;
	case OOM_EXT_FAILED:
		oom_ext_info("OOM in %s: the kernel refused to kill pid %d (%s): %s; it decides\n",
			     domain, e->pid, e->comm, strerror(-e->err));
		break;
	default:
		oom_ext_info("OOM in %s: passed (%s)\n", domain, reason);
	}
	print_levels(e);
	fflush(stdout);
	return 0;
}

static void print_stats(const struct oom_ext_stats *s)
{
	if (oom_ext_json) {
		oom_ext_json_begin("counters");
		oom_ext_json_int("calls", s->calls);
		oom_ext_json_int("kills", s->kills);
		oom_ext_json_int("passes", s->passes);
		oom_ext_json_int("refused", s->refused);
		oom_ext_json_end();
		return;
	}
	printf("%s: calls %llu, kills %llu, passes %llu, refused %llu\n",
	       program_invocation_short_name, (unsigned long long)s->calls,
	       (unsigned long long)s->kills, (unsigned long long)s->passes,
	       (unsigned long long)s->refused);
	fflush(stdout);
}

static const struct oom_ext_stats *run_stats;

static void print_run_stats(void)
{
	print_stats(run_stats);
}

int oom_ext_run(struct bpf_link *link, struct bpf_map *events,
		const struct oom_ext_stats *stats, const struct oom_ext_opts *opts)
{
	run_stats = stats;
	if (oom_ext_json) {
		oom_ext_json_begin("attached");
		oom_ext_json_str("cgroup", opts->cgroup ?: "/sys/fs/cgroup");
		oom_ext_json_bool("dry_run", opts->dry_run);
		oom_ext_json_end();
	} else {
		printf("%s: attached to %s%s; Ctrl-C detaches\n", program_invocation_short_name,
		       opts->cgroup ?: "the root cgroup (system-wide)",
		       opts->dry_run ? " in dry-run mode" : "");
	}
	return oom_ext_loop(link, events, print_event, print_run_stats, opts);
}

bool oom_ext_done;

static void (*every_fn)(void);
static unsigned int every_secs;

void oom_ext_every(unsigned int secs, void (*fn)(void))
{
	every_secs = secs;
	every_fn = fn;
}

/* A periodic timerfd in @ep, or -1 (@secs 0: none). */
static int add_timer(int ep, unsigned int secs)
{
	struct itimerspec its = {
		.it_value.tv_sec = secs,
		.it_interval.tv_sec = secs,
	};
	struct epoll_event ev = { .events = EPOLLIN };
	int fd;

	if (!secs)
		return -1;
	fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	if (fd < 0)
		return -1;
	timerfd_settime(fd, 0, &its, NULL);
	ev.data.fd = fd;
	epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
	return fd;
}

int oom_ext_loop(struct bpf_link *link, struct bpf_map *events,
		 ring_buffer_sample_fn on_event, void (*on_tick)(void),
		 const struct oom_ext_opts *opts)
{
	struct ring_buffer *rb = NULL;
	int ep = -1, sfd = -1, tfd = -1, wfd = -1, ret = OOM_EXT_EXIT_FAIL;
	struct epoll_event ev = { .events = EPOLLIN };
	sigset_t mask;

	/*
	 * The caller printed "attached" already: SIGINT/SIGTERM from now on
	 * must detach cleanly, so block them before anything else.
	 */
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	fflush(stdout);

	sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	rb = ring_buffer__new(bpf_map__fd(events), on_event, NULL, NULL);
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (sfd < 0 || !rb || ep < 0) {
		oom_ext_err("cannot set up the event loop: %s", strerror(errno));
		goto out;
	}
	ev.data.fd = sfd;
	epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &ev);
	ev.data.fd = ring_buffer__epoll_fd(rb);
	epoll_ctl(ep, EPOLL_CTL_ADD, ev.data.fd, &ev);
	/* The kernel reports a detach (cgroup removed) as EPOLLHUP. */
	ev.data.fd = bpf_link__fd(link);
	epoll_ctl(ep, EPOLL_CTL_ADD, ev.data.fd, &ev);
	tfd = add_timer(ep, opts->interval);
	if (every_fn)
		wfd = add_timer(ep, every_secs);

	for (;;) {
		struct epoll_event got;
		int n = epoll_wait(ep, &got, 1, -1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			oom_ext_err("epoll_wait: %s", strerror(errno));
			break;
		}
		if (got.data.fd == ring_buffer__epoll_fd(rb)) {
			ring_buffer__consume(rb);
			if (oom_ext_done) {
				ret = 0;
				break;
			}
		} else if (got.data.fd == tfd) {
			__u64 ticks;

			if (read(tfd, &ticks, sizeof(ticks)) > 0)
				on_tick();
		} else if (got.data.fd == wfd) {
			__u64 ticks;

			if (read(wfd, &ticks, sizeof(ticks)) > 0)
				every_fn();
		} else if (got.data.fd == sfd) {
			ring_buffer__consume(rb);
			ret = 0;
			break;
		} else if (got.data.fd == bpf_link__fd(link) && (got.events & EPOLLHUP)) {
			ring_buffer__consume(rb);
			if (oom_ext_json) {
				oom_ext_json_begin("cgroup_removed");
				oom_ext_json_str("cgroup", opts->cgroup ?: "/sys/fs/cgroup");
				oom_ext_json_end();
			} else {
				printf("%s: %s was removed; the kernel detached the policy\n",
				       program_invocation_short_name,
				       opts->cgroup ?: "the cgroup");
			}
			ret = 0;
			break;
		}
	}
	on_tick();
out:
	ring_buffer__free(rb);
	if (tfd >= 0)
		close(tfd);
	if (wfd >= 0)
		close(wfd);
	if (ep >= 0)
		close(ep);
	if (sfd >= 0)
		close(sfd);
	return ret;
}

void oom_ext_detached(void)
{
	if (oom_ext_json) {
		oom_ext_json_begin("detached");
		oom_ext_json_end();
	} else {
		printf("%s: detached\n", program_invocation_short_name);
		fflush(stdout);
	}
}
