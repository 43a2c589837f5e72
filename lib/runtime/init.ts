// init: the first process of a container, before it becomes the user's command.
// unshare(2), setns(2), pivot_root(2), execve(2); runc's libcontainer/standard_init_linux.go.
// Stage 1 notes: stages/01-namespaces/README.md.
//
// The runtime's parent side (container.ts) spawns this file with node, already inside a new PID
// namespace (so this process is PID 1 there). It talks to the parent over fd 3 (sync.ts), builds
// the container's view of the system from config.json step by step, waits for `start` on the
// exec fifo, and ends in execve(2): the user's command replaces it and is PID 1.
// Keep its imports few: a container's start time is mostly this file's start time.

import { accessSync, closeSync, constants, mkdirSync, openSync, readSync, statSync, writeSync } from 'node:fs';
import path from 'node:path';
import { EngineError, EXIT, oneLine, SyscallError } from '../errors.js';
import { CLONE, F, PR } from '../sys/constants.js';
import { libcSys } from '../sys/libc.js';
import type { Sys } from '../sys/sys.js';
import { stageOn } from '../stage.js';
import { setRole } from '../sys/trace.js';
import { cloneFlags, flagOf, kindOf, type NsKind } from './namespaces.js';
import { applyProcessSecurity, defaultIgnoredSignals, seccompLast, seccompProgram } from './process-security.js';
import { enterChroot, enterRootfs } from './rootfs.js';
import type { Spec } from './spec.js';
import { SyncFd } from './sync.js';
import { openTerminal } from './terminal.js';

const SYNC_FD = 3;
/** The exec fifo, opened by the parent (see container.ts), inherited as fd 4. */
const EXEC_FIFO_FD = 4;
const SIGKILL = 9;

