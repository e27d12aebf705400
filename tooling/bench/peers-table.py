#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Summarise tooling/bench-peers.sh's runs: one row per scenario and handler.

Reads lines "SCENARIO HANDLER result=... ms=... used_mib=... innocent=...
stall_ms=... full_ms=... rule_ms=..." on stdin. For a benign scenario (its name starts
with "benign") a kill is the failure: the "killed" column counts kills.
"""
import statistics
import sys

rows = {}
for line in sys.stdin:
    f = line.split()
    if len(f) < 3:
        continue
    kv = dict(x.split("=", 1) for x in f[2:] if "=" in x)
    rows.setdefault((f[0], f[1]), []).append(kv)


def med(v):
    return "%d" % statistics.median(v) if v else "-"


print("| scenario | handler | culprit killed | innocent deaths | time to death, ms: median (min-max) "
      "| used MiB at death | tenants' full stall, ms | system full stall, ms "
      "| death after its rule held, ms: median (max) | kernel kill after the rule held, ms: median (max) |")
print("|---|---|---|---|---|---|---|---|---|---|")
for (s, h), runs in rows.items():
    killed = [r for r in runs if r["result"] == "killed"]
    ms = [float(r["ms"]) for r in killed]
    used = [float(r["used_mib"]) for r in killed]
    t = "%s (%s-%s)" % (med(ms), med([min(ms)]), med([max(ms)])) if ms else "-"
    rule = [float(r.get("rule_ms", -1)) for r in killed if float(r.get("rule_ms", -1)) >= 0]
    rt = "%s (%s)" % (med(rule), med([max(rule)])) if rule else "-"
    kill = [float(r.get("kill_ms", -1)) for r in killed if float(r.get("kill_ms", -1)) >= 0]
    kt = "%s (%s)" % (med(kill), med([max(kill)])) if kill else "-"
    print("| %s | %s | %d/%d | %d | %s | %s | %s | %s | %s | %s |" % (
        s, h, len(killed), len(runs), sum(int(r["innocent"]) for r in runs), t, med(used),
        med([float(r["stall_ms"]) for r in runs]), med([float(r["full_ms"]) for r in runs]), rt, kt))
