// The image store: images, their layers and their names, on disk exactly where Docker keeps them.
// A thin front over three files, one per part of the disk layout:
//
//   image/overlay2/imagedb/          image configs by ID, and metadata      lib/image/imagedb.ts
//   image/overlay2/layerdb/          layers by ChainID, containers' layers  lib/image/layerdb.ts
//   image/overlay2/repositories.json names → image IDs                      lib/image/references.ts
//   overlay2/<cache id>/, overlay2/l/ the layers' files (the storage driver) lib/storage/overlay2.ts
//
// OCI image spec "config.md"; moby's image/, layer/ and reference/ packages define the layout (read
// it, we do not copy it). Stage 6 notes, "where images live"; stage 3 notes, "overlay2 on disk".

import { EngineError } from '../errors.js';
import type { Paths } from '../paths.js';
import { stageOn } from '../stage.js';
import { createVfsRootfs, removeVfsRootfs, VFS } from '../storage/vfs.js';
import { MAX_IMAGE_LAYERS, OVERLAY2 } from '../storage/overlay2.js';
import type { GraphDriver } from '../storage/index.js';
import { trace } from '../sys/trace.js';
import { chainIds, hexOf, type Digest } from './digest.js';
import { ImageDb, type ImageConfig } from './imagedb.js';
import { LayerDb, type Layer } from './layerdb.js';
import { References } from './references.js';
import { parseImageRef, parseReference, familiarString } from './reference.js';
import { byText } from '../order.js';

export type { HistoryEntry, ImageConfig, RunConfig } from './imagedb.js';
export type { Layer, MountRecord } from './layerdb.js';

/** An image as the engine sees it: its ID, its config, its names, its layers. */
export interface Image {
  /** "sha256:<hex of the config bytes>" */
  id: Digest;
  config: ImageConfig;
  /** familiar names pointing at it: ["busybox:latest"] */
  repoTags: string[];
  /** ChainIDs of its layers, bottom first */
  layers: Digest[];
}

/** Unreferenced layer directories older than this are collected when a store opens. */
export const OPEN_GC_MIN_AGE_MS = 60_000;

export class ImageStore {
  readonly images: ImageDb;
  readonly layers: LayerDb;
  readonly refs: References;

