// The container's root filesystem: from "a directory on the host" to "/".
// pivot_root(2), mount(2), mount_namespaces(7), chroot(2). Stage 1 notes: stages/01-namespaces.
//
// Runs inside init, after unshare(CLONE_NEWNS): every mount here lands in the container's own
// mount namespace. It follows config.json: root.path becomes "/", `mounts` are mounted in order
// (/proc, /dev, /sys are ordinary entries there), `linux.devices` are made in /dev. The order
// matters and each step says why. All file operations are synchronous: only init's main thread
// is in the new namespaces.

import { closeSync, existsSync, lstatSync, mkdirSync, openSync, readlinkSync, statSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { EngineError } from '../errors.js';
import { MNT, MS, S_IF, makedev } from '../sys/constants.js';
import type { Sys } from '../sys/sys.js';
import { mountCgroupfs } from './cgroup-mount.js';
import type { LinuxDevice, LinuxResources, Mount, Spec } from './spec.js';

// #region dev
/** The device nodes every container gets, whatever config.json says (runc's default devices). */
export const DEFAULT_DEVICES: LinuxDevice[] = [
  { path: '/dev/null', type: 'c', major: 1, minor: 3 },
  { path: '/dev/zero', type: 'c', major: 1, minor: 5 },
  { path: '/dev/full', type: 'c', major: 1, minor: 7 },
  { path: '/dev/random', type: 'c', major: 1, minor: 8 },
  { path: '/dev/urandom', type: 'c', major: 1, minor: 9 },
  { path: '/dev/tty', type: 'c', major: 5, minor: 0 },
];

/**
 * Fill the container's /dev (a fresh tmpfs from `mounts`, never the host's /dev, which would
 * hand the container every disk): the default devices and config.json's, then the standard
 * symlinks. mknod(2) here, before pivot_root, through secureJoin: an image's `dev -> /` must not
 * put device nodes into the host's root.
 */
export function createDevices(sys: Sys, rootfs: string, devices: readonly LinuxDevice[]): void {
  const all = [...DEFAULT_DEVICES, ...devices.filter((d) => !DEFAULT_DEVICES.some((x) => x.path === d.path))];
  // mknod's mode passes through the umask (022 from the shell): /dev/null would be 0644 and a
  // non-root user could not write to it. Umask 0 while the nodes are made, as runc does.
  const umask = process.umask(0);
  try {
    for (const d of all) {
      const node = secureJoin(rootfs, d.path);
      mkdirSync(path.dirname(node), { recursive: true });
      const kind = d.type === 'b' ? S_IF.BLK : d.type === 'p' ? S_IF.FIFO : S_IF.CHR;
      if (existsSync(node)) continue; // an image's own /dev/null on a /dev without tmpfs
      sys.mknod(node, kind | (d.fileMode ?? 0o666), makedev(d.major, d.minor));
    }
  } finally {
    process.umask(umask);
  }
  const dev = secureJoin(rootfs, '/dev');
  const links: [string, string][] = [
    ['/proc/self/fd', 'fd'], ['/proc/self/fd/0', 'stdin'], ['/proc/self/fd/1', 'stdout'],
    ['/proc/self/fd/2', 'stderr'], ['/proc/kcore', 'core'],
  ];
  // /dev/ptmx: the container's own devpts instance (mounted with newinstance) has its ptmx
  if (existsSync(path.join(dev, 'pts', 'ptmx'))) links.push(['pts/ptmx', 'ptmx']);
  for (const [target, name] of links) {
    if (!existsSync(path.join(dev, name)) && !isLink(path.join(dev, name))) symlinkSync(target, path.join(dev, name));
  }
}
// #endregion

// #region dev-rules
/**
 * The devices cgroup rules the runtime appends to config.json's, as runc does: making any node
 * (`m`; opening is what matters), opening the default nodes above, and a terminal's /dev/pts/* and
 * /dev/ptmx. The cgroup is in force before init fills /dev, so a config.json that denies every
 * device (what `runc spec` writes: one rule, "a" denied) would otherwise make mknod(/dev/null)
 * fail with EPERM. A config.json without device rules gets none: on cgroup v2, any rule means
 * "deny what no rule allows".
 */
export function withDefaultDeviceRules(resources: LinuxResources): LinuxResources {
  if (!resources.devices?.length) return resources;
  const allow = (type: 'c' | 'b', major: number | null, minor: number | null, access: string) => ({ allow: true, type, major, minor, access });
  const defaults = [
    allow('c', null, null, 'm'), allow('b', null, null, 'm'),
    ...DEFAULT_DEVICES.map((d) => allow(d.type === 'b' ? 'b' : 'c', d.major, d.minor, 'rwm')),
    allow('c', 136, null, 'rwm'), allow('c', 5, 2, 'rwm'),
  ];
  return { ...resources, devices: [...resources.devices, ...defaults] };
}
// #endregion

// #region prepare
/** What enterRootfs needs from config.json. */
export type RootfsSpec = Pick<Spec, 'mounts' | 'root'> & { linux: Pick<Spec['linux'], 'devices' | 'maskedPaths' | 'readonlyPaths' | 'rootfsPropagation'> };

/** Mount everything the container needs, then make `rootfs` the root. */
export function enterRootfs(sys: Sys, rootfs: string, spec: RootfsSpec, noPivot: boolean, beforeProtect: () => void = () => {}): void {
  // 1–2. "/" private, then the rootfs a mount point of its own (privateRoot, below).
  privateRoot(sys, rootfs, spec.linux.rootfsPropagation);

  // 3. config.json's mounts, in order: /proc, /dev, /dev/pts, /sys, volumes, /etc/hosts …
  //    after the rootfs exists, before pivot_root, while the host's paths can still be named.
  //    /proc can be mounted here already: we are PID 1 of the new PID namespace, and a proc
  //    mount shows the PID namespace of the process that mounts it.
  for (const m of spec.mounts) mountInto(sys, rootfs, m);

  // 4. The device nodes, once /dev (a tmpfs among the mounts) exists.
  if (spec.mounts.some((m) => m.destination === '/dev')) createDevices(sys, rootfs, spec.linux.devices ?? []);

  // 5. Switch roots. pivot_root makes rootfs the root mount and puts the old root on top of
  //    it; then we detach the old root (MNT_DETACH: lazily, it still has users at this instant).
  //    From here on, no path leads back to the host's files — unlike chroot(2), which only
  //    changes how "/" is resolved and can be escaped (see stages/01-namespaces).
  if (noPivot) moveRoot(sys, rootfs);
  else pivotRoot(sys, rootfs);

  // 6. Paths the container may not read (maskedPaths) or write (readonlyPaths), now that
  //    /proc and /sys are the container's own — after the caller's last writes there (init's
  //    sysctls go to /proc/sys, which is about to become read-only).
  beforeProtect();
  for (const p of spec.linux.maskedPaths ?? []) maskPath(sys, p);
  for (const p of spec.linux.readonlyPaths ?? []) readonlyPath(sys, p);

  // 7. root.readonly: the whole rootfs read-only, last, after everything was mounted into it.
  if (spec.root.readonly) sys.mount('', '/', '', MS.BIND | MS.REMOUNT | MS.RDONLY);
}

/** enterRootfs's steps 1 and 2: nothing we mount may leak to the host, and rootfs becomes a mount. */
export function privateRoot(sys: Sys, rootfs: string, rootfsPropagation: string | undefined): void {
  // #region exercise 1.private-root
  // 1. Before any other mount: make every mount in our new namespace private (or slave),
  //    recursively. A fresh mount namespace is a copy of the host's, with the same propagation:
  //    on a systemd host "/" is shared, so without this our mounts would propagate back.
  sys.mount('', '/', '', MS.REC | (rootfsPropagation?.endsWith('slave') ? MS.SLAVE : MS.PRIVATE));

  // 2. The root filesystem: bind-mount the directory onto itself, because pivot_root(2) wants
  //    new_root to be a mount point and a plain directory is not one. (With overlay2 the engine
  //    has already mounted the container's layers there, on the host, as Docker does.)
  sys.mount(rootfs, rootfs, '', MS.BIND | MS.REC);
  // #endregion
}
// #endregion

// #region mount-options
/** mount(8)-style options that are flags to mount(2); the value says whether they set or clear. */
const FLAG_OPTIONS: Record<string, [set: boolean, flag: number]> = {
  ro: [true, MS.RDONLY], rw: [false, MS.RDONLY],
  nosuid: [true, MS.NOSUID], suid: [false, MS.NOSUID],
  nodev: [true, MS.NODEV], dev: [false, MS.NODEV],
  noexec: [true, MS.NOEXEC], exec: [false, MS.NOEXEC],
  sync: [true, MS.SYNCHRONOUS], async: [false, MS.SYNCHRONOUS],
  dirsync: [true, MS.DIRSYNC], mand: [true, MS.MANDLOCK], nomand: [false, MS.MANDLOCK],
  noatime: [true, MS.NOATIME], atime: [false, MS.NOATIME],
  nodiratime: [true, MS.NODIRATIME], diratime: [false, MS.NODIRATIME],
  relatime: [true, MS.RELATIME], norelatime: [false, MS.RELATIME],
  strictatime: [true, MS.STRICTATIME], nostrictatime: [false, MS.STRICTATIME],
  bind: [true, MS.BIND], rbind: [true, MS.BIND | MS.REC], defaults: [false, 0],
};
const PROPAGATION: Record<string, number> = {
  private: MS.PRIVATE, rprivate: MS.PRIVATE | MS.REC, slave: MS.SLAVE, rslave: MS.SLAVE | MS.REC,
  shared: MS.SHARED, rshared: MS.SHARED | MS.REC, unbindable: MS.UNBINDABLE, runbindable: MS.UNBINDABLE | MS.REC,
};

/** Split a mount's options into mount(2)'s flags, a propagation change, and the data string. */
export function parseMountOptions(options: readonly string[]): { flags: number; propagation: number; data: string } {
  let flags = 0;
  let propagation = 0;
  const data: string[] = [];
  for (const o of options) {
    if (o in FLAG_OPTIONS) {
      const [set, flag] = FLAG_OPTIONS[o];
      flags = set ? flags | flag : flags & ~flag;
    } else if (o in PROPAGATION) propagation = PROPAGATION[o];
    else data.push(o); // filesystem options: mode=755, size=64m, newinstance …
  }
  return { flags, propagation, data: data.join(',') };
}
// #endregion

// #region mounts
/**
 * Mount one of config.json's mounts at its place in the rootfs. A bind mount ignores MS_RDONLY
 * (and nosuid, nodev, noexec) on its first call, so those take a second, remount call
 * (mount(2): "MS_REMOUNT | MS_BIND … changes the per-mount-point flags").
 */
export function mountInto(sys: Sys, rootfs: string, m: Mount): void {
  const dest = secureJoin(rootfs, m.destination);
  const { flags, propagation, data } = parseMountOptions(m.options ?? []);
  const bind = m.type === 'bind' || (flags & MS.BIND) !== 0;
  if (bind) {
    // the mount point must exist and be of the same kind as the source: a file for a file
    if (statSync(m.source).isDirectory()) mkdirSync(dest, { recursive: true });
    else if (!existsSync(dest)) {
      mkdirSync(path.dirname(dest), { recursive: true });
      closeSync(openSync(dest, 'a'));
    }
    sys.mount(m.source, dest, '', MS.BIND | (flags & MS.REC));
    const perMount = flags & ~(MS.BIND | MS.REC);
    if (perMount !== 0) {
      // #region exercise 4.bind-readonly
      // The first bind mount(2) ignored ro (and nosuid, nodev, noexec): set them on the new
      // mount with a second call, MS_REMOUNT|MS_BIND plus the flags.
      sys.mount('', dest, '', MS.BIND | MS.REMOUNT | perMount);
      // #endregion
    }
  } else if (m.type === 'cgroup' || m.type === 'cgroup2') {
    mountCgroupfs(sys, dest, flags);
  } else {
    // #region exercise 1.mount
    // A filesystem of its own (proc, sysfs, tmpfs, devpts, mqueue): a mount point, then
    // mount(2) with the type, the flags and the data string parseMountOptions made.
    mkdirSync(dest, { recursive: true });
    sys.mount(m.source, dest, m.type, flags, data);
    // #endregion
  }
  if (propagation !== 0) sys.mount('', dest, '', propagation);
}
// #endregion

/** A masked path: /dev/null over a file, an empty read-only tmpfs over a directory. */
function maskPath(sys: Sys, p: string): void {
  let isDir: boolean;
  try {
    isDir = statSync(p).isDirectory();
  } catch {
    return; // not there: nothing to hide
  }
  if (isDir) sys.mount('tmpfs', p, 'tmpfs', MS.RDONLY, '');
  else sys.mount('/dev/null', p, '', MS.BIND);
}

/** A read-only path: bound onto itself, then remounted read-only. */
function readonlyPath(sys: Sys, p: string): void {
  if (!existsSync(p)) return;
  sys.mount(p, p, '', MS.BIND | MS.REC);
  sys.mount('', p, '', MS.BIND | MS.REMOUNT | MS.RDONLY | MS.NOSUID | MS.NODEV | MS.NOEXEC);
}

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
    if (!isLink(host)) {
      resolved.push(part); // not a link, or not there (yet): taken literally
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

function isLink(p: string): boolean {
  try {
    return lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}

// #region pivot
/**
 * pivot_root(".", ".") (pivot_root(2), NOTES): new_root and put_old may be the same directory.
 * The old root is then stacked on top of the new one at "/", and umount2(".") resolves "." up
 * that stack to the old root and detaches it. No temporary directory is made in the image (a
 * read-only rootfs works too) and nothing is left behind to remove. runc does the same.
 */
export function pivotRoot(sys: Sys, rootfs: string): void {
  // #region exercise 1.pivot-root
  sys.chdir(rootfs);
  sys.pivotRoot('.', '.'); // the old root now sits on top of the new one, at "/"
  sys.umount2('.', MNT.DETACH); // "." resolves to the old root: detach it, lazily
  sys.chdir('/');
  // #endregion
}
// #endregion

// #region no-pivot
/**
 * runc's --no-pivot, for filesystems where pivot_root(2) is refused (an initramfs): move the
 * rootfs mount onto "/" and chroot into it. The old root stays mounted below, reachable by a
 * process that can escape a chroot — which is why pivot_root is the default.
 */
export function moveRoot(sys: Sys, rootfs: string): void {
  sys.chdir(rootfs);
  sys.mount(rootfs, '/', '', MS.MOVE);
  sys.chroot('.');
  sys.chdir('/');
}
// #endregion

// #region chroot
/**
 * Stage 0's "container": chroot(2) alone, for a config.json without a mount namespace. No
 * namespace, no mount: the process sees the image's files as "/", but it shares everything else
 * with the host — and chroot can be escaped.
 */
export function enterChroot(sys: Sys, rootfs: string): void {
  sys.chroot(rootfs);
  sys.chdir('/');
}
// #endregion
