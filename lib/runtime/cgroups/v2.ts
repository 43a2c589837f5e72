// cgroup v2: one unified tree; a cgroup is one directory holding every controller's files.
//
// A controller is only usable in a cgroup when its parent lists it in cgroup.subtree_control, so
// creating minidock/<id> starts by switching the controllers on, top-down. See cgroups(7), the
// kernel's Documentation/admin-guide/cgroup-v2.rst, and stages/02-cgroups.

import { closeSync, existsSync, openSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EngineError } from '../../errors.js';
import { trace } from '../../sys/trace.js';
import type { Cgroup, CgroupStats } from './cgroup.js';
import {
  type LimitWrite,
  cgKeyValues,
  cgMkdir,
  cgProcs,
  cgRead,
  cgRmdir,
  cgWrite,
  waitFor,
} from './cgroupfs.js';
import type { LinuxResources } from '../spec.js';
import type { Sys } from '../../sys/sys.js';
import { deviceProgram, encodeEbpf } from './devices-bpf.js';

const BPF_PROG_TYPE_CGROUP_DEVICE = 15;
const BPF_CGROUP_DEVICE = 6;
const BPF_F_ALLOW_MULTI = 2;

// #region attach-device-program
/**
 * Load the device rules as a BPF_PROG_TYPE_CGROUP_DEVICE program and attach it to the cgroup's
 * directory. ALLOW_MULTI, as runc does: a program attached above (systemd's) still runs too, and
 * a device must pass both. The program lives as long as the cgroup: rmdir releases it.
 */
function attachDeviceProgram(sys: Sys, dir: string, rules: NonNullable<LinuxResources['devices']>): void {
  const program = sys.bpfProgLoad(BPF_PROG_TYPE_CGROUP_DEVICE, encodeEbpf(deviceProgram(rules)), 'Apache-2.0');
  const cgroup = openSync(dir, 'r');
  try {
    sys.bpfProgAttach(cgroup, program, BPF_CGROUP_DEVICE, BPF_F_ALLOW_MULTI);
  } finally {
    closeSync(cgroup);
    closeSync(program);
  }
}
// #endregion

/** The controllers a container's cgroup gets, where the kernel offers them. */
export const V2_WANTED = ['cpu', 'memory', 'pids', 'cpuset', 'io'] as const;

// #region shares-to-weight
/**
 * v1's cpu.shares (2 … 262144, default 1024) → v2's cpu.weight (1 … 10000, default 100). The
 * kernel has no rule for it: each runtime picks one, and there are two in use.
 *
 *  - Linear, end to end (runc from 2020 to 1.3.1, crun before its 2025 change): the default does
 *    not survive, 1024 → 39, so a container that asked for "the default" gets less than one that
 *    asked for nothing (100).
 *  - Log-quadratic (runc 1.3.2 and 1.4, October 2025; crun's 2025 change): on a log2 scale, the
 *    quadratic through the three points that matter — 2 → 1, 1024 → 100, 262144 → 10000 —
 *    rounded up. 1024 → 100: the defaults agree again.
 *
 * minidock's choice: the log-quadratic one, so `--cpu-shares 1024` means the default on both
 * cgroup versions, as it does with a current runc. sharesToWeightLinear stays for comparison.
 */
export function sharesToWeight(shares: number): number {
  if (shares === 0) return 0; // not set
  if (shares <= 2) return 1;
  if (shares >= 262144) return 10000;
  // exponent 0 at 2 shares (log2 = 1), 2 at 1024 (log2 = 10), 4 at 262144 (log2 = 18)
  const l = Math.log2(shares);
  const exponent = (l * l + 125 * l) / 612 - 7 / 34;
  return Math.ceil(10 ** exponent);
}

/** The older, linear mapping (runc ≤ 1.3.1): 1 + (shares − 2) × 9999 / 262142, rounded down. */
export function sharesToWeightLinear(shares: number): number {
  if (shares === 0) return 0; // not set
  return 1 + Math.trunc(((shares - 2) * 9999) / 262142);
}
// #endregion

// #region v2-limits
/** OCI resources → v2 files. `swapAccounting` says whether memory.swap.max exists. */
export function v2LimitWrites(r: LinuxResources, swapAccounting: boolean): LimitWrite[] {
  const w: LimitWrite[] = [];

  // #region exercise 2.limits-v2
  const { limit, swap, reservation } = r.memory ?? {};
  if (limit) w.push(['memory.max', String(limit)]);
  // The spec's memory.swap is memory + swap (the v1 memsw idea); v2 limits swap on its own.
  if (swap && swapAccounting) {
    if (swap === -1) w.push(['memory.swap.max', 'max']);
    else if (limit) w.push(['memory.swap.max', String(swap - limit)]);
  }
  // A soft limit: below memory.low the group's memory is protected from reclaim.
  if (reservation) w.push(['memory.low', String(reservation)]);

  // cpu.max holds both numbers of v1's cfs_quota_us and cfs_period_us: "<quota> <period>", and
  // "max" instead of a quota means no limit.
  const cpu = r.cpu ?? {};
  if (cpu.quota || cpu.period) {
    const quota = cpu.quota && cpu.quota > 0 ? String(cpu.quota) : 'max';
    w.push(['cpu.max', `${quota} ${cpu.period || DEFAULT_CFS_PERIOD_US}`]);
  }
  if (cpu.shares) w.push(['cpu.weight', String(sharesToWeight(cpu.shares))]);

  if (cpu.cpus) w.push(['cpuset.cpus', cpu.cpus]);
  if (cpu.mems) w.push(['cpuset.mems', cpu.mems]);

  const pids = r.pids?.limit;
  if (pids) w.push(['pids.max', pids > 0 ? String(pids) : 'max']);
  // #endregion
  return w;
}

