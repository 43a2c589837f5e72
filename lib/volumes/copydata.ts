// docker's "copyData": an empty volume mounted over a directory of the image first receives a
// copy of that directory. Stage 4 notes: stages/04-volumes/README.md, "copyData".

import { chmodSync, copyFileSync, lchownSync, linkSync, lstatSync, lutimesSync, mkdirSync, readdirSync, readlinkSync, statSync, symlinkSync, type Stats } from 'node:fs';
import path from 'node:path';
import type { Sys } from '../sys/sys.js';
import { trace } from '../sys/trace.js';

// #region copy-data
/**
 * docker's "copyData": a volume that is still empty, mounted where the image has a directory,
 * first receives a copy of that directory — files, modes, owners, times, hard links — and only
 * then covers it. A bind mount never does (the host directory is the user's: docker will not
 * write into it). Returns whether it copied.
 *
 * Docker does this in the daemon during `create`, with the container's rootfs mounted on the
 * host: `fromDir` is the image's directory in that mounted rootfs (securely joined), `toDir`
 * the volume's _data. Synchronous calls only, so it can also run inside init. `sys` makes the
 * device nodes and FIFOs that Node cannot (mknod(2)).
 */
export function copyDataIfEmpty(fromDir: string, toDir: string, sys: Pick<Sys, 'mknod'>): boolean {
  const imageDir = fromDir;
  const volume = toDir;
  // #region exercise 4.copy-data
  let st: Stats;
  try {
    st = statSync(imageDir);
  } catch {
    return false; // the image has nothing there: the mount point will be made empty
  }
  if (!st.isDirectory() || readdirSync(volume).length > 0) return false; // not empty: never overwrite
  trace(`copyData: ${imageDir} → ${volume}`);
  copyTree(sys, imageDir, volume, new Map());
  // and the directory itself: the volume's root takes the owner and mode of the image's directory
  lchownSync(volume, st.uid, st.gid);
  chmodSync(volume, st.mode & 0o7777);
  return true;
  // #endregion
}

function copyTree(sys: Pick<Sys, 'mknod'>, from: string, to: string, links: Map<string, string>): void {
  for (const name of readdirSync(from)) {
    const src = path.join(from, name);
    const dst = path.join(to, name);
    const st = lstatSync(src);
    const inode = `${st.dev}:${st.ino}`;
    if (!st.isDirectory() && st.nlink > 1 && links.has(inode)) {
      linkSync(links.get(inode)!, dst); // a second name of a file already copied
      continue;
    }
    if (st.isDirectory()) {
      mkdirSync(dst);
      copyTree(sys, src, dst, links);
    } else if (st.isFile()) copyFileSync(src, dst);
    else if (st.isSymbolicLink()) symlinkSync(readlinkSync(src), dst);
    else if (st.isFIFO() || st.isCharacterDevice() || st.isBlockDevice()) sys.mknod(dst, st.mode, st.rdev);
    else continue; // a socket: nothing to copy
    if (st.nlink > 1 && !st.isDirectory()) links.set(inode, dst);
    lchownSync(dst, st.uid, st.gid);
    if (!st.isSymbolicLink()) chmodSync(dst, st.mode & 0o7777); // after chown, which clears set-id bits
    lutimesSync(dst, st.atime, st.mtime); // last: for a directory, after its entries were written
  }
}
// #endregion

/** The same, in the argument order init (lib/runtime/rootfs.ts) calls it with today. */
export function copyImageContent(sys: Sys, imageDir: string, volume: string): boolean {
  return copyDataIfEmpty(imageDir, volume, sys);
}
