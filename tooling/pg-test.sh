#!/usr/bin/env bash
# PostgreSQL under a memory limit, with and without oom_psi_proactive
# --grace (tooling/pg-guest.sh), in a VM booted from TREE's kernel. KTAP on
# stdout; exits non-zero if a case failed. Needs Debian's postgresql-15 on
# the host (tooling/deps.sh installs it): the VM runs the host's userland.
#
#   tooling/pg-test.sh TREE_DIR
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
tree=$(cd "${1:?usage: pg-test.sh TREE_DIR}" && pwd)
exec "$top/tooling/vm.sh" "$tree" -- env OOM_EXT_DEBUG="${OOM_EXT_DEBUG:-}" \
	"$top/tooling/guest-check.sh" "$top/tooling/pg-guest.sh" "$tree/kselftest/oom_ext"
