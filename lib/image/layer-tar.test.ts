// lib/image/layer-tar.ts: layer tars made with tar-stream, unpacked into a temporary directory
// (files, links, modes, times, whiteouts, devices), the DiffID measured on the way; refusals.

import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import tar, { type Header } from 'tar-stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildTar, hostileTars, plantVictims, swapTars, victimPrint } from '../../checks/hostile-tars.js';
import { S_IF, makedev } from '../sys/constants.js';
import { RecordingSys } from '../sys/fake.js';
import { applyLayerTar, diskUsage, packDirToBuffer } from './layer-tar.js';

type Entry = Partial<Header> & { name: string; data?: string };

/** Build a tar archive in memory from a list of entries, in that order. */
async function makeTar(entries: Entry[]): Promise<Buffer> {
  const pack = tar.pack();
  for (const { data, ...header } of entries) {
    if (data !== undefined) pack.entry({ type: 'file', mode: 0o644, ...header }, data);
    else pack.entry(header);
  }
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** The recording fake, plus a plain file where mknod(2) would make a node (so chown/utimes find it). */
class NodeMakingSys extends RecordingSys {
  override mknod(p: string, mode: number, dev: number): void {
    super.mknod(p, mode, dev);
    writeFileSync(p, '');
  }
}

const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

let tmp: string;
let layer: string;
let outside: string;

beforeEach(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'minidock-layer-'));
  layer = path.join(tmp, 'overlay2', 'x', 'diff');
  outside = path.join(tmp, 'outside');
  mkdirSync(layer, { recursive: true });
  mkdirSync(outside);
});
afterEach(() => rmSync(tmp, { recursive: true, force: true }));

/** Every path under tmp that is not inside the layer directory. */
function outsideLayer(): string[] {
  const all = readdirSync(tmp, { recursive: true }).map(String);
  return all.filter((p) => !path.join(tmp, p).startsWith(path.dirname(layer)) && !['overlay2', 'outside'].includes(p));
}

