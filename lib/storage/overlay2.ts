// The overlay2 storage driver: a container's root filesystem as one overlay mount of the image's
// read-only layers, the container's -init layer, and its writable layer, in Docker's layout:
//
//   overlay2/<id>/diff/     a layer's own files                 (overlayfs: a lowerdir or the upperdir)
//   overlay2/<id>/link      its short name, 26 characters       (e.g. "QX3KTZ…")
//   overlay2/<id>/lower     the short names of every layer below, nearest first: "l/A:l/B:…"
//   overlay2/<id>/work/     overlayfs' scratch directory        (layers with a parent)
//   overlay2/<id>/merged/   where the union is mounted          (container layers)
//   overlay2/l/<short>      symlink → ../<id>/diff
//   overlay2/staging-<pid>-<id>/  a layer being unpacked: renamed to <id> when it is complete
//
// The driver knows layer directories by name only: which ChainID a directory holds, and which
// container owns which directories, is the layer store's business (lib/image/layerdb.ts).
// mount(2), overlayfs (Documentation/filesystems/overlayfs.rst); moby daemon/graphdriver/overlay2.
// Stage 3 notes: stages/03-overlay2/README.md.

import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, realpathSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { EngineError } from '../errors.js';
import { parseMountinfo } from '../runtime/mountinfo.js';
import { sh } from '../sys/exec.js';
import { trace } from '../sys/trace.js';
import { setupInitLayer } from './initlayer.js';

export const OVERLAY2 = 'overlay2';

// #region layer-limits
/** Docker's overlay2 refuses a layer with more layers than this below it. */
export const MAX_DEPTH = 128;

/**
 * The most layers an image may have: a container adds two (-init and the writable layer), and
 * overlay stacks of up to 127 were what every driver handled (AUFS' old branch limit, the seed
 * notes' "127"). Docker's layer store says the same (maxLayerDepth = 125): `commit` on a
 * 125-layer image fails with "max depth exceeded".
 */
export const MAX_IMAGE_LAYERS = 125;
// #endregion

/**
 * mount(2) copies its data argument (the option string) into one page of kernel memory, so the
 * options, with their terminating NUL, must fit in 4096 bytes (the page size on x86_64, and the
 * smallest one on aarch64).
 */
export const MOUNT_DATA_MAX = 4096 - 1;

// #region short-link
/** The short names under overlay2/l/: 26 random characters of the base32 (RFC 4648) alphabet. */
const LINK_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

export function newLinkId(): string {
  return [...randomBytes(26)].map((b) => LINK_ALPHABET[b % LINK_ALPHABET.length]).join('');
}
// #endregion

/** A layer's short name (its `link` file). */
export function linkOf(home: string, id: string): string {
  return readFileSync(path.join(home, id, 'link'), 'utf8').trim();
}

/** The `lower` file of a layer as a list, nearest layer first; [] for a bottom layer. */
export function lowerOf(home: string, id: string): string[] {
  try {
    const text = readFileSync(path.join(home, id, 'lower'), 'utf8').trim();
    return text === '' ? [] : text.split(':');
  } catch {
    return [];
  }
}

// #region layer-dir
/**
 * Make one layer directory on top of `parent` (another layer directory's name, or null).
 * The same steps Docker's overlay2 driver takes in its create():
 *   1. overlay2/<id>/diff/ and a short name: overlay2/<id>/link + overlay2/l/<short> → ../<id>/diff
 *   2. with a parent: `lower` = the parent's short link, then the parent's own `lower`;
 *      work/ for overlayfs; an empty `committed` file in the parent (it now has a child)
 *   3. for a container's writable layer: merged/, the mount point
 */
export function makeLayerDir(home: string, id: string, parent: string | null, opts: { merged?: boolean } = {}): void {
  const dir = path.join(home, id);
  lowersFor(home, parent); // too deep: fail before anything is made
  mkdirSync(home, { recursive: true, mode: 0o700 });
  mkdirSync(dir, { mode: 0o710 });
  mkdirSync(path.join(dir, 'diff'), { mode: 0o755 });
  trace(`mkdir ${dir}/diff`);
  linkLayerDir(home, id, dir, parent);
  if (opts.merged) mkdirSync(path.join(dir, 'merged'), { mode: 0o700 });
}

