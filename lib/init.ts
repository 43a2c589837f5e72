// init: the first process of a container, before it becomes the user's command.
// unshare(2), setns(2), pivot_root(2), execve(2); runc's libcontainer/standard_init_linux.go.
// Stage 1 notes: stages/01-namespaces/README.md.
//
// The monitor spawns this file with node, already inside a new PID namespace (so this process is
// PID 1 there). It talks to the monitor over fd 3 (lib/sync.ts), builds the container's view of
// the system step by step, and ends in execve(2): the user's command replaces it and is PID 1.
// Keep its imports few: a container's start time is mostly this file's start time.

import { accessSync, closeSync, constants, mkdirSync, openSync, statSync } from 'node:fs';
import path from 'node:path';
import { EngineError, EXIT, oneLine, SyscallError } from './errors.js';
import { cloneFlags, flagOf, type NsKind } from './namespaces.js';
import { enterChroot, enterRootfs } from './rootfs.js';
import { CLONE, F, PR } from './sys/constants.js';
import { libcSys } from './sys/libc.js';
import type { Sys } from './sys/sys.js';
import { setRole } from './sys/trace.js';
import { SyncFd, type InitSpec } from './sync.js';

const SYNC_FD = 3;
const SIGKILL = 9;

// #region init-steps
export function init(sys: Sys, sync: SyncFd): never {
  // 1. Die with the monitor: if it is killed while we are half-built, nobody would finish us.
  sys.prctl(PR.SET_PDEATHSIG, SIGKILL);

  // 2. Learn what to build.
  const { spec } = sync.receive('bootstrap');

  // 3. Namespaces. Join the shared ones first (setns), then create our own (unshare): both act
  //    on this thread only, which is why everything after this is synchronous.
  joinNamespaces(sys, spec.join);
  const create = spec.unshare.filter((k) => k !== 'cgroup' && k !== 'pid') as NsKind[];
  if (create.length > 0) sys.unshare(cloneFlags(create));

  // 4. Tell the host we exist in our namespaces, and wait while it puts us in our cgroup and
  //    plugs in our network.
  sync.send({ type: 'created' });
  sync.receive('configured');

  // 5. The cgroup namespace only now, after the host moved us into our cgroup: a cgroup
  //    namespace's root is the cgroup its creator is in at unshare time.
  if (spec.unshare.includes('cgroup')) sys.unshare(CLONE.NEWCGROUP);

  // 6. The root filesystem: pivot_root into it (stage 1), or plain chroot at stage 0.
  if (spec.stage >= 1) enterRootfs(sys, spec);
  else enterChroot(sys, spec.rootfs);

  // 7. The hostname, in our own UTS namespace (never the host's).
  if (spec.unshare.includes('uts')) sys.sethostname(spec.hostname);

  // 8. The working directory (docker creates it when the image lacks it) and the command.
  mkdirSync(spec.cwd, { recursive: true });
  sys.chdir(spec.cwd);
  const file = lookPath(spec.args[0], spec.env);

  // 9. File descriptors: Node opens 0-2 with FD_CLOEXEC, which would close the command's stdin,
  //    stdout and stderr at execve. Clear it there; set it on the sync fd, so that the monitor
  //    reads EOF at the very moment execve succeeds.
  for (const fd of [0, 1, 2]) sys.fcntl(fd, F.SETFD, 0);
  sys.fcntl(SYNC_FD, F.SETFD, F.FD_CLOEXEC);
  sys.prctl(PR.SET_PDEATHSIG, 0); // the user's command outlives a monitor restart

  // 10. Become the user's command.
  sync.send({ type: 'exec' });
  try {
    sys.execve(file, spec.args, spec.env);
  } catch (e) {
    if (!(e instanceof SyscallError)) throw e; // only execve's own errno means 126 or 127
    const code = e.code;
    throw new EngineError(`exec: ${JSON.stringify(spec.args[0])}: ${oneLine(e)}`, code === 'ENOENT' ? EXIT.NOT_FOUND : EXIT.CANNOT_INVOKE);
  }
}
// #endregion

function joinNamespaces(sys: Sys, join: InitSpec['join']): void {
  // The PID namespace was chosen by the monitor before it spawned us (setns(CLONE_NEWPID) only
  // affects children). Open every other namespace first, as runc does: once we have joined
  // another container's mount namespace, its /proc/<pid> paths may no longer be the ones we meant.
  const targets = Object.entries(join)
    .filter(([kind]) => kind !== 'pid')
    .map(([kind, nsPath]) => ({ kind: kind as NsKind, fd: openSync(nsPath, 'r') }));
  for (const { kind, fd } of targets) {
    // setns(2) into a mount namespace needs a filesystem context (root, cwd) of our own first.
    if (kind === 'mnt') sys.unshare(CLONE.FS);
    sys.setns(fd, flagOf(kind));
    closeSync(fd);
  }
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

// Run as a program (the monitor spawns `node dist/lib/init.js`).
if (process.argv[1] && process.argv[1].endsWith('init.js')) {
  process.title = 'minidock-init';
  setRole('init');
  const sync = new SyncFd(SYNC_FD);
  try {
    // Node may hand us the socket in non-blocking mode; init's reads must block.
    const flags = libcSys.fcntl(SYNC_FD, F.GETFL);
    libcSys.fcntl(SYNC_FD, F.SETFL, flags & ~F.O_NONBLOCK);
    init(libcSys, sync);
  } catch (e) {
    const exitCode = e instanceof EngineError ? e.exitCode : EXIT.ENGINE;
    try {
      sync.send({ type: 'error', message: oneLine(e), exitCode });
    } catch {
      // the monitor is gone
    }
    process.exit(exitCode);
  }
}
