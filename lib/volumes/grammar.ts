// The volume flags of `run`, exactly as docker reads them: `-v SRC:DST[:OPTS]` (moby
// volume/mounts/linux_parser.go), `--mount key=value,…` (docker's opts/mount.go, CSV), and
// `--volumes-from`. docker-run(1). Stage 4 notes: stages/04-volumes/README.md, "Three kinds of -v".
//
// Parsing only: nothing is created here. `run` parses each flag once (splitVolumeFlags) and hands
// the parsed mount points to `create`, which plans the container's mounts (plan.ts).

import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Mount, MountPoint } from '../container/records.js';
import { EngineError } from '../errors.js';
import { trace } from '../sys/trace.js';
import { checkVolumeName } from './store.js';

const RW_MODES = new Set(['rw', 'ro']);
const LABEL_MODES = new Set(['z', 'Z']); // SELinux relabeling: accepted, nothing to do without SELinux
const PROPAGATION_MODES = new Set(['private', 'rprivate', 'slave', 'rslave', 'shared', 'rshared']);
const COPY_MODES = new Set(['nocopy']);
const CONSISTENCY_MODES = new Set(['consistent', 'cached', 'delegated']); // Docker Desktop's; no-ops on Linux

/** docker's linuxValidMountMode: comma-separated options, at most one of each kind. */
export function validMode(mode: string): boolean {
  if (mode === '') return true;
  const counts = [0, 0, 0, 0, 0];
  for (const o of mode.split(',')) {
    const kind = [RW_MODES, LABEL_MODES, PROPAGATION_MODES, COPY_MODES, CONSISTENCY_MODES].findIndex((s) => s.has(o));
    if (kind === -1) return false;
    counts[kind]++;
  }
  return counts.every((n) => n <= 1);
}

function mountConfigError(m: Partial<Mount>, why: string): EngineError {
  return new EngineError(`invalid mount config for type "${m.Type ?? ''}": ${why}`);
}

// #region parse-v
/**
 * One `-v` / `--volume` value, as the daemon parses it (moby's ParseMountRaw):
 *
 *   /data              anonymous volume at /data
 *   name:/data[:opts]  named volume "name" (a source that is not an absolute path is a name)
 *   /host:/data[:opts] bind mount of the host path
 *
 * `/data:ro` is refused: a volume with no source cannot carry options. A bind source that does
 * not exist is created (as a directory) when the container starts, like docker does for -v.
 */
export function parseVolumeSpec(raw: string): MountPoint {
  const invalid = () => new EngineError(`invalid volume specification: '${raw}'`);
  const arr = splitN(raw, ':', 4);
  if (arr[0] === '') throw invalid();
  let source: string | undefined;
  let target: string;
  let mode = '';
  if (arr.length === 1) [target] = arr;
  else if (arr.length === 2) {
    if (validMode(arr[1])) throw invalid(); // "/foo:rw": a destination and a mode, no source
    [source, target] = arr;
  } else if (arr.length === 3) [source, target, mode] = arr;
  else throw invalid();
  if (!validMode(mode)) throw new EngineError(`invalid mode: ${mode}`);
  const opts = mode.split(',');
  const propagation = opts.find((o) => PROPAGATION_MODES.has(o));
  // docker's mount.Mount, its fields in docker's order (this is what config.v2.json keeps as Spec)
  const spec: Mount = {
    Type: source?.startsWith('/') ? 'bind' : 'volume',
    ...(source !== undefined && { Source: source }),
    Target: target,
    ...(opts.includes('ro') && { ReadOnly: true }),
    ...(propagation && { BindOptions: { Propagation: propagation } }),
    ...(opts.includes('nocopy') && { VolumeOptions: { NoCopy: true } }),
  };
  let mp: MountPoint;
  try {
    mp = parseMount(spec, false);
  } catch (e) {
    throw new EngineError(`${invalid().message}: ${(e as Error).message}`);
  }
  if (mode !== '') mp.Relabel = mode;
  if (opts.some((o) => LABEL_MODES.has(o))) trace(`-v ${raw}: "${mode}" asks for an SELinux relabel; no SELinux here, nothing to do`);
  checkVolumeSource(mp);
  return mp;
}
// #endregion

