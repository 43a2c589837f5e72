#!/usr/bin/env bash
# Stage 2's console sessions on a pure cgroup v2 kernel, captured for the notes, then stage 2's
# checks. Run in the cgroup v2 VM, from the repository:
#
#   sudo MINIDOCK_V2_COMMAND='bash scripts/v2-transcripts.sh' bash scripts/cgroup-v2-vm.sh
#
# Each command is printed as the root prompt "# command", then its output, between the lines
# "--- BEGIN TRANSCRIPT" and "--- END TRANSCRIPT" of the VM's console. The 64-hex container IDs
# are printed as $ID, as the notes write them.
set -u
repo=$(pwd)
minidock() { "$repo/bin/minidock" "$@"; }
show() {
  echo "# $*"
  eval "$@" 2>&1 | sed -E 's/[0-9a-f]{64}/$ID/g'
}

echo '--- BEGIN TRANSCRIPT'
show 'uname -r'
show 'stat -fc %T /sys/fs/cgroup'
show 'cat /proc/self/cgroup'
show 'cat /sys/fs/cgroup/cgroup.controllers'
show 'cat /sys/fs/cgroup/cgroup.subtree_control'
show "minidock run -d --name hog -m 64m --cpus 0.5 busybox sh -c 'while :; do :; done'"
PID=$(minidock inspect -f '{{.State.Pid}}' hog)
ID=$(minidock inspect -f '{{.Id}}' hog)
echo "# PID=\$(minidock inspect -f '{{.State.Pid}}' hog); ID=\$(minidock inspect -f '{{.Id}}' hog)"
show "cat /proc/$PID/cgroup"
show 'cat /sys/fs/cgroup/minidock/cgroup.controllers /sys/fs/cgroup/minidock/cgroup.subtree_control'
cd "/sys/fs/cgroup/minidock/$ID" && echo '# cd /sys/fs/cgroup/minidock/$ID'
show 'grep . memory.max memory.swap.max memory.current cpu.max cpu.weight pids.max pids.current cpuset.cpus cpuset.cpus.effective'
show 'cat cgroup.procs'
sleep 3
show 'cat cpu.stat'
show 'cat memory.events'
cd "$repo"
show 'minidock rm -f hog'
show 'minidock run --rm -m 64m busybox cat /proc/1/cgroup'
show "minidock run --rm -m 64m busybox sh -c 'ls /sys/fs/cgroup | head -5; cat /sys/fs/cgroup/memory.max; echo 1 > /sys/fs/cgroup/memory.max'"
show "minidock run --rm -m 64m busybox grep ' /sys/fs/cgroup ' /proc/self/mountinfo"
show 'minidock run --rm --cpu-shares 512 busybox cat /sys/fs/cgroup/cpu.weight'
show 'minidock run --rm --cpu-shares 1024 busybox cat /sys/fs/cgroup/cpu.weight'
show 'minidock run --rm --cpu-shares 2000 busybox cat /sys/fs/cgroup/cpu.weight'
show 'minidock run --rm -m 64m --memory-swap 96m busybox cat /sys/fs/cgroup/memory.swap.max'
show 'minidock run --rm -m 64m busybox cat /sys/fs/cgroup/memory.swap.max'
show "minidock run --rm -m 32m --memory-swap 32m busybox sh -c 'dd if=/dev/zero of=/dev/null bs=64M count=1; cat /sys/fs/cgroup/memory.events'"
show "minidock run -d --name bomb --pids-limit 20 busybox sh -c 'bomb() { bomb | bomb & }; bomb; sleep 600'"
sleep 10
show 'cd /sys/fs/cgroup/minidock/$(minidock inspect -f "{{.Id}}" bomb) && grep . pids.max pids.current pids.events; cd "$repo"'
show 'minidock rm -f bomb'
echo '--- END TRANSCRIPT'

node dist/checks/run.js --only 2
