#!/usr/bin/env bash
# Run minidock's checks on a pure cgroup v2 kernel, whatever this machine runs.
#
# Most learners' VMs (Ubuntu 24.04) mount only cgroup v2; CI machines run v1 (hybrid). This script
# boots the distribution's own kernel (Debian's linux-image-amd64) under qemu, with software CPU
# emulation (nested KVM is not available on CI), and runs `node dist/checks/run.js ARGS` there:
#
#   sudo bash scripts/cgroup-v2-vm.sh                 # stage 2's checks alone (--only 2)
#   sudo bash scripts/cgroup-v2-vm.sh --only 1        # any arguments of checks/run.js
#   sudo MINIDOCK_V2_COMMAND='bash scripts/x.sh' bash scripts/cgroup-v2-vm.sh   # any command instead
#                                                     # (run in the repository, after setup.js)
#   sudo bash scripts/cgroup-v2-vm.sh --only 2 --and --only 3 --check overlay   # two runs, one boot
#
# How the guest is built, and why:
#   - root filesystem: this machine's / over 9p, read-only, under an overlay whose upper layer is
#     a tmpfs — the guest sees the same Node, busybox, repository and dist/ as the host, and can
#     write anywhere without touching the host.
#   - /var/lib/minidock: an empty ext4 disk image (overlayfs cannot use an overlay as upperdir).
#   - cgroup2 mounted at /sys/fs/cgroup, its controllers enabled at the root as systemd does
#     (MINIDOCK_V2_EMPTY_SUBTREE=1 leaves them off: minidock must then enable them itself).
#   - no network device: loopback, bridges and veth pairs work inside; nothing reaches outside.
# Expect it to run ~10× slower than the host. The exit status is the checks' own (with --and, the
# first failing run's, and a last line adds the runs' counts up: `N passed, N failed`).
set -euo pipefail

repo=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
source "$repo/scripts/qemu-checks.sh"
args=("$@")
[ ${#args[@]} -gt 0 ] || args=(--only 2)
[ "$(id -u)" -eq 0 ] || { echo "cgroup-v2-vm: run me as root" >&2; exit 2; }
[ -f "$repo/dist/checks/run.js" ] || { echo "cgroup-v2-vm: build first (npm run build)" >&2; exit 2; }

# 1. The kernel and qemu (vagrant/provision.sh installs them with CI=1 or MINIDOCK_V2=1).
for tool in qemu-system-x86_64 busybox; do
  command -v $tool >/dev/null || { echo "cgroup-v2-vm: $tool missing: MINIDOCK_V2=1 bash vagrant/provision.sh" >&2; exit 2; }
done
kernel_version=$(ls /lib/modules | grep -E -- '-amd64$' | sort -V | tail -1 || true)
[ -n "$kernel_version" ] && [ -f "/boot/vmlinuz-$kernel_version" ] || {
  echo "cgroup-v2-vm: no Debian kernel (linux-image-amd64) installed: MINIDOCK_V2=1 bash vagrant/provision.sh" >&2; exit 2; }

work=$(mktemp -d /tmp/minidock-v2vm.XXXXXX)
trap 'rm -rf "$work"' EXIT

# 2. An initramfs: busybox, the modules needed to reach the root filesystem, and an init script.
initrd=$work/initrd
mkdir -p "$initrd"/{bin,dev,proc,sys,lower,upper,newroot}
cp "$(command -v busybox)" "$initrd/bin/busybox"
vm_modules "$kernel_version" "$initrd"
cat > "$initrd/init" <<'EOF'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc; mount -t sysfs sysfs /sys; mount -t devtmpfs devtmpfs /dev
for m in $(cat /modules/order); do insmod /modules/$m; done
mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=512000,cache=loose host /lower
mount -t tmpfs -o size=3g tmpfs /upper && mkdir /upper/data /upper/work
mount -t overlay overlay -o lowerdir=/lower,upperdir=/upper/data,workdir=/upper/work /newroot
for d in proc sys dev; do mount --move /$d /newroot/$d; done
# the kernel hands init its unknown key=value parameters as environment: guest=<script>
exec switch_root /newroot /bin/sh "$guest"
EOF
chmod +x "$initrd/init"
(cd "$initrd" && find . | busybox cpio -o -H newc 2>/dev/null | gzip -1) > "$work/initrd.gz"

# 3. What the guest runs as PID 1 once its root is the host's files: cgroup v2, then the checks.
#    It reaches the guest through the 9p root, under this temporary directory.
# the checks' hang limits ×3: the CPU is emulated, ~10× slower
vm_guest_setup minidock-v2 3 > "$work/guest.sh"
cat >> "$work/guest.sh" <<EOF
[ "${MINIDOCK_V2_EMPTY_SUBTREE:-}" = 1 ] || echo '+cpuset +cpu +io +memory +pids' > /sys/fs/cgroup/cgroup.subtree_control
echo "guest: kernel \$(uname -r), \$(stat -fc %T /sys/fs/cgroup) at /sys/fs/cgroup, root controllers: \$(cat /sys/fs/cgroup/cgroup.subtree_control)"
cd $(printf %q "$repo")
EOF
if [ -n "${MINIDOCK_V2_COMMAND:-}" ]; then
  # any command instead of the checks (scripts/v2-transcripts.sh), after the base image is built
  printf 'node dist/scripts/setup.js && %s\necho "GUEST-EXIT $?"\n' "$MINIDOCK_V2_COMMAND" >> "$work/guest.sh"
  VM_RUNS=1
else
  vm_guest_checks "${args[@]}" >> "$work/guest.sh"
fi
echo 'sync; poweroff -f' >> "$work/guest.sh"

# 4. The disk for /var/lib/minidock, and the machine.
truncate -s 8G "$work/disk.img" && mkfs.ext4 -q -F "$work/disk.img"
status=0
vm_boot cgroup-v2-vm "$VM_RUNS" "${MINIDOCK_V2_TIMEOUT:-1800}" \
  qemu-system-x86_64 -accel tcg,thread=multi -cpu max -smp 2 -m "${MINIDOCK_V2_MEM:-4G}" \
  -nographic -no-reboot -kernel "/boot/vmlinuz-$kernel_version" -initrd "$work/initrd.gz" \
  -append "console=ttyS0 quiet panic=-1 guest=$work/guest.sh" \
  -virtfs local,path=/,mount_tag=host,security_model=passthrough,readonly=on,multidevs=remap \
  -drive "file=$work/disk.img,if=virtio,format=raw" -nic none || status=$?
exit "$status"
