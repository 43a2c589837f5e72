// The OCI runtime spec: config.json, the contract between an engine and a runtime.
// opencontainers/runtime-spec config.md and config-linux.md; `runc spec`. Stage 1 notes, "a
// container is a bundle"; seed notes 004 — docker → containerd → shim → runc.
//
// A bundle is a directory with a root filesystem and a config.json that says everything else:
// the process to run, the mounts, the namespaces, the cgroup limits. These types are the subset
// minidock implements, with the spec's own field names. parseSpec() refuses what the runtime
// cannot honour, so a container never starts with a setting silently ignored.

import { EngineError } from '../errors.js';
import { checkSeccomp } from './seccomp/check.js';

// #region spec-process
export interface Spec {
  ociVersion: string;
  process: Process;
  root: { path: string; readonly?: boolean };
  hostname?: string;
  mounts: Mount[];
  hooks?: Hooks;
  annotations?: Record<string, string>;
  linux: Linux;
}

export interface Process {
  terminal?: boolean;
  user: { uid: number; gid: number; additionalGids?: number[] };
  args: string[];
  env: string[];
  cwd: string;
  capabilities?: Capabilities;
  rlimits?: { type: string; hard: number; soft: number }[];
  noNewPrivileges?: boolean;
  /** written to /proc/self/oom_score_adj: -1000 (never OOM-killed) … 1000 (killed first) */
  oomScoreAdj?: number;
}

/** The five capability sets, each a list like ["CAP_CHOWN", "CAP_KILL"]. */
export interface Capabilities {
  bounding?: string[];
  effective?: string[];
  inheritable?: string[];
  permitted?: string[];
  ambient?: string[];
}
// #endregion

// #region spec-mounts-hooks
export interface Mount {
  /** where, inside the container */
  destination: string;
  /** "bind", or a filesystem type: proc, sysfs, tmpfs, devpts, mqueue, cgroup … */
  type: string;
  /** a host path for binds, else a name the kernel shows in /proc/mounts */
  source: string;
  /** mount(8)-style options: "rbind", "ro", "nosuid", "mode=755" … */
  options?: string[];
}

export interface Hook {
  path: string;
  args?: string[];
  env?: string[];
  timeout?: number;
}

/** When each kind of hook runs: see "Lifecycle" in runtime-spec's runtime.md. */
export interface Hooks {
  createRuntime?: Hook[];
  createContainer?: Hook[];
  startContainer?: Hook[];
  poststart?: Hook[];
  poststop?: Hook[];
  /** deprecated in the spec; runc still runs them like createRuntime */
  prestart?: Hook[];
}
// #endregion

// #region spec-linux
export type NamespaceType = 'pid' | 'network' | 'mount' | 'ipc' | 'uts' | 'cgroup' | 'user' | 'time';

export interface Linux {
  /** create a namespace (no path), or join the one at `path` (a /proc/<pid>/ns/<kind> file) */
  namespaces: { type: NamespaceType; path?: string }[];
  /** the cgroup's path under each hierarchy's root, e.g. "/minidock/<id>" */
  cgroupsPath?: string;
  resources?: LinuxResources;
  /** device nodes to create in /dev (besides the defaults every container gets) */
  devices?: LinuxDevice[];
  /** paths made unreadable: /dev/null bound over files, an empty read-only tmpfs over dirs */
  maskedPaths?: string[];
  /** paths bound read-only onto themselves */
  readonlyPaths?: string[];
  /** /proc/sys values to write in the container's namespaces, e.g. net.ipv4.ip_forward */
  sysctl?: Record<string, string>;
  rootfsPropagation?: string;
  /** the system calls the process may make, compiled to a BPF filter (seccomp/compile.ts) */
  seccomp?: LinuxSeccomp;
  mountLabel?: string;
}

export interface LinuxSeccomp {
  /** SCMP_ACT_ALLOW, SCMP_ACT_ERRNO, SCMP_ACT_KILL_PROCESS … for any call no rule names */
  defaultAction: string;
  defaultErrnoRet?: number;
  /** SCMP_ARCH_X86_64 …: the calling conventions the filter accepts */
  architectures?: string[];
  syscalls?: { names: string[]; action: string; errnoRet?: number; args?: SeccompArg[] }[];
}

