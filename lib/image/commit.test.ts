// lib/image/commit.ts and image removal: commit packs a container's writable layer with .wh.
// whiteouts into a new image; rmi untags, deletes and prunes. As root (whiteouts are device nodes).

import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tar from 'tar-stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Container } from '../container/state.js';
import { paths, type Paths } from '../paths.js';
import { S_IF, makedev } from '../sys/constants.js';
import { libcSys } from '../sys/libc.js';
import { commitContainer, EMPTY_LAYER_DIFF_ID } from './commit.js';
import { removeImage } from './delete.js';
import { chainId } from './digest.js';
import { importImage } from './import.js';
import { packDirToBuffer } from './layer-tar.js';
import { ImageStore } from './store.js';
import { tarOf } from './fake-tar.js';

// Whiteouts are character devices and opaque directories carry a trusted.* xattr: both need root.
const asRoot = process.getuid?.() === 0;


let root: string;
let p: Paths;
let store: ImageStore;
let base: string;

beforeEach(async () => {
  root = mkdtempSync(path.join(os.tmpdir(), 'minidock-commit-'));
  p = paths({ MINIDOCK_ROOT: root });
  store = new ImageStore(p);
  base = await importImage(store, await tarOf({ 'etc/passwd': 'root\n', 'etc/group': 'root\n', 'usr/old': 'old' }), { reference: 'base', changes: ['CMD ["sh"]'], created: new Date(0) });
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

/** A stopped overlay2 container of `image`, as create.ts would record it. */
function container(id: string, image: string, cmd: string[]): Container {
  const c = {
    ID: id, Name: `/${id}`, Image: image,
    Config: { Env: ['PATH=/bin'], Cmd: cmd, Entrypoint: null, WorkingDir: '', User: '', Labels: {} },
    GraphDriver: { Name: 'overlay2', Data: {} }, Minidock: { Stage: 3 },
  } as unknown as Container;
  c.GraphDriver.Data = store.createRootfs(id, store.get(image as `sha256:${string}`), 3).Data;
  return c;
}

describe.skipIf(!asRoot)('commitContainer (root: whiteouts are device nodes)', () => {
  it("packs the writable layer with .wh. whiteouts into a new layer, and writes Docker's config, history and parent", async () => {
    const c = container('c1', base, ['sh', '-c', 'change things']);
    const upper = c.GraphDriver.Data.UpperDir;
    writeFileSync(path.join(upper, 'new'), 'new');
    mkdirSync(path.join(upper, 'etc'));
    libcSys.mknod(path.join(upper, 'etc/group'), S_IF.CHR, makedev(0, 0)); // what rm /etc/group leaves
    mkdirSync(path.join(upper, 'usr'));
    libcSys.lsetxattr(path.join(upper, 'usr'), 'trusted.overlay.opaque', Buffer.from('y')); // rm -r /usr; mkdir /usr
    const tarBytes = await packDirToBuffer(upper, { sys: libcSys });
    const names: string[] = [];
    const extract = tar.extract();
    extract.on('entry', (h, s, next) => { names.push(h.name); s.resume(); s.on('end', next); });
    extract.end(tarBytes);
    await new Promise((r) => extract.on('finish', r));
    expect(names).toEqual(['etc/', 'etc/.wh.group', 'new', 'usr/', 'usr/.wh..wh..opq']);

    const id = await commitContainer(p, store, c, { sys: libcSys, message: 'm', author: 'me', changes: ['ENV A=b'], reference: 'out:1', created: new Date(1000) });
    const img = store.get(id);
    const diffId = `sha256:${createHash('sha256').update(tarBytes).digest('hex')}`;
    expect(img.config.rootfs.diff_ids).toEqual([...store.get(base as `sha256:${string}`).config.rootfs.diff_ids, diffId]);
    expect(img.layers[1]).toBe(chainId(img.config.rootfs.diff_ids));
    expect(img.config.history?.at(-1)).toEqual({ created: '1970-01-01T00:00:01Z', created_by: 'sh -c change things', comment: 'm' });
    expect(img.config.config).toEqual({ Env: ['PATH=/bin', 'A=b'], Entrypoint: null, Cmd: ['sh', '-c', 'change things'] });
    expect(img.config.author).toBe('me');
    expect(img.repoTags).toEqual(['out:1']);
    expect(store.parentOf(id)).toBe(base);

    const diff = store.layerDiffDir(img.layers[1]);
    expect(lstatSync(path.join(diff, 'etc/group')).isCharacterDevice()).toBe(true);
    expect(libcSys.lgetxattr(path.join(diff, 'usr'), 'trusted.overlay.opaque')?.toString()).toBe('y');
    expect(readFileSync(path.join(diff, 'new'), 'utf8')).toBe('new');
  });

  it('records an empty_layer history entry and no layer when nothing changed', async () => {
    const c = container('c2', base, ['true']);
    const layersBefore = readdirSync(p.overlay2).length;
    const id = await commitContainer(p, store, c, { sys: libcSys });
    const img = store.get(id);
    expect(img.layers).toEqual(store.get(base as `sha256:${string}`).layers);
    expect(img.config.history?.at(-1)?.empty_layer).toBe(true);
    expect(readdirSync(p.overlay2).length).toBe(layersBefore);
    expect(EMPTY_LAYER_DIFF_ID).toBe(`sha256:${createHash('sha256').update(Buffer.alloc(1024)).digest('hex')}`);
  });
});

describe.skipIf(!asRoot)('removeImage', () => {
  it('untags a name while others remain, then deletes the image and only the layers nothing else uses', async () => {
    const c = container('c3', base, ['x']);
    writeFileSync(path.join(c.GraphDriver.Data.UpperDir, 'f'), 'f');
    const a = await commitContainer(p, store, c, { sys: libcSys, reference: 'a:1' });
    const b = await commitContainer(p, store, c, { sys: libcSys, reference: 'b:1', message: 'another config' });
    store.tag(a, 'a:2');
    expect(store.get(a).layers).toEqual(store.get(b).layers); // same changes on the same parent: the same layer

    expect(removeImage(p, store, 'a:2', { force: false, prune: true })).toEqual(['Untagged: a:2']);
    expect(removeImage(p, store, 'a:1', { force: false, prune: true })).toEqual(['Untagged: a:1', `Deleted: ${a}`]);
    const shared = store.get(b).layers[1];
    expect(store.hasLayer(shared)).toBe(true);
    expect(removeImage(p, store, 'b:1', { force: false, prune: true })).toEqual(['Untagged: b:1', `Deleted: ${b}`, `Deleted: ${shared}`]);
    expect(store.hasLayer(shared)).toBe(false);
    expect(store.has('base')).toBe(true); // tagged parents stay
  });

  it('refuses to delete an image with children, and prunes untagged parents with the child', async () => {
    const c = container('c4', base, ['x']);
    writeFileSync(path.join(c.GraphDriver.Data.UpperDir, 'f'), 'f');
    const mid = await commitContainer(p, store, c, { sys: libcSys });
    const c2 = container('c5', mid, ['y']);
    writeFileSync(path.join(c2.GraphDriver.Data.UpperDir, 'g'), 'g');
    const top = await commitContainer(p, store, c2, { sys: libcSys, reference: 'top' });
    expect(() => removeImage(p, store, mid, { force: true, prune: true })).toThrow(/image has dependent child images/);
    const lines = removeImage(p, store, 'top', { force: false, prune: true });
    expect(lines.filter((l) => l.startsWith('Deleted: sha256:') && [top, mid].includes(l.slice(9)))).toEqual([`Deleted: ${top}`, `Deleted: ${mid}`]);
    expect(store.has(mid)).toBe(false);
  });
});