function splitN(s: string, sep: string, n: number): string[] {
  const parts = s.split(sep);
  return parts.length <= n ? parts : [...parts.slice(0, n - 1), parts.slice(n - 1).join(sep)];
}

// #region proc-destination
/**
 * The files under /proc that may be covered by a mount (runc's list: what LXCFS-style tools
 * replace with their own view). Anything else under /proc, or /proc itself, is the kernel's
 * window on the container's processes; a bind mount there could hide or fake it, so runc refuses
 * it when the container starts. We refuse it when the flag is read, in runc's words.
 */
const PROC_ALLOWED = new Set([
  '/proc/cpuinfo', '/proc/diskstats', '/proc/meminfo', '/proc/stat', '/proc/swaps', '/proc/uptime',
  '/proc/loadavg', '/proc/slabinfo', '/proc/net/dev', '/proc/sys/kernel/ns_last_pid',
]);

export function procDestination(dest: string): string | null {
  if (dest === '/proc') return `"/proc" cannot be mounted because it is not of type proc`;
  if (dest.startsWith('/proc/') && !PROC_ALLOWED.has(dest)) return `"${dest}" cannot be mounted because it is inside /proc`;
  return null;
}
// #endregion

// #region parse-mount
/**
 * A Mount (from --mount, or from -v above) checked and turned into a MountPoint (moby's
 * parseMountSpec). `bindSourceMustExist`: --mount never creates a missing bind source.
 */
export function parseMount(m: Mount, bindSourceMustExist: boolean): MountPoint {
  if (!m.Target) throw mountConfigError(m, 'field Target must not be empty');
  if (path.posix.normalize(m.Target) === '/') throw mountConfigError(m, "invalid specification: destination can't be '/'");
  if (!m.Target.startsWith('/')) throw mountConfigError(m, `invalid mount path: '${m.Target}' mount path must be absolute`);
  const procWhy = procDestination(cleanPath(m.Target));
  if (procWhy) throw mountConfigError(m, procWhy);
  const mp: MountPoint = {
    Source: '', Destination: cleanPath(m.Target), RW: !m.ReadOnly, Name: '', Driver: '', Type: 'volume', Spec: m, SkipMountpointCreation: false,
  };
  if (m.Type === 'bind') {
    if (!m.Source) throw mountConfigError(m, 'field Source must not be empty');
    const propagation = m.BindOptions?.Propagation;
    if (propagation && !PROPAGATION_MODES.has(propagation)) throw mountConfigError(m, `invalid propagation mode: ${propagation}`);
    if (m.VolumeOptions) throw mountConfigError(m, 'field VolumeOptions must not be specified');
    if (!m.Source.startsWith('/')) throw mountConfigError(m, `invalid mount path: '${m.Source}' mount path must be absolute`);
    if (bindSourceMustExist && !existsSync(m.Source)) throw mountConfigError(m, `bind mount source path does not exist: ${m.Source}`);
    // init makes every mount of the container private first (lib/runtime/rootfs.ts step 1): it cannot
    // honor shared or slave propagation, so it says so rather than pretend
    if (propagation && !propagation.endsWith('private')) throw mountConfigError(m, `propagation "${propagation}" is not built in minidock (its mounts are always rprivate)`);
    return { ...mp, Type: 'bind', Source: cleanPath(m.Source), Propagation: propagation ?? 'rprivate', SkipMountpointCreation: bindSourceMustExist };
  }
  if (m.Type === 'volume') {
    if (m.BindOptions) throw mountConfigError(m, 'field BindOptions must not be specified');
    if (m.ReadOnly && !m.Source) throw mountConfigError(m, 'must not set ReadOnly mode when using anonymous volumes');
    return { ...mp, Name: m.Source ?? '', Driver: 'local', CopyData: !m.VolumeOptions?.NoCopy };
  }
  if (m.Type === 'tmpfs') throw mountConfigError(m, 'tmpfs mounts are not built in minidock (bind and volume are)');
  throw mountConfigError(m, 'mount type unknown');
}
// #endregion

