// SPDX-License-Identifier: GPL-2.0
/*
 * The oom_ext library's checks, attach, and cgroup ids and paths: see
 * oom_ext.h. Options are in options.c, output in output.c, the loop in
 * loop.c and policy.c.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/magic.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <bpf/btf.h>

#include <oom_ext/oom_ext.h>
#include "lib.h"

#define CGROUP_ROOT "/sys/fs/cgroup"

void oom_ext_verr(const char *fmt, va_list ap)
{
	fprintf(stderr, "%s: ", program_invocation_short_name);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void oom_ext_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	oom_ext_verr(fmt, ap);
	va_end(ap);
}

/*
 * libbpf's warnings (a failed load says why) always; its debug with -v.
 * Muted around attaching, whose errors get one line of ours. Installed
 * before main(): loaders open their skeleton before parsing options.
 */
static bool libbpf_debug, libbpf_mute;

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if ((level == LIBBPF_DEBUG && !libbpf_debug) || (libbpf_mute && !libbpf_debug))
		return 0;
	return vfprintf(stderr, fmt, ap);
}

__attribute__((constructor)) static void libbpf_print_init(void)
{
	libbpf_set_print(libbpf_print);
}

void oom_ext_libbpf_debug(bool on)
{
	libbpf_debug = on;
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

void oom_ext_check(const char *cgroup, const struct oom_ext_opts *opts)
{
	oom_ext_check_root();
	if (cgroup)
		oom_ext_check_cgroup("-c", cgroup);
	oom_ext_check_kernel("bpf_oom_ops", "BPF OOM", "CONFIG_BPF_OOM");
	oom_ext_protect(opts);
}

struct bpf_link *oom_ext_attach(struct bpf_map *ops, const char *cgroup)
{
	LIBBPF_OPTS(bpf_struct_ops_opts, aopts);
	const char *where = cgroup ?: "the root cgroup";
	struct bpf_link *link;
	int fd = -1, err;

	if (cgroup) {
		fd = open(cgroup, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0) {
			oom_ext_err("-c %s: %s", cgroup, strerror(errno));
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
