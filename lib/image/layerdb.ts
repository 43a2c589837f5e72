// The layer store: which layers exist, by ChainID, and which layer directories belong to whom.
//
//   image/overlay2/layerdb/sha256/<chain id>/{diff,size,cache-id,parent}   one image layer
//   image/overlay2/layerdb/mounts/<container id>/{mount-id,init-id,parent} one container's layers
//   image/overlay2/layerdb/tmp/write-set-*                                 records being written
//
// The files themselves are the storage driver's (lib/storage/overlay2.ts): a record names its
// directory by cache-id. Imports point down: this file uses the driver, the driver knows nothing
// of ChainIDs. moby's layer/ package keeps the same files. Stage 3 notes, "overlay2 on disk" and
// "orphan layers"; stage 6 notes, "DiffID, ChainID".

import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { EngineError } from '../errors.js';
import { withLock } from '../lock.js';
import type { Paths } from '../paths.js';
import { pidAlive } from '../proc.js';
import {
  createContainerLayers,
  danglingLinks,
  layerDirNames,
  makeStagingDir,
  parseStagingName,
  publishLayerDir,
  removeContainerLayers,
  removeLayerDir,
  removeLinks,
  stagingName,
} from '../storage/overlay2.js';
import { trace } from '../sys/trace.js';
import { hexOf, isDigest, nextChainId, type Digest } from './digest.js';

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

/** layerdb/mounts/<container id>/: a container's two layer directories and what they stand on. */
export interface MountRecord {
  mountId: string;
  initId: string;
  /** the ChainID of the image's top layer; null for an image without layers */
  parent: Digest | null;
}

/** Docker's name for the file that lets a layer's tar be rebuilt byte for byte. */
const TAR_SPLIT = 'tar-split.json.gz';

export class LayerDb {
  constructor(readonly p: Paths) {}

  private recordDir(chainId: Digest): string {
    return path.join(this.p.layerDb, 'sha256', hexOf(chainId));
  }

  private mountDir(containerId: string): string {
    return path.join(this.p.layerDb, 'mounts', containerId);
  }

  /**
   * One lock for every change that makes a layer directory referenced or unreferenced: publishing
   * a layer, making a container's layers, and the garbage collector's look at overlay2/. Short
   * sections only (no unpacking under it).
   */
  private lock<T>(fn: () => T): T {
    return withLock('layers', fn, this.p.locks);
  }

  // ---------------------------------------------------------------------------------------------
  // Image layers.

  has(chainId: Digest): boolean {
    return readText(path.join(this.recordDir(chainId), 'diff')) !== null;
  }

  /** Read one layer's record from layerdb/sha256/<chain id>/. */
  get(chainId: Digest): Layer {
    const dir = this.recordDir(chainId);
    const diffId = readText(path.join(dir, 'diff'));
    const cacheId = readText(path.join(dir, 'cache-id'));
    if (diffId === null || cacheId === null || !isDigest(diffId)) throw new EngineError(`no such layer: ${chainId}`);
    const parent = readText(path.join(dir, 'parent'));
    return { chainId, diffId, parent: parent as Digest | null, cacheId, size: Number(readText(path.join(dir, 'size')) ?? 0) };
  }

  /** Every ChainID with a record. */
  chainIds(): Digest[] {
    return list(path.join(this.p.layerDb, 'sha256'))
      .filter((name) => /^[0-9a-f]{64}$/.test(name))
      .map((hex) => `sha256:${hex}` as Digest);
  }

  /**
   * How long ago the layer's record was written, in ms; never below 0. Date.now() is whole
   * milliseconds and the directory's mtime is not (nor from the same clock: the kernel stamps
   * files with its coarse clock), so a record made this very millisecond can look -0.7 ms old.
   */
  ageMs(chainId: Digest): number {
    return Math.max(0, Date.now() - mtimeMs(this.recordDir(chainId)));
  }

  /** The directory holding a layer's files: overlay2/<cache id>/diff. */
  diffDir(chainId: Digest): string {
    return path.join(this.p.overlay2, this.get(chainId).cacheId, 'diff');
  }