// #region init-steps
export function init(sys: Sys, sync: SyncFd, waitForStart: () => void = waitOnExecFifo): never {
  // 1. Die with the parent while we are half-built: nobody else would finish us.
  sys.prctl(PR.SET_PDEATHSIG, SIGKILL);

  // 2. Learn what to build: config.json, with root.path made absolute.
  const { spec: asked, rootfs, noPivot } = sync.receive('bootstrap').bootstrap;
  const spec = withCourseStage(asked);
  const created = (kind: NsKind) => spec.linux.namespaces.some((n) => kindOf(n.type) === kind && !n.path);

  // 3. Namespaces. Join the shared ones first (setns), then create our own (unshare): both act
  //    on this thread only, which is why everything after this is synchronous. The PID namespace
  //    was chosen by the parent before it spawned us; the cgroup namespace comes at step 5.
  joinNamespaces(sys, spec);
  const create = spec.linux.namespaces.filter((n) => !n.path).map((n) => kindOf(n.type)).filter((k) => k !== 'cgroup' && k !== 'pid');
  if (create.length > 0) {
    // #region exercise 1.unshare
    // One unshare(2) for every kind at once: the OR of their CLONE_NEW* flags (namespaces.ts).
    sys.unshare(cloneFlags(create));
    // #endregion
  }

  // 4. Tell the parent we exist in our namespaces, and wait while it puts us in our cgroup and
  //    runs the createRuntime hooks (the engine plugs in our network there).
  sync.send({ type: 'created' });
  sync.receive('configured');

  // 5. The cgroup namespace only now, after the parent moved us into our cgroup: a cgroup
  //    namespace's root is the cgroup its creator is in at unshare time.
  if (created('cgroup')) sys.unshare(CLONE.NEWCGROUP);
  // #endregion

  // #region init-build
  // 6. The root filesystem: mounts, /dev, then pivot_root into it — or, with no mount namespace
  //    (the course's stage 0), plain chroot(2).
  //    The sysctls (linux.sysctl, our namespaces' /proc/sys) are written inside it, before
  //    /proc/sys is made read-only.
  const sysctls = () => writeSysctls(spec.linux.sysctl ?? {});
  if (created('mnt')) enterRootfs(sys, rootfs, spec, noPivot, sysctls);
  else {
    enterChroot(sys, rootfs);
    sysctls();
  }

  // 7. The hostname, in our own UTS namespace (never the host's).
  if (spec.hostname && created('uts')) {
    // #region exercise 1.hostname
    sys.sethostname(spec.hostname);
    // #endregion
  }

  // 8. The working directory (created when the image lacks it, as docker does) and the command.
  enterWorkingDir(sys, spec.process.cwd);
  const file = lookPath(spec.process.args[0], spec.process.env);
  // #endregion

  // #region init-exec
  // 9. process.terminal: the terminal, made now that /dev/pts is the container's (terminal.ts).
  //    The parent copies the master with pidfd_getfd(2) while we wait for `start`; our own copy
  //    is close-on-exec and goes at execve.
  if (spec.process.terminal) sync.send({ type: 'pty', fd: openTerminal(sys) });

  // 10. What the process may do — last, because everything above needed root's full power:
  //     resource limits, no_new_privs, the user, the capabilities, and the seccomp filter, in the
  //     order process-security.ts explains (the filter now only when no_new_privs is off: then it
  //     needs CAP_SYS_ADMIN, which is about to go). File descriptors: Node opens 0-2 with
  //     FD_CLOEXEC, which would close the command's stdin, stdout and stderr at execve.
  const filter = seccompProgram(spec.linux.seccomp);
  const filterPending = applyProcessSecurity(sys, spec.process, filter);
  for (const fd of [0, 1, 2]) sys.fcntl(fd, F.SETFD, 0);
  sys.fcntl(SYNC_FD, F.SETFD, F.FD_CLOEXEC);

  // 11. Built: tell the parent (`create` returns now), stop dying with it, and wait for `start`
  //     on the exec fifo (fd 4, open for reading and writing, so it never hits end-of-file):
  //     the read blocks until `start` writes its one byte. runc uses a fifo the same way.
  sys.prctl(PR.SET_PDEATHSIG, 0);
  sync.send({ type: 'ready' });
  waitForStart();

  // 12. Become the user's command. A parent that still listens (minidock run) reads 'exec', then
  //     EOF when execve closes fd 3; `minidock-runtime create` has long exited, so a failed write
  //     here means nobody is listening, and that is fine.
  try {
    sync.send({ type: 'exec' });
  } catch {
    // nobody listens
  }
  // 13. The signals Node ignores (SIGPIPE, SIGXFSZ) back to default — an ignored signal survives
  //     execve — and, with no_new_privs, the seccomp filter as the very last step.
  defaultIgnoredSignals(sys);
  seccompLast(sys, filter, filterPending);

  // 14. execve: the filter, the user and the capabilities carry over into the command.
  try {
    sys.execve(file, spec.process.args, spec.process.env);
  } catch (e) {
    if (!(e instanceof SyscallError)) throw e; // only execve's own errno means 126 or 127
    const code = e.code;
    throw new EngineError(`exec: ${JSON.stringify(spec.process.args[0])}: ${oneLine(e)}`, code === 'ENOENT' ? EXIT.NOT_FOUND : EXIT.CANNOT_INVOKE);
  }
  // #endregion
}

/** Block until `start` writes its byte into the exec fifo (fd 4), then let go of the fifo. */
function waitOnExecFifo(): void {
  readSync(EXEC_FIFO_FD, Buffer.alloc(1), 0, 1, null);
  closeSync(EXEC_FIFO_FD);
}

function joinNamespaces(sys: Sys, spec: Spec): void {
  // The PID namespace was chosen by the parent before it spawned us (setns(CLONE_NEWPID) only
  // affects children). Open every other namespace first, as runc does: once we have joined
  // another container's mount namespace, its /proc/<pid> paths may no longer be the ones we meant.
  const targets = spec.linux.namespaces
    .filter((n) => n.path && n.type !== 'pid')
    .map((n) => ({ kind: kindOf(n.type), fd: openSync(n.path!, 'r') }));
  for (const { kind, fd } of targets) {
    // setns(2) into a mount namespace needs a filesystem context (root, cwd) of our own first.
    if (kind === 'mnt') sys.unshare(CLONE.FS);
    sys.setns(fd, flagOf(kind));
    closeSync(fd);
  }
}

