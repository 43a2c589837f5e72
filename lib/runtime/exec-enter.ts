// exec-enter: the process that enters a running container and becomes the command of `exec`.
// setns(2), execve(2); runc's libcontainer/setns_init_linux.go. Stage 7 notes, "exec is setns".
//
// exec.ts spawns this file with node, already in the container's PID namespace and cgroup. It
// reads what to run on fd 3, joins the other namespaces of the container's PID 1 (exec.ts,
// JOIN_ORDER), and execve(2)s. Like init, it is synchronous from the first setns on: only this
// thread is in the container, libuv's pool threads are not (DESIGN.md, process model).

import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { EngineError, EXIT, oneLine, SyscallError } from '../errors.js';
import { F, PR } from '../sys/constants.js';
import { libcSys } from '../sys/libc.js';
import type { Sys } from '../sys/sys.js';
import { setRole } from '../sys/trace.js';
import { applyCapabilities } from './capabilities.js';
import { JOIN_ORDER, joinNamespaces, type ExecBootstrap } from './exec.js';
import { lookPath } from './init.js';
import type { NsKind } from './namespaces.js';
import { RLIMITS } from './spec.js';

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
  // 4. What the process may do, as init does it for PID 1 (the same helpers): resource limits,
  //    no_new_privs, capabilities. Then fds 0-2 survive execve, fd 3 does not (the parent's EOF).
  for (const r of p.rlimits ?? []) sys.setrlimit(RLIMITS.get(r.type)!, BigInt(r.soft), BigInt(r.hard));
  if (p.noNewPrivileges) sys.prctl(PR.SET_NO_NEW_PRIVS, 1);
  if (p.capabilities) applyCapabilities(sys, p.capabilities);
  for (const fd of [0, 1, 2]) sys.fcntl(fd, F.SETFD, 0);
  sys.fcntl(SYNC_FD, F.SETFD, F.FD_CLOEXEC);
  // 5. Stop dying with the parent (`minidock-runtime exec -d` exits right after), and become it.
  sys.prctl(PR.SET_PDEATHSIG, 0);
  try {
    sys.execve(file, p.args, p.env);
  } catch (e) {
    if (!(e instanceof SyscallError)) throw e;
    throw new EngineError(`exec: ${JSON.stringify(p.args[0])}: ${oneLine(e)}`, e.code === 'ENOENT' ? EXIT.NOT_FOUND : EXIT.CANNOT_INVOKE);
  }
}
// #endregion

/** Read the one bootstrap line from fd 3 (blocking, synchronous). */
function readBootstrap(): ExecBootstrap {
  const buf = Buffer.alloc(64 * 1024);
  let text = '';
  while (!text.includes('\n')) {
    const n = readSync(SYNC_FD, buf, 0, buf.length, null);
    if (n === 0) throw new Error('sync: the host closed the pipe before the bootstrap');
    text += buf.subarray(0, n).toString('utf8');
  }
  const msg = JSON.parse(text.slice(0, text.indexOf('\n'))) as { type: string; bootstrap: ExecBootstrap };
  if (msg.type !== 'bootstrap') throw new Error(`sync: expected 'bootstrap', got '${msg.type}'`);
  return msg.bootstrap;
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
