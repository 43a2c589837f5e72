// A container's life after `run`: stop, kill, rm, and (stage 7) start, restart, wait, pause,
// unpause, top. kill(2), signal(7), pid_namespaces(7). Stage 7 notes, "the states".
//
// The signals go to the container's PID 1 from the host. Inside its PID namespace, PID 1 is
// protected: the kernel drops signals it has no handler for, except SIGKILL and SIGSTOP sent
// from an ancestor namespace (pid_namespaces(7)). That is why `stop` on `sleep 1000` waits the
// whole timeout and then needs SIGKILL (exit status 137), as it does with docker.
//
//   created ──start──▶ running ──pause──▶ paused ──unpause──▶ running
//      ▲                  │  ▲                                  │
//      │       exit/stop/kill  └──────────start/restart─────────┤
//   create               ▼                                      ▼
//                      exited ──────────────rm──────────────▶ (gone)

import { constants as osConstants } from 'node:os';
import { EngineError } from '../errors.js';
import type { Paths } from '../paths.js';
import { stageOn } from '../stage.js';
import { trace } from '../sys/trace.js';
import { existsSync, watch, type FSWatcher } from 'node:fs';
import { processes } from '../runtime/container.js';
import { pause } from '../runtime/pause.js';
import { sh } from '../sys/exec.js';
import { realSys, type Sys } from '../sys/index.js';
import { reconcile } from './reconcile.js';
import { removeContainerFiles } from './remove.js';
import { startDetached, type ShimOptions } from './shim.js';
import { signalIfAlive } from '../proc.js';
import { containerLock, findContainer, initAlive, loadContainer, loadIfThere, saveContainer, type Container, type State } from './state.js';

export function signalNumber(name: string): number {
  const upper = name.toUpperCase();
  if (/^\d+$/.test(upper)) return Number(upper);
  const n = osConstants.signals[(upper.startsWith('SIG') ? upper : `SIG${upper}`) as NodeJS.Signals];
  if (n === undefined) throw new EngineError(`invalid signal: ${name}`);
  return n;
}

function isRunning(c: Container): boolean {
  return c.State.Running && initAlive(c);
}

/** Send a signal to the container's PID 1, as the host sees it. */
function signal(c: Container, sig: number): void {
  trace(`$ kill -${sig} ${c.State.Pid}   # PID 1 of container ${c.ID.slice(0, 12)}`);
  signalIfAlive(c.State.Pid, sig); // it may have exited between our look and our signal
}

/**
 * Wait until the container's monitor has recorded the exit — or, when the monitor is gone too,
 * record it ourselves (reconcile.ts). After a SIGKILL we sent, the status is certain: 137. After
 * a SIGTERM it is not (a handler may have exited 0), so it stays unknown.
 * A container removed meanwhile (--rm) is stopped too.
 */
async function waitStopped(p: Paths, sys: Sys, id: string, timeoutMs: number, sent: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    // watch before looking: a record written between the look and the wait is not missed
    const change = nextChange(p.container(id), MONITOR_SILENT_MS);
    try {
      const record = loadIfThere(p, id);
      if (record === undefined) return true;
      const c = reconcile(p, sys, record, sent === osConstants.signals.SIGKILL ? sent : undefined);
      if (!c.State.Running) return true;
      if (Date.now() > deadline) return false;
      await change.happened;
    } finally {
      change.close();
    }
  }
}

/** How long to wait for a word from a monitor before looking whether it died (reconcile.ts). */
const MONITOR_SILENT_MS = 250;

/**
 * The next change in the container's state directory: the monitor records the exit by renaming
 * a new config.v2.json into it (`--rm` removes the directory), and inotify(7), through fs.watch,
 * says so the moment it happens, so nobody asks every few milliseconds. After `ms` without a
 * change it resolves anyway: a monitor that died writes nothing, and the next look records it.
 */
