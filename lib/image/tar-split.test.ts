// lib/image/tar-split.ts: the tar of a layer given back byte for byte from its unpacked files (a
// tar-stream archive and one written by GNU tar), and refused when a file has changed.

import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tar from 'tar-stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyLayerTar } from './layer-tar.js';
import { readTarSplit, reassemble } from './tar-split.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'minidock-tarsplit-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function collect(r: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of r) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** Unpack `tarball` into a fresh directory, then rebuild it from the tar-split and that directory. */
async function roundTrip(tarball: Buffer): Promise<Buffer> {
  const out = path.join(dir, 'layer');
  mkdirSync(out);
  const applied = await applyLayerTar(tarball, out, { stage: 3 });
  return collect(reassemble(readTarSplit(applied.tarSplit), out));
}

describe('tar-split', () => {
  it('gives back, byte for byte, a tar written by tar-stream with a long name, a pax header, a link and an empty file', async () => {
    const pack = tar.pack();
    const long = `${'d'.repeat(120)}/${'f'.repeat(120)}.txt`;
    pack.entry({ name: 'dir/', type: 'directory', mode: 0o755, mtime: new Date(1000) });
    pack.entry({ name: 'dir/a.txt', mode: 0o644, mtime: new Date(1000) }, 'hello\n');
    pack.entry({ name: long, mode: 0o600, mtime: new Date(2000) }, 'x'.repeat(1000));
    pack.entry({ name: 'dir/empty', mode: 0o644, mtime: new Date(0) }, '');
    pack.entry({ name: 'dir/link', type: 'symlink', linkname: 'a.txt', mtime: new Date(0) });
    pack.entry({ name: 'dir/hard', type: 'link', linkname: 'dir/a.txt', mtime: new Date(0) });
    pack.finalize();
    const tarball = await collect(pack as unknown as NodeJS.ReadableStream);
    expect((await roundTrip(tarball)).equals(tarball)).toBe(true);
  });

  it('gives back a GNU tar archive (its own header style and end padding)', async () => {
    const src = path.join(dir, 'src');
    mkdirSync(path.join(src, 'etc', 'x'.repeat(110)), { recursive: true });
    writeFileSync(path.join(src, 'etc', 'hosts'), '127.0.0.1 localhost\n');
    writeFileSync(path.join(src, 'etc', 'x'.repeat(110), 'deep'), Buffer.alloc(5000, 7));
    const file = path.join(dir, 'gnu.tar');
    execFileSync('tar', ['-C', src, '-cf', file, '.']);
    const tarball = readFileSync(file);
    expect((await roundTrip(tarball)).equals(tarball)).toBe(true);
  });

  it('stops when a file of the layer has changed length since it was unpacked', async () => {
    const pack = tar.pack();
    pack.entry({ name: 'a.txt', mode: 0o644 }, 'hello\n');
    pack.finalize();
    const tarball = await collect(pack as unknown as NodeJS.ReadableStream);
    const out = path.join(dir, 'layer');
    mkdirSync(out);
    const applied = await applyLayerTar(tarball, out, { stage: 3 });
    writeFileSync(path.join(out, 'a.txt'), 'changed!\n');
    await expect(collect(reassemble(readTarSplit(applied.tarSplit), out))).rejects.toThrow(/layer file a.txt changed: 9 bytes, the tar had 6/);
  });
});
