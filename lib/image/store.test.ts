// lib/image/store.ts: layers recorded in layerdb and overlay2 as docker's overlay2 driver does, and
// image configs stored and found by name or ID; on fake tars in a temporary store.

import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tar from 'tar-stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { paths, type Paths } from '../paths.js';
import { chainId, hexOf, imageId, sha256, type Digest } from './digest.js';
import { pruneImages } from './delete.js';
import { applyChanges, DEFAULT_PATH, importImage } from './import.js';
import { applyLayerTar } from './layer-tar.js';
import { ImageStore, type ImageConfig } from './store.js';
import { tarOf } from './fake-tar.js';


let root: string;
let p: Paths;
let store: ImageStore;

beforeEach(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'minidock-store-'));
  p = paths({ MINIDOCK_ROOT: root });
  store = new ImageStore(p);
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const fromTar = (files: Record<string, string>) => async (diffDir: string) => applyLayerTar(await tarOf(files), diffDir);

function configFor(diffIds: Digest[]): ImageConfig {
  return { architecture: 'amd64', os: 'linux', created: '2024-01-01T00:00:00Z', config: { Env: [DEFAULT_PATH], Cmd: ['sh'] }, rootfs: { type: 'layers', diff_ids: diffIds } };
}

describe('ImageStore layers', () => {
  it("records a bottom layer in layerdb and overlay2 the way Docker's overlay2 driver does", async () => {
    const tarball = await tarOf({ 'hello.txt': 'hi' });
    const layer = await store.createLayer(null, async (d) => applyLayerTar(tarball, d));
    expect(layer.diffId).toBe(sha256(tarball));
    expect(layer.chainId).toBe(layer.diffId); // a bottom layer's ChainID is its DiffID

    const meta = path.join(root, 'image/overlay2/layerdb/sha256', hexOf(layer.chainId));
    expect(readFileSync(path.join(meta, 'diff'), 'utf8')).toBe(layer.diffId);
    expect(readFileSync(path.join(meta, 'size'), 'utf8')).toBe('2');
    expect(readFileSync(path.join(meta, 'cache-id'), 'utf8')).toMatch(/^[0-9a-f]{64}$/);
    expect(existsSync(path.join(meta, 'parent'))).toBe(false);

    const dir = path.join(root, 'overlay2', layer.cacheId);
    expect(readFileSync(path.join(dir, 'diff/hello.txt'), 'utf8')).toBe('hi');
    const link = readFileSync(path.join(dir, 'link'), 'utf8');
    expect(link).toMatch(/^[A-Z2-7]{26}$/);
    expect(readlinkSync(path.join(root, 'overlay2/l', link))).toBe(`../${layer.cacheId}/diff`);
    expect(existsSync(path.join(dir, 'lower'))).toBe(false);
    expect(existsSync(path.join(dir, 'work'))).toBe(false);
    expect(store.layerDiffDir(layer.chainId)).toBe(path.join(dir, 'diff'));
  });

  it('chains upper layers: parent file, ChainID, lower list nearest first, work dir, committed parent', async () => {
    const l0 = await store.createLayer(null, fromTar({ a: '0' }));
    const l1 = await store.createLayer(l0.chainId, fromTar({ b: '1' }));
    const l2 = await store.createLayer(l1.chainId, fromTar({ c: '2' }));
    expect(l1.chainId).toBe(chainId([l0.diffId, l1.diffId]));
    expect(l2.chainId).toBe(chainId([l0.diffId, l1.diffId, l2.diffId]));
    expect(readFileSync(path.join(p.layerDb, 'sha256', hexOf(l2.chainId), 'parent'), 'utf8')).toBe(l1.chainId);

    const linkOf = (id: string) => readFileSync(path.join(p.overlay2, id, 'link'), 'utf8');
    const dir2 = path.join(p.overlay2, l2.cacheId);
    expect(readFileSync(path.join(dir2, 'lower'), 'utf8')).toBe(`l/${linkOf(l1.cacheId)}:l/${linkOf(l0.cacheId)}`);
    expect(statSync(path.join(dir2, 'work')).isDirectory()).toBe(true);
    expect(existsSync(path.join(p.overlay2, l0.cacheId, 'committed'))).toBe(true);
    expect(existsSync(path.join(p.overlay2, l1.cacheId, 'committed'))).toBe(true);
    expect(existsSync(path.join(dir2, 'committed'))).toBe(false);
  });

  it('reuses the stored layer when the same changes land on the same parent', async () => {
    const a = await store.createLayer(null, fromTar({ same: 'bytes' }));
    const b = await store.createLayer(null, fromTar({ same: 'bytes' }));
    expect(b).toEqual(a);
    expect(readdirSync(p.overlay2).sort()).toEqual([a.cacheId, 'l'].sort());
    expect(readdirSync(path.join(p.overlay2, 'l'))).toHaveLength(1);
  });

  it('leaves nothing behind when applying the layer fails', async () => {
    await expect(store.createLayer(null, fromTar({ '../escape': 'x' }))).rejects.toThrow(/refusing layer entry/);
    expect(readdirSync(p.overlay2).filter((n) => n !== 'l')).toEqual([]);
    expect(existsSync(path.join(p.overlay2, 'l')) ? readdirSync(path.join(p.overlay2, 'l')) : []).toEqual([]);
    expect(existsSync(path.join(p.layerDb, 'sha256'))).toBe(false);
  });
});