/**
 * What docker finds out only when it creates the volume, checked here before anything exists:
 * the driver (minidock has the "local" one) and the name. An anonymous volume is named at create.
 */
export function checkVolumeSource(mp: MountPoint): void {
  if (mp.Type !== 'volume') return;
  const driver = mp.Spec.VolumeOptions?.DriverConfig?.Name;
  if (driver && driver !== 'local') throw new EngineError(`create ${mp.Name}: error looking up volume plugin ${driver}: plugin "${driver}" not found`);
  if (mp.Name) checkVolumeName(mp.Name);
}

export function cleanPath(p: string): string {
  const clean = path.posix.normalize(p);
  return clean.length > 1 ? clean.replace(/\/+$/, '') : clean;
}

/**
 * One `--mount` value, as docker's CLI reads it (opts/mount.go): comma-separated key=value
 * fields (CSV, so a field may be quoted), the type defaulting to "volume".
 */
export function parseMountFlag(value: string, cwd: string = process.cwd()): Mount {
  const fail = (why: string) => new EngineError(`invalid argument "${value}" for "--mount" flag: ${why}`);
  const m: Mount = { Type: 'volume', Target: '' };
  const bool = (key: string, v: string): boolean => {
    if (/^(1|t|T|true|TRUE|True)$/.test(v)) return true;
    if (/^(0|f|F|false|FALSE|False)$/.test(v)) return false;
    throw fail(key === 'volume-nocopy' ? `invalid value for volume-nocopy: ${v}` : `invalid value for ${key}: ${v}`);
  };
  const volumeOptions = () => (m.VolumeOptions ??= { Labels: {}, DriverConfig: {} });
  const bindOptions = () => (m.BindOptions ??= {});
  for (const field of csvFields(value, fail)) {
    const eq = field.indexOf('=');
    const key = eq === -1 ? field : field.slice(0, eq);
    const val = field.slice(eq + 1);
    if (eq === -1) {
      if (key === 'readonly' || key === 'ro') m.ReadOnly = true;
      else if (key === 'volume-nocopy') volumeOptions().NoCopy = true;
      else if (key === 'bind-nonrecursive') bindOptions().NonRecursive = true;
      else throw fail(`invalid field '${field}' must be a key=value pair`);
      continue;
    }
    switch (key) {
      case 'type': m.Type = val.toLowerCase(); break;
      case 'source': case 'src':
        // like the CLI: "./dir" and "." are made absolute, other relative names are volume names
        m.Source = val === '.' || val.startsWith('./') ? path.resolve(cwd, val) : val;
        break;
      case 'target': case 'dst': case 'destination': m.Target = val; break;
      case 'readonly': case 'ro': m.ReadOnly = bool(key, val); break;
      case 'consistency': m.Consistency = val.toLowerCase(); break;
      case 'bind-propagation': bindOptions().Propagation = val.toLowerCase(); break;
      case 'bind-nonrecursive': bindOptions().NonRecursive = bool(key, val); break;
      case 'volume-nocopy': volumeOptions().NoCopy = bool(key, val); break;
      case 'volume-label': { const [k, ...v] = val.split('='); if (k) volumeOptions().Labels![k] = v.join('='); break; }
      case 'volume-driver': volumeOptions().DriverConfig!.Name = val; break;
      case 'volume-opt': { const [k, ...v] = val.split('='); if (k) (volumeOptions().DriverConfig!.Options ??= {})[k] = v.join('='); break; }
      default: throw fail(`unexpected key '${key}' in '${field}'`);
    }
  }
  if (!m.Type) throw fail('type is required');
  if (!m.Target) throw fail('target is required');
  if (m.VolumeOptions && m.Type !== 'volume') throw fail(`cannot mix 'volume-*' options with mount type '${m.Type}'`);
  if (m.BindOptions && m.Type !== 'bind') throw fail(`cannot mix 'bind-*' options with mount type '${m.Type}'`);
  if (m.BindOptions?.NonRecursive) throw fail('bind-nonrecursive is not built in minidock (its bind mounts are recursive, as docker’s default)');
  return m;
}

