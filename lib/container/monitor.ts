// The monitor: the host-side parent of one container's init. Docker calls it the shim.
// clone(2)/unshare(2) CLONE_NEWPID, wait(2); stage 1 notes (process model), stage 7 (shim).
//
// It creates the PID namespace, spawns init into it, walks init through the sync protocol
// (lib/sync.ts) while it places init in its cgroup, records the state, and waits for the
// container's PID 1 to exit to record its status. A foreground `minidock run` is its own
// monitor; a detached one (`run -d`) hands the job to a shim process (lib/container/shim.ts).

import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { Socket } from 'node:net';
import { openCgroup, type Cgroup } from '../cgroups/index.js';
import { EngineError, oneLine } from '../errors.js';
import type { Paths } from '../paths.js';
import { processStartTime } from '../proc.js';
import { CLONE } from '../sys/constants.js';
import { realSys, type Sys } from '../sys/index.js';
import { trace } from '../sys/trace.js';
import { encode, LineDecoder, type HostMessage, type InitMessage, type InitSpec } from '../sync.js';
import { plugIn, unplug } from './network.js';
import { logPath, pipeToLog } from './logs.js';
import { killRemaining, removeContainerFiles } from './remove.js';
import { buildSpec, resourcesOf } from './spec.js';
import { loadContainer, loadHostConfig, saveContainer, type Container, type State } from './state.js';

const INIT_JS = fileURLToPath(new URL('../init.js', import.meta.url));
/** How long init may take for one step of the handshake before the start is abandoned. */
const INIT_TIMEOUT_MS = 30_000;

export interface MonitorOptions {
  /** 'terminal': the container shares our stdout/stderr (foreground); 'log': json-file log (-d). */
  output: 'terminal' | 'log';
  /** -i: keep the container's stdin open to ours */
  stdin: boolean;
  /** told once: the user's command is running (null) or the start failed */
  onStart?: (err: EngineError | null, c?: Container) => void;
}