/** Compare argument `index` with `value` (SCMP_CMP_MASKED_EQ: (arg & value) == valueTwo). */
export interface SeccompArg {
  index: number;
  value: number;
  valueTwo?: number;
  op: string;
}

export interface LinuxResources {
  memory?: { limit?: number; reservation?: number; swap?: number };
  cpu?: { shares?: number; quota?: number; period?: number; cpus?: string; mems?: string };
  pids?: { limit: number };
  /** the devices cgroup: which device nodes may be opened (v1: devices.allow/deny) */
  devices?: { allow: boolean; type?: string; major?: number | null; minor?: number | null; access?: string }[];
}

export interface LinuxDevice {
  path: string;
  /** c (character), b (block), p (fifo), u (unbuffered character) */
  type: string;
  major: number;
  minor: number;
  fileMode?: number;
  uid?: number;
  gid?: number;
}
// #endregion

/** The runtime-spec version minidock speaks (what `minidock-runtime spec` writes). */
export const OCI_VERSION = '1.0.2';

// #region default-spec
/**
 * What `runc spec` writes, trimmed to what minidock honours: a shell in a rootfs/ directory,
 * new namespaces of every kind minidock can make, and the kernel filesystems every Linux
 * program expects (/proc, /dev, /dev/pts, /dev/shm, /dev/mqueue, /sys) as ordinary mounts.
 */
