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
import { isZombie, processStartTime } from '../proc.js';
import type { PortMap } from '../network/ports.js';
import type { NetworkSettings } from '../network/settings.js';
import type { Mount, MountPoint } from '../volumes.js';

// #region state-shape
/** The State object of `docker inspect`. */
export interface State {
  Status: 'created' | 'running' | 'exited' | 'removing' | 'dead';
  Running: boolean;
  Paused: boolean;
  Restarting: boolean;
  OOMKilled: boolean;
  Dead: boolean;
  /** init's PID as the host sees it (0 when not running) */
  Pid: number;
  ExitCode: number;
  Error: string;
  StartedAt: string;
  FinishedAt: string;
}

/** Config: what the image and the run flags ask the container to be. */
export interface ContainerConfig {
  Hostname: string;
  Domainname: string;
  User: string;
  AttachStdin: boolean;
  AttachStdout: boolean;
  AttachStderr: boolean;
  Tty: boolean;
  OpenStdin: boolean;
  StdinOnce: boolean;
  Env: string[];
  Cmd: string[] | null;
  Image: string;
  WorkingDir: string;
  Entrypoint: string[] | null;
  Labels: Record<string, string>;
  /** "80/tcp" → {}: ports the image or --expose declare; -P publishes them (stage 5) */
  ExposedPorts?: Record<string, Record<string, never>>;
  /** `-v /data` (and an image's VOLUME): destinations that get an anonymous volume (stage 4) */
  Volumes?: Record<string, object> | null;
}

/** HostConfig: how this host runs it (hostconfig.json). */
export interface HostConfig {
  AutoRemove: boolean;
  NetworkMode: string;
  PidMode: string;
  IpcMode: string;
  UTSMode: string;
  CgroupnsMode: 'private' | 'host';
  Memory: number;
  MemorySwap: number;
  MemoryReservation: number;
  NanoCpus: number;
  CpuPeriod: number;
  CpuQuota: number;
  CpuShares: number;
  CpusetCpus: string;
  CpusetMems: string;
  PidsLimit: number | null;
  /** -p, -P, --dns, --dns-search, --add-host ("name:ip") (stage 5) */
  PortBindings?: PortMap;
  PublishAllPorts?: boolean;
  Dns?: string[];
  DnsSearch?: string[];
  ExtraHosts?: string[] | null;
  /** -v SRC:DST[:OPTS], --mount, --volumes-from (stage 4) */
  Binds?: string[] | null;
  Mounts?: Mount[];
  VolumesFrom?: string[] | null;
}

/** config.v2.json: the container. */
export interface Container {
  ID: string;
  Created: string;
  Path: string;
  Args: string[];
  Config: ContainerConfig;
  State: State;
  Image: string;
  Name: string;
  Driver: string;
  OS: 'linux';
  LogPath: string;
  /** Where the container's root filesystem lives on the host (the graph driver's data). */
  GraphDriver: { Name: string; Data: Record<string, string> };
  /** the container's volumes and bind mounts, by destination (stage 4) */
  MountPoints?: Record<string, MountPoint>;
  /** minidock's own bookkeeping: the start time of init (to tell a live PID from a reused one) and the stage it ran at. */
  Minidock: { InitStartTime: string; Stage: number; MonitorPid: number };
  /** addresses, gateway, MAC, published ports, networks (stage 5: lib/network/settings.ts) */
  NetworkSettings?: NetworkSettings;
}
// #endregion

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
  return out.sort((a, b) => b.Created.localeCompare(a.Created));
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
