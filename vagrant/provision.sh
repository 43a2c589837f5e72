#!/usr/bin/env bash
# Prepare a machine for minidock: system packages, Node ≥ 20, the npm dependencies, the build and
# the base image. The same script provisions the Vagrant VM (`vagrant up` runs it with
# MINIDOCK_VM=1), CI (.ci/run) and any root Linux machine (Debian 12, Ubuntu 24.04).
#
#   sudo bash vagrant/provision.sh        # from anywhere; it works in the repository root
#
# Idempotent: a second run installs nothing and only rebuilds. Never reads stdin.
# Steps: (0) build dirs off a shared folder (VM), (a) apt packages, (b) Node ≥ 20, (c) npm ci,
# (d) build, (e) base image, (f) PATH (VM).  `provision.sh --local-dirs`: step (0) only.
# Environment:
#   MINIDOCK_VM=1   this is the lab VM: install Node from the network when it is missing or old
#   CI=…            also install vagrant (CI runs `vagrant validate` on the Vagrantfile)
#   MINIDOCK_DOCS=1 also install chromium, for `npm run docs:browser-test` (CI installs it too)
#   MINIDOCK_V2=1   also install qemu and Debian's kernel for scripts/cgroup-v2-vm.sh (CI does)
#   MINIDOCK_ARM64=1  also install what scripts/arm64-vm.sh needs (qemu for arm64, mmdebstrap)
set -euo pipefail

export DEBIAN_FRONTEND=noninteractive
cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.."

