// The json-file log driver: what a detached container writes to stdout and stderr, kept in
// containers/<id>/<id>-json.log, one JSON object per line, as Docker's default log driver does:
//   {"log":"hello\n","stream":"stdout","time":"2026-11-23T10:00:00.123456789Z"}
// The shim writes it (pipeToLog); `minidock logs` reads it back (readLog, followLog).
// Stage 7 notes, "logs on disk".

import { closeSync, existsSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { EngineError } from '../errors.js';
import { logFiles } from './logrotate.js';

export type StreamName = 'stdout' | 'stderr';

/** One line of the log, as the file holds it. */
export interface LogEntry {
  log: string;
  stream: StreamName;
  time: string;
}

export function logPath(containerDir: string, id: string): string {
  return `${containerDir}/${id}-json.log`;
}

// #region log-time
/**
 * The wall clock in nanoseconds. Date.now() has milliseconds only; process.hrtime counts
 * nanoseconds from an arbitrary origin, so the origin is pinned to the wall clock once.
 */
const ORIGIN_NS = BigInt(Date.now()) * 1_000_000n - process.hrtime.bigint();

export function nowNs(): bigint {
  return ORIGIN_NS + process.hrtime.bigint();
}

/**
 * A time as Go's RFC3339Nano writes it (docker's json-file): nanoseconds, trailing zeros dropped.
 * `fixed`: always nine digits, as `docker logs -t` shows it (Go's RFC3339NanoFixed).
 */
export function formatTime(ns: bigint, fixed = false): string {
  const seconds = new Date(Number(ns / 1_000_000_000n) * 1000).toISOString().slice(0, 19);
  let frac = (ns % 1_000_000_000n).toString().padStart(9, '0');
  if (!fixed) frac = frac.replace(/0+$/, '');
  return `${seconds}${frac ? '.' + frac : ''}Z`;
}

/** An RFC 3339 time with up to nine fractional digits, in nanoseconds since the epoch. */
export function parseTime(text: string): bigint {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/.exec(text);
  if (!m) throw new EngineError(`invalid time ${JSON.stringify(text)}: want RFC 3339, e.g. 2026-12-01T10:00:00.5Z`);
  const seconds = Date.parse(m[1] + m[3]);
  if (Number.isNaN(seconds)) throw new EngineError(`invalid time ${JSON.stringify(text)}`);
  return BigInt(seconds) * 1_000_000n + BigInt((m[2] ?? '').padEnd(9, '0'));
}
// #endregion

// #region log-write
export function formatEntry(log: string, stream: StreamName, ns: bigint = nowNs()): string {
  return JSON.stringify({ log, stream, time: formatTime(ns) }) + '\n';
}

/**
 * Copy a stream into the log, one entry per line (a partial last line is flushed at the end).
 * `writeEntry` appends to the live file and rotates it (logrotate.ts logWriter).
 */
export function pipeToLog(stream: Readable, writeEntry: (entry: string) => void, name: StreamName): Promise<void> {
  let pending = '';
  const write = (text: string) => writeEntry(formatEntry(text, name));
  return new Promise((resolve) => {
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      const lines = (pending + chunk).split(/(?<=\n)/);
      pending = lines[lines.length - 1].endsWith('\n') ? '' : lines.pop()!;
      for (const line of lines) write(line);
    });
    stream.on('end', () => {
      if (pending) write(pending);
      resolve();
    });
    stream.on('error', () => resolve());
  });
}
// #endregion

// #region log-select
export function parseEntry(line: string): LogEntry {
  const e = JSON.parse(line) as LogEntry;
  if (typeof e.log !== 'string' || (e.stream !== 'stdout' && e.stream !== 'stderr') || typeof e.time !== 'string') {
    throw new EngineError(`log: not a json-file entry: ${line.slice(0, 80)}`);
  }
  return e;
}

