# oom_ext project tooling: assemble a patched kernel tree, build it, boot it
# under QEMU and run the selftests there. `make help` lists the targets.
# (This Makefile is not part of the kernel tree; see README.md.)

OUT	?= $(CURDIR)/out
TREE	?= $(OUT)/linux
SERIES	?= $(OUT)/series
DEBUG_TREE ?= $(OUT)/linux-debug
STRESS_N ?= 1000
T	?=
CMD	?=

SELFTEST := $(TREE)/tools/testing/selftests/oom_ext

.PHONY: help deps tree kernel selftests test vm vm-run series demo bench bench-psi bench-graceful bench-peers clean \
	kernel-debug test-debug stress test-memcg

help:
	@echo "oom_ext targets (TREE=$(TREE)):"
	@echo "  deps       install the Debian 12 packages and virtme-ng this project needs"
	@echo "  tree       assemble TREE: pinned base + patches/series + overlay files"
	@echo "  kernel     tree, then build bzImage and vmlinux (BTF) with ccache"
	@echo "  selftests  kernel, then build tools/oom_ext and tools/testing/selftests/oom_ext in TREE"
	@echo "  test       selftests, then run them in a VM; ends with 'N passed, N failed'"
	@echo "             (T=FILTER runs only tests whose name contains FILTER)"
	@echo "  test-debug the same tests on a lockdep + KASAN + kmemleak kernel (DEBUG_TREE);"
	@echo "             any report fails the run (about 25 min; its first build 15 to 36 min)"
	@echo "  stress     the stress tests with STRESS_N rounds (default 1000; about 11 min)"
	@echo "  test-memcg the kernel's memcg selftests (test_memcontrol, test_kill) from ext4, with no"
	@echo "             policy and under each of ours (make test runs it too); BASE=1: on the"
	@echo "             unpatched 7.2.13 base instead (built in $(OUT)/linux-base)"
	@echo "  demo       boot the VM: oom_cgroup_aware handles a memory cgroup OOM in the foreground"
	@echo "  bench      time oom_cgroup_aware's decision against the kernel's selection (VM, ~8 min)"
	@echo "  bench-psi  oom_psi_proactive's reaction time to a thrashing cgroup, vs no policy (VM, ~4 min)"
	@echo "  bench-graceful  --grace: checkpoints saved vs the kernel alone, warning latency,"
	@echo "             deadline accuracy (~4 min); PARTS=pg: PostgreSQL when the whole VM"
	@echo "             runs out, with the kernel, earlyoom, nohang and ours (~20 min)"
	@echo "  bench-peers every handler (kernel, earlyoom, nohang, oomd, ours) on the same loads;"
	@echo "             RUNS=5 runs each (VM, ~40 min)"
	@echo "  vm         interactive shell in the VM (repo at $(CURDIR), tree at TREE)"
	@echo "  vm-run     run CMD='...' in the VM and return its exit status"
	@echo "  series     export a git format-patch series against the base to $(SERIES)"
	@echo "  clean      remove $(OUT) (the base tarball and ccache stay in ~/.cache)"

deps:
	@tooling/deps.sh

tree:
	@tooling/tree.sh $(TREE)

kernel: tree
	@tooling/kernel.sh $(TREE)

selftests: kernel
	@tooling/selftests.sh $(TREE)

test: deps selftests
	@tooling/test.sh $(TREE) $(T)

kernel-debug: deps
	@tooling/tree.sh $(DEBUG_TREE)
	@OOM_EXT_EXTRA_CONFIG=$(CURDIR)/tooling/debug.config tooling/kernel.sh $(DEBUG_TREE)

test-debug: deps selftests kernel-debug
	@VM_KERNEL=$(DEBUG_TREE)/arch/x86/boot/bzImage OOM_EXT_DEBUG=1 tooling/test.sh $(TREE) $(T)

stress: deps selftests
	@VM_TIMEOUT=$${VM_TIMEOUT:-5400} OOM_EXT_STRESS_N=$(STRESS_N) tooling/test.sh $(TREE) stress_

test-memcg: deps selftests
	@tooling/memcg-test.sh $(if $(BASE),--base) $(TREE)

demo: deps selftests
	@tooling/vm.sh $(TREE) -- $(CURDIR)/tooling/demo.sh

bench: deps selftests
	@tooling/bench-cgroup-aware.sh $(TREE)

bench-psi: deps selftests
	@tooling/bench-psi-reaction.sh $(TREE)

bench-graceful: deps selftests
	@tooling/bench-graceful.sh $(TREE)

bench-peers: deps selftests
	@tooling/bench-peers.sh $(TREE)

vm: kernel
	@tooling/vm.sh $(TREE)

vm-run: kernel
	@test -n "$(CMD)" || { echo "vm-run: say what to run: make vm-run CMD='...'" >&2; exit 2; }
	@tooling/vm.sh $(TREE) -- $(CMD)

series: tree
	@tooling/series.sh $(TREE) $(SERIES)

clean:
	rm -rf $(OUT)
