/* SPDX-License-Identifier: GPL-2.0 */
/*
 * oom_ext selftests: test registration and result reporting.
 *
 * Each test is a struct oom_test registered from its own file with
 * REGISTER_OOM_TEST(). The runner calls setup(), run() and cleanup() in
 * order, prints KTAP, and fails any test after which the kernel log gained
 * a WARN, BUG or oops line, whatever run() returned.
 */
#ifndef __OOM_TEST_H__
#define __OOM_TEST_H__

#include <stdbool.h>
#include <stdio.h>

enum oom_test_status {
	OOM_TEST_PASS = 0,
	OOM_TEST_SKIP,
	OOM_TEST_FAIL,
};

struct oom_test {
	/* Short unique name, used by -t and in the KTAP output. */
	const char *name;
	/* What the test checks, one sentence. */
	const char *description;
	/*
	 * Optional. Prepares the test and may hand a context to run() and
	 * cleanup() through @ctx. A non-PASS result skips run() and cleanup().
	 */
	enum oom_test_status (*setup)(void **ctx);
	/* Required. The assertions. */
	enum oom_test_status (*run)(void *ctx);
	/* Optional. Runs whenever setup() passed, whatever run() returned. */
	void (*cleanup)(void *ctx);
	/*
	 * Runs without the memory controller (booted with cgroup_disable=):
	 * the runner does not set up CG_TEST_ROOT for it.
	 */
	bool no_memcg;
};

void oom_test_register(struct oom_test *test);

#define __OOM_CONCAT(a, b) a##b
#define __OOM_REG(line) __OOM_CONCAT(__oom_test_register_, line)
#define REGISTER_OOM_TEST(__test)				\
	__attribute__((constructor))				\
	static void __OOM_REG(__LINE__)(void)			\
	{							\
		oom_test_register(__test);			\
	}

/* Diagnostics are KTAP comments. */
#define ot_info(fmt, ...) printf("# " fmt "\n", ##__VA_ARGS__)

/* Fail the current test with a message that says where and why. */
#define OT_FAIL(fmt, ...)						\
	do {								\
		printf("# FAIL %s:%d: " fmt "\n", __FILE__, __LINE__,	\
		       ##__VA_ARGS__);					\
		return OOM_TEST_FAIL;					\
	} while (0)

#define OT_ASSERT(cond, fmt, ...)					\
	do {								\
		if (!(cond))						\
			OT_FAIL("%s: " fmt, #cond, ##__VA_ARGS__);	\
	} while (0)

#define OT_SKIP(fmt, ...)						\
	do {								\
		printf("# SKIP reason: " fmt "\n", ##__VA_ARGS__);	\
		return OOM_TEST_SKIP;					\
	} while (0)

#endif /* __OOM_TEST_H__ */
