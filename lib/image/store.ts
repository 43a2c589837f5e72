// The image store: images, their layers and their names, on disk exactly where Docker keeps them.
//
//   image/overlay2/imagedb/content/sha256/<image id>    the image config JSON (its sha256 is the ID)
//   image/overlay2/imagedb/metadata/sha256/<image id>/  lastUpdated (when it was last tagged)
//   image/overlay2/layerdb/sha256/<chain id>/           diff, size, cache-id, parent: one layer
//   image/overlay2/repositories.json                    names → image IDs
//   overlay2/<cache id>/{diff/,link,lower,work/}        the layer's files; overlay2/l/<short> links
//
// OCI image spec "config.md"; moby's image/ and layer/ packages define the layout (read it, we do
// not copy it). Stage 6 notes, "where images live"; stage 3 notes, "overlay2 on disk".

import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../atomic.js';
import { EngineError } from '../errors.js';
import { withLock } from '../lock.js';
import type { Paths } from '../paths.js';
import { trace } from '../sys/trace.js';
import { makeLayerDir, removeLayerDir } from '../storage/overlay2.js';
import { chainIds, hexOf, imageId, isDigest, nextChainId, type Digest } from './digest.js';
import { familiarName, familiarString, parseImageRef, parseReference, type Reference } from './reference.js';

// #region image-config
/** The image config (OCI "application/vnd.oci.image.config.v1+json"), as minidock writes it. */
export interface ImageConfig {
  architecture: string;
  os: string;
  /** RFC 3339 */
  created?: string;
  author?: string;
  comment?: string;
  /** how to run a container from this image */
  config?: RunConfig;
  /** the layers, bottom first, by DiffID */
  rootfs: { type: 'layers'; diff_ids: Digest[] };
  history?: HistoryEntry[];
}

/** The "config" member: the defaults a container starts with (Docker spells them in Go case). */
export interface RunConfig {
  User?: string;
  Env?: string[];
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  WorkingDir?: string;
  Labels?: Record<string, string>;
}

export interface HistoryEntry {
  created?: string;
  created_by?: string;
  comment?: string;
  /** true when this step changed settings only and made no layer */
  empty_layer?: boolean;
}
// #endregion

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

/** One layer of the layer store. */
export interface Layer {
  chainId: Digest;
  diffId: Digest;
  /** the ChainID of the layer below; null for a bottom layer */
  parent: Digest | null;
  /** the name of its overlay2 directory: 64 random hex digits, unrelated to its content */
  cacheId: string;
  /** bytes of its files */
  size: number;
}

/** repositories.json: repository name → (familiar reference → image ID). */
interface Repositories {
  Repositories: Record<string, Record<string, Digest>>;
}

export class ImageStore {
  constructor(readonly p: Paths) {}

  // ---------------------------------------------------------------------------------------------
  // Where things are.

  private contentFile(id: Digest): string {
    return path.join(this.p.imageDb, 'content', 'sha256', hexOf(id));
  }

  private metadataDir(id: Digest): string {
    return path.join(this.p.imageDb, 'metadata', 'sha256', hexOf(id));
  }

  private layerMetaDir(chainId: Digest): string {
    return path.join(this.p.layerDb, 'sha256', hexOf(chainId));
  }

  private lock<T>(fn: () => T): T {
    return withLock('image-store', fn, this.p.locks);
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
      const id = this.readRepositories().Repositories[familiarName(ref)]?.[familiarString(ref)];
      if (id) return this.get(id);
    }
    if (idPrefix) {
      const matches = this.imageIds().filter((id) => hexOf(id).startsWith(idPrefix));
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
    const images = this.imageIds().map((id) => this.get(id));
    return images.sort((a, b) => (b.config.created ?? '').localeCompare(a.config.created ?? ''));
  }

  private imageIds(): Digest[] {
    const dir = path.join(this.p.imageDb, 'content', 'sha256');
    if (!existsSync(dir)) return [];
    return readdirSync(dir)
      .filter((name) => /^[0-9a-f]{64}$/.test(name))
      .map((hex) => `sha256:${hex}` as Digest);
  }

  // #region get-image
  /** Load one image by its full ID, checking that its config still hashes to that ID. */
  get(id: Digest): Image {
    let bytes: Buffer;
    try {
      bytes = readFileSync(this.contentFile(id));
    } catch {
      throw new EngineError(`no such image: ${id}`);
    }
    // Content addressing is also an integrity check: the name must be the hash of the content.
    if (imageId(bytes) !== id) throw new EngineError(`image ${id} is corrupt: its config does not hash to its id`);
    const config = JSON.parse(bytes.toString('utf8')) as ImageConfig;
    const repoTags: string[] = [];
    for (const refs of Object.values(this.readRepositories().Repositories)) {
      for (const [name, target] of Object.entries(refs)) if (target === id && !name.includes('@')) repoTags.push(name);
    }
    return { id, config, repoTags: repoTags.sort(), layers: chainIds(config.rootfs.diff_ids) };
  }
  // #endregion

