// Resources: what `minidock run` is allowed to use, parsed from docker's flags (-m, --cpus, …).
//
// The result uses the field names of docker's HostConfig (Memory, NanoCpus, CpuShares, …) so
// hostconfig.json reads like docker's. Validation follows docker's rules and messages; the
// kernel files these numbers end up in are in v1.ts and v2.ts. See cgroups(7) and the notes of
// stages/02-cgroups.

import { readFileSync } from 'node:fs';
import os from 'node:os';
import { EngineError } from '../errors.js';

// #region resources
/**
 * The limits of one container, in docker's HostConfig field names and units. A field that is
 * absent means "not set": the kernel's default (no limit) stays in place.
 */
export interface Resources {
  /** -m, --memory: hard limit in bytes. */
  Memory?: number;
  /** --memory-swap: memory + swap in bytes; -1 = unlimited swap. Docker defaults it to 2 × Memory. */
  MemorySwap?: number;
  /** --memory-reservation: soft limit in bytes, what the kernel reclaims down to under pressure. */
  MemoryReservation?: number;
  /** --cpus, in billionths of a CPU: 1.5 CPUs = 1_500_000_000. Becomes a CFS quota per 100 ms. */
  NanoCpus?: number;
  /** --cpu-period: the CFS accounting period in µs (1000 … 1000000). */
  CpuPeriod?: number;
  /** --cpu-quota: CPU time in µs the container may use per period; -1 = unlimited. */
  CpuQuota?: number;
  /** -c, --cpu-shares: relative weight against other cgroups when CPUs are busy (default 1024). */
  CpuShares?: number;
  /** --cpuset-cpus: which CPUs the container may run on, e.g. "0-2,4". */
  CpusetCpus?: string;
  /** --cpuset-mems: which NUMA memory nodes it may allocate from. */
  CpusetMems?: string;
  /** --pids-limit: most tasks (processes + threads) at once. */
  PidsLimit?: number;
}
// #endregion

/** The flags as typed on the command line, keyed by docker's long flag names. */
export interface ResourceFlags {
  memory?: string;
  'memory-swap'?: string;
  'memory-reservation'?: string;
  cpus?: string;
  'cpu-period'?: string;
  'cpu-quota'?: string;
  'cpu-shares'?: string;
  'cpuset-cpus'?: string;
  'cpuset-mems'?: string;
  'pids-limit'?: string;
}

/** The same flags as `util.parseArgs` options, so `run` can spread them into its own. */
export const RESOURCE_FLAG_OPTIONS = {
  memory: { type: 'string', short: 'm' },
  'memory-swap': { type: 'string' },
  'memory-reservation': { type: 'string' },
  cpus: { type: 'string' },
  'cpu-period': { type: 'string' },
  'cpu-quota': { type: 'string' },
  'cpu-shares': { type: 'string', short: 'c' },
  'cpuset-cpus': { type: 'string' },
  'cpuset-mems': { type: 'string' },
  'pids-limit': { type: 'string' },
} as const satisfies Record<keyof ResourceFlags, { type: 'string'; short?: string }>;

/** What the host offers, which some flags are checked against. */
export interface HostCpus {
  /** online CPUs in list syntax, e.g. "0-1" */
  cpus: string;
  /** online memory (NUMA) nodes in list syntax, e.g. "0" */
  mems: string;
  /** how many CPUs this process may use; defaults to the number of CPUs in `cpus` */
  numCpus?: number;
}

/** Read the host's CPUs and memory nodes from sysfs. */
export function hostCpus(): HostCpus {
  const read = (file: string, fallback: string) => {
    try {
      return readFileSync(file, 'utf8').trim() || fallback;
    } catch {
      return fallback;
    }
  };
  return {
    cpus: read('/sys/devices/system/cpu/online', `0-${os.cpus().length - 1}`),
    // A kernel built without NUMA has no node directory: everything is node 0.
    mems: read('/sys/devices/system/node/online', '0'),
    // Like docker's sysinfo.NumCPU: the CPUs this process may be scheduled on (affinity).
    numCpus: os.availableParallelism(),
  };
}

/** The CFS period docker uses for --cpus: CPU time is counted per 100 ms. */
export const DEFAULT_CFS_PERIOD_US = 100_000;

