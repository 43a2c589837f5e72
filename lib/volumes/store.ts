// The volume store of the "local" driver: volumes/<name>/_data (what containers see) and
// volumes/<name>/metadata.json (docker keeps the same facts in volumes/metadata.db).
// docker-volume(1); moby volume/local. Stage 4 notes: stages/04-volumes/README.md, "Volumes on disk".
//
// The store knows volumes, not containers: whether a volume is in use is the engine's to say,
// so removing takes `usersOf` (the IDs of the containers whose mount points name the volume),
// asked under the volumes lock.

import { randomBytes } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { writeJsonAtomic } from '../atomic.js';
import { EngineError } from '../errors.js';
import { withLock } from '../lock.js';
import { MAX_NAME_LENGTH, RESTRICTED_CHARS, RESTRICTED_NAME } from '../names.js';
import type { Paths } from '../paths.js';
import { trace } from '../sys/trace.js';
import { byText } from '../order.js';

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
    .sort((a, b) => byText(a.Name, b.Name));
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

/** createVolume for a caller that holds the volumes lock already (plan.ts attachVolumes). */
export function createVolumeLocked(p: Paths, name: string | undefined, labels: Record<string, string> | null, options: Record<string, string> | null = null): { volume: Volume; created: boolean } {
  const volumeName = name ?? randomBytes(32).toString('hex');
  checkVolumeName(volumeName);
  const existing = findVolume(p, volumeName);
  if (existing) return { volume: existing, created: false };
  // #region exercise 4.create-volume
  mkdirSync(p.volumes, { recursive: true, mode: 0o701 });
  mkdirSync(dataDir(p, volumeName), { recursive: true, mode: 0o755 });
  const meta: VolumeMetadata = { Name: volumeName, Driver: 'local', Labels: labels, Options: options, CreatedAt: new Date().toISOString().replace(/\.\d+Z$/, 'Z') };
  writeJsonAtomic(metadataFile(p, volumeName), meta);
  trace(`volume ${volumeName}${name ? '' : ' (anonymous)'}: mkdir ${dataDir(p, volumeName)}`);
  return { volume: volumeOf(p, meta), created: true };
  // #endregion
}
// #endregion

// #region in-use
/** The engine's answer to "who uses volume `name`?": IDs of containers, running or not. */
export type UsersOf = (name: string) => string[];

/** `docker volume rm`: refused while any container, running or not, still names the volume. */
export function removeVolume(p: Paths, name: string, usersOf: UsersOf, opts: { ignoreMissing?: boolean } = {}): void {
  withLock('volumes', () => {
    if (!findVolume(p, name)) {
      if (opts.ignoreMissing) return;
      throw new EngineError(`get ${name}: no such volume`, 1);
    }
    const users = usersOf(name);
    if (users.length > 0) throw new EngineError(`remove ${name}: volume is in use - [${users.join(', ')}]`, 1);
    removeVolumeFiles(p, name);
  });
}
// #endregion

export function removeVolumeFiles(p: Paths, name: string): void {
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
export function pruneVolumes(p: Paths, all: boolean, usersOf: UsersOf): { deleted: string[]; reclaimed: number } {
  return withLock('volumes', () => {
    const deleted: string[] = [];
    let reclaimed = 0;
    for (const v of listVolumes(p)) {
      if (!all && !(v.Labels && ANONYMOUS_LABEL in v.Labels)) continue;
      if (usersOf(v.Name).length > 0) continue;
      reclaimed += treeSize(v.Mountpoint);
      removeVolumeFiles(p, v.Name);
      deleted.push(v.Name);
    }
    return { deleted, reclaimed };
  });
}


