// The container's terminal: a pseudo-terminal made inside the container, its slave as the
// process's stdin, stdout, stderr and controlling terminal, its master handed to the host.
// pty(7), posix_openpt(3), unlockpt(3), ptsname(3), ioctl_tty(2) TIOCSCTTY / TIOCSWINSZ,
// runc's docs/terminals.md (--console-socket). Stage 7 notes, "ptys from first principles".
//
// init (process.terminal in config.json) and exec-enter (exec -t) both call openTerminal after
// they joined the container's mount namespace, so that the slave is a file of the container's
// own devpts and `tty` prints /dev/pts/0. The master then reaches the host one of two ways:
//   - the engine (the same process tree): the parent copies it with pidfd_getfd(2);
//   - runc's protocol, for containerd: `--console-socket PATH` — the runtime sends the master
//     over that unix socket with SCM_RIGHTS (sendConsole) and closes its own copy.

import { closeSync, constants, openSync } from 'node:fs';
import { TIOC } from '../sys/constants.js';
import type { Sys } from '../sys/sys.js';

// #region open-terminal
/**
 * A pseudo-terminal, as posix_openpt(3), unlockpt(3) and ptsname(3) make one:
 *   master  /dev/ptmx — what the host side reads and writes
 *   slave   /dev/pts/N — the process's stdin, stdout, stderr and controlling terminal
 * The caller must lead a session (init and exec-enter are spawned detached: setsid), or
 * TIOCSCTTY is refused. Returns the master, opened close-on-exec (Node's default): it vanishes
 * at execve, once the host has its copy.
 */
export function openTerminal(sys: Sys): number {
  const master = openSync('/dev/ptmx', constants.O_RDWR | constants.O_NOCTTY);
  sys.ioctlBuffer(master, TIOC.SPTLCK, Buffer.alloc(4)); // unlockpt: write 0 to the lock
  const slave = openSync(ptsName(sys, master), constants.O_RDWR | constants.O_NOCTTY);
  for (const fd of [0, 1, 2]) sys.dup2(slave, fd);
  closeSync(slave);
  // the slave becomes the controlling terminal of our session: its Ctrl-C, its SIGHUP, its job control
  sys.ioctl(0, TIOC.SCTTY, 0);
  return master;
}
// #endregion

/** ptsname(3): the slave's path, from the number TIOCGPTN gives for the master. */
function ptsName(sys: Sys, master: number): string {
  return `/dev/pts/${sys.ioctlBuffer(master, TIOC.GPTN, Buffer.alloc(4)).readInt32LE(0)}`;
}

/**
 * The size of the terminal our own stdout is on — what run -t, start -a and exec -t give the
 * container's at the start; undefined when stdout is not a terminal (a pipe, a file).
 */
export function stdoutWindowSize(): { rows: number; columns: number } | undefined {
  return process.stdout.isTTY ? { rows: process.stdout.rows, columns: process.stdout.columns } : undefined;
}

/** TIOCSWINSZ: struct winsize { unsigned short ws_row, ws_col, ws_xpixel, ws_ypixel; }. */
export function setWindowSize(sys: Sys, fd: number, size: { rows: number; columns: number }): void {
  const ws = Buffer.alloc(8);
  ws.writeUInt16LE(size.rows, 0);
  ws.writeUInt16LE(size.columns, 2);
  sys.ioctlBuffer(fd, TIOC.SWINSZ, ws);
}

// #region console-socket
/**
 * runc's --console-socket: connect to the caller's unix socket and send it the master with
 * SCM_RIGHTS, the terminal's name as the message's bytes (containerd's go-runc reads both: one
 * fd, a name shorter than 4 KiB). Then our copy is closed: the caller holds the only one.
 */
export function sendConsole(sys: Sys, socketPath: string, master: number): void {
  try {
    sys.sendFd(socketPath, master, Buffer.from(ptsName(sys, master)));
  } finally {
    closeSync(master);
  }
}
// #endregion