export interface LogFilter {
  /** --tail N: only the last N entries (undefined: all) */
  tail?: number;
  /** --since / --until, in nanoseconds since the epoch */
  since?: bigint;
  until?: bigint;
}

/** Which entries `logs` shows: the time window first, then the last N of them. */
export function selectEntries(entries: LogEntry[], f: LogFilter): LogEntry[] {
  const inWindow = entries.filter((e) => {
    const t = parseTime(e.time);
    return (f.since === undefined || t >= f.since) && (f.until === undefined || t <= f.until);
  });
  if (f.tail === undefined) return inWindow;
  return f.tail <= 0 ? [] : inWindow.slice(-f.tail);
}

/** docker's --tail value: a number, or "all". */
export function parseTail(text: string): number | undefined {
  if (text === 'all' || text === '') return undefined;
  if (!/^-?\d+$/.test(text)) throw new EngineError(`invalid value for "tail": ${text}`);
  const n = Number(text);
  return n < 0 ? undefined : n;
}

/**
 * docker's --since/--until: an RFC 3339 time, a Unix time (seconds, with an optional fraction),
 * or a duration before now ("10m", "1h30m", "42s", "250ms").
 */
export function parseSince(text: string, now: bigint = nowNs()): bigint {
  if (/^\d+(\.\d{1,9})?$/.test(text)) {
    const [s, frac = ''] = text.split('.');
    return BigInt(s) * 1_000_000_000n + BigInt(frac.padEnd(9, '0'));
  }
  const units: Record<string, bigint> = { h: 3_600_000_000_000n, m: 60_000_000_000n, s: 1_000_000_000n, ms: 1_000_000n, us: 1_000n, ns: 1n };
  const parts = [...text.matchAll(/(\d+)(ms|us|ns|h|m|s)/g)];
  if (parts.length > 0 && parts.map((p) => p[0]).join('') === text) {
    return now - parts.reduce((sum, p) => sum + BigInt(p[1]) * units[p[2]], 0n);
  }
  return parseTime(text);
}
// #endregion

// #region log-read-entries
/**
 * Read complete lines from `file` starting at byte `offset`; returns them and the offset after
 * the last complete one (a line the shim is still writing is left for the next read).
 */
export function readEntries(file: string, offset = 0): { entries: LogEntry[]; offset: number } {
  // #region exercise 7.log-read
  if (!existsSync(file)) return { entries: [], offset };
  const size = statSync(file).size;
  if (size <= offset) return { entries: [], offset };
  const buf = Buffer.alloc(size - offset);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, buf, 0, buf.length, offset);
  } finally {
    closeSync(fd);
  }
  const end = buf.lastIndexOf(0x0a) + 1;
  // one JSON object per line: {"log":"…\n","stream":"stdout","time":"…Z"} (formatEntry)
  const entries = buf.subarray(0, end).toString('utf8').split('\n').filter((l) => l !== '').map(parseEntry);
  return { entries, offset: offset + end };
  // #endregion
}

/** Where `logs -f` has read to: the live file (by inode, since rotation renames it) and the offset in it. */
export interface LogPosition {
  ino: number;
  offset: number;
}
// #endregion

// #region log-read-rotated
/** Every entry of the log, the rotated files first, oldest to newest; and where the live file ends. */
export function readLog(file: string): { entries: LogEntry[]; position: LogPosition } {
  for (;;) {
    const before = inode(file);
    const entries: LogEntry[] = [];
    let offset = 0;
    for (const f of logFiles(file)) {
      const got = readEntries(f);
      entries.push(...got.entries);
      offset = got.offset; // the live file is the last one
    }
    // a rotation in between renamed the files under us: read them again
    if (inode(file) === before) return { entries, position: { ino: before, offset: before === 0 ? 0 : offset } };
  }
}

