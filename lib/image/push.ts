// `docker push`: upload the blobs the registry lacks (each layer gzip-compressed, the config),
// then the manifest that lists them under the tag. A layer already in the repository is not
// sent ("Layer already exists"); one in another repository of the same registry is mounted
// ("Mounted from …"). The manifest is Docker's schema 2, as docker pushes it.
//
// docker-push(1). Stage 6 notes, "pull and push".

import { rmSync } from 'node:fs';
import path from 'node:path';
import { EngineError } from '../errors.js';
import type { Paths } from '../paths.js';
import { tmpDir } from './archive.js';
import { hexOf, sha256, type Digest } from './digest.js';
import { plainProgress, type Progress } from './progress.js';
import { DistributionMetadata } from './distribution.js';
import { writeLayer } from './layer-export.js';
import { MEDIA, type OciManifest } from './manifest.js';
import { familiarName, parseReference } from './reference.js';
import { RegistryClient } from './registry.js';
import type { ImageStore } from './store.js';

export interface PushResult {
  digest: Digest;
  size: number;
  /** layers whose bytes were sent */
  uploaded: number;
}

// #region push-layers
export async function pushImage(p: Paths, store: ImageStore, name: string, out: Progress | ((line: string) => void) = () => {}): Promise<PushResult> {
  const progress = typeof out === 'function' ? plainProgress(out) : out;
  const log = (line: string) => progress.line(line);
  const ref = parseReference(name);
  if (ref.digest) throw new EngineError('cannot push a digest reference');
  const image = store.resolve(name);
  const client = new RegistryClient(ref, 'pull,push');
  const meta = new DistributionMetadata(p);
  const repository = `${ref.domain}/${ref.path}`;
  log(`The push refers to repository [${ref.domain === 'docker.io' ? 'docker.io/' + ref.path : repository}]`);
  await client.ensureAuth();

  const work = tmpDir(p, 'push');
  const layers: OciManifest['layers'] = [];
  let uploaded = 0;
  try {
    // Layers top first in the log, as docker prints them; uploaded bottom first.
    for (const chainId of [...image.layers].reverse()) progress.layer(hexOf(store.layer(chainId).diffId).slice(0, 12), 'Preparing');
    for (const chainId of image.layers) {
      const layer = store.layer(chainId);
      const show = hexOf(layer.diffId).slice(0, 12);
      // Compress to a temp file: the digest must be known before the registry is asked.
      const file = path.join(work, hexOf(layer.diffId));
      const blob = await writeLayer(store, chainId, file, true);
      layers.push({ mediaType: MEDIA.dockerLayer, digest: blob.digest, size: blob.size });
      if (await client.hasBlob(blob.digest)) {
        progress.layer(show, 'Layer already exists');
      } else {
        const from = meta
          .metadataOf(layer.diffId)
          .find((m) => m.Digest === blob.digest && m.SourceRepository.startsWith(`${ref.domain}/`) && m.SourceRepository !== repository);
        const fromPath = from?.SourceRepository.slice(ref.domain.length + 1);
        if (fromPath && (await client.mountBlob(blob.digest, fromPath))) {
          progress.layer(show, `Mounted from ${familiarName(parseReference(from!.SourceRepository))}`);
        } else {
          await client.uploadBlob(file, blob.digest, undefined, (sent) => progress.layer(show, 'Pushing', { current: sent, total: blob.size }));
          uploaded++;
          progress.layer(show, 'Pushed');
        }
      }
      meta.record(layer.diffId, blob.digest, repository);
      rmSync(file, { force: true });
    }
    // #endregion

    // #region push-config-manifest
    // #region exercise 6.push-manifest
    // The config, then the manifest. The config is a blob like the layers, and its digest is the
    // image ID (the sha256 of the very bytes stored); the manifest names it and the layers, bottom
    // first, and is PUT under the tag; its own digest is the sha256 of the bytes sent.
    const configBytes = store.images.bytes(image.id);
    if (!(await client.hasBlob(image.id))) await client.uploadBytes(configBytes, image.id);
    const manifest: OciManifest = {
      schemaVersion: 2,
      mediaType: MEDIA.dockerManifest,
      config: { mediaType: MEDIA.dockerConfig, size: configBytes.length, digest: image.id },
      layers,
    };
    const bytes = Buffer.from(JSON.stringify(manifest, null, 3));
    await client.putManifest(ref.tag!, bytes, MEDIA.dockerManifest);
    const digest = sha256(bytes);
    store.refs.add(image.id, { domain: ref.domain, path: ref.path, digest });
    log(`${ref.tag}: digest: ${digest} size: ${bytes.length}`);
    return { digest, size: bytes.length, uploaded };
    // #endregion
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
// #endregion
