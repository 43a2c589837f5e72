// minidock stats [-a] [--no-stream] [--no-trunc] [CONTAINER...] — docker stats: what each
// container uses now, read straight from its cgroup (cpuacct.usage or cpu.stat, memory usage and
// limit, pids.current). See cgroups(7) and stages/02-cgroups.

import { readFileSync } from 'node:fs';
import { type Cgroup, type CgroupStats, defaultCgroupPath, openCgroup } from '../runtime/cgroups/index.js';
import { hostCpus, parseCpuList } from '../container/resources.js';
import { type Container, findContainer, listContainers } from '../container/state.js';
import { paths } from '../paths.js';
import { parseFlags } from './args.js';
import { table } from './human.js';

const OPTIONS = {
  all: { type: 'boolean', short: 'a' },
  'no-stream': { type: 'boolean' },
  'no-trunc': { type: 'boolean' },
} as const;

const HEADER = ['CONTAINER ID', 'NAME', 'CPU %', 'MEM USAGE / LIMIT', 'MEM %', 'PIDS'];
/** docker samples once a second; CPU % is the usage between two samples. */
const INTERVAL_MS = 1000;

/** The containers to show: those named, or every running one (every one with --all). */
export type ContainerSource = () => Container[];

export default async function stats(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(argv, OPTIONS);
  const p = paths();
  const source: ContainerSource =
    positionals.length > 0
      ? () => positionals.map((ref) => findContainer(p, ref)) // unknown names fail here, before any output
      : () => listContainers(p).filter((c) => values.all || c.State.Running);
  const idOf = (c: Container) => (values['no-trunc'] ? c.ID : c.ID.slice(0, 12));

  if (values['no-stream']) {
    const first = sampleAll(source());
    await sleep(INTERVAL_MS);
    process.stdout.write(render(first, sampleAll(source()), idOf));
    return 0;
  }

  // Streaming: redraw the table every second until interrupted, as docker does.
  let stop = false;
  process.once('SIGINT', () => (stop = true));
  let prev = sampleAll(source());
  while (!stop) {
    await sleep(INTERVAL_MS);
    const cur = sampleAll(source());
    process.stdout.write('\x1b[2J\x1b[H' + render(prev, cur, idOf));
    prev = cur;
  }
  return 0;
}

// ---------------------------------------------------------------------------------------------

/** One reading of one container: its cgroup's counters and the host's CPU time at that moment. */
export interface Sample {
  container: Container;
  /** null when the container is not running (docker shows zeros then) */
  stats: CgroupStats | null;
  /** all CPUs' busy+idle time since boot, in ns (the denominator of CPU %) */
  systemNs: bigint;
}

const cgroups = new Map<string, Cgroup>();

function sampleAll(containers: Container[]): Sample[] {
  const systemNs = systemCpuNs();
  return containers.map((container) => {
    if (!container.State.Running) return { container, stats: null, systemNs };
    let cg = cgroups.get(container.ID);
    if (!cg) cgroups.set(container.ID, (cg = openCgroup(defaultCgroupPath(container.ID))));
    return { container, stats: cg.stats(), systemNs };
  });
}

function render(prev: Sample[], cur: Sample[], idOf: (c: Container) => string): string {
  const before = new Map(prev.map((s) => [s.container.ID, s]));
  const online = parseCpuList(hostCpus().cpus).length;
  const rows = cur.map((s) => {
    const st = s.stats;
    const b = before.get(s.container.ID);
    const cpu = st && b?.stats ? cpuPercent(b.stats.cpuUsageNs, st.cpuUsageNs, b.systemNs, s.systemNs, online) : 0;
    const memPct = st && st.memoryLimit > 0 ? (st.memoryUsage / st.memoryLimit) * 100 : 0;
    return [
      idOf(s.container),
      s.container.Name.replace(/^\//, ''),
      `${cpu.toFixed(2)}%`,
      `${bytesSize(st?.memoryUsage ?? 0)} / ${bytesSize(st?.memoryLimit ?? 0)}`,
      `${memPct.toFixed(2)}%`,
      String(st?.pids ?? 0),
    ];
  });
  return table(HEADER, rows);
}

// #region cpu-percent
/**
 * docker's CPU %: the container's share of all CPU time that passed on the host between two
 * samples, times the number of CPUs — so one busy CPU reads 100% and two read 200%.
 */
export function cpuPercent(prevCpuNs: bigint, cpuNs: bigint, prevSystemNs: bigint, systemNs: bigint, onlineCpus: number): number {
  const cpuDelta = Number(cpuNs - prevCpuNs);
  const systemDelta = Number(systemNs - prevSystemNs);
  if (cpuDelta <= 0 || systemDelta <= 0) return 0;
  return (cpuDelta / systemDelta) * onlineCpus * 100;
}

/**
 * The host's CPU time since boot in ns, from the first line of /proc/stat (see proc(5)):
 * user, nice, system, idle, iowait, irq and softirq, in clock ticks of 1/100 s.
 */
export function systemCpuNs(procStat: string = readFileSync('/proc/stat', 'utf8')): bigint {
  const fields = procStat.split('\n')[0].trim().split(/\s+/).slice(1, 8);
  const ticks = fields.reduce((sum, f) => sum + BigInt(f), 0n);
  return (ticks * 1_000_000_000n) / 100n;
}
// #endregion

/** Sizes as docker stats prints them: powers of 1024, four significant digits (32MiB, 1.441GiB). */
export function bytesSize(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${Number(v.toPrecision(4))}${units[i]}`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