/** Steps 1 (the short name) and 2 (lower, work/, committed) for a layer directory at `dir`. */
function linkLayerDir(home: string, id: string, dir: string, parent: string | null): void {
  // #region exercise 3.short-link
  const lowers = lowersFor(home, parent);
  mkdirSync(path.join(home, 'l'), { recursive: true, mode: 0o700 });
  const link = newLinkId();
  symlinkSync(path.join('..', id, 'diff'), path.join(home, 'l', link));
  writeFileSync(path.join(dir, 'link'), link, { mode: 0o644 });
  trace(`ln -s ../${id}/diff ${home}/l/${link}`);
  if (parent !== null) {
    writeFileSync(path.join(dir, 'lower'), lowers.join(':'), { mode: 0o644 });
    mkdirSync(path.join(dir, 'work'), { mode: 0o700 });
    writeFileSync(path.join(home, parent, 'committed'), '', { mode: 0o600 });
  }
  // #endregion
}

/** The `lower` of a new layer on `parent`: the parent's short link, then the parent's `lower`. */
function lowersFor(home: string, parent: string | null): string[] {
  const lowers = parent === null ? [] : [`l/${linkOf(home, parent)}`, ...lowerOf(home, parent)];
  if (lowers.length > MAX_DEPTH) throw new EngineError(`max depth exceeded: a layer may have at most ${MAX_DEPTH} layers below it`);
  return lowers;
}

/** Remove a layer directory and the short link that names it. */
export function removeLayerDir(home: string, id: string): void {
  let link: string | null = null;
  try {
    link = linkOf(home, id);
  } catch {
    // half-made: no link file yet
  }
  if (link) rmSync(path.join(home, 'l', link), { force: true });
  rmSync(path.join(home, id), { recursive: true, force: true });
  trace(`rm -r ${path.join(home, id)}${link ? ` ${home}/l/${link}` : ''}`);
}
// #endregion

// #region staging
/**
 * An image layer is unpacked where no one takes it for a layer: overlay2/staging-<pid>-<id>/diff.
 * Unpacking takes seconds to minutes (thousands of files), and a process killed meanwhile must
 * leave nothing that looks like a layer. The name says who is unpacking: while that PID lives the
 * directory is work in progress; once it is dead, the directory is garbage (lib/image/layerdb.ts
 * collects it). Only when the files are complete does publishLayerDir give it its short link and
 * rename(2) it to overlay2/<id>: one atomic step, on one filesystem.
 */
export function stagingName(id: string, pid: number = process.pid): string {
  return `staging-${pid}-${id}`;
}

/** The PID and layer id a staging directory's name holds, or null for any other name. */
export function parseStagingName(name: string): { pid: number; id: string } | null {
  const m = /^staging-(\d+)-([0-9a-f]{64})$/.exec(name);
  return m ? { pid: Number(m[1]), id: m[2] } : null;
}

/** Make overlay2/staging-<pid>-<id>/diff/; returns the diff directory to unpack into. */
export function makeStagingDir(home: string, id: string): string {
  const dir = path.join(home, stagingName(id));
  mkdirSync(home, { recursive: true, mode: 0o700 });
  mkdirSync(dir, { mode: 0o710 });
  mkdirSync(path.join(dir, 'diff'), { mode: 0o755 });
  trace(`mkdir ${dir}/diff   # unpack here, publish by rename`);
  return path.join(dir, 'diff');
}

/**
 * Turn a complete staging directory into the layer directory <id> on top of `parent`: its short
 * link (dangling for an instant: it names ../<id>/diff), lower, work/, then rename(2). The caller
 * holds the layer store's lock, so no garbage collector sees the instant between.
 */
export function publishLayerDir(home: string, id: string, parent: string | null): void {
  const staging = path.join(home, stagingName(id));
  linkLayerDir(home, id, staging, parent);
  renameSync(staging, path.join(home, id));
  trace(`mv ${staging} ${path.join(home, id)}`);
}
// #endregion

/** What lies in overlay2/: layer directories by name, staging directories, and the short links. */
export function layerDirNames(home: string): { layers: string[]; staging: string[]; links: string[] } {
  const list = (d: string): string[] => {
    try {
      return readdirSync(d);
    } catch {
      return [];
    }
  };
  const names = list(home).filter((n) => n !== 'l');
  return {
    layers: names.filter((n) => parseStagingName(n) === null),
    staging: names.filter((n) => parseStagingName(n) !== null),
    links: list(path.join(home, 'l')),
  };
}

/** Short links under l/ whose target (../<id>/diff) does not exist. */
export function danglingLinks(home: string): string[] {
  return layerDirNames(home).links.filter((link) => !existsSync(path.join(home, 'l', link)));
}

