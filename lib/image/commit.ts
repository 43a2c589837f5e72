// `docker commit`: a container's writable layer becomes the top layer of a new image.
//
// Only the writable layer's diff/ is packed: the image's layers are shared as they are, the -init
// layer (placeholders for /etc/hosts …) is not part of it, and volumes and the /etc files were
// mounted inside the container's mount namespace, so diff/ never saw their contents.
// docker-commit(1); OCI image spec "config.md" (history, rootfs). Stage 3 notes, "commit".

import { readdirSync } from 'node:fs';
import path from 'node:path';
import type { Container } from '../container/state.js';
import { EngineError } from '../errors.js';
import type { Paths } from '../paths.js';
import { MAX_IMAGE_LAYERS, OVERLAY2 } from '../storage/overlay2.js';
import type { Sys } from '../sys/sys.js';
import { trace } from '../sys/trace.js';
import type { Digest } from './digest.js';
import { applyChanges, rfc3339 } from './import.js';
import { applyLayerTar, packDir } from './layer-tar.js';
import { parseReference } from './reference.js';
import type { HistoryEntry, ImageConfig, ImageStore, RunConfig } from './store.js';

export interface CommitOptions {
  /** -m: the history comment */
  message?: string;
  /** -a: the author */
  author?: string;
  /** -c: Dockerfile instructions applied to the new image's config (CMD, ENV, …) */
  changes?: readonly string[];
  /** REPOSITORY[:TAG] */
  reference?: string;
  /** lgetxattr(2) and mknod(2), to carry whiteouts out of diff/ and into the new layer */
  sys: Sys;
  /** the creation time (default now) */
  created?: Date;
}

/** The DiffID of an empty tar (1024 zero bytes): a commit that changed nothing makes no layer. */
export const EMPTY_LAYER_DIFF_ID: Digest = 'sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef';

// #region commit
/**
 * Commit a container, in Docker's order:
 *   1. everything that can be wrong is checked first (names, --change, driver, depth)
 *   2. the writable layer's diff/ is packed as a tar, whiteouts in their `.wh.` spelling, and
 *      that tar is applied as a new layer on the image's top layer: its sha256 is the DiffID
 *   3. the config: the container's settings (Env, Cmd, …) with --change on top, the image's
 *      diff_ids plus the new one, the image's history plus one entry
 *   4. the config is stored (its sha256 is the image ID), named, and given its parent
 */
export async function commitContainer(p: Paths, store: ImageStore, c: Container, opts: CommitOptions): Promise<Digest> {
  const tags = opts.reference ? [opts.reference] : [];
  for (const t of tags) parseReference(t);
  const runConfig = applyChanges(containerRunConfig(c), opts.changes ?? []);
  const mountId = store.layers.mountOf(c.ID)?.mountId ?? null;
  if (c.GraphDriver.Name !== OVERLAY2 || mountId === null) {
    throw new EngineError(`commit needs an overlay2 container: ${c.Name.slice(1)} uses ${c.GraphDriver.Name || 'no'} storage (created at stage ${c.Minidock.Stage})`);
  }
  const image = store.get(c.Image as Digest);
  const upper = path.join(p.overlay2, mountId, 'diff');

  // 2. An untouched container has an empty diff/: Docker then records a history entry with
  //    empty_layer and adds no layer (same for us: no tar, no layer directory).
  const changed = readdirSync(upper).length > 0;
  let diffId: Digest | null = null;
  if (changed) {
    if (image.layers.length >= MAX_IMAGE_LAYERS) throw new EngineError(`max depth exceeded: ${image.layers.length} layers, the most an image may have is ${MAX_IMAGE_LAYERS}`);
    const top = image.layers.length > 0 ? image.layers[image.layers.length - 1] : null;
    const layer = await store.createLayer(top, (diffDir) => applyLayerTar(packDir(upper, { sys: opts.sys }), diffDir, { sys: opts.sys, stage: 3 }));
    diffId = layer.diffId;
    trace(`commit ${c.ID.slice(0, 12)}: ${upper} → layer ${layer.chainId} (DiffID ${diffId})`);
  }

  // 3. The config. Keys in one fixed (alphabetical) order, like import's, so equal inputs give
  //    equal bytes and so an equal image ID.
  const created = rfc3339(opts.created ?? new Date());
  const entry: HistoryEntry = { created, created_by: (c.Config.Cmd ?? []).join(' ') };
  if (opts.message) entry.comment = opts.message;
  if (diffId === null) entry.empty_layer = true;
  const config: ImageConfig = {
    architecture: image.config.architecture,
    ...(opts.author ? { author: opts.author } : {}),
    ...(opts.message ? { comment: opts.message } : {}),
    config: runConfig,
    created,
    history: [...(image.config.history ?? []), entry],
    os: image.config.os,
    rootfs: { type: 'layers', diff_ids: diffId === null ? [...image.config.rootfs.diff_ids] : [...image.config.rootfs.diff_ids, diffId] },
  };

  // 4. Store, name, and remember where it came from (docker inspect's Parent; rmi's child check).
  const id = store.addImage(config, tags);
  store.setParent(id, image.id);
  return id;
}
// #endregion

/** The container's settings as an image config's "config" member (the keys images carry). */
function containerRunConfig(c: Container): RunConfig {
  const rc: RunConfig = { Env: [...c.Config.Env], Entrypoint: c.Config.Entrypoint, Cmd: c.Config.Cmd };
  if (c.Config.User) rc.User = c.Config.User;
  if (c.Config.WorkingDir) rc.WorkingDir = c.Config.WorkingDir;
  if (Object.keys(c.Config.Labels ?? {}).length > 0) rc.Labels = { ...c.Config.Labels };
  return rc;
}