function nextChange(dir: string, ms: number): { happened: Promise<void>; close: () => void } {
  let watcher: FSWatcher | undefined;
  let timer: NodeJS.Timeout | undefined;
  const happened = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
    try {
      watcher = watch(dir, () => resolve());
      watcher.on('error', () => resolve()); // the directory went (rm): look again
    } catch {
      resolve(); // gone already
    }
  });
  return { happened, close: () => { clearTimeout(timer); watcher?.close(); } };
}

export function killContainer(p: Paths, ref: string, sig = 'KILL'): Container {
  const c = findContainer(p, ref);
  const n = signalNumber(sig);
  if (!isRunning(c)) throw new EngineError(`cannot kill container: ${ref}: container ${c.ID} is not running`, 1);
  markStopped(p, c.ID, true);
  signal(c, n);
  return c;
}

// #region stop
/**
 * docker stop: the stop signal (-s, else --stop-signal / the image's STOPSIGNAL, else SIGTERM),
 * wait up to the timeout (-t, else --stop-timeout, else 10 s), then SIGKILL.
 */
export async function stopContainer(p: Paths, ref: string, timeoutSec?: number, sigName?: string): Promise<Container> {
  const c = findContainer(p, ref);
  // a restart policy must not bring it back — also when it is between two runs right now
  markStopped(p, c.ID, true);
  if (!isRunning(c)) return c; // stopping a stopped container is not an error
  const sys = await realSys();
  const { SIGKILL } = osConstants.signals;
  const sent = signalNumber(sigName ?? c.Config.StopSignal ?? 'SIGTERM');
  const timeout = timeoutSec ?? c.Config.StopTimeout ?? 10;
  thawIfPaused(p, c); // a frozen process cannot act on the signal
  if (!stageOn(7)) {
    // The course's stage gate (lib/stage.ts): the stop signal and its timeout are stage 7's
    // (below it, stop is `kill -9` and a wait)
    signal(c, SIGKILL);
    if (!(await waitStopped(p, sys, c.ID, 10_000, SIGKILL))) throw new EngineError(`container ${ref} did not stop after SIGKILL`);
    return loadIfThere(p, c.ID) ?? c; // --rm may have taken it
  }
  // #region exercise 7.stop
  // The stop signal first: PID 1 may clean up and exit. A PID 1 without a handler for it never
  // sees it (the kernel drops it), so after the timeout comes SIGKILL, which nothing ignores.
  signal(c, sent);
  if (!(await waitStopped(p, sys, c.ID, timeout * 1000, sent))) {
    signal(c, SIGKILL);
    if (!(await waitStopped(p, sys, c.ID, 10_000, SIGKILL))) throw new EngineError(`container ${ref} did not stop after SIGKILL`);
  }
  // #endregion
  return loadIfThere(p, c.ID) ?? c; // --rm may have taken it
}
// #endregion

/** docker rm [-f] [-v]: a running container needs -f, which kills it first; -v takes its anonymous volumes. */
export async function removeContainer(p: Paths, ref: string, force: boolean, removeVolumes = false): Promise<void> {
  const c = findContainer(p, ref);
  const sys = await realSys();
  if (isRunning(c)) {
    if (!force) {
      throw new EngineError(`cannot remove container "${c.Name}": container is running: stop the container before removing or force remove`, 1);
    }
    thawIfPaused(p, c);
    signal(c, osConstants.signals.SIGKILL);
    if (!(await waitStopped(p, sys, c.ID, 10_000, osConstants.signals.SIGKILL))) throw new EngineError(`container ${ref} did not stop after SIGKILL`, 1);
  }
  // with --rm, the monitor may be removing it right now: removal is locked and idempotent
  removeContainerFiles(p, sys, c.ID, removeVolumes);
}

/** docker's HasBeenManuallyStopped: set by stop and kill, cleared by start (restart.ts reads it). */
function markStopped(p: Paths, id: string, stopped: boolean): void {
  containerLock(p, id, () => {
    if (!existsSync(p.container(id))) return;
    const c = loadContainer(p, id);
    if (!!c.HasBeenManuallyStopped === stopped) return;
    c.HasBeenManuallyStopped = stopped;
    saveContainer(p, c);
  });
}

