// lib/image/pull.ts' unpackVerified: gzip layer blobs made in memory (fake-tar.ts), fed in
// socket-sized chunks into a temporary directory; no registry, no layer store.

import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sha256 } from './digest.js';
import { tarOf } from './fake-tar.js';
import { unpackVerified } from './pull.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'minidock-pull-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A blob as a registry sends it: in 64 KiB chunks, like a socket. */
const socket = (blob: Buffer) => Readable.from(Array.from({ length: Math.ceil(blob.length / 65536) }, (_, i) => blob.subarray(i * 65536, (i + 1) * 65536)));

describe('unpackVerified', () => {
  it('unpacks a gzip layer blob while it streams and gives its DiffID, the sha256 of the tar', async () => {
    const big = randomBytes(3 * 1024 * 1024).toString('base64'); // more than one hand-over
    const tarball = await tarOf({ 'etc/hostname': 'box\n', 'data/big': big });
    const blob = gzipSync(tarball);
    const seen: number[] = [];
    const applied = await unpackVerified(socket(blob), sha256(blob), dir, (bytes) => seen.push(bytes));
    expect(applied.diffId).toBe(sha256(tarball));
    expect(readFileSync(path.join(dir, 'etc/hostname'), 'utf8')).toBe('box\n');
    expect(readFileSync(path.join(dir, 'data/big'), 'utf8')).toBe(big);
    expect(seen.at(-1)).toBe(blob.length);
  });

  it('reports a corrupted blob as a digest mismatch, not as the gunzip error it causes first', async () => {
    const blob = gzipSync(await tarOf({ a: randomBytes(256 * 1024).toString('hex') }));
    const digest = sha256(blob);
    blob[blob.length >> 1] ^= 0xff;
    await expect(unpackVerified(socket(blob), digest, dir)).rejects.toThrow(/digest mismatch/);
  });

  it("reports a hostile layer in the unpacker's words when the blob is the one its digest names", async () => {
    const blob = gzipSync(await tarOf({ '../escape': 'x' }));
    await expect(unpackVerified(socket(blob), sha256(blob), dir)).rejects.toThrow(/refusing layer entry/);
  });

  it('stops the unpacker when the download breaks off', async () => {
    const blob = gzipSync(await tarOf({ a: randomBytes(512 * 1024).toString('hex') }));
    const broken = Readable.from(
      (async function* () {
        yield blob.subarray(0, 100_000);
        throw new Error('socket hang up');
      })(),
    );
    await expect(unpackVerified(broken, sha256(blob), dir)).rejects.toThrow(/socket hang up/);
  });
});