export function defaultSpec(): Spec {
  return {
    ociVersion: OCI_VERSION,
    process: {
      terminal: false,
      user: { uid: 0, gid: 0 },
      args: ['sh'],
      env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'TERM=xterm'],
      cwd: '/',
      noNewPrivileges: true,
    },
    root: { path: 'rootfs', readonly: false },
    hostname: 'minidock',
    mounts: defaultMounts(),
    linux: {
      namespaces: (['pid', 'network', 'ipc', 'uts', 'mount', 'cgroup'] as const).map((type) => ({ type })),
      maskedPaths: ['/proc/acpi', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list', '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware'],
      readonlyPaths: ['/proc/asound', '/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
    },
  };
}

/** The kernel filesystems of every container, in the order they are mounted. */
export function defaultMounts(): Mount[] {
  return [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
    { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
    // the container's own cgroups, read-only (cgroup-mount.ts); the engine adds it from stage 2
    { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'] },
  ];
}
// #endregion

/** The namespace kinds minidock can create or join (a Node runtime cannot make user namespaces). */
const SUPPORTED_NAMESPACES: readonly NamespaceType[] = ['pid', 'network', 'mount', 'ipc', 'uts', 'cgroup'];
const MOUNT_TYPES = new Set(['bind', 'proc', 'sysfs', 'tmpfs', 'devpts', 'mqueue', 'cgroup', 'cgroup2', 'overlay']);

// #region parse-spec
/**
 * Read a config.json's text into a Spec, or say in one line which field minidock cannot honour.
 * Unknown fields the spec allows (annotations, a platform's other sections) are ignored, as runc
 * ignores fields of other platforms; settings that would change the container are not.
 */
export function parseSpec(text: string): Spec {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new EngineError(`config.json: not valid JSON: ${(e as Error).message}`);
  }
  const s = raw as Partial<Spec> & Record<string, unknown>;
  const fail = (why: string): never => {
    throw new EngineError(`config.json: ${why}`);
  };
  if (typeof s !== 'object' || s === null) fail('want a JSON object');
  if (typeof s.ociVersion !== 'string' || !/^1\./.test(s.ociVersion)) fail(`ociVersion ${JSON.stringify(s.ociVersion)}: want 1.x`);
  const p = s.process;
  if (!p || typeof p !== 'object') fail('process is missing (minidock-runtime runs a container\'s first process; it has no create-without-process mode)');
  if (!Array.isArray(p!.args) || p!.args.length === 0 || !p!.args.every((a) => typeof a === 'string')) fail('process.args: want a non-empty list of strings');
  if (typeof p!.cwd !== 'string' || !p!.cwd.startsWith('/')) fail(`process.cwd ${JSON.stringify(p!.cwd)}: want an absolute path`);
  if (p!.env !== undefined && (!Array.isArray(p!.env) || !p!.env.every((e) => typeof e === 'string'))) fail('process.env: want a list of strings');
  const user = p!.user ?? { uid: 0, gid: 0 };
  if (!Number.isInteger(user.uid) || !Number.isInteger(user.gid)) fail('process.user: want integer uid and gid');
  if (p!.oomScoreAdj !== undefined && (!Number.isInteger(p!.oomScoreAdj) || p!.oomScoreAdj < -1000 || p!.oomScoreAdj > 1000)) fail('process.oomScoreAdj: want an integer from -1000 to 1000');
  for (const r of p!.rlimits ?? []) if (!RLIMITS.has(r.type)) fail(`process.rlimits: unknown type ${JSON.stringify(r.type)}`);
  for (const [set, names] of Object.entries(p!.capabilities ?? {})) {
    for (const name of names ?? []) if (!/^CAP_[A-Z_]+$/.test(name)) fail(`process.capabilities.${set}: invalid name ${JSON.stringify(name)}`);
  }
  if (!s.root || typeof s.root.path !== 'string' || s.root.path === '') fail('root.path is missing');
  // #endregion

  // #region parse-spec-linux
  const linux = s.linux ?? { namespaces: [] };
  const namespaces = linux.namespaces ?? [];
  for (const ns of namespaces) {
    if (!SUPPORTED_NAMESPACES.includes(ns.type)) {
      fail(`linux.namespaces: ${JSON.stringify(ns.type)} is not supported (a Node process cannot create or join a user namespace; see stage 1's notes)`);
    }
  }
  const hasMountNs = namespaces.some((n) => n.type === 'mount');
  const mounts = s.mounts ?? [];
  for (const m of mounts) {
    if (typeof m.destination !== 'string' || !m.destination.startsWith('/')) fail(`mounts: destination ${JSON.stringify(m.destination)} must be an absolute path`);
    const type = m.type ?? (m.options?.some((o) => o === 'bind' || o === 'rbind') ? 'bind' : '');
    if (!MOUNT_TYPES.has(type)) fail(`mounts: type ${JSON.stringify(m.type)} at ${m.destination} is not supported`);
    m.type = type;
  }
  if (mounts.length > 0 && !hasMountNs) fail('mounts need a mount namespace: without one they would land on the host');
  if (linux.seccomp !== undefined) checkSeccomp(linux.seccomp, 'config.json: linux.seccomp');
  if (linux.rootfsPropagation !== undefined && !['private', 'rprivate', 'slave', 'rslave'].includes(linux.rootfsPropagation)) {
    fail(`linux.rootfsPropagation ${JSON.stringify(linux.rootfsPropagation)}: only private and slave are supported`);
  }
  // #endregion

  // #region parse-spec-hooks
  for (const k of Object.keys(s.hooks ?? {})) {
    if (!['createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop', 'prestart'].includes(k)) fail(`hooks.${k}: unknown hook`);
  }
  for (const k of ['createContainer', 'startContainer'] as const) {
    if ((s.hooks?.[k]?.length ?? 0) > 0) fail(`hooks.${k}: hooks that run inside the container are not supported`);
  }
  return {
    ociVersion: s.ociVersion!,
    process: { ...p!, env: p!.env ?? [], user },
    root: { path: s.root!.path, readonly: s.root!.readonly ?? false },
    hostname: s.hostname,
    mounts,
    hooks: s.hooks,
    annotations: s.annotations,
    linux: { ...linux, namespaces },
  };
}
// #endregion

/** setrlimit(2) resources by their spec names. */
export const RLIMITS = new Map<string, number>([
  ['RLIMIT_CPU', 0], ['RLIMIT_FSIZE', 1], ['RLIMIT_DATA', 2], ['RLIMIT_STACK', 3], ['RLIMIT_CORE', 4],
  ['RLIMIT_RSS', 5], ['RLIMIT_NPROC', 6], ['RLIMIT_NOFILE', 7], ['RLIMIT_MEMLOCK', 8], ['RLIMIT_AS', 9],
  ['RLIMIT_LOCKS', 10], ['RLIMIT_SIGPENDING', 11], ['RLIMIT_MSGQUEUE', 12], ['RLIMIT_NICE', 13],
  ['RLIMIT_RTPRIO', 14], ['RLIMIT_RTTIME', 15],
]);

/** The namespace of `type` that the spec creates (no path) or joins (a path), or undefined. */
export function namespaceOf(spec: Spec, type: NamespaceType): { type: NamespaceType; path?: string } | undefined {
  return spec.linux.namespaces.find((n) => n.type === type);
}