describe('applyLayerTar', () => {
  it('unpacks files, directories, symlinks and hard links with their modes and times', async () => {
    const t = new Date('2020-02-02T02:02:02Z');
    const archive = await makeTar([
      { name: 'etc/', type: 'directory', mode: 0o755, mtime: t },
      { name: 'etc/motd', data: 'hello\n', mode: 0o640, mtime: t },
      { name: 'bin/', type: 'directory', mode: 0o755, mtime: t },
      { name: 'bin/tool', data: '#!/bin/sh\n', mode: 0o4755, mtime: t },
      { name: 'bin/alias', type: 'symlink', linkname: 'tool', mtime: t },
      { name: 'bin/hard', type: 'link', linkname: 'bin/tool' },
      { name: 'ro/', type: 'directory', mode: 0o555, mtime: t },
      { name: 'ro/inside', data: 'x' },
    ]);
    const { diffId, size } = await applyLayerTar(archive, layer);

    expect(diffId).toBe(sha(archive));
    expect(readFileSync(path.join(layer, 'etc/motd'), 'utf8')).toBe('hello\n');
    expect(statSync(path.join(layer, 'etc/motd')).mode & 0o7777).toBe(0o640);
    expect(statSync(path.join(layer, 'bin/tool')).mode & 0o7777).toBe(0o4755);
    expect(readlinkSync(path.join(layer, 'bin/alias'))).toBe('tool');
    expect(statSync(path.join(layer, 'bin/hard')).ino).toBe(statSync(path.join(layer, 'bin/tool')).ino);
    expect(statSync(path.join(layer, 'etc/motd')).mtime.getTime()).toBe(t.getTime());
    expect(lstatSync(path.join(layer, 'bin/alias')).mtime.getTime()).toBe(t.getTime());
    // directories get their mode and time after their contents were written
    expect(statSync(path.join(layer, 'etc')).mtime.getTime()).toBe(t.getTime());
    expect(statSync(path.join(layer, 'ro')).mode & 0o7777).toBe(0o555);
    expect(readFileSync(path.join(layer, 'ro/inside'), 'utf8')).toBe('x');
    // size: file bytes (the hard link once) plus the symlink's target length
    expect(size).toBe(6 + 10 + 'tool'.length + 1);
  });

  it('measures the DiffID over the uncompressed bytes, so a gzipped layer has the same DiffID', async () => {
    const archive = await makeTar([{ name: 'a', data: 'a' }]);
    const other = path.join(tmp, 'other');
    mkdirSync(other);
    const plain = await applyLayerTar(archive, layer);
    const gz = await applyLayerTar(gzipSync(archive), other);
    expect(gz.diffId).toBe(plain.diffId);
    expect(readFileSync(path.join(other, 'a'), 'utf8')).toBe('a');
  });

  it('gives an empty archive the well-known empty layer DiffID', async () => {
    const { diffId } = await applyLayerTar(await makeTar([]), layer);
    expect(diffId).toBe('sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef');
  });

  it('creates missing parent directories and lets a later entry replace an earlier one', async () => {
    const archive = await makeTar([
      { name: 'deep/er/file', data: 'one' },
      { name: 'deep/er/file', data: 'two' },
      { name: 'link', type: 'symlink', linkname: 'x' },
      { name: 'link', data: 'now a file' },
    ]);
    await applyLayerTar(archive, layer);
    expect(readFileSync(path.join(layer, 'deep/er/file'), 'utf8')).toBe('two');
    expect(lstatSync(path.join(layer, 'link')).isFile()).toBe(true);
  });

  it('turns .wh.<name> into a 0/0 character device and .wh..wh..opq into the opaque xattr (stage 3)', async () => {
    const sys = new NodeMakingSys();
    await applyLayerTar(await makeTar([{ name: 'etc/.wh.passwd', data: '' }, { name: 'var/.wh..wh..opq', data: '' }]), layer, { sys, stage: 3 });
    expect(sys.calls).toContainEqual({ op: 'mknod', args: [path.join(layer, 'etc/passwd'), S_IF.CHR, 0] });
    expect(sys.calls).toContainEqual({ op: 'lsetxattr', args: [path.join(layer, 'var'), 'trusted.overlay.opaque', 'y'] });
    expect(statSync(path.join(layer, 'var')).isDirectory()).toBe(true);
    expect(existsSync(path.join(layer, 'etc/.wh.passwd'))).toBe(false);
  });

  it('skips whiteout files below stage 3, where nothing stacks layers', async () => {
    const sys = new RecordingSys();
    await applyLayerTar(await makeTar([{ name: 'etc/.wh.passwd', data: '' }, { name: 'etc/.wh..wh..opq', data: '' }]), layer, { sys, stage: 2 });
    expect(readdirSync(layer)).toEqual([]);
    expect(sys.calls).toEqual([]);
  });

  it('makes device nodes under /dev and FIFOs anywhere with mknod(2), and sets PAX xattrs after chown', async () => {
    const sys = new NodeMakingSys();
    await applyLayerTar(
      await makeTar([
        { name: 'dev/null', type: 'character-device', devmajor: 1, devminor: 3, mode: 0o666 },
        { name: 'run/pipe', type: 'fifo', mode: 0o600 },
        { name: 'bin/ping', data: 'elf', mode: 0o755, pax: { 'SCHILY.xattr.user.note': 'hello' } },
      ]),
      layer,
      { sys, stage: 3 },
    );
    expect(sys.calls[0]).toEqual({ op: 'mknod', args: [path.join(layer, 'dev/null'), S_IF.CHR | 0o666, makedev(1, 3)] });
    expect(sys.calls[1]).toEqual({ op: 'mknod', args: [path.join(layer, 'run/pipe'), 0o010000 | 0o600, 0] });
    expect(sys.calls[2]).toEqual({ op: 'lsetxattr', args: [path.join(layer, 'bin/ping'), 'user.note', 'hello'] });
    expect(statSync(path.join(layer, 'bin/ping')).mode & 0o7777).toBe(0o755);
  });

  it('fails on a truncated archive or a corrupt gzip stream', async () => {
    const archive = await makeTar([{ name: 'f', data: 'x'.repeat(2000) }]);
    await expect(applyLayerTar(archive.subarray(0, 1000), layer)).rejects.toThrow(/^the layer tar is truncated/);
    const gz = gzipSync(archive);
    gz[gz.length - 5] ^= 0xff; // break the checksum/length trailer
    await expect(applyLayerTar(gz, path.join(tmp, 'outside'))).rejects.toThrow();
  });

  it('accepts a gzipped stream that arrives one byte at a time', async () => {
    const gz = gzipSync(await makeTar([{ name: 'f', data: 'x' }]));
    const bytes = Readable.from([...gz].map((b) => Buffer.from([b])));
    await applyLayerTar(bytes, layer);
    expect(readFileSync(path.join(layer, 'f'), 'utf8')).toBe('x');
  });
});

