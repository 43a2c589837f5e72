// The monitor: the engine's side of one running container, the host-side parent of its init.
// Docker's shim does this job. wait(2); stage 1 notes (process model), stage 7 (shim).
//
// It prepares the bundle, has the runtime (lib/runtime/container.ts, called as a library: no
// extra process) create and start the container, plugs the network in at the runtime's
// createRuntime step, records the state, and waits for the container's PID 1 to exit to record
// its status. A foreground `minidock run` is its own monitor; a detached one (`run -d`) hands
// the job to a shim process (lib/container/shim.ts).

import { existsSync } from 'node:fs';
import { EngineError, oneLine } from '../errors.js';
import type { Paths } from '../paths.js';
import { processStartTime } from '../proc.js';
import * as runtime from '../runtime/container.js';
import { secureJoin } from '../runtime/rootfs.js';
import { realSys, type Sys } from '../sys/index.js';
import { phase, trace } from '../sys/trace.js';
import { mountRootfs } from '../storage/index.js';
import { copyDataIfEmpty } from '../volumes/copydata.js';
import { volumeMounts } from '../volumes/plan.js';
import { buildSpec, writeBundle } from './bundle.js';
import { plugIn } from './network.js';
import { logPath } from './logs.js';
import { logWriter, rotationOf } from './logrotate.js';
import { setWindowSize } from '../runtime/terminal.js';
import type { AttachServer, WindowSize } from './attach-server.js';
import { relayMaster, relayPipes } from './shim-io.js';
import { proxySignals, toProcess } from './sig-proxy.js';
import { cleanUp, removeContainerFiles } from './remove.js';
import { containerLock, loadContainer, loadHostConfig, saveContainer, ZERO_TIME, type Container, type State } from './state.js';

export interface MonitorOptions {
  /** 'terminal': the container shares our stdout/stderr (foreground); 'log': json-file log (-d). */
  output: 'terminal' | 'log';
  /** -i: keep the container's stdin open to ours */
  stdin: boolean;
  /** told once: the user's command is running (null) or the start failed */
  onStart?: (err: EngineError | null, c?: Container) => void;
  /** 'log': the clients attached to the container (the shim's attach socket) */
  attach?: AttachServer;
  /** -t: the size of the terminal the container starts with (the cli's own) */
  windowSize?: WindowSize;
  /** 'terminal': pass the signals we get on to PID 1 (--sig-proxy, sig-proxy.ts; on unless false) */
  sigProxy?: boolean;
}

// #region run-container
/** Start the container and wait for it to exit. Resolves to its exit status. */
export async function runContainer(p: Paths, id: string, opts: MonitorOptions): Promise<number> {
  const c = loadContainer(p, id);
  const hc = loadHostConfig(p, id);
  const stage = c.Minidock.Stage;
  const root = p.runtimeRoot;
  const sys = await realSys();
  phase('ffi-rs loaded (the system-call layer)');
  // From here this process is the container's monitor: a verb that finds it dead reconciles.
  updateState(p, id, {}, { MonitorPid: process.pid });

  // 1. The bundle: the root filesystem mounted on the host (as Docker's daemon mounts it before
  //    it calls the runtime), volumes filled from the image (copyData), config.json written.
  // 2. The runtime creates the container; our network goes in at its createRuntime step.
  let created: runtime.Created;
  try {
    const rootfs = mountRootfs(p, c.GraphDriver, sys);
    fillNewVolumes(sys, c, rootfs);
    phase('rootfs mounted on the host (overlay), volumes filled');
    const spec = buildSpec(p, c, hc, stage, rootfs);
    const bundle = writeBundle(p, id, spec);
    phase('bundle: config.json and the /etc files written');
    created = await runtime.create(sys, {
      root, id, bundle, spec,
      stdio: containerStdio(c, opts),
      onCreateRuntime: stage >= 5 ? (state) => plugIn(p, id, state.pid) : undefined,
    });
  } catch (e) {
    cleanUp(p, sys, c, { runtime: false });
    return failStart(p, sys, id, e, opts);
  }
  const { child } = created;
  const stopForwarding = opts.output === 'terminal' && opts.sigProxy !== false ? proxySignals(toProcess(child.pid!)) : () => {};
  const logged: Promise<void>[] = [];
  if (opts.output === 'log') {
    // the shim's copies: to the log and the attached clients (shim-io.ts); one log writer for
    // every stream, so that it counts the live file's size for --log-opt max-size
    const file = logWriter(logPath(p.container(id), id), rotationOf(hc.LogConfig?.Config ?? {}));
    if (created.terminal !== undefined) {
      if (opts.windowSize) setWindowSize(sys, created.terminal, opts.windowSize); // before the command's first step
      logged.push(relayMaster(sys, created.terminal, c.Config.OpenStdin, file, opts.attach));
    } else logged.push(...relayPipes(child.stdout!, child.stderr!, child.stdin, file, opts.attach));
  }

  // 3. Start: init execve()s the user's command.
  try {
    runtime.start(root, id);
    await created.execed();
    phase('start: exec fifo → execve');
  } catch (e) {
    child.kill('SIGKILL');
    await created.exited;
    stopForwarding();
    await Promise.all(logged);
    cleanUp(p, sys, c, { runtime: true });
    return failStart(p, sys, id, e, opts);
  }

  const running = updateState(p, id, {
    Status: 'running', Running: true, Pid: child.pid!, ExitCode: 0, Error: '', StartedAt: new Date().toISOString(), FinishedAt: '0001-01-01T00:00:00Z',
  }, { InitStartTime: processStartTime(child.pid!) ?? '', MonitorPid: process.pid });
  opts.onStart?.(null, running ?? undefined);

  // 4. Wait for PID 1, then undo, each step on its own: one that fails must not keep the
  //    others, or the exit record, from happening (`rm` repeats them all later).
  const status = await created.exited;
  phase('the container ran');
  stopForwarding();
  await Promise.all(logged); // the last lines reach the log before the exit is recorded
  // State.Error says why OOMKilled could not be read (a learner's unwritten stage-2 exercise).
  let oomKilled = false;
  let exitError = '';
  try {
    oomKilled = runtime.oomKilled(root, id);
  } catch (e) {
    exitError = `reading the OOM kill: ${oneLine(e)}`;
  }
  cleanUp(p, sys, c, { runtime: true });
  phase('cleanup: cgroup, network, rootfs mount, bundle');
  updateState(p, id, { Status: 'exited', Running: false, Pid: 0, ExitCode: status, OOMKilled: oomKilled, Error: exitError, FinishedAt: new Date().toISOString() });
  trace(`container ${id.slice(0, 12)} exited with status ${status}${oomKilled ? ' (OOM killed)' : ''}`);
  if (hc.AutoRemove) removeContainerFiles(p, sys, id, false, true); // cleaned up just above
  phase('exit recorded' + (hc.AutoRemove ? ', container removed (--rm)' : ''));
  return status;
}
// #endregion

