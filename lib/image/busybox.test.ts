// lib/image/busybox.ts: busybox:latest built from the host's static busybox (skipped without it)
// into a temporary store, the same ID every time; a dynamic binary is refused.

import { existsSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { paths } from '../paths.js';
import { BUSYBOX_BIN, checkStaticElf, ensureBusyboxImage } from './busybox.js';
import { ImageStore } from './store.js';

/** The real build needs the host's static busybox (Debian: apt-get install busybox-static). */
function staticBusybox(): boolean {
  try {
    checkStaticElf(BUSYBOX_BIN, readFileSync(BUSYBOX_BIN));
    return true;
  } catch {
    return false;
  }
}

describe('checkStaticElf', () => {
  it('refuses a file that is not an ELF executable, naming the fix', () => {
    expect(() => checkStaticElf('/x', Buffer.from('#!/bin/sh\n'.padEnd(100)))).toThrow(/not an ELF executable; apt-get install busybox-static/);
  });

  it.skipIf(!existsSync('/bin/ls'))('refuses a dynamically linked program, which the image could not run', () => {
    expect(() => checkStaticElf('/bin/ls', readFileSync('/bin/ls'))).toThrow(/dynamically linked/);
  });
});

describe.skipIf(!staticBusybox())('ensureBusyboxImage (with the host busybox-static)', () => {
  const roots: string[] = [];
  const newRoot = () => {
    const r = mkdtempSync(path.join(os.tmpdir(), 'minidock-busybox-'));
    roots.push(r);
    return paths({ MINIDOCK_ROOT: r });
  };
  let p: ReturnType<typeof paths>;
  beforeEach(() => {
    p = newRoot();
  });
  afterEach(() => {
    for (const r of roots.splice(0)) rmSync(r, { recursive: true, force: true });
  });

  it('builds busybox:latest with sh as its command and one symlink per applet', async () => {
    const id = await ensureBusyboxImage(p, BUSYBOX_BIN);
    const store = new ImageStore(p);
    const img = store.resolve('busybox');
    expect(img.id).toBe(id);
    expect(img.repoTags).toEqual(['busybox:latest']);
    expect(img.config.config?.Cmd).toEqual(['sh']);
    expect(img.config.created).toBe('1970-01-01T00:00:00Z');

    const [diff] = store.layerDirsTopDown(img);
    expect(statSync(path.join(diff, 'bin/busybox')).mode & 0o777).toBe(0o755);
    expect(readlinkSync(path.join(diff, 'bin/sh'))).toBe('busybox');
    expect(readlinkSync(path.join(diff, 'usr/bin/env'))).toBe('../../bin/busybox');
    expect(statSync(path.join(diff, 'usr/bin/env')).ino).toBe(statSync(path.join(diff, 'bin/busybox')).ino);
    expect(statSync(path.join(diff, 'tmp')).mode & 0o7777).toBe(0o1777);
    expect(readFileSync(path.join(diff, 'etc/passwd'), 'utf8')).toMatch(/^root:x:0:0:root:\/root:\/bin\/sh$/m);
    for (const d of ['dev', 'proc', 'sys', 'root', 'home', 'var']) expect(statSync(path.join(diff, d)).isDirectory()).toBe(true);
  });

  it('is a no-op when the image exists, and gives the same ID in another store', async () => {
    const first = await ensureBusyboxImage(p, BUSYBOX_BIN);
    expect(await ensureBusyboxImage(p, BUSYBOX_BIN)).toBe(first);
    expect(new ImageStore(p).list()).toHaveLength(1);
    expect(await ensureBusyboxImage(newRoot(), BUSYBOX_BIN)).toBe(first);
  });

  it('names the package to install when the binary is missing', async () => {
    await expect(ensureBusyboxImage(p, '/nonexistent/busybox')).rejects.toThrow('busybox base image: /nonexistent/busybox not found; install it with: apt-get install busybox-static');
  });
});