describe('applyLayerTar with hostile archives', () => {
  it('refuses a name that climbs out with ".." and writes nothing outside', async () => {
    await expect(applyLayerTar(await makeTar([{ name: '../../../evil', data: 'x' }]), layer)).rejects.toThrow(/refusing layer entry "..\/..\/..\/evil"/);
    await expect(applyLayerTar(await makeTar([{ name: 'a/../../b', data: 'x' }]), layer)).rejects.toThrow(/\.\./);
    expect(outsideLayer()).toEqual([]);
    expect(readdirSync(outside)).toEqual([]);
  });

  it('refuses an absolute name, and writes nothing at the root of the host', async () => {
    const name = `/minidock-test-${path.basename(tmp)}`;
    await expect(applyLayerTar(await makeTar([{ name, data: 'x' }]), layer)).rejects.toThrow(/an absolute name/);
    expect(existsSync(name)).toBe(false);
  });

  it('refuses every archive of the hostile corpus and leaves the outside empty', async () => {
    for (const t of hostileTars(outside)) {
      const dir = path.join(tmp, 'overlay2', t.name, 'diff');
      mkdirSync(dir, { recursive: true });
      await expect(applyLayerTar(await buildTar(t.entries), dir, { sys: new RecordingSys(), stage: 3 }), t.attack).rejects.toThrow(/refusing layer entry/);
      rmSync(path.dirname(dir), { recursive: true }); // as the layer store does after a failed apply
    }
    expect(readdirSync(outside)).toEqual([]);
    expect(outsideLayer()).toEqual([]);
  });

  it('refuses to write through a symlink that the archive itself planted', async () => {
    const archive = await makeTar([
      { name: 'etc', type: 'symlink', linkname: outside },
      { name: 'etc/passwd', data: 'root::0:0::/:/bin/sh\n' },
    ]);
    await expect(applyLayerTar(archive, layer)).rejects.toThrow(/refusing layer entry "etc\/passwd": etc is a symlink/);
    expect(readdirSync(outside)).toEqual([]);
  });

  it('refuses the same trick with a relative symlink that points up and out', async () => {
    const archive = await makeTar([
      { name: 'up', type: 'symlink', linkname: '../../../outside' },
      { name: 'up/x', data: 'x' },
    ]);
    await expect(applyLayerTar(archive, layer)).rejects.toThrow(/up is a symlink/);
    expect(readdirSync(outside)).toEqual([]);
  });

  it('replaces a planted symlink by a file instead of writing through it', async () => {
    writeFileSync(path.join(outside, 'target'), 'untouched');
    const archive = await makeTar([
      { name: 'f', type: 'symlink', linkname: path.join(outside, 'target') },
      { name: 'f', data: 'overwritten?' },
    ]);
    await applyLayerTar(archive, layer);
    expect(readFileSync(path.join(outside, 'target'), 'utf8')).toBe('untouched');
    expect(readFileSync(path.join(layer, 'f'), 'utf8')).toBe('overwritten?');
  });

  it('refuses a hard link to a file outside the layer', async () => {
    writeFileSync(path.join(outside, 'secret'), 'secret');
    await expect(applyLayerTar(await makeTar([{ name: 'h', type: 'link', linkname: '../../../outside/secret' }]), layer)).rejects.toThrow(/\.\./);
    const viaSymlink = await makeTar([
      { name: 'o', type: 'symlink', linkname: outside },
      { name: 'h', type: 'link', linkname: 'o/secret' },
    ]);
    await expect(applyLayerTar(viaSymlink, layer)).rejects.toThrow(/o is a symlink/);
    expect(existsSync(path.join(layer, 'h'))).toBe(false);
    expect(statSync(path.join(outside, 'secret')).nlink).toBe(1);
  });

  it('refuses a hard link to a file that is not in the layer, or to itself', async () => {
    await expect(applyLayerTar(await makeTar([{ name: 'h', type: 'link', linkname: 'missing' }]), layer)).rejects.toThrow(/not in the layer/);
    await expect(applyLayerTar(await makeTar([{ name: 'h', data: 'x' }, { name: 'h', type: 'link', linkname: 'h' }]), layer)).rejects.toThrow(/hard link to itself/);
  });
});

