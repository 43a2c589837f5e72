// withLock: a cross-process lock made of a file created by link(2), holding its owner's PID,
// start time and a tag, in a temp dir.

import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { breakStale, readHolder, withLock } from './lock.js';
import { processStartTime } from './proc.js';

let dir: string;

beforeEach(() => {
  dir = path.join(mkdtempSync(path.join(tmpdir(), 'minidock-lock-test-')), 'locks'); // made by withLock
});

afterEach(() => {
  rmSync(path.dirname(dir), { recursive: true, force: true });
});

describe('withLock', () => {
  it('holds <name>.lock with our PID and start time while fn runs, returns fn’s value, and removes the file after', () => {
    const file = path.join(dir, 'names.lock');
    const result = withLock('names', () => {
      expect(readFileSync(file, 'utf8')).toMatch(new RegExp(`^${process.pid} ${processStartTime(process.pid)} [0-9a-f]{12}\n$`));
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
    // A live process (the shell below) owns the lock for ~300 ms, then removes it. It writes the
    // file whole, as withLock does (a rename here, link(2) there): with `echo $$ > file` the
    // waiter could read it empty, judge the holder dead and break the lock (CI saw it once).
    const holder = spawn('sh', ['-c', `echo $$ > ${file}.new; mv ${file}.new ${file}; sleep 0.3; rm -f ${file}`], { stdio: 'ignore' });
    const until = Date.now() + 2000;
    while (!existsSync(file) && Date.now() < until) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
    const start = Date.now();
    const result = withLock('names', () => readHolder(file)?.pid, dir);
    expect(result).toBe(process.pid);
    expect(Date.now() - start).toBeGreaterThanOrEqual(150);
    holder.kill();
  });

  it('breaks a lock whose PID now belongs to another process (the start time differs)', () => {
    withLock('setup', () => undefined, dir);
    // our parent is alive, but it did not start at tick 1 after boot: that holder is long gone
    writeFileSync(path.join(dir, 'names.lock'), `${process.ppid} 1 0123456789ab\n`);
    expect(withLock('names', () => 'taken', dir)).toBe('taken');
  });

  it('waits, without a time limit, for a live holder with its start time, and takes the lock once it dies', () => {
    withLock('setup', () => undefined, dir);
    const file = path.join(dir, 'names.lock');
    const holder = spawn('sleep', ['30'], { stdio: 'ignore' });
    let start: string | null = null;
    for (let i = 0; i < 200 && !start; i++) {
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
      start = processStartTime(holder.pid!);
    }
    writeFileSync(file, `${holder.pid} ${start} feedfacecafe\n`);
    // a child shell kills the holder after 400 ms; until then we must wait
    spawn('sh', ['-c', `sleep 0.4; kill -9 ${holder.pid}`], { stdio: 'ignore' });
    const t0 = Date.now();
    expect(withLock('names', () => readHolder(file)?.pid, dir)).toBe(process.pid);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(300);
  });

  it('a late breaker of a stale lock leaves alone the fresh lock taken after the first breaker', () => {
    withLock('setup', () => undefined, dir);
    const file = path.join(dir, 'names.lock');
    const stale = { pid: 2 ** 22 + 1, start: '7', tag: 'dead00000000' };
    writeFileSync(file, `${stale.pid} ${stale.start} ${stale.tag}\n`);
    // waiters A and B both read the stale holder; A breaks it and takes the lock; then B breaks
    const a = { pid: 11, start: '1', tag: 'aaaaaaaaaaaa' };
    const b = { pid: 12, start: '1', tag: 'bbbbbbbbbbbb' };
    breakStale(file, stale, a);
    expect(existsSync(file)).toBe(false);
    withLock('names', () => {
      const fresh = readHolder(file);
      breakStale(file, stale, b);
      expect(readHolder(file)).toEqual(fresh);
    }, dir);
    expect(readdirSync(dir).filter((f) => f.includes('names'))).toEqual([]); // no claim or temp file left
  });

  it('does not break a stale lock while another live breaker holds the claim to break it', () => {
    withLock('setup', () => undefined, dir);
    const file = path.join(dir, 'names.lock');
    const stale = { pid: 2 ** 22 + 1, start: '7', tag: 'dead00000000' };
    writeFileSync(file, `${stale.pid} ${stale.start} ${stale.tag}\n`);
    writeFileSync(`${file}.${stale.tag}.break`, `${process.ppid} ${processStartTime(process.ppid)} cccccccccccc\n`);
    breakStale(file, stale, { pid: 12, start: '1', tag: 'bbbbbbbbbbbb' });
    expect(readHolder(file)).toEqual(stale);
  });

  it('refuses to wait for a lock this very process holds (it would wait forever)', () => {
    expect(() => withLock('names', () => withLock('names', () => 'twice', dir), dir)).toThrow(/already held by this process/);
  });
});
