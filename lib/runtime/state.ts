// The runtime's record of one container: <root>/<id>/state.json (root: /run/minidock/runtime,
// or --root). runtime-spec runtime.md, "State"; runc keeps its own under /run/runc/<id>.
//
// Only what cannot be asked of the kernel is written down: the PID, when that process started
// (a PID the kernel hands out again must not be mistaken for our container), the bundle, the
// cgroup. The status is not stored at all; it is read off the world each time, as runc does:
//   stopped   init's PID is gone, a zombie, or another process now
//   created   init is alive and still waits on exec.fifo
//   running   init is alive and exec.fifo is gone (`start` removed it)

import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { writeJsonAtomic } from '../atomic.js';
import { EngineError } from '../errors.js';
import { isZombie, pidAlive, processStartTime } from '../proc.js';
import type { Hooks } from './spec.js';

export type Status = 'created' | 'running' | 'stopped';

// #region runtime-state
export interface RuntimeState {
  ociVersion: string;
  id: string;
  /** init's PID on the host (after `start`: the user's command, same PID) */
  pid: number;
  /** /proc/<pid>/stat's start time of that process */
  pidStartTime: string;
  /** the bundle directory, and root.path made absolute */
  bundle: string;
  rootfs: string;
  /** when `create` finished, RFC 3339 */
  created: string;
  /** the cgroup path under each hierarchy (linux.cgroupsPath, or minidock/<id>); "" for none */
  cgroupPath: string;
  /** kept for `start` (poststart) and `delete` (poststop) */
  hooks?: Hooks;
  annotations?: Record<string, string>;
}
// #endregion

/** What `state` prints: the spec's state object, with runc's extra fields. */
export interface OciState {
  ociVersion: string;
  id: string;
  pid: number;
  status: Status;
  bundle: string;
  rootfs: string;
  created: string;
  owner: string;
  annotations?: Record<string, string>;
}

/** runc's rule for container IDs: they become directory and cgroup names. */
const ID = /^[\w+\-.]+$/;

export function checkId(id: string): void {
  if (!ID.test(id) || id === '.' || id === '..' || id.length > 1024) throw new EngineError(`invalid container id format: ${id}`);
}

export const stateDir = (root: string, id: string) => path.join(root, id);
export const execFifoPath = (root: string, id: string) => path.join(root, id, 'exec.fifo');

export function saveState(root: string, s: RuntimeState): void {
  writeJsonAtomic(path.join(stateDir(root, s.id), 'state.json'), s, 0o600);
}

/** The state of container `id`, or runc's message when there is none. */
export function loadState(root: string, id: string): RuntimeState {
  checkId(id);
  try {
    return JSON.parse(readFileSync(path.join(stateDir(root, id), 'state.json'), 'utf8')) as RuntimeState;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new EngineError(`container does not exist: ${id}`);
    throw e;
  }
}

/** The IDs under `root` that have a state.json (half-created ones have none yet). */
export function listIds(root: string): string[] {
  try {
    return readdirSync(root).filter((id) => existsSync(path.join(root, id, 'state.json'))).sort();
  } catch {
    return [];
  }
}

// #region status
export function statusOf(root: string, s: RuntimeState): Status {
  if (!pidAlive(s.pid) || processStartTime(s.pid) !== s.pidStartTime || isZombie(s.pid)) return 'stopped';
  return existsSync(execFifoPath(root, s.id)) ? 'created' : 'running';
}
// #endregion

export function ociState(root: string, s: RuntimeState): OciState {
  const status = statusOf(root, s);
  return {
    ociVersion: s.ociVersion, id: s.id, pid: status === 'stopped' ? 0 : s.pid, status, bundle: s.bundle,
    rootfs: s.rootfs, created: s.created, owner: '', ...(s.annotations ? { annotations: s.annotations } : {}),
  };
}
