// Manifests: how a registry (or an OCI layout) describes an image. A manifest lists the config
// blob and the layer blobs by descriptor (media type, digest, size); an index (a "manifest list"
// in Docker's words) lists one manifest per platform.
//
// OCI image spec "manifest.md", "image-index.md", "descriptor.md"; Docker "Image Manifest V2,
// Schema 2". Stage 6 notes, "manifests and platforms".

import { EngineError } from '../errors.js';
import { goArch } from './import.js';

// #region media-types
export const MEDIA = {
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayer: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
} as const;

/** What a client says it understands when it asks for a manifest (schema 1 is not among them). */
export const MANIFEST_ACCEPT = [MEDIA.dockerManifest, MEDIA.dockerList, MEDIA.ociManifest, MEDIA.ociIndex].join(', ');
// #endregion

export interface Platform {
  architecture: string;
  os: string;
  variant?: string;
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: Platform;
  annotations?: Record<string, string>;
  urls?: string[];
}

export interface OciManifest {
  schemaVersion: 2;
  mediaType?: string;
  config: Descriptor;
  layers: Descriptor[];
}

export interface OciIndex {
  schemaVersion: 2;
  mediaType?: string;
  manifests: Descriptor[];
}

/** True for the media types of an index / manifest list. */
export function isIndex(mediaType: string | undefined): boolean {
  return mediaType === MEDIA.ociIndex || mediaType === MEDIA.dockerList;
}

// #region choose-platform
/**
 * Pick this machine's entry of an index: linux, this architecture (Go's names: amd64, arm64);
 * for arm64 a "v8" variant or none. Attestation manifests (platform unknown/unknown) never match.
 */
export function choosePlatform(manifests: readonly Descriptor[], want: Platform = { os: 'linux', architecture: goArch() }): Descriptor {
  const matches = manifests.filter((m) => m.platform?.os === want.os && m.platform?.architecture === want.architecture);
  const exact = matches.find((m) => (want.variant ? m.platform?.variant === want.variant : true));
  const pick = exact ?? matches[0] ?? (manifests.length === 1 && !manifests[0].platform ? manifests[0] : undefined);
  if (!pick) {
    const have = manifests.map((m) => (m.platform ? `${m.platform.os}/${m.platform.architecture}` : '?')).join(', ');
    throw new EngineError(`no matching manifest for ${want.os}/${want.architecture} in the manifest list entries (have: ${have || 'none'})`);
  }
  return pick;
}
// #endregion
