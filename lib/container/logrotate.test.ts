// lib/container/logrotate.ts: --log-opt max-size/max-file read and refused as docker does, and the
// rotation itself (when, which files move, what is dropped) on log files in a temporary directory.

import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { logConfigFrom, logFiles, logWriter, needsRotation, parseHumanSize, rotate, rotationOf } from './logrotate.js';
import { followLog, formatEntry, readLog, readSince } from './logs.js';

describe('max-size, as docker reads it (go-units FromHumanSize: decimal)', () => {
  it('takes bytes and k, m, g with or without b / ib, any case', () => {
    expect(parseHumanSize('512')).toBe(512);
    expect(parseHumanSize('10k')).toBe(10_000);
    expect(parseHumanSize('10KB')).toBe(10_000);
    expect(parseHumanSize('10kib')).toBe(10_000);
    expect(parseHumanSize('10m')).toBe(10_000_000);
    expect(parseHumanSize('1.5m')).toBe(1_500_000);
    expect(parseHumanSize('1g')).toBe(1_000_000_000);
  });
  it('refuses anything else with docker’s words', () => {
    for (const bad of ['', 'abc', '10x', '-1k', '1.2.3m', 'k']) expect(() => parseHumanSize(bad)).toThrow(`invalid size: '${bad}'`);
  });
});

describe('--log-opt', () => {
  it('is kept as docker’s LogConfig, strings as given', () => {
    expect(logConfigFrom({ 'max-size': '10k', 'max-file': '3' })).toEqual({ Type: 'json-file', Config: { 'max-size': '10k', 'max-file': '3' } });
    expect(logConfigFrom({})).toEqual({ Type: 'json-file', Config: {} });
  });
  it('means no limit and one file by default', () => {
    expect(rotationOf({})).toEqual({ maxSize: null, maxFile: 1 });
    expect(rotationOf({ 'max-size': '10m', 'max-file': '5' })).toEqual({ maxSize: 10_000_000, maxFile: 5 });
  });
  it('is refused as docker refuses it', () => {
    expect(() => logConfigFrom({ 'max-size': '0' })).toThrow('max-size must be a positive number');
    expect(() => logConfigFrom({ 'max-file': '0' })).toThrow('max-file cannot be less than 1');
    expect(() => logConfigFrom({ 'max-file': 'two' })).toThrow('strconv.Atoi: parsing "two": invalid syntax');
    expect(() => logConfigFrom({ 'max-size': '' })).toThrow("invalid size: ''");
    expect(() => logConfigFrom({ colour: 'blue' })).toThrow("unknown log opt 'colour' for json-file log driver");
    expect(() => logConfigFrom({ compress: 'true' })).toThrow(/not supported/);
  });
});

describe('the rotation decision', () => {
  it('rotates before a write once the live file has reached max-size, never without max-size', () => {
    const r = { maxSize: 100, maxFile: 2 };
    expect(needsRotation(99, r)).toBe(false);
    expect(needsRotation(100, r)).toBe(true);
    expect(needsRotation(250, r)).toBe(true);
    expect(needsRotation(10 ** 12, { maxSize: null, maxFile: 1 })).toBe(false);
  });
});