/**
 * The course's stage gate (MINIDOCK_STAGE, lib/stage.ts): below stage 1 this runtime has no
 * namespace step yet — that is what a learner writes in stage 1 — so the container is a plain
 * chroot(2), whatever config.json asks. Outside the course the gate is always open.
 */
function withCourseStage(spec: Spec): Spec {
  if (stageOn(1)) return spec;
  return { ...spec, mounts: [], linux: { ...spec.linux, namespaces: [] } };
}

/** sysctl(8) by hand: net.ipv4.ip_forward → /proc/sys/net/ipv4/ip_forward. */
function writeSysctls(sysctl: Record<string, string>): void {
  for (const [key, value] of Object.entries(sysctl)) {
    if (key.includes('/') || key.split('.').some((p) => p === '..' || p === '')) throw new EngineError(`linux.sysctl: invalid key ${JSON.stringify(key)}`);
    const fd = openSync(path.join('/proc/sys', ...key.split('.')), 'w');
    writeSync(fd, value);
    closeSync(fd);
  }
}

/** chdir into process.cwd, making it when the image lacks it; a file in its place is an error. */
function enterWorkingDir(sys: Sys, cwd: string): void {
  try {
    mkdirSync(cwd, { recursive: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' || code === 'ENOTDIR') throw new EngineError(`the working directory ${JSON.stringify(cwd)} is not a directory`);
    throw e;
  }
  sys.chdir(cwd);
}

// #region lookpath
/**
 * Find the command like runc does (Go's exec.LookPath), with docker's messages and exit codes:
 * a path with a "/" must be an executable file (else 127 / 126); a bare name takes the first
 * executable file in $PATH, skipping directories and non-executables, as execvp(3) also does.
 */
export function lookPath(command: string, env: readonly string[]): string {
  const searching = !command.includes('/');
  const candidates = !searching
    ? [command]
    : (env.find((e) => e.startsWith('PATH='))?.slice(5) ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin')
        .split(':')
        .map((dir) => path.join(dir || '.', command));
  for (const file of candidates) {
    let isDir: boolean;
    try {
      isDir = statSync(file).isDirectory();
    } catch {
      continue;
    }
    if (isDir && searching) continue;
    if (isDir) throw new EngineError(`exec: ${JSON.stringify(command)}: is a directory`, EXIT.CANNOT_INVOKE);
    try {
      accessSync(file, constants.X_OK);
    } catch {
      if (searching) continue;
      throw new EngineError(`exec: ${JSON.stringify(command)}: permission denied`, EXIT.CANNOT_INVOKE);
    }
    return file;
  }
  const why = searching ? 'executable file not found in $PATH' : `stat ${command}: no such file or directory`;
  throw new EngineError(`exec: ${JSON.stringify(command)}: ${why}`, EXIT.NOT_FOUND);
}
// #endregion

// Run as a program (container.ts spawns `node dist/lib/runtime/init.js`).
if (process.argv[1] && process.argv[1].endsWith('init.js')) {
  process.title = 'minidock-init';
  setRole('init');
  const sync = new SyncFd(SYNC_FD);
  try {
    // Node may hand us the socket in non-blocking mode; init's reads must block.
    for (const fd of [SYNC_FD, EXEC_FIFO_FD]) libcSys.fcntl(fd, F.SETFL, libcSys.fcntl(fd, F.GETFL) & ~F.O_NONBLOCK);
    init(libcSys, sync);
  } catch (e) {
    const exitCode = e instanceof EngineError ? e.exitCode : EXIT.ENGINE;
    try {
      sync.send({ type: 'error', message: oneLine(e), exitCode });
    } catch {
      // the parent is gone
    }
    process.exit(exitCode);
  }
}
