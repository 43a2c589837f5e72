// Volumes: directories that live outside the container's layers and are bind-mounted into it.
// mount(2) MS_BIND|MS_REC, mount_namespaces(7); docker-run(1) -v/--mount/--volumes-from,
// docker-volume(1); moby volume/mounts/linux_parser.go (the -v grammar) and volume/local (the
// "local" driver). Stage 4 notes: stages/04-volumes/README.md.
//
// Three moments, three places. `run` parses the flags and checks them, creating nothing; `create`
// makes the volumes and records the container's MountPoints in config.v2.json; init bind-mounts
// them into the rootfs, inside the container's mount namespace, before pivot_root
// (lib/rootfs.ts mountInto) — the host never sees those mounts.

import { randomBytes } from 'node:crypto';
import {
  chmodSync, copyFileSync, existsSync, lchownSync, linkSync, lstatSync, lutimesSync, mkdirSync,
  readdirSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, type Stats,
} from 'node:fs';
import path from 'node:path';
import { EngineError } from './errors.js';
import { withLock } from './lock.js';
import type { Paths } from './paths.js';
import type { MountSpec } from './sync.js';
import type { Sys } from './sys/sys.js';
import { trace } from './sys/trace.js';
import { writeJsonAtomic } from './atomic.js';
import { MAX_NAME_LENGTH, RESTRICTED_CHARS, RESTRICTED_NAME } from './names.js';
import { findContainer, listContainers, saveContainer, ZERO_TIME, type Container } from './container/state.js';
import type { Mount, MountPoint } from './container/records.js';

export type { Mount, MountPoint };

// #region shapes

/** What minidock keeps about one volume: volumes/<name>/metadata.json (docker: volumes/metadata.db). */
export interface VolumeMetadata {
  Name: string;
  Driver: 'local';
  Labels: Record<string, string> | null;
  Options: Record<string, string> | null;
  CreatedAt: string;
}

/** A volume as `docker volume inspect` shows it. */
export interface Volume extends VolumeMetadata {
  Mountpoint: string;
  Scope: 'local';
}

/** The label docker (23+) puts on the volumes it names itself; `volume prune` removes only those. */
export const ANONYMOUS_LABEL = 'com.docker.volume.anonymous';
// #endregion

// ─── Parsing: the flags, exactly as docker reads them ─────────────────────────────────────────

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

// #region parse-mount
/**
 * A Mount (from --mount, or from -v above) checked and turned into a MountPoint (moby's
 * parseMountSpec). `bindSourceMustExist`: --mount never creates a missing bind source.
 */