  // #region add-image
  /**
   * Store an image config and name it. Its layers must already be in the layer store (that is the
   * order Docker follows too: layers first, then the config that lists them, then the names).
   * Storing the same config twice is harmless: same bytes, same ID, same file.
   */
  addImage(config: ImageConfig, tags: readonly string[] = []): Digest {
    const refs = tags.map((t) => parseReference(t)); // bad names fail before anything is written
    const bytes = Buffer.from(JSON.stringify(config));
    const id = imageId(bytes);
    for (const chainId of chainIds(config.rootfs.diff_ids)) {
      if (!this.hasLayer(chainId)) throw new EngineError(`image config names layer ${chainId}, which is not in the layer store`);
    }
    mkdirSync(path.dirname(this.contentFile(id)), { recursive: true, mode: 0o700 });
    writeFileAtomic(this.contentFile(id), bytes, 0o600);
    mkdirSync(this.metadataDir(id), { recursive: true, mode: 0o700 });
    trace(`write image config ${id} → ${this.contentFile(id)}`);
    for (const ref of refs) this.tagReference(id, ref);
    return id;
  }
  // #endregion

  /** `docker tag`: point a name at an image (taking the name away from any other image). */
  tag(id: Digest, name: string): void {
    if (!existsSync(this.contentFile(id))) throw new EngineError(`no such image: ${id}`);
    this.tagReference(id, parseReference(name));
  }

  // #region tag
  private tagReference(id: Digest, ref: Reference): void {
    this.lock(() => {
      const repos = this.readRepositories();
      const repo = (repos.Repositories[familiarName(ref)] ??= {});
      repo[familiarString(ref)] = id;
      mkdirSync(path.dirname(this.p.repositories), { recursive: true, mode: 0o700 });
      writeFileAtomic(this.p.repositories, JSON.stringify(repos), 0o600);
    });
    // docker inspect shows this as Metadata.LastTagTime
    writeFileAtomic(path.join(this.metadataDir(id), 'lastUpdated'), new Date().toISOString(), 0o600);
    trace(`tag ${familiarString(ref)} → ${id} (${this.p.repositories})`);
  }
  // #endregion

  private readRepositories(): Repositories {
    try {
      const parsed = JSON.parse(readFileSync(this.p.repositories, 'utf8')) as Partial<Repositories>;
      return { Repositories: parsed.Repositories ?? {} };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { Repositories: {} };
      throw new EngineError(`cannot read ${this.p.repositories}: ${(err as Error).message}`);
    }
  }

  /** When the image was last tagged (docker inspect's Metadata.LastTagTime), or null. */
  lastTagTime(id: Digest): string | null {
    return readOptional(path.join(this.metadataDir(id), 'lastUpdated'));
  }

  /** The disk size `docker images` shows: the sum of the image's layer sizes. */
  imageSize(image: Image): number {
    return image.layers.reduce((sum, chainId) => sum + this.layer(chainId).size, 0);
  }

  // ---------------------------------------------------------------------------------------------
  // Layers.

  hasLayer(chainId: Digest): boolean {
    return existsSync(path.join(this.layerMetaDir(chainId), 'diff'));
  }

  /** Read one layer's record from layerdb/sha256/<chain id>/. */
  layer(chainId: Digest): Layer {
    const dir = this.layerMetaDir(chainId);
    const read = (name: string): string | null => {
      try {
        return readFileSync(path.join(dir, name), 'utf8').trim();
      } catch {
        return null;
      }
    };
    const diffId = read('diff');
    const cacheId = read('cache-id');
    if (diffId === null || cacheId === null || !isDigest(diffId)) throw new EngineError(`no such layer: ${chainId}`);
    const parent = read('parent');
    return { chainId, diffId, parent: parent as Digest | null, cacheId, size: Number(read('size') ?? 0) };
  }

  /** The directory holding a layer's files: overlay2/<cache id>/diff. */
  layerDiffDir(chainId: Digest): string {
    return path.join(this.p.overlay2, this.layer(chainId).cacheId, 'diff');
  }

  /** The diff directories of an image's layers, bottom layer first (the order to copy them in). */
  layerDirs(image: Image): string[] {
    return image.layers.map((chainId) => this.layerDiffDir(chainId));
  }

  /** The diff directories of an image's layers, top layer first (overlayfs' lowerdir order). */
  layerDirsTopDown(image: Image): string[] {
    return [...image.layers].reverse().map((chainId) => this.layerDiffDir(chainId));
  }

