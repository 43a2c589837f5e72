// The image database: image configs by ID, and a few facts about each image, where Docker keeps them.
//
//   image/overlay2/imagedb/content/sha256/<image id>               the config JSON (its sha256 is the ID)
//   image/overlay2/imagedb/metadata/sha256/<image id>/lastUpdated  when it was last tagged
//   image/overlay2/imagedb/metadata/sha256/<image id>/parent       the image it was committed from
//
// OCI image spec "config.md"; moby's image/ package (its fs store) defines the layout. Stage 6
// notes, "where images live"; stage 3 notes, "commit".

import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../atomic.js';
import { EngineError } from '../errors.js';
import type { Paths } from '../paths.js';
import { trace } from '../sys/trace.js';
import { hexOf, imageId, isDigest, type Digest } from './digest.js';

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
  /** EXPOSE: "80/tcp" → {} */
  ExposedPorts?: Record<string, Record<string, never>>;
}

export interface HistoryEntry {
  created?: string;
  created_by?: string;
  comment?: string;
  /** true when this step changed settings only and made no layer */
  empty_layer?: boolean;
}
// #endregion

export class ImageDb {
  constructor(readonly p: Paths) {}

  private contentFile(id: Digest): string {
    return path.join(this.p.imageDb, 'content', 'sha256', hexOf(id));
  }

  private metadataDir(id: Digest): string {
    return path.join(this.p.imageDb, 'metadata', 'sha256', hexOf(id));
  }

  /** Every image ID in the database. */
  ids(): Digest[] {
    const dir = path.join(this.p.imageDb, 'content', 'sha256');
    if (!existsSync(dir)) return [];
    return readdirSync(dir)
      .filter((name) => /^[0-9a-f]{64}$/.test(name))
      .map((hex) => `sha256:${hex}` as Digest);
  }

  exists(id: Digest): boolean {
    return existsSync(this.contentFile(id));
  }

  /** The config's bytes as stored (what `save` and `push` hand out). */
  bytes(id: Digest): Buffer {
    this.get(id); // checks it hashes to its id
    return readFileSync(this.contentFile(id));
  }

  // #region get-image
  /** Load one image config by its full ID, checking that it still hashes to that ID. */
  get(id: Digest): ImageConfig {
    let bytes: Buffer;
    try {
      bytes = readFileSync(this.contentFile(id));
    } catch {
      throw new EngineError(`no such image: ${id}`);
    }
    // Content addressing is also an integrity check: the name must be the hash of the content.
    if (imageId(bytes) !== id) throw new EngineError(`image ${id} is corrupt: its config does not hash to its id`);
    return JSON.parse(bytes.toString('utf8')) as ImageConfig;
  }
  // #endregion

  /**
   * Store a config; returns its ID (the sha256 of the bytes written). Storing the same config
   * twice is harmless: same bytes, same ID, same file.
   */
  put(config: ImageConfig): Digest {
    return this.putBytes(Buffer.from(JSON.stringify(config)));
  }

  /**
   * Store a config exactly as it came (from a registry or an archive): re-serializing it would
   * change its bytes, and so its ID.
   */
  putBytes(bytes: Buffer): Digest {
    const id = imageId(bytes);
    mkdirSync(path.dirname(this.contentFile(id)), { recursive: true, mode: 0o700 });
    writeFileAtomic(this.contentFile(id), bytes, 0o600);
    mkdirSync(this.metadataDir(id), { recursive: true, mode: 0o700 });
    trace(`write image config ${id} → ${this.contentFile(id)}`);
    return id;
  }

  /** Remove an image's config and metadata. */
  remove(id: Digest): void {
    rmSync(this.contentFile(id), { force: true });
    rmSync(this.metadataDir(id), { recursive: true, force: true });
    trace(`rm ${this.contentFile(id)} ${this.metadataDir(id)}`);
  }

  /** docker inspect's Metadata.LastTagTime: set when a name is pointed at the image. */
  setLastTagTime(id: Digest, when: Date = new Date()): void {
    mkdirSync(this.metadataDir(id), { recursive: true, mode: 0o700 });
    writeFileAtomic(path.join(this.metadataDir(id), 'lastUpdated'), when.toISOString(), 0o600);
  }

  lastTagTime(id: Digest): string | null {
    return readOptional(path.join(this.metadataDir(id), 'lastUpdated'));
  }

  /** The image a committed image was made from (docker inspect's Parent), or null. */
  parentOf(id: Digest): Digest | null {
    const parent = readOptional(path.join(this.metadataDir(id), 'parent'));
    return parent && isDigest(parent) ? parent : null;
  }

  setParent(id: Digest, parent: Digest): void {
    mkdirSync(this.metadataDir(id), { recursive: true, mode: 0o700 });
    writeFileAtomic(path.join(this.metadataDir(id), 'parent'), parent, 0o600);
  }
}

function readOptional(file: string): string | null {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return null;
  }
}