export function parseMount(m: Mount, bindSourceMustExist: boolean): MountPoint {
  if (!m.Target) throw mountConfigError(m, 'field Target must not be empty');
  if (path.posix.normalize(m.Target) === '/') throw mountConfigError(m, "invalid specification: destination can't be '/'");
  if (!m.Target.startsWith('/')) throw mountConfigError(m, `invalid mount path: '${m.Target}' mount path must be absolute`);
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
    // init makes every mount of the container private first (lib/rootfs.ts step 1): it cannot
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
function checkVolumeSource(mp: MountPoint): void {
  if (mp.Type !== 'volume') return;
  const driver = mp.Spec.VolumeOptions?.DriverConfig?.Name;
  if (driver && driver !== 'local') throw new EngineError(`create ${mp.Name}: error looking up volume plugin ${driver}: plugin "${driver}" not found`);
  if (mp.Name) checkVolumeName(mp.Name);
}

function cleanPath(p: string): string {
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
}

export function splitVolumeFlags(volume: readonly string[], mount: readonly string[], volumesFrom: readonly string[], cwd: string = process.cwd()): VolumeFlags {
  const binds: string[] = [];
  const volumes: string[] = [];
  for (let raw of volume) {
    // like the CLI: a "./dir" or "." source is made absolute; "dir" stays a volume name
    const colon = raw.indexOf(':');
    const host = raw.slice(0, colon);
    if (colon !== -1 && (host === '.' || host.startsWith('./'))) raw = path.resolve(cwd, host) + raw.slice(colon);
    const mp = parseVolumeSpec(raw); // fails here on a bad spec, before anything exists
    if (mp.Spec.Source) binds.push(raw);
    else volumes.push(raw);
  }
  for (const v of volumesFrom) parseVolumesFrom(v);
  return {
    Binds: binds.length > 0 ? binds : null,
    Mounts: mount.length > 0 ? mount.map((m) => parseMountFlag(m, cwd)) : undefined,
    VolumesFrom: volumesFrom.length > 0 ? [...volumesFrom] : null,
    Volumes: volumes,
  };
}
// #endregion

// ─── Planning: the container's mount points, checked before anything is created ────────────

export interface MountRequest {
  binds: readonly string[];
  mounts: readonly Mount[];
  volumesFrom: readonly string[];
  /** Config.Volumes: destinations that get an anonymous volume unless something else is mounted there */
  volumes: readonly string[];
}

// #region plan
/**
 * The container's mount points, in docker's order of precedence (moby registerMountPoints):
 * 1. those of each --volumes-from container (read-only with ":ro");
 * 2. -v binds and named volumes: one destination twice is an error;
 * 3. --mount: the same;
 * 4. Config.Volumes (`-v /data`): an anonymous volume, unless 1–3 already mount something there.
 * Volumes are named here but not created: a bad request leaves nothing behind.
 */
export function planMounts(p: Paths, req: MountRequest): MountPoint[] {
  const points = new Map<string, MountPoint>();
  const taken = new Set<string>(); // destinations of 2 and 3
  for (const spec of req.volumesFrom) {
    const { ref, mode } = parseVolumesFrom(spec);
    let other: Container;
    try {
      other = findContainer(p, ref);
    } catch (e) {
      throw new EngineError((e as Error).message); // for `run`, any failure is 125
    }
    for (const m of Object.values(other.MountPoints ?? {})) {
      // the same source and name: the very same directory. Never copied into again.
      points.set(m.Destination, { ...m, RW: m.RW && !mode.split(',').includes('ro'), Relabel: undefined, CopyData: false });
    }
  }
  const add = (mp: MountPoint) => {
    if (taken.has(mp.Destination)) throw new EngineError(`Duplicate mount point: ${mp.Destination}`);
    taken.add(mp.Destination);
    points.set(mp.Destination, mp);
  };
  for (const raw of req.binds) {
    const mp = parseVolumeSpec(raw);
    // a -v volume shows Mode "z" in docker's inspect (setBindModeIfNull): copied as docker has it
    if (mp.Type === 'volume' && !mp.Relabel) mp.Relabel = 'z';
    add(mp);
  }
  for (const m of req.mounts) {
    const mp = parseMount(m, true);
    checkVolumeSource(mp);
    if (mp.Type === 'volume' && !mp.Relabel) mp.Relabel = 'z';
    add(mp);
  }
  for (const v of req.volumes) {
    const dest = cleanPath(v);
    if (!dest.startsWith('/')) throw new EngineError(`invalid volume specification: '${v}': invalid mount config for type "volume": invalid mount path: '${dest}' mount path must be absolute`);
    if (points.has(dest)) continue; // --volumes-from, -v or --mount put something there: it wins
    points.set(dest, { Source: '', Destination: dest, RW: true, Name: '', Driver: 'local', Type: 'volume', Spec: {}, SkipMountpointCreation: false, CopyData: true });
  }
  return [...points.values()];
}
// #endregion

// #region attach
/**
 * Create the volumes the plan needs (named ones that do not exist yet, every anonymous one) and
 * record the mount points in the container's config.v2.json — under the volumes lock, so that
 * `volume rm` sees the container's claim on a volume as soon as the volume exists. If anything
 * fails, the volumes made here are removed again.
 */
export function attachVolumes(p: Paths, c: Container, plan: readonly MountPoint[]): void {
  withLock('volumes', () => {
    const made: string[] = [];
    try {
      const points: Record<string, MountPoint> = {};
      for (const planned of plan) {
        const mp = { ...planned };
        if (mp.Type === 'volume') {
          const anonymous = mp.Name === '';
          const labels = anonymous ? { [ANONYMOUS_LABEL]: '' } : mp.Spec.VolumeOptions?.Labels && Object.keys(mp.Spec.VolumeOptions.Labels).length > 0 ? mp.Spec.VolumeOptions.Labels : null;
          const { volume, created } = createVolumeLocked(p, anonymous ? undefined : mp.Name, labels);
          if (created) made.push(volume.Name);
          mp.Name = volume.Name;
          mp.Source = volume.Mountpoint;
        }
        points[mp.Destination] = mp;
      }
      c.MountPoints = points;
      saveContainer(p, c);
    } catch (e) {
      for (const name of made) removeVolumeFiles(p, name);
      throw e;
    }
  });
}
// #endregion

// ─── The volume store: volumes/<name>/{_data, metadata.json} ───────────────────────────────

/** docker's local driver rule for names; the message is docker's. */
export function checkVolumeName(name: string): void {
  if (name.length === 1) throw new EngineError(`create ${name}: volume name is too short, names should be at least two alphanumeric characters`);
  if (!RESTRICTED_NAME.test(name)) {
    throw new EngineError(`create ${name}: "${name}" includes invalid characters for a local volume name, only "${RESTRICTED_CHARS}" are allowed. If you intended to pass a host directory, use absolute path`);
  }
  if (name.length > MAX_NAME_LENGTH) throw new EngineError(`create ${name.slice(0, 40)}…: volume name is too long (at most ${MAX_NAME_LENGTH} characters)`);
}

export function volumeDir(p: Paths, name: string): string {
  return path.join(p.volumes, name);
}

export function dataDir(p: Paths, name: string): string {
  return path.join(p.volumes, name, '_data');
}

function metadataFile(p: Paths, name: string): string {
  return path.join(volumeDir(p, name), 'metadata.json');
}

function volumeOf(p: Paths, meta: VolumeMetadata): Volume {
  // the order of `docker volume inspect`
  return { CreatedAt: meta.CreatedAt, Driver: meta.Driver, Labels: meta.Labels, Mountpoint: dataDir(p, meta.Name), Name: meta.Name, Options: meta.Options, Scope: 'local' };
}

/** The volume, or null: a directory without metadata.json is a volume still being made (or unmade). */
export function findVolume(p: Paths, name: string): Volume | null {
  if (!RESTRICTED_NAME.test(name)) return null; // also keeps "../x" from naming a path outside volumes/
  try {
    return volumeOf(p, JSON.parse(readFileSync(metadataFile(p, name), 'utf8')) as VolumeMetadata);
  } catch {
    return null;
  }
}

export function getVolume(p: Paths, name: string): Volume {
  const v = findVolume(p, name);
  if (!v) throw new EngineError(`get ${name}: no such volume`, 1);
  return v;
}

export function listVolumes(p: Paths): Volume[] {
  if (!existsSync(p.volumes)) return [];
  return readdirSync(p.volumes)
    .map((name) => findVolume(p, name))
    .filter((v): v is Volume => v !== null)
    .sort((a, b) => a.Name.localeCompare(b.Name));
}

// #region create-volume
/**
 * `docker volume create`, and what `run -v name:/data` does for a name that does not exist yet.
 * The local driver's layout: volumes/ (mode 0701: others may pass, not list), volumes/<name>/_data
 * (0755) is the directory containers see. metadata.json is written last: a volume exists once it
 * is there. No name: a random one (64 hex digits, like a container ID). An existing name is
 * returned as it is (docker's create is idempotent).
 */
export function createVolume(p: Paths, name?: string, labels: Record<string, string> | null = null, options: Record<string, string> | null = null): Volume {
  return withLock('volumes', () => createVolumeLocked(p, name, labels, options).volume);
}

function createVolumeLocked(p: Paths, name: string | undefined, labels: Record<string, string> | null, options: Record<string, string> | null = null): { volume: Volume; created: boolean } {
  const volumeName = name ?? randomBytes(32).toString('hex');
  checkVolumeName(volumeName);
  const existing = findVolume(p, volumeName);
  if (existing) return { volume: existing, created: false };
  mkdirSync(p.volumes, { recursive: true, mode: 0o701 });
  mkdirSync(dataDir(p, volumeName), { recursive: true, mode: 0o755 });
  const meta: VolumeMetadata = { Name: volumeName, Driver: 'local', Labels: labels, Options: options, CreatedAt: new Date().toISOString().replace(/\.\d+Z$/, 'Z') };
  writeJsonAtomic(metadataFile(p, volumeName), meta);
  trace(`volume ${volumeName}${name ? '' : ' (anonymous)'}: mkdir ${dataDir(p, volumeName)}`);
  return { volume: volumeOf(p, meta), created: true };
}
// #endregion

// #region in-use
/** The containers (any state: running, stopped, created) whose mount points name this volume. */
export function volumeUsers(p: Paths, name: string): string[] {
  return listContainers(p)
    .filter((c) => Object.values(c.MountPoints ?? {}).some((m) => m.Type === 'volume' && m.Name === name))
    .map((c) => c.ID);
}

/** `docker volume rm`: refused while any container, running or not, still names the volume. */
export function removeVolume(p: Paths, name: string, opts: { ignoreMissing?: boolean } = {}): void {
  withLock('volumes', () => {
    if (!findVolume(p, name)) {
      if (opts.ignoreMissing) return;
      throw new EngineError(`get ${name}: no such volume`, 1);
    }
    const users = volumeUsers(p, name);
    if (users.length > 0) throw new EngineError(`remove ${name}: volume is in use - [${users.join(', ')}]`, 1);
    removeVolumeFiles(p, name);
  });
}
// #endregion

function removeVolumeFiles(p: Paths, name: string): void {
  trace(`volume ${name}: rm -rf ${volumeDir(p, name)}`);
  rmSync(metadataFile(p, name), { force: true }); // first: from here on it is no volume
  rmSync(volumeDir(p, name), { recursive: true, force: true });
}

/** Bytes in a directory tree (regular files, counted once per inode), as `docker system df` counts. */
export function treeSize(dir: string, seen = new Set<string>()): number {
  let total = 0;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return 0;
  }
  for (const name of names) {
    const st = lstatSync(path.join(dir, name));
    if (st.isDirectory()) total += treeSize(path.join(dir, name), seen);
    else if (!seen.has(`${st.dev}:${st.ino}`)) {
      seen.add(`${st.dev}:${st.ino}`);
      total += st.size;
    }
  }
  return total;
}