/** Change a container's State under its lock (a container removed meanwhile stays removed). */
function setState(p: Paths, id: string, patch: Partial<State>): Container | null {
  return containerLock(p, id, () => {
    if (!existsSync(p.container(id))) return null;
    const c = loadContainer(p, id);
    c.State = { ...c.State, ...patch };
    saveContainer(p, c);
    return c;
  });
}

// #region pause
/** docker pause / unpause: freeze or thaw every process in the container's cgroup. */
export function pauseContainer(p: Paths, ref: string, on: boolean): Container {
  const c = findContainer(p, ref);
  if (!isRunning(c)) throw new EngineError(`container ${c.ID} is not running`, 1);
  if (on && c.State.Paused) throw new EngineError(`container ${c.ID} is already paused`, 1);
  if (!on && !c.State.Paused) throw new EngineError(`container ${c.ID} is not paused`, 1);
  pause(p.runtimeRoot, c.ID, on);
  return setState(p, c.ID, { Paused: on, Status: on ? 'paused' : 'running' }) ?? c;
}
// #endregion

function thawIfPaused(p: Paths, c: Container): void {
  if (!c.State.Paused) return;
  try {
    pause(p.runtimeRoot, c.ID, false);
  } catch (e) {
    trace(`thaw before stop: ${(e as Error).message}`);
  }
  setState(p, c.ID, { Paused: false, Status: 'running' });
}

// #region start
/**
 * docker start: a created or exited container runs again — same ID, same rw layer, same log —
 * with a new shim as its parent. Starting a running one is not an error.
 */
export async function startContainer(p: Paths, ref: string, opts: ShimOptions = {}): Promise<Container> {
  const c = findContainer(p, ref);
  if (isRunning(c)) return c;
  markStopped(p, c.ID, false);
  if (c.State.Status === 'removing' || c.State.Dead) throw new EngineError(`container ${c.ID} cannot be started: it is ${c.State.Status}`, 1);
  await startDetached(p, c.ID, opts); // start -a: opts.hold keeps the first output for the client
  return loadContainer(p, c.ID);
}
// #endregion

/** docker restart: stop (with its timeout and signal rules), then start. */
export async function restartContainer(p: Paths, ref: string, timeoutSec?: number, sigName?: string): Promise<Container> {
  const c = await stopContainer(p, ref, timeoutSec, sigName);
  if (!existsSync(p.container(c.ID))) throw new EngineError(`no such container: ${ref}`, 1); // --rm took it
  return startContainer(p, c.ID);
}

/** docker wait: block until the container is not running; its exit status. */
export async function waitContainer(p: Paths, ref: string): Promise<number> {
  const { ID } = findContainer(p, ref);
  const sys = await realSys();
  for (;;) {
    if (!existsSync(p.container(ID))) throw new EngineError(`no such container: ${ref}`, 1);
    const c = reconcile(p, sys, loadContainer(p, ID));
    if (!c.State.Running) return c.State.ExitCode;
    await new Promise((r) => setTimeout(r, 100));
  }
}

// #region top
/**
 * docker top: `ps` on the host (default -ef), keeping the header and the rows whose PID is in
 * the container's cgroup — the PIDs the host sees, not the container's own numbering.
 */
export function topContainer(p: Paths, ref: string, psArgs: string[] = ['-ef']): string {
  const c = findContainer(p, ref);
  if (!isRunning(c)) throw new EngineError(`container ${c.ID} is not running`, 1);
  const pids = new Set(processes(p.runtimeRoot, c.ID));
  return filterPs(sh('ps', psArgs).stdout, pids);
}

/** The header of ps's output and the rows whose PID column names one of `pids`. */
export function filterPs(output: string, pids: ReadonlySet<number>): string {
  const [header, ...rows] = output.split('\n').filter((l) => l.trim() !== '');
  const column = header.trim().split(/\s+/).indexOf('PID');
  if (column === -1) throw new EngineError(`ps output has no PID column: ${header.trim()}`, 1);
  return [header, ...rows.filter((r) => pids.has(Number(r.trim().split(/\s+/)[column])))].join('\n') + '\n';
}
// #endregion
