/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The fixture of simple.c and loader.c: a memcg with memory.max = 64M and
 * no swap, its tasks, and a loader started in it.
 */
#ifndef __OOM_EXT_SIMPLE_H
#define __OOM_EXT_SIMPLE_H

#include "oom_test.h"
#include "policy_util.h"
#include "util.h"

struct simple {
	char *cg;
	struct ot_child s, m, l, hog;
	struct ot_proc loader;
};

enum oom_test_status setup_simple(void **ctx);
void cleanup_simple(void *ctx);

#endif /* __OOM_EXT_SIMPLE_H */
