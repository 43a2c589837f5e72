// lib/image/verify.ts' DigestStream: bytes passed through, their digest and size checked against
// the promised ones at the end.

import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { sha256 } from './digest.js';
import { DigestStream } from './verify.js';

const sink = () => new Writable({ write: (_c, _e, done) => done() });

describe('DigestStream', () => {
  it('passes bytes through and reports their digest and size', async () => {
    const s = new DigestStream(sha256('hello world'));
    await pipeline(Readable.from([Buffer.from('hello '), Buffer.from('world')]), s, sink());
    expect(s.digest()).toBe(sha256('hello world'));
    expect(s.size()).toBe(11);
  });

  it('fails at the end of a stream whose bytes do not hash to the promised digest', async () => {
    const s = new DigestStream(sha256('hello world'), 'blob x');
    await expect(pipeline(Readable.from([Buffer.from('hello wOrld')]), s, sink())).rejects.toThrow(/blob x: digest mismatch: want sha256:b94d/);
  });

  it('fails on a wrong length even when no digest is promised', async () => {
    const s = new DigestStream(undefined, 'blob y', 3);
    await expect(pipeline(Readable.from([Buffer.from('four')]), s, sink())).rejects.toThrow(/size mismatch: want 3 bytes, got 4/);
  });
});