  // #region create-layer
  /**
   * Add a layer on top of `parent` (a ChainID, or null for a bottom layer). `apply` fills the new
   * layer's diff directory (usually by unpacking a tar) and reports the DiffID and size.
   *
   *   1. unpack into overlay2/staging-<pid>-<cache id>/diff: a name no one takes for a layer
   *      (the parent need not exist yet: a pull unpacks a layer while the one below still
   *      arrives, and lets `apply` return once that one is registered)
   *   2. now the DiffID is known, and with it the ChainID. Under the layer lock:
   *   3. if layerdb already has that ChainID, the same layer exists: drop ours, return that one
   *   4. write layerdb/tmp/write-set-…/{diff,size,cache-id,parent}
   *   5. publish the directory: short link, lower, work/, rename(2) to overlay2/<cache id>
   *   6. rename(2) the record to layerdb/sha256/<chain id>: from this instant the layer exists
   * A failure removes what was made. A kill -9 before step 5 leaves a staging directory whose
   * PID is dead, between 5 and 6 a directory no record names: collectGarbage removes both.
   */
  async create(parent: Digest | null, apply: (diffDir: string) => Promise<{ diffId: Digest; size: number; tarSplit?: Buffer }>): Promise<Layer> {
    const home = this.p.overlay2;
    const cacheId = randomBytes(32).toString('hex');
    try {
      const { diffId, size, tarSplit } = await apply(makeStagingDir(home, cacheId));
      const parentLayer = parent === null ? null : this.get(parent);
      const layer: Layer = { chainId: nextChainId(parent, diffId), diffId, parent, cacheId, size };
      return this.lock(() => {
        if (this.has(layer.chainId)) {
          trace(`layer ${layer.chainId} is already stored: reuse it, remove the staging directory`);
          removeLayerDir(home, stagingName(cacheId));
          return this.get(layer.chainId);
        }
        const tmp = this.writeRecord(layer, tarSplit);
        try {
          publishLayerDir(home, cacheId, parentLayer?.cacheId ?? null);
          mkdirSync(path.join(this.p.layerDb, 'sha256'), { recursive: true, mode: 0o700 });
          renameSync(tmp, this.recordDir(layer.chainId));
        } catch (err) {
          rmSync(tmp, { recursive: true, force: true });
          throw err;
        }
        trace(`register layer ${layer.chainId} → ${this.recordDir(layer.chainId)}`);
        return layer;
      });
    } catch (err) {
      removeLayerDir(home, stagingName(cacheId)); // its short link too, if it got one
      removeLayerDir(home, cacheId);
      throw err;
    }
  }
  // #endregion

  // #region layer-record
  /** layerdb/tmp/write-set-<random>/: small text files, each holding one fact about the layer. */
  private writeRecord(layer: Layer, tarSplit?: Buffer): string {
    const tmp = path.join(this.p.layerDb, 'tmp', `write-set-${randomBytes(8).toString('hex')}`);
    mkdirSync(tmp, { recursive: true, mode: 0o700 });
    writeFileSync(path.join(tmp, 'diff'), layer.diffId);
    writeFileSync(path.join(tmp, 'size'), String(layer.size));
    writeFileSync(path.join(tmp, 'cache-id'), layer.cacheId);
    if (layer.parent !== null) writeFileSync(path.join(tmp, 'parent'), layer.parent);
    if (tarSplit) writeFileSync(path.join(tmp, TAR_SPLIT), tarSplit);
    return tmp;
  }
  // #endregion

  /** The layer's tar-split (tar-split.ts), or null for a layer stored before minidock kept one. */
  tarSplit(chainId: Digest): Buffer | null {
    try {
      return readFileSync(path.join(this.recordDir(chainId), TAR_SPLIT));
    } catch {
      return null;
    }
  }

  /** Remove one layer: its record first (so it stops existing), then its overlay2 directory. */
  remove(chainId: Digest): void {
    const { cacheId } = this.get(chainId);
    rmSync(this.recordDir(chainId), { recursive: true, force: true });
    removeLayerDir(this.p.overlay2, cacheId);
    trace(`delete layer ${chainId} (overlay2/${cacheId})`);
  }

  // ---------------------------------------------------------------------------------------------
  // Container layers (a container's -init and writable layer: Docker's "RW layer").

  /**
   * Make a container's two layers on the image layer `parent` and record them in
   * layerdb/mounts/<container id>/, both under the layer lock, so the garbage collector never
   * sees the directories without the record. Returns docker inspect's GraphDriver.Data.
   */
  createMount(containerId: string, parent: Digest | null): Record<string, string> {
    const parentCacheId = parent === null ? null : this.get(parent).cacheId;
    const mountId = randomBytes(32).toString('hex');
    const home = this.p.overlay2;
    return this.lock(() => {
      const data = createContainerLayers(home, mountId, parentCacheId);
      try {
        const dir = this.mountDir(containerId);
        mkdirSync(dir, { recursive: true, mode: 0o700 });
        writeFileSync(path.join(dir, 'mount-id'), mountId);
        writeFileSync(path.join(dir, 'init-id'), `${mountId}-init`);
        if (parent !== null) writeFileSync(path.join(dir, 'parent'), parent);
      } catch (err) {
        removeContainerLayers(home, mountId);
        rmSync(this.mountDir(containerId), { recursive: true, force: true });
        throw err;
      }
      return data;
    });
  }

