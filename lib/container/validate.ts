// Validate: what a `run` request asks for, checked before anything is created.
//
// docker checks a request twice: its CLI parses each flag, its daemon checks the whole HostConfig
// before it creates a container. A value that slips past both reaches the kernel, which answers
// EINVAL without a word about which flag; the user is left with a half-made container. So the
// values the kernel would refuse are refused here, with docker's messages, and nothing exists
// yet. The limits are taught in stages/02-cgroups, the working directory in stages/01-namespaces.

import { hostCpus, parseBytes, parseCpuList, type HostCpus, type ResourceFlags } from './resources.js';
import { EngineError } from '../errors.js';

/** The largest size minidock takes: 8 PiB, 2^53 bytes, as far as a JavaScript number counts exactly. */
export const MAX_BYTES = 2 ** 53;

/**
 * The smallest --cpus, 0.01, as docker's message names it: below it the CFS quota per 100 ms
 * period is under the kernel's 1 ms. (docker's daemon leaves such values to the kernel, whose
 * EINVAL comes back from runc; minidock refuses them first, with the message.)
 */
export const MIN_NANO_CPUS = 10_000_000;

/**
 * The resource flags as typed, checked for what parseResources (lib/container/resources.ts) does not
 * check, and returned ready for it: --cpus rewritten as the exact decimal it stands for ("1/2" →
 * "0.500000000"). Every refusal is an EngineError (exit 125) with one line.
 */
export function checkResourceFlags(flags: ResourceFlags, host: HostCpus = hostCpus()): ResourceFlags {
  const out: ResourceFlags = { ...flags };

  // Sizes: a size no number here holds exactly is refused rather than written to the kernel as
  // "1.07e+29", which it answers with EINVAL. (docker keeps sizes in an int64 and lets one past
  // 8 EiB wrap around.)
  const sizes = [['memory', '-m, --memory'], ['memory-reservation', '--memory-reservation'], ['memory-swap', '--memory-swap']] as const;
  for (const [key, flag] of sizes) {
    const value = flags[key];
    if (value === undefined || (key === 'memory-swap' && value === '-1')) continue; // -1: unlimited swap
    if (parseBytes(value, flag) > MAX_BYTES) {
      throw new EngineError(`invalid argument "${value}" for "${flag}" flag: size out of range: the most is 8PiB`);
    }
  }

  // CPUs: docker reads --cpus as a rational number and its daemon allows 0.01 to the host's CPUs.
  if (flags.cpus !== undefined) {
    const nano = parseCpus(flags.cpus);
    const numCpus = host.numCpus ?? parseCpuList(host.cpus).length;
    // 0 means "no limit", as with docker
    if (nano !== 0 && (nano < MIN_NANO_CPUS || nano > numCpus * 1e9)) {
      throw new EngineError(`Range of CPUs is from 0.01 to ${numCpus}.00, as there are only ${numCpus} CPUs available`);
    }
    out.cpus = nanoCpusAsDecimal(nano);
  }
  return out;
}

/**
 * --cpus as docker reads it (Go's big.Rat): a decimal ("1.5", ".25", "2e-1") or a fraction
 * ("1/2", "-3/4"), in billionths of a CPU. Computed on whole numbers (BigInt), so "0.3" is exactly
 * 300000000 and "1/3" is refused as too precise rather than rounded.
 */
export function parseCpus(value: string): number {
  const bad = (why: string) => new EngineError(`invalid argument "${value}" for "--cpus" flag: ${why}`);
  const notRational = bad(`failed to parse ${value} as a rational number`);
  let num: bigint;
  let den: bigint;
  const fraction = /^([-+]?\d+)\/(\d+)$/.exec(value);
  const decimal = /^([-+]?)(\d*)(?:\.(\d*))?(?:[eE]([-+]?\d+))?$/.exec(value);
  if (fraction) {
    num = BigInt(fraction[1]);
    den = BigInt(fraction[2]);
    if (den === 0n) throw notRational;
  } else if (decimal && (decimal[2] !== '' || (decimal[3] ?? '') !== '')) {
    const [, sign, whole, frac = '', exp = '0'] = decimal;
    // value = digits × 10^(exp − decimals); keep the exponent small enough to compute with
    const shift = Number(exp) - frac.length;
    const digits = BigInt(`${sign}${whole}${frac}`);
    if (digits !== 0n && shift > 40) return digits > 0n ? Infinity : -Infinity; // far beyond any host
    if (shift < -40) {
      if (digits === 0n) return 0;
      throw bad('value is too precise');
    }
    num = shift >= 0 ? digits * 10n ** BigInt(shift) : digits;
    den = shift >= 0 ? 1n : 10n ** BigInt(-shift);
  } else {
    throw notRational;
  }
  const nano = num * 1_000_000_000n;
  if (nano % den !== 0n) throw bad('value is too precise');
  return Number(nano / den);
}

/** Billionths of a CPU as the decimal string parseResources reads: 500000000 → "0.500000000". */
export function nanoCpusAsDecimal(nano: number): string {
  const sign = nano < 0 ? '-' : '';
  const abs = BigInt(Math.abs(nano));
  return `${sign}${abs / 1_000_000_000n}.${String(abs % 1_000_000_000n).padStart(9, '0')}`;
}

