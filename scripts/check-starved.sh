#!/usr/bin/env bash
# N `minidock run -d` at once on a starved CPU: every one must succeed, with N distinct names.
# This is a slow learner laptop (or the lab's emulated VM) in miniature: lock holders are slow,
# and a lock wait with a wall-clock limit fails ("timed out waiting for lock …/names.lock").
# lib/lock.ts waits while the holder lives; lib/container/reserve.ts holds the names lock only to
# reserve a name. cgroups(7): the whole test runs in a cgroup capped at a fraction of one CPU.
#
#   sudo scripts/check-starved.sh [N] [PERCENT]     defaults: 20 containers, 10 % of one CPU
#
# Uses the engine's state dirs from MINIDOCK_ROOT/MINIDOCK_RUN (as the checks do) and
# --network none (the bridge is machine-global; the network is not the subject here).
set -euo pipefail
cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.."
n=${1:-20}
percent=${2:-10}
md=bin/minidock
prefix="mdstarved-$$-"

# the cgroup: v2 when /sys/fs/cgroup is cgroup2, else the v1 cpu hierarchy
if [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ]; then
  cg=/sys/fs/cgroup/minidock-starved-$$
  grep -qw cpu /sys/fs/cgroup/cgroup.subtree_control || echo +cpu > /sys/fs/cgroup/cgroup.subtree_control
  mkdir "$cg"
  echo "$((percent * 1000)) 100000" > "$cg/cpu.max"
  parent=/sys/fs/cgroup
else
  cg=/sys/fs/cgroup/cpu/minidock-starved-$$
  mkdir "$cg"
  echo 100000 > "$cg/cpu.cfs_period_us"
  echo "$((percent * 1000))" > "$cg/cpu.cfs_quota_us"
  parent=/sys/fs/cgroup/cpu
fi
names=()
for i in $(seq 1 "$n"); do names+=("${prefix}$i"); done
cleanup() {
  echo $$ > "$parent/cgroup.procs" || true
  "$md" rm -f "${names[@]}" >/dev/null 2>&1 || true
  # a container's monitor started inside the cgroup may still be leaving it
  for _ in $(seq 1 50); do rmdir "$cg" 2>/dev/null && break; sleep 0.1; done
}
trap cleanup EXIT

echo $$ > "$cg/cgroup.procs"   # this shell and everything it starts from now on
echo "check-starved: $n containers at once, all capped at ${percent}% of one CPU ($cg)"
start=$(date +%s.%N)
pids=()
for name in "${names[@]}"; do
  "$md" run -d --network none --name "$name" busybox sleep 600 > "/tmp/${name}.out" 2>&1 &
  pids+=($!)
done
failed=0
for i in "${!pids[@]}"; do
  if ! wait "${pids[$i]}"; then
    failed=$((failed + 1))
    echo "  ✘ ${names[$i]}: $(tail -1 "/tmp/${names[$i]}.out")"
  fi
  rm -f "/tmp/${names[$i]}.out"
done
took=$(echo "$(date +%s.%N) - $start" | bc)
echo $$ > "$parent/cgroup.procs"
running=$("$md" ps --format '{{.Names}}' | grep -c "^$prefix" || true)
echo "check-starved: $((n - failed)) of $n runs succeeded in ${took}s; $running running"
[ "$failed" -eq 0 ] && [ "$running" -eq "$n" ]