describe('ImageStore images', () => {
  it('stores the config under its own sha256 and resolves it by name, full ID and short ID', async () => {
    const layer = await store.createLayer(null, fromTar({ f: 'x' }));
    const id = store.addImage(configFor([layer.diffId]), ['busybox']);
    const stored = readFileSync(path.join(root, 'image/overlay2/imagedb/content/sha256', hexOf(id)));
    expect(imageId(stored)).toBe(id);
    expect(existsSync(path.join(root, 'image/overlay2/imagedb/metadata/sha256', hexOf(id), 'lastUpdated'))).toBe(true);

    const repos = JSON.parse(readFileSync(path.join(root, 'image/overlay2/repositories.json'), 'utf8'));
    expect(repos).toEqual({ Repositories: { busybox: { 'busybox:latest': id } } });

    for (const name of ['busybox', 'busybox:latest', 'docker.io/library/busybox:latest', id, hexOf(id), hexOf(id).slice(0, 12), `sha256:${hexOf(id).slice(0, 6)}`]) {
      expect(store.resolve(name).id, name).toBe(id);
    }
    const img = store.resolve('busybox');
    expect(img.repoTags).toEqual(['busybox:latest']);
    expect(img.layers).toEqual([layer.chainId]);
    expect(img.config.config?.Cmd).toEqual(['sh']);
    expect(store.layerDirsTopDown(img)).toEqual([store.layerDiffDir(layer.chainId)]);
    expect(store.imageSize(img)).toBe(1);
  });

  it('says "no such image" with the familiar name, exit code 125', () => {
    expect(() => store.resolve('busybox:nope')).toThrow('no such image: busybox:nope');
    try {
      store.resolve('busybox:nope');
    } catch (e) {
      expect((e as { exitCode: number }).exitCode).toBe(125);
    }
    expect(store.has('busybox')).toBe(false);
  });

  it('refuses a config whose layers are not stored', () => {
    expect(() => store.addImage(configFor([sha256('missing')]))).toThrow(/not in the layer store/);
  });

  it('moves a tag from one image to another and lists images newest first with their tags', async () => {
    const l1 = await store.createLayer(null, fromTar({ v: '1' }));
    const l2 = await store.createLayer(null, fromTar({ v: '2' }));
    const old = store.addImage({ ...configFor([l1.diffId]), created: '2020-01-01T00:00:00Z' }, ['app:v1', 'app:latest']);
    const next = store.addImage(configFor([l2.diffId]), ['app:latest']);
    store.tag(next, 'localhost:5000/app:v2');
    const [first, second] = store.list();
    expect(first.id).toBe(next);
    expect(first.repoTags).toEqual(['app:latest', 'localhost:5000/app:v2']);
    expect(second.id).toBe(old);
    expect(second.repoTags).toEqual(['app:v1']);
  });

  it('notices a config file whose content no longer matches its name', async () => {
    const layer = await store.createLayer(null, fromTar({ f: 'x' }));
    const id = store.addImage(configFor([layer.diffId]), ['app']);
    writeFileSync(path.join(p.imageDb, 'content/sha256', hexOf(id)), '{}');
    expect(() => store.resolve('app')).toThrow(/corrupt/);
  });

  it('rejects a bad tag before writing anything', async () => {
    const layer = await store.createLayer(null, fromTar({ f: 'x' }));
    expect(() => store.addImage(configFor([layer.diffId]), ['Bad Name'])).toThrow(/invalid reference format/);
    expect(existsSync(path.join(p.imageDb, 'content'))).toBe(false);
  });
});

