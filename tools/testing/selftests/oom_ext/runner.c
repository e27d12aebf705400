// SPDX-License-Identifier: GPL-2.0
/*
 * oom_ext selftest runner.
 *
 * All tests are linked into this one binary and run one after another (they
 * share the memory cgroup tree and, later, the system-wide OOM policy slot).
 * Output is KTAP; the exit code follows kselftest: 0 all passed, 1 something
 * failed, 4 everything was skipped.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include <bpf/libbpf.h>

#include "oom_test.h"
#include "policy_util.h"
#include "util.h"

#define KSFT_PASS	0
#define KSFT_FAIL	1
#define KSFT_SKIP	4
#define MAX_TESTS	256

static const char help_fmt[] =
"Run the oom_ext selftests (KTAP output).\n"
"\n"
"Usage: %s [-t FILTER] [-l] [-q] [-h]\n"
"\n"
"  -t FILTER  only run tests whose name contains FILTER\n"
"  -l         list the tests and exit\n"
"  -q         do not print test descriptions\n"
"  -h         show this help and exit\n";

static struct oom_test *tests[MAX_TESTS];
static int nr_tests;

void oom_test_register(struct oom_test *test)
{
	if (nr_tests >= MAX_TESTS) {
		fprintf(stderr, "runner: too many tests\n");
		exit(KSFT_FAIL);
	}
	tests[nr_tests++] = test;
}

static int cmp_tests(const void *a, const void *b)
{
	return strcmp((*(struct oom_test *const *)a)->name,
		      (*(struct oom_test *const *)b)->name);
}

static enum oom_test_status run_one(struct oom_test *t)
{
	enum oom_test_status st;
	void *ctx = NULL;
	int kmsg, splats, strays = 0;

	kmsg = ot_kmsg_open();
	ot_libbpf_log_reset();
	st = t->setup ? t->setup(&ctx) : OOM_TEST_PASS;
	if (st == OOM_TEST_PASS) {
		st = t->run(ctx);
		if (t->cleanup)
			t->cleanup(ctx);
	}
	/* Orphans of the test's children are ours: see main(). */
	while (waitpid(-1, NULL, WNOHANG) > 0)
		strays++;
	if (strays)
		printf("# reaped %d process(es) the test left behind\n", strays);
	/* Whatever the test asserted, a kernel splat fails it. */
	splats = ot_kmsg_count_splats(kmsg);
	if (splats) {
		printf("# FAIL: %d WARN/BUG line(s) in the kernel log\n", splats);
		st = OOM_TEST_FAIL;
	}
	if (kmsg >= 0)
		close(kmsg);
	return st;
}

int main(int argc, char **argv)
{
	int pass = 0, fail = 0, skip = 0, n = 0, i, opt, ret;
	const char *filter = NULL;
	bool quiet = false, need_cg;

	while ((opt = getopt(argc, argv, "t:lqh")) != -1) {
		switch (opt) {
		case 't':
			filter = optarg;
			break;
		case 'l':
			qsort(tests, nr_tests, sizeof(tests[0]), cmp_tests);
			for (i = 0; i < nr_tests; i++)
				printf("%-32s %s\n", tests[i]->name, tests[i]->description);
			return KSFT_PASS;
		case 'q':
			quiet = true;
			break;
		case 'h':
			printf(help_fmt, argv[0]);
			return KSFT_PASS;
		default:
			fprintf(stderr, help_fmt, argv[0]);
			return KSFT_FAIL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "runner: unexpected argument '%s' (see -h)\n", argv[optind]);
		return KSFT_FAIL;
	}

	qsort(tests, nr_tests, sizeof(tests[0]), cmp_tests);
	for (i = 0; i < nr_tests; i++)
		if (!filter || strstr(tests[i]->name, filter))
			n++;
	if (filter && !n) {
		fprintf(stderr, "runner: no test matches '%s' (see -l)\n", filter);
		return KSFT_FAIL;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	libbpf_set_print(ot_libbpf_print);
	printf("TAP version 13\n1..%d\n", n);
	if (geteuid()) {
		for (i = 1; i <= n; i++)
			printf("ok %d # SKIP must run as root\n", i);
		return KSFT_SKIP;
	}
	/*
	 * A child subreaper: a test's grandchild whose parent dies comes to
	 * us, not to init, so that it is reaped at once. A zombie keeps its
	 * cgroups, and init may take its time.
	 */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	/* Tests that run without the memory controller need no test root. */
	need_cg = false;
	for (i = 0; i < nr_tests; i++)
		if ((!filter || strstr(tests[i]->name, filter)) && !tests[i]->no_memcg)
			need_cg = true;
	ret = need_cg ? ot_cg_init() : 0;
	if (ret) {
		printf("# cannot set up " CG_TEST_ROOT ": %s\n", strerror(-ret));
		for (i = 1; i <= n; i++)
			printf("not ok %d # cgroup2 memory controller unavailable\n", i);
		return KSFT_FAIL;
	}

	n = 0;
	for (i = 0; i < nr_tests; i++) {
		struct oom_test *t = tests[i];
		enum oom_test_status st;

		if (filter && !strstr(t->name, filter))
			continue;
		n++;
		printf("# === %s%s%s\n", t->name, quiet ? "" : ": ",
		       quiet ? "" : t->description);
		st = run_one(t);
		switch (st) {
		case OOM_TEST_PASS:
			printf("ok %d %s\n", n, t->name);
			pass++;
			break;
		case OOM_TEST_SKIP:
			printf("ok %d %s # SKIP\n", n, t->name);
			skip++;
			break;
		default:
			printf("not ok %d %s\n", n, t->name);
			fail++;
			break;
		}
	}
	if (need_cg)
		ot_cg_destroy(CG_TEST_ROOT);
	printf("# Totals: pass:%d fail:%d xfail:0 xpass:0 skip:%d error:0\n",
	       pass, fail, skip);
	if (fail)
		return KSFT_FAIL;
	return pass ? KSFT_PASS : KSFT_SKIP;
}