/** Remove short links under l/ (ones found dangling). */
export function removeLinks(home: string, links: readonly string[]): void {
  for (const link of links) rmSync(path.join(home, 'l', link), { force: true });
  if (links.length > 0) trace(`rm ${links.map((l) => `l/${l}`).join(' ')}   # dangling short links`);
}

// #region container-layers
/**
 * A container's two layers on top of its image's top layer (`parent`, a layer directory name,
 * or null for an image without layers), in the order Docker makes them:
 *   1. <mount-id>-init on the image's top layer, filled with placeholders (lib/storage/initlayer.ts)
 *   2. <mount-id> on the init layer: the writable layer, with merged/ to mount on
 * The mount ID is 64 random hex digits, unrelated to the container ID; the layer store records
 * which container owns it (layerdb/mounts/<container id>/, lib/image/layerdb.ts).
 * Returns docker inspect's GraphDriver.Data.
 */
export function createContainerLayers(home: string, mountId: string, parent: string | null): Record<string, string> {
  const initId = `${mountId}-init`;
  try {
    makeLayerDir(home, initId, parent);
    setupInitLayer(path.join(home, initId, 'diff'));
    makeLayerDir(home, mountId, initId, { merged: true });
    trace(`container layers ${mountId} (rw) over ${initId} over ${parent ?? 'no image layer'}`);
  } catch (err) {
    removeContainerLayers(home, mountId);
    throw err;
  }
  return graphDriverData(home, mountId);
}
// #endregion

/**
 * GraphDriver.Data as `docker inspect` shows it for a container: absolute paths, the lower
 * directories nearest first (the init layer, then the image's top layer … its bottom layer).
 * Each is found by following the short links of `lower`, so this also proves they resolve.
 */
export function graphDriverData(home: string, mountId: string): Record<string, string> {
  const lowerDirs = lowerOf(home, mountId).map((l) => path.resolve(home, path.dirname(l), readlinkSync(path.join(home, l))));
  return {
    LowerDir: lowerDirs.join(':'),
    MergedDir: path.join(home, mountId, 'merged'),
    UpperDir: path.join(home, mountId, 'diff'),
    WorkDir: path.join(home, mountId, 'work'),
  };
}

// #region mount-options
/**
 * The overlay mount of a container's root filesystem, with names relative to overlay2/:
 *
 *   mount -t overlay overlay -o index=off,lowerdir=l/INIT:l/TOP:…:l/BOTTOM,upperdir=<id>/diff,workdir=<id>/work <id>/merged
 *
 * lowerdir lists the highest layer first: a name is looked up there first, then lower down.
 * Relative names work because the mounting process chdir(2)s to overlay2/ first; they are why a
 * 125-layer image fits: 29 bytes per "l/<short>:" where an absolute ".../overlay2/<64 hex>/diff"
 * path takes ~100. index=off as Docker passes it: overlayfs' inode index would tie each layer to
 * the first upper directory it was mounted with, and image layers are shared by many containers.
 */
export function overlayMountData(lowers: readonly string[], mountId: string): string {
  // #region exercise 3.lowerdir
  const data = `index=off,lowerdir=${lowers.join(':')},upperdir=${mountId}/diff,workdir=${mountId}/work`;
  if (data.length > MOUNT_DATA_MAX) {
    throw new EngineError(`overlay mount options are ${data.length} bytes, more than one page (${MOUNT_DATA_MAX}): too many layers`);
  }
  return data;
  // #endregion
}

// #endregion

// #region remove-container-layers
/**
 * `rm`: the container's writable and init layers. If merged/ is still mounted on the host
 * (mountRootfs in lib/storage/index.ts, or by hand as the notes show), it is unmounted first,
 * lazily: a shell still standing in it must not make `rm` fail.
 */
export function removeContainerLayers(home: string, mountId: string): void {
  const merged = path.join(home, mountId, 'merged');
  if (mountedOnHost(merged)) sh('umount', ['-l', merged]);
  removeLayerDir(home, mountId);
  removeLayerDir(home, `${mountId}-init`);
}
// #endregion

/** Is `dir` a mount point in the caller's (the host's) mount namespace? proc(5): mountinfo. */
export function mountedOnHost(dir: string, mountinfo = '/proc/self/mountinfo'): boolean {
  if (!existsSync(dir)) return false;
  // the mount point field (5th) is an absolute path in our namespace, symlinks resolved (unlike
  // the 4th, root, which is relative to the mounted filesystem): compare with the real path
  const real = realpathSync(dir);
  return parseMountinfo(readFileSync(mountinfo, 'utf8')).some((m) => m.mountPoint === real);
}