/** `docker volume prune`: unused anonymous volumes (all unused ones with `all`). */
export function pruneVolumes(p: Paths, all: boolean): { deleted: string[]; reclaimed: number } {
  return withLock('volumes', () => {
    const deleted: string[] = [];
    let reclaimed = 0;
    for (const v of listVolumes(p)) {
      if (!all && !(v.Labels && ANONYMOUS_LABEL in v.Labels)) continue;
      if (volumeUsers(p, v.Name).length > 0) continue;
      reclaimed += treeSize(v.Mountpoint);
      removeVolumeFiles(p, v.Name);
      deleted.push(v.Name);
    }
    return { deleted, reclaimed };
  });
}

// #region rm-v
/**
 * `rm -v` (and `run --rm`): the container's anonymous volumes go with it — those it did not ask
 * for by name (Spec.Source empty). Named volumes always stay; so does an anonymous volume another
 * container still uses (through --volumes-from), as docker does.
 */
export function removeAnonymousVolumes(p: Paths, c: Container): void {
  for (const m of Object.values(c.MountPoints ?? {})) {
    if (m.Type !== 'volume' || m.Spec.Source) continue;
    withLock('volumes', () => {
      if (!findVolume(p, m.Name)) return;
      if (volumeUsers(p, m.Name).some((id) => id !== c.ID)) return;
      removeVolumeFiles(p, m.Name);
    });
  }
}
// #endregion

