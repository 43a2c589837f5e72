// The "vfs" storage driver: a container's rootfs as a full private copy of its image's layers.
// Docker has the same driver (storage driver "vfs", under /var/lib/docker/vfs/dir/<id>): no
// union filesystem, no copy-on-write, every container pays for a whole copy.
//
// minidock uses it before stage 3 (overlay2) switches on: stages 1 and 2 need a root
// filesystem, not an efficient one. Stage 3's notes compare the two.

import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { sh } from '../sys/exec.js';
import type { Paths } from '../paths.js';

export const VFS = 'vfs';

export function vfsDir(p: Paths, id: string): string {
  return path.join(p.root, 'vfs', 'dir', id);
}

// #region vfs-create
/** Copy the image's layers, bottom first, into a fresh directory: the container's rootfs. */
export function createVfsRootfs(p: Paths, id: string, layerDirsBottomUp: readonly string[]): string {
  const dir = vfsDir(p, id);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  try {
    for (const layer of layerDirsBottomUp) {
      // cp -a keeps modes, owners, symlinks, device nodes and times: what a learner would type
      sh('cp', ['-a', `${layer}/.`, `${dir}/`]);
    }
  } catch (e) {
    rmSync(dir, { recursive: true, force: true }); // a failed copy leaves nothing
    throw e;
  }
  return dir;
}
// #endregion

export function removeVfsRootfs(p: Paths, id: string): void {
  rmSync(vfsDir(p, id), { recursive: true, force: true });
}
