// Storage drivers: where a container's root filesystem comes from.
//
//   stage < 3   vfs       a private full copy of the image's layers (lib/storage/vfs.ts)
//   stage ≥ 3   overlay2  the image's layers as lowerdirs, a -init layer, and a writable
//                         container layer, joined by an overlay mount (lib/storage/overlay2.ts)
// The driver a container was created with is recorded in its GraphDriver.Name, so `rm` removes
// it the same way even if the stage gate has moved since.

import path from 'node:path';
import type { Container } from '../container/state.js';
import type { ImageStore, Image } from '../image/store.js';
import type { Paths } from '../paths.js';
import type { InitSpec } from '../sync.js';
import { createContainerLayers, overlayMount, OVERLAY2, removeContainerLayers } from './overlay2.js';
import { createVfsRootfs, removeVfsRootfs, VFS } from './vfs.js';

export interface GraphDriver {
  Name: string;
  Data: Record<string, string>;
}

// #region create-rootfs
/** Make the container's root filesystem (nothing is mounted yet: init mounts it, inside). */
export function createRootfs(p: Paths, id: string, store: ImageStore, image: Image, stage: number): GraphDriver {
  if (stage >= 3) return { Name: OVERLAY2, Data: createContainerLayers(p, store, image, id) };
  const dir = createVfsRootfs(p, id, store.layerDirs(image));
  return { Name: VFS, Data: { Dir: dir, MergedDir: dir } };
}

/** What init needs to know to mount the root filesystem in the container's mount namespace. */
export function rootfsForInit(c: Container): Pick<InitSpec, 'rootfs' | 'rootfsMount'> {
  if (c.GraphDriver.Name === OVERLAY2) {
    // MergedDir is overlay2/<mount-id>/merged: the driver's home is two levels up
    const merged = c.GraphDriver.Data.MergedDir;
    const layerDir = path.dirname(merged);
    return { rootfs: merged, rootfsMount: overlayMount(path.dirname(layerDir), path.basename(layerDir)) };
  }
  return { rootfs: c.GraphDriver.Data.MergedDir ?? c.GraphDriver.Data.Dir, rootfsMount: null };
}
// #endregion

export function removeRootfs(p: Paths, c: Container): void {
  if (c.GraphDriver.Name === VFS) removeVfsRootfs(p, c.ID);
  // also when GraphDriver is still empty: a run that failed while making the layers
  else removeContainerLayers(p, c.ID);
}
