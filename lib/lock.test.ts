// withLock: a cross-process lock made of an O_EXCL file holding its owner's PID, in a temp dir.

import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { withLock } from './lock.js';

let dir: string;

beforeEach(() => {
  dir = path.join(mkdtempSync(path.join(tmpdir(), 'minidock-lock-test-')), 'locks'); // made by withLock
});

afterEach(() => {
  rmSync(path.dirname(dir), { recursive: true, force: true });
});

describe('withLock', () => {
  it('holds <name>.lock with our PID while fn runs, returns fn’s value, and removes the file after', () => {
    const file = path.join(dir, 'names.lock');
    const result = withLock('names', () => {
      expect(readFileSync(file, 'utf8')).toBe(String(process.pid));
      return 42;
    }, dir);
    expect(result).toBe(42);
    expect(existsSync(file)).toBe(false);
  });

  it('releases the lock when fn throws, and lets the error through', () => {
    expect(() => withLock('names', () => {
      throw new Error('boom');
    }, dir)).toThrow('boom');
    expect(existsSync(path.join(dir, 'names.lock'))).toBe(false);
  });

  it('keeps locks of different names apart', () => {
    const inner = withLock('names', () => withLock('ipam', () => 'both held', dir), dir);
    expect(inner).toBe('both held');
  });

  it('breaks a stale lock whose owner is dead (killed halfway)', () => {
    withLock('setup', () => undefined, dir); // makes the directory
    writeFileSync(path.join(dir, 'names.lock'), String(2 ** 22 + 1)); // no process can have this PID
    expect(withLock('names', () => 'taken', dir)).toBe('taken');
  });

  it('waits for a live owner to let go', () => {
    withLock('setup', () => undefined, dir);
    const file = path.join(dir, 'names.lock');
    // a live process (the shell below) owns the lock for ~300 ms, then removes it
    const holder = spawn('sh', ['-c', `echo $$ > ${file}; sleep 0.3; rm -f ${file}`], { stdio: 'ignore' });
    const until = Date.now() + 2000;
    while (!existsSync(file) && Date.now() < until) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
    const start = Date.now();
    const result = withLock('names', () => readFileSync(file, 'utf8'), dir);
    expect(result).toBe(String(process.pid));
    expect(Date.now() - start).toBeGreaterThanOrEqual(150);
    holder.kill();
  });
});
