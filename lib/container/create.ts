// Creating a container: a name, an ID, its state files and its root filesystem — everything
// `run` needs before a process exists. docker's `create` half of `run`.
//
// Validation comes first and creates nothing; the name is reserved under a lock (two runs asking
// for the same name at once: one wins, the other gets docker's "Conflict" error; reserve.ts),
// and a failure after that point removes what was made.

import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { EngineError } from '../errors.js';
import { ImageStore } from '../image/store.js';
import { invalidName } from '../names.js';
import type { Paths } from '../paths.js';
import { planMounts } from '../volumes/plan.js';
import { parseVolumeSpec } from '../volumes/grammar.js';
import { createMounts, mountPointsOf } from './volumes.js';
import type { MountPoint } from './records.js';
import { releaseName, reserveName } from './reserve.js';
import { ensureDir, newState, saveContainer, saveHostConfig, type Container, type HostConfig } from './state.js';
import { logPath } from './logs.js';
import { exposedPorts } from '../network/ports.js';

export interface CreateRequest {
  image: string;
  /** the command after the image; empty = the image's Cmd */
  cmd: string[];
  entrypoint?: string;
  name?: string;
  env: string[];
  workdir?: string;
  hostname?: string;
  stdin: boolean;
  /** -t (stage 7): a pseudo-terminal for the container's process */
  tty?: boolean;
  /** -u, --user (stage 8); else the image's USER */
  user?: string;
  host: HostConfig;
  stage: number;
  /** `-v /data`: destinations for anonymous volumes (Config.Volumes, stage 4) */
  volumes?: string[];
  /** -v binds as splitVolumeFlags parsed them (lib/volumes/grammar.ts), so they are parsed once */
  bindPoints?: MountPoint[];
  /** --expose and -p: ExposedPorts keys, "80/tcp" (stage 5) */
  exposed?: string[];
  /** -l, --label KEY=VALUE: over the image's labels (Config.Labels; ps --filter label=) */
  labels?: Record<string, string>;
  /** --stop-signal, --stop-timeout (stage 7) */
  stopSignal?: string;
  stopTimeout?: number;
}

// #region env
/**
 * `-e KEY=VALUE`, or `-e KEY` to pass the host's value. When the host has none, the bare `KEY`
 * is kept, as docker keeps it: it overrides the image's KEY, and containerEnv leaves it out.
 */
export function parseEnv(flags: readonly string[], hostEnv: NodeJS.ProcessEnv = process.env): string[] {
  const out: string[] = [];
  for (const f of flags) {
    const eq = f.indexOf('=');
    const key = eq === -1 ? f : f.slice(0, eq);
    if (key === '' || /\s/.test(key)) throw new EngineError(`invalid environment variable: ${f}`);
    if (eq !== -1) out.push(f);
    else out.push(hostEnv[key] !== undefined ? `${key}=${hostEnv[key]}` : key);
  }
  return out;
}
// #endregion

/** docker's merge of the image's Env and the user's: the user's first, then the image's it did not set. */
export function mergeEnv(base: readonly string[], over: readonly string[]): string[] {
  const keys = new Set(over.map((e) => e.split('=')[0]));
  return [...over, ...base.filter((e) => !keys.has(e.split('=')[0]))];
}

function stopSettings(signal: string | undefined, timeout: number | undefined): { StopSignal?: string; StopTimeout?: number } {
  return { ...(signal ? { StopSignal: signal } : {}), ...(timeout !== undefined ? { StopTimeout: timeout } : {}) };
}

export function createContainer(p: Paths, req: CreateRequest): Container {
  // 1. Everything that can be checked without creating anything.
  const badName = req.name === undefined ? null : invalidName(req.name.replace(/^\//, ''));
  if (badName) throw new EngineError(`invalid container name (${req.name!.slice(0, 140)}), ${badName}`);
  const store = new ImageStore(p);
  const image = store.resolve(req.image);
  const imgConfig = image.config.config ?? {};
  const id = randomBytes(32).toString('hex');
  const hostname = req.hostname || id.slice(0, 12); // docker: the short ID
  const entrypoint = req.entrypoint !== undefined ? (req.entrypoint === '' ? null : [req.entrypoint]) : imgConfig.Entrypoint ?? null;
  const cmd = req.cmd.length > 0 ? req.cmd : req.entrypoint !== undefined ? null : imgConfig.Cmd ?? null;
  const args = [...(entrypoint ?? []), ...(cmd ?? [])];
  if (args.length === 0) throw new EngineError('no command specified');
  const volumes = req.volumes ?? [];
  // -v as `run` parsed it (once); a caller with only Binds' strings has them parsed here
  const binds = req.bindPoints ?? (req.host.Binds ?? []).map(parseVolumeSpec);
  const mounts = planMounts({ binds, mounts: req.host.Mounts ?? [], volumesFrom: req.host.VolumesFrom ?? [], mountPointsOf: mountPointsOf(p), volumes });

  const dir = p.container(id);
  const c: Container = {
    ID: id,
    Created: new Date().toISOString(),
    Path: args[0],
    Args: args.slice(1),
    Config: {
      Hostname: hostname, Domainname: '', User: req.user ?? (req.stage >= 8 ? imgConfig.User ?? '' : ''),
      AttachStdin: req.stdin, AttachStdout: true, AttachStderr: true, Tty: !!req.tty, OpenStdin: req.stdin, StdinOnce: req.stdin,
      Env: mergeEnv(imgConfig.Env ?? [], req.env),
      Cmd: cmd, Image: req.image, WorkingDir: req.workdir ?? imgConfig.WorkingDir ?? '', Entrypoint: entrypoint,
      Labels: { ...(imgConfig.Labels ?? {}), ...(req.labels ?? {}) },
      ...exposedPorts(imgConfig, req.exposed ?? []),
      Volumes: volumes.length > 0 ? Object.fromEntries(volumes.map((v) => [v, {}])) : null,
      // stage 7: what `stop` sends (the image's STOPSIGNAL unless --stop-signal) and how long it waits
      ...stopSettings(req.stopSignal ?? (imgConfig as { StopSignal?: string }).StopSignal, req.stopTimeout),
    },
    State: newState(),
    Image: image.id,
    Name: '',
    Driver: '',
    OS: 'linux',
    LogPath: logPath(dir, id),
    GraphDriver: { Name: '', Data: {} },
    MountPoints: {},
    Minidock: { InitStartTime: '', Stage: req.stage, MonitorPid: 0 },
  };

  // 2. Reserve the name: the names lock is held only for that (reserve.ts); the state files are
  //    written after it is released, then the reservation is dropped (config.v2.json has the name).
  const name = reserveName(p, req.name, id);
  c.Name = `/${name}`;
  try {
    ensureDir(dir);
    saveHostConfig(p, id, req.host);
    saveContainer(p, c);
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  } finally {
    releaseName(p, name, id);
  }

  // 3. The root filesystem. If it fails, the container never existed.
  try {
    c.GraphDriver = store.createRootfs(id, image, req.stage);
    c.Driver = c.GraphDriver.Name;
    saveContainer(p, c);
  } catch (e) {
    if (c.GraphDriver.Name) store.removeRootfs(id, c.GraphDriver); // the layers, if they were made
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }

  // 4. The volumes (stage 4): named ones made if missing, anonymous ones always, and the mount
  //    points recorded. If that fails, the container never existed either.
  if (mounts.length > 0) {
    try {
      createMounts(p, c, mounts);
    } catch (e) {
      store.removeRootfs(id, c.GraphDriver);
      rmSync(dir, { recursive: true, force: true });
      throw e;
    }
  }
  return c;
}
