// Digests: how an image names its parts by their content (content addressing).
//
// OCI image spec, "descriptor.md" (digests) and "config.md" (Layer DiffID, Layer ChainID, ImageID).
// Stage 6 notes, "DiffID, ChainID and the image ID", pair with this file; stage 3 uses ChainIDs
// as the names of the layer directories under image/overlay2/layerdb/sha256/.

import { createHash } from 'node:crypto';

/** A digest as text: the algorithm, a colon, the lower-case hex of the hash: "sha256:3f5e…". */
export type Digest = `sha256:${string}`;

const DIGEST_RE = /^sha256:[0-9a-f]{64}$/;

/** sha256 of some bytes (or of a string's UTF-8 bytes), as "sha256:<hex>". */
export function sha256(data: Buffer | string): Digest {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/** True for a well-formed "sha256:<64 hex>" digest. */
export function isDigest(s: string): s is Digest {
  return DIGEST_RE.test(s);
}

/** The hex part of a digest, which is what directory and file names on disk use. */
export function hexOf(digest: string): string {
  return digest.startsWith('sha256:') ? digest.slice('sha256:'.length) : digest;
}

// #region chain-id
/**
 * The ChainID of a stack of layers, from their DiffIDs, bottom layer first.
 *
 * A DiffID names one layer's changes alone (the sha256 of its uncompressed tar). The same changes
 * on top of a different parent make a different filesystem, so a stack needs a name that covers
 * every layer below too. The ChainID is that name, built from the bottom up:
 *
 *   ChainID(L0)      = DiffID(L0)
 *   ChainID(L0..Ln)  = sha256( ChainID(L0..Ln-1) + " " + DiffID(Ln) )   (hashing the text)
 *
 * Docker names its layer store entries by ChainID, which is why two images that share their
 * bottom layers share those directories on disk.
 */
export function chainId(diffIds: readonly string[]): Digest {
  if (diffIds.length === 0) throw new Error('a chain id needs at least one layer');
  let chain: Digest | null = null;
  for (const diffId of diffIds) chain = nextChainId(chain, diffId);
  return chain!;
}

/** One step of the recursion: the ChainID of `diffId`'s layer on top of the stack `parent`. */
export function nextChainId(parent: string | null, diffId: string): Digest {
  return parent === null ? (diffId as Digest) : sha256(`${parent} ${diffId}`);
}

/**
 * The ChainID of every prefix of the stack: [ChainID(L0), ChainID(L0..L1), …], each from the one
 * before it — one hash per layer. (Computing each prefix from the bottom again costs n²/2 hashes:
 * for the store's 125-layer images, read on every `rm` and `rmi`, that was most of their time.)
 */
export function chainIds(diffIds: readonly string[]): Digest[] {
  const chain: Digest[] = [];
  for (const diffId of diffIds) chain.push(nextChainId(chain.length > 0 ? chain[chain.length - 1] : null, diffId));
  return chain;
}
// #endregion

// #region image-id
/**
 * The image ID: the sha256 of the image config JSON, byte for byte as it is stored.
 *
 * The config lists the DiffIDs of its layers, so the ID covers the whole filesystem as well as
 * the settings (Cmd, Env, …). Re-serializing the JSON (another key order, other whitespace)
 * would give another ID, so the bytes that are hashed are the bytes that are written.
 */
export function imageId(configBytes: Buffer | string): Digest {
  return sha256(configBytes);
}
// #endregion
