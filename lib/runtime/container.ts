// The runtime's parent side: create, start, kill and delete ONE container from an OCI bundle,
// as runc's libcontainer does. It knows nothing of images, volumes, networks or Docker's records:
// everything arrives in config.json (spec.ts). Stage 1 notes, "a container is a bundle".
//
//   create ── spawn init in a new PID namespace, walk it through sync.ts, cgroup, hooks;
//             init waits on exec.fifo; state.json written
//   start  ── one byte into exec.fifo: init execve()s the user's command
//   kill   ── a signal to init (or, with --all, to every process in the cgroup)
//   delete ── kill what is left, remove the cgroup, run poststop hooks, remove the state
//
// `minidock-runtime` (cli.ts) calls these as separate processes, like runc; the engine calls
// them in one process (lib/container/monitor.ts) and keeps the ChildProcess to wait(2) for it.

import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { closeSync, constants, existsSync, mkdirSync, openSync, rmSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import type { Socket } from 'node:net';
import { constants as osConstants } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { EngineError, oneLine } from '../errors.js';
import { NotImplemented } from '../todo.js';
import { processStartTime, signalIfAlive } from '../proc.js';
import { programArgs } from '../program.js';
import { stageOn } from '../stage.js';
import { CLONE, S_IF } from '../sys/constants.js';
import type { Sys } from '../sys/sys.js';
import { phase, trace } from '../sys/trace.js';
import { defaultCgroupPath, openCgroup, type Cgroup } from './cgroups/index.js';
import { runHooks, runHooksWarning } from './hooks.js';
import { withDefaultDeviceRules } from './rootfs.js';
import { namespaceOf, OCI_VERSION, type Spec } from './spec.js';
import { checkId, execFifoPath, loadState, ociState, saveState, stateDir, statusOf, type OciState, type RuntimeState } from './state.js';
import { InitChannel } from './sync.js';

const INIT_JS = fileURLToPath(new URL('./init.js', import.meta.url));

export interface CreateOptions {
  /** where the runtime keeps state: /run/minidock/runtime (runc: /run/runc, or --root) */
  root: string;
  id: string;
  /** the bundle directory; a relative root.path is relative to it */
  bundle: string;
  spec: Spec;
  /** runc's --no-pivot */
  noPivot?: boolean;
  /** write init's PID here (runc's --pid-file; containerd reads it) */
  pidFile?: string;
  /** the container's stdin, stdout, stderr: inherited (the CLI), or pipes the engine reads */
  stdio: StdioOptions & unknown[];
  /** the engine's own createRuntime step, run in-process after config.json's hooks (its network) */
  onCreateRuntime?: (state: OciState) => void;
}

/** A container this process created: init is our child, so we can wait(2) for it. */
export interface Created {
  state: RuntimeState;
  child: ChildProcess;
  /** null below the course's stage 2 (no cgroups yet) */
  cgroup: Cgroup | null;
  /** process.terminal: the pty master, in this process (the host side of the container's terminal) */
  terminal?: number;
  /** resolves when init has execve()d (the sync socket closed without an error), after start() */
  execed: () => Promise<void>;
  /** resolves to the exit status, as a shell shows it (128 + signal number when killed) */
  exited: Promise<number>;
  /** stop listening to init (what `minidock-runtime create` does before it exits) */
  detach: () => void;
}

// #region create
export async function create(sys: Sys, opts: CreateOptions): Promise<Created> {
  const { root, id, spec } = opts;
  checkId(id);
  // the course's stage gate: a terminal (terminal.ts) is what a learner builds in stage 7
  if (spec.process.terminal && !stageOn(7)) throw new EngineError('process.terminal: a pseudo-terminal needs stage 7 (exec & lifecycle)');
  // 1. The state directory, exclusively: a second create with the same ID fails here.
  mkdirSync(root, { recursive: true, mode: 0o700 });
  try {
    mkdirSync(stateDir(root, id), { mode: 0o711 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new EngineError(`container with id exists: ${id}`);
    throw e;
  }
  const rootfs = path.resolve(opts.bundle, spec.root.path);
  const cgroupPath = cgroupsOn() ? spec.linux.cgroupsPath ?? defaultCgroupPath(id) : '';
  const cgroup = cgroupOf(cgroupPath);
  let child: ChildProcess | undefined;
  try {
    // 2. The exec fifo, where init will wait for `start`.
    sys.mknod(execFifoPath(root, id), S_IF.FIFO | 0o600, 0);
    // 3. The cgroup exists, with its limits, before init does: no user code ever runs unlimited.
    cgroup?.create();
    cgroup?.apply(withDefaultDeviceRules(spec.linux.resources ?? {}), sys);
    // 4. init, in the PID namespace config.json asks for.
    phase('runtime: exec fifo, cgroup with its limits');
    child = spawnInit(sys, root, id, spec, opts.stdio);
    const exited = waitForExit(child);
    // 5. The conversation of sync.ts, up to "ready".
    const { state, channel, terminal } = await handshake(sys, child, opts, rootfs, cgroupPath, cgroup);
    if (opts.pidFile) writeFileSync(opts.pidFile, String(state.pid));
    return { state, child, cgroup, terminal, exited, execed: () => awaitExec(channel), detach: () => channel.close() };
  } catch (e) {
    // undo in reverse: init (and anything it started), the cgroup, the state directory
    if (child?.pid) killQuietly(child.pid);
    if (child) await waitForExit(child);
    for (const pid of safe(() => cgroup?.procs() ?? [], [])) killQuietly(pid);
    safe(() => cgroup?.destroy(), undefined);
    rmSync(stateDir(root, id), { recursive: true, force: true });
    throw e;
  }
}
// #endregion

// #region spawn-init
/**
 * Spawn init inside a new PID namespace (or the one config.json names). unshare(CLONE_NEWPID)
 * does not move the caller: it sets the namespace its *next children* are born in
 * (/proc/self/ns/pid_for_children). So: open our own, unshare, spawn (init is PID 1 there), and
 * set pid_for_children back with setns(2).
 */
function spawnInit(sys: Sys, root: string, id: string, spec: Spec, stdio: unknown[]): ChildProcess {
  const pidNs = stageOn(1) ? namespaceOf(spec, 'pid') : undefined; // the course's stage 0: none (init.ts)
  const ours = openSync('/proc/self/ns/pid_for_children', 'r');
  // fd 4 of init: the exec fifo, open for reading and writing so that init's read blocks until
  // `start` writes (and never sees end-of-file)
  const fifo = openSync(execFifoPath(root, id), constants.O_RDWR);
  let moved = false;
  try {
    if (pidNs && !pidNs.path) {
      sys.unshare(CLONE.NEWPID);
      moved = true;
    } else if (pidNs?.path) {
      const fd = openSync(pidNs.path, 'r');
      try {
        sys.setns(fd, CLONE.NEWPID);
        moved = true;
      } finally {
        closeSync(fd);
      }
    }
    const args = programArgs(INIT_JS);
    trace(`$ node ${args.join(' ')}   # init, PID 1 of the new PID namespace`);
    const child = spawn(process.execPath, args, {
      // detached: init leads a session of its own (setsid), as runc's init does; a terminal's
      // Ctrl-C reaches the parent, which forwards it, instead of reaching init twice.
      detached: true,
      stdio: [...stdio.slice(0, 3), 'pipe', fifo] as StdioOptions,
      // A minimal environment: init needs nothing of ours but the trace switch and the course's
      // stage gate (NODE_EXTRA_CA_CERTS alone costs ~80 ms of start-up). The container's
      // environment travels in config.json.
      env: Object.fromEntries(['MINIDOCK_TRACE', 'MINIDOCK_STAGE'].filter((k) => process.env[k]).map((k) => [k, process.env[k]])),
    });
    if (child.pid === undefined) throw new EngineError(`cannot start init: ${process.execPath} ${INIT_JS}`);
    return child;
  } finally {
    if (moved) sys.setns(ours, CLONE.NEWPID);
    closeSync(ours);
    closeSync(fifo);
  }
}
// #endregion

// #region handshake
/** The parent's half of sync.ts's protocol, up to "ready". */
async function handshake(sys: Sys, child: ChildProcess, opts: CreateOptions, rootfs: string, cgroupPath: string, cgroup: Cgroup | null): Promise<{ state: RuntimeState; channel: InitChannel; terminal?: number }> {
  const { root, id, spec } = opts;
  const channel = new InitChannel(child.stdio[3] as Socket);
  channel.send({ type: 'bootstrap', bootstrap: { spec, rootfs, noPivot: opts.noPivot ?? false } });
  await channel.expect('created');
  phase('init started (Node, ffi-rs) and in its namespaces');
  const pid = child.pid!;
  // init exists and owns its namespaces: put it (every thread of it) in the container's cgroup
  cgroup?.addProcess(pid);
  const state: RuntimeState = {
    ociVersion: OCI_VERSION, id, pid, pidStartTime: processStartTime(pid) ?? '', bundle: path.resolve(opts.bundle), rootfs,
    created: new Date().toISOString(), cgroupPath, hooks: spec.hooks, annotations: spec.annotations,
  };
  // createRuntime hooks see the container as "creating": /proc/<pid>/ns/net is its network
  // namespace now, so this is where a network gets plugged in
  const creating = { ...ociState(root, state), status: 'creating' as never };
  runHooks('prestart', spec.hooks?.prestart, creating);
  runHooks('createRuntime', spec.hooks?.createRuntime, creating);
  opts.onCreateRuntime?.(creating);
  phase('cgroup joined, createRuntime hooks (the network)');
  channel.send({ type: 'configured' });
  // process.terminal: init made the terminal inside and tells its master's fd number; a copy here
  let terminal: number | undefined;
  if (spec.process.terminal) terminal = sys.pidfdGetfd(pid, (await channel.expect('pty')).fd);
  try {
    await channel.expect('ready');
  } catch (e) {
    if (terminal !== undefined) closeSync(terminal);
    throw e;
  }
  phase('init: mounts, /dev, pivot_root, hostname, ready');
  saveState(root, state);
  // keep listening: after start, init says 'exec' and the socket closes at execve
  return { state, channel, terminal };
}
// #endregion

/** After start(): 'exec', then EOF when execve closes fd 3 — or init's error. */
async function awaitExec(channel: InitChannel): Promise<void> {
  await channel.expect('exec');
  const last = await channel.nextWithin('execve');
  if (last?.type === 'error') throw new EngineError(last.message, last.exitCode);
  channel.close();
}

// #region start
/** Release a created container's init to execve(2): one byte into its exec fifo. */
export function start(root: string, id: string): OciState {
  const s = loadState(root, id);
  const status = statusOf(root, s);
  if (status !== 'created') throw new EngineError(`cannot start a container that has ${status === 'running' ? 'already started' : 'stopped'}`);
  let fd: number;
  try {
    // O_NONBLOCK: if init is gone, there is no reader and open fails (ENXIO) instead of waiting
    fd = openSync(execFifoPath(root, id), constants.O_WRONLY | constants.O_NONBLOCK);
  } catch (e) {
    throw new EngineError(`cannot start container ${id}: init is not waiting (${(e as NodeJS.ErrnoException).code})`);
  }
  trace(`$ echo 0 > ${execFifoPath(root, id)}   # start: init execs the command`);
  writeSync(fd, '0');
  closeSync(fd);
  unlinkSync(execFifoPath(root, id)); // no fifo = running (state.ts)
  runHooksWarning('poststart', s.hooks?.poststart, ociState(root, s));
  return ociState(root, s);
}
// #endregion

/** kill(2) the container's init, or with `all` every process in its cgroup. */
export function kill(root: string, id: string, signal: number, all = false): void {
  const s = loadState(root, id);
  if (statusOf(root, s) === 'stopped' && !all) throw new EngineError('container not running');
  const pids = all ? cgroupOf(s.cgroupPath)?.procs() ?? [s.pid] : [s.pid];
  for (const pid of pids) {
    trace(`$ kill -${signal} ${pid}`);
    signalIfAlive(pid, signal); // one that exited meanwhile is no error
  }
}

// #region delete
/**
 * Remove a container: kill what is left in its cgroup (with --pid host, PID 1's death does not
 * end the rest), remove the cgroup, run the poststop hooks, remove the state. A running one
 * needs `force`, as with runc; a created one is killed (it never ran anything of the user's).
 */
export function remove(root: string, id: string, force = false): void {
  if (force && !existsSync(path.join(stateDir(root, id), 'state.json')) && existsSync(stateDir(root, id))) {
    removeHalfCreated(root, id);
    return;
  }
  const s = loadState(root, id);
  const status = statusOf(root, s);
  if (status === 'running' && !force) throw new EngineError(`cannot delete container ${id} that is not stopped: running`);
  const cgroup = cgroupOf(s.cgroupPath);
  if (status !== 'stopped') killQuietly(s.pid);
  for (const pid of safe(() => cgroup?.procs() ?? [], [])) {
    trace(`$ kill -9 ${pid}   # left in the container's cgroup`);
    killQuietly(pid);
  }
  cgroup?.destroy();
  runHooksWarning('poststop', s.hooks?.poststop, { ...ociState(root, s), status: 'stopped' });
  rmSync(stateDir(root, id), { recursive: true, force: true });
}
// #endregion

/**
 * A container whose `create` was cut short (its parent killed before state.json was written):
 * init died with its parent (PDEATHSIG), the cgroup may remain at the default path, the state
 * directory remains. runc removes the directory the same way.
 */
function removeHalfCreated(root: string, id: string): void {
  trace(`remove half-created container ${id}`);
  const cgroup = cgroupsOn() ? cgroupOf(defaultCgroupPath(id)) : null;
  for (const pid of safe(() => cgroup?.procs() ?? [], [])) killQuietly(pid);
  safe(() => cgroup?.destroy(), undefined);
  rmSync(stateDir(root, id), { recursive: true, force: true });
}

/** The PIDs in the container's cgroup (runc ps). */
export function processes(root: string, id: string): number[] {
  const s = loadState(root, id);
  return cgroupOf(s.cgroupPath)?.procs() ?? (statusOf(root, s) === 'stopped' ? [] : [s.pid]);
}

/**
 * Whether the kernel's OOM killer killed a process of this container (read before delete). A
 * failure to read it is traced and taken as "no" — except a learner's unwritten exercise
 * (lib/todo.ts), which the caller must be able to report.
 */
export function oomKilled(root: string, id: string): boolean {
  try {
    return cgroupOf(loadState(root, id).cgroupPath)?.oomKilled() ?? false;
  } catch (e) {
    if (e instanceof NotImplemented) throw e;
    trace(`cleanup step failed: ${oneLine(e)}`);
    return false;
  }
}

/**
 * The course's stage gate (MINIDOCK_STAGE, lib/stage.ts): below stage 2 this runtime has no
 * cgroup step yet — that is what a learner writes in stage 2. Outside the course it is always on.
 */
function cgroupsOn(): boolean {
  return stageOn(2);
}

/** The cgroup at `cgroupPath`, or null when the container has none ("" in state.json). */
function cgroupOf(cgroupPath: string): Cgroup | null {
  return cgroupPath ? openCgroup(cgroupPath) : null;
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // gone already
  }
}

function safe<T>(f: () => T, fallback: T): T {
  try {
    return f();
  } catch (e) {
    trace(`cleanup step failed: ${oneLine(e)}`);
    return fallback;
  }
}

/** The exit status as a shell reports it: the code, or 128 + the signal number. */
export function waitForExit(child: ChildProcess): Promise<number> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  if (child.signalCode !== null) return Promise.resolve(128 + osConstants.signals[child.signalCode]);
  return new Promise((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? 128 + (signal ? osConstants.signals[signal] : 0)));
  });
}
