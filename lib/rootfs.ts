// The container's root filesystem: from "a directory on the host" to "/".
// pivot_root(2), mount(2), mount_namespaces(7), chroot(2). Stage 1 notes: stages/01-namespaces.
//
// Runs inside init, after unshare(CLONE_NEWNS): every mount here lands in the container's own
// mount namespace. The order matters and each step says why. All file operations are
// synchronous: only init's main thread is in the new namespaces.

import { closeSync, existsSync, lstatSync, mkdirSync, openSync, readlinkSync, statSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { EngineError } from './errors.js';
import { MNT, MS, S_IF, makedev } from './sys/constants.js';
import type { Sys } from './sys/sys.js';
import type { InitSpec, MountSpec } from './sync.js';
import { copyImageContent } from './volumes/copydata.js';

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
  const dev = secureJoin(rootfs, '/dev'); // an image's `dev -> /` must not put a tmpfs over "/"
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
export function enterRootfs(sys: Sys, spec: Pick<InitSpec, 'rootfs' | 'rootfsMount' | 'mounts'>): void {
  const { rootfs } = spec;
  // 1. Before any other mount: make every mount in our new namespace private, recursively.
  //    A fresh mount namespace is a copy of the host's, with the same propagation: on a systemd
  //    host "/" is shared, so without this our mounts would propagate back to the host.
  sys.mount('', '/', '', MS.REC | MS.PRIVATE);

  // 2. The root filesystem itself. With overlay2 (stage 3) it is mounted here, in the container's
  //    own mount namespace: the host never sees it, and it vanishes with the container.
  //    Otherwise bind-mount the directory onto itself: pivot_root(2) wants new_root to be a
  //    mount point, and a plain directory is not one.
  if (spec.rootfsMount) {
    const m = spec.rootfsMount;
    sys.chdir(m.cwd); // overlay's lowerdir names are relative (short links), see stage 3
    sys.mount(m.source, rootfs, m.fstype, 0, m.data);
  } else {
    sys.mount(rootfs, rootfs, '', MS.BIND | MS.REC);
  }

  // 3. The container's own mounts (volumes, bind mounts, /etc/hosts …): after the rootfs
  //    exists, before pivot_root, while the host's paths can still be named.
  for (const m of spec.mounts) mountInto(sys, rootfs, m);

  // 4. /dev, before pivot_root: the device nodes are made from the host side of the switch.
  mountDev(sys, rootfs);

  // 5. Switch roots. pivot_root makes rootfs the root mount and puts the old root on top of
  //    it; then we detach the old root (MNT_DETACH: lazily, it still has users at this instant).
  //    From here on, no path leads back to the host's files — unlike chroot(2), which only
  //    changes how "/" is resolved and can be escaped (see stages/01-namespaces).
  pivotRoot(sys, rootfs);

  // 6. /proc after pivot_root, from inside the new PID namespace: a proc mount shows the PID
  //    namespace of the process that mounts it, so the container sees its own processes only.
  mountProc(sys);

  // 7. /sys read-only: the container may look at the kernel's objects, not change them.
  mkdirSync('/sys', { recursive: true });
  sys.mount('sysfs', '/sys', 'sysfs', MS.RDONLY | MS.NOSUID | MS.NODEV | MS.NOEXEC);
}
// #endregion

// #region mounts
/**
 * Bind-mount (or mount) one of the container's mounts at its place in the rootfs. A bind mount
 * ignores MS_RDONLY on its first call, so read-only takes a second, remount call (mount(2):
 * "MS_REMOUNT | MS_BIND … changes the per-mount-point flags").
 */
export function mountInto(sys: Sys, rootfs: string, m: MountSpec): void {
  const dest = secureJoin(rootfs, m.target);
  if (m.type === 'bind') {
    // an empty volume over a directory of the image gets the image's files first (stage 4)
    if (m.copyData) copyImageContent(sys, dest, m.source);
    // the mount point must exist and be of the same kind as the source: a file for a file
    if (statSync(m.source).isDirectory()) mkdirSync(dest, { recursive: true });
    else if (!existsSync(dest)) {
      mkdirSync(path.dirname(dest), { recursive: true });
      closeSync(openSync(dest, 'a'));
    }
    sys.mount(m.source, dest, '', MS.BIND | MS.REC);
    if (m.readonly) sys.mount('', dest, '', MS.BIND | MS.REMOUNT | MS.RDONLY);
  } else {
    mkdirSync(dest, { recursive: true });
    sys.mount(m.type, dest, m.type, MS.NOSUID | MS.NODEV | (m.readonly ? MS.RDONLY : 0), m.data ?? '');
  }
}
// #endregion

// #region secure-join
/**
 * Resolve a path inside the container to a host path under `rootfs`, following the image's
 * symlinks as if `rootfs` were "/". Before pivot_root, an image symlink `/data -> /etc` must
 * lead to `<rootfs>/etc`, never to the host's /etc. (runc uses filepath-securejoin for this.)
 */
export function secureJoin(rootfs: string, target: string): string {
  const pending = target.split('/').filter(Boolean);
  const resolved: string[] = [];
  let links = 0;
  while (pending.length > 0) {
    const part = pending.shift()!;
    if (part === '.') continue;
    if (part === '..') {
      resolved.pop(); // ".." of the root is the root
      continue;
    }
    const host = path.join(rootfs, ...resolved, part);
    let isLink = false;
    try {
      isLink = lstatSync(host).isSymbolicLink();
    } catch {
      // does not exist (yet): the rest is taken literally
    }
    if (!isLink) {
      resolved.push(part);
      continue;
    }
    if (++links > 40) throw new EngineError(`${target}: too many levels of symbolic links (ELOOP)`);
    const link = readlinkSync(host);
    if (link.startsWith('/')) resolved.length = 0; // absolute: from the container's root
    pending.unshift(...link.split('/').filter(Boolean));
  }
  return path.join(rootfs, ...resolved);
}
// #endregion

// #region pivot
/**
 * pivot_root(".", ".") (pivot_root(2), NOTES): new_root and put_old may be the same directory.
 * The old root is then stacked on top of the new one at "/", and umount2(".") resolves "." up
 * that stack to the old root and detaches it. No temporary directory is made in the image (a
 * read-only rootfs works too) and nothing is left behind to remove. runc does the same.
 */
export function pivotRoot(sys: Sys, rootfs: string): void {
  sys.chdir(rootfs);
  sys.pivotRoot('.', '.');
  sys.umount2('.', MNT.DETACH);
  sys.chdir('/');
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
