// The overlay2 storage driver: a container's root filesystem as one overlay mount of the image's
// read-only layers, the container's -init layer, and its writable layer, in Docker's layout:
//
//   overlay2/<id>/diff/     a layer's own files                 (overlayfs: a lowerdir or the upperdir)
//   overlay2/<id>/link      its short name, 26 characters       (e.g. "QX3KTZ…")
//   overlay2/<id>/lower     the short names of every layer below, nearest first: "l/A:l/B:…"
//   overlay2/<id>/work/     overlayfs' scratch directory        (layers with a parent)
//   overlay2/<id>/merged/   where the union is mounted          (container layers)
//   overlay2/l/<short>      symlink → ../<id>/diff
//   image/overlay2/layerdb/mounts/<container id>/{mount-id,init-id,parent}
//
// mount(2), overlayfs (Documentation/filesystems/overlayfs.rst); moby daemon/graphdriver/overlay2.
// Stage 3 notes: stages/03-overlay2/README.md.

import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { EngineError } from '../errors.js';
import type { Image, ImageStore } from '../image/store.js';
import type { Paths } from '../paths.js';
import { sh } from '../sys/exec.js';
import { trace } from '../sys/trace.js';
import type { InitSpec } from '../sync.js';
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
  const lowers = parent === null ? [] : [`l/${linkOf(home, parent)}`, ...lowerOf(home, parent)];
  if (lowers.length > MAX_DEPTH) throw new EngineError(`max depth exceeded: a layer may have at most ${MAX_DEPTH} layers below it`);

  mkdirSync(path.join(home, 'l'), { recursive: true, mode: 0o700 });
  mkdirSync(dir, { mode: 0o710 });
  mkdirSync(path.join(dir, 'diff'), { mode: 0o755 });
  const link = newLinkId();
  symlinkSync(path.join('..', id, 'diff'), path.join(home, 'l', link));
  writeFileSync(path.join(dir, 'link'), link, { mode: 0o644 });
  trace(`mkdir ${dir}/diff; ln -s ../${id}/diff ${home}/l/${link}`);

  if (parent !== null) {
    writeFileSync(path.join(dir, 'lower'), lowers.join(':'), { mode: 0o644 });
    mkdirSync(path.join(dir, 'work'), { mode: 0o700 });
    writeFileSync(path.join(home, parent, 'committed'), '', { mode: 0o600 });
  }
  if (opts.merged) mkdirSync(path.join(dir, 'merged'), { mode: 0o700 });
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

/** layerdb/mounts/<container id>/: which layer directories belong to a container. */
function mountsDir(p: Paths, containerId: string): string {
  return path.join(p.layerDb, 'mounts', containerId);
}

/** The writable layer's directory name of a container (layerdb/mounts/<id>/mount-id). */
export function mountIdOf(p: Paths, containerId: string): string | null {
  try {
    return readFileSync(path.join(mountsDir(p, containerId), 'mount-id'), 'utf8').trim();
  } catch {
    return null;
  }
}

// #region container-layers
/**
 * A container's two layers on top of its image, in the order Docker makes them:
 *   1. a mount ID: 64 random hex digits, unrelated to the container ID
 *   2. <mount-id>-init on the image's top layer, filled with placeholders (lib/storage/initlayer.ts)
 *   3. <mount-id> on the init layer: the writable layer, with merged/ to mount on
 *   4. layerdb/mounts/<container id>/{mount-id, init-id, parent}: the bookkeeping
 * Nothing is mounted here: init mounts the overlay inside the container's mount namespace.
 * Returns docker inspect's GraphDriver.Data.
 */
export function createContainerLayers(p: Paths, store: ImageStore, image: Image, containerId: string): Record<string, string> {
  if (image.layers.length > MAX_IMAGE_LAYERS) throw new EngineError(`max depth exceeded: the image has ${image.layers.length} layers, at most ${MAX_IMAGE_LAYERS} can be run`);
  const home = p.overlay2;
  const mountId = randomBytes(32).toString('hex');
  const initId = `${mountId}-init`;
  const top = image.layers.length > 0 ? image.layers[image.layers.length - 1] : null;
  const topCacheId = top === null ? null : store.layer(top).cacheId;
  try {
    makeLayerDir(home, initId, topCacheId);
    setupInitLayer(path.join(home, initId, 'diff'));
    makeLayerDir(home, mountId, initId, { merged: true });

    const meta = mountsDir(p, containerId);
    mkdirSync(meta, { recursive: true, mode: 0o700 });
    writeFileSync(path.join(meta, 'mount-id'), mountId);
    writeFileSync(path.join(meta, 'init-id'), initId);
    if (top !== null) writeFileSync(path.join(meta, 'parent'), top);
    trace(`container layers ${mountId} (rw) over ${initId} over ${image.layers.length} image layer(s)`);
  } catch (err) {
    removeContainerLayers(p, containerId, mountId);
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
 * The overlay mount init makes (lib/rootfs.ts step 2), with names relative to overlay2/:
 *
 *   mount -t overlay overlay -o index=off,lowerdir=l/INIT:l/TOP:…:l/BOTTOM,upperdir=<id>/diff,workdir=<id>/work <id>/merged
 *
 * lowerdir lists the highest layer first: a name is looked up there first, then lower down.
 * Relative names work because init chdir(2)s to overlay2/ first; they are why a 125-layer image
 * fits: 29 bytes per "l/<short>:" where an absolute ".../overlay2/<64 hex>/diff" path takes ~100.
 * index=off as Docker passes it: overlayfs' inode index would tie each layer to the first upper
 * directory it was mounted with, and image layers are shared by many containers.
 */
export function overlayMount(home: string, mountId: string): NonNullable<InitSpec['rootfsMount']> {
  const data = `index=off,lowerdir=${lowerOf(home, mountId).join(':')},upperdir=${mountId}/diff,workdir=${mountId}/work`;
  if (data.length > MOUNT_DATA_MAX) {
    throw new EngineError(`overlay mount options are ${data.length} bytes, more than one page (${MOUNT_DATA_MAX}): too many layers`);
  }
  return { source: 'overlay', fstype: 'overlay', data, cwd: home };
}
// #endregion

// #region remove-container-layers
/**
 * `rm`: the container's writable and init layers and its layerdb/mounts record. The overlay
 * itself was mounted in the container's mount namespace and went away with its last process;
 * only if someone mounted merged/ on the host by hand (the notes show how) is it unmounted here.
 */
export function removeContainerLayers(p: Paths, containerId: string, knownMountId?: string): void {
  const home = p.overlay2;
  const mountId = knownMountId ?? mountIdOf(p, containerId);
  if (mountId) {
    const merged = path.join(home, mountId, 'merged');
    if (mountedOnHost(merged)) sh('umount', ['-l', merged]);
    removeLayerDir(home, mountId);
    removeLayerDir(home, `${mountId}-init`);
  }
  rmSync(mountsDir(p, containerId), { recursive: true, force: true });
}
// #endregion

/** Is `dir` a mount point in the caller's (the host's) mount namespace? proc(5): mountinfo. */
function mountedOnHost(dir: string): boolean {
  if (!existsSync(dir)) return false;
  const table = readFileSync('/proc/self/mountinfo', 'utf8');
  return table.split('\n').some((line) => line.split(' ')[4] === dir);
}