/** --cpus N → CPU time per period: N CPUs' worth of every period (whole µs, rounded down). */
export function nanoCpusToQuota(nanoCpus: number, periodUs: number = DEFAULT_CFS_PERIOD_US): number {
  return Math.trunc((nanoCpus * periodUs) / 1e9);
}

/** docker's smallest memory limit: below it a container cannot even start its runtime. */
export const MIN_MEMORY = 6 * 1024 * 1024;
/** The kernel clamps cpu.shares (v1) to this range; docker does the same before writing. */
export const MIN_CPU_SHARES = 2;
export const MAX_CPU_SHARES = 262144;

/**
 * Turn docker's resource flags into Resources, with docker's rules: the per-flag syntax first
 * (what docker's CLI rejects), then the cross-flag checks (what docker's daemon rejects).
 * Every failure is an EngineError (exit 125) with a one-line message.
 */
export function parseResources(flags: ResourceFlags, host: HostCpus = hostCpus()): Resources {
  const r: Resources = {};

  // --- memory -----------------------------------------------------------------------------
  const memory = flags.memory === undefined ? 0 : parseBytes(flags.memory, '-m, --memory');
  const swap = flags['memory-swap'] === undefined ? 0 : parseSwap(flags['memory-swap']);
  const reservation =
    flags['memory-reservation'] === undefined ? 0 : parseBytes(flags['memory-reservation'], '--memory-reservation');

  if (memory !== 0 && memory < MIN_MEMORY) fail('Minimum memory limit allowed is 6MB');
  if (memory > 0 && swap > 0 && swap < memory) {
    fail('Minimum memoryswap limit should be larger than memory limit, see usage');
  }
  if (memory === 0 && swap > 0) fail('You should always set the Memory limit when using Memoryswap limit, see usage');
  if (reservation > 0 && reservation < MIN_MEMORY) fail('Minimum memory reservation allowed is 6MB');
  if (memory > 0 && reservation > 0 && memory < reservation) {
    fail('Minimum memory limit can not be less than memory reservation limit, see usage');
  }
  if (memory > 0) {
    r.Memory = memory;
    // Docker's default when only -m is given: as much swap again as memory (memory+swap = 2×).
    r.MemorySwap = swap !== 0 ? swap : memory * 2;
  }
  if (reservation > 0) r.MemoryReservation = reservation;

  // --- CPU time ---------------------------------------------------------------------------
  const nanoCpus = flags.cpus === undefined ? 0 : parseNanoCpus(flags.cpus);
  const period = flags['cpu-period'] === undefined ? 0 : parseInteger(flags['cpu-period'], '--cpu-period');
  const quota = flags['cpu-quota'] === undefined ? 0 : parseInteger(flags['cpu-quota'], '--cpu-quota');
  const shares = flags['cpu-shares'] === undefined ? 0 : parseInteger(flags['cpu-shares'], '-c, --cpu-shares');

  // --cpus is a shorthand that picks both period and quota, so it cannot be mixed with them.
  if (nanoCpus > 0 && period > 0) fail('Conflicting options: Nano CPUs and CPU Period cannot both be set');
  if (nanoCpus > 0 && quota > 0) fail('Conflicting options: Nano CPUs and CPU Quota cannot both be set');
  const numCpus = host.numCpus ?? parseCpuList(host.cpus).length;
  if (nanoCpus < 0 || nanoCpus > numCpus * 1e9) {
    fail(`Range of CPUs is from 0.01 to ${numCpus}.00, as there are only ${numCpus} CPUs available`);
  }
  if (period !== 0 && (period < 1000 || period > 1000000)) {
    fail('CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)');
  }
  if (quota > 0 && quota < 1000) fail('CPU cfs quota can not be less than 1ms (i.e. 1000)');
  if (shares < 0) fail(`invalid argument "${flags['cpu-shares']}" for "-c, --cpu-shares" flag: shares cannot be negative`);

  if (nanoCpus > 0) r.NanoCpus = nanoCpus;
  if (period !== 0) r.CpuPeriod = period;
  if (quota !== 0) r.CpuQuota = quota;
  // 0 means "not set" (the kernel's 1024). Out-of-range values are clamped, not refused: the
  // v1 kernel would clamp them anyway, and docker clamps so that v2's conversion sees the same.
  if (shares > 0) r.CpuShares = Math.min(MAX_CPU_SHARES, Math.max(MIN_CPU_SHARES, shares));

  // --- which CPUs and memory nodes --------------------------------------------------------
  const cpuset = flags['cpuset-cpus'];
  if (cpuset !== undefined && cpuset !== '') {
    checkAvailable(cpuset, host.cpus, 'cpus', 'CPUs');
    r.CpusetCpus = cpuset;
  }
  const mems = flags['cpuset-mems'];
  if (mems !== undefined && mems !== '') {
    checkAvailable(mems, host.mems, 'mems', 'memory nodes');
    r.CpusetMems = mems;
  }

  // --- number of tasks --------------------------------------------------------------------
  if (flags['pids-limit'] !== undefined) {
    const pids = parseInteger(flags['pids-limit'], '--pids-limit');
    // 0 and -1 both mean "unlimited", which is the kernel's default: nothing to write.
    if (pids > 0) r.PidsLimit = pids;
  }

  return r;
}

