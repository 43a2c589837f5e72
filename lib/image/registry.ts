// A Registry HTTP API v2 client (the "distribution" API): everything is a blob named by digest,
// plus manifests that a tag points at. Reads stream through a digest check; nothing the size of
// a layer is ever held in memory.
//
//   GET  /v2/                                 ping (401 + WWW-Authenticate tells how to log in)
//   GET  /v2/<name>/manifests/<tag|digest>    a manifest, in one of the types we Accept
//   GET  /v2/<name>/blobs/<digest>            a blob (often a redirect to a storage server)
//   HEAD /v2/<name>/blobs/<digest>            does the registry have it?
//   POST /v2/<name>/blobs/uploads/[?mount=&from=]   start an upload (or mount from another repo)
//   PATCH <Location>                          send (a chunk of) the bytes
//   PUT  <Location>&digest=<digest>           finish: the registry checks the digest
//   PUT  /v2/<name>/manifests/<tag>           publish the manifest under the tag
//
// OCI distribution spec; Docker "Registry HTTP API V2". Stage 6 notes, "the registry conversation".

import { createReadStream, statSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { EngineError } from '../errors.js';
import { trace } from '../sys/trace.js';
import { basicHeader, credentialsFor, parseChallenges, type Credentials } from './auth.js';
import { sha256, type Digest } from './digest.js';
import { httpGet, isOk, toResponse } from './http-get.js';
import { MANIFEST_ACCEPT } from './manifest.js';
import type { Reference } from './reference.js';

/** Manifests are small; a bigger answer is refused rather than read. */
const MAX_MANIFEST = 4 * 1024 * 1024;

// #region registry-url
/**
 * Where a registry answers. Docker Hub's API is at registry-1.docker.io. Like docker, plain HTTP
 * is used only for a registry on this machine (localhost, 127.0.0.0/8, ::1) or one listed in
 * MINIDOCK_INSECURE_REGISTRIES (comma separated host:port); every other registry gets HTTPS.
 */
export function registryBase(domain: string, env: NodeJS.ProcessEnv = process.env): string {
  if (domain === 'docker.io') return 'https://registry-1.docker.io';
  const host = domain.replace(/:\d+$/, '');
  const insecure = (env.MINIDOCK_INSECURE_REGISTRIES ?? '').split(',').map((s) => s.trim());
  const local = host === 'localhost' || /^127\./.test(host) || host === '[::1]';
  return `${local || insecure.includes(domain) ? 'http' : 'https'}://${domain}`;
}

/**
 * The URL to send upload bytes to: the Location the registry gave (absolute, or relative to the
 * registry), keeping any query it carries (distribution puts its upload state in `_state=…`),
 * with `digest=` added for the final PUT.
 */
export function uploadUrl(base: string, location: string, digest?: string): string {
  const url = new URL(location, base);
  if (digest !== undefined) url.searchParams.set('digest', digest);
  return url.toString();
}
// #endregion

/** An HTTP error from the registry as one line: its status and the first error's message. */
async function registryError(what: string, res: Response): Promise<EngineError> {
  let detail = '';
  try {
    const body = (await res.json()) as { errors?: { code?: string; message?: string }[] };
    const e = body.errors?.[0];
    if (e) detail = `: ${e.code ?? ''}${e.message ? ` ${e.message}` : ''}`.replace(/: $/, '');
  } catch {
    // not JSON: the status says enough
  }
  if (res.status === 401) return new EngineError(`${what}: unauthorized: authentication required${detail}`);
  if (res.status === 404) return new EngineError(`${what}: not found${detail}`);
  return new EngineError(`${what}: the registry answered ${res.status} ${res.statusText}${detail}`);
}

// #region login
/**
 * Check credentials the way `docker login` does: GET /v2/; a basic challenge is answered with
 * them, a bearer challenge by asking its token server (no scope) with them. True when accepted.
 */
export async function checkLogin(domain: string, credentials: Credentials, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const base = registryBase(domain, env);
  const get = (url: string, headers: Record<string, string> = {}) =>
    fetch(url, { headers }).catch((err: Error) => {
      throw new EngineError(`GET ${url}: ${(err as { cause?: Error }).cause?.message ?? err.message}`);
    });
  const ping = await get(`${base}/v2/`);
  await ping.body?.cancel();
  if (ping.ok) return; // a registry without authentication takes anyone
  if (ping.status !== 401) throw await registryError(`login to ${domain}`, ping);
  const challenges = parseChallenges(ping.headers.get('www-authenticate') ?? '');
  const bearer = challenges.find((c) => c.scheme === 'bearer');
  let res: Response;
  if (bearer?.params.realm) {
    const url = new URL(bearer.params.realm);
    if (bearer.params.service) url.searchParams.set('service', bearer.params.service);
    res = await get(url.toString(), { Authorization: basicHeader(credentials) });
  } else {
    res = await get(`${base}/v2/`, { Authorization: basicHeader(credentials) });
  }
  if (!res.ok) throw await registryError(`login to ${domain}`, res);
  await res.body?.cancel();
}
// #endregion

export class RegistryClient {
  readonly base: string;
  /** "repository:<path>:pull" or ":pull,push" */
  private readonly scope: string;
  private authorization: string | undefined;
  private readonly credentials: Credentials | undefined;

  constructor(
    readonly ref: Reference,
    actions: 'pull' | 'pull,push',
    opts: { credentials?: Credentials; env?: NodeJS.ProcessEnv } = {},
  ) {
    this.base = registryBase(ref.domain, opts.env);
    this.scope = `repository:${ref.path}:${actions}`;
    this.credentials = opts.credentials ?? credentialsFor(ref.domain);
  }

  private url(p: string): string {
    return `${this.base}/v2/${this.ref.path}/${p}`;
  }

  // #region authenticate
  /**
   * One request, with authentication: on a 401, read the challenge, get a bearer token (or use
   * basic credentials), and try once more. The token is kept for the next requests. A body that
   * is a stream cannot be sent twice: such requests call ensureAuth() first.
   */
  async request(method: string, url: string, init: { headers?: Record<string, string>; body?: Readable | Buffer | null } = {}): Promise<Response> {
    const send = () => {
      const headers: Record<string, string> = { ...init.headers };
      if (this.authorization) headers.Authorization = this.authorization;
      const body = init.body instanceof Readable ? (Readable.toWeb(init.body) as unknown as BodyInit) : (init.body ?? undefined);
      trace(`http ${method} ${url}`);
      return fetch(url, { method, headers, body, redirect: 'follow', ...(init.body instanceof Readable ? { duplex: 'half' } : {}) } as RequestInit).catch((err: Error) => {
        const cause = (err as { cause?: Error }).cause;
        throw new EngineError(`${method} ${url}: ${cause?.message ?? err.message}`);
      });
    };
    let res = await send();
    if (res.status === 401 && !(init.body instanceof Readable)) {
      await res.body?.cancel();
      if (await this.authenticate(res.headers.get('www-authenticate') ?? '')) res = await send();
    }
    return res;
  }

  /** Ping /v2/ and log in if it asks us to (before an upload whose body is a stream). */
  async ensureAuth(): Promise<void> {
    if (this.authorization) return;
    const res = await this.request('GET', `${this.base}/v2/`);
    if (!res.ok && res.status !== 401) throw await registryError(`ping ${this.base}/v2/`, res);
    await res.body?.cancel();
  }

  /** Answer a 401's challenge (its WWW-Authenticate header); false when there is nothing we can answer it with. */
  private async authenticate(challenge: string): Promise<boolean> {
    const challenges = parseChallenges(challenge);
    const bearer = challenges.find((c) => c.scheme === 'bearer');
    if (bearer?.params.realm) {
      const tokenUrl = new URL(bearer.params.realm);
      if (bearer.params.service) tokenUrl.searchParams.set('service', bearer.params.service);
      tokenUrl.searchParams.set('scope', this.scope);
      const headers: Record<string, string> = {};
      if (this.credentials) headers.Authorization = basicHeader(this.credentials);
      trace(`http GET ${tokenUrl} (token)`);
      const t = await fetch(tokenUrl, { headers }).catch((err: Error) => {
        throw new EngineError(`get token from ${tokenUrl.origin}: ${(err as { cause?: Error }).cause?.message ?? err.message}`);
      });
      if (!t.ok) throw await registryError(`get token from ${tokenUrl.origin}`, t);
      const body = (await t.json()) as { token?: string; access_token?: string };
      const token = body.token ?? body.access_token;
      if (!token) throw new EngineError(`get token from ${tokenUrl.origin}: the answer holds no token`);
      this.authorization = `Bearer ${token}`;
      return true;
    }
    if (challenges.some((c) => c.scheme === 'basic') && this.credentials) {
      this.authorization = basicHeader(this.credentials);
      return true;
    }
    return false;
  }
  // #endregion

  /**
   * A GET over node:http (http-get.ts says why), authenticated like request(): a 401 is answered
   * once and the GET sent again. The answer's body is not read yet.
   */
  private async get(url: string, headers: Record<string, string> = {}): Promise<IncomingMessage> {
    const send = () => httpGet(url, this.authorization ? { ...headers, Authorization: this.authorization } : headers);
    let res = await send();
    if (res.statusCode === 401 && (await this.authenticate(res.headers['www-authenticate'] ?? ''))) {
      res.resume();
      res = await send();
    }
    return res;
  }

  // #region get-manifest
  /** A manifest by tag or digest: its bytes, media type and digest (checked when asked by digest). */
  async getManifest(tagOrDigest: string): Promise<{ bytes: Buffer; mediaType: string; digest: Digest }> {
    const what = `manifest for ${this.ref.domain}/${this.ref.path}:${tagOrDigest}`;
    const res = await this.get(this.url(`manifests/${tagOrDigest}`), { Accept: MANIFEST_ACCEPT });
    if (!isOk(res)) throw await registryError(what, await toResponse(res));
    if (Number(res.headers['content-length'] ?? 0) > MAX_MANIFEST) {
      res.destroy();
      throw new EngineError(`${what}: larger than ${MAX_MANIFEST} bytes`);
    }
    const bytes = await buffer(res);
    const digest = sha256(bytes);
    if (tagOrDigest.startsWith('sha256:') && digest !== tagOrDigest) throw new EngineError(`${what}: digest mismatch: got ${digest}`);
    const mediaType = (res.headers['content-type'] ?? '').split(';')[0].trim() || (JSON.parse(bytes.toString('utf8')) as { mediaType?: string }).mediaType || '';
    return { bytes, mediaType, digest };
  }
  // #endregion

  /** A blob as a stream (the caller checks its digest: verify.ts). */
  async getBlob(digest: string): Promise<Readable> {
    const res = await this.get(this.url(`blobs/${digest}`));
    if (!isOk(res)) throw await registryError(`blob ${digest}`, await toResponse(res));
    return res;
  }

  /** A small blob (a config), read whole and checked. */
  async getBlobBytes(digest: string): Promise<Buffer> {
    const res = await this.get(this.url(`blobs/${digest}`));
    if (!isOk(res)) throw await registryError(`blob ${digest}`, await toResponse(res));
    const bytes = await buffer(res);
    if (sha256(bytes) !== digest) throw new EngineError(`blob ${digest}: digest mismatch: got ${sha256(bytes)}`);
    return bytes;
  }

  async hasBlob(digest: string): Promise<boolean> {
    const res = await this.request('HEAD', this.url(`blobs/${digest}`));
    if (res.status === 404) return false;
    if (!res.ok) throw await registryError(`blob ${digest}`, res);
    return true;
  }

  // #region upload
  /**
   * Try to mount a blob from another repository of the same registry: 201 means it is there now,
   * with no byte sent. Otherwise the registry has started an ordinary upload; we cancel it.
   */
  async mountBlob(digest: string, from: string): Promise<boolean> {
    const url = `${this.url('blobs/uploads/')}?mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(from)}`;
    const res = await this.request('POST', url);
    await res.body?.cancel();
    if (res.status === 201) return true;
    const location = res.headers.get('location');
    if (res.status === 202 && location) await this.request('DELETE', uploadUrl(this.base, location)).then((r) => r.body?.cancel());
    return false;
  }

  /**
   * Upload a blob from a file. Small blobs go in one PUT (monolithic); others as a PATCH that
   * streams the file, then a PUT with the digest (chunked, one chunk). The registry hashes what
   * it got and refuses a wrong digest.
   */
  async uploadBlob(file: string, digest: Digest, chunkedAbove = 1024 * 1024, onBytes?: (sent: number) => void): Promise<void> {
    await this.ensureAuth();
    const what = `upload ${digest}`;
    const start = await this.request('POST', this.url('blobs/uploads/'));
    await start.body?.cancel();
    let location = start.headers.get('location');
    if (start.status !== 202 || !location) throw await registryError(what, start);
    const size = statSync(file).size;
    const octets = { 'Content-Type': 'application/octet-stream' };
    // the file as the request body, counted on its way out (for a progress bar)
    const body = () => (onBytes ? Readable.from(counted(createReadStream(file), onBytes)) : createReadStream(file));
    if (size <= chunkedAbove) {
      const put = await this.request('PUT', uploadUrl(this.base, location, digest), { headers: { ...octets, 'Content-Length': String(size) }, body: body() });
      if (put.status !== 201) throw await registryError(what, put);
      await put.body?.cancel();
      return;
    }
    const patch = await this.request('PATCH', uploadUrl(this.base, location), { headers: { ...octets, 'Content-Range': `0-${size - 1}`, 'Content-Length': String(size) }, body: body() });
    if (patch.status !== 202) throw await registryError(what, patch);
    await patch.body?.cancel();
    location = patch.headers.get('location') ?? location;
    const put = await this.request('PUT', uploadUrl(this.base, location, digest), { headers: { 'Content-Length': '0' }, body: Buffer.alloc(0) });
    if (put.status !== 201) throw await registryError(what, put);
    await put.body?.cancel();
  }

  /** Upload a small blob (a config) from memory, in one PUT. */
  async uploadBytes(bytes: Buffer, digest: Digest): Promise<void> {
    const start = await this.request('POST', this.url('blobs/uploads/'));
    await start.body?.cancel();
    const location = start.headers.get('location');
    if (start.status !== 202 || !location) throw await registryError(`upload ${digest}`, start);
    const put = await this.request('PUT', uploadUrl(this.base, location, digest), { headers: { 'Content-Type': 'application/octet-stream' }, body: bytes });
    if (put.status !== 201) throw await registryError(`upload ${digest}`, put);
    await put.body?.cancel();
  }
  // #endregion

  /** Publish a manifest under a tag (or a digest), with its media type as Content-Type. */
  async putManifest(tag: string, bytes: Buffer, mediaType: string): Promise<void> {
    const res = await this.request('PUT', this.url(`manifests/${tag}`), { headers: { 'Content-Type': mediaType }, body: bytes });
    if (res.status !== 201) throw await registryError(`put manifest ${tag}`, res);
    await res.body?.cancel();
  }
}

/** The chunks of `source`, telling `onBytes` how many went by so far. */
async function* counted(source: AsyncIterable<Buffer>, onBytes: (sent: number) => void): AsyncGenerator<Buffer> {
  let sent = 0;
  for await (const chunk of source) {
    sent += chunk.length;
    onBytes(sent);
    yield chunk;
  }
}
