// Image references: the text a user types to name an image, `busybox`, `busybox:1.36`,
// `localhost:5000/team/app:v2`, `busybox@sha256:…`, or an image ID (`3f57d9401f8d`).
//
// The grammar is the one of the distribution project's "reference" package (docker/distribution
// reference/reference.go) and of `docker tag --help`. Stage 6 notes, "image names and tags".

import { EngineError } from '../errors.js';
import type { Digest } from './digest.js';

/** A parsed, normalized image name: where it lives, which repository, which version. */
export interface Reference {
  /** the registry: "docker.io" when the name has none, else e.g. "localhost:5000" */
  domain: string;
  /** the repository inside the registry: "library/busybox", "team/app" */
  path: string;
  /** the tag; "latest" when the text named neither a tag nor a digest */
  tag?: string;
  /** a content digest pinning the exact manifest: "sha256:…" */
  digest?: Digest;
}

export const DEFAULT_DOMAIN = 'docker.io';
export const DEFAULT_TAG = 'latest';
/** Docker Hub's official images live in the "library/" namespace: `busybox` is `library/busybox`. */
const OFFICIAL_NAMESPACE = 'library/';
/** The shortest hex prefix accepted as an image ID (shorter strings are too easily names). */
export const MIN_SHORT_ID = 4;

// #region reference-grammar
// One path component: lower-case letters and digits, with single separators (".", "_", "__", or
// runs of "-") between them. So `my-app`, `my__app`, `a.b` are fine; `-app`, `app.`, `App` are not.
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
// The registry: a host name (or an [IPv6] address) with an optional :port.
const DOMAIN = /^(?:(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*|\[[a-fA-F0-9:]+\])(?::[0-9]+)?$/;
// A tag: up to 128 word characters, dots and dashes, not starting with a dot or a dash.
const TAG = /^[\w][\w.-]{0,127}$/;
// The digests minidock knows: sha256 only.
const DIGEST = /^sha256:[0-9a-f]{64}$/;
const NAME_MAX = 255;
// #endregion

function invalid(why?: string): EngineError {
  return new EngineError(why ? `invalid reference format: ${why}` : 'invalid reference format');
}

// #region parse-digest-tag
/**
 * Parse `[domain/]path[:tag][@digest]` and normalize it the way docker does: no domain means
 * Docker Hub, a one-component path on Docker Hub means an official image (`library/`), and no
 * tag and no digest means `:latest`.
 */
export function parseReference(text: string): Reference {
  if (text === '') throw invalid();

  // 1. The digest comes last, after "@" (a name never contains "@").
  let rest = text;
  let digest: Digest | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    const d = rest.slice(at + 1);
    if (!DIGEST.test(d)) throw invalid();
    digest = d as Digest;
    rest = rest.slice(0, at);
  }

  // 2. The tag follows the last ":" — unless that colon sits before a "/", in which case it was
  //    a registry port (`localhost:5000/app` has no tag).
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw invalid();
  }
  // #endregion

  // #region parse-name
  // 3. The name. Its first component is a registry when it looks like a host: it has a dot or a
  //    port, it is "localhost", or it has capitals (repository paths are lower case, hosts not).
  const name = rest;
  if (name.length > NAME_MAX) throw invalid(`repository name must not be more than ${NAME_MAX} characters`);
  let domain = DEFAULT_DOMAIN;
  let path = name;
  const slash = name.indexOf('/');
  if (slash >= 0) {
    const first = name.slice(0, slash);
    if (/[.:]/.test(first) || first === 'localhost' || first !== first.toLowerCase()) {
      if (!DOMAIN.test(first)) throw invalid();
      domain = first;
      path = name.slice(slash + 1);
    }
  }
  const components = path.split('/');
  if (!components.every((c) => PATH_COMPONENT.test(c))) {
    const lowered = components.map((c) => c.toLowerCase());
    if (lowered.every((c) => PATH_COMPONENT.test(c))) throw invalid('repository name must be lowercase');
    throw invalid();
  }
  if (/^[0-9a-f]{64}$/.test(name)) {
    throw new EngineError(`invalid repository name (${name}), cannot specify 64-byte hexadecimal strings`);
  }

  // 4. Normalize Docker Hub names: `busybox` → docker.io/library/busybox.
  if (domain === 'index.docker.io') domain = DEFAULT_DOMAIN;
  if (domain === DEFAULT_DOMAIN && !path.includes('/')) path = OFFICIAL_NAMESPACE + path;
  if (tag === undefined && digest === undefined) tag = DEFAULT_TAG;

  return { domain, path, tag, digest };
}
// #endregion

// #region familiar-name
/**
 * The short name docker shows and stores in repositories.json: Docker Hub's domain and the
 * "library/" namespace are left out (`busybox`, `team/app`), other registries stay in
 * (`localhost:5000/app`).
 */
export function familiarName(ref: Reference): string {
  if (ref.domain !== DEFAULT_DOMAIN) return `${ref.domain}/${ref.path}`;
  return ref.path.startsWith(OFFICIAL_NAMESPACE) ? ref.path.slice(OFFICIAL_NAMESPACE.length) : ref.path;
}

/** The familiar name with its tag and/or digest: `busybox:latest`, `app@sha256:…`. */
export function familiarString(ref: Reference): string {
  let s = familiarName(ref);
  if (ref.tag !== undefined) s += `:${ref.tag}`;
  if (ref.digest !== undefined) s += `@${ref.digest}`;
  return s;
}

/** The fully qualified name: `docker.io/library/busybox:latest`. */
export function fullString(ref: Reference): string {
  let s = `${ref.domain}/${ref.path}`;
  if (ref.tag !== undefined) s += `:${ref.tag}`;
  if (ref.digest !== undefined) s += `@${ref.digest}`;
  return s;
}
// #endregion

// #region image-ref
/**
 * What a user may mean by the text naming an image on the command line:
 *
 *   `sha256:3f57…` or 64 hex digits   an image ID (full, or a prefix after "sha256:")
 *   `3f57d9401f8d`                    a name (`3f57d9401f8d:latest`) or else an ID prefix
 *   anything else                      a name
 *
 * The store tries `ref` first and `idPrefix` second, as docker does.
 */
export interface ImageRef {
  ref?: Reference;
  /** lower-case hex, 1–64 digits, without "sha256:" */
  idPrefix?: string;
}

export function parseImageRef(text: string): ImageRef {
  const withAlgo = /^sha256:([0-9a-f]{1,64})$/.exec(text);
  if (withAlgo) return { idPrefix: withAlgo[1] };
  if (/^[0-9a-f]{64}$/.test(text)) return { idPrefix: text };
  const ref = parseReference(text);
  if (/^[0-9a-f]+$/.test(text) && text.length >= MIN_SHORT_ID) return { ref, idPrefix: text };
  return { ref };
}
// #endregion
