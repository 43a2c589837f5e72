// lib/image/archive.ts: save writes docker 25's archive (manifest.json and an OCI layout), load
// reads it back with the same image ID and refuses a wrong layer; stores in temporary directories.

import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import tar from 'tar-stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { paths, type Paths } from '../paths.js';
import { loadImages, saveImages, type ArchiveManifestEntry } from './archive.js';
import { hexOf } from './digest.js';
import { importImage } from './import.js';
import { MEDIA, type OciIndex, type OciManifest } from './manifest.js';
import { ImageStore } from './store.js';
import { tarOf } from './fake-tar.js';

let root: string;
let p: Paths;
let store: ImageStore;
beforeEach(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'minidock-archive-'));
  p = paths({ MINIDOCK_ROOT: root });
  store = new ImageStore(p, { collectGarbage: false });
});
afterEach(() => rmSync(root, { recursive: true, force: true }));


/** Save into memory, and list the archive's files with their contents. */
async function saved(names: string[]): Promise<{ bytes: Buffer; files: Map<string, Buffer> }> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  await saveImages(p, store, names, out);
  const bytes = Buffer.concat(chunks);
  const files = new Map<string, Buffer>();
  const extract = tar.extract();
  Readable.from([bytes]).pipe(extract as unknown as NodeJS.WritableStream);
  for await (const e of extract) {
    const parts: Buffer[] = [];
    for await (const c of e) parts.push(c as Buffer);
    files.set(e.header.name, Buffer.concat(parts));
  }
  return { bytes, files };
}

describe('save', () => {
  it('writes docker 25’s archive: manifest.json and an OCI layout over the same blobs', async () => {
    const id = await importImage(store, await tarOf({ 'hello.txt': 'hi\n' }), { reference: 'hello:v1', created: new Date(0) });
    const diffId = store.get(id).config.rootfs.diff_ids[0];
    const { files } = await saved(['hello:v1']);

    const manifest = JSON.parse(files.get('manifest.json')!.toString()) as ArchiveManifestEntry[];
    expect(manifest).toEqual([{ Config: `blobs/sha256/${hexOf(id)}`, RepoTags: ['hello:v1'], Layers: [`blobs/sha256/${hexOf(diffId)}`] }]);
    expect(JSON.parse(files.get('repositories')!.toString())).toEqual({ hello: { v1: hexOf(diffId) } });
    expect(JSON.parse(files.get('oci-layout')!.toString())).toEqual({ imageLayoutVersion: '1.0.0' });

    const index = JSON.parse(files.get('index.json')!.toString()) as OciIndex;
    expect(index.manifests[0].annotations).toEqual({ 'io.containerd.image.name': 'docker.io/library/hello:v1', 'org.opencontainers.image.ref.name': 'v1' });
    const oci = JSON.parse(files.get(`blobs/sha256/${hexOf(index.manifests[0].digest)}`)!.toString()) as OciManifest;
    expect(oci.config).toMatchObject({ mediaType: MEDIA.ociConfig, digest: id });
    expect(oci.layers).toEqual([{ mediaType: MEDIA.ociLayer, digest: diffId, size: files.get(`blobs/sha256/${hexOf(diffId)}`)!.length }]);
    // the layer blob is the very tar that was imported: its sha256 is the DiffID
    expect(files.get(`blobs/sha256/${hexOf(id)}`)!.equals(store.images.bytes(id))).toBe(true);
  });
});

describe('load', () => {
  it('loads what save wrote into an empty store with the same image ID and name', async () => {
    const id = await importImage(store, await tarOf({ 'a.txt': 'a' }), { reference: 'x/y:z', created: new Date(0) });
    const { bytes } = await saved(['x/y:z']);
    const other = new ImageStore(paths({ MINIDOCK_ROOT: path.join(root, 'other') }), { collectGarbage: false });
    const lines = await loadImages(other.p, other, Readable.from([bytes]));
    expect(lines).toEqual(['Loaded image: x/y:z']);
    expect(other.resolve('x/y:z').id).toBe(id);
  });

  it('refuses an archive whose layer is not the one the config names, and stores no image', async () => {
    const id = await importImage(store, await tarOf({ 'a.txt': 'a' }), { reference: 'bad:v1', created: new Date(0) });
    const { files } = await saved(['bad:v1']);
    const diffId = store.get(id).config.rootfs.diff_ids[0];
    files.set(`blobs/sha256/${hexOf(diffId)}`, await tarOf({ 'a.txt': 'B' })); // same size, other bytes
    const pack = tar.pack();
    for (const [name, data] of files) if (!name.endsWith('/')) pack.entry({ name }, data);
    pack.finalize();
    const other = new ImageStore(paths({ MINIDOCK_ROOT: path.join(root, 'other') }), { collectGarbage: false });
    await expect(loadImages(other.p, other, Readable.from(pack as unknown as AsyncIterable<Buffer>))).rejects.toThrow(/layer 1 has diff id sha256:[0-9a-f]+, the config says/);
    expect(other.list()).toEqual([]);
    expect(other.layers.chainIds()).toEqual([]);
  });
});

describe('tmpDir', () => {
  it('removes the working directories of dead processes, and keeps those of live ones', async () => {
    const { existsSync, mkdirSync } = await import('node:fs');
    const { tmpDir } = await import('./archive.js');
    const dead = path.join(p.tmp, 'pull-999999999-abcdef'); // no such pid
    const live = path.join(p.tmp, `pull-${process.ppid}-abcdef`);
    mkdirSync(dead, { recursive: true });
    mkdirSync(live, { recursive: true });
    const mine = tmpDir(p, 'save');
    expect(existsSync(dead)).toBe(false);
    expect(existsSync(live)).toBe(true);
    expect(path.basename(mine)).toMatch(new RegExp(`^save-${process.pid}-[0-9a-f]{12}$`));
  });
});