describe('importImage', () => {
  it('makes a one-layer image with a docker-import config and prints its ID', async () => {
    const tarball = await tarOf({ 'bin/true': '' });
    const id = await importImage(store, tarball, { reference: 'rootfs:v1', changes: ['CMD ["sh"]', 'ENV A=1 B="two words"', 'WORKDIR /srv'], created: new Date(0), sourceName: 'rootfs.tar' });
    const img = store.resolve('rootfs:v1');
    expect(img.id).toBe(id);
    expect(img.config).toMatchObject({
      os: 'linux',
      created: '1970-01-01T00:00:00Z',
      comment: 'Imported from rootfs.tar',
      config: { Env: [DEFAULT_PATH, 'A=1', 'B=two words'], Cmd: ['sh'], WorkingDir: '/srv' },
      rootfs: { type: 'layers', diff_ids: [sha256(tarball)] },
      history: [{ created: '1970-01-01T00:00:00Z', created_by: 'minidock import', comment: 'Imported from rootfs.tar' }],
    });
    expect(['amd64', 'arm64']).toContain(img.config.architecture);
  });

  it('gives the same image ID for the same tarball, changes and date', async () => {
    const tarball = await tarOf({ f: 'x' });
    const a = await importImage(store, tarball, { changes: ['CMD sh', 'WORKDIR /a'], created: new Date(0) });
    const b = await importImage(store, tarball, { changes: ['WORKDIR /a', 'CMD sh'], created: new Date(0) });
    expect(b).toBe(a);
  });

  it('leaves nothing behind when the tarball is hostile or the change is invalid', async () => {
    await expect(importImage(store, await tarOf({ f: 'x' }), { changes: ['FROM busybox'] })).rejects.toThrow(/unsupported change FROM/);
    await expect(importImage(store, await tarOf({ '../x': 'x' }))).rejects.toThrow(/refusing/);
    expect(existsSync(path.join(p.layerDb, 'sha256'))).toBe(false);
    expect(readdirSync(p.overlay2).filter((n) => n !== 'l')).toEqual([]);
    expect(store.list()).toEqual([]);
  });
});

describe('applyChanges', () => {
  it('reads CMD and ENTRYPOINT in exec (JSON) and shell form', () => {
    expect(applyChanges({}, ['CMD ["echo", "hi"]']).Cmd).toEqual(['echo', 'hi']);
    expect(applyChanges({}, ['CMD echo hi']).Cmd).toEqual(['/bin/sh', '-c', 'echo hi']);
    expect(applyChanges({}, ['ENTRYPOINT ["/init"]']).Entrypoint).toEqual(['/init']);
  });

  it('reads ENV in both forms, replacing an earlier value', () => {
    expect(applyChanges({ Env: ['A=old'] }, ['ENV A=new', 'ENV B hello world']).Env).toEqual(['A=new', 'B=hello world']);
  });

  it('resolves a relative WORKDIR against the previous one', () => {
    expect(applyChanges({}, ['WORKDIR /app', 'WORKDIR src']).WorkingDir).toBe('/app/src');
  });

  it('refuses instructions docker import would not take', () => {
    expect(() => applyChanges({}, ['RUN make'])).toThrow(/unsupported change RUN/);
    expect(() => applyChanges({}, ['CMD'])).toThrow(/invalid change/);
  });
});

describe('ImageStore layer release', () => {
  it("releases an image's layers when the last container standing on them is removed after rmi -f", async () => {
    const id = await importImage(store, await tarOf({ f: 'x' }), { reference: 'gone:1' });
    const image = store.get(id);
    const driver = store.createRootfs('c1', image, 3);
    store.untag('gone:1');
    store.deleteImage(id);
    expect(store.releaseLayers(image.layers[0])).toEqual([]); // the container still stands on it
    expect(store.hasLayer(image.layers[0])).toBe(true);

    store.removeRootfs('c1', driver);
    expect(store.hasLayer(image.layers[0])).toBe(false);
    expect(readdirSync(p.overlay2).filter((n) => n !== 'l')).toEqual([]);
  });

  it('prunes layer records no image and no container uses, once they are old enough', async () => {
    const kept = await importImage(store, await tarOf({ kept: 'x' }), { reference: 'kept:1' });
    const loose = await store.createLayer(null, fromTar({ loose: 'y' }));
    expect(store.pruneLayers(60_000)).toEqual([]);
    expect(store.pruneLayers(0)).toEqual([loose.chainId]);
    expect(store.hasLayer(loose.chainId)).toBe(false);
    expect(store.hasLayer(store.get(kept).layers[0])).toBe(true);
  });
});

describe('pruneImages', () => {
  it('removes dangling images and their layers, and with all also named images no container uses', async () => {
    const dangling = await importImage(store, await tarOf({ d: 'dd' }));
    const named = await importImage(store, await tarOf({ n: 'nnn' }), { reference: 'named:1' });
    const danglingLayer = store.get(dangling).layers[0];

    const first = pruneImages(p, store, false);
    expect(first.lines).toEqual([`deleted: ${dangling}`, `deleted: ${danglingLayer}`]);
    expect(first.reclaimed).toBe(2);
    expect(store.list().map((i) => i.id)).toEqual([named]);

    const all = pruneImages(p, store, true);
    expect(all.lines.slice(0, 2)).toEqual(['untagged: named:1', `deleted: ${named}`]);
    expect(store.list()).toEqual([]);
    expect(readdirSync(p.overlay2).filter((n) => n !== 'l')).toEqual([]);
  });
});
