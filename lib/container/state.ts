// Container state on disk, in Docker's files and shapes.
//
//   containers/<id>/config.v2.json   who the container is and what it is doing (State inside)
//   containers/<id>/hostconfig.json  how the host runs it (limits, namespaces, mounts)
//
// Every write goes to a temporary file first and is renamed into place (rename(2) is atomic), so
// a `minidock` killed halfway never leaves a half-written JSON file behind.

import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { writeJsonAtomic } from '../atomic.js';
import { EngineError } from '../errors.js';
import type { Paths } from '../paths.js';
import { withLock } from '../lock.js';
import { isZombie, pidAlive, processStartTime } from '../proc.js';
import type { Container, HostConfig, State } from './records.js';
import { byText } from '../order.js';

// The record types live in records.ts (types only, no imports); re-exported for the engine's code.
export type { Container, ContainerConfig, EndpointSettings, HostConfig, Mount, MountPoint, NetworkSettings, PortBinding, PortMap, State } from './records.js';

export const ZERO_TIME = '0001-01-01T00:00:00Z';

export function newState(): State {
  return {
    Status: 'created', Running: false, Paused: false, Restarting: false, OOMKilled: false, Dead: false,
    Pid: 0, ExitCode: 0, Error: '', StartedAt: ZERO_TIME, FinishedAt: ZERO_TIME,
  };
}


export function saveContainer(p: Paths, c: Container): void {
  writeJsonAtomic(path.join(p.container(c.ID), 'config.v2.json'), c);
}

export function saveHostConfig(p: Paths, id: string, hc: HostConfig): void {
  writeJsonAtomic(path.join(p.container(id), 'hostconfig.json'), hc);
}

export function loadContainer(p: Paths, id: string): Container {
  return JSON.parse(readFileSync(path.join(p.container(id), 'config.v2.json'), 'utf8')) as Container;
}

/**
 * The container's record, or undefined when it is gone: `rm` and `--rm` remove its directory
 * file by file, so it can vanish between a look for the directory and the read of config.v2.json.
 */
export function loadIfThere(p: Paths, id: string): Container | undefined {
  try {
    return loadContainer(p, id);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

export function loadHostConfig(p: Paths, id: string): HostConfig {
  return JSON.parse(readFileSync(path.join(p.container(id), 'hostconfig.json'), 'utf8')) as HostConfig;
}

/** Every container with a readable config (a directory without one is a run still being created). */
export function listContainers(p: Paths): Container[] {
  if (!existsSync(p.containers)) return [];
  const out: Container[] = [];
  for (const id of readdirSync(p.containers)) {
    try {
      out.push(loadContainer(p, id));
    } catch {
      // no config.v2.json (yet, or any more): not a container we can show
    }
  }
  return out.sort((a, b) => byText(b.Created, a.Created));
}

/** Find a container by full ID, unique ID prefix, or name (with or without the leading '/'). */
export function findContainer(p: Paths, ref: string): Container {
  const all = listContainers(p);
  const name = ref.startsWith('/') ? ref : `/${ref}`;
  const byName = all.find((c) => c.Name === name);
  if (byName) return byName;
  const byId = all.filter((c) => c.ID.startsWith(ref));
  if (byId.length === 1 && ref.length > 0) return byId[0];
  if (byId.length > 1) throw new EngineError(`multiple IDs found with provided prefix: ${ref}`);
  throw new EngineError(`no such container: ${ref}`, 1);
}

// #region liveness
/** Is this container's init still the process we started (not a dead one whose PID was reused)? */
export function initAlive(c: Container): boolean {
  // a zombie has exited: it only waits for its parent (or, its monitor gone, the host's init) to reap it
  return c.State.Pid > 0 && processStartTime(c.State.Pid) === c.Minidock.InitStartTime && !isZombie(c.State.Pid);
}

/** Is the process that waits for this container's init (its shim, or a foreground `run`) alive? */
export function monitorAlive(c: Container): boolean {
  const m = c.Minidock.MonitorPid;
  return m > 0 && pidAlive(m) && !isZombie(m);
}

// #endregion

/**
 * The container's lock: held while its record changes because its monitor is gone
 * (reconcile.ts), and while it is removed. Short sections only (lib/lock.ts).
 */
export function containerLock<T>(p: Paths, id: string, fn: () => T): T {
  return withLock(`container-${id}`, fn, p.locks);
}

export function ensureDir(dir: string, mode = 0o700): void {
  mkdirSync(dir, { recursive: true, mode });
}
