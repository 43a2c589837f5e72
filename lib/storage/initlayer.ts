// The init layer: `overlay2/<mount-id>-init`, between a container's writable layer and its image.
//
// It holds empty placeholders for what the runtime mounts over (/etc/hosts, /etc/hostname,
// /etc/resolv.conf are bind-mounted from containers/<id>/, /proc, /sys, /dev/pts, /dev/shm get
// their filesystems). `commit` packs the writable layer only, so none of it reaches an image.
// moby daemon/initlayer/setup_unix.go. Stage 3 notes, "the init layer".

import { closeSync, lstatSync, mkdirSync, openSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { trace } from '../sys/trace.js';

// #region init-layer
/** What Docker's init layer holds: a path, and "dir", "file", or a symlink's target. */
export const INIT_LAYER_ENTRIES: readonly (readonly [string, 'dir' | 'file' | { symlink: string }])[] = [
  ['dev/pts', 'dir'],
  ['dev/shm', 'dir'],
  ['proc', 'dir'],
  ['sys', 'dir'],
  ['.dockerenv', 'file'], // "you are in a container": programs test for this file
  ['etc/resolv.conf', 'file'],
  ['etc/hosts', 'file'],
  ['etc/hostname', 'file'],
  ['dev/console', 'file'],
  ['etc/mtab', { symlink: '/proc/mounts' }], // what `mount` and `df` read
];

/**
 * Fill a fresh init layer's diff/ directory. Only placeholders: the real /etc/hosts lives in
 * containers/<id>/hosts and is bind-mounted onto this empty file when the container starts.
 * Modes are Docker's (0755 for everything it makes, parents included).
 */
export function setupInitLayer(diffDir: string): void {
  // #region exercise 3.init-layer
  for (const [rel, kind] of INIT_LAYER_ENTRIES) {
    const target = path.join(diffDir, rel);
    mkdirSync(path.dirname(target), { recursive: true, mode: 0o755 });
    if (exists(target)) continue;
    if (kind === 'dir') mkdirSync(target, { mode: 0o755 });
    else if (kind === 'file') closeSync(openSync(target, 'wx', 0o755));
    else symlinkSync(kind.symlink, target);
  }
  // #endregion
  trace(`init layer ${diffDir}: ${INIT_LAYER_ENTRIES.map(([p]) => '/' + p).join(' ')}`);
}
// #endregion

function exists(p: string): boolean {
  try {
    lstatSync(p);
    return true;
  } catch {
    return false;
  }
}
