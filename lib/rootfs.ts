// The container's root filesystem: from "a directory on the host" to "/".
// pivot_root(2), mount(2), mount_namespaces(7), chroot(2). Stage 1 notes: stages/01-namespaces.
//
// Runs inside init, after unshare(CLONE_NEWNS): every mount here lands in the container's own
// mount namespace. The order matters and each step says why. All file operations are
// synchronous: only init's main thread is in the new namespaces.

import { existsSync, mkdirSync, mkdtempSync, rmdirSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { MNT, MS, S_IF, makedev } from './sys/constants.js';
import type { Sys } from './sys/sys.js';

// #region dev
/** The device nodes every container gets, as Docker provides them (runc's default devices). */
export const DEVICES = [
  { name: 'null', major: 1, minor: 3 },
  { name: 'zero', major: 1, minor: 5 },
  { name: 'full', major: 1, minor: 7 },
  { name: 'random', major: 1, minor: 8 },
  { name: 'urandom', major: 1, minor: 9 },
  { name: 'tty', major: 5, minor: 0 },
] as const;

/**
 * A minimal /dev: a fresh tmpfs (not the host's /dev, which would hand the container every disk),
 * the six character devices above, a private devpts instance for terminals, /dev/shm for POSIX
 * shared memory, /dev/mqueue for POSIX message queues, and the standard symlinks.
 */
export function mountDev(sys: Sys, rootfs: string): void {
  const dev = path.join(rootfs, 'dev');
  mkdirSync(dev, { recursive: true });
  sys.mount('tmpfs', dev, 'tmpfs', MS.NOSUID | MS.STRICTATIME, 'mode=755,size=65536k');
  for (const d of DEVICES) {
    sys.mknod(path.join(dev, d.name), S_IF.CHR | 0o666, makedev(d.major, d.minor));
  }
  mkdirSync(path.join(dev, 'pts'));
  // newinstance: the container's ptys are numbered from 0 and invisible to the host's devpts
  sys.mount('devpts', path.join(dev, 'pts'), 'devpts', MS.NOSUID | MS.NOEXEC, 'newinstance,ptmxmode=0666,mode=0620,gid=5');
  symlinkSync('pts/ptmx', path.join(dev, 'ptmx'));
  mkdirSync(path.join(dev, 'shm'));
  sys.mount('shm', path.join(dev, 'shm'), 'tmpfs', MS.NOSUID | MS.NODEV | MS.NOEXEC, 'mode=1777,size=65536k');
  mkdirSync(path.join(dev, 'mqueue'));
  sys.mount('mqueue', path.join(dev, 'mqueue'), 'mqueue', MS.NOSUID | MS.NODEV | MS.NOEXEC);
  symlinkSync('/proc/self/fd', path.join(dev, 'fd'));
  symlinkSync('/proc/self/fd/0', path.join(dev, 'stdin'));
  symlinkSync('/proc/self/fd/1', path.join(dev, 'stdout'));
  symlinkSync('/proc/self/fd/2', path.join(dev, 'stderr'));
  symlinkSync('/proc/kcore', path.join(dev, 'core'));
}
// #endregion

// #region prepare
/** Mount everything the container needs, then make `rootfs` the root. */
export function enterRootfs(sys: Sys, rootfs: string): void {
  // 1. Before any other mount: make every mount in our new namespace private, recursively.
  //    A fresh mount namespace is a copy of the host's, with the same propagation: on a systemd
  //    host "/" is shared, so without this our mounts would propagate back to the host.
  sys.mount('', '/', '', MS.REC | MS.PRIVATE);

  // 2. Bind-mount the rootfs onto itself: pivot_root(2) wants new_root to be a mount point,
  //    and a plain directory is not one.
  sys.mount(rootfs, rootfs, '', MS.BIND | MS.REC);

  // 3. /dev, before pivot_root: the device nodes are made from the host side of the switch.
  mountDev(sys, rootfs);

  // 4. Switch roots. pivot_root moves the old root to a directory under the new one; then we
  //    detach it (MNT_DETACH: lazily, it still has users at this instant) and remove the
  //    directory. From here on, no path leads back to the host's files — unlike chroot(2), which
  //    only changes how "/" is resolved and can be escaped (see stages/01-namespaces).
  pivotRoot(sys, rootfs);

  // 5. /proc after pivot_root, from inside the new PID namespace: a proc mount shows the PID
  //    namespace of the process that mounts it, so the container sees its own processes only.
  mountProc(sys);

  // 6. /sys read-only: the container may look at the kernel's objects, not change them.
  mkdirSync('/sys', { recursive: true });
  sys.mount('sysfs', '/sys', 'sysfs', MS.RDONLY | MS.NOSUID | MS.NODEV | MS.NOEXEC);
}
// #endregion

// #region pivot
export function pivotRoot(sys: Sys, rootfs: string): void {
  sys.chdir(rootfs);
  const putOld = mkdtempSync(path.join(rootfs, '.pivot_root')); // a fresh, empty directory
  sys.pivotRoot('.', path.basename(putOld));
  sys.chdir('/');
  const oldRoot = '/' + path.basename(putOld);
  sys.umount2(oldRoot, MNT.DETACH);
  rmdirSync(oldRoot);
}
// #endregion

export function mountProc(sys: Sys): void {
  if (!existsSync('/proc')) mkdirSync('/proc');
  sys.mount('proc', '/proc', 'proc', MS.NOSUID | MS.NODEV | MS.NOEXEC);
}

// #region chroot
/**
 * Stage 0's "container": chroot(2) alone. No namespace, no mount: the process sees the image's
 * files as "/", but it shares everything else with the host — and chroot can be escaped.
 */
export function enterChroot(sys: Sys, rootfs: string): void {
  sys.chroot(rootfs);
  sys.chdir('/');
}
// #endregion
