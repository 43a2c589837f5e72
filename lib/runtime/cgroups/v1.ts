// cgroup v1: one directory tree (hierarchy) per controller — memory/, cpu/, cpuset/, pids/, …
//
// A container's cgroup is therefore several directories, one per hierarchy, each holding that
// controller's files (memory.limit_in_bytes, cpu.cfs_quota_us, …), and the container's PID is
// written into each. See cgroups(7), the kernel's Documentation/admin-guide/cgroup-v1/
// (memory.rst, cpusets.rst, pids.rst) and scheduler/sched-bwc.rst, and stages/02-cgroups.

import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EngineError } from '../../errors.js';
import { trace } from '../../sys/trace.js';
import type { Cgroup, CgroupStats } from './cgroup.js';
import {
  type LimitWrite,
  RMDIR_PATIENCE_MS,
  cgKeyValues,
  cgMkdir,
  cgProcs,
  cgRead,
  cgRmdir,
  cgWrite,
  waitFor,
} from './cgroupfs.js';
import type { LinuxResources } from '../spec.js';

/** The hierarchies minidock needs: the ones holding the limits docker's flags set, and cpuacct for stats. */
export const V1_REQUIRED = ['memory', 'cpu', 'cpuacct', 'cpuset', 'pids'] as const;
/**
 * The hierarchies a container joins where mounted: those, devices for config.json's device
 * rules, and freezer for pause/unpause (stage 7).
 */
export const V1_USED = [...V1_REQUIRED, 'devices', 'freezer'] as const;
export type V1Controller = (typeof V1_USED)[number];

/** What memory.limit_in_bytes reads when there is no limit (the largest page-aligned long). */
const V1_UNLIMITED = 9223372036854771712n;

// #region v1-limits
/**
 * OCI resources → v1 files. `swapAccounting` says whether memory.memsw.* exists (the kernel may
 * be booted without swap accounting); `currentMemoryLimit` is what memory.limit_in_bytes holds
 * now, which decides the order of the two memory writes.
 */
export function v1LimitWrites(r: LinuxResources, swapAccounting: boolean, currentMemoryLimit: bigint = V1_UNLIMITED): LimitWrite[] {
  return [...v1ResourceWrites(r, swapAccounting, currentMemoryLimit), ...v1DeviceWrites(r)];
}

/** v1LimitWrites's memory, cpu, cpuset and pids files, in the order they must be written. */
function v1ResourceWrites(r: LinuxResources, swapAccounting: boolean, currentMemoryLimit: bigint): LimitWrite[] {
  const w: LimitWrite[] = [];

  // #region exercise 2.limits-v1
  // Memory. memsw ("memory + swap", the spec's memory.swap) must never be below the memory
  // limit, and the kernel checks that on every single write. Raising memsw first is safe when it
  // stays above today's memory limit; otherwise lower memory first. (runc orders them the same.)
  const memory: LimitWrite[] = [];
  const { limit, swap, reservation } = r.memory ?? {};
  if (limit) memory.push(['memory.limit_in_bytes', String(limit)]);
  if (swap && swapAccounting) {
    const memsw: LimitWrite = ['memory.memsw.limit_in_bytes', String(swap)];
    if (swap === -1 || currentMemoryLimit < BigInt(swap)) memory.unshift(memsw);
    else memory.push(memsw);
  }
  w.push(...memory);
  if (reservation) w.push(['memory.soft_limit_in_bytes', String(reservation)]);

  // CPU bandwidth (CFS): in every period of cfs_period_us the group may run cfs_quota_us of CPU
  // time, summed over all CPUs — so quota 50000 per 100000 is half a CPU, 200000 is two CPUs.
  const cpu = r.cpu ?? {};
  if (cpu.period) w.push(['cpu.cfs_period_us', String(cpu.period)]);
  if (cpu.quota) w.push(['cpu.cfs_quota_us', String(cpu.quota)]);
  // CPU shares only matter when CPUs are contended: a weight relative to sibling cgroups.
  if (cpu.shares) w.push(['cpu.shares', String(cpu.shares)]);

  if (cpu.cpus) w.push(['cpuset.cpus', cpu.cpus]);
  if (cpu.mems) w.push(['cpuset.mems', cpu.mems]);

  // pids: a positive limit, or "max" for the spec's -1 (0 means: not set)
  const pids = r.pids?.limit;
  if (pids) w.push(['pids.max', pids > 0 ? String(pids) : 'max']);
  // #endregion
  return w;
}

