# What scripts/cgroup-v2-vm.sh and scripts/arm64-vm.sh share: a qemu guest, booted on a
# distribution kernel with a busybox initramfs, that runs the checks and hands back their status.
# Sourced by those two scripts, not run on its own.

# vm_modules KERNEL_VERSION INITRD_DIR [ROOT]
# Copies into INITRD_DIR/modules the kernel modules the initramfs needs to reach its root
# filesystem (virtio disk and 9p share, overlay, ext4), each after the ones it needs, and lists
# them in INITRD_DIR/modules/order in that order. ROOT: where that kernel's /lib/modules is, when
# it is not this machine's (this machine's modprobe reads any architecture's module index).
vm_modules() {
  local version=$1 dir=$2 root=${3:-/} module ko name
  mkdir -p "$dir/modules"
  : > "$dir/modules/order"
  for module in virtio_pci virtio_blk 9pnet_virtio 9p overlay ext4; do
    # --show-depends lists each module after the ones it needs; built-in ones are not "insmod"
    modprobe -d "$root" -S "$version" --show-depends "$module" | awk '$1 == "insmod" { print $2 }'
  done | awk '!seen[$0]++' | while read -r ko; do
    name=$(basename "${ko%.xz}")
    case "$ko" in *.xz) xz -dc "$ko" > "$dir/modules/$name" ;; *) cp "$ko" "$dir/modules/$name" ;; esac
    echo "$name" >> "$dir/modules/order"
  done
}

# vm_guest_setup HOSTNAME TIME_SCALE
# Prints the guest's first shell lines, the same on both machines: PATH, the checks' hang limits
# ×TIME_SCALE (checks/harness.ts timeScale: the CPU is emulated) unless MINIDOCK_CHECK_TIME_SCALE
# says otherwise, cgroup2 at /sys/fs/cgroup (which controllers it enables is the caller's line),
# /run, /dev/pts and /dev/shm, the disk image as /var/lib/minidock, lo up, and HOSTNAME.
vm_guest_setup() {
  cat <<EOF
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root TERM=dumb
export MINIDOCK_CHECK_TIME_SCALE=${MINIDOCK_CHECK_TIME_SCALE:-$2}
mount -t cgroup2 cgroup2 /sys/fs/cgroup
mount -t tmpfs tmpfs /run
mkdir -p /dev/pts /dev/shm; mount -t devpts devpts /dev/pts; mount -t tmpfs shm /dev/shm
mkdir -p /var/lib/minidock; mount /dev/vda /var/lib/minidock
ip link set lo up; hostname $1
EOF
}

# vm_guest_checks ARGS…
# Prints the guest's shell lines that build the base image and then run checks/run.js once per
# group of ARGS (groups separated by --and), every group even after a failing one, and end with
# "GUEST-EXIT <status>": the first failure's status, 0 when all passed. Sets VM_RUNS (how many).
vm_guest_checks() {
  local runs=() current= arg run
  for arg in "$@"; do
    if [ "$arg" = --and ]; then runs+=("$current"); current=; else current+="$(printf '%q ' "$arg")"; fi
  done
  runs+=("$current")
  VM_RUNS=${#runs[@]}
  echo 'status=0'
  echo 'node dist/scripts/setup.js || status=$?'
  echo 'setup=$status'
  for run in "${runs[@]}"; do
    echo "[ \$setup -ne 0 ] || node dist/checks/run.js $run || { rc=\$?; [ \$status -ne 0 ] || status=\$rc; }"
  done
  echo 'echo "GUEST-EXIT $status"'
}

# vm_boot NAME RUNS TIMEOUT_S QEMU_COMMAND…
# Boots the guest with its console on this terminal (control sequences and CRs removed) and in a
# log, then returns the guest's status: the one it printed as GUEST-EXIT, or 124 when it printed
# none (a timeout or a crash). With more than one run, a last line adds up each run's closing
# "N passed, N failed" — the line CI reads.
vm_boot() {
  local name=$1 runs=$2 limit=$3 log status
  shift 3
  log=$(mktemp /tmp/"$name"-console.XXXXXX)
  timeout "$limit" "$@" </dev/null 2>&1 | sed -u 's/\r//g; s/\x1b\[[0-9;?]*[a-zA-Z]//g' | tee "$log" || true
  status=$(grep -a -oE '^GUEST-EXIT [0-9]+' "$log" | tail -1 | cut -d' ' -f2 || true)
  if [ -n "$status" ] && [ "$runs" -gt 1 ]; then
    grep -a -oE '^[0-9]+ passed, [0-9]+ failed' "$log" |
      awk -v name="$name" '{ p += $1; f += $3 } END { print name ": " NR " runs together:"; print p " passed, " f " failed" }'
  fi
  rm -f "$log"
  [ -n "$status" ] || { echo "$name: the guest ended without an exit status (timeout or crash)" >&2; return 124; }
  return "$status"
}