// ─── Starting: what init mounts ────────────────────────────────────────────────────────────

// #region volume-mounts
/**
 * The container's mount points as init's MountSpecs. Runs on the host when the container
 * starts: a missing -v bind source is created here.
 */
export function volumeMounts(c: Container): MountSpec[] {
  const points = Object.values(c.MountPoints ?? {});
  const firstStart = c.State.StartedAt === ZERO_TIME; // docker copies at create, once
  return points.map((m) => {
    if (m.Type === 'bind' && !m.SkipMountpointCreation && !existsSync(m.Source)) {
      trace(`$ mkdir -p ${m.Source}   # -v creates a missing bind source, as docker does`);
      mkdirSync(m.Source, { recursive: true, mode: 0o755 });
    }
    const spec: MountSpec = { source: m.Source, target: m.Destination, type: 'bind', readonly: !m.RW };
    if (m.Type === 'volume' && m.CopyData && firstStart) spec.copyData = true;
    return spec;
  });
}

/**
 * All of a container's mounts in the order init makes them: parents before children (docker
 * sorts by the depth of the destination), so that `-v a:/data -v b:/data/sub` puts b inside a,
 * and /etc/hosts lands on a volume mounted at /etc instead of under it. Stable: at equal depth,
 * a later mount (the user's) goes on top of an earlier one (the engine's).
 */
