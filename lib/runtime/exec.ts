// exec: run one more process inside a running container — runc's "setns init". setns(2),
// namespaces(7), pid_namespaces(7); seed 003 ends on it. Stage 7 notes, "exec is setns".
//
// A container is nothing but its processes' namespaces and cgroup, so a second process joins
// them: it opens the container PID 1's /proc/<pid>/ns/* links and setns(2)s into each, enters
// the cgroup, and execve(2)s. In a Node process the order is forced (docs/design.md, process model):
//
//   parent (host)                                    exec-enter (exec-enter.ts)
//     │ setns(pid ns of PID 1) → our pid_for_children   │
//     │ spawn exec-enter (born in the container's        │
//     │   PID namespace), setns back                    │
//     │ write its PID to the container's cgroup.procs   │
//     │ ── bootstrap {pid, process} ──────────────────▶ │ open /proc/<pid>/ns/* (host /proc still)
//     │                                                 │ setns ipc, uts, net, cgroup
//     │                                                 │ unshare(CLONE_FS), setns mnt: root and
//     │                                                 │   cwd become the container's "/"
//     │                                                 │ chdir(cwd), rlimits, caps, execve
//     │ ◀──────────────── EOF (fd 3 is close-on-exec) ─ │ the command runs
//     │ ◀──────────────── error {message, exitCode} ─── │ or it could not (126 / 127 / 125)

import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { EngineError } from '../errors.js';
import { programArgs } from '../program.js';
import { currentStage, stageOn } from '../stage.js';
import { CLONE } from '../sys/constants.js';
import type { Sys } from '../sys/sys.js';
import { trace } from '../sys/trace.js';
import { openCgroup } from './cgroups/index.js';
import { waitForExit } from './container.js';
import { flagOf, type NsKind } from './namespaces.js';
import { parseSpec, RLIMITS, type LinuxSeccomp, type Process } from './spec.js';
import { loadState, statusOf } from './state.js';
import { InitChannel } from './sync.js';
import { setWindowSize } from './terminal.js';

const EXEC_ENTER_JS = fileURLToPath(new URL('./exec-enter.js', import.meta.url));

/** What exec-enter is told over fd 3: whose namespaces to join, and the process to become. */
export interface ExecBootstrap {
  /** the container's PID 1, as the host sees it */
  pid: number;
  process: Process;
  /** the container's linux.seccomp (config.json in its bundle): exec'd processes get PID 1's filter */
  seccomp?: LinuxSeccomp;
}

export interface ExecOptions {
  root: string;
  id: string;
  process: Process;
  /** the process's stdin, stdout, stderr */
  stdio: StdioOptions & unknown[];
  /** write the process's host PID here (runc exec --pid-file; containerd reads it) */
  pidFile?: string;
  /** process.terminal: the terminal's size at start */
  windowSize?: { rows: number; columns: number };
}

export interface Execed {
  pid: number;
  /** process.terminal: the pty master, in this process (the host side of the terminal) */
  terminal?: number;
  child: ChildProcess;
  /** resolves to the exit status, as a shell shows it */
  exited: Promise<number>;
}

// #region join-order
/**
 * The namespaces exec joins, in the order it joins them. The PID namespace is not here: the
 * parent chose it before spawning (setns(CLONE_NEWPID) only affects children). The mount
 * namespace is last, because after it /proc is the container's and the other links may no longer
 * be found — so every link is opened before the first setns.
 */
export const JOIN_ORDER: readonly NsKind[] = ['ipc', 'uts', 'net', 'cgroup', 'mnt'];

/** setns(2) into each namespace of `fds` (kind → an open /proc/<pid>/ns/<kind>), in JOIN_ORDER. */
export function joinNamespaces(sys: Sys, fds: ReadonlyMap<NsKind, number>): void {
  // #region exercise 7.join-order
  for (const kind of JOIN_ORDER) {
    const fd = fds.get(kind);
    if (fd === undefined) continue;
    // setns(2) into a mount namespace is refused (EINVAL) to a thread that shares its root and
    // cwd with others — and Node's threads share them: unshare(CLONE_FS) gives this one its own.
    if (kind === 'mnt') sys.unshare(CLONE.FS);
    sys.setns(fd, flagOf(kind));
  }
  // #endregion
}
// #endregion