  // #region create-layer
  /**
   * Add a layer on top of `parent` (a ChainID, or null for a bottom layer). `apply` fills the new
   * layer's diff directory (usually by unpacking a tar) and reports the DiffID and size.
   *
   * The steps, in Docker's order:
   *   1. make overlay2/<random cache id>/ with diff/, link, and for an upper layer lower and work/
   *   2. apply the changes into diff/: now the DiffID is known, and with it the ChainID
   *   3. if layerdb already has that ChainID, the same layer exists: drop ours, return that one
   *   4. else write layerdb/sha256/<chain id>/{diff,size,cache-id,parent} (in a temporary
   *      directory first, renamed into place, so a crash never leaves half a record)
   * On any failure the new directories are removed: a failed import leaves nothing behind.
   */
  async createLayer(
    parent: Digest | null,
    apply: (diffDir: string) => Promise<{ diffId: Digest; size: number }>,
  ): Promise<Layer> {
    const parentLayer = parent === null ? null : this.layer(parent);
    const cacheId = randomBytes(32).toString('hex');
    const layerDir = path.join(this.p.overlay2, cacheId);
    try {
      makeLayerDir(this.p.overlay2, cacheId, parentLayer?.cacheId ?? null); // the overlay2 layout: lib/storage/overlay2.ts
      const { diffId, size } = await apply(path.join(layerDir, 'diff'));
      const layer: Layer = { chainId: nextChainId(parent, diffId), diffId, parent, cacheId, size };
      return this.lock(() => {
        if (this.hasLayer(layer.chainId)) {
          trace(`layer ${layer.chainId} is already stored: reuse it, remove ${layerDir}`);
          removeLayerDir(this.p.overlay2, cacheId);
          return this.layer(layer.chainId);
        }
        this.writeLayerRecord(layer);
        return layer;
      });
    } catch (err) {
      removeLayerDir(this.p.overlay2, cacheId);
      throw err;
    }
  }
  // #endregion


  // ---------------------------------------------------------------------------------------------
  // Parents and removal (stage 3: commit makes children, rmi removes; policy in lib/image/delete.ts).

  /** The image a committed image was made from: imagedb/metadata/sha256/<id>/parent (docker's Parent). */
  parentOf(id: Digest): Digest | null {
    const parent = readOptional(path.join(this.metadataDir(id), 'parent'));
    return parent && isDigest(parent) ? parent : null;
  }

  setParent(id: Digest, parent: Digest): void {
    mkdirSync(this.metadataDir(id), { recursive: true, mode: 0o700 });
    writeFileAtomic(path.join(this.metadataDir(id), 'parent'), parent, 0o600);
  }

  /** Take a name away (`docker rmi NAME` when the image has other names); returns the image ID. */
  untag(name: string): Digest {
    const ref = parseReference(name);
    return this.lock(() => {
      const repos = this.readRepositories();
      const repo = repos.Repositories[familiarName(ref)];
      const id = repo?.[familiarString(ref)];
      if (!repo || !id) throw new EngineError(`no such image: ${familiarString(ref)}`);
      delete repo[familiarString(ref)];
      if (Object.keys(repo).length === 0) delete repos.Repositories[familiarName(ref)];
      writeFileAtomic(this.p.repositories, JSON.stringify(repos), 0o600);
      trace(`untag ${familiarString(ref)} (${this.p.repositories})`);
      return id;
    });
  }

  /** Remove an image's config and metadata (its names must be gone, its layers are released apart). */
  deleteImage(id: Digest): void {
    rmSync(this.contentFile(id), { force: true });
    rmSync(this.metadataDir(id), { recursive: true, force: true });
    trace(`rm ${this.contentFile(id)} ${this.metadataDir(id)}`);
  }

  /** Remove one layer: its layerdb record first (so it stops existing), then its overlay2 directory. */
  deleteLayer(chainId: Digest): void {
    const { cacheId } = this.layer(chainId);
    rmSync(this.layerMetaDir(chainId), { recursive: true, force: true });
    removeLayerDir(this.p.overlay2, cacheId);
    trace(`delete layer ${chainId} (overlay2/${cacheId})`);
  }

  // #region layer-record
  /** layerdb/sha256/<chain id>/: small text files, each holding one fact about the layer. */
  private writeLayerRecord(layer: Layer): void {
    const tmpRoot = path.join(this.p.layerDb, 'tmp');
    const tmp = path.join(tmpRoot, `write-set-${randomBytes(8).toString('hex')}`);
    mkdirSync(tmp, { recursive: true, mode: 0o700 });
    try {
      writeFileSync(path.join(tmp, 'diff'), layer.diffId);
      writeFileSync(path.join(tmp, 'size'), String(layer.size));
      writeFileSync(path.join(tmp, 'cache-id'), layer.cacheId);
      if (layer.parent !== null) writeFileSync(path.join(tmp, 'parent'), layer.parent);
      mkdirSync(path.join(this.p.layerDb, 'sha256'), { recursive: true, mode: 0o700 });
      renameSync(tmp, this.layerMetaDir(layer.chainId));
    } catch (err) {
      rmSync(tmp, { recursive: true, force: true });
      throw err;
    }
    trace(`register layer ${layer.chainId} → ${this.layerMetaDir(layer.chainId)}`);
  }
  // #endregion
}

function readOptional(file: string): string | null {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return null;
  }
}

