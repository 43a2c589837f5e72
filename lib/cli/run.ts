// minidock run [OPTIONS] IMAGE [COMMAND] [ARG...] — docker run: create a container, start it,
// and either wait for it (foreground: the exit status is ours) or leave it to a shim (-d).

import { readFileSync } from 'node:fs';
import { ArgumentsError, EngineError, UsageError } from '../errors.js';
import { signalNumber } from '../container/lifecycle.js';
import { parseRestartPolicy } from '../container/restart.js';
import { logConfigFrom } from '../container/logrotate.js';
import { RESOURCE_FLAG_OPTIONS, parseResources, type ResourceFlags } from '../container/resources.js';
import { createContainer, parseEnv } from '../container/create.js';
import { runContainer } from '../container/monitor.js';
import { startDetached } from '../container/shim.js';
import { attachedStatus, attachTo } from '../container/attach-client.js';
import { DEFAULT_DETACH_KEYS, parseDetachKeys } from '../container/detachkeys.js';
import { findContainer, type Container, type HostConfig } from '../container/state.js';
import { checkResourceFlags, checkSysctl, checkWorkdir, parseDevice, parseOomScoreAdj, parseTmpfs, parseUlimit } from '../container/validate.js';
import { parseProfile } from '../runtime/seccomp/profile.js';
import { tweakCapabilities } from '../runtime/capabilities.js';
import { stdoutWindowSize } from '../runtime/terminal.js';
import { planNamespaces } from '../container/namespaces.js';
import { paths, type Paths } from '../paths.js';
import { currentStage } from '../stage.js';
import { phase } from '../sys/trace.js';
import { splitVolumeFlags } from '../volumes/grammar.js';
import { networkRunConfig } from '../network/modes.js';
import { keyValues, parseFlags, splitAtPositional } from './args.js';

const OPTIONS = {
  detach: { type: 'boolean', short: 'd' },
  rm: { type: 'boolean' },
  init: { type: 'boolean' },
  restart: { type: 'string' },
  'log-opt': { type: 'string', multiple: true },
  label: { type: 'string', short: 'l', multiple: true },
  'stop-signal': { type: 'string' },
  'stop-timeout': { type: 'string' },
  name: { type: 'string' },
  env: { type: 'string', short: 'e', multiple: true },
  workdir: { type: 'string', short: 'w' },
  hostname: { type: 'string', short: 'h' },
  interactive: { type: 'boolean', short: 'i' },
  tty: { type: 'boolean', short: 't' },
  'detach-keys': { type: 'string' },
  'sig-proxy': { type: 'boolean' },
  entrypoint: { type: 'string' },
  network: { type: 'string' },
  net: { type: 'string' },
  pid: { type: 'string' },
  ipc: { type: 'string' },
  uts: { type: 'string' },
  cgroupns: { type: 'string' },
  publish: { type: 'string', short: 'p', multiple: true },
  'publish-all': { type: 'boolean', short: 'P' },
  expose: { type: 'string', multiple: true },
  dns: { type: 'string', multiple: true },
  'dns-search': { type: 'string', multiple: true },
  'add-host': { type: 'string', multiple: true },
  volume: { type: 'string', short: 'v', multiple: true },
  mount: { type: 'string', multiple: true },
  'volumes-from': { type: 'string', multiple: true },
  'cap-add': { type: 'string', multiple: true },
  'cap-drop': { type: 'string', multiple: true },
  privileged: { type: 'boolean' },
  'security-opt': { type: 'string', multiple: true },
  'read-only': { type: 'boolean' },
  tmpfs: { type: 'string', multiple: true },
  device: { type: 'string', multiple: true },
  user: { type: 'string', short: 'u' },
  'group-add': { type: 'string', multiple: true },
  ulimit: { type: 'string', multiple: true },
  sysctl: { type: 'string', multiple: true },
  'oom-score-adj': { type: 'string' },
  ...RESOURCE_FLAG_OPTIONS,
} as const;

/** The flags of stage 8 (security). */
const SECURITY_FLAGS = ['cap-add', 'cap-drop', 'privileged', 'security-opt', 'read-only', 'tmpfs', 'device', 'user', 'group-add', 'ulimit', 'sysctl', 'oom-score-adj'] as const;

