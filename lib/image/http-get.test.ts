// lib/image/http-get.ts: GETs against small node:http servers on 127.0.0.1 (a registry, a
// storage server it redirects to), started and closed by each test.

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { buffer } from 'node:stream/consumers';
import { afterEach, describe, expect, it } from 'vitest';
import { httpGet } from './http-get.js';

const servers: http.Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});

/** A server on 127.0.0.1 that answers with `handler`; its base URL. */
async function serve(handler: http.RequestListener): Promise<string> {
  const server = http.createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('httpGet', () => {
  it('follows a redirect to another origin without the Authorization header, as fetch does', async () => {
    const storage = await serve((req, res) => res.end(`auth=${req.headers.authorization ?? 'none'}`));
    const registry = await serve((req, res) => {
      if (req.url === '/blob') res.writeHead(307, { Location: `${storage}/signed?x=1` }).end();
      else res.writeHead(302, { Location: '/blob' }).end(); // same origin: the header stays
      expect(req.headers.authorization).toBe('Bearer t');
    });
    const res = await httpGet(`${registry}/start`, { Authorization: 'Bearer t' });
    expect(res.statusCode).toBe(200);
    expect((await buffer(res)).toString()).toBe('auth=none');
  });

  it('hands an error answer back with its status, for the caller to word', async () => {
    const registry = await serve((_req, res) => res.writeHead(404, { 'Content-Type': 'application/json' }).end('{"errors":[{"code":"BLOB_UNKNOWN"}]}'));
    const res = await httpGet(`${registry}/v2/a/blobs/sha256:00`, {});
    expect(res.statusCode).toBe(404);
    expect((await buffer(res)).toString()).toContain('BLOB_UNKNOWN');
  });

  it('says which GET failed when nothing listens', async () => {
    const registry = await serve(() => {});
    servers.pop()!.close();
    await expect(httpGet(`${registry}/v2/`, {})).rejects.toThrow(/^GET http:\/\/127\.0\.0\.1:\d+\/v2\/: connect ECONNREFUSED/);
  });
});
