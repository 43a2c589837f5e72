// Preflight (`minidock doctor`): does this machine have every piece a container is made of?
// A container is a process the kernel isolates (namespaces(7)), limits (cgroups(7)) and gives
// another root (overlayfs, pivot_root(2)), networked with netfilter (nft(8)) and ip(8). Doctor
// looks where the kernel shows each piece (uname(2); proc(5): /proc/self/ns, mountinfo,
// /proc/filesystems) and names the fix for each one missing. Notes: stages/00-preflight.

import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CGROUP_ROOT, cgroupMounts, detectCgroupVersion, v1Hierarchies } from './runtime/cgroups/index.js';
import { V1_REQUIRED } from './runtime/cgroups/v1.js';
import { EngineError } from './errors.js';
import { BUSYBOX_BIN, BUSYBOX_IMAGE, checkStaticElf } from './image/busybox.js';
import { ImageStore } from './image/store.js';
import { paths } from './paths.js';
import { sh } from './sys/exec.js';
import { trace } from './sys/trace.js';

// #region finding
/** One piece of the machine, looked at: `✔ name: detail` or `✘ name: detail — fix: …`. */
export interface Finding {
  name: string;
  ok: boolean;
  /** false: a missing piece is only a warning (⚠), and `minidock doctor` still exits 0 */
  required: boolean;
  /** what was found, in one line */
  detail: string;
  /** one line (a command, where there is one) that supplies the missing piece */
  fix?: string;
}
// #endregion

/** Everything doctor looks at, gathered first (gatherFacts) so that judging it is pure. */
export interface HostFacts {
  uid: number;
  /** uname -r, e.g. "6.1.0-18-amd64" */
  kernelRelease: string;
  /** process.arch: "x64", "arm64", … */
  arch: string;
  /** process.version: "v20.11.1" */
  nodeVersion: string;
  /** the entries of /proc/self/ns */
  namespaces: string[];
  /** the text of /proc/self/mountinfo */
  mountinfo: string;
  /** the text of <v2 tree>/cgroup.controllers, when the host runs cgroup v2 */
  v2Controllers?: string;
  /** the text of /proc/filesystems */
  filesystems: string;
  /** the first line of `nft --version`, `iptables --version`, `ip -V`; absent: not on PATH */
  nft?: string;
  iptables?: string;
  ip?: string;
  busybox: { path: string; found: boolean; problem?: string };
  baseImage: { root: string; id?: string; problem?: string };
  /** where cc is on PATH, and why `cc -static` failed if it did */
  cc?: { path: string; staticProblem?: string };
}

// ---------------------------------------------------------------------------------------------
// Pure helpers: versions, /proc/filesystems, the cgroup layout, PATH.

/** "6.18.44-fc-v669" → [6, 18, 44]; "v20.11.1" → [20, 11, 1]; null when there is no number. */
export function parseVersion(text: string): number[] | null {
  const m = /(\d+)(?:\.(\d+))?(?:\.(\d+))?/.exec(text);
  return m ? [Number(m[1]), Number(m[2] ?? 0), Number(m[3] ?? 0)] : null;
}

/** True when version `have` is `want` or later, comparing part by part. */
export function atLeast(have: number[], want: number[]): boolean {
  for (let i = 0; i < Math.max(have.length, want.length); i++) {
    const a = have[i] ?? 0;
    const b = want[i] ?? 0;
    if (a !== b) return a > b;
  }
  return true;
}

/** The filesystem types in /proc/filesystems ("nodev\toverlay" → "overlay"). */
export function filesystemTypes(text: string): Set<string> {
  const types = new Set<string>();
  for (const line of text.split('\n')) {
    const name = line.trim().split(/\s+/).pop();
    if (name) types.add(name);
  }
  return types;
}

// #region cgroup-layout
/**
 * Which cgroup layout the host runs, from its mount table:
 *   v2 (unified)  cgroup2 on /sys/fs/cgroup holds every controller (Ubuntu 22.04+, Debian 11+, Fedora 31+)
 *   v1 (hybrid)   one cgroup v1 hierarchy per controller, plus an empty cgroup2 (…/unified) for systemd
 *   v1 (legacy)   v1 hierarchies only
 */
