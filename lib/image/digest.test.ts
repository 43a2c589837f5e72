// lib/image/digest.ts: DiffID, ChainID and image ID computed as docker does, checked against
// hand-computed sha256 values and the well-known empty layer.

import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { chainId, chainIds, hexOf, imageId, isDigest, nextChainId, sha256 } from './digest.js';

const hex = (s: string | Buffer) => createHash('sha256').update(s).digest('hex');

describe('digests', () => {
  it('writes a sha256 digest as "sha256:" and 64 lower-case hex digits', () => {
    expect(sha256('')).toBe('sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(isDigest(sha256('x'))).toBe(true);
    expect(isDigest('sha256:ABC')).toBe(false);
    expect(hexOf(sha256(''))).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('gives an empty tar archive (two zero blocks) the DiffID every registry knows as the empty layer', () => {
    expect(sha256(Buffer.alloc(1024))).toBe('sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef');
  });
});

describe('ChainID', () => {
  const d0 = sha256('layer zero');
  const d1 = sha256('layer one');
  const d2 = sha256('layer two');

  it('is the DiffID itself for a bottom layer', () => {
    expect(chainId([d0])).toBe(d0);
  });

  it('hashes the parent ChainID, a space and the DiffID as text for the layers above', () => {
    const c1 = `sha256:${hex(`${d0} ${d1}`)}`;
    const c2 = `sha256:${hex(`${c1} ${d2}`)}`;
    expect(chainId([d0, d1])).toBe(c1);
    expect(chainId([d0, d1, d2])).toBe(c2);
    expect(chainIds([d0, d1, d2])).toEqual([d0, c1, c2]);
    expect(nextChainId(c1, d2)).toBe(c2);
  });

  it('depends on the order of the layers', () => {
    expect(chainId([d0, d1])).not.toBe(chainId([d1, d0]));
  });

  it('refuses an empty stack', () => {
    expect(() => chainId([])).toThrow();
  });
});

describe('image ID', () => {
  it('is the sha256 of the config bytes exactly as stored, so whitespace changes it', () => {
    const compact = '{"architecture":"amd64","os":"linux"}';
    expect(imageId(compact)).toBe(`sha256:${hex(compact)}`);
    expect(imageId('{"architecture": "amd64","os":"linux"}')).not.toBe(imageId(compact));
  });
});