// #region exec-parent
/** Start `process` inside running container `id`. Resolves once it has execve()d. */
export async function execProcess(sys: Sys, opts: ExecOptions): Promise<Execed> {
  // the course's stage gate: exec is what a learner writes in stage 7
  if (!stageOn(7)) throw new EngineError(`exec needs stage 7 (exec & lifecycle); this runtime runs at stage ${currentStage()}`);
  const s = loadState(opts.root, opts.id);
  const status = statusOf(opts.root, s);
  if (status !== 'running') throw new EngineError(`cannot exec in a ${status} container`, 1);
  // 1. The PID namespace first, from here: exec-enter is born in it, and so are Node's threads.
  const child = spawnInPidNamespace(sys, s.pid, opts.stdio);
  const exited = waitForExit(child);
  const channel = new InitChannel(child.stdio[3] as Socket);
  let terminal: number | undefined;
  try {
    // 2. The cgroup, before exec-enter runs a single step of the user's: its threads follow
    //    (cgroup.procs moves a whole thread group).
    if (s.cgroupPath) openCgroup(s.cgroupPath).addProcess(child.pid!);
    // 3. What to join and what to run; then wait for execve (EOF) or an error.
    const bootstrap: ExecBootstrap = { pid: s.pid, process: opts.process, seccomp: containerSeccomp(s.bundle) };
    (child.stdio[3] as Socket).write(JSON.stringify({ type: 'bootstrap', bootstrap }) + '\n');
    let last = await channel.nextWithin('execve');
    // -t: exec-enter made a terminal inside; copy its master here, size it, then let it go on
    const pty = last as unknown as { type: string; fd: number } | null;
    if (pty?.type === 'pty') {
      terminal = sys.pidfdGetfd(child.pid!, pty.fd);
      if (opts.windowSize) setWindowSize(sys, terminal, opts.windowSize);
      (child.stdio[3] as Socket).write(JSON.stringify({ type: 'go' }) + '\n');
      last = await channel.nextWithin('execve');
    }
    if (last?.type === 'error') throw new EngineError(last.message, last.exitCode);
    if (last !== null) throw new EngineError(`exec: unexpected message '${last.type}' from exec-enter`);
  } catch (e) {
    child.kill('SIGKILL');
    await exited;
    if (terminal !== undefined) closeSync(terminal);
    throw e;
  } finally {
    channel.close();
  }
  if (opts.pidFile) writeFileSync(opts.pidFile, String(child.pid));
  return { pid: child.pid!, child, exited, terminal };
}
// #endregion

/** The seccomp section of the container's config.json, as runc takes it for every exec. */
function containerSeccomp(bundle: string): LinuxSeccomp | undefined {
  return parseSpec(readFileSync(path.join(bundle, 'config.json'), 'utf8')).linux.seccomp;
}

// #region exec-enter-threads
/**
 * exec-enter's threads count in the container's `pids` limit (cgroup.procs moved the whole
 * thread group). A plain Node starts 11 here: the main thread, V8's pool (4), libuv's pool (4,
 * for the module loader's reads), the platform's timer thread and the inspector's SIGUSR1
 * thread. V8's pool goes down to one worker (0 would mean "one per core, less one"), libuv's
 * to one (UV_THREADPOOL_SIZE, below): 5 threads, so `exec` works under `--pids-limit 8`.
 * exec-enter is synchronous and short: neither pool has work to share out, and its start-up
 * takes no longer (stage 7 notes, "exec under a low pids limit").
 */
const FEW_THREADS = ['--v8-pool-size=1'];
// #endregion

/** Spawn exec-enter in the PID namespace of `pid`, then give our own pid_for_children back. */
function spawnInPidNamespace(sys: Sys, pid: number, stdio: unknown[]): ChildProcess {
  const ours = openSync('/proc/self/ns/pid_for_children', 'r');
  const theirs = openSync(`/proc/${pid}/ns/pid`, 'r');
  try {
    sys.setns(theirs, CLONE.NEWPID);
    try {
      const args = [...FEW_THREADS, ...programArgs(EXEC_ENTER_JS)];
      trace(`$ UV_THREADPOOL_SIZE=1 node ${args.join(' ')}   # exec-enter, in the PID namespace of ${pid}`);
      const child = spawn(process.execPath, args, {
        detached: true, // its own session, as init's: a terminal's Ctrl-C reaches the parent, which forwards it
        stdio: [...stdio.slice(0, 3), 'pipe'] as StdioOptions,
        env: {
          ...Object.fromEntries(['MINIDOCK_TRACE', 'MINIDOCK_STAGE'].filter((k) => process.env[k]).map((k) => [k, process.env[k]])),
          UV_THREADPOOL_SIZE: '1',
        },
      });
      if (child.pid === undefined) throw new EngineError(`cannot start exec-enter: ${process.execPath} ${EXEC_ENTER_JS}`);
      return child;
    } finally {
      sys.setns(ours, CLONE.NEWPID);
    }
  } finally {
    closeSync(theirs);
    closeSync(ours);
  }
}

// #region process-json
/**
 * runc exec --process FILE: an OCI process object (config.json's "process", alone), as containerd
 * writes it for `ctr task exec`. Checked like config.json's own process.
 */
export function parseProcess(text: string): Process {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new EngineError(`process.json: not valid JSON: ${(e as Error).message}`);
  }
  const fail = (why: string): never => {
    throw new EngineError(`process.json: ${why}`);
  };
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail('want a JSON object');
  const p = raw as Partial<Process>;
  if (!Array.isArray(p.args) || p.args.length === 0 || !p.args.every((a) => typeof a === 'string')) fail('args: want a non-empty list of strings');
  if (p.env !== undefined && (!Array.isArray(p.env) || !p.env.every((e) => typeof e === 'string'))) fail('env: want a list of strings');
  const cwd = p.cwd || '/';
  if (!cwd.startsWith('/')) fail(`cwd ${JSON.stringify(cwd)}: want an absolute path`);
  for (const r of p.rlimits ?? []) if (!RLIMITS.has(r.type)) fail(`rlimits: unknown type ${JSON.stringify(r.type)}`);
  const user = p.user ?? { uid: 0, gid: 0 };
  if (!Number.isInteger(user.uid) || !Number.isInteger(user.gid)) fail('user: want integer uid and gid');
  return { ...p, args: p.args!, env: p.env ?? [], cwd, user } as Process;
}
// #endregion
