// lib/image/image-files.ts: an image's files read top-down through its layers as overlayfs merges
// them (opaque directories, whiteouts as root), and copied out; on layer directories in a temp dir.

import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { copyOut, mergedChildren, mergedPath } from './image-files.js';

// The opaque xattr comes from a fake Sys (trusted.* xattrs need root); a whiteout is a real
// character device 0/0, made with mknod(1) when the tests run as root.
let dirs: string[] = [];
afterEach(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs = [];
});

function layer(files: Record<string, string | null>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'md-layer-'));
  dirs.push(dir);
  for (const [name, content] of Object.entries(files)) {
    const full = path.join(dir, name);
    if (content === null) mkdirSync(full, { recursive: true });
    else {
      mkdirSync(path.dirname(full), { recursive: true });
      if (content.startsWith('->')) symlinkSync(content.slice(2), full);
      else writeFileSync(full, content);
    }
  }
  return dir;
}

function fakeSys(opaque: string[] = []) {
  return { lgetxattr: (p: string, name: string) => (name === 'trusted.overlay.opaque' && opaque.includes(p) ? Buffer.from('y') : null) };
}

describe('mergedPath and mergedChildren', () => {
  it('takes the topmost layer for a file and merges directories', () => {
    const bottom = layer({ 'etc/a': 'bottom a', 'etc/b': 'b' });
    const top = layer({ 'etc/a': 'top a', 'app/x': 'x' });
    const layers = [top, bottom];
    expect(mergedPath(layers, 'etc/a', fakeSys())).toEqual([path.join(top, 'etc/a')]);
    expect(mergedPath(layers, '/etc', fakeSys())).toEqual([path.join(top, 'etc'), path.join(bottom, 'etc')]);
    expect(mergedChildren(mergedPath(layers, 'etc', fakeSys()), fakeSys())).toEqual(['a', 'b']);
    expect(mergedPath(layers, 'nope', fakeSys())).toEqual([]);
    expect(mergedPath(layers, 'etc/a/below-a-file', fakeSys())).toEqual([]);
    expect(mergedPath(layers, '../etc', fakeSys())).toEqual([]);
  });

  it('stops at an opaque directory and at a file over a directory', () => {
    const bottom = layer({ 'data/old': 'old', 'thing/inside': 'i' });
    const top = layer({ 'data/new': 'new', thing: 'now a file' });
    const sys = fakeSys([path.join(top, 'data')]);
    expect(mergedChildren(mergedPath([top, bottom], 'data', sys), sys)).toEqual(['new']);
    expect(mergedPath([top, bottom], 'thing/inside', sys)).toEqual([]);
  });
});

describe('whiteouts', () => {
  it.skipIf(process.getuid?.() !== 0)('a character device 0/0 deletes the path of the layers below', () => {
    const bottom = layer({ 'etc/gone': 'gone', 'etc/kept': 'kept' });
    const top = layer({ etc: null });
    execFileSync('mknod', [path.join(top, 'etc/gone'), 'c', '0', '0']);
    expect(mergedPath([top, bottom], 'etc/gone', fakeSys())).toEqual([]);
    expect(mergedChildren(mergedPath([top, bottom], 'etc', fakeSys()), fakeSys())).toEqual(['kept']);
  });
});

describe('copyOut', () => {
  it('copies the merged view of a directory with modes and symlinks, and says when the path is absent', () => {
    const bottom = layer({ 'out/keep': 'keep', 'out/sub/deep': 'deep' });
    const top = layer({ 'out/bin': '#!/bin/sh\n', 'out/link': '->bin' });
    const dest = path.join(mkdtempSync(path.join(tmpdir(), 'md-out-')), 'out');
    dirs.push(path.dirname(dest));
    chmodSync(path.join(top, 'out/bin'), 0o755);
    expect(copyOut([top, bottom], '/out', dest, fakeSys())).toBe(true);
    expect(readFileSync(path.join(dest, 'keep'), 'utf8')).toBe('keep');
    expect(readFileSync(path.join(dest, 'sub/deep'), 'utf8')).toBe('deep');
    expect(statSync(path.join(dest, 'bin')).mode & 0o777).toBe(0o755);
    expect(readlinkSync(path.join(dest, 'link'))).toBe('bin');
    expect(copyOut([top, bottom], '/missing', `${dest}2`, fakeSys())).toBe(false);
  });
});