step() { printf '==> provision: %s\n' "$*"; }
die() { printf 'provision: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "run me as root: sudo bash vagrant/provision.sh"
command -v apt-get >/dev/null || die "apt-get not found: this script knows Debian and Ubuntu only"

# ---------------------------------------------------------------------------------------------
# (0) In the VM, when the repository is a shared folder of the host (VirtualBox's vboxsf, VMware's
# hgfs, Parallels' prl_fs, 9p, virtiofs, NFS, SMB), what the VM builds stays on the VM's own disk:
# a directory under /var/lib/minidock-vm/ for each of node_modules, dist and site, bind-mounted
# over the shared one. So `npm ci` never writes symlinks into a Windows folder, the host's and the
# VM's ffi-rs binaries never mix, and the host sees only empty node_modules/, dist/, site/. The
# sources (lib/, stages/, checks/ …) stay shared: an edit saved on the host is the VM's file.
# Bind mounts do not survive a reboot and the shared folder is mounted by Vagrant after boot, so
# the Vagrantfile runs this step again on every `vagrant up` (`provision.sh --local-dirs`,
# which does this step only).
LOCAL_DIRS=(node_modules dist site)
SHARED_FS='^(vboxsf|vmhgfs|fuse\.vmhgfs-fuse|prl_fs|9p|virtiofs|nfs|nfs4|cifs|smb3)$'
local_dirs() {
  local fstype owner d
  fstype=$(findmnt -no FSTYPE -T "$PWD" 2>/dev/null || echo unknown)
  if ! [[ "$fstype" =~ $SHARED_FS ]]; then
    step "local build dirs: $PWD is on $fstype (the VM's own disk), nothing to do"
    return 0
  fi
  owner=$(stat -c %u:%g "$PWD")
  for d in "${LOCAL_DIRS[@]}"; do
    if mountpoint -q "$d"; then
      step "local build dirs: $d already on the VM's disk"
      continue
    fi
    install -d -o "${owner%:*}" -g "${owner#*:}" "/var/lib/minidock-vm/$d"
    mkdir -p "$d"
    mount --bind "/var/lib/minidock-vm/$d" "$d"
    step "local build dirs: $PWD/$d → /var/lib/minidock-vm/$d (the share is $fstype)"
  done
}
if [ -n "${MINIDOCK_VM:-}" ]; then local_dirs; fi
if [ "${1:-}" = "--local-dirs" ]; then exit 0; fi

# ---------------------------------------------------------------------------------------------
# (a) System packages. What each is for:
#   busybox-static                      the offline base image (a static binary needs no libc)
#   iproute2 nftables iptables          stage 5: bridge, veth, routes, NAT, published ports
#   runc                                the reference runtime, for comparison and timing
#   hyperfine                           benchmarks (npm run bench)
#   skopeo umoci                        real image clients, to prove the formats interoperate
#   docker-registry                     a real local registry for push/pull (stage 6)
#   containerd                          a real high-level runtime: `ctr run --runc-binary` drives
#                                       bin/minidock-runtime (stage 1, "a container is a bundle")
#   iperf3                              network throughput across the bridge
#   attr                                getfattr/setfattr: see overlay's opaque-directory xattr
#   psmisc procps util-linux tree       pstree, ps, nsenter/unshare/findmnt/lsns, tree
#   ca-certificates curl                fetching Node and talking to registries over TLS
#   gcc libc6-dev                       stage 1: the chroot-escape demo is a static C program
#   tcpdump conntrack                   stage 5: watching packets and NAT state while debugging
#   tini                                stage 7: --init bind-mounts its tini-static as /sbin/docker-init
PACKAGES=(busybox-static iproute2 nftables iptables runc hyperfine skopeo umoci iperf3 attr psmisc
  procps util-linux tree ca-certificates curl docker-registry containerd gcc libc6-dev tcpdump conntrack
  xz-utils bzip2 zstd tini)
[ -n "${CI:-}" ] && PACKAGES+=(vagrant)
# CI, or MINIDOCK_V2=1: a pure cgroup v2 kernel under qemu for scripts/cgroup-v2-vm.sh
[ -n "${CI:-}${MINIDOCK_V2:-}" ] && PACKAGES+=(qemu-system-x86 linux-image-amd64)
# CI, or MINIDOCK_DOCS=1: a real browser for the site's test (scripts/docs-browser-test.ts);
# chromium is big (~350 MB installed), so a lab VM gets it only when asked
[ -n "${CI:-}${MINIDOCK_DOCS:-}" ] && PACKAGES+=(chromium)
# MINIDOCK_ARM64=1: an arm64 machine under qemu for scripts/arm64-vm.sh — the emulator, qemu-user
# and binfmt-support (the arm64 userland's package scripts run on this CPU while it is built) and
# mmdebstrap with arch-test (builds that userland)
[ -n "${MINIDOCK_ARM64:-}" ] && PACKAGES+=(qemu-system-arm qemu-user-static binfmt-support mmdebstrap arch-test)

installed() { [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]; }
# (Not `apt-cache … | grep -q`: grep quits at the first match, apt-cache dies of SIGPIPE, and
# pipefail turns that into "not available".)
available() { [[ "$(apt-cache policy "$1" 2>/dev/null)" =~ Candidate:\ [^\(] ]]; }

apt_updated=
apt_update() {
  [ -n "$apt_updated" ] && return 0
  apt-get update -qq
  apt_updated=1
}

missing=()
for p in "${PACKAGES[@]}"; do installed "$p" || missing+=("$p"); done
if [ ${#missing[@]} -eq 0 ]; then
  step "packages: all ${#PACKAGES[@]} present"
else
  apt_update
  wanted=()
  for p in "${missing[@]}"; do
    if available "$p"; then wanted+=("$p"); else step "packages: $p is not in this release's archive, skipped"; fi
  done
  if [ ${#wanted[@]} -gt 0 ]; then
    step "packages: installing ${wanted[*]}"
    apt-get install -y -qq --no-install-recommends "${wanted[@]}" >/dev/null
  fi
fi

# The docker-registry package enables a service on :5000 with htpasswd auth, and containerd one
# on /run/containerd; the lab starts each with its own config, socket and state dir when a check
# needs it, so the packaged services must stay off. Without a running systemd (containers, some
# CI machines) `disable` still removes the units' boot-time links.
for service in docker-registry containerd; do
  if installed "$service" && command -v systemctl >/dev/null; then
    if [ -d /run/systemd/system ]; then
      systemctl disable --now "$service" >/dev/null 2>&1 || true
    else
      systemctl disable "$service" >/dev/null 2>&1 || true
    fi
    state=$(systemctl is-enabled "$service" 2>/dev/null) || true
    step "$service: packaged service ${state:-off}"
  fi
done

# ---------------------------------------------------------------------------------------------
# (b) Node ≥ 20. CI and developer machines already have it. In the VM (MINIDOCK_VM=1) install it:
# the distribution's own `nodejs` when its version is ≥ 20 (Debian 13 and later), otherwise
# NodeSource's apt repository for Node 20 — Ubuntu 24.04 ships Node 18, which is too old. The
# repository is added by hand (key + one sources line) instead of piping their setup script into
# bash, so that what changes on the machine is visible here.
node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

if command -v node >/dev/null && [ "$(node_major)" -ge 20 ]; then
  step "node: $(node --version) present"
elif [ -z "${MINIDOCK_VM:-}" ]; then
  die "node ≥ 20 is needed (found: $(node --version 2>/dev/null || echo none)); install it, or rerun with MINIDOCK_VM=1 to let this script install it"
else
  apt_update
  candidate=$(apt-cache policy nodejs 2>/dev/null | sed -n 's/^  Candidate: \([0-9]*\).*/\1/p')
  if [ "${candidate:-0}" -ge 20 ] 2>/dev/null; then
    step "node: installing the distribution's nodejs $candidate"
    apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
  else
    step "node: installing Node 20 from NodeSource (the distribution has ${candidate:-none})"
    install -d -m 0755 /etc/apt/keyrings
    curl -fsSL https://deb.nodesource.com/gpgkey/nodesource-repo.gpg.key -o /etc/apt/keyrings/nodesource.asc
    echo "deb [signed-by=/etc/apt/keyrings/nodesource.asc] https://deb.nodesource.com/node_20.x nodistro main" \
      > /etc/apt/sources.list.d/nodesource.list
    apt-get update -qq
    apt-get install -y -qq nodejs >/dev/null
  fi
  [ "$(node_major)" -ge 20 ] || die "node ≥ 20 still missing after the install (found: $(node --version 2>/dev/null || echo none))"
  step "node: $(node --version) installed"
fi

# ---------------------------------------------------------------------------------------------
# (c) npm dependencies: install when there are none, when package-lock.json changed since the last
# install, or when the installed ones do not load here (node_modules made on a macOS host and
# shared into the VM holds ffi-rs's macOS binary, not the Linux one).
if [ ! -d node_modules ]; then
  reason="node_modules is missing"
elif [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  reason="package-lock.json is newer than node_modules"
elif ! node -e "import('ffi-rs').catch(() => process.exit(1))" 2>/dev/null; then
  reason="ffi-rs does not load on this platform"
else
  reason=
fi
if [ -n "$reason" ]; then
  step "npm ci ($reason)"
  npm ci --no-audit --no-fund --loglevel=error
else
  step "npm ci: node_modules up to date"
fi

# ---------------------------------------------------------------------------------------------
# (d) Compile the TypeScript to dist/.
step "npm run build"
npm run --silent build

# ---------------------------------------------------------------------------------------------
# (e) The base image (busybox), made by the project's own setup script.
if [ -f dist/scripts/setup.js ]; then
  step "setup: node dist/scripts/setup.js"
  node dist/scripts/setup.js
else
  step "setup: dist/scripts/setup.js not built yet, skipped"
fi

# ---------------------------------------------------------------------------------------------
# (f) In the VM, put `minidock` on PATH (bin/minidock follows the link back to the repository).
# Elsewhere the machine's PATH is left alone: call bin/minidock.
if [ -n "${MINIDOCK_VM:-}" ]; then
  ln -sfn "$PWD/bin/minidock" /usr/local/bin/minidock
  step "minidock: /usr/local/bin/minidock → $PWD/bin/minidock"
fi

step "done"
