// exec-enter: the process that enters a running container and becomes the command of `exec`.
// setns(2), execve(2); runc's libcontainer/setns_init_linux.go. Stage 7 notes, "exec is setns".
//
// exec.ts spawns this file with node, already in the container's PID namespace and cgroup. It
// reads what to run on fd 3, joins the other namespaces of the container's PID 1 (exec.ts,
// JOIN_ORDER), and execve(2)s. Like init, it is synchronous from the first setns on: only this
// thread is in the container, libuv's pool threads are not (docs/design.md, process model).

import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { EngineError, EXIT, oneLine, SyscallError } from '../errors.js';
import { F, PR } from '../sys/constants.js';
import { libcSys } from '../sys/libc.js';
import type { Sys } from '../sys/sys.js';
import { setRole } from '../sys/trace.js';
import { JOIN_ORDER, joinNamespaces, type ExecBootstrap } from './exec.js';
import { lookPath } from './init.js';
import type { NsKind } from './namespaces.js';
import { openTerminal } from './terminal.js';
import { applyProcessSecurity, defaultIgnoredSignals, seccompLast, seccompProgram } from './process-security.js';

const SYNC_FD = 3;
const SIGKILL = 9;

// #region exec-enter-steps
export function enter(sys: Sys, b: ExecBootstrap): never {
  const p = b.process;
  // 1. Open every namespace link of the container's PID 1 while /proc is still the host's.
  const fds = new Map<NsKind, number>(JOIN_ORDER.map((kind) => [kind, openSync(`/proc/${b.pid}/ns/${kind}`, 'r')]));
  // 2. Join them; the mount namespace last. setns(2) into a mount namespace also sets this
  //    thread's root and cwd to that namespace's root: the container's "/" after its pivot_root.
  joinNamespaces(sys, fds);
  for (const fd of fds.values()) closeSync(fd);
  // 3. The working directory and the command, found in the container's files.
  try {
    sys.chdir(p.cwd);
  } catch (e) {
    throw new EngineError(`chdir to cwd (${JSON.stringify(p.cwd)}) set in the process failed: ${e instanceof SyscallError ? e.code : oneLine(e)}`, EXIT.CANNOT_INVOKE);
  }
  const file = lookPath(p.args[0], p.env);
  // 3b. -t: a terminal made inside the container (its own devpts), the parent takes the master.
  if (p.terminal) handOverTerminal(sys);
  // 4. What the process may do, as init does it for PID 1 and with the same helpers (stage 8):
  //    resource limits, no_new_privs, the user, the capabilities, and the container's seccomp
  //    filter — an exec'd shell must be no stronger than PID 1. Then fds 0-2 survive execve,
  //    fd 3 does not (the parent's EOF).
  const filter = seccompProgram(b.seccomp);
  const filterPending = applyProcessSecurity(sys, p, filter);
  for (const fd of [0, 1, 2]) sys.fcntl(fd, F.SETFD, 0);
  sys.fcntl(SYNC_FD, F.SETFD, F.FD_CLOEXEC);
  // 5. Stop dying with the parent (`minidock-runtime exec -d` exits right after), and become it;
  //    with no_new_privs the filter goes in as the very last step, as in init.
  sys.prctl(PR.SET_PDEATHSIG, 0);
  defaultIgnoredSignals(sys); // Node's ignored SIGPIPE would survive execve (init does the same)
  seccompLast(sys, filter, filterPending);
  try {
    sys.execve(file, p.args, p.env);
  } catch (e) {
    if (!(e instanceof SyscallError)) throw e;
    throw new EngineError(`exec: ${JSON.stringify(p.args[0])}: ${oneLine(e)}`, e.code === 'ENOENT' ? EXIT.NOT_FOUND : EXIT.CANNOT_INVOKE);
  }
}
// #endregion

/**
 * -t: the terminal made inside (terminal.ts); the parent copies its master out of this process
 * with pidfd_getfd(2) — Node cannot receive an fd over a socket — and says "go".
 */
function handOverTerminal(sys: Sys): void {
  const master = openTerminal(sys);
  writeSync(SYNC_FD, JSON.stringify({ type: 'pty', fd: master }) + '\n');
  const ack = readLine();
  if (ack.type !== 'go') throw new Error(`sync: expected 'go', got '${ack.type}'`);
}

/** One JSON line from fd 3, a byte at a time (blocking, synchronous; nothing read past it). */
function readLine(): { type: string } & Record<string, unknown> {
  const byte = Buffer.alloc(1);
  const bytes: number[] = [];
  for (;;) {
    if (readSync(SYNC_FD, byte, 0, 1, null) === 0) throw new Error('sync: the host closed the pipe');
    if (byte[0] === 0x0a) break;
    bytes.push(byte[0]);
  }
  return JSON.parse(Buffer.from(bytes).toString('utf8')) as { type: string } & Record<string, unknown>;
}

/** The bootstrap line from fd 3. */
function readBootstrap(): ExecBootstrap {
  const msg = readLine();
  if (msg.type !== 'bootstrap') throw new Error(`sync: expected 'bootstrap', got '${msg.type}'`);
  return msg.bootstrap as ExecBootstrap;
}

// Run as a program (exec.ts spawns `node dist/lib/runtime/exec-enter.js`).
if (process.argv[1] && process.argv[1].endsWith('exec-enter.js')) {
  process.title = 'minidock-exec';
  setRole('exec');
  try {
    libcSys.fcntl(SYNC_FD, F.SETFL, libcSys.fcntl(SYNC_FD, F.GETFL) & ~F.O_NONBLOCK);
    // die with the parent while half-way in: nobody else would finish or reap us
    libcSys.prctl(PR.SET_PDEATHSIG, SIGKILL);
    enter(libcSys, readBootstrap());
  } catch (e) {
    const exitCode = e instanceof EngineError ? e.exitCode : EXIT.ENGINE;
    try {
      writeSync(SYNC_FD, JSON.stringify({ type: 'error', message: oneLine(e), exitCode }) + '\n');
    } catch {
      // the parent is gone
    }
    process.exit(exitCode);
  }
}
