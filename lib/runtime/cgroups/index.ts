// Control groups: one interface over cgroup v1 (a tree per controller) and v2 (one tree).
//
// A cgroup is a directory in a cgroup filesystem; limits are files in it; a process joins by
// having its PID written to cgroup.procs. minidock's cgroups live at <tree>/minidock/<id>, the
// way docker's live at <tree>/docker/<id>. See cgroups(7), the kernel's
// Documentation/admin-guide/cgroup-v1/ and cgroup-v2.rst, and stages/02-cgroups.

import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { EngineError } from '../../errors.js';
import { parseMountinfo, type MountInfo } from '../mountinfo.js';
import type { Cgroup } from './cgroup.js';
import { CgroupV1 } from './v1.js';
import { CgroupV2 } from './v2.js';

export type { Cgroup, CgroupStats } from './cgroup.js';

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

/** The cgroup mounts in a mountinfo text. */
export function cgroupMounts(mountinfo: string): MountInfo[] {
  return parseMountinfo(mountinfo).filter((m) => m.fsType === 'cgroup' || m.fsType === 'cgroup2');
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

/** The cgroup path of container `id` when config.json names none: minidock/<id>, like docker/<id>. */
export function defaultCgroupPath(id: string): string {
  return `${PARENT}/${id}`;
}

/**
 * Open (without creating anything yet) the cgroup at `cgroupPath`, a path under each
 * hierarchy's root as config.json's linux.cgroupsPath gives it ("/minidock/<id>", "default/x").
 * It must stay below the root: ".." or an empty path would name cgroups that are not ours.
 */
export function openCgroup(cgroupPath: string, opts: CgroupOptions = {}): Cgroup {
  const parts = cgroupPath.split('/').filter(Boolean);
  if (parts.length === 0 || parts.some((p) => p === '..' || p === '.' || !/^[A-Za-z0-9_.:@-]+$/.test(p))) {
    throw new EngineError(`invalid cgroup path ${JSON.stringify(cgroupPath)}`);
  }
  const rel = parts.join('/');
  const root = opts.root ?? CGROUP_ROOT;
  const mountinfo = opts.mountinfo ?? readFileSync('/proc/self/mountinfo', 'utf8');
  return detectCgroupVersion(mountinfo) === 2
    ? new CgroupV2(rel, v2Tree(mountinfo, root))
    : new CgroupV1(rel, v1Hierarchies(mountinfo, root));
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
