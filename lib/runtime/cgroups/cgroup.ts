// A container's cgroup as one interface, whichever cgroup version the host runs: v1 (a tree per
// controller, v1.ts) or v2 (one tree, v2.ts). index.ts detects the version and opens the right
// one. cgroups(7); stages/02-cgroups.

import type { Sys } from '../../sys/sys.js';
import type { LinuxResources } from '../spec.js';

// #region interface
/** One container's cgroup, whichever cgroup version the host runs. */
export interface Cgroup {
  readonly version: 1 | 2;
  /** every directory this cgroup consists of (v1: one per hierarchy, v2: just one) */
  readonly paths: string[];
  /** mkdir the cgroup's directories, each level from the root down, so each can be used */
  create(): void;
  /** write the limit files */
  /** `sys`: for what needs system calls, not files (v2's device rules are a bpf(2) program) */
  apply(r: LinuxResources, sys?: Sys): void;
  /** move a process, with all its threads, into the cgroup (in every hierarchy) */
  addProcess(pid: number): void;
  /** the PIDs in the cgroup now */
  procs(): number[];
  /** whether the kernel's OOM killer has killed a process in this cgroup */
  oomKilled(): boolean;
  /** usage as `docker stats` shows it */
  stats(): CgroupStats;
  /** freeze (pause) or thaw every process in it: v1 freezer.state, v2 cgroup.freeze (stage 7) */
  freeze(on: boolean): void;
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
