// SPDX-License-Identifier: GPL-2.0
/*
 * Count the calls of the OOM notifier chain (register_oom_notifier(), which
 * virtio_balloon's deflate-on-oom uses), so that a test can tell which OOMs
 * call it. The chain is a static variable: libbpf finds it in kallsyms.
 */
#include <oom_ext/common.bpf.h>

char _license[] SEC("license") = "GPL";

extern const void oom_notify_list __ksym;

unsigned long long calls;

/* A kprobe: the test kernel has no ftrace call sites for fentry. */
SEC("kprobe/blocking_notifier_call_chain")
int BPF_KPROBE(count_oom_notify, struct blocking_notifier_head *nh)
{
	if ((void *)nh == &oom_notify_list)
		__sync_fetch_and_add(&calls, 1);
	return 0;
}
