// lib/storage/index.ts: overlay mount options (short lowerdirs, one page at most) and mounting and
// unmounting a container's rootfs, with a RecordingSys on layers in a temporary directory.

import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { paths, type Paths } from '../paths.js';
import { RecordingSys } from '../sys/fake.js';
import { mountRootfs, unmountRootfs, type GraphDriver } from './index.js';
import { createContainerLayers, linkOf, makeLayerDir, MOUNT_DATA_MAX, overlayMountData } from './overlay2.js';

/** The fake Sys, also noting the working directory each mount was made from. */
class CwdSys extends RecordingSys {
  cwds: string[] = [];
  override mount(source: string, target: string, fstype: string, flags: number, data = ''): void {
    this.cwds.push(process.cwd());
    super.mount(source, target, fstype, flags, data);
  }
}

let root: string;
let p: Paths;
beforeEach(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'minidock-storage-'));
  p = paths({ MINIDOCK_ROOT: root });
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const hex = () => randomBytes(32).toString('hex');

describe('overlayMountData', () => {
  it('lists the lower layers highest first, then the upper and work directories, relative to overlay2/', () => {
    expect(overlayMountData(['l/INIT', 'l/TOP', 'l/BOTTOM'], 'abc')).toBe('index=off,lowerdir=l/INIT:l/TOP:l/BOTTOM,upperdir=abc/diff,workdir=abc/work');
  });

  it('refuses options longer than one page', () => {
    const lowers = Array.from({ length: 200 }, () => `l/${'A'.repeat(26)}`);
    expect(() => overlayMountData(lowers, 'abc')).toThrow(new RegExp(`more than one page \\(${MOUNT_DATA_MAX}\\)`));
  });
});

describe('mountRootfs / unmountRootfs', () => {
  it('mounts the overlay on merged/ from overlay2/ with short lowerdirs, returns merged/ and restores the cwd', () => {
    const home = p.overlay2;
    const image = hex();
    makeLayerDir(home, image, null);
    const mountId = hex();
    const driver: GraphDriver = { Name: 'overlay2', Data: createContainerLayers(home, mountId, image) };
    const sys = new CwdSys();
    const cwd = process.cwd();

    expect(mountRootfs(p, driver, sys)).toBe(path.join(home, mountId, 'merged'));
    const data = `index=off,lowerdir=l/${linkOf(home, `${mountId}-init`)}:l/${linkOf(home, image)},upperdir=${mountId}/diff,workdir=${mountId}/work`;
    expect(sys.calls).toEqual([{ op: 'mount', args: ['overlay', path.join(home, mountId, 'merged'), 'overlay', 0, data] }]);
    expect(sys.cwds).toEqual([home]);
    expect(process.cwd()).toBe(cwd);
  });

  it('restores the cwd when the mount fails', () => {
    const mountId = hex();
    const driver: GraphDriver = { Name: 'overlay2', Data: createContainerLayers(p.overlay2, mountId, null) };
    const sys = new RecordingSys();
    sys.failures.mount = 'EINVAL';
    const cwd = process.cwd();
    expect(() => mountRootfs(p, driver, sys)).toThrow(/EINVAL/);
    expect(process.cwd()).toBe(cwd);
  });

  it('returns the vfs directory as it is, and unmounts nothing that is not mounted', () => {
    const sys = new RecordingSys();
    const vfs: GraphDriver = { Name: 'vfs', Data: { Dir: '/x/vfs/dir/c1', MergedDir: '/x/vfs/dir/c1' } };
    expect(mountRootfs(p, vfs, sys)).toBe('/x/vfs/dir/c1');
    unmountRootfs(p, vfs, sys);
    const mountId = hex();
    unmountRootfs(p, { Name: 'overlay2', Data: createContainerLayers(p.overlay2, mountId, null) }, sys);
    expect(sys.calls).toEqual([]);
  });

  it('trusts only the mount id of the record, never its absolute paths', () => {
    const sys = new RecordingSys();
    expect(() => mountRootfs(p, { Name: 'overlay2', Data: { MergedDir: '/etc/merged' } }, sys)).toThrow(/invalid overlay2 mount id/);
    expect(sys.calls).toEqual([]);
  });
});
