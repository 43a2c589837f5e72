// lib/image/layerdb.ts: a layer published only once complete (staging-<pid>-<id>) and what garbage
// collection removes or keeps; on a store in a temporary directory.

import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { paths, type Paths } from '../paths.js';
import { makeLayerDir, stagingName } from '../storage/overlay2.js';
import { applyLayerTar } from './layer-tar.js';
import { LayerDb } from './layerdb.js';
import { ImageStore } from './store.js';
import { tarOf } from './fake-tar.js';


let root: string;
let p: Paths;
let db: LayerDb;

beforeEach(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'minidock-layerdb-'));
  p = paths({ MINIDOCK_ROOT: root });
  db = new LayerDb(p);
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const hex = () => randomBytes(32).toString('hex');
/** A PID that belonged to a process which has exited (and was reaped). */
const deadPid = () => spawnSync('true').pid!;
const entries = () => readdirSync(p.overlay2).filter((n) => n !== 'l').sort();
const links = () => (existsSync(path.join(p.overlay2, 'l')) ? readdirSync(path.join(p.overlay2, 'l')).sort() : []);

/** A staging directory with a few files, as an unpack killed halfway leaves it. */
function staging(pid: number): string {
  const name = `staging-${pid}-${hex()}`;
  mkdirSync(path.join(p.overlay2, name, 'diff', 'usr'), { recursive: true });
  writeFileSync(path.join(p.overlay2, name, 'diff', 'usr', 'half'), 'x');
  return name;
}

describe('LayerDb.create (staged publish)', () => {
  it('unpacks into staging-<pid>-<id>, and the layer appears under its cache id only when it is complete', async () => {
    let seen: { dir: string; entries: string[]; records: boolean } | null = null;
    const layer = await db.create(null, async (diffDir) => {
      seen = { dir: path.basename(path.dirname(diffDir)), entries: entries(), records: existsSync(path.join(p.layerDb, 'sha256')) };
      return applyLayerTar(await tarOf({ a: '1' }), diffDir, { stage: 3 });
    });
    expect(seen!.dir).toBe(stagingName(layer.cacheId));
    expect(seen!.entries).toEqual([stagingName(layer.cacheId)]); // nothing that looks like a layer
    expect(seen!.records).toBe(false);
    expect(entries()).toEqual([layer.cacheId]);
    expect(links()).toHaveLength(1);
    expect(existsSync(path.join(p.layerDb, 'tmp')) ? readdirSync(path.join(p.layerDb, 'tmp')) : []).toEqual([]);
  });

  it('removes its staging directory and short link when the unpack fails', async () => {
    await expect(db.create(null, async (d) => applyLayerTar(await tarOf({ '../x': '1' }), d))).rejects.toThrow(/refusing/);
    expect(entries()).toEqual([]);
    expect(links()).toEqual([]);
  });
});

describe('LayerDb.ageMs', () => {
  it('is never below 0: a record stamped 0.7 ms after Date.now()\'s whole millisecond is 0 ms old', async () => {
    const layer = await db.create(null, async (diffDir) => applyLayerTar(await tarOf({ a: '1' }), diffDir, { stage: 3 }));
    const now = 1_700_000_000_000;
    const record = path.join(p.layerDb, 'sha256', layer.chainId.slice('sha256:'.length));
    utimesSync(record, (now + 0.7) / 1000, (now + 0.7) / 1000); // as the kernel stamps it, sub-ms
    const clock = vi.spyOn(Date, 'now').mockReturnValue(now);
    try {
      expect(db.ageMs(layer.chainId)).toBe(0);
      clock.mockReturnValue(now + 60_000);
      expect(Math.round(db.ageMs(layer.chainId))).toBe(59_999);
    } finally {
      clock.mockRestore();
    }
  });
});

describe('LayerDb.collectGarbage', () => {
  it('removes the staging directory of a dead process and keeps the one of a live process', async () => {
    const dead = staging(deadPid());
    const live = staging(process.pid);
    expect(db.collectGarbage()).toEqual([dead]);
    expect(entries()).toEqual([live]);
  });

  it('removes a layer directory no record names, with its short link, and keeps image and container layers', async () => {
    const layer = await db.create(null, async (d) => applyLayerTar(await tarOf({ a: '1' }), d, { stage: 3 }));
    const data = db.createMount('c1', layer.chainId);
    const orphan = hex();
    makeLayerDir(p.overlay2, orphan, layer.cacheId); // as a kill between publish and record leaves it
    expect(links()).toHaveLength(4);

    expect(db.collectGarbage()).toEqual([orphan]);
    const mountId = db.mountOf('c1')!.mountId;
    expect(entries()).toEqual([layer.cacheId, mountId, `${mountId}-init`].sort());
    expect(links()).toHaveLength(3);
    expect(existsSync(data.UpperDir)).toBe(true);
  });

  it('removes short links whose layer directory is gone, and stale record write-sets', async () => {
    mkdirSync(path.join(p.overlay2, 'l'), { recursive: true });
    symlinkSync('../' + hex() + '/diff', path.join(p.overlay2, 'l', 'DANGLINGAAAAAAAAAAAAAAAAAA'));
    mkdirSync(path.join(p.layerDb, 'tmp', 'write-set-0123'), { recursive: true });
    db.collectGarbage();
    expect(links()).toEqual([]);
    expect(existsSync(path.join(p.layerDb, 'tmp'))).toBe(false);
  });

  it('leaves an unreferenced layer directory younger than the minimum age alone', () => {
    const young = hex();
    const old = hex();
    makeLayerDir(p.overlay2, young, null);
    makeLayerDir(p.overlay2, old, null);
    const tenMinutesAgo = new Date(Date.now() - 600_000);
    utimesSync(path.join(p.overlay2, old), tenMinutesAgo, tenMinutesAgo);
    expect(db.collectGarbage({ minAgeMs: 60_000 })).toEqual([old]);
    expect(entries()).toEqual([young]);
  });

  it('runs when an image store opens, so the next command after a killed import cleans up', () => {
    const dead = staging(deadPid());
    new ImageStore(p, { collectGarbage: false });
    expect(entries()).toEqual([dead]);
    new ImageStore(p, { collectGarbage: true });
    expect(entries()).toEqual([]);
  });
});
