// Control groups: one interface over cgroup v1 (a tree per controller) and v2 (one tree).
//
// A cgroup is a directory in a cgroup filesystem; limits are files in it; a process joins by
// having its PID written to cgroup.procs. minidock's cgroups live at <tree>/minidock/<id>, the
// way docker's live at <tree>/docker/<id>. See cgroups(7), the kernel's
// Documentation/admin-guide/cgroup-v1/ and cgroup-v2.rst, and stages/02-cgroups.

import { mkdirSync, readFileSync, readdirSync, rmdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { EngineError, SyscallError } from '../errors.js';
import { trace } from '../sys/trace.js';
import type { Resources } from './resources.js';
import { CgroupV1 } from './v1.js';
import { CgroupV2 } from './v2.js';

export type { Resources } from './resources.js';

// #region interface
/** One container's cgroup, whichever cgroup version the host runs. */
export interface Cgroup {
  readonly version: 1 | 2;
  /** every directory this cgroup consists of (v1: one per hierarchy, v2: just one) */
  readonly paths: string[];
  /** mkdir <tree>/minidock/<id> (and prepare the parent so the child can be used) */
  create(): void;
  /** write the limit files */
  apply(r: Resources): void;
  /** move a process, with all its threads, into the cgroup (in every hierarchy) */
  addProcess(pid: number): void;
  /** the PIDs in the cgroup now */
  procs(): number[];
  /** whether the kernel's OOM killer has killed a process in this cgroup */
  oomKilled(): boolean;
  /** usage as `docker stats` shows it */
  stats(): CgroupStats;
  /** rmdir the directories; kills nothing, so the cgroup must be empty */
  destroy(): void;
}

export interface CgroupStats {
  /** CPU time used by all tasks, ever, in nanoseconds */
  cpuUsageNs: bigint;
  /** memory in use without the inactive page cache (what docker stats shows) */
  memoryUsage: number;
  /** the memory limit, or the host's RAM when there is none */
  memoryLimit: number;
  /** tasks (processes and threads) now */
  pids: number;
}
// #endregion

/** One limit to set: which file (its prefix names the controller) gets which value. */
export type LimitWrite = [file: string, value: string];

export interface CgroupOptions {
  /** where the cgroup filesystems are mounted; tests point it at a fake tree in a temp dir */
  root?: string;
  /** the text of /proc/self/mountinfo; tests pass a fake one */
  mountinfo?: string;
}

/** Where cgroup filesystems are mounted on every systemd-era distribution. */
export const CGROUP_ROOT = '/sys/fs/cgroup';
/** The directory under each tree that holds minidock's cgroups (docker's is "docker"). */
export const PARENT = 'minidock';

// #region detect
/** The v1 controllers (subsystems) a kernel may offer; see /proc/cgroups. */
const V1_CONTROLLERS = new Set([
  'cpu', 'cpuacct', 'cpuset', 'memory', 'devices', 'freezer', 'net_cls', 'net_prio',
  'blkio', 'perf_event', 'hugetlb', 'pids', 'rdma', 'misc',
]);

/** One line of /proc/self/mountinfo, the parts we need. See proc(5). */
export interface MountInfo {
  /** where it is mounted, e.g. /sys/fs/cgroup/memory */
  mountPoint: string;
  /** cgroup (v1) or cgroup2 */
  fsType: string;
  /** the filesystem's own options: for v1 these name the controllers, e.g. rw,cpu,cpuacct */
  superOptions: string[];
}

/** The cgroup mounts in a mountinfo text. */
export function cgroupMounts(mountinfo: string): MountInfo[] {
  const mounts: MountInfo[] = [];
  for (const line of mountinfo.split('\n')) {
    // "36 31 0:32 / /sys/fs/cgroup/memory rw,relatime shared:17 - cgroup cgroup rw,memory"
    // Optional fields (shared:17) vary in number, so split at the " - " that ends them.
    const [left, right] = line.split(' - ');
    if (right === undefined) continue;
    const [fsType, , superOpts = ''] = right.split(' ');
    if (fsType !== 'cgroup' && fsType !== 'cgroup2') continue;
    mounts.push({ mountPoint: unescapeMountField(left.split(' ')[4]), fsType, superOptions: superOpts.split(',') });
  }
  return mounts;
}

/**
 * Which cgroup version to use. cgroup2 mounted on /sys/fs/cgroup itself is the unified (v2-only)
 * layout. Otherwise, v1 controller hierarchies mean v1 — even in "hybrid" mode, where a cgroup2
 * also sits at /sys/fs/cgroup/unified but holds no controllers (systemd uses it for tracking).
 */
export function detectCgroupVersion(mountinfo: string = readFileSync('/proc/self/mountinfo', 'utf8')): 1 | 2 {
  const mounts = cgroupMounts(mountinfo);
  if (mounts.some((m) => m.fsType === 'cgroup2' && m.mountPoint === CGROUP_ROOT)) return 2;
  if (mounts.some((m) => m.fsType === 'cgroup' && m.superOptions.some((o) => V1_CONTROLLERS.has(o)))) return 1;
  if (mounts.some((m) => m.fsType === 'cgroup2')) return 2;
  throw new EngineError('no cgroup filesystem is mounted (see /proc/self/mountinfo); mount one at /sys/fs/cgroup');
}
// #endregion

/** Open (without creating anything yet) the cgroup of container `id`. */
export function openCgroup(id: string, opts: CgroupOptions = {}): Cgroup {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(id)) throw new EngineError(`invalid cgroup name ${JSON.stringify(id)}`);
  const root = opts.root ?? CGROUP_ROOT;
  const mountinfo = opts.mountinfo ?? readFileSync('/proc/self/mountinfo', 'utf8');
  return detectCgroupVersion(mountinfo) === 2
    ? new CgroupV2(id, v2Tree(mountinfo, root))
    : new CgroupV1(id, v1Hierarchies(mountinfo, root));
}

