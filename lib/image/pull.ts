// `docker pull`: fetch a manifest (choosing this machine's platform from an index), the config,
// and the layers the store does not have yet. Each missing layer flows through one pipeline,
// from the socket to its files, with no temporary file in between:
//
//   registry → sha256 of the blob → gunzip → sha256 of the tar (DiffID) → tar parser → disk
//
// The blob's digest is known only at its last byte, long after the first files are written, so
// the layer is unpacked into a staging directory that no image can see yet; only when both
// digests are right is it registered (layerdb.create), and on a mismatch layerdb.create removes
// the staging directory. A layer is registered after the layer below it (its directory names
// its parent's). The config goes in last, so a failed pull leaves no image and no layer.
//
// docker-pull(1). Stage 6 notes, "pull and push".

import { PassThrough, Writable, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { EngineError } from '../errors.js';
import type { Paths } from '../paths.js';
import { hexOf, isDigest, nextChainId, type Digest } from './digest.js';
import { DistributionMetadata } from './distribution.js';
import { applyLayerTar, type AppliedLayer } from './layer-tar.js';
import { choosePlatform, isIndex, type OciIndex, type OciManifest } from './manifest.js';
import { familiarName, familiarString, fullString, parseReference } from './reference.js';
import { RegistryClient } from './registry.js';
import type { ImageStore } from './store.js';
import { plainProgress, type Progress } from './progress.js';
import { DigestStream } from './verify.js';

/** Layers downloaded at once (docker's default is 3). */
export const CONCURRENT_DOWNLOADS = 3;

export interface PullResult {
  id: Digest;
  digest: Digest;
  /** layers actually fetched */
  downloaded: number;
}

// #region pull-plan
export async function pullImage(p: Paths, store: ImageStore, name: string, out: Progress | ((line: string) => void) = () => {}): Promise<PullResult> {
  const progress = typeof out === 'function' ? plainProgress(out) : out;
  const log = (line: string) => progress.line(line);
  const ref = parseReference(name);
  const client = new RegistryClient(ref, 'pull');
  const meta = new DistributionMetadata(p);

  // 1. The manifest; an index is resolved to this machine's manifest.
  const asked = ref.digest ?? ref.tag!;
  log(`${asked}: Pulling from ${ref.path}`);
  const { topDigest, manifest } = await fetchManifest(client, asked);

  // 2. The config names the layers by DiffID; a layer whose ChainID is stored needs no download.
  const { configBytes, diffIds, chains } = await fetchConfig(client, manifest);
  // #endregion

  // #region pull-layers
  // 3. Each missing layer streams from the registry into its own staging directory
  //    (unpackVerified, below), and is registered once the layer below it is. After a failure
  //    no new layer starts, and the layers this pull registered go again: it leaves nothing.
  const missing = manifest.layers.map((_, i) => i).filter((i) => !store.hasLayer(chains[i]));
  for (const [i, l] of manifest.layers.entries()) progress.layer(short(l.digest), missing.includes(i) ? 'Pulling fs layer' : 'Already exists');
  const registered = new Map(missing.map((i) => [i, promised<void>()]));
  for (const r of registered.values()) r.promise.catch(() => {}); // the layer above awaits it, if there is one
  const made: Digest[] = [];
  const failures: unknown[] = [];
  const unpack = async (i: number): Promise<void> => {
    const { digest, size } = manifest.layers[i];
    if (!isDigest(digest)) throw new EngineError(`manifest: bad layer digest ${JSON.stringify(digest)}`);
    // the layer's line: a bar while bytes arrive (and are unpacked), "Verifying Checksum" at the last one
    const shown = (bytes: number) => progress.layer(short(digest), bytes === size ? 'Verifying Checksum' : 'Downloading', bytes === size ? undefined : { current: bytes, total: size });
    const download = async (dir: string): Promise<AppliedLayer> => {
      // #region exercise 6.pull-blob
      // GET /v2/<name>/blobs/<digest>, unpacked into the staging directory `dir` while the same
      // bytes go through a sha256 check: a blob that does not hash to the digest that named it
      // fails, and layerdb.create removes what was unpacked
      const body = await client.getBlob(digest);
      return unpackVerified(body, digest, dir, shown);
      // #endregion
    };
    await store.createLayer(i === 0 ? null : chains[i - 1], async (dir) => {
      const applied = await download(dir);
      progress.layer(short(digest), 'Download complete');
      if (applied.diffId !== diffIds[i]) throw new EngineError(`layer ${digest}: its tar has diff id ${applied.diffId}, the config says ${diffIds[i]}`);
      await registered.get(i - 1)?.promise; // the layer below goes in first, when this pull makes it too
      return applied;
    });
    made.push(chains[i]);
    progress.layer(short(digest), 'Pull complete');
  };
  let next = 0;
  const worker = async () => {
    while (next < missing.length && failures.length === 0) {
      const i = missing[next++];
      const done = registered.get(i)!;
      await unpack(i).then(done.resolve, (err: unknown) => {
        failures.push(err);
        done.reject(err);
      });
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENT_DOWNLOADS, missing.length) }, worker));
  // every worker has stopped here: nothing still writes into a staging directory
  if (failures.length > 0) {
    for (const chain of made.reverse()) store.deleteLayer(chain);
    throw failures[0];
  }
  // #endregion

  // #region pull-record
  const downloaded = missing.length;
  for (const i of missing) meta.record(diffIds[i], manifest.layers[i].digest as Digest, `${ref.domain}/${ref.path}`);

  // 4. The config (its sha256 is the image ID), the tag, and the digest reference.
  // "up to date" when the name already pointed at this very image (docker's wording)
  const existed = store.refs.lookup(ref) === `sha256:${hexOf(manifest.config.digest)}` || (ref.digest !== undefined && store.images.exists(`sha256:${hexOf(manifest.config.digest)}` as Digest));
  const id = store.addImageBytes(configBytes, ref.tag !== undefined && ref.digest === undefined ? [familiarString(ref)] : []);
  store.refs.add(id, { domain: ref.domain, path: ref.path, digest: topDigest });
  log(`Digest: ${topDigest}`);
  const shown = ref.digest ? `${familiarName(ref)}@${ref.digest}` : familiarString(ref);
  log(existed && downloaded === 0 ? `Status: Image is up to date for ${shown}` : `Status: Downloaded newer image for ${shown}`);
  log(ref.digest ? `${ref.domain}/${ref.path}@${ref.digest}` : fullString(ref));
  return { id, digest: topDigest, downloaded };
}
// #endregion

