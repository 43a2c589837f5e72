// lib/container/logs.ts: json-file entries and their RFC3339Nano times, --tail and --since, and
// reading a container's log back; on literal entries and log files in a temporary directory.

import { mkdtempSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { followLog, formatEntry, formatTime, parseEntry, parseSince, parseTail, parseTime, pipeToLog, readEntries, readLog, selectEntries, type LogEntry } from './logs.js';

const T0 = 1_764_547_200_000_000_000n; // 2025-12-01T00:00:00Z in ns

describe('log times', () => {
  it('are written as Go’s RFC3339Nano: nanoseconds, trailing zeros dropped', () => {
    expect(formatTime(T0 + 123_456_789n)).toBe('2025-12-01T00:00:00.123456789Z');
    expect(formatTime(T0 + 500_000_000n)).toBe('2025-12-01T00:00:00.5Z');
    expect(formatTime(T0)).toBe('2025-12-01T00:00:00Z');
  });

  it('are shown by -t with all nine digits', () => {
    expect(formatTime(T0 + 500_000_000n, true)).toBe('2025-12-01T00:00:00.500000000Z');
  });

  it('parse back to the same nanosecond', () => {
    expect(parseTime('2025-12-01T00:00:00.123456789Z')).toBe(T0 + 123_456_789n);
    expect(parseTime('2025-12-01T01:00:00.5+01:00')).toBe(T0 + 500_000_000n);
  });
});

describe('log entries', () => {
  it('are one JSON object per line with docker’s keys in docker’s order', () => {
    const line = formatEntry('hi\n', 'stderr', T0 + 1n);
    expect(line).toBe('{"log":"hi\\n","stream":"stderr","time":"2025-12-01T00:00:00.000000001Z"}\n');
    expect(parseEntry(line.trim())).toEqual({ log: 'hi\n', stream: 'stderr', time: '2025-12-01T00:00:00.000000001Z' });
  });

  it('refuse a line that is not a json-file entry', () => {
    expect(() => parseEntry('{"log":"x","stream":"stdin","time":"t"}')).toThrow(/not a json-file entry/);
  });
});

describe('selectEntries', () => {
  const at = (s: number, log: string): LogEntry => ({ log, stream: 'stdout', time: formatTime(T0 + BigInt(s) * 1_000_000_000n) });
  const entries = [at(0, 'a'), at(10, 'b'), at(20, 'c'), at(30, 'd')];

  it('keeps the last N with --tail, all with "all", none with 0', () => {
    expect(selectEntries(entries, { tail: parseTail('2') }).map((e) => e.log)).toEqual(['c', 'd']);
    expect(selectEntries(entries, { tail: parseTail('all') })).toHaveLength(4);
    expect(selectEntries(entries, { tail: parseTail('0') })).toHaveLength(0);
  });

  it('applies --since and --until before --tail', () => {
    const f = { since: T0 + 5_000_000_000n, until: T0 + 25_000_000_000n, tail: 1 };
    expect(selectEntries(entries, f).map((e) => e.log)).toEqual(['c']);
  });

  it('refuses a --tail that is not a number', () => {
    expect(() => parseTail('ten')).toThrow(/invalid value for "tail"/);
  });
});

describe('parseSince', () => {
  const now = T0 + 3_600_000_000_000n;
  it('reads durations before now, Unix times and RFC 3339', () => {
    expect(parseSince('1h', now)).toBe(T0);
    expect(parseSince('59m60s', now)).toBe(T0);
    expect(parseSince('1764547200.25', now)).toBe(T0 + 250_000_000n);
    expect(parseSince('2025-12-01T00:00:00Z', now)).toBe(T0);
  });
  it('refuses anything else', () => {
    expect(() => parseSince('yesterday', now)).toThrow(/invalid time/);
  });
});

describe('the log file', () => {
  let dir = '';
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('gets one entry per line from a stream, the partial last line at the end', async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'logs-'));
    const file = path.join(dir, 'x-json.log');
    const s = new PassThrough();
    const done = pipeToLog(s, (entry) => appendFileSync(file, entry), 'stdout');
    s.write('one\ntw');
    s.write('o\nthree');
    s.end();
    await done;
    expect(readEntries(file).entries.map((e) => e.log)).toEqual(['one\n', 'two\n', 'three']);
  });

  it('is read only up to its last complete line, and on from there', () => {
    dir = mkdtempSync(path.join(tmpdir(), 'logs-'));
    const file = path.join(dir, 'x-json.log');
    const whole = formatEntry('a\n', 'stdout', T0);
    writeFileSync(file, whole + whole.slice(0, 10));
    const first = readEntries(file);
    expect(first.entries).toHaveLength(1);
    expect(first.offset).toBe(Buffer.byteLength(whole));
    appendFileSync(file, whole.slice(10));
    expect(readEntries(file, first.offset).entries.map((e) => e.log)).toEqual(['a\n']);
  });

  it('is followed until the container exits, and read once more after', async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'logs-'));
    const file = path.join(dir, 'x-json.log');
    writeFileSync(file, '');
    const seen: string[] = [];
    let polls = 0;
    await followLog(file, readLog(file).position, () => {
      polls++;
      if (polls === 2) appendFileSync(file, formatEntry('last\n', 'stdout', T0));
      return polls < 2;
    }, (e) => seen.push(e.log));
    expect(seen).toEqual(['last\n']);
  });
});