export interface RunRequest {
  image: string;
  cmd: string[];
  detach: boolean;
  values: ReturnType<typeof parseFlags<typeof OPTIONS>>['values'];
}

/** Parse `run`'s arguments: flags up to the image, the command after it. */
export function parseRunArgs(argv: readonly string[]): RunRequest {
  const { flags, rest } = splitAtPositional(argv, OPTIONS);
  const { values } = parseFlags(flags, OPTIONS);
  if (rest.length === 0) throw new ArgumentsError(`'minidock run' requires at least 1 argument: minidock run [OPTIONS] IMAGE [COMMAND] [ARG...]`);
  if (values.detach && values.rm === undefined) values.rm = false;
  return { image: rest[0], cmd: rest.slice(1), detach: !!values.detach, values };
}

/** The flags that need a stage: asking for them below it is an error, not a silent no-op. */
export function requireStages(values: RunRequest['values'], stage: number): void {
  if (values.tty && stage < 7) throw new EngineError(`-t/--tty: a pseudo-terminal needs stage 7 (exec & lifecycle); this engine runs at stage ${stage}`);
  if (values['detach-keys'] !== undefined && stage < 7) throw new EngineError(`--detach-keys needs stage 7 (exec & lifecycle); this engine runs at stage ${stage}`);
  if (values['sig-proxy'] !== undefined && stage < 7) throw new EngineError(`--sig-proxy needs stage 7 (exec & lifecycle); this engine runs at stage ${stage}`);
  const resourceFlags = Object.keys(RESOURCE_FLAG_OPTIONS).filter((k) => values[k as keyof typeof values] !== undefined);
  if (resourceFlags.length > 0 && stage < 2) {
    throw new EngineError(`--${resourceFlags[0]} needs stage 2 (cgroups); this engine runs at stage ${stage}`);
  }
  const nsFlags = ['network', 'net', 'pid', 'ipc', 'uts', 'cgroupns'].filter((k) => values[k as keyof typeof values] !== undefined);
  if (nsFlags.length > 0 && stage < 1) throw new EngineError(`--${nsFlags[0]} needs stage 1 (namespaces); this engine runs at stage ${stage}`);
  const netFlags = ['publish', 'publish-all', 'expose', 'dns', 'dns-search', 'add-host'].filter((k) => values[k as keyof typeof values] !== undefined);
  const net = values.network ?? values.net;
  if (net !== undefined && !['host', 'none'].includes(net) && !net.startsWith('container:')) netFlags.push(`network ${net}`);
  if (netFlags.length > 0 && stage < 5) throw new EngineError(`--${netFlags[0]} needs stage 5 (networking); this engine runs at stage ${stage}`);
  const volumeFlags = ['volume', 'mount', 'volumes-from'].filter((k) => values[k as keyof typeof values] !== undefined);
  if ((values['stop-signal'] !== undefined || values['stop-timeout'] !== undefined) && stage < 7) throw new EngineError(`--stop-signal/--stop-timeout need stage 7 (exec & lifecycle); this engine runs at stage ${stage}`);
  if (values.restart !== undefined && stage < 7) throw new EngineError(`--restart needs stage 7 (exec & lifecycle); this engine runs at stage ${stage}`);
  if (values.restart !== undefined && values.restart !== 'no' && values.rm) throw new EngineError('conflicting options: cannot specify both --restart and --rm');
  if (values['log-opt'] !== undefined && stage < 7) throw new EngineError(`--log-opt needs stage 7 (exec & lifecycle); this engine runs at stage ${stage}`);
  if (values.init && stage < 7) throw new EngineError(`--init needs stage 7 (exec & lifecycle); this engine runs at stage ${stage}`);
  if (volumeFlags.length > 0 && stage < 4) throw new EngineError(`--${volumeFlags[0]} needs stage 4 (volumes); this engine runs at stage ${stage}`);
  const securityFlags = SECURITY_FLAGS.filter((k) => values[k] !== undefined);
  if (securityFlags.length > 0 && stage < 8) throw new EngineError(`--${securityFlags[0]} needs stage 8 (security); this engine runs at stage ${stage}`);
}