/** One CSV record (Go's encoding/csv, one line): fields split at commas, "quoted" fields may hold commas. */
export function csvFields(line: string, fail: (why: string) => Error = (w) => new EngineError(w)): string[] {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    let field = '';
    if (line[i] === '"') {
      i++;
      for (;;) {
        if (i >= line.length) throw fail(`parse error on line 1, column ${i + 1}: extraneous or missing " in quoted-field`);
        if (line[i] === '"' && line[i + 1] === '"') { field += '"'; i += 2; continue; }
        if (line[i] === '"') { i++; break; }
        field += line[i++];
      }
      if (i < line.length && line[i] !== ',') throw fail(`parse error on line 1, column ${i + 1}: extraneous or missing " in quoted-field`);
    } else {
      const end = line.indexOf(',', i);
      field = line.slice(i, end === -1 ? line.length : end);
      if (field.includes('"')) throw fail(`parse error on line 1, column ${i + field.indexOf('"') + 1}: bare " in non-quoted-field`);
      i = end === -1 ? line.length : end;
    }
    fields.push(field);
    if (i >= line.length) return fields;
    i++; // the comma
  }
}

/** `--volumes-from CONTAINER[:ro|rw]` (moby's ParseVolumesFrom). */
export function parseVolumesFrom(spec: string): { ref: string; mode: string } {
  if (spec === '') throw new EngineError('volumes-from specification cannot be an empty string');
  const colon = spec.indexOf(':');
  const ref = colon === -1 ? spec : spec.slice(0, colon);
  const mode = colon === -1 ? '' : spec.slice(colon + 1);
  if (mode === '') return { ref, mode: 'rw' };
  const opts = mode.split(',');
  // the mounts keep the propagation and copy behavior they have in the other container
  if (!validMode(mode) || opts.some((o) => PROPAGATION_MODES.has(o) || COPY_MODES.has(o))) throw new EngineError(`invalid mode: ${mode}`);
  return { ref, mode };
}

// #region split-flags
/** The volume flags of `run`, sorted the way docker's CLI sends them to the daemon. */
export interface VolumeFlags {
  /** `-v SRC:DST[:OPTS]` (hostconfig.json Binds), "./dir" sources made absolute */
  Binds: string[] | null;
  /** --mount (hostconfig.json Mounts; absent when there are none, as docker writes it) */
  Mounts?: Mount[];
  /** --volumes-from (hostconfig.json VolumesFrom) */
  VolumesFrom: string[] | null;
  /** `-v /data` alone: config.v2.json Config.Volumes, like an image's VOLUME */
  Volumes: string[];
  /** the -v of Binds, parsed (once, here): `create` plans the mounts from these */
  BindPoints: MountPoint[];
}

export function splitVolumeFlags(volume: readonly string[], mount: readonly string[], volumesFrom: readonly string[], cwd: string = process.cwd()): VolumeFlags {
  const binds: string[] = [];
  const points: MountPoint[] = [];
  const volumes: string[] = [];
  for (let raw of volume) {
    // like the CLI: a "./dir" or "." source is made absolute; "dir" stays a volume name
    const colon = raw.indexOf(':');
    const host = raw.slice(0, colon);
    if (colon !== -1 && (host === '.' || host.startsWith('./'))) raw = path.resolve(cwd, host) + raw.slice(colon);
    const mp = parseVolumeSpec(raw); // fails here on a bad spec, before anything exists
    if (mp.Spec.Source) {
      binds.push(raw);
      points.push(mp);
    } else volumes.push(raw);
  }
  for (const v of volumesFrom) parseVolumesFrom(v);
  return {
    Binds: binds.length > 0 ? binds : null,
    Mounts: mount.length > 0 ? mount.map((m) => parseMountFlag(m, cwd)) : undefined,
    VolumesFrom: volumesFrom.length > 0 ? [...volumesFrom] : null,
    Volumes: volumes,
    BindPoints: points,
  };
}
// #endregion

