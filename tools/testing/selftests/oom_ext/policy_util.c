// SPDX-License-Identifier: GPL-2.0
/*
 * oom_ext selftests: attaching bpf_oom_ops policies and reading back what
 * the kernel reports about them.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "oom_test.h"
#include "policy_util.h"

#define DEBUGFS		"/sys/kernel/debug"
#define LISTING		DEBUGFS "/bpf_oom"

static char libbpf_log[65536];
static size_t libbpf_log_len;

int ot_libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	int n;

	if (libbpf_log_len < sizeof(libbpf_log) - 1) {
		n = vsnprintf(libbpf_log + libbpf_log_len,
			      sizeof(libbpf_log) - libbpf_log_len, fmt, ap);
		if (n > 0)
			libbpf_log_len += n;
		if (libbpf_log_len >= sizeof(libbpf_log))
			libbpf_log_len = sizeof(libbpf_log) - 1;
	}
	return 0;
}

const char *ot_libbpf_log(void)
{
	return libbpf_log;
}

void ot_libbpf_log_reset(void)
{
	libbpf_log_len = 0;
	libbpf_log[0] = '\0';
}

int ot_attach(struct bpf_map *map, const char *cg, struct bpf_link **link)
{
	LIBBPF_OPTS(bpf_struct_ops_opts, opts);
	int fd = -1, err = 0;

	if (cg) {
		fd = open(cg, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			return -errno;
		opts.flags = BPF_F_CGROUP_FD;
		opts.target_fd = fd;
	}
	*link = bpf_map__attach_struct_ops_opts(map, &opts);
	if (!*link)
		err = -errno;
	if (fd >= 0)
		close(fd);
	return err;
}

struct policy *ot_policy_start(const char *cg, int mode, int target_pid,
			       struct bpf_link **link)
{
	struct policy *skel = policy__open();
	int err;

	if (!skel) {
		ot_info("policy__open: %s", strerror(errno));
		return NULL;
	}
	skel->bss->mode = mode;
	skel->bss->target_pid = target_pid;
	err = policy__load(skel);
	if (err) {
		const char *log = ot_libbpf_log();
		size_t len = strlen(log);

		/* The verifier's verdict is at the end of libbpf's log. */
		ot_info("policy__load: %s; libbpf said:\n%s", strerror(-err),
			len > 1500 ? log + len - 1500 : log);
		policy__destroy(skel);
		return NULL;
	}
	err = ot_attach(skel->maps.test_ops, cg, link);
	if (err) {
		ot_info("attach to %s: %s", cg ?: "root", strerror(-err));
		policy__destroy(skel);
		return NULL;
	}
	return skel;
}

void ot_policy_stop(struct policy *skel, struct bpf_link *link)
{
	bpf_link__destroy(link);
	policy__destroy(skel);
}

long long ot_cgroup_id(const char *path)
{
	struct stat st;

	if (stat(path, &st))
		return -1;
	return st.st_ino;
}

static FILE *listing_open(void)
{
	FILE *f = fopen(LISTING, "r");

	if (!f && errno == ENOENT &&
	    !mount("debugfs", DEBUGFS, "debugfs", 0, NULL))
		f = fopen(LISTING, "r");
	return f;
}

static int listing_parse(const char *line, struct ot_listing *l)
{
	return sscanf(line, "%63s %llu %255s %lld %lld %lld %lld", l->name,
		      &l->cgroup_id, l->cgroup, &l->calls, &l->handled,
		      &l->false_claims, &l->kills) == 7;
}

int ot_listing_find(unsigned long long cgid, struct ot_listing *out)
{
	char line[512];
	int found = 0;
	FILE *f = listing_open();

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		struct ot_listing l;

		if (listing_parse(line, &l) && l.cgroup_id == cgid) {
			*out = l;
			found = 1;
		}
	}
	fclose(f);
	return found;
}

int ot_listing_count(void)
{
	char line[512];
	int n = 0;
	FILE *f = listing_open();

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		struct ot_listing l;

		n += listing_parse(line, &l);
	}
	fclose(f);
	return n;
}
