// `docker pull`: fetch a manifest (choosing this machine's platform from an index), the config,
// and the layers the store does not have yet; each layer streams from the registry through a
// digest check into a temporary file, then is unpacked like any layer tar. The config goes in
// last, so a failed pull leaves no image (and no half layer: layerdb.create cleans up).
//
// docker-pull(1). Stage 6 notes, "pull and push".

import { createReadStream, createWriteStream, rmSync } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { EngineError } from '../errors.js';
import type { Paths } from '../paths.js';
import { tmpDir } from './archive.js';
import { hexOf, isDigest, nextChainId, type Digest } from './digest.js';
import { DistributionMetadata } from './distribution.js';
import { applyLayerTar } from './layer-tar.js';
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

// #region pull
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

  const work = tmpDir(p, 'pull');
  let downloaded = 0;
  let downloading: Promise<unknown> = Promise.resolve();
  try {
    // 3. Download the missing layers, a few at a time, each into its own temp file; each layer's
    //    promise settles when its file is complete (or its download failed).
    const missing = manifest.layers.map((_, i) => i).filter((i) => !store.hasLayer(chains[i]));
    for (const [i, l] of manifest.layers.entries()) progress.layer(short(l.digest), missing.includes(i) ? 'Pulling fs layer' : 'Already exists');
    const files = new Map(missing.map((i) => [i, promised<string>()]));
    for (const f of files.values()) f.promise.catch(() => {}); // awaited below, unless an earlier layer failed
    let next = 0;
    const worker = async () => {
      while (next < missing.length) {
        const i = missing[next++];
        const desc = manifest.layers[i];
        try {
          files.get(i)!.resolve(await download(desc));
        } catch (err) {
          files.get(i)!.reject(err);
          throw err;
        }
        downloaded++;
        progress.layer(short(desc.digest), 'Download complete');
      }
    };
    const download = async (desc: OciManifest['layers'][number]): Promise<string> => {
      if (!isDigest(desc.digest)) throw new EngineError(`manifest: bad layer digest ${JSON.stringify(desc.digest)}`);
      // the layer's line: a bar while bytes arrive, then "Verifying Checksum" at the last one
      const shown = (bytes: number) => progress.layer(short(desc.digest), bytes === desc.size ? 'Verifying Checksum' : 'Downloading', bytes === desc.size ? undefined : { current: bytes, total: desc.size });
      // #region exercise 6.pull-blob
      // GET /v2/<name>/blobs/<digest>, streamed through a sha256 check into work/<hex>: a blob
      // whose bytes do not hash to the digest that named it fails the pipeline
      const file = path.join(work, hexOf(desc.digest));
      const body = await client.getBlob(desc.digest);
      await pipeline(body, new DigestStream(desc.digest, `blob ${desc.digest}`, undefined, shown), createWriteStream(file, { mode: 0o600 }));
      return file;
      // #endregion
    };
    downloading = Promise.all(Array.from({ length: Math.min(CONCURRENT_DOWNLOADS, missing.length) }, worker));
    downloading.catch(() => {}); // its failure reaches us through the layer's promise

    // 4. Unpack them bottom up, each as soon as its download is complete (while the layers above
    //    are still downloading); each must have the DiffID the config promises.
    // A layer unpacked before a later one failed goes again: a failed pull leaves nothing.
    const made: Digest[] = [];
    try {
      for (const i of missing) {
        const file = await files.get(i)!.promise;
        const want = diffIds[i];
        const desc = manifest.layers[i];
        await store.createLayer(i === 0 ? null : chains[i - 1], async (dir) => {
          // the bar counts the compressed bytes read from the temp file, as docker's does
          const input = createReadStream(file);
          let read = 0;
          input.on('data', (chunk) => progress.layer(short(desc.digest), 'Extracting', { current: (read += chunk.length), total: desc.size }));
          const applied = await applyLayerTar(input, dir);
          if (applied.diffId !== want) throw new EngineError(`layer ${manifest.layers[i].digest}: its tar has diff id ${applied.diffId}, the config says ${want}`);
          return applied;
        });
        made.push(chains[i]);
        progress.layer(short(desc.digest), 'Pull complete');
      }
    } catch (err) {
      for (const chain of made.reverse()) store.deleteLayer(chain);
      throw err;
    }
    for (const i of missing) meta.record(diffIds[i], manifest.layers[i].digest as Digest, `${ref.domain}/${ref.path}`);
  } finally {
    await downloading.catch(() => {}); // no download may still write into work/ when it goes
    rmSync(work, { recursive: true, force: true });
  }

  // 5. The config (its sha256 is the image ID), the tag, and the digest reference.
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