/** The container ids that have a cgroup under minidock/ (in any hierarchy), for cleanup checks. */
export function listMinidockCgroups(opts: CgroupOptions = {}): string[] {
  const root = opts.root ?? CGROUP_ROOT;
  const mountinfo = opts.mountinfo ?? readFileSync('/proc/self/mountinfo', 'utf8');
  const trees =
    detectCgroupVersion(mountinfo) === 2 ? [v2Tree(mountinfo, root)] : [...new Set(Object.values(v1Hierarchies(mountinfo, root)))];
  const ids = new Set<string>();
  for (const tree of trees) {
    try {
      for (const e of readdirSync(path.join(tree, PARENT), { withFileTypes: true })) if (e.isDirectory()) ids.add(e.name);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  return [...ids].sort();
}

/** v1: controller name → the directory its hierarchy is mounted on (cpu and cpuacct may share one). */
export function v1Hierarchies(mountinfo: string, root: string = CGROUP_ROOT): Record<string, string> {
  const dirs: Record<string, string> = {};
  for (const m of cgroupMounts(mountinfo)) {
    if (m.fsType !== 'cgroup') continue;
    for (const opt of m.superOptions) if (V1_CONTROLLERS.has(opt)) dirs[opt] ??= underRoot(m.mountPoint, root);
  }
  return dirs;
}

/** v2: the directory the unified tree is mounted on. */
function v2Tree(mountinfo: string, root: string): string {
  const mounts = cgroupMounts(mountinfo).filter((m) => m.fsType === 'cgroup2');
  const m = mounts.find((x) => x.mountPoint === CGROUP_ROOT) ?? mounts[0];
  return underRoot(m.mountPoint, root);
}

/** A mount point as seen under `root`: identical for the real /sys/fs/cgroup, moved into a fake tree in tests. */
function underRoot(mountPoint: string, root: string): string {
  return path.join(root, path.relative(CGROUP_ROOT, mountPoint));
}

/** mountinfo writes space, tab, newline and backslash in paths as octal escapes (\040). */
function unescapeMountField(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

// ---------------------------------------------------------------------------------------------
// cgroupfs is just files. These helpers are the only places v1.ts and v2.ts touch it, so every
// change is traced as the shell command a learner could type to do the same by hand.

/**
 * mkdir, tolerating a directory that is already there (`mkdir -p`): minidock/ is shared by all
 * containers, and a container's own directory may survive a crash of the engine.
 */
export function cgMkdir(dir: string): void {
  trace(`mkdir -p ${dir}`);
  try {
    mkdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw syscallError('mkdir', [dir], err);
  }
}

/** Write one value to one cgroup file: `echo <value> > <file>`. */
export function cgWrite(file: string, value: string | number): void {
  const v = String(value);
  trace(`echo ${/^[\w.,:/-]+$/.test(v) ? v : `'${v}'`} > ${file}`);
  try {
    writeFileSync(file, v);
  } catch (err) {
    // The kernel's answer is the errno: EINVAL (bad value), EBUSY, ENOSPC (v1 cpuset empty), …
    throw syscallError('write', [file, v], err);
  }
}

/** Read a cgroup file; `fallback` when it does not exist (an optional controller or feature). */
export function cgRead(file: string, fallback?: string): string {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch (err) {
    if (fallback !== undefined && (err as NodeJS.ErrnoException).code === 'ENOENT') return fallback;
    throw syscallError('read', [file], err);
  }
}

/** "key value" lines (memory.stat, cpu.stat, memory.events, memory.oom_control) as a map. */
export function cgKeyValues(file: string): Map<string, bigint> {
  const out = new Map<string, bigint>();
  for (const line of cgRead(file, '').split('\n')) {
    const [k, v] = line.split(' ');
    if (k && v !== undefined && /^\d+$/.test(v)) out.set(k, BigInt(v));
  }
  return out;
}

/** The PIDs listed in a cgroup.procs file. */
export function cgProcs(dir: string): number[] {
  return cgRead(path.join(dir, 'cgroup.procs'), '')
    .split('\n')
    .filter(Boolean)
    .map(Number);
}

/**
 * rmdir a cgroup. Gone already is fine. EBUSY means tasks are still inside: right after a
 * container's last process dies the kernel may take a moment to release it, so retry until
 * `deadline` (ms since the epoch) before giving up — and never kill anything here: that is the
 * caller's decision.
 */
export function cgRmdir(dir: string, deadline: number = Date.now() + RMDIR_PATIENCE_MS): void {
  trace(`rmdir ${dir}`);
  for (let attempt = 1; ; attempt++) {
    try {
      rmdirSync(dir);
      return;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return;
      if (code !== 'EBUSY' || Date.now() >= deadline) throw syscallError('rmdir', [dir], err);
      sleepSync(Math.min(10 * attempt, 100));
    }
  }
}

/** How long destroy() waits for a cgroup's last tasks to be released. */
export const RMDIR_PATIENCE_MS = 2000;

/** Block the thread (synchronous code only: a container's setup runs without the event loop). */
function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function syscallError(op: string, args: string[], err: unknown): Error {
  const e = err as NodeJS.ErrnoException;
  if (typeof e?.code !== 'string' || typeof e.errno !== 'number') return err as Error;
  return new SyscallError(op, args, Math.abs(e.errno), e.code);
}
