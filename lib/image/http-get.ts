// The GETs of a pull (manifests, the config, layer blobs) over node:http and node:https instead
// of fetch. fetch hands its body over as a web stream, and turning that into a Node stream chunk
// by chunk costs more CPU than hashing the bytes: 3 blobs of 16 MB took ~0.35 s of user CPU
// through fetch, ~0.1 s through node:http, sha256 included. And Node loads fetch's code (undici)
// at its first use, ~0.1 s more for a command that lives a second. Uploads, the ping and the token
// server stay on fetch (registry.ts), whose Request and Response are simpler to read.
//
// Redirects are followed as fetch follows them: a registry often sends a blob GET on to a storage
// server (S3, a CDN) with a signed URL. The Authorization header is for the registry only, so it
// is dropped when a redirect leaves the registry's origin (fetch and Go's http client do the same).
//
// RFC 9110 (redirects, 15.4), OCI distribution spec ("Pulling blobs"). Stage 6 notes, "pull and push".

import http from 'node:http';
import https from 'node:https';
import { buffer } from 'node:stream/consumers';
import { EngineError } from '../errors.js';
import { trace } from '../sys/trace.js';

/** fetch gives up after 20 redirects; a blob needs one at most. */
const MAX_REDIRECTS = 10;

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** A registry silent this long is given up on: fetch's own limit (undici's body timeout). */
const IDLE_TIMEOUT_MS = 300_000;

/**
 * GET `url`, following redirects; the answer's status, headers and body (a Node stream, not yet
 * read). A connection that fails is an EngineError "GET <url>: <why>", as registry.ts words it.
 */
export async function httpGet(url: string, headers: Record<string, string>): Promise<http.IncomingMessage> {
  const first = new URL(url);
  let current = first;
  for (let hops = 0; ; hops++) {
    const sent = current.origin === first.origin ? headers : withoutAuthorization(headers);
    const res = await getOnce(current, sent);
    const location = res.headers.location;
    if (!REDIRECTS.has(res.statusCode ?? 0) || location === undefined) return res;
    res.resume(); // nothing to read in a redirect; let the connection go back to the pool
    if (hops === MAX_REDIRECTS) throw new EngineError(`GET ${url}: more than ${MAX_REDIRECTS} redirects`);
    current = new URL(location, current);
  }
}

function getOnce(url: URL, headers: Record<string, string>): Promise<http.IncomingMessage> {
  trace(`http GET ${url}`);
  const client = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = client.get(url, { headers, timeout: IDLE_TIMEOUT_MS }, resolve);
    req.on('error', (err) => reject(new EngineError(`GET ${url}: ${err.message}`)));
    // node:http only tells; the GET (and a body being read) fails here, as with fetch
    req.on('timeout', () => req.destroy(new Error(`no answer for ${IDLE_TIMEOUT_MS / 1000} s`)));
  });
}

function withoutAuthorization(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => name.toLowerCase() !== 'authorization'));
}

/** A 2xx answer (fetch's `ok`). */
export function isOk(res: http.IncomingMessage): boolean {
  return (res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 300;
}

/** An error answer, read whole into a fetch Response, so that registry.ts reads it like the others. */
export async function toResponse(res: http.IncomingMessage): Promise<Response> {
  const body = await buffer(res);
  const headers = new Headers();
  for (const [name, value] of Object.entries(res.headers)) if (typeof value === 'string') headers.set(name, value);
  return new Response(new Uint8Array(body), { status: res.statusCode, statusText: res.statusMessage, headers });
}
