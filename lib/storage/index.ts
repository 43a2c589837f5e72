// Storage drivers: where a container's root filesystem comes from, and how it becomes one tree.
//
//   stage < 3   vfs       a private full copy of the image's layers (lib/storage/vfs.ts)
//   stage ≥ 3   overlay2  the image's layers as lowerdirs, a -init layer, and a writable
//                         container layer, joined by an overlay mount (lib/storage/overlay2.ts)
// The layer store (lib/image/layerdb.ts) decides which directories a container gets; this file
// mounts and unmounts them. mount(2), umount2(2). Stage 3 notes, "who mounts the overlay".

import path from 'node:path';
import { EngineError } from '../errors.js';
import type { Paths } from '../paths.js';
import { MNT } from '../sys/constants.js';
import type { Sys } from '../sys/sys.js';
import { trace } from '../sys/trace.js';
import { lowerOf, mountedOnHost, overlayMountData, OVERLAY2 } from './overlay2.js';

/** docker inspect's GraphDriver: the driver's name and its directories. */
export interface GraphDriver {
  Name: string;
  Data: Record<string, string>;
}

/** overlay2/<mount-id>/merged → overlay2/ and <mount-id>. */
function overlayParts(driver: GraphDriver): { home: string; mountId: string; merged: string } {
  const merged = driver.Data.MergedDir;
  const layerDir = path.dirname(merged);
  return { home: path.dirname(layerDir), mountId: path.basename(layerDir), merged };
}

/**
 * The same, but trusting only the mount ID of the record: the directories are rebuilt under this
 * store's overlay2/, so an edited config.v2.json cannot make the host mount over any path.
 */
function ownOverlayParts(p: Paths, driver: GraphDriver): { home: string; mountId: string; merged: string } {
  const { mountId } = overlayParts(driver);
  if (!/^[0-9a-f]{64}$/.test(mountId)) throw new EngineError(`invalid overlay2 mount id in GraphDriver.Data.MergedDir: ${driver.Data.MergedDir}`);
  return { home: p.overlay2, mountId, merged: path.join(p.overlay2, mountId, 'merged') };
}

// #region mount-rootfs
/**
 * Mount a container's root filesystem on the host, as Docker's daemon does before it calls runc;
 * returns the directory that becomes the container's `/` (the OCI bundle's root.path).
 *
 *   overlay2: mount -t overlay overlay -o index=off,lowerdir=l/…,upperdir=…,workdir=… <id>/merged
 *             made from overlay2/ as the working directory (the short names are relative to it,
 *             see mount-options); the caller's working directory is restored afterwards.
 *   vfs:      the copy is a plain directory already: nothing to mount.
 * Idempotent: a merged/ that is already a mount point is returned as it is.
 */
export function mountRootfs(p: Paths, driver: GraphDriver, sys: Sys): string {
  if (driver.Name !== OVERLAY2) return driver.Data.MergedDir ?? driver.Data.Dir;
  const { home, mountId, merged } = ownOverlayParts(p, driver);
  if (mountedOnHost(merged)) return merged;
  // #region exercise 3.mount-overlay
  const data = overlayMountData(lowerOf(home, mountId), mountId);
  const cwd = process.cwd();
  process.chdir(home);
  try {
    trace(`$ cd ${home} && mount -t overlay overlay -o ${data} ${mountId}/merged`);
    sys.mount('overlay', merged, 'overlay', 0, data);
  } finally {
    process.chdir(cwd);
  }
  // #endregion
  return merged;
}

/**
 * Undo mountRootfs: a lazy unmount (MNT_DETACH) of merged/, so a process still holding a file
 * open in it does not make this fail; the kernel frees the overlay when the last user goes.
 * Idempotent: nothing is done when merged/ is not mounted, or for vfs.
 */
export function unmountRootfs(p: Paths, driver: GraphDriver, sys: Sys): void {
  if (driver.Name !== OVERLAY2) return;
  const { merged } = ownOverlayParts(p, driver);
  if (!mountedOnHost(merged)) return;
  trace(`$ umount -l ${merged}`);
  sys.umount2(merged, MNT.DETACH);
}
// #endregion