describe('applyLayerTar when a later entry swaps a path it already wrote', () => {
  it('leaves a host file alone when a directory (06777) is replaced by a symlink to it', async () => {
    plantVictims(outside);
    const before = statSync(path.join(outside, 'victim'));
    await applyLayerTar(await buildTar(swapTars(outside).find((t) => t.name === 'dir-then-symlink')!.entries), layer);
    const after = statSync(path.join(outside, 'victim'));
    expect((after.mode & 0o7777).toString(8)).toBe((before.mode & 0o7777).toString(8));
    expect(after.mtimeMs).toBe(before.mtimeMs);
    expect(readlinkSync(path.join(layer, 'd'))).toBe(path.join(outside, 'victim'));
  });

  it('leaves a host directory alone when d/ and d/sub/ were written and d became a symlink to it', async () => {
    plantVictims(outside);
    const before = victimPrint(outside);
    await applyLayerTar(await buildTar(swapTars(outside).find((t) => t.name === 'dir-then-symlink-dir')!.entries), layer);
    expect(victimPrint(outside)).toEqual(before);
  });

  it('imports or refuses each archive of the swap corpus without changing anything outside', async () => {
    plantVictims(outside);
    const before = victimPrint(outside);
    for (const t of swapTars(outside)) {
      const dir = path.join(tmp, 'overlay2', t.name, 'diff');
      mkdirSync(dir, { recursive: true });
      await applyLayerTar(await buildTar(t.entries), dir, { sys: new NodeMakingSys(), stage: 3 }).catch((err: Error) => {
        expect(err.message, t.attack).toMatch(/refusing layer entry/);
      });
      expect(victimPrint(outside), t.attack).toEqual(before);
      rmSync(path.dirname(dir), { recursive: true }); // as the layer store does after a failed apply
    }
    expect(readdirSync(tmp).sort()).toEqual(['outside', 'overlay2']);
    expect(readdirSync(path.join(tmp, 'overlay2'))).toEqual(['x']);
  });

  it('refuses to chmod a directory that something else swapped for a symlink or another directory before the final pass', async () => {
    plantVictims(outside);
    const before = victimPrint(outside);
    for (const swap of ['symlink', 'directory'] as const) {
      const dir = path.join(tmp, 'overlay2', swap, 'diff');
      mkdirSync(dir, { recursive: true });
      const archive = await buildTar([{ name: 'd/', type: 'directory', mode: 0o6777 }]);
      // The first 512-byte block is d's header: once d exists, swap it as an outside actor would
      // (the extractor never learns of it), then hand over the end-of-archive blocks.
      const source = Readable.from(
        (async function* () {
          yield archive.subarray(0, 512);
          for (let i = 0; i < 1000 && !existsSync(path.join(dir, 'd')); i++) await new Promise((r) => setTimeout(r, 1));
          // the new one is made before the old one goes, so it cannot reuse the old inode number
          if (swap === 'symlink') symlinkSync(path.join(outside, 'victim'), path.join(dir, 'new'));
          else mkdirSync(path.join(dir, 'new'));
          rmSync(path.join(dir, 'd'), { recursive: true });
          renameSync(path.join(dir, 'new'), path.join(dir, 'd'));
          yield archive.subarray(512);
        })(),
      );
      await expect(applyLayerTar(source, dir)).rejects.toThrow(/refusing layer entry "d\/": is no longer the directory its entry made/);
    }
    expect(victimPrint(outside)).toEqual(before);
  });

  it('removes a directory and its contents before a file of the same name is written', async () => {
    await applyLayerTar(await buildTar(swapTars(outside).find((t) => t.name === 'dir-replaced-by-file')!.entries), layer);
    const st = lstatSync(path.join(layer, 'd'));
    expect(st.isFile()).toBe(true);
    expect(st.mode & 0o7777).toBe(0o600);
    expect(readFileSync(path.join(layer, 'd'), 'utf8')).toBe('now a file');
  });

  it('replaces a file by a directory, which then gets its own mode and time', async () => {
    await applyLayerTar(await buildTar(swapTars(outside).find((t) => t.name === 'file-replaced-by-dir')!.entries), layer);
    const st = lstatSync(path.join(layer, 'f'));
    expect(st.isDirectory()).toBe(true);
    expect(st.mode & 0o7777).toBe(0o750);
    expect(st.mtime.toISOString()).toBe('2001-01-01T00:00:00.000Z');
    expect(readFileSync(path.join(layer, 'f/inner'), 'utf8')).toBe('inner');
  });

  it('refuses a whiteout or an opaque marker whose parent is a symlink', async () => {
    plantVictims(outside);
    for (const name of ['whiteout-symlink-parent', 'opaque-symlink-parent']) {
      const t = hostileTars(outside).find((h) => h.name === name)!;
      const dir = path.join(tmp, 'overlay2', name, 'diff');
      mkdirSync(dir, { recursive: true });
      const sys = new NodeMakingSys();
      await expect(applyLayerTar(await buildTar(t.entries), dir, { sys, stage: 3 })).rejects.toThrow(/w is a symlink/);
      expect(sys.calls).toEqual([]);
    }
    expect(readFileSync(path.join(outside, 'victim'), 'utf8')).toBe('victim\n');
  });

  it('refuses a directory entry named ".." and leaves the layer directory\'s parent mode alone', async () => {
    const parent = path.dirname(layer);
    const before = statSync(parent).mode;
    await expect(applyLayerTar(await buildTar([{ name: '../', type: 'directory', mode: 0o777 }]), layer)).rejects.toThrow(/\.\./);
    expect(statSync(parent).mode).toBe(before);
  });

  it('refuses a hard link whose target would be removed by replacing the link\'s own name', async () => {
    const archive = await buildTar([
      { name: 'd/', type: 'directory' },
      { name: 'd/f', data: 'x' },
      { name: 'd', type: 'link', linkname: 'd/f' },
    ]);
    await expect(applyLayerTar(archive, layer)).rejects.toThrow(/refusing layer entry "d": hard link target d\/f is inside d/);
  });
});

describe('packDir', () => {
  it('packs a directory that applyLayerTar unpacks to the same tree', async () => {
    const src = path.join(tmp, 'src');
    mkdirSync(path.join(src, 'a/b'), { recursive: true });
    writeFileSync(path.join(src, 'a/b/file'), 'content');
    symlinkSync('b/file', path.join(src, 'a/link'));
    const packed = await packDirToBuffer(src);
    await applyLayerTar(packed, layer);
    expect(readFileSync(path.join(layer, 'a/b/file'), 'utf8')).toBe('content');
    expect(readlinkSync(path.join(layer, 'a/link'))).toBe('b/file');
    expect(await diskUsage(layer)).toBe(await diskUsage(src));
  });

  it('gives the same bytes, so the same DiffID, twice when mtimes are clamped', async () => {
    const src = path.join(tmp, 'src');
    mkdirSync(src);
    writeFileSync(path.join(src, 'f'), 'x');
    const one = await packDirToBuffer(src, { mtime: new Date(0) });
    writeFileSync(path.join(src, 'f'), 'x'); // touches the mtime
    const two = await packDirToBuffer(src, { mtime: new Date(0) });
    expect(sha(one)).toBe(sha(two));
  });
});