/** v1LimitWrites's devices rules: devices.allow / devices.deny, one write per rule, in order. */
function v1DeviceWrites(r: LinuxResources): LimitWrite[] {
  const w: LimitWrite[] = [];
  // devices: each rule in order, "a" (all), "c" or "b", major:minor ("*" for any), access rwm
  for (const d of r.devices ?? []) {
    const rule = `${d.type ?? 'a'} ${d.major ?? '*'}:${d.minor ?? '*'} ${d.access ?? 'rwm'}`;
    w.push([d.allow ? 'devices.allow' : 'devices.deny', d.type === 'a' || d.type === undefined ? 'a' : rule]);
  }
  return w;
}
// #endregion

export class CgroupV1 implements Cgroup {
  readonly version = 1 as const;
  /** controller → this container's directory in that controller's hierarchy */
  readonly dirs: Partial<Record<V1Controller, string>> = {};
  readonly paths: string[];
  /** the directories the used hierarchies are mounted on (cpu and cpuacct may share one) */
  private readonly mounts: string[];
  /** the directory the cpuset hierarchy is mounted on (its new cgroups need filling in) */
  private readonly cpusetMount: string | undefined;

  /**
   * `cgroupPath` is the cgroup's path under each hierarchy's root, like "minidock/<id>";
   * `hierarchies` maps controller name → mount directory, from v1Hierarchies() in index.ts.
   */
  constructor(
    readonly cgroupPath: string,
    hierarchies: Record<string, string>,
  ) {
    const mounts = new Set<string>();
    for (const c of V1_USED) {
      const mount = hierarchies[c];
      if (mount === undefined) continue; // not mounted on this host: limits of that kind fail in apply()
      mounts.add(mount);
      this.dirs[c] = path.join(mount, cgroupPath);
    }
    this.mounts = [...mounts];
    this.cpusetMount = hierarchies.cpuset;
    this.paths = this.mounts.map((m) => path.join(m, cgroupPath));
  }

  // #region v1-create
  create(): void {
    // mkdir each level from the hierarchy's root down (minidock/, then minidock/<id>): the parent
    // is shared by every container, and in the cpuset hierarchy each new level must be filled in
    // before the next one can be.
    for (const mount of this.mounts) {
      let parent = mount;
      for (const part of this.cgroupPath.split('/').filter(Boolean)) {
        const dir = path.join(parent, part);
        cgMkdir(dir);
        if (mount === this.cpusetMount) inheritCpuset(dir, parent);
        parent = dir;
      }
    }
  }
  // #endregion

  apply(r: LinuxResources): void {
    const memoryDir = this.dirs.memory;
    const swapAccounting = memoryDir !== undefined && existsSync(path.join(memoryDir, 'memory.memsw.limit_in_bytes'));
    if (r.memory?.swap && !swapAccounting) {
      trace('# no memory.memsw.limit_in_bytes: swap accounting is off (boot with swapaccount=1), swap stays unlimited');
    }
    const current = memoryDir ? BigInt(cgRead(path.join(memoryDir, 'memory.limit_in_bytes'), String(V1_UNLIMITED))) : V1_UNLIMITED;
    for (const [file, value] of v1LimitWrites(r, swapAccounting, current)) {
      const controller = file.slice(0, file.indexOf('.')) as V1Controller;
      const dir = this.dirs[controller];
      if (dir === undefined) throw new EngineError(`cannot set ${file}: the ${controller} cgroup hierarchy is not mounted`);
      cgWrite(path.join(dir, file), value);
    }
  }