  /**
   * Open the store. From stage 3 on, opening also removes what a crashed import or commit left
   * behind (layerdb.collectGarbage): staging directories of dead processes at once, other
   * unreferenced layer directories once they are a minute old. A tidy store is recognised by
   * counting names, so the common case costs four readdirs. A failure there is traced, never
   * fatal: garbage must not stop `minidock images`.
   */
  constructor(readonly p: Paths, opts: { collectGarbage?: boolean } = {}) {
    this.images = new ImageDb(p);
    this.layers = new LayerDb(p);
    this.refs = new References(p);
    if (opts.collectGarbage ?? stageOn(3)) {
      try {
        this.layers.collectGarbage({ minAgeMs: OPEN_GC_MIN_AGE_MS, skipIfTidy: true });
      } catch (err) {
        trace(`garbage collection skipped: ${(err as Error).message}`);
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Images.

  // #region resolve
  /**
   * Find the image a user named: by name (`busybox` = `busybox:latest`), by full ID, or by a unique
   * ID prefix. Names win over ID prefixes, as in docker: an image tagged `cafe` hides ID `cafe…`.
   */
  resolve(text: string): Image {
    const { ref, idPrefix } = parseImageRef(text);
    if (ref) {
      const id = this.refs.lookup(ref);
      if (id) return this.get(id);
    }
    if (idPrefix) {
      const matches = this.images.ids().filter((id) => hexOf(id).startsWith(idPrefix));
      if (matches.length > 1) throw new EngineError(`multiple images found with prefix ${idPrefix}`);
      if (matches.length === 1) return this.get(matches[0]);
    }
    throw new EngineError(`no such image: ${ref ? familiarString(ref) : text}`);
  }
  // #endregion

  /** True when `text` names an image of this store. */
  has(text: string): boolean {
    try {
      this.resolve(text);
      return true;
    } catch (err) {
      if (err instanceof EngineError && err.message.startsWith('no such image')) return false;
      throw err;
    }
  }

  /** Every image, newest first (the order of `docker images`). */
  list(): Image[] {
    const images = this.images.ids().map((id) => this.get(id));
    return images.sort((a, b) => byText(b.config.created ?? '', a.config.created ?? ''));
  }

  /** Load one image by its full ID (its config is checked against the ID). */
  get(id: Digest): Image {
    const config = this.images.get(id);
    return { id, config, repoTags: this.refs.namesOf(id), layers: chainIds(config.rootfs.diff_ids) };
  }

  // #region add-image
  /**
   * Store an image config and name it. Its layers must already be in the layer store (that is the
   * order Docker follows too: layers first, then the config that lists them, then the names).
   */
  addImage(config: ImageConfig, tags: readonly string[] = []): Digest {
    return this.addImageBytes(Buffer.from(JSON.stringify(config)), tags);
  }

  /** addImage for a config that came as bytes (pull, load): stored as they are, so the ID holds. */
  addImageBytes(bytes: Buffer, tags: readonly string[] = []): Digest {
    const config = JSON.parse(bytes.toString('utf8')) as ImageConfig;
    const refs = tags.map((t) => parseReference(t)); // bad names fail before anything is written
    for (const chainId of chainIds(config.rootfs?.diff_ids ?? [])) {
      if (!this.layers.has(chainId)) throw new EngineError(`image config names layer ${chainId}, which is not in the layer store`);
    }
    const id = this.images.putBytes(bytes);
    for (const ref of refs) {
      this.refs.add(id, ref);
      this.images.setLastTagTime(id);
    }
    return id;
  }
  // #endregion

  /** `docker tag`: point a name at an image (taking the name away from any other image). */
  tag(id: Digest, name: string): void {
    if (!this.images.exists(id)) throw new EngineError(`no such image: ${id}`);
    this.refs.add(id, parseReference(name));
    this.images.setLastTagTime(id);
  }

  /** Take a name away (`docker rmi NAME` when the image has other names); returns the image ID. */
  untag(name: string): Digest {
    return this.refs.remove(parseReference(name));
  }

  /** When the image was last tagged (docker inspect's Metadata.LastTagTime), or null. */
  lastTagTime(id: Digest): string | null {
    return this.images.lastTagTime(id);
  }

  /** The image a committed image was made from: imagedb/metadata/sha256/<id>/parent (docker's Parent). */
  parentOf(id: Digest): Digest | null {
    return this.images.parentOf(id);
  }

  setParent(id: Digest, parent: Digest): void {
    this.images.setParent(id, parent);
  }

  /** Remove an image's config and metadata (its names must be gone, its layers are released apart). */
  deleteImage(id: Digest): void {
    this.images.remove(id);
  }

  /** The disk size `docker images` shows: the sum of the image's layer sizes. */
  imageSize(image: Image): number {
    return image.layers.reduce((sum, chainId) => sum + this.layers.get(chainId).size, 0);
  }

  // ---------------------------------------------------------------------------------------------
  // Layers (lib/image/layerdb.ts).

  hasLayer(chainId: Digest): boolean {
    return this.layers.has(chainId);
  }

  layer(chainId: Digest): Layer {
    return this.layers.get(chainId);
  }

  createLayer(parent: Digest | null, apply: (diffDir: string) => Promise<{ diffId: Digest; size: number; tarSplit?: Buffer }>): Promise<Layer> {
    return this.layers.create(parent, apply);
  }

  deleteLayer(chainId: Digest): void {
    this.layers.remove(chainId);
  }

  // #region layers-in-use
  /**
   * Every layer something still stands on: each layer of each image (a ChainID covers the layers
   * below it, so all of them count), and each layer below a container (layerdb/mounts/<id>/parent,
   * followed down the parent chain): a container keeps its layers even after `rmi -f` of its image.
   */
  layersInUse(): Set<Digest> {
    const used = new Set<Digest>();
    for (const img of this.list()) for (const chainId of img.layers) used.add(chainId);
    for (const id of this.layers.mountContainers()) {
      let chainId = this.layers.mountOf(id)?.parent ?? null; // null: a container of an image without layers
      while (chainId && !used.has(chainId) && this.layers.has(chainId)) {
        used.add(chainId);
        chainId = this.layers.get(chainId).parent;
      }
    }
    return used;
  }

  /**
   * Delete `top` and the layers below it that nothing uses any more, top first (Docker's layer
   * store does the same when it releases a layer's last reference). Returns the ChainIDs deleted.
   */
  releaseLayers(top: Digest | null): Digest[] {
    const inUse = this.layersInUse();
    const deleted: Digest[] = [];
    for (let chainId = top; chainId && !inUse.has(chainId) && this.layers.has(chainId); ) {
      const below = this.layers.get(chainId).parent;
      this.layers.remove(chainId);
      deleted.push(chainId);
      chainId = below;
    }
    return deleted;
  }
  // #endregion

  /**
   * `system prune`: layer records that no image and no container uses, at least `minAgeMs` old
   * (a layer that was just made waits for its image config for an instant). Left by a crash
   * between a layer and its image, or by an older minidock that did not release a removed
   * container's layers.
   */
  pruneLayers(minAgeMs: number): Digest[] {
    const inUse = this.layersInUse();
    const deleted: Digest[] = [];
    for (const chainId of this.layers.chainIds()) {
      if (inUse.has(chainId) || this.layers.ageMs(chainId) < minAgeMs) continue;
      this.layers.remove(chainId);
      deleted.push(chainId);
    }
    return deleted;
  }

  /** The directory holding a layer's files: overlay2/<cache id>/diff. */
  layerDiffDir(chainId: Digest): string {
    return this.layers.diffDir(chainId);
  }

  /** The diff directories of an image's layers, bottom layer first (the order to copy them in). */
  layerDirs(image: Image): string[] {
    return image.layers.map((chainId) => this.layers.diffDir(chainId));
  }

  /** The diff directories of an image's layers, top layer first (overlayfs' lowerdir order). */
  layerDirsTopDown(image: Image): string[] {
    return this.layerDirs(image).reverse();
  }

  // ---------------------------------------------------------------------------------------------
  // A container's root filesystem.

  // #region create-rootfs
  /**
   * Make a container's root filesystem from an image; nothing is mounted yet. Stage 3 on: the
   * overlay2 driver's -init and writable layers on the image's top layer, recorded in
   * layerdb/mounts/<container id>/. Before: the vfs driver's private copy of every layer.
   * The driver used is recorded in GraphDriver.Name, so `rm` removes it the same way even if the
   * stage gate has moved since.
   */
  createRootfs(containerId: string, image: Image, stage: number): GraphDriver {
    if (stage >= 3) {
      if (image.layers.length > MAX_IMAGE_LAYERS) throw new EngineError(`max depth exceeded: the image has ${image.layers.length} layers, at most ${MAX_IMAGE_LAYERS} can be run`);
      const top = image.layers.length > 0 ? image.layers[image.layers.length - 1] : null;
      return { Name: OVERLAY2, Data: this.layers.createMount(containerId, top) };
    }
    const dir = createVfsRootfs(this.p, containerId, this.layerDirs(image));
    return { Name: VFS, Data: { Dir: dir, MergedDir: dir } };
  }
  // #endregion

  /**
   * `rm`: the container's root filesystem (also when GraphDriver is still empty: a failed create).
   * With overlay2, the image layers it stood on go too if nothing else uses them any more: its
   * image was removed (`rmi -f`) while the container existed.
   */
  removeRootfs(containerId: string, driver: GraphDriver): void {
    if (driver.Name === VFS) {
      removeVfsRootfs(this.p, containerId);
      return;
    }
    const parent = this.layers.mountOf(containerId)?.parent ?? null;
    this.layers.removeMount(containerId);
    if (parent === null) return;
    try {
      this.releaseLayers(parent);
    } catch (err) {
      // best effort: `rm` must not fail over shared layers (another rm released them first, or an
      // image config is unreadable); `system prune` removes whatever stays
      trace(`release of the layers under ${containerId.slice(0, 12)} skipped: ${(err as Error).message}`);
    }
  }
}
