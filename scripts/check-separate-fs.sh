#!/usr/bin/env bash
# The stage checks with the state directory on a filesystem of its own, as on installs where
# /var/lib is a separate disk (and in the lab's qemu run). There the root field of
# /proc/<pid>/mountinfo is relative to that filesystem (/containers/<id>/hosts, not
# /var/lib/minidock/containers/<id>/hosts): proc(5), "root: the pathname of the directory in
# the filesystem which forms the root of this mount". Stage notes: 03-overlay2, 04-volumes.
#
#   sudo scripts/check-separate-fs.sh [STAGE…]     default: 3 4 (each run with --only)
#
# A 1 GiB sparse file in /tmp gets mkfs.ext4 and is loop-mounted on a fresh directory, which is
# MINIDOCK_ROOT for setup and the checks; everything is unmounted and removed at the end.
set -euo pipefail
cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.."

stages=("$@")
[ ${#stages[@]} -gt 0 ] || stages=(3 4)

work=$(mktemp -d /tmp/minidock-sepfs-XXXXXX)
image="$work/disk.img"
mnt="$work/root"
run="$work/run"
mounted=
cleanup() {
  if [ -n "$mounted" ]; then
    MINIDOCK_ROOT="$mnt" MINIDOCK_RUN="$run" bin/minidock ps -aq 2>/dev/null \
      | xargs -r env MINIDOCK_ROOT="$mnt" MINIDOCK_RUN="$run" bin/minidock rm -f -v >/dev/null 2>&1 || true
    # container mounts (merged/) live under the image's mount point: lazily unmount them first
    grep -F " $mnt/" /proc/self/mountinfo | cut -d' ' -f5 | sort -r | xargs -r -n1 umount -l || true
    umount "$mnt" || umount -l "$mnt"
  fi
  rm -rf "$work"
}
trap cleanup EXIT

truncate -s 1G "$image"
mkfs.ext4 -q -F "$image"
mkdir -p "$mnt" "$run"
mount -o loop "$image" "$mnt"   # mount(8) picks a free /dev/loopN and frees it at umount
mounted=1
echo "check-separate-fs: MINIDOCK_ROOT=$mnt is $(findmnt -no SOURCE,FSTYPE "$mnt")"

export MINIDOCK_ROOT="$mnt" MINIDOCK_RUN="$run"
node dist/scripts/setup.js
status=0
for n in "${stages[@]}"; do
  node dist/checks/run.js --only "$n" || status=1
done
exit $status