/**
 * GET /v2/<name>/manifests/<tag or digest>: the manifest the name points at; an index (a
 * multi-platform image) is resolved to this machine's manifest by a second GET, by digest.
 * `topDigest` is the digest of what the name points at (the index, if it is one).
 */
async function fetchManifest(client: RegistryClient, asked: string): Promise<{ topDigest: Digest; manifest: OciManifest }> {
  // #region exercise 6.pull-manifest
  let m = await client.getManifest(asked);
  const topDigest = m.digest;
  if (isIndex(m.mediaType)) m = await client.getManifest(choosePlatform((JSON.parse(m.bytes.toString('utf8')) as OciIndex).manifests).digest);
  const manifest = JSON.parse(m.bytes.toString('utf8')) as OciManifest;
  if (manifest.schemaVersion !== 2 || !manifest.config || !Array.isArray(manifest.layers)) {
    throw new EngineError(`manifest ${topDigest}: not a schema 2 image manifest (type ${m.mediaType || 'unknown'})`);
  }
  return { topDigest, manifest };
  // #endregion
}

/**
 * The image config, a blob fetched by the digest the manifest names (its sha256 is the image
 * ID), its layers' DiffIDs, and the ChainID of each layer on the ones below it: the names the
 * layer store knows them by, so a layer it has already needs no download.
 */