/** -w, --workdir: docker's daemon wants an absolute path (the container has no "current" one). */
export function checkWorkdir(workdir: string | undefined): void {
  if (workdir !== undefined && workdir !== '' && !workdir.startsWith('/')) {
    throw new EngineError(`the working directory '${workdir}' is invalid, it needs to be an absolute path`);
  }
}

// ---- stage 8: the security flags -------------------------------------------------------------

/** --ulimit nofile=1024[:2048] (soft[:hard]; one number sets both), docker's names. */
export function parseUlimit(flag: string): { Name: string; Soft: number; Hard: number } {
  const m = /^([a-z]+)=(-?\d+)(?::(-?\d+))?$/.exec(flag);
  const names = ['core', 'cpu', 'data', 'fsize', 'locks', 'memlock', 'msgqueue', 'nice', 'nofile', 'nproc', 'rss', 'rtprio', 'rttime', 'sigpending', 'stack', 'as'];
  if (!m) throw new EngineError(`invalid argument "${flag}" for "--ulimit" flag: want name=soft[:hard]`);
  if (!names.includes(m[1])) throw new EngineError(`invalid argument "${flag}" for "--ulimit" flag: invalid ulimit type: ${m[1]}`);
  const unlimited = (n: number) => (n === -1 ? 2 ** 64 - 1 : n);
  const soft = unlimited(Number(m[2]));
  const hard = m[3] === undefined ? soft : unlimited(Number(m[3]));
  if (soft > hard) throw new EngineError(`invalid argument "${flag}" for "--ulimit" flag: ulimit soft limit must be less than or equal to hard limit: ${soft} > ${hard}`);
  return { Name: m[1], Soft: soft, Hard: hard };
}

// #region namespaced-sysctls
/**
 * --sysctl: only the keys that belong to one of the container's namespaces, as docker allows:
 * IPC ones (kernel.msg*, kernel.sem, kernel.shm*, fs.mqueue.*) need a private IPC namespace,
 * net.* its own network namespace, kernel.hostname/domainname its UTS namespace. Anything else
 * (vm.swappiness, kernel.panic …) is the whole machine's and is refused.
 */
export function checkSysctl(flag: string, modes: { IpcMode: string; NetworkMode: string; UTSMode: string }): [string, string] {
  const eq = flag.indexOf('=');
  if (eq <= 0) throw new EngineError(`invalid argument "${flag}" for "--sysctl" flag: want key=value`);
  const key = flag.slice(0, eq).replace(/\//g, '.');
  const value = flag.slice(eq + 1);
  const ipc = ['kernel.msgmax', 'kernel.msgmnb', 'kernel.msgmni', 'kernel.sem', 'kernel.shmall', 'kernel.shmmax', 'kernel.shmmni', 'kernel.shm_rmid_forced'];
  if (ipc.includes(key) || key.startsWith('fs.mqueue.')) {
    if (modes.IpcMode === 'host') throw new EngineError(`sysctl '${key}' not allowed with --ipc=host`);
  } else if (key.startsWith('net.')) {
    if (modes.NetworkMode === 'host') throw new EngineError(`sysctl '${key}' not allowed in host network namespace`);
  } else if (key === 'kernel.domainname' || key === 'kernel.hostname') {
    if (modes.UTSMode === 'host') throw new EngineError(`sysctl '${key}' not allowed with --uts=host`);
  } else throw new EngineError(`sysctl '${key}' is not allowed: it is not in a namespace, it would change the host`);
  return [key, value];
}
// #endregion

/** --device /dev/sdb[:/dev/xvdb][:rwm] */
export function parseDevice(flag: string): { PathOnHost: string; PathInContainer: string; CgroupPermissions: string } {
  const parts = flag.split(':');
  let perms = 'rwm';
  if (parts.length > 1 && /^[rwm]+$/.test(parts[parts.length - 1])) perms = parts.pop()!;
  if (parts.length > 2 || !parts[0].startsWith('/') || (parts[1] !== undefined && !parts[1].startsWith('/'))) throw new EngineError(`invalid argument "${flag}" for "--device" flag`);
  return { PathOnHost: parts[0], PathInContainer: parts[1] ?? parts[0], CgroupPermissions: perms };
}

/** --tmpfs /tmp[:size=64m,mode=1777] */
export function parseTmpfs(flag: string): [string, string] {
  const colon = flag.indexOf(':');
  const dest = colon === -1 ? flag : flag.slice(0, colon);
  if (!dest.startsWith('/') || dest === '/') throw new EngineError(`invalid argument "${flag}" for "--tmpfs" flag: want an absolute path other than /`);
  return [dest, colon === -1 ? '' : flag.slice(colon + 1)];
}

/** --oom-score-adj: docker's range, -1000 to 1000. */
export function parseOomScoreAdj(flag: string): number {
  const n = Number(flag);
  if (!/^-?\d+$/.test(flag) || n < -1000 || n > 1000) throw new EngineError(`Invalid value ${flag}, range for oom score adj is [-1000, 1000]`);
  return n;
}