/** Start the container and wait for it to exit. Resolves to its exit status. */
export async function runContainer(p: Paths, id: string, opts: MonitorOptions): Promise<number> {
  const c = loadContainer(p, id);
  const hc = loadHostConfig(p, id);
  const stage = c.Minidock.Stage;

  // The cgroup exists, with its limits, before init does: no user code ever runs unlimited.
  const cgroup = stage >= 2 ? openCgroup(id) : null;
  let child: ChildProcess;
  let spec: InitSpec;
  try {
    const sys = await realSys();
    spec = buildSpec(p, c, hc, stage);
    cgroup?.create();
    cgroup?.apply(resourcesOf(hc));
    child = spawnInit(sys, spec, opts);
  } catch (e) {
    attempt(() => cgroup?.destroy());
    return failStart(p, id, e, opts);
  }
  const exited = waitForExit(child);
  const stopForwarding = opts.output === 'terminal' ? forwardSignals(child) : () => {};
  const logged: Promise<void>[] = [];
  if (opts.output === 'log') {
    const file = logPath(p.container(id), id);
    logged.push(pipeToLog(child.stdout!, file, 'stdout'), pipeToLog(child.stderr!, file, 'stderr'));
  }

  // stage 5: the network is plugged in while init waits; unplugged when the container is done
  const network = stage >= 5 ? (pid: number) => plugIn(p, id, pid) : null;
  try {
    await handshake(child, spec, cgroup, network);
  } catch (e) {
    child.kill('SIGKILL');
    await exited;
    stopForwarding();
    attempt(() => killRemaining(cgroup));
    await Promise.all(logged);
    attempt(() => cgroup?.destroy());
    if (stage >= 5) attempt(() => unplug(p, id));
    return failStart(p, id, e, opts);
  }

  const running = updateState(p, id, {
    Status: 'running', Running: true, Pid: child.pid!, ExitCode: 0, Error: '', StartedAt: new Date().toISOString(), FinishedAt: '0001-01-01T00:00:00Z',
  }, { InitStartTime: processStartTime(child.pid!) ?? '', MonitorPid: process.pid });
  opts.onStart?.(null, running);

  const status = await exited;
  stopForwarding();
  // Each cleanup step on its own: one that fails must not keep the others, or the exit record,
  // from happening (`rm` repeats them all later).
  attempt(() => killRemaining(cgroup)); // with --pid host, PID 1's death does not end the rest
  await Promise.all(logged); // the last lines reach the log before the exit is recorded
  const oomKilled = attemptValue(() => cgroup?.oomKilled() ?? false, false);
  attempt(() => cgroup?.destroy()); // docker removes a container's cgroup when it stops
  if (stage >= 5) attempt(() => unplug(p, id)); // and its veth, address, DNAT rules
  updateState(p, id, { Status: 'exited', Running: false, Pid: 0, ExitCode: status, OOMKilled: oomKilled, FinishedAt: new Date().toISOString() });
  trace(`container ${id.slice(0, 12)} exited with status ${status}${oomKilled ? ' (OOM killed)' : ''}`);
  if (hc.AutoRemove) removeContainerFiles(p, loadContainer(p, id));
  return status;
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

// #region spawn-init
/**
 * Spawn init inside a new PID namespace. unshare(CLONE_NEWPID) does not move the caller: it
 * sets the namespace its *next children* are born in (/proc/self/ns/pid_for_children). So: open
 * our own, unshare, spawn (init is PID 1 there), and set pid_for_children back with setns(2).
 */
function spawnInit(sys: Sys, spec: InitSpec, opts: MonitorOptions): ChildProcess {
  const ours = openSync('/proc/self/ns/pid_for_children', 'r');
  let moved = false;
  try {
    if (spec.unshare.includes('pid')) {
      sys.unshare(CLONE.NEWPID);
      moved = true;
    } else if (spec.join.pid) {
      const fd = openSync(spec.join.pid, 'r');
      try {
        sys.setns(fd, CLONE.NEWPID);
        moved = true;
      } finally {
        closeSync(fd);
      }
    }
    trace(`$ node ${INIT_JS}   # init, PID 1 of the new PID namespace`);
    const child = spawn(process.execPath, [INIT_JS], {
      // detached: init leads a session of its own (setsid), as runc's init does; the terminal's
      // Ctrl-C reaches us and we forward it, instead of reaching init twice.
      detached: true,
      stdio: opts.output === 'terminal' ? [opts.stdin ? 'inherit' : 'ignore', 'inherit', 'inherit', 'pipe'] : ['ignore', 'pipe', 'pipe', 'pipe'],
      // A minimal environment: init needs nothing of ours (and NODE_EXTRA_CA_CERTS alone costs
      // ~80 ms of start-up). The container's environment travels in the spec.
      env: process.env.MINIDOCK_TRACE ? { MINIDOCK_TRACE: process.env.MINIDOCK_TRACE } : {},
    });
    if (child.pid === undefined) throw new EngineError(`cannot start init: ${process.execPath} ${INIT_JS}`);
    return child;
  } finally {
    if (moved) sys.setns(ours, CLONE.NEWPID);
    closeSync(ours);
  }
}
// #endregion

// #region handshake
/** The host's half of lib/sync.ts's protocol. */
async function handshake(child: ChildProcess, spec: InitSpec, cgroup: Cgroup | null, network: ((pid: number) => void) | null): Promise<void> {
  const channel = new InitChannel(child.stdio[3] as Socket);
  channel.send({ type: 'bootstrap', spec });
  await channel.expect('created');
  // init exists and owns its namespaces: put it (every thread of it) in the container's cgroup
  cgroup?.addProcess(child.pid!);
  // and plug in its network (stage 5): /proc/<pid>/ns/net is its new network namespace
  network?.(child.pid!);
  channel.send({ type: 'configured' });
  await channel.expect('exec');
  // execve succeeded when the sync socket closes (close-on-exec) without an error first
  const last = await channel.nextWithin('execve');
  if (last?.type === 'error') throw new EngineError(last.message, last.exitCode);
  channel.close();
}
// #endregion

class InitChannel {
  private queue: (InitMessage | null)[] = [];
  private waiting: ((m: InitMessage | null) => void) | null = null;
  private decoder = new LineDecoder<InitMessage>();

  constructor(private readonly socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.decoder.push(chunk).forEach((m) => this.deliver(m)));
    socket.on('end', () => this.deliver(null));
    socket.on('close', () => this.deliver(null));
    socket.on('error', () => this.deliver(null));
  }

  private deliver(m: InitMessage | null): void {
    if (this.waiting) {
      const w = this.waiting;
      this.waiting = null;
      w(m);
    } else this.queue.push(m);
  }

  send(m: HostMessage): void {
    this.socket.write(encode(m));
  }

  next(): Promise<InitMessage | null> {
    if (this.queue.length > 0) return Promise.resolve(this.queue.shift()!);
    return new Promise((resolve) => (this.waiting = resolve));
  }

  /** The next message, or an error if init says nothing for too long (it hangs, or is stopped). */
  async nextWithin(what: string, ms = INIT_TIMEOUT_MS): Promise<InitMessage | null> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), ms)));
    const m = await Promise.race([this.next(), late]);
    clearTimeout(timer);
    if (m === 'late') throw new EngineError(`init did not reach '${what}' within ${ms / 1000} s`);
    return m;
  }

  async expect(type: InitMessage['type']): Promise<void> {
    const m = await this.nextWithin(type);
    if (m === null) throw new EngineError(`init exited before '${type}'`);
    if (m.type === 'error') throw new EngineError(m.message, m.exitCode);
    if (m.type !== type) throw new EngineError(`sync: expected '${type}' from init, got '${m.type}'`);
  }

  close(): void {
    this.socket.destroy();
  }
}

/** The exit status as a shell reports it: the code, or 128 + the signal number. */
function waitForExit(child: ChildProcess): Promise<number> {
  return new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      resolve(code ?? 128 + (signal ? osConstants.signals[signal] : 0));
    });
  });
}

/** docker run's --sig-proxy: signals sent to the foreground `minidock run` go to the container. */
function forwardSignals(child: ChildProcess): () => void {
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'];
  const handlers = signals.map((sig) => {
    const h = () => {
      try {
        process.kill(child.pid!, sig);
      } catch {
        // already gone
      }
    };
    process.on(sig, h);
    return [sig, h] as const;
  });
  return () => handlers.forEach(([sig, h]) => process.off(sig, h));
}

function updateState(p: Paths, id: string, patch: Partial<State>, minidock: Partial<Container['Minidock']> = {}): Container {
  const c = loadContainer(p, id);
  c.State = { ...c.State, ...patch };
  c.Minidock = { ...c.Minidock, ...minidock };
  saveContainer(p, c);
  return c;
}

/** A start that failed: the container stays "created" with the error, as docker leaves it. */
function failStart(p: Paths, id: string, e: unknown, opts: MonitorOptions): number {
  const err = e instanceof EngineError ? e : new EngineError(oneLine(e));
  const c = updateState(p, id, { Status: 'created', Running: false, Pid: 0, ExitCode: err.exitCode, Error: err.message });
  if (loadHostConfig(p, id).AutoRemove) removeContainerFiles(p, c);
  opts.onStart?.(err);
  throw err;
}