  // #region v1-join
  addProcess(pid: number): void {
    // #region exercise 2.join-v1
    // Writing to cgroup.procs moves the whole process (every thread); `tasks` would move one thread.
    for (const dir of this.paths) cgWrite(path.join(dir, 'cgroup.procs'), pid);
    // #endregion
  }
  // #endregion

  procs(): number[] {
    const all = new Set<number>();
    for (const dir of this.paths) for (const pid of cgProcs(dir)) all.add(pid);
    return [...all].sort((a, b) => a - b);
  }

  // #region oom
  oomKilled(): boolean {
    if (!this.dirs.memory) return false;
    // #region exercise 2.oom-v1
    // Since Linux 4.13 memory.oom_control counts the group's OOM kills in its oom_kill line.
    const kills = cgKeyValues(path.join(this.dirs.memory, 'memory.oom_control')).get('oom_kill');
    if (kills !== undefined) return kills > 0n;
    // Older kernels: only "the limit was hit" (failcnt) is recorded. A guess: hitting the limit
    // can also just mean the kernel reclaimed page cache and carried on.
    return BigInt(cgRead(path.join(this.dirs.memory, 'memory.failcnt'), '0')) > 0n;
    // #endregion
  }
  // #endregion

  stats(): CgroupStats {
    const { memory, cpuacct, pids } = this.dirs;
    const cpuUsageNs = cpuacct ? BigInt(cgRead(path.join(cpuacct, 'cpuacct.usage'), '0')) : 0n;
    let memoryUsage = 0;
    let memoryLimit = os.totalmem();
    if (memory) {
      const usage = BigInt(cgRead(path.join(memory, 'memory.usage_in_bytes'), '0'));
      // Like docker stats: leave out file pages the kernel could drop at once.
      const inactive = cgKeyValues(path.join(memory, 'memory.stat')).get('total_inactive_file') ?? 0n;
      memoryUsage = Number(inactive < usage ? usage - inactive : usage);
      const limit = BigInt(cgRead(path.join(memory, 'memory.limit_in_bytes'), String(V1_UNLIMITED)));
      if (limit < BigInt(memoryLimit)) memoryLimit = Number(limit);
    }
    const pidsNow = pids ? Number(cgRead(path.join(pids, 'pids.current'), '0')) : this.procs().length;
    return { cpuUsageNs, memoryUsage, memoryLimit, pids: pidsNow };
  }

  // #region v1-freeze
  freeze(on: boolean): void {
    const dir = this.dirs.freezer;
    if (dir === undefined) throw new EngineError('cannot pause: the freezer cgroup hierarchy is not mounted');
    // FREEZING is the state while the kernel stops the tasks one by one: wait for FROZEN
    cgWrite(path.join(dir, 'freezer.state'), on ? 'FROZEN' : 'THAWED');
    waitFor(() => cgRead(path.join(dir, 'freezer.state')).trim() === (on ? 'FROZEN' : 'THAWED'), 'freezer.state');
  }
  // #endregion

  destroy(): void {
    // Only the container's own directory: the parent (minidock/) is shared, and another
    // container may be creating its own cgroup in it right now. Try every hierarchy even if one fails, so as
    // little as possible is left behind, and share one deadline between them.
    const deadline = Date.now() + RMDIR_PATIENCE_MS;
    const errors: unknown[] = [];
    for (const dir of this.paths) {
      try {
        cgRmdir(dir, deadline);
      } catch (err) {
        errors.push(err);
      }
    }
    if (errors.length > 0) throw errors[0];
  }
}

// #region v1-cpuset
/**
 * A new v1 cpuset cgroup starts with EMPTY cpuset.cpus and cpuset.mems, and the kernel refuses
 * to put a task into a cgroup with nowhere to run (ENOSPC on cgroup.procs). So, as docker does,
 * copy the parent's values into each new level before using it.
 */
function inheritCpuset(dir: string, parent: string): void {
  for (const file of ['cpuset.cpus', 'cpuset.mems']) {
    if (cgRead(path.join(dir, file), '') !== '') continue;
    cgWrite(path.join(dir, file), cgRead(path.join(parent, file)));
  }
}
// #endregion