export function cgroupLayout(mountinfo: string): { version: 1 | 2; mode: 'unified' | 'hybrid' | 'legacy'; v2Mount?: string } {
  const version = detectCgroupVersion(mountinfo); // throws when no cgroup filesystem is mounted
  const v2 = cgroupMounts(mountinfo).filter((m) => m.fsType === 'cgroup2');
  const v2Mount = (v2.find((m) => m.mountPoint === CGROUP_ROOT) ?? v2[0])?.mountPoint;
  if (version === 2) return { version, mode: 'unified', v2Mount };
  return v2Mount ? { version, mode: 'hybrid', v2Mount } : { version, mode: 'legacy' };
}
// #endregion

/** Where `cmd` is on a PATH string (the way execvp(3) looks), or undefined. */
export function findOnPath(cmd: string, pathVar: string, isExecutable: (file: string) => boolean): string | undefined {
  for (const dir of pathVar.split(':')) {
    const file = path.join(dir || '.', cmd);
    if (isExecutable(file)) return file;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// The findings, one function per piece, in the order a container needs them.

const KERNEL_MINIMUM = [4, 0];
const KERNEL_RECOMMENDED = [5, 10];
const NODE_MINIMUM = 20;

// #region namespaces
/** The namespaces minidock creates for every container, and the kernel option behind each. */
const NAMESPACES_USED: Record<string, string> = {
  mnt: 'CONFIG_NAMESPACES',
  uts: 'CONFIG_UTS_NS',
  ipc: 'CONFIG_IPC_NS',
  pid: 'CONFIG_PID_NS',
  net: 'CONFIG_NET_NS',
  cgroup: 'CONFIG_CGROUPS', // since 4.6
};
/** Namespaces minidock does not create (Node cannot enter a user namespace), listed for the learner. */
const NAMESPACES_OTHER: Record<string, string> = {
  user: 'CONFIG_USER_NS', // rootless containers, docker --userns-remap
  time: 'CONFIG_TIME_NS', // since 5.6: a container's own CLOCK_MONOTONIC and CLOCK_BOOTTIME
};
// #endregion

/** v2 needs no cpuacct: usage is in cpu.stat, which every cgroup has. */
const V2_NEEDED = ['cpu', 'cpuset', 'memory', 'pids'];
/** The kernel option that builds each controller. */
const CONTROLLER_CONFIG: Record<string, string> = {
  cpu: 'CONFIG_CGROUP_SCHED',
  cpuacct: 'CONFIG_CGROUP_CPUACCT',
  cpuset: 'CONFIG_CPUSETS',
  memory: 'CONFIG_MEMCG',
  pids: 'CONFIG_CGROUP_PIDS',
};

function rootFinding(f: HostFacts): Finding {
  if (f.uid === 0) return { name: 'root', ok: true, required: true, detail: 'running as uid 0' };
  return {
    name: 'root', ok: false, required: true,
    detail: `running as uid ${f.uid}; creating namespaces, mounts and cgroups needs root`,
    fix: 'sudo minidock doctor (and sudo for every minidock command)',
  };
}

// #region kernel
function kernelFinding(f: HostFacts): Finding {
  const v = parseVersion(f.kernelRelease);
  const name = 'kernel';
  if (!v || !atLeast(v, KERNEL_MINIMUM)) {
    return { name, ok: false, required: true, detail: `Linux ${f.kernelRelease} is older than 4.0`, fix: 'upgrade the kernel to 5.10 or later, or use the lab VM (vagrant up)' };
  }
  if (!atLeast(v, KERNEL_RECOMMENDED)) {
    // A warning: what the lab itself needs, the other findings check one by one (the cgroup
    // namespace needs 4.6, for one); what 5.10 adds is what later stages and v2 hosts rely on.
    return {
      name, ok: false, required: false,
      detail: `Linux ${f.kernelRelease} works, but 5.10+ is recommended: cgroup v2 cpuset (5.0), time namespace (5.6), overlayfs in user namespaces (5.11)`,
      fix: 'upgrade to a 5.10+ kernel (Debian 11+, Ubuntu 22.04+), or use the lab VM',
    };
  }
  return { name, ok: true, required: true, detail: `Linux ${f.kernelRelease}` };
}
// #endregion

function archFinding(f: HostFacts): Finding {
  const uname: Record<string, string> = { x64: 'x86_64', arm64: 'aarch64' };
  if (uname[f.arch]) return { name: 'architecture', ok: true, required: true, detail: uname[f.arch] };
  return {
    name: 'architecture', ok: false, required: true,
    detail: `${f.arch}: lib/sys knows the system call numbers of x86_64 and aarch64 only`,
    fix: 'run the lab on an x86_64 or aarch64 machine (or its VM)',
  };
}

function nodeFinding(f: HostFacts): Finding {
  const v = parseVersion(f.nodeVersion);
  if (v && v[0] >= NODE_MINIMUM) return { name: 'node', ok: true, required: true, detail: `Node ${f.nodeVersion}` };
  return {
    name: 'node', ok: false, required: true,
    detail: `Node ${f.nodeVersion} is older than ${NODE_MINIMUM}`,
    fix: `install Node ${NODE_MINIMUM} or later (MINIDOCK_VM=1 bash vagrant/provision.sh does it on Debian/Ubuntu)`,
  };
}

function namespaceFindings(f: HostFacts): Finding[] {
  const have = new Set(f.namespaces);
  const judge = (name: string, kinds: Record<string, string>, required: boolean): Finding => {
    const missing = Object.keys(kinds).filter((k) => !have.has(k));
    if (missing.length === 0) return { name, ok: true, required, detail: Object.keys(kinds).join(' ') };
    return {
      name, ok: false, required,
      detail: `no ${missing.join(', ')} in /proc/self/ns`,
      fix: `a kernel built with ${missing.map((k) => `${kinds[k]}=y`).join(' ')}`,
    };
  };
  return [judge('namespaces', NAMESPACES_USED, true), judge('namespaces (not used by minidock)', NAMESPACES_OTHER, false)];
}

// #region cgroups
function cgroupFinding(f: HostFacts): Finding {
  let layout: ReturnType<typeof cgroupLayout>;
  try {
    layout = cgroupLayout(f.mountinfo);
  } catch {
    return { name: 'cgroups', ok: false, required: true, detail: 'no cgroup filesystem in /proc/self/mountinfo', fix: `mount -t cgroup2 none ${CGROUP_ROOT}` };
  }
  // v1: a controller is usable when its hierarchy is mounted. v2: when the root lists it in
  // cgroup.controllers (minidock switches it on in cgroup.subtree_control itself).
  const present = layout.version === 1 ? Object.keys(v1Hierarchies(f.mountinfo)) : (f.v2Controllers ?? '').trim().split(/\s+/);
  const needed: string[] = layout.version === 1 ? [...V1_REQUIRED] : V2_NEEDED;
  const found = needed.filter((c) => present.includes(c)).sort();
  const missing = needed.filter((c) => !present.includes(c)).sort();
  const label = `v${layout.version} (${layout.mode})`;
  if (missing.length === 0) return { name: 'cgroups', ok: true, required: true, detail: `${label}, controllers ${found.join(' ')}` };
  const fix =
    layout.version === 1
      ? missing.map((c) => `mkdir -p ${CGROUP_ROOT}/${c} && mount -t cgroup -o ${c} cgroup ${CGROUP_ROOT}/${c}`).join('; ')
      : `boot without cgroup_disable=${missing.join(',')} (see /proc/cmdline), on a kernel with ${missing.map((c) => `${CONTROLLER_CONFIG[c]}=y`).join(' ')}`;
  return { name: 'cgroups', ok: false, required: true, detail: `${label}, missing controller${missing.length > 1 ? 's' : ''} ${missing.join(' ')}`, fix };
}
// #endregion

function overlayFinding(f: HostFacts): Finding {
  if (filesystemTypes(f.filesystems).has('overlay')) return { name: 'overlayfs', ok: true, required: true, detail: 'overlay in /proc/filesystems' };
  return { name: 'overlayfs', ok: false, required: true, detail: 'not in /proc/filesystems', fix: 'modprobe overlay' };
}

function netfilterFinding(f: HostFacts): Finding {
  const tools = [f.nft, f.iptables].filter((t): t is string => t !== undefined);
  if (tools.length > 0) return { name: 'netfilter', ok: true, required: true, detail: tools.join(', ') };
  return { name: 'netfilter', ok: false, required: true, detail: 'neither nft nor iptables is on PATH', fix: 'apt-get install nftables' };
}

function iprouteFinding(f: HostFacts): Finding {
  if (f.ip !== undefined) return { name: 'iproute2', ok: true, required: true, detail: f.ip };
  return { name: 'iproute2', ok: false, required: true, detail: 'ip is not on PATH', fix: 'apt-get install iproute2' };
}

function busyboxFinding(f: HostFacts): Finding {
  const b = f.busybox;
  const fix = 'apt-get install busybox-static';
  if (!b.found) return { name: 'busybox-static', ok: false, required: true, detail: `no ${b.path}`, fix };
  if (b.problem) return { name: 'busybox-static', ok: false, required: true, detail: b.problem, fix };
  return { name: 'busybox-static', ok: true, required: true, detail: `${b.path}, statically linked` };
}

function baseImageFinding(f: HostFacts): Finding {
  const b = f.baseImage;
  if (b.id) return { name: 'base image', ok: true, required: true, detail: `${BUSYBOX_IMAGE} ${b.id.slice(0, 19)} in ${b.root}` };
  // an unreadable store is root's (mode 0600), not a missing image
  if (b.problem && f.uid !== 0) return { name: 'base image', ok: false, required: true, detail: b.problem, fix: 'sudo minidock doctor' };
  // setup builds it in the store MINIDOCK_ROOT names, so the fix must name the same one
  const env = b.root === '/var/lib/minidock' ? '' : `MINIDOCK_ROOT=${b.root} `;
  return { name: 'base image', ok: false, required: true, detail: b.problem ?? `no ${BUSYBOX_IMAGE} in ${b.root}`, fix: `${env}npm run setup` };
}

function ccFinding(f: HostFacts): Finding {
  const fix = 'apt-get install gcc libc6-dev';
  if (!f.cc) return { name: 'c compiler', ok: false, required: true, detail: 'cc is not on PATH (stage 1 compiles its chroot-escape demo)', fix };
  if (f.cc.staticProblem) return { name: 'c compiler', ok: false, required: true, detail: `cc -static failed: ${f.cc.staticProblem}`, fix };
  return { name: 'c compiler', ok: true, required: true, detail: `${f.cc.path} links static binaries (cc -static)` };
}

// #region diagnose
/** Judge the facts: one finding per piece, in the order a container needs them. */
export function diagnose(f: HostFacts): Finding[] {
  return [
    rootFinding(f),
    kernelFinding(f),
    archFinding(f),
    nodeFinding(f),
    ...namespaceFindings(f),
    cgroupFinding(f),
    overlayFinding(f),
    netfilterFinding(f),
    iprouteFinding(f),
    busyboxFinding(f),
    baseImageFinding(f),
    ccFinding(f),
  ];
}

/** Exit status: 0 when every required piece is there (warnings allowed), else 1. */
export function exitCode(findings: Finding[]): number {
  return findings.every((x) => x.ok || !x.required) ? 0 : 1;
}
// #endregion

// ---------------------------------------------------------------------------------------------
// Gathering: the only part that reads the machine. Each read is traced as the command a learner
// could type to see the same thing.

// #region gather
export function gatherFacts(env: NodeJS.ProcessEnv = process.env): HostFacts {
  trace('uname -r');
  const kernelRelease = os.release();
  trace('ls /proc/self/ns');
  const namespaces = readdirSync('/proc/self/ns');
  trace('cat /proc/self/mountinfo');
  const mountinfo = readFileSync('/proc/self/mountinfo', 'utf8');
  let v2Controllers: string | undefined;
  try {
    const layout = cgroupLayout(mountinfo);
    if (layout.version === 2 && layout.v2Mount) v2Controllers = readKernelFile(path.join(layout.v2Mount, 'cgroup.controllers'));
  } catch {
    // no cgroup filesystem: diagnose says so
  }
  const filesystems = readKernelFile('/proc/filesystems') ?? '';

  const pathVar = env.PATH ?? '';
  const which = (cmd: string) => findOnPath(cmd, pathVar, isExecutable);
  // present on PATH is what counts (the engine runs them the same way); the version is for the reader
  const version = (cmd: string, args: string[]): string | undefined => {
    const file = which(cmd);
    if (!file) return undefined;
    try {
      return firstLine(sh(file, args, { allowFail: true }).stdout) || file;
    } catch {
      return file;
    }
  };

  return {
    uid: process.getuid?.() ?? -1,
    kernelRelease,
    arch: process.arch,
    nodeVersion: process.version,
    namespaces,
    mountinfo,
    v2Controllers,
    filesystems,
    nft: version('nft', ['--version']),
    iptables: version('iptables', ['--version']),
    ip: version('ip', ['-V']),
    busybox: busyboxFacts(env.MINIDOCK_BUSYBOX || BUSYBOX_BIN),
    baseImage: baseImageFacts(env),
    cc: ccFacts(which('cc')),
  };
}
// #endregion

/** Gather, then judge. */
export function doctor(env: NodeJS.ProcessEnv = process.env): Finding[] {
  return diagnose(gatherFacts(env));
}

function readKernelFile(file: string): string | undefined {
  trace(`cat ${file}`);
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

function isExecutable(file: string): boolean {
  try {
    const st = statSync(file);
    return st.isFile() && (st.mode & 0o111) !== 0;
  } catch {
    return false;
  }
}

function firstLine(text: string): string {
  return text.trim().split('\n')[0]?.trim() ?? '';
}

function busyboxFacts(file: string): HostFacts['busybox'] {
  trace(`readelf -l ${file} | grep INTERP    # no program interpreter: statically linked`);
  let elf: Buffer;
  try {
    elf = readFileSync(file);
  } catch {
    return { path: file, found: false };
  }
  try {
    checkStaticElf(file, elf); // no PT_INTERP: it runs in an image that has no libc
    return { path: file, found: true };
  } catch (err) {
    if (!(err instanceof EngineError)) throw err;
    return { path: file, found: true, problem: err.message.replace(/^busybox base image: /, '').replace(/;.*$/, '') };
  }
}

function baseImageFacts(env: NodeJS.ProcessEnv): HostFacts['baseImage'] {
  const p = paths(env);
  trace(`cat ${p.repositories}    # the image names, as in /var/lib/docker`);
  try {
    return { root: p.root, id: new ImageStore(p).resolve(BUSYBOX_IMAGE).id };
  } catch (err) {
    if (err instanceof EngineError && err.message.startsWith('no such image')) return { root: p.root };
    return { root: p.root, problem: (err as Error).message };
  }
}

/** Compile and run a three-line C program with `cc -static`: what stage 1's demo needs. */
function ccFacts(cc: string | undefined): HostFacts['cc'] {
  if (!cc) return undefined;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'minidock-doctor-'));
  try {
    const src = path.join(dir, 'hello.c');
    const bin = path.join(dir, 'hello');
    writeFileSync(src, '#include <stdio.h>\nint main(void) { puts("static"); return 0; }\n');
    const built = sh(cc, ['-static', '-o', bin, src], { allowFail: true });
    if (built.status !== 0) return { path: cc, staticProblem: lastLine(built.stderr) || `exit status ${built.status}` };
    const ran = sh(bin, [], { allowFail: true });
    if (ran.stdout.trim() !== 'static') return { path: cc, staticProblem: `the program it built printed "${ran.stdout.trim()}"` };
    return { path: cc };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function lastLine(text: string): string {
  return text.trim().split('\n').pop()?.trim() ?? '';
}
