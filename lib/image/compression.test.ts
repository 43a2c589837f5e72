// lib/image/compression.ts: gzip, bzip2, xz and zstd layers named by their magic bytes and
// unpacked with the plain tar's DiffID; each tool's test is skipped when it is not on PATH.

import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildTar } from '../../checks/hostile-tars.js';
import { detectCompression, findOnPath } from './compression.js';
import { applyLayerTar } from './layer-tar.js';

/** Compress with the host's tool (`xz -c`, …): the test archives are made the way users make them. */
const compress = (tool: string, bytes: Buffer): Buffer => execFileSync(tool, ['-c'], { input: bytes });

let tmp: string;
beforeEach(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'minidock-compression-'));
});
afterEach(() => rmSync(tmp, { recursive: true, force: true }));

/** A fresh, empty layer directory. */
function layerDir(name: string): string {
  const dir = path.join(tmp, name);
  mkdirSync(dir);
  return dir;
}

describe('detectCompression', () => {
  it('names each format by its magic bytes, and anything else a plain tar', () => {
    expect(detectCompression(Buffer.from([0x1f, 0x8b, 0x08]))).toBe('gzip');
    expect(detectCompression(Buffer.from('BZh91AY'))).toBe('bzip2');
    expect(detectCompression(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))).toBe('xz');
    expect(detectCompression(Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00]))).toBe('zstd');
    expect(detectCompression(Buffer.from('etc/passwd\0'))).toBe('none');
    expect(detectCompression(Buffer.from([0xfd, 0x37, 0x7a]))).toBe('none'); // too short to be xz
    expect(detectCompression(Buffer.alloc(0))).toBe('none');
  });
});

describe('applyLayerTar with compressed archives', () => {
  const tools = [
    { kind: 'gzip', tool: 'gzip' },
    { kind: 'xz', tool: 'xz' },
    { kind: 'bzip2', tool: 'bzip2' },
    { kind: 'zstd', tool: 'zstd' },
  ];
  for (const { kind, tool } of tools) {
    it.skipIf(findOnPath(tool) === null)(`unpacks a ${kind} tar with the DiffID of the plain tar`, async () => {
      const plain = await buildTar([{ name: 'etc/', type: 'directory', mode: 0o755 }, { name: 'etc/motd', data: `hello from ${kind}\n` }]);
      const expected = await applyLayerTar(plain, layerDir('plain'));
      const dir = layerDir(kind);
      const got = await applyLayerTar(kind === 'gzip' ? gzipSync(plain) : compress(tool, plain), dir);
      expect(got.diffId).toBe(expected.diffId);
      expect(readFileSync(path.join(dir, 'etc/motd'), 'utf8')).toBe(`hello from ${kind}\n`);
    });
  }

  it.skipIf(findOnPath('xz') === null)('reports a corrupt xz stream as a decompression error, not as a short tar', async () => {
    const xz = compress('xz', await buildTar([{ name: 'f', data: 'x'.repeat(5000) }]));
    xz[xz.length - 20] ^= 0xff; // break the data near the end (its check fails)
    const err = await applyLayerTar(xz, layerDir('corrupt')).catch((e: Error) => e);
    expect(String(err)).toMatch(/decompress xz: /);
    expect(String(err)).not.toMatch(/Unexpected end of data/);
  });

  it('refuses zstd in one line naming the package when no zstd is on PATH', async () => {
    const zstdMagic = Buffer.concat([Buffer.from([0x28, 0xb5, 0x2f, 0xfd]), Buffer.alloc(100)]);
    const savedPath = process.env.PATH;
    process.env.PATH = path.join(tmp, 'empty-bin'); // a PATH where no tool is found
    try {
      await expect(applyLayerTar(zstdMagic, layerDir('nozstd'))).rejects.toThrow(/^unsupported compression: zstd \(install zstd\)$/);
    } finally {
      process.env.PATH = savedPath;
    }
  });

  it.skipIf(findOnPath('xz') === null)('stops the decompressor when an entry is refused half-way through the archive', async () => {
    const xz = compress('xz', await buildTar([{ name: '../evil', data: 'x' }, { name: 'big', data: 'y'.repeat(1 << 20) }]));
    await expect(applyLayerTar(xz, layerDir('refused'))).rejects.toThrow(/refusing layer entry "..\/evil"/);
  });
});