/** docker's copyData: a new, empty volume over an image directory starts as a copy of it. */
function fillNewVolumes(sys: Sys, c: Container, rootfs: string): void {
  for (const m of volumeMounts(c.MountPoints ?? {}, c.State.StartedAt === ZERO_TIME)) {
    if (m.copyData) copyDataIfEmpty(secureJoin(rootfs, m.target), m.source, sys);
  }
}

/** Run a cleanup step; a failure is traced, not thrown. */
function attempt(step: () => unknown): void {
  attemptValue(step, undefined);
}

function attemptValue<T>(step: () => T, fallback: T): T {
  try {
    return step();
  } catch (e) {
    trace(`cleanup step failed: ${oneLine(e)}`);
    return fallback;
  }
}

/**
 * The container's stdin, stdout, stderr as the runtime passes them to init. Foreground: ours.
 * Detached: pipes the shim reads (stdin only with -i, written by attached clients) — or, with
 * -t, none: init makes the terminal inside and the shim holds its master (shim-io.ts).
 */
function containerStdio(c: Container, opts: MonitorOptions): ('inherit' | 'ignore' | 'pipe')[] {
  if (opts.output === 'terminal') return [opts.stdin ? 'inherit' : 'ignore', 'inherit', 'inherit'];
  if (c.Config.Tty) return ['ignore', 'ignore', 'ignore'];
  return [c.Config.OpenStdin && opts.attach ? 'pipe' : 'ignore', 'pipe', 'pipe'];
}

/** Change the record under the container's lock; one that `rm -f` removed meanwhile stays removed. */
function updateState(p: Paths, id: string, patch: Partial<State>, minidock: Partial<Container['Minidock']> = {}): Container | null {
  return containerLock(p, id, () => {
    if (!existsSync(p.container(id))) return null;
    const c = loadContainer(p, id);
    c.State = { ...c.State, ...patch };
    c.Minidock = { ...c.Minidock, ...minidock };
    saveContainer(p, c);
    return c;
  });
}

/** A start that failed: the container stays "created" with the error, as docker leaves it. */
function failStart(p: Paths, sys: Sys, id: string, e: unknown, opts: MonitorOptions): number {
  const err = e instanceof EngineError ? e : new EngineError(oneLine(e));
  // the failure is recorded, and nothing is left to watch: no monitor for reconcile.ts to miss
  updateState(p, id, { Status: 'created', Running: false, Pid: 0, ExitCode: err.exitCode, Error: err.message }, { MonitorPid: 0 });
  if (loadHostConfig(p, id).AutoRemove) removeContainerFiles(p, sys, id);
  opts.onStart?.(err);
  throw err;
}