/**
 * The entries written after `pos`, across rotations: when the live file has another inode, ours
 * was renamed to <file>.N: the rest of it, then .N-1 … .1 whole, then the new live file. If ours
 * was dropped meanwhile (more rotations than max-file), no name leads to it any more, but `kept`
 * can: a path that still opens our inode (followLog's /proc/self/fd/N); its rest comes first,
 * then every rotated file, all newer than ours. Without one, what it still held is lost.
 * With max-file=1 the live file keeps its inode and is emptied: read it from the start.
 */
export function readSince(file: string, pos: LogPosition, kept?: string): { entries: LogEntry[]; position: LogPosition } {
  const live = inode(file);
  if (live === 0) return { entries: [], position: pos }; // between a rotation's rename and the new file
  if (live === pos.ino) {
    const offset = statSync(file).size < pos.offset ? 0 : pos.offset; // emptied (max-file=1)
    const got = readEntries(file, offset);
    return { entries: got.entries, position: { ino: live, offset: got.offset } };
  }
  const files = logFiles(file);
  const older = files.slice(0, -1);
  const ours = older.findIndex((f) => inode(f) === pos.ino);
  const entries: LogEntry[] = [];
  if (ours >= 0) entries.push(...readEntries(older[ours], pos.offset).entries);
  else if (kept !== undefined) entries.push(...readEntries(kept, pos.offset).entries);
  for (const f of older.slice(ours + 1)) entries.push(...readEntries(f).entries);
  const got = readEntries(file);
  entries.push(...got.entries);
  // renamed again while we read: nothing of this round counts, the next poll starts over
  if (inode(file) !== live) return { entries: [], position: pos };
  return { entries, position: { ino: live, offset: got.offset } };
}
// #endregion

// #region log-follow
/** The inode of a file, 0 if there is none (the position of a log not written yet). */
function inode(file: string): number {
  return existsSync(file) ? statSync(file).ino : 0;
}

/** An open descriptor of the file `logs -f` reads, and that file's inode. */
interface Held {
  fd: number;
  ino: number;
}

/**
 * Keep the file with inode `ino` open while we read it. A rotation that drops the oldest file
 * only unlinks its name: the kernel frees a file when its last name *and* its last open
 * descriptor are gone, so ours stays readable — and /proc/self/fd/N opens it again, name or not
 * (proc(5): a link to the open file itself, not to its path).
 * Opened by name, so it is ours only if the live file still has that inode (else: none held).
 */
function hold(file: string, ino: number, held: Held | undefined): Held | undefined {
  if (held?.ino === ino) return held;
  if (held) closeSync(held.fd);
  if (ino === 0) return undefined;
  try {
    const fd = openSync(file, 'r');
    if (fstatSync(fd).ino === ino) return { fd, ino };
    closeSync(fd); // rotated since: the next poll holds the new one
  } catch {
    // between a rotation's rename and the new file
  }
  return undefined;
}

/**
 * logs -f: after the entries already shown, poll the log for new ones until `running()` says
 * the container has exited — then read once more, so its last lines are not lost. Between two
 * polls the shim may rotate more than once; the file we were in is held open (hold, above), so
 * lines are lost only after max-file + 1 rotations in one poll, not max-file.
 */
export async function followLog(file: string, pos: LogPosition, running: () => boolean, show: (e: LogEntry) => void, until?: bigint): Promise<void> {
  let held: Held | undefined;
  try {
    for (;;) {
      held = hold(file, pos.ino, held);
      const alive = running();
      let got: ReturnType<typeof readSince> = { entries: [], position: pos };
      try {
        got = readSince(file, pos, held && `/proc/self/fd/${held.fd}`);
      } catch (e) {
        // a file renamed or emptied between our stat and our read: the next poll reads it again
        if (!alive) throw e;
      }
      pos = got.position;
      for (const e of got.entries) if (until === undefined || parseTime(e.time) <= until) show(e);
      if (!alive) return;
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    if (held) closeSync(held.fd);
  }
}
// #endregion
