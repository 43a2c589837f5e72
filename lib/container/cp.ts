// docker cp: files between the host and a container's root filesystem, running or stopped, with
// tar semantics (modes, owners, symlinks copied as symlinks). Stage 7 notes, "cp".
//
// The danger is the container's own symlinks: a container that plants `/tmp/x -> /etc` must not
// make `cp file web:/tmp/x/` write the host's /etc (CVE-2018-15664, CVE-2019-14271 in docker).
// So every container path is resolved with secureJoin (symlinks followed as if the rootfs were
// "/"), and the bytes move as a tar through the stage-3 extractor (lib/image/layer-tar.ts), which
// creates each entry fresh, never through a symlink (O_EXCL | O_NOFOLLOW, inode-checked dirs).

import { existsSync, lstatSync, mkdtempSync, readlinkSync, rmSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { EngineError } from '../errors.js';
import { applyLayerTar, packDir } from '../image/layer-tar.js';
import type { Paths } from '../paths.js';
import { secureJoin } from '../runtime/rootfs.js';
import { sh } from '../sys/exec.js';
import { realSys } from '../sys/index.js';
import { mountRootfs, unmountRootfs } from '../storage/index.js';
import { findContainer, initAlive } from './state.js';

/** One side of `cp`: a host path, or CONTAINER:PATH. */
export type CpEnd = { container: string; path: string } | { host: string };

/** docker's rule: "NAME:PATH" is a container path unless it starts with / or . (a host path with a colon). */
export function parseCpEnd(arg: string): CpEnd {
  const colon = arg.indexOf(':');
  if (colon <= 0 || arg.startsWith('/') || arg.startsWith('.')) return { host: arg };
  const p = arg.slice(colon + 1);
  return { container: arg.slice(0, colon), path: p.startsWith('/') ? p : `/${p}` };
}

// #region cp
export async function copy(p: Paths, from: CpEnd, to: CpEnd): Promise<void> {
  if ('container' in from && 'container' in to) throw new EngineError('copying between containers is not supported', 1);
  if (!('container' in from) && !('container' in to)) throw new EngineError('must specify at least one container source', 1);
  const ref = 'container' in from ? from.container : (to as { container: string }).container;
  const c = findContainer(p, ref);
  const sys = await realSys();
  // a stopped container's rootfs is not mounted: mount it for the copy, as docker does
  const running = c.State.Running && initAlive(c);
  const rootfs = mountRootfs(p, c.GraphDriver, sys);
  try {
    if ('container' in to) await copyIn((from as { host: string }).host, rootfs, to.path);
    else await copyOut(rootfs, (from as { path: string }).path, (to as { host: string }).host);
  } finally {
    if (!running) unmountRootfs(p, c.GraphDriver, sys);
  }
}
// #endregion

// #region cp-in
/** host → container: stage the source under its new name, tar it, extract it safely inside. */
async function copyIn(src: string, rootfs: string, dest: string): Promise<void> {
  if (!existsSync(src)) throw new EngineError(`could not find the file ${src} in the host`, 1);
  const intoDir = dest.endsWith('/') || isDir(secureJoin(rootfs, dest));
  const dir = secureJoin(rootfs, intoDir ? dest : path.posix.dirname(dest));
  if (!isDir(dir)) throw new EngineError(`no such directory in the container: ${intoDir ? dest : path.posix.dirname(dest)}`, 1);
  const name = intoDir ? path.basename(src) : path.posix.basename(dest);
  if (existsSync(path.join(dir, name)) && !isDir(path.join(dir, name))) rmSync(path.join(dir, name)); // replaced, never written through
  const staging = mkdtempSync('/tmp/minidock-cp-');
  try {
    sh('cp', ['-a', src, path.join(staging, name)]);
    await applyLayerTar(packDir(staging), dir, { stage: 2 }); // stage 2: a .wh. file stays a file
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}
// #endregion

// #region cp-out
/** container → host: the parent resolved inside the rootfs; a symlink itself is copied as one. */
async function copyOut(rootfs: string, src: string, dest: string): Promise<void> {
  const parent = secureJoin(rootfs, path.posix.dirname(src));
  const base = path.posix.basename(src);
  const source = base === '' || base === '/' ? parent : path.join(parent, base);
  let st;
  try {
    st = lstatSync(source);
  } catch {
    throw new EngineError(`could not find the file ${src} in container`, 1);
  }
  const target = existsSync(dest) && isDir(dest) ? path.join(dest, path.basename(source)) : dest;
  if (st.isSymbolicLink()) {
    rmSync(target, { force: true });
    symlinkSync(readlinkSync(source), target); // the link, not what it points at
    return;
  }
  const staging = mkdtempSync('/tmp/minidock-cp-');
  try {
    if (st.isDirectory()) await applyLayerTar(packDir(source), staging, { stage: 2 });
    else sh('cp', ['-a', '--no-dereference', source, path.join(staging, 'f')]);
    rmSync(target, { recursive: true, force: true });
    sh('mv', ['-T', st.isDirectory() ? staging : path.join(staging, 'f'), target]);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}
// #endregion

function isDir(p: string): boolean {
  try {
    return lstatSync(p).isDirectory();
  } catch {
    return false;
  }
}