/** The CFS period the kernel uses when only a quota is given: 100 ms. */
export const DEFAULT_CFS_PERIOD_US = 100_000;
// #endregion

export class CgroupV2 implements Cgroup {
  readonly version = 2 as const;
  /** this container's directory: <tree>/minidock/<id> */
  readonly dir: string;
  readonly paths: string[];
  private readonly parent: string;

  /**
   * `cgroupPath` is the cgroup's path in the tree, like "minidock/<id>"; `tree` is where the
   * unified hierarchy is mounted (normally /sys/fs/cgroup).
   */
  constructor(
    readonly cgroupPath: string,
    private readonly tree: string,
  ) {
    this.dir = path.join(tree, cgroupPath);
    this.parent = path.dirname(this.dir);
    this.paths = [this.dir];
  }

  // #region v2-create
  create(): void {
    const offered = words(cgRead(path.join(this.tree, 'cgroup.controllers'), ''));
    const wanted = V2_WANTED.filter((c) => offered.has(c));
    // Top-down: the root hands the controllers to its children (minidock/ among them), then
    // minidock/ hands them to each container's cgroup.
    let dir = this.tree;
    for (const part of this.cgroupPath.split('/').filter(Boolean)) {
      enableControllers(dir, wanted);
      dir = path.join(dir, part);
      cgMkdir(dir);
    }
  }
  // #endregion

  apply(r: LinuxResources, sys?: Sys): void {
    const swapAccounting = existsSync(path.join(this.dir, 'memory.swap.max'));
    if (r.memory?.swap && r.memory.swap !== r.memory.limit && !swapAccounting) {
      trace('# no memory.swap.max: swap accounting is off, swap stays unlimited');
    }
    // The controllers minidock/ hands down are the ones whose files exist in our directory.
    const enabled = words(cgRead(path.join(this.parent, 'cgroup.subtree_control'), ''));
    if ((r.devices?.length ?? 0) > 0) {
      // v2 has no devices.allow: device rules are an eBPF program attached to the cgroup
      // (devices-bpf.ts). Without a Sys to load it, say so rather than pretend.
      if (sys) attachDeviceProgram(sys, this.dir, r.devices!);
      else trace('# linux.resources.devices: not enforced on cgroup v2 (needs an eBPF program; stage 8)');
    }
    for (const [file, value] of v2LimitWrites(r, swapAccounting)) {
      const controller = file.slice(0, file.indexOf('.'));
      if (!enabled.has(controller)) {
        throw new EngineError(`cannot set ${file}: the ${controller} controller is not enabled in ${this.parent}/cgroup.subtree_control`);
      }
      cgWrite(path.join(this.dir, file), value);
    }
  }

  addProcess(pid: number): void {
    // #region exercise 2.join-v2
    // One tree, one write; cgroup.procs moves every thread of the process.
    cgWrite(path.join(this.dir, 'cgroup.procs'), pid);
    // #endregion
  }

  procs(): number[] {
    return cgProcs(this.dir).sort((a, b) => a - b);
  }

  // #region v2-oom
  oomKilled(): boolean {
    // #region exercise 2.oom-v2
    // memory.events counts, among others, how many tasks the OOM killer killed in this group.
    return (cgKeyValues(path.join(this.dir, 'memory.events')).get('oom_kill') ?? 0n) > 0n;
    // #endregion
  }
  // #endregion

  stats(): CgroupStats {
    const cpuUsageNs = (cgKeyValues(path.join(this.dir, 'cpu.stat')).get('usage_usec') ?? 0n) * 1000n;
    const usage = BigInt(cgRead(path.join(this.dir, 'memory.current'), '0'));
    // Like docker stats: leave out file pages the kernel could drop at once.
    const inactive = cgKeyValues(path.join(this.dir, 'memory.stat')).get('inactive_file') ?? 0n;
    const max = cgRead(path.join(this.dir, 'memory.max'), 'max');
    const host = os.totalmem();
    return {
      cpuUsageNs,
      memoryUsage: Number(inactive < usage ? usage - inactive : usage),
      memoryLimit: max === 'max' ? host : Math.min(Number(max), host),
      pids: Number(cgRead(path.join(this.dir, 'pids.current'), String(this.procs().length))),
    };
  }

  // #region v2-freeze
  freeze(on: boolean): void {
    // cgroup.freeze asks; cgroup.events' "frozen 1" says the last task has stopped
    cgWrite(path.join(this.dir, 'cgroup.freeze'), on ? 1 : 0);
    waitFor(() => (cgKeyValues(path.join(this.dir, 'cgroup.events')).get('frozen') ?? 0n) === (on ? 1n : 0n), 'cgroup.freeze');
  }
  // #endregion

  destroy(): void {
    // Only the container's own directory; the parent (minidock/) is shared with other containers.
    cgRmdir(this.dir);
  }
}

/**
 * Make `controllers` available to the children of `dir` by writing "+name" to its
 * cgroup.subtree_control — only those not on yet, so nothing already there is touched.
 */
function enableControllers(dir: string, controllers: readonly string[]): void {
  const file = path.join(dir, 'cgroup.subtree_control');
  const on = words(cgRead(file, ''));
  const missing = controllers.filter((c) => !on.has(c));
  if (missing.length > 0) cgWrite(file, missing.map((c) => `+${c}`).join(' '));
}

/** The names in a space-separated controller list ("cpu io memory"; a leading + is ignored). */
function words(s: string): Set<string> {
  return new Set(
    s
      .split(/\s+/)
      .filter(Boolean)
      .map((w) => w.replace(/^\+/, '')),
  );
}