  /** A container's record, or null when it has none (a vfs container, or one already removed). */
  mountOf(containerId: string): MountRecord | null {
    const dir = this.mountDir(containerId);
    const mountId = readText(path.join(dir, 'mount-id'));
    if (mountId === null) return null;
    const parent = readText(path.join(dir, 'parent'));
    return { mountId, initId: readText(path.join(dir, 'init-id')) ?? `${mountId}-init`, parent: parent && isDigest(parent) ? parent : null };
  }

  /** The IDs of containers with a record. */
  mountContainers(): string[] {
    return list(path.join(this.p.layerDb, 'mounts'));
  }

  /** `rm`: a container's layer directories, then its record. */
  removeMount(containerId: string, knownMountId?: string): void {
    const mountId = knownMountId ?? this.mountOf(containerId)?.mountId;
    if (mountId) removeContainerLayers(this.p.overlay2, mountId);
    rmSync(this.mountDir(containerId), { recursive: true, force: true });
  }

  // ---------------------------------------------------------------------------------------------
  // Garbage.

  // #region collect-garbage
  /**
   * Remove what a crash left in overlay2/ and layerdb/ (docker's daemon does this when it starts;
   * minidock has no daemon, so each store open and `minidock system prune` do it):
   *   - staging-<pid>-<id>/ whose PID is dead: an unpack that was killed
   *   - a layer directory that no layer record's cache-id names, nor any container's mount-id
   *     (or its -init), at least `minAgeMs` old: killed between publish and record
   *   - layerdb/tmp/write-set-*: records are written under the lock, so any seen here is stale
   *   - short links under l/ whose layer directory is gone
   * What to remove is decided under the layer lock (a directory seen unreferenced there can never
   * become referenced: names are random, and references are made under the same lock); the slow
   * part, deleting thousands of files, runs after it. Returns the names removed from overlay2/.
   */
  collectGarbage(opts: { minAgeMs?: number; skipIfTidy?: boolean } = {}): string[] {
    const home = this.p.overlay2;
    const minAgeMs = opts.minAgeMs ?? 0;
    if (opts.skipIfTidy && this.looksTidy()) return [];
    const doomed = this.lock(() => {
      const referenced = new Set<string>();
      for (const chainId of this.chainIds()) {
        const cacheId = readText(path.join(this.recordDir(chainId), 'cache-id'));
        if (cacheId) referenced.add(cacheId);
      }
      for (const id of this.mountContainers()) {
        const m = this.mountOf(id);
        if (m) referenced.add(m.mountId).add(m.initId);
      }
      const { layers, staging } = layerDirNames(home);
      const now = Date.now();
      const orphans = layers.filter((name) => !referenced.has(name) && now - mtimeMs(path.join(home, name)) >= minAgeMs);
      const dead = staging.filter((name) => !pidAlive(parseStagingName(name)!.pid));
      rmSync(path.join(this.p.layerDb, 'tmp'), { recursive: true, force: true });
      return [...dead, ...orphans];
    });
    for (const name of doomed) {
      trace(`garbage: overlay2/${name} belongs to no layer record and no live process`);
      removeLayerDir(home, name);
    }
    // links last, and under the lock again: a publish makes its link an instant before its rename
    this.lock(() => removeLinks(home, danglingLinks(home)));
    return doomed;
  }
  // #endregion

  /**
   * The cheap look a store open takes first (four readdirs, no lock, no file read): no staging
   * directory, no write-set, one directory per record (two per container) and one short link per
   * directory. Anything else, and the full collection runs.
   */
  private looksTidy(): boolean {
    const { layers, staging, links } = layerDirNames(this.p.overlay2);
    if (staging.length > 0 || list(path.join(this.p.layerDb, 'tmp')).length > 0) return false;
    const expected = this.chainIds().length + 2 * this.mountContainers().length;
    return layers.length === expected && links.length === layers.length;
  }
}

function readText(file: string): string | null {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return null;
  }
}

function list(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function mtimeMs(file: string): number {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}
