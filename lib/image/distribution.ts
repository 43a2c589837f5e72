// What the engine remembers about layers it pulled or pushed, where Docker keeps the same facts:
//
//   image/overlay2/distribution/diffid-by-digest/sha256/<compressed digest>   → the DiffID
//   image/overlay2/distribution/v2metadata-by-diffid/sha256/<diffid>          → [{Digest, SourceRepository}]
//
// A pull looks a blob's digest up to skip a layer it already has; a push looks a DiffID up to
// ask the registry about a blob before compressing anything, and to mount it from another
// repository of the same registry. Stage 6 notes, "pull and push".

import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../atomic.js';
import type { Paths } from '../paths.js';
import { hexOf, isDigest, type Digest } from './digest.js';

export interface V2Metadata {
  Digest: Digest;
  /** "registry/repository" the blob is known to be in */
  SourceRepository: string;
}

export class DistributionMetadata {
  private readonly dir: string;
  constructor(p: Paths) {
    this.dir = path.join(p.root, 'image', 'overlay2', 'distribution');
  }

  diffIdOf(digest: Digest): Digest | null {
    const text = read(path.join(this.dir, 'diffid-by-digest', 'sha256', hexOf(digest)));
    return text && isDigest(text) ? text : null;
  }

  metadataOf(diffId: Digest): V2Metadata[] {
    const text = read(path.join(this.dir, 'v2metadata-by-diffid', 'sha256', hexOf(diffId)));
    try {
      return text ? (JSON.parse(text) as V2Metadata[]) : [];
    } catch {
      return [];
    }
  }

  /** Remember that `digest` (compressed) holds the layer `diffId` and sits in `repository`. */
  record(diffId: Digest, digest: Digest, repository: string): void {
    write(path.join(this.dir, 'diffid-by-digest', 'sha256', hexOf(digest)), diffId);
    const list = this.metadataOf(diffId).filter((m) => !(m.Digest === digest && m.SourceRepository === repository));
    list.push({ Digest: digest, SourceRepository: repository });
    write(path.join(this.dir, 'v2metadata-by-diffid', 'sha256', hexOf(diffId)), JSON.stringify(list));
  }
}

function read(file: string): string | null {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return null;
  }
}

function write(file: string, text: string): void {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  writeFileAtomic(file, text, 0o600);
}
