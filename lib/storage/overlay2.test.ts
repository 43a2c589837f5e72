// lib/storage/overlay2.ts: a container's -init and writable layers laid out as docker's overlay2
// driver does, short links, the 125-layer limit and removal; in a temporary directory.

import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyLayerTar } from '../image/layer-tar.js';
import { ImageStore, type Image } from '../image/store.js';
import { paths, type Paths } from '../paths.js';
import { INIT_LAYER_ENTRIES } from './initlayer.js';
import { graphDriverData, lowerOf, makeLayerDir, MAX_IMAGE_LAYERS, MOUNT_DATA_MAX, overlayMountData } from './overlay2.js';
import { tarOf } from '../image/fake-tar.js';


let root: string;
let p: Paths;
let store: ImageStore;

beforeEach(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'minidock-overlay2-'));
  p = paths({ MINIDOCK_ROOT: root });
  store = new ImageStore(p);
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

/** An image of `n` one-file layers (no config needed: createContainerLayers reads the layers). */
async function imageOf(n: number): Promise<Image> {
  let parent = null;
  const layers = [];
  for (let i = 0; i < n; i++) {
    const layer = await store.createLayer(parent, async (d) => applyLayerTar(await tarOf({ [`f${i}`]: String(i) }), d, { stage: 3 }));
    layers.push(layer.chainId);
    parent = layer.chainId;
  }
  return { id: 'sha256:0', config: { architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }, repoTags: [], layers } as unknown as Image;
}

describe('overlay2 container layers', () => {
  it('puts a -init layer on the image and the writable layer on the -init layer, as Docker does', async () => {
    const image = await imageOf(2);
    const data = store.createRootfs('c1', image, 3).Data;
    const mountId = readFileSync(path.join(p.layerDb, 'mounts/c1/mount-id'), 'utf8');
    expect(mountId).toMatch(/^[0-9a-f]{64}$/);
    expect(readFileSync(path.join(p.layerDb, 'mounts/c1/init-id'), 'utf8')).toBe(`${mountId}-init`);
    expect(readFileSync(path.join(p.layerDb, 'mounts/c1/parent'), 'utf8')).toBe(image.layers[1]);

    const home = p.overlay2;
    const link = (id: string) => readFileSync(path.join(home, id, 'link'), 'utf8');
    const [top, bottom] = [store.layer(image.layers[1]).cacheId, store.layer(image.layers[0]).cacheId];
    expect(lowerOf(home, `${mountId}-init`)).toEqual([`l/${link(top)}`, `l/${link(bottom)}`]);
    expect(lowerOf(home, mountId)).toEqual([`l/${link(`${mountId}-init`)}`, `l/${link(top)}`, `l/${link(bottom)}`]);
    expect(readdirSync(path.join(home, mountId)).sort()).toEqual(['diff', 'link', 'lower', 'merged', 'work']);
    expect(readdirSync(path.join(home, `${mountId}-init`)).sort()).toEqual(['committed', 'diff', 'link', 'lower', 'work']);
    expect(existsSync(path.join(home, top, 'committed'))).toBe(true);
    expect(readlinkSync(path.join(home, 'l', link(mountId)))).toBe(`../${mountId}/diff`);

    expect(data).toEqual({
      LowerDir: [`${home}/${mountId}-init/diff`, `${home}/${top}/diff`, `${home}/${bottom}/diff`].join(':'),
      MergedDir: `${home}/${mountId}/merged`,
      UpperDir: `${home}/${mountId}/diff`,
      WorkDir: `${home}/${mountId}/work`,
    });
  });

  it("fills the -init layer with Docker's placeholders, all empty", async () => {
    store.createRootfs('c1', await imageOf(1), 3);
    const mountId = readFileSync(path.join(p.layerDb, 'mounts/c1/mount-id'), 'utf8');
    const diff = path.join(p.overlay2, `${mountId}-init`, 'diff');
    for (const [rel, kind] of INIT_LAYER_ENTRIES) {
      if (kind === 'dir') expect(statSync(path.join(diff, rel)).isDirectory()).toBe(true);
      else if (kind === 'file') expect(statSync(path.join(diff, rel)).size).toBe(0);
      else expect(readlinkSync(path.join(diff, rel))).toBe(kind.symlink);
    }
  });

  it('builds mount options from short links, relative to overlay2/, upper layers first', async () => {
    store.createRootfs('c1', await imageOf(1), 3);
    const mountId = readFileSync(path.join(p.layerDb, 'mounts/c1/mount-id'), 'utf8');
    const m = { data: overlayMountData(lowerOf(p.overlay2, mountId), mountId) };
    expect(m.data).toBe(`index=off,lowerdir=${lowerOf(p.overlay2, mountId).join(':')},upperdir=${mountId}/diff,workdir=${mountId}/work`);
  });

  it('fits a 125-layer image (+ -init) in one page of mount options, where absolute paths would not', async () => {
    const image = await imageOf(MAX_IMAGE_LAYERS);
    const data = store.createRootfs('c1', image, 3).Data;
    const mountId = readFileSync(path.join(p.layerDb, 'mounts/c1/mount-id'), 'utf8');
    const m = { data: overlayMountData(lowerOf(p.overlay2, mountId), mountId) };
    expect(lowerOf(p.overlay2, mountId)).toHaveLength(126);
    expect(m.data.length).toBeLessThanOrEqual(MOUNT_DATA_MAX);
    expect(`lowerdir=${data.LowerDir}`.length).toBeGreaterThan(MOUNT_DATA_MAX);
  }, 60_000);

  it('refuses an image with more than 125 layers, and leaves nothing behind', async () => {
    const image = await imageOf(MAX_IMAGE_LAYERS + 1);
    const before = readdirSync(p.overlay2).length;
    expect(() => store.createRootfs('c1', image, 3).Data).toThrow(/max depth exceeded/);
    expect(readdirSync(p.overlay2)).toHaveLength(before);
  }, 60_000);

  it('removes both layers, their short links and the layerdb record', async () => {
    const image = await imageOf(1);
    const before = { dirs: readdirSync(p.overlay2).sort(), links: readdirSync(path.join(p.overlay2, 'l')).sort() };
    store.createRootfs('c1', image, 3);
    store.layers.removeMount('c1');
    expect(readdirSync(p.overlay2).sort()).toEqual(before.dirs);
    expect(readdirSync(path.join(p.overlay2, 'l')).sort()).toEqual(before.links);
    expect(existsSync(path.join(p.layerDb, 'mounts/c1'))).toBe(false);
  });

  it('refuses a layer deeper than 128 below', () => {
    const home = p.overlay2;
    makeLayerDir(home, 'L0', null);
    for (let i = 1; i <= 128; i++) makeLayerDir(home, `L${i}`, `L${i - 1}`);
    expect(() => makeLayerDir(home, 'L129', 'L128')).toThrow(/max depth exceeded/);
    expect(graphDriverData(home, 'L2').LowerDir).toBe(`${home}/L1/diff:${home}/L0/diff`);
  });
});
