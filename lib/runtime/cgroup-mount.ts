// The cgroup filesystem inside the container: its own limits, read-only, as docker shows them.
// cgroup_namespaces(7), cgroups(7). Stage 2 notes: stages/02-cgroups, "Inside the container".
//
// Runs in init (rootfs.ts step 3, config.json's /sys/fs/cgroup mount), after init unshared its
// cgroup namespace (init.ts step 5). That order is the whole trick: a cgroup filesystem mounted
// from inside a cgroup namespace has the namespace's root as its own root, and that root is the
// cgroup the engine had just put init in. So the container sees minidock/<id> as "/" — its own
// memory.max or memory.limit_in_bytes, nothing of the host's tree above it.

import { existsSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { MS } from '../sys/constants.js';
import type { Sys } from '../sys/sys.js';
import { CGROUP_ROOT, cgroupMounts, detectCgroupVersion } from './cgroups/index.js';

/** One v1 hierarchy to mount again: its directory name under /sys/fs/cgroup and its options. */
export interface V1Hierarchy {
  /** "memory", "cpu,cpuacct", "systemd" — the host's own directory name for it */
  name: string;
  /** the mount options that name the hierarchy: its controllers ("cpu,cpuacct") or "name=systemd" */
  options: string[];
}

// #region hierarchies-to-mount
/**
 * The v1 hierarchies mounted under the host's /sys/fs/cgroup, as mountinfo lists them. Mounting
 * "cgroup" with the same controllers again does not create a hierarchy, it opens the existing
 * one (a cgroup namespace may not create new ones: EPERM); "rw"/"ro" are the mount's own business.
 * The cgroup2 of a hybrid host (unified/) holds no controllers: docker's v1 containers omit it too.
 */
export function hierarchiesToMount(mountinfo: string): V1Hierarchy[] {
  return cgroupMounts(mountinfo)
    .filter((m) => m.fsType === 'cgroup' && path.dirname(m.mountPoint) === CGROUP_ROOT)
    .map((m) => ({ name: path.basename(m.mountPoint), options: m.superOptions.filter((o) => o !== 'rw' && o !== 'ro') }));
}
// #endregion

// #region cgroup-mount
/**
 * Mount the cgroup filesystem at `dest` (<rootfs>/sys/fs/cgroup) with config.json's flags
 * (docker asks for ro, nosuid, nodev, noexec).
 *  - v2: one mount of cgroup2. Inside the namespace, its root is the container's cgroup.
 *  - v1: a tmpfs to hold one mount point per hierarchy, each hierarchy mounted again (its root,
 *    too, is the container's cgroup in that hierarchy), links for combined ones (cpu →
 *    cpu,cpuacct), and only then the tmpfs itself read-only: the directories had to be made first.
 *    With --cgroupns host there is no namespace root to lean on: /proc/self/cgroup names our
 *    cgroup below the host's root, and we bind-mount that directory instead, as runc does.
 */
export function mountCgroupfs(
  sys: Sys,
  dest: string,
  flags: number,
  mountinfo = readFileSync('/proc/self/mountinfo', 'utf8'),
  selfCgroup?: string,
): void {
  mkdirSync(dest, { recursive: true });
  if (detectCgroupVersion(mountinfo) === 2) {
    sys.mount('cgroup2', dest, 'cgroup2', flags, '');
    return;
  }
  // v1 only: where we are in each hierarchy (read here, not on v2's path, which needs none of it)
  const ours = selfCgroup ?? readFileSync('/proc/self/cgroup', 'utf8');
  sys.mount('tmpfs', dest, 'tmpfs', MS.NOSUID | MS.NODEV | MS.NOEXEC, 'mode=755');
  const hierarchies = hierarchiesToMount(mountinfo);
  for (const h of hierarchies) {
    const at = path.join(dest, h.name);
    mkdirSync(at);
    const own = ownCgroup(ours, h);
    if (own === '/') sys.mount('cgroup', at, 'cgroup', flags, h.options.join(','));
    else {
      // a bind mount ignores ro on its first call: the flags take a remount (see mountInto)
      sys.mount(path.join(CGROUP_ROOT, h.name, own), at, '', MS.BIND);
      sys.mount('', at, '', MS.BIND | MS.REMOUNT | flags);
    }
  }
  for (const h of hierarchies.filter((x) => x.name.includes(','))) {
    for (const controller of h.name.split(',')) {
      if (!existsSync(path.join(dest, controller))) symlinkSync(h.name, path.join(dest, controller));
    }
  }
  if (flags & MS.RDONLY) sys.mount('', dest, '', MS.BIND | MS.REMOUNT | MS.RDONLY | MS.NOSUID | MS.NODEV | MS.NOEXEC);
}
// #endregion

/**
 * Our cgroup in hierarchy `h`, from /proc/self/cgroup ("4:memory:/minidock/<id>",
 * "2:cpu,cpuacct:/…", "1:name=systemd:/…"). "/" inside our own cgroup namespace.
 */
function ownCgroup(selfCgroup: string, h: V1Hierarchy): string {
  for (const line of selfCgroup.trim().split('\n')) {
    const [, names, ...rest] = line.split(':');
    if (names && names.split(',').every((n) => h.options.includes(n))) return rest.join(':');
  }
  return '/';
}