async function fetchConfig(client: RegistryClient, manifest: OciManifest): Promise<{ configBytes: Buffer; diffIds: Digest[]; chains: Digest[] }> {
  // #region exercise 6.chain-ids
  const configBytes = await client.getBlobBytes(manifest.config.digest);
  const config = JSON.parse(configBytes.toString('utf8')) as { rootfs?: { diff_ids?: string[] } };
  const diffIds = config.rootfs?.diff_ids ?? [];
  if (diffIds.length !== manifest.layers.length || !diffIds.every(isDigest)) throw new EngineError(`image ${manifest.config.digest}: the config lists ${diffIds.length} layers, the manifest ${manifest.layers.length}`);
  // ChainID(L0) = DiffID(L0); ChainID(L0..Ln) = sha256(ChainID(L0..Ln-1) + " " + DiffID(Ln))
  const chains: Digest[] = [];
  for (const d of diffIds as Digest[]) chains.push(nextChainId(chains.at(-1) ?? null, d));
  return { configBytes, diffIds: diffIds as Digest[], chains };
  // #endregion
}

// #region unpack-verified
/**
 * What the hand-over below passes on at once. The socket gives 64 KiB chunks, and gunzip, the
 * DiffID's hash, the tar parser and write(2) each pay a fixed price per chunk, whatever its size:
 * in 1 MiB chunks a pull took a fifth less CPU.
 */
const HAND_OVER_BYTES = 1024 * 1024;

/**
 * Unpack a layer blob into `dir` while it downloads, and check its digest on the way:
 *
 *   body → DigestStream (sha256 of the blob) → hand-over → applyLayerTar (gunzip, DiffID, files)
 *
 * A corrupted blob usually makes gunzip or the tar parser fail long before its last byte, with a
 * message about deflate blocks; the real news is that the blob is not the one its digest names.
 * So the hand-over keeps reading (and hashing) the blob after the unpacker has stopped, and a
 * digest mismatch is reported in place of the unpacker's complaint. Returns when both are done.
 */
export async function unpackVerified(body: Readable, digest: Digest, dir: string, onBytes: (bytes: number) => void = () => {}): Promise<AppliedLayer> {
  const tar = new PassThrough();
  tar.on('error', () => {}); // the unpacker's own error reaches us through its promise
  let held: Buffer[] = [];
  let heldBytes = 0;
  /** Hand what is held to the unpacker; `done` once it wants more (or has stopped). */
  const passOn = (done: () => void) => {
    const chunk = Buffer.concat(held, heldBytes);
    held = [];
    heldBytes = 0;
    if (chunk.length === 0 || tar.destroyed || tar.write(chunk)) return done(); // a stopped unpacker: just hash on
    const go = () => {
      tar.off('drain', go).off('close', go);
      done();
    };
    tar.on('drain', go).on('close', go);
  };
  const handOver = new Writable({
    write(chunk: Buffer, _encoding, done) {
      held.push(chunk);
      heldBytes += chunk.length;
      if (heldBytes < HAND_OVER_BYTES) done();
      else passOn(done);
    },
    final(done) {
      passOn(() => {
        tar.end();
        done();
      });
    },
  });
  const unpacking = applyLayerTar(tar, dir);
  const downloading = pipeline(body, new DigestStream(digest, `blob ${digest}`, undefined, onBytes), handOver);
  downloading.catch((err: unknown) => tar.destroy(err as Error)); // a broken download stops the unpacker
  const [download, unpacked] = await Promise.allSettled([downloading, unpacking]);
  if (download.status === 'rejected') throw download.reason;
  if (unpacked.status === 'rejected') throw unpacked.reason;
  return unpacked.value;
}
// #endregion

/** A promise with its resolve and reject outside (Promise.withResolvers, Node 22). */
function promised<T>(): { promise: Promise<T>; resolve: (value: T) => void; reject: (err: unknown) => void } {
  let resolve!: (value: T) => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** docker's short layer name in progress lines: 12 hex digits of the blob digest. */
function short(digest: string): string {
  return hexOf(digest).slice(0, 12);
}