// ---------------------------------------------------------------------------------------------
// The per-flag parsers. Their messages follow docker's CLI: `invalid argument "<v>" for "<flag>"
// flag: <why>`.

const UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };

// #region parse-bytes
/**
 * A size as docker's -m accepts it: a number (bytes) with an optional unit b, k, m, g (also t, p),
 * any case, optionally written kb/KiB; units are powers of 1024. "1.5g" is allowed, "12x" is not.
 */
export function parseBytes(value: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?) ?([kmgtp]?)i?b?$/i.exec(value);
  if (!m) throw new EngineError(`invalid argument "${value}" for "${flag}" flag: invalid size: '${value}'`);
  return Math.trunc(Number(m[1]) * UNITS[m[2].toLowerCase()]);
}
// #endregion

/** --memory-swap: a size, or -1 for "no swap limit". */
function parseSwap(value: string): number {
  return value === '-1' ? -1 : parseBytes(value, '--memory-swap');
}

/** A whole number, as docker's integer flags take it. */
function parseInteger(value: string, flag: string): number {
  if (!/^[-+]?\d+$/.test(value)) throw new EngineError(`invalid argument "${value}" for "${flag}" flag: not an integer`);
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new EngineError(`invalid argument "${value}" for "${flag}" flag: value out of range`);
  return n;
}

/**
 * --cpus as a decimal ("1.5", ".25") turned into whole nanoCPUs without floating point, so that
 * "0.3" is exactly 300000000. More than 9 decimal places cannot be represented.
 */
export function parseNanoCpus(value: string): number {
  const m = /^([-+]?)(\d*)(?:\.(\d*))?$/.exec(value);
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) {
    throw new EngineError(`invalid argument "${value}" for "--cpus" flag: failed to parse ${value} as a rational number`);
  }
  const [, sign, whole, frac = ''] = m;
  if (/[1-9]/.test(frac.slice(9))) throw new EngineError(`invalid argument "${value}" for "--cpus" flag: value is too precise`);
  const nano = Number(whole || '0') * 1e9 + Number(frac.slice(0, 9).padEnd(9, '0'));
  return sign === '-' ? -nano : nano;
}

// #region cpu-list
/**
 * The kernel's list syntax for CPUs and memory nodes ("0-2,4" = 0,1,2,4), used by cpuset.cpus,
 * /sys/devices/system/cpu/online and --cpuset-cpus. Returns the numbers, sorted, without repeats.
 */
export function parseCpuList(list: string): number[] {
  const out = new Set<number>();
  if (list.trim() === '') return [];
  for (const part of list.trim().split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) throw new Error(`invalid format: ${list}`);
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (hi < lo) throw new Error(`invalid format: ${list}`);
    for (let i = lo; i <= hi; i++) out.add(i);
  }
  return [...out].sort((a, b) => a - b);
}
// #endregion

/** Every requested CPU (or memory node) must exist on this host, or the kernel would say no. */
function checkAvailable(requested: string, available: string, what: 'cpus' | 'mems', noun: string): void {
  let want: number[];
  try {
    want = parseCpuList(requested);
  } catch (err) {
    fail(`Invalid value ${requested} for cpuset ${what}: ${(err as Error).message}`);
  }
  const have = new Set(parseCpuList(available));
  if (!want.every((n) => have.has(n))) {
    fail(`Requested ${noun} are not available - requested ${requested}, available: ${available}`);
  }
}

function fail(message: string): never {
  throw new EngineError(message);
}