/** --security-opt seccomp=FILE: docker's CLI reads the file and sends its JSON; so does ours. */
function securityOpts(opts: readonly string[]): string[] {
  return opts.map((o) => {
    const m = /^seccomp[=:](.+)$/.exec(o);
    if (!m || m[1] === 'unconfined' || m[1] === 'builtin') return o;
    let text: string;
    try {
      text = readFileSync(m[1], 'utf8');
    } catch (e) {
      throw new EngineError(`opening seccomp profile (${m[1]}) failed: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    parseProfile(text, `seccomp profile ${m[1]}`);
    return `seccomp=${JSON.stringify(JSON.parse(text))}`;
  });
}

export function hostConfigFrom(values: RunRequest['values']): HostConfig {
  const modes = {
    NetworkMode: values.network ?? values.net ?? 'bridge',
    PidMode: values.pid ?? '',
    IpcMode: values.ipc ?? 'private',
    UTSMode: values.uts ?? '',
    CgroupnsMode: values.cgroupns ?? 'private',
  };
  planNamespaces(modes); // a bad mode fails here, before anything exists
  // what the kernel would refuse with a bare EINVAL is refused first, with docker's words
  const flags = Object.fromEntries(Object.keys(RESOURCE_FLAG_OPTIONS).map((k) => [k, values[k as keyof typeof values]])) as ResourceFlags;
  const r = parseResources(checkResourceFlags(flags));
  tweakCapabilities([], values['cap-add'] ?? [], values['cap-drop'] ?? []); // a wrong capability name fails here
  return {
    AutoRemove: !!values.rm,
    ...(values.init ? { Init: true } : {}),
    ...(values.restart !== undefined ? { RestartPolicy: parseRestartPolicy(values.restart) } : {}),
    LogConfig: logConfigFrom(keyValues(values['log-opt'] ?? [])),
    ...modes,
    CgroupnsMode: modes.CgroupnsMode as HostConfig['CgroupnsMode'],
    Memory: r.Memory ?? 0,
    MemorySwap: r.MemorySwap ?? 0,
    MemoryReservation: r.MemoryReservation ?? 0,
    NanoCpus: r.NanoCpus ?? 0,
    CpuPeriod: r.CpuPeriod ?? 0,
    CpuQuota: r.CpuQuota ?? 0,
    CpuShares: r.CpuShares ?? 0,
    CpusetCpus: r.CpusetCpus ?? '',
    CpusetMems: r.CpusetMems ?? '',
    PidsLimit: r.PidsLimit ?? null,
    // stage 8
    CapAdd: values['cap-add'] ?? null,
    CapDrop: values['cap-drop'] ?? null,
    Privileged: !!values.privileged,
    SecurityOpt: values['security-opt'] ? securityOpts(values['security-opt']) : null,
    ReadonlyRootfs: !!values['read-only'],
    Tmpfs: Object.fromEntries((values.tmpfs ?? []).map(parseTmpfs)),
    Devices: (values.device ?? []).map(parseDevice),
    GroupAdd: values['group-add'] ?? null,
    Ulimits: values.ulimit ? values.ulimit.map(parseUlimit) : null,
    Sysctls: Object.fromEntries((values.sysctl ?? []).map((f) => checkSysctl(f, modes))),
    OomScoreAdj: values['oom-score-adj'] === undefined ? 0 : parseOomScoreAdj(values['oom-score-adj']),
  };
}

/**
 * Everything `run` does before it starts the container; `create` stops here (stage 7). The
 * detach keys come back parsed, for run -t to attach with.
 */
export async function createFromArgs(argv: string[]): Promise<{ req: RunRequest; c: Container; detachKeys: number[] }> {
  const req = parseRunArgs(argv);
  const stage = currentStage();
  requireStages(req.values, stage);
  const detachKeys = parseDetachKeys(req.values['detach-keys'] ?? DEFAULT_DETACH_KEYS); // a bad sequence fails before anything exists
  checkWorkdir(req.values.workdir);
  // -v, --mount, --volumes-from (stage 4): checked here, made by create; `-v /data` alone goes to Config.Volumes
  const { Volumes: volumes, BindPoints: bindPoints, ...volumeHost } = splitVolumeFlags(req.values.volume ?? [], req.values.mount ?? [], req.values['volumes-from'] ?? []);
  const host: HostConfig = { ...hostConfigFrom(req.values), ...volumeHost };
  const p = paths();
  // -p, -P, --expose, --dns, --add-host, --network NAME (stage 5): checked now, used at start
  const net = stage >= 5 ? networkRunConfig(p, {
    network: host.NetworkMode, publish: req.values.publish ?? [], publishAll: !!req.values['publish-all'], expose: req.values.expose ?? [],
    dns: req.values.dns ?? [], dnsSearch: req.values['dns-search'] ?? [], addHost: req.values['add-host'] ?? [], hostname: req.values.hostname,
  }, (ref) => hostnameOf(p, ref)) : null;
  if (net) Object.assign(host, net.host);
  for (const w of net?.warnings ?? []) process.stderr.write(w + '\n');
  // --network container:web and friends: the other container must exist and run, now
  for (const target of Object.values(planNamespaces(host).join)) {
    let other;
    try {
      other = findContainer(p, target);
    } catch (e) {
      throw new EngineError((e as Error).message); // for `run`, any failure to start is 125
    }
    if (!other.State.Running) throw new EngineError(`cannot join namespace of a non running container: ${target}`);
  }
  const c = createContainer(p, {
    image: req.image,
    cmd: req.cmd,
    entrypoint: req.values.entrypoint,
    name: req.values.name,
    env: parseEnv(req.values.env ?? []),
    workdir: req.values.workdir,
    hostname: req.values.hostname ?? net?.hostname,
    exposed: net?.exposed,
    stdin: !!req.values.interactive,
    tty: !!req.values.tty,
    user: req.values.user,
    host,
    stage,
    volumes,
    bindPoints,
    labels: keyValues(req.values.label ?? []),
    ...stopFlags(req.values),
  });
  return { req, c, detachKeys };
}

export default async function run(argv: string[]): Promise<number> {
  phase('cli started: Node, the verb’s code, containers reconciled');
  const { req, c, detachKeys } = await createFromArgs(argv);
  phase('create: flags checked, name, image, layers, records');
  const p = paths();
  if (req.detach) {
    await startDetached(p, c.ID);
    process.stdout.write(c.ID + '\n');
    return 0;
  }
  if (req.values.tty) return runWithTerminal(p, c, !!req.values.interactive, detachKeys);
  return runContainer(p, c.ID, { output: 'terminal', stdin: !!req.values.interactive, sigProxy: req.values['sig-proxy'] !== false });
}

// #region run-tty
/**
 * run -t in the foreground is docker's way round: the container starts detached — its shim makes
 * the terminal's host side its own (it holds the pty master) — and this cli attaches to it like
 * `minidock attach`. So the detach keys can leave it running, and a closed terminal does not
 * kill it. The shim holds the first output for us and gets our window size at the start.
 */
async function runWithTerminal(p: Paths, c: Container, interactive: boolean, detachKeys: readonly number[]): Promise<number> {
  await startDetached(p, c.ID, { hold: true, windowSize: stdoutWindowSize() });
  const end = await attachTo(p.attachSocket(c.ID), { stdin: interactive, tty: true, detachKeys });
  return attachedStatus(end, c.ID);
}
// #endregion

/** --stop-signal and --stop-timeout, checked (stage 7). */
function stopFlags(values: RunRequest['values']): { stopSignal?: string; stopTimeout?: number } {
  const out: { stopSignal?: string; stopTimeout?: number } = {};
  if (values['stop-signal'] !== undefined) {
    signalNumber(values['stop-signal']); // an unknown name fails before anything is made
    out.stopSignal = values['stop-signal'];
  }
  if (values['stop-timeout'] !== undefined) {
    const t = Number(values['stop-timeout']);
    if (!Number.isInteger(t)) throw new UsageError(`invalid argument "${values['stop-timeout']}" for "--stop-timeout" flag`);
    out.stopTimeout = t;
  }
  return out;
}

/** The hostname of container `ref` (--network container:<ref> takes it), if there is one. */
function hostnameOf(p: Paths, ref: string): string | undefined {
  try {
    return findContainer(p, ref).Config.Hostname;
  } catch {
    return undefined; // run's check of --network container: says so
  }
}
