// Giving a stored layer back as a tar (for `save` and `push`), with the DiffID its image config
// promises. The tar is rebuilt from the layer's tar-split (tar-split.ts) when it has one, else
// packed from its directory (a layer stored before tar-split, or made by `commit`, whose tar was
// packed from a directory the same way); either way it is hashed on the way and refused if it is
// not the tar that was stored.
//
// Stage 6 notes, "giving a layer back".

import { createWriteStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { realSys } from '../sys/index.js';
import type { Digest } from './digest.js';
import { packDir } from './layer-tar.js';
import type { ImageStore } from './store.js';
import { readTarSplit, reassemble } from './tar-split.js';
import { DigestStream } from './verify.js';

// #region layer-tar
/** The uncompressed tar of one layer, verified against its DiffID as it streams. */
export async function layerTar(store: ImageStore, chainId: Digest): Promise<Readable> {
  const layer = store.layer(chainId);
  const dir = store.layerDiffDir(chainId);
  const split = store.layers.tarSplit(chainId);
  const source = split ? reassemble(readTarSplit(split), dir) : packDir(dir, { sys: await realSys() });
  const verify = new DigestStream(layer.diffId, `layer ${layer.diffId} cannot be given back as it was stored`);
  source.on('error', (err) => verify.destroy(err));
  return source.pipe(verify);
}
// #endregion

export interface WrittenBlob {
  /** sha256 of the bytes written (the compressed digest with gzip) */
  digest: Digest;
  size: number;
}

/** Write a layer's tar to `file`, plain or gzip-compressed; the DiffID is checked on the way. */
export async function writeLayer(store: ImageStore, chainId: Digest, file: string, gzip: boolean): Promise<WrittenBlob> {
  const tarStream = await layerTar(store, chainId);
  const measure = new DigestStream();
  const stages = gzip ? [tarStream, createGzip(), measure, createWriteStream(file)] : [tarStream, measure, createWriteStream(file)];
  await pipeline(stages as unknown as [NodeJS.ReadableStream, NodeJS.WritableStream]);
  return { digest: measure.digest(), size: measure.size() };
}