describe('rotating the files', () => {
  let dir = '';
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const setUp = () => {
    dir = mkdtempSync(path.join(tmpdir(), 'logrotate-'));
    return path.join(dir, 'x-json.log');
  };
  /** A log of 300-byte files (about four entries each) with entries 0 … first−1 written; `writeUpTo(n)` goes on to n−1. */
  const rotatingLog = (maxFile: number, first: number) => {
    const file = setUp();
    const write = logWriter(file, { maxSize: 300, maxFile });
    let next = 0;
    const writeUpTo = (n: number) => {
      for (; next < n; next++) write(formatEntry(`${next}\n`, 'stdout'));
    };
    writeUpTo(first);
    return { file, writeUpTo };
  };
  const numbers = (entries: { log: string }[]) => entries.map((e) => Number(e.log));
  const from = (first: number, n: number) => Array.from({ length: n }, (_, i) => i + first);

  it('shifts .1 → .2, live → .1, drops the oldest, and starts an empty live file', () => {
    const file = setUp();
    writeFileSync(file, 'c');
    writeFileSync(`${file}.1`, 'b');
    writeFileSync(`${file}.2`, 'a');
    rotate(file, 3);
    expect([readFileSync(file, 'utf8'), readFileSync(`${file}.1`, 'utf8'), readFileSync(`${file}.2`, 'utf8')]).toEqual(['', 'c', 'b']);
    expect(existsSync(`${file}.3`)).toBe(false);
  });

  it('with max-file=1 empties the live file and keeps nothing', () => {
    const file = setUp();
    writeFileSync(file, 'old');
    rotate(file, 1);
    expect(readFileSync(file, 'utf8')).toBe('');
    expect(existsSync(`${file}.1`)).toBe(false);
  });

  it('keeps at most max-file files, each at most max-size plus one entry, the newest entries in order', () => {
    const file = setUp();
    const write = logWriter(file, { maxSize: 1000, maxFile: 3 });
    const entries = Array.from({ length: 200 }, (_, i) => formatEntry(`line ${i}\n`, 'stdout'));
    entries.forEach(write);
    const files = logFiles(file);
    expect(files).toEqual([`${file}.2`, `${file}.1`, file]);
    const longest = Math.max(...entries.map((e) => e.length));
    for (const f of files) expect(statSync(f).size).toBeLessThan(1000 + longest);
    const kept = readLog(file).entries.map((e) => Number(e.log.split(' ')[1]));
    expect(kept[kept.length - 1]).toBe(199);
    expect(kept).toEqual(Array.from({ length: kept.length }, (_, i) => 200 - kept.length + i));
  });

  it('counts from the size already there (a restarted container appends to its log)', () => {
    const file = setUp();
    writeFileSync(file, 'x'.repeat(1000));
    logWriter(file, { maxSize: 1000, maxFile: 2 })('next\n');
    expect(readFileSync(file, 'utf8')).toBe('next\n');
    expect(statSync(`${file}.1`).size).toBe(1000);
  });

  it('is followed across: what was left in the renamed file, then the files after it, in order', () => {
    const { file, writeUpTo } = rotatingLog(4, 3);
    const start = readLog(file);
    expect(numbers(start.entries)).toEqual([0, 1, 2]);
    writeUpTo(20); // two rotations and more
    expect(logFiles(file).length).toBe(4);
    const next = readSince(file, start.position);
    expect(numbers(next.entries)).toEqual(from(3, 17));
    expect(readSince(file, next.position).entries).toEqual([]);
  });

  it('loses the rest of a file dropped by the rotations since, unless a kept descriptor still opens it', () => {
    const { file, writeUpTo } = rotatingLog(2, 2);
    const start = readLog(file);
    const fd = openSync(file, 'r'); // what followLog holds: the file it is in
    try {
      writeUpTo(14); // more than two rotations: our file is unlinked
      expect(logFiles(file).map((f) => statSync(f).ino)).not.toContain(start.position.ino);
      expect(numbers(readSince(file, start.position).entries)[0]).toBeGreaterThan(2);
      expect(numbers(readSince(file, start.position, `/proc/self/fd/${fd}`).entries)).toEqual(from(2, 12));
    } finally {
      closeSync(fd);
    }
  });

  it('is followed by logs -f without a gap when the shim rotates max-file times between two polls', async () => {
    const { file, writeUpTo } = rotatingLog(2, 2);
    const seen: { log: string }[] = [];
    let polls = 0;
    await followLog(file, readLog(file).position, () => {
      polls++;
      if (polls === 1) writeUpTo(14); // between the first look and the first read
      return polls < 2;
    }, (e) => seen.push(e));
    expect(numbers(seen)).toEqual(from(2, 12));
  });
});
