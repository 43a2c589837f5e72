// The container's mount plan: its mount points from the parsed flags, in docker's order of
// precedence (moby daemon/volumes.go registerMountPoints); the volumes it needs, made at
// `create`; the mounts init makes at start; what `inspect` shows; what `rm -v` removes.
// Stage 4 notes: stages/04-volumes/README.md, "The container's side: MountPoints" and "When to mount".
//
// The plan never reads or writes the container's records: the engine hands it what it needs
// (the parsed -v, the mount points of --volumes-from containers) and records what it returns.

import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Mount, MountPoint } from '../container/records.js';
import { EngineError } from '../errors.js';
import { withLock } from '../lock.js';
import type { Paths } from '../paths.js';
import type { MountSpec } from '../container/mounts.js';
import { trace } from '../sys/trace.js';
import { checkVolumeSource, cleanPath, parseMount, parseVolumesFrom } from './grammar.js';
import { ANONYMOUS_LABEL, createVolumeLocked, findVolume, removeVolumeFiles, type UsersOf } from './store.js';
import { byText } from '../order.js';

export interface MountRequest {
  /** -v, parsed once by splitVolumeFlags (grammar.ts) */
  binds: readonly MountPoint[];
  /** --mount, as hostconfig.json keeps them */
  mounts: readonly Mount[];
  /** --volumes-from CONTAINER[:ro|rw] */
  volumesFrom: readonly string[];
  /** the mount points of container `ref` (the engine reads its record; it throws if there is none) */
  mountPointsOf: (ref: string) => Record<string, MountPoint>;
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
export function planMounts(req: MountRequest): MountPoint[] {
  const points = new Map<string, MountPoint>();
  const taken = new Set<string>(); // destinations of 2 and 3
  for (const spec of req.volumesFrom) {
    const { ref, mode } = parseVolumesFrom(spec);
    let others: Record<string, MountPoint>;
    try {
      others = req.mountPointsOf(ref);
    } catch (e) {
      throw new EngineError((e as Error).message); // for `run`, any failure is 125
    }
    for (const m of Object.values(others)) {
      // the same source and name: the very same directory. Never copied into again.
      points.set(m.Destination, { ...m, RW: m.RW && !mode.split(',').includes('ro'), Relabel: undefined, CopyData: false });
    }
  }
  const add = (mp: MountPoint) => {
    if (taken.has(mp.Destination)) throw new EngineError(`Duplicate mount point: ${mp.Destination}`);
    taken.add(mp.Destination);
    points.set(mp.Destination, mp);
  };
  for (const parsed of req.binds) {
    const mp = { ...parsed };
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
 * hand the mount points to `record`, which writes them into the container's config.v2.json —
 * under the volumes lock, so that `volume rm` sees the container's claim on a volume as soon as
 * the volume exists. If anything fails, the volumes made here are removed again.
 */
export function attachVolumes(p: Paths, plan: readonly MountPoint[], record: (points: Record<string, MountPoint>) => void): void {
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
      record(points); // the engine writes them into config.v2.json, still under the lock
    } catch (e) {
      for (const name of made) removeVolumeFiles(p, name);
      throw e;
    }
  });
}
// #endregion


// #region volume-users
/** The containers (any state: running, stopped, created) whose mount points name this volume. */
export function volumeUsers(containers: readonly { ID: string; MountPoints?: Record<string, MountPoint> }[], name: string): string[] {
  return containers
    .filter((c) => Object.values(c.MountPoints ?? {}).some((m) => m.Type === 'volume' && m.Name === name))
    .map((c) => c.ID);
}
// #endregion

// #region rm-v
/**
 * `rm -v` (and `run --rm`): the container's anonymous volumes go with it — those it did not ask
 * for by name (Spec.Source empty). Named volumes always stay; so does an anonymous volume another
 * container still uses (through --volumes-from), as docker does.
 */
export function removeAnonymousVolumes(p: Paths, id: string, points: Record<string, MountPoint>, usersOf: UsersOf): void {
  for (const m of Object.values(points)) {
    if (m.Type !== 'volume' || m.Spec.Source) continue;
    withLock('volumes', () => {
      if (!findVolume(p, m.Name)) return;
      if (usersOf(m.Name).some((user) => user !== id)) return;
      removeVolumeFiles(p, m.Name);
    });
  }
}
// #endregion

// #region volume-mounts
/**
 * The container's mount points as init's MountSpecs. Runs on the host when the container
 * starts: a missing -v bind source is created here.
 */
export function volumeMounts(mountPoints: Record<string, MountPoint>, firstStart: boolean): MountSpec[] {
  // firstStart: docker copies at create, once
  return Object.values(mountPoints).map((m) => {
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
export function inspectMounts(mountPoints: Record<string, MountPoint>): Record<string, unknown>[] {
  return Object.values(mountPoints)
    .sort((a, b) => byText(a.Destination, b.Destination))
    .map((m) => m.Type === 'volume'
      ? { Type: 'volume', Name: m.Name, Source: m.Source, Destination: m.Destination, Driver: m.Driver, Mode: m.Relabel ?? '', RW: m.RW, Propagation: m.Propagation ?? '' }
      : { Type: 'bind', Source: m.Source, Destination: m.Destination, Mode: m.Relabel ?? '', RW: m.RW, Propagation: m.Propagation ?? '' });
}