export function inMountOrder(mounts: readonly MountSpec[]): MountSpec[] {
  const depth = (m: MountSpec) => path.posix.normalize(m.target).split('/').filter(Boolean).length;
  return [...mounts].sort((a, b) => depth(a) - depth(b));
}
// #endregion

/** The Mounts array of `docker inspect`. */
export function inspectMounts(c: Container): Record<string, unknown>[] {
  return Object.values(c.MountPoints ?? {})
    .sort((a, b) => a.Destination.localeCompare(b.Destination))
    .map((m) => m.Type === 'volume'
      ? { Type: 'volume', Name: m.Name, Source: m.Source, Destination: m.Destination, Driver: m.Driver, Mode: m.Relabel ?? '', RW: m.RW, Propagation: m.Propagation ?? '' }
      : { Type: 'bind', Source: m.Source, Destination: m.Destination, Mode: m.Relabel ?? '', RW: m.RW, Propagation: m.Propagation ?? '' });
}

// ─── copyData (runs inside init: synchronous calls only) ───────────────────────────────────

// #region copy-data
/**
 * docker's "copyData": a volume that is still empty, mounted where the image has a directory,
 * first receives a copy of that directory — files, modes, owners, times, hard links — and only
 * then covers it. A bind mount never does (the host directory is the user's: docker will not
 * write into it). Returns whether it copied.
 *
 * Docker does this in the daemon during `create`, with the container's rootfs mounted on the
 * host. Here the rootfs is mounted only inside the container's mount namespace, so init does it,
 * at the first start, between mounting the rootfs and bind-mounting the volume.
 */
export function copyImageContent(sys: Sys, imageDir: string, volume: string): boolean {
  let st: Stats;
  try {
    st = statSync(imageDir);
  } catch {
    return false; // the image has nothing there: the mount point will be made empty
  }
  if (!st.isDirectory() || readdirSync(volume).length > 0) return false; // not empty: never overwrite
  trace(`copyData: ${imageDir} → ${volume}`);
  copyTree(sys, imageDir, volume, new Map());
  // and the directory itself: the volume's root takes the owner and mode of the image's directory
  lchownSync(volume, st.uid, st.gid);
  chmodSync(volume, st.mode & 0o7777);
  return true;
}

function copyTree(sys: Sys, from: string, to: string, links: Map<string, string>): void {
  for (const name of readdirSync(from)) {
    const src = path.join(from, name);
    const dst = path.join(to, name);
    const st = lstatSync(src);
    const inode = `${st.dev}:${st.ino}`;
    if (!st.isDirectory() && st.nlink > 1 && links.has(inode)) {
      linkSync(links.get(inode)!, dst); // a second name of a file already copied
      continue;
    }
    if (st.isDirectory()) {
      mkdirSync(dst);
      copyTree(sys, src, dst, links);
    } else if (st.isFile()) copyFileSync(src, dst);
    else if (st.isSymbolicLink()) symlinkSync(readlinkSync(src), dst);
    else if (st.isFIFO() || st.isCharacterDevice() || st.isBlockDevice()) sys.mknod(dst, st.mode, st.rdev);
    else continue; // a socket: nothing to copy
    if (st.nlink > 1 && !st.isDirectory()) links.set(inode, dst);
    lchownSync(dst, st.uid, st.gid);
    if (!st.isSymbolicLink()) chmodSync(dst, st.mode & 0o7777); // after chown, which clears set-id bits
    lutimesSync(dst, st.atime, st.mtime); // last: for a directory, after its entries were written
  }
}
// #endregion
