// An image's files without mounting it: its layers' diff directories read top-down, the way
// overlayfs merges them. The topmost layer that has a path wins; a character device 0/0 there is a
// whiteout (the path is deleted); a directory carrying trusted.overlay.opaque=y hides what the
// layers below have in it; a file hides whatever is below it. `COPY --from` copies out of an
// earlier stage's image this way, before any container of it exists.
//
// Documentation/filesystems/overlayfs.rst ("whiteouts and opaque directories"). Stage 3 notes,
// "whiteouts on disk and in a tar"; stage 6 notes, "multi-stage builds".

import { chmodSync, copyFileSync, lstatSync, mkdirSync, readdirSync, readlinkSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import type { Sys } from '../sys/sys.js';
import { isOverlayOpaque, isOverlayWhiteout } from './layer-tar.js';

// #region merged-lookup
/**
 * One path of the merged view, as the list of layer paths that make it up, top first: a single
 * path for a file or a symlink, every layer's directory (down to an opaque one) for a directory,
 * and [] when the path is absent or whited out.
 */
export function mergedPath(layersTopDown: readonly string[], rel: string, sys: Pick<Sys, 'lgetxattr'>): string[] {
  let here = [...layersTopDown]; // the root directory is in every layer
  const parts = rel.split('/').filter((c) => c !== '' && c !== '.');
  for (const [i, part] of parts.entries()) {
    if (part === '..') return [];
    const below: string[] = [];
    for (const dir of here) {
      const full = path.join(dir, part);
      const st = lstatSync(full, { throwIfNoEntry: false });
      if (!st) continue; // this layer does not have it: look further down
      if (isOverlayWhiteout(st)) break; // deleted here: nothing below counts
      if (!st.isDirectory()) {
        if (below.length === 0) below.push(full); // a file on top wins; below a directory it is hidden
        break;
      }
      below.push(full);
      if (isOverlayOpaque(sys, full)) break;
    }
    if (below.length === 0) return [];
    // a path through a file (not its last part) does not exist
    if (i < parts.length - 1 && !lstatSync(below[0]).isDirectory()) return [];
    here = below;
  }
  return here;
}
// #endregion

/** The names in a merged directory (given as mergedPath's list), whiteouts removed. */
export function mergedChildren(dirs: readonly string[], sys: Pick<Sys, 'lgetxattr'>): string[] {
  const names = new Set<string>();
  for (const dir of dirs) for (const name of readdirSync(dir)) names.add(name);
  return [...names].filter((name) => mergedPath(dirs, name, sys).length > 0).sort();
}

// #region copy-out
/**
 * Copy the merged view of `rel` to `dest` (a path that does not exist yet): files with their
 * contents and modes, symlinks as they are, directories with what the layers have in them.
 * Returns false when the image has no such path.
 */
export function copyOut(layersTopDown: readonly string[], rel: string, dest: string, sys: Pick<Sys, 'lgetxattr'>): boolean {
  const found = mergedPath(layersTopDown, rel, sys);
  if (found.length === 0) return false;
  const copy = (paths: readonly string[], to: string) => {
    const st = lstatSync(paths[0]);
    if (st.isDirectory()) {
      mkdirSync(to);
      for (const name of mergedChildren(paths, sys)) copy(mergedPath(paths, name, sys), path.join(to, name));
      chmodSync(to, st.mode & 0o7777);
    } else if (st.isSymbolicLink()) {
      symlinkSync(readlinkSync(paths[0]), to);
    } else if (st.isFile()) {
      copyFileSync(paths[0], to);
      chmodSync(to, st.mode & 0o7777);
    }
    // devices, FIFOs and sockets are not copied (docker's COPY copies them; images rarely have any outside /dev)
  };
  copy(found, dest);
  return true;
}
// #endregion
