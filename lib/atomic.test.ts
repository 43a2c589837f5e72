// lib/atomic.ts: writes by rename(2) leave the old file whole and no temporary file behind, even
// when the rename fails; in a temporary directory.

import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeFileAtomic, writeJsonAtomic } from './atomic.js';

let tmp: string;
beforeEach(() => (tmp = mkdtempSync(path.join(tmpdir(), 'atomic-'))));
afterEach(() => {
  chmodSync(tmp, 0o755);
  rmSync(tmp, { recursive: true, force: true });
});

describe('writeJsonAtomic', () => {
  it('writes the JSON and leaves no temporary file behind', () => {
    const file = path.join(tmp, 'config.v2.json');
    writeJsonAtomic(file, { a: 1 });
    writeJsonAtomic(file, { a: 2 });
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ a: 2 });
    expect(readdirSync(tmp)).toEqual(['config.v2.json']);
  });

  it('leaves the old content whole and no temporary file when the rename fails', () => {
    writeJsonAtomic(path.join(tmp, 'keep.json'), { version: 'old' });
    const dir = path.join(tmp, 'state'); // a non-empty directory in the target's place: rename(2) fails
    mkdirSync(path.join(dir, 'inside'), { recursive: true });
    expect(() => writeJsonAtomic(dir, { version: 'new' })).toThrow();
    expect(JSON.parse(readFileSync(path.join(tmp, 'keep.json'), 'utf8'))).toEqual({ version: 'old' });
    expect(readdirSync(tmp).sort()).toEqual(['keep.json', 'state']);
  });
});

describe('writeFileAtomic', () => {
  it('gives the file the mode asked for', () => {
    const file = path.join(tmp, 'hosts');
    writeFileAtomic(file, 'x', 0o600);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });
});
