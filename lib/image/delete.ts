// `docker rmi`: take names away, and when an image has no name left, remove it and every layer
// that nothing else uses. Layers are shared (by ChainID) between images and are the lower layers
// of containers, so a layer goes only when no remaining image and no container stands on it.
//
// docker-rmi(1); moby daemon/images/image_delete.go (the conflict rules). Stage 3 notes, "rmi".

import { listContainers } from '../container/state.js';
import { EngineError } from '../errors.js';
import type { Paths } from '../paths.js';
import { hexOf } from './digest.js';
import { familiarString, parseImageRef } from './reference.js';
import type { Image, ImageStore } from './store.js';

export interface DeleteOptions {
  /** -f: remove an image with several names, or one a stopped container uses */
  force: boolean;
  /** delete untagged parents too (docker's default; --no-prune turns it off) */
  prune: boolean;
}

/** A refused removal: docker's "conflict: …" wording, exit status 1 like every rmi failure. */
class Conflict extends EngineError {
  constructor(message: string) {
    super(`conflict: ${message}`, 1);
  }
}

const short = (id: string) => hexOf(id).slice(0, 12);

// #region rmi
/**
 * Remove what `name` names. Returns docker's report lines: "Untagged: busybox:latest",
 * "Deleted: sha256:<image id>", then one "Deleted: sha256:<chain id>" per layer removed.
 *
 *   rmi NAME, image has other names   → untag only
 *   rmi NAME (its last) or rmi ID     → check conflicts, untag all, delete the image, release
 *                                       its layers, then its untagged parents (unless --no-prune)
 * Conflicts: a running container (never forced), a child image (never forced), a stopped
 * container or names in several repositories (-f overrides).
 */
export function removeImage(p: Paths, store: ImageStore, name: string, opts: DeleteOptions): string[] {
  const img = store.resolve(name);
  const { ref } = parseImageRef(name);
  const byName = ref !== undefined && img.repoTags.includes(familiarString(ref));
  const lines: string[] = [];

  if (byName && img.repoTags.length > 1) {
    store.untag(familiarString(ref!));
    return [`Untagged: ${familiarString(ref!)}`];
  }
  if (byName) {
    // the last name: a container of this image keeps it (its config names the image)
    const user = listContainers(p).find((c) => c.Image === img.id);
    if (user && (user.State.Running || !opts.force)) {
      if (user.State.Running) throw new Conflict(`unable to delete ${short(img.id)} (cannot be forced) - image is being used by running container ${short(user.ID)}`);
      throw new Conflict(`unable to remove repository reference "${name}" (must force) - container ${short(user.ID)} is using its referenced image ${short(img.id)}`);
    }
  } else {
    const repos = new Set(img.repoTags.map((t) => t.slice(0, t.lastIndexOf(':'))));
    if (repos.size > 1 && !opts.force) throw new Conflict(`unable to delete ${short(img.id)} (must be forced) - image is referenced in multiple repositories`);
  }
  const why = conflict(p, store, img, opts.force);
  if (why) throw new Conflict(why);

  for (const tag of img.repoTags) {
    store.untag(tag);
    lines.push(`Untagged: ${tag}`);
  }
  // the digest references a pull or push left (docker's RepoDigests) go with the image
  for (const digestRef of store.refs.digestsOf(img.id)) {
    store.untag(digestRef);
    lines.push(`Untagged: ${digestRef}`);
  }
  lines.push(...deleteUntagged(p, store, img, opts.prune));
  return lines;
}
// #endregion

/** Why `img` may not be deleted, or null. */
function conflict(p: Paths, store: ImageStore, img: Image, force: boolean): string | null {
  const child = store.list().find((other) => store.parentOf(other.id) === img.id);
  if (child) return `unable to delete ${short(img.id)} (cannot be forced) - image has dependent child images`;
  for (const c of listContainers(p).filter((x) => x.Image === img.id)) {
    if (c.State.Running) return `unable to delete ${short(img.id)} (cannot be forced) - image is being used by running container ${short(c.ID)}`;
    if (!force) return `unable to delete ${short(img.id)} (must be forced) - image is being used by stopped container ${short(c.ID)}`;
  }
  return null;
}

// #region release-layers
/**
 * Delete an image that has no names left, then the layers only it used, top layer first, then
 * (prune) its parent if that is an untagged image nothing else needs.
 */
function deleteUntagged(p: Paths, store: ImageStore, img: Image, prune: boolean): string[] {
  const parent = store.parentOf(img.id);
  store.deleteImage(img.id);
  const lines = [`Deleted: ${img.id}`];

  const top = img.layers.length > 0 ? img.layers[img.layers.length - 1] : null;
  for (const chainId of store.releaseLayers(top)) lines.push(`Deleted: ${chainId}`);

  if (prune && parent !== null) {
    let up: Image | null = null;
    try {
      up = store.get(parent);
    } catch {
      // the parent is gone already
    }
    if (up && up.repoTags.length === 0 && conflict(p, store, up, false) === null) lines.push(...deleteUntagged(p, store, up, prune));
  }
  return lines;
}

// #endregion

// #region prune-images
/**
 * `docker image prune` (and the images part of `system prune`): remove dangling images — no
 * name, no child image, no container — or with `all` every image no container uses, names
 * and all. Untagged parents follow them, as with rmi. Returns docker's report lines ("untagged:
 * …", "deleted: sha256:…") and the bytes of the layers removed.
 */
export function pruneImages(p: Paths, store: ImageStore, all: boolean): { lines: string[]; reclaimed: number } {
  const lines: string[] = [];
  let reclaimed = 0;
  for (;;) {
    const images = store.list();
    const parents = new Set(images.map((img) => store.parentOf(img.id)));
    const used = new Set(listContainers(p).map((c) => c.Image));
    const heads = images.filter((img) => !parents.has(img.id) && !used.has(img.id) && (all || img.repoTags.length === 0));
    if (heads.length === 0) break;
    const sizes = new Map(images.flatMap((img) => img.layers).map((chainId) => [chainId as string, store.layer(chainId).size]));
    for (const img of heads) {
      for (const tag of img.repoTags) {
        store.untag(tag);
        lines.push(`untagged: ${tag}`);
      }
      for (const line of deleteUntagged(p, store, img, true)) {
        const id = line.slice('Deleted: '.length);
        reclaimed += sizes.get(id) ?? 0; // a layer's line: its size; an image's line: 0
        lines.push(`deleted: ${id}`);
      }
    }
  }
  return { lines, reclaimed };
}
// #endregion
