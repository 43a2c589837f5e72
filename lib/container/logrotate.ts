// Log rotation for the json-file driver: `--log-opt max-size=10m --log-opt max-file=3`, as
// docker's json-file driver does it (daemon/logger/jsonfilelog, loggerutils.LogFile):
//   <id>-json.log     the live file, written by the shim
//   <id>-json.log.1   the one before it … <id>-json.log.<max-file - 1>, the oldest kept
// Before each entry is written, a live file already at max-size or more is rotated: every
// <id>-json.log.N moves to .N+1 (the oldest is dropped), the live file becomes .1, and a new,
// empty live file takes the entry. With max-file=1 there is nothing to keep: the live file is
// emptied instead. So no file grows past max-size by more than one entry. Without max-size
// the log grows for ever (docker's default too). Stage 7 notes, "log rotation".

import { appendFileSync, existsSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { EngineError } from '../errors.js';
import type { HostConfig } from './records.js';

/** --log-opt as docker's hostconfig.json keeps them: LogConfig.Config, strings. */
export type LogConfig = NonNullable<HostConfig['LogConfig']>;

/** What the writer needs from the options: max-size in bytes (null: no limit), max-file. */
export interface Rotation {
  maxSize: number | null;
  maxFile: number;
}

// #region log-opts
const UNITS: Record<string, number> = { '': 1, k: 1e3, m: 1e6, g: 1e9, t: 1e12, p: 1e15 };

/**
 * docker's max-size: go-units FromHumanSize — decimal units, so 10k is 10000 bytes and 10m is
 * 10 000 000; "10kb", "10KiB" and "1.5m" are read the same way (the "i" changes nothing).
 */
export function parseHumanSize(text: string): number {
  const m = /^(\d+(?:\.\d+)?) ?([kmgtp])?i?b?$/i.exec(text);
  if (!m) throw new EngineError(`invalid size: '${text}'`);
  return Math.floor(Number(m[1]) * UNITS[(m[2] ?? '').toLowerCase()]);
}

/** The `--log-opt KEY=VALUE` flags, read into a map by the cli, as hostconfig.json keeps them. */
export function logConfigFrom(config: Record<string, string>): LogConfig {
  rotationOf(config); // a bad value fails at create, before anything exists
  return { Type: 'json-file', Config: config };
}

/** The options the json-file driver knows, checked with docker's words. */
export function rotationOf(config: Record<string, string>): Rotation {
  for (const key of Object.keys(config)) {
    if (key === 'max-size' || key === 'max-file') continue;
    if (['compress', 'labels', 'labels-regex', 'env', 'env-regex', 'tag'].includes(key)) {
      throw new EngineError(`log opt '${key}' of the json-file log driver is not supported by minidock yet`);
    }
    throw new EngineError(`unknown log opt '${key}' for json-file log driver`);
  }
  let maxSize: number | null = null;
  if (config['max-size'] !== undefined) {
    maxSize = parseHumanSize(config['max-size']);
    if (maxSize <= 0) throw new EngineError('max-size must be a positive number');
  }
  let maxFile = 1;
  if (config['max-file'] !== undefined) {
    const text = config['max-file'];
    // Go's strconv.Atoi: an optional sign and decimal digits, nothing else
    if (!/^[+-]?\d+$/.test(text)) throw new EngineError(`strconv.Atoi: parsing ${JSON.stringify(text)}: invalid syntax`);
    maxFile = Number(text);
    if (maxFile < 1) throw new EngineError('max-file cannot be less than 1');
  }
  return { maxSize, maxFile };
}
// #endregion

// #region rotate
/** `<file>.<n>`: the n-th file before the live one (n ≥ 1); the live file is n = 0. */
export function rotatedName(file: string, n: number): string {
  return n === 0 ? file : `${file}.${n}`;
}

/** Rotate before writing `size` + the next entry? Only when the live file has reached max-size. */
export function needsRotation(size: number, r: Rotation): boolean {
  return r.maxSize !== null && size >= r.maxSize;
}

/** Shift the files by one: .N-1 → dropped, … .1 → .2, live → .1; then an empty live file. */
export function rotate(file: string, maxFile: number): void {
  if (maxFile >= 2) {
    rmSync(rotatedName(file, maxFile - 1), { force: true });
    for (let n = maxFile - 1; n >= 1; n--) {
      if (existsSync(rotatedName(file, n - 1))) renameSync(rotatedName(file, n - 1), rotatedName(file, n));
    }
  }
  writeFileSync(file, ''); // max-file=1: the live file, emptied
}

/**
 * The shim's writer, one per container for both streams (both pipes' entries go through the
 * same size count). It starts from the size the live file has: a restarted container appends.
 */
export function logWriter(file: string, r: Rotation): (entry: string) => void {
  let size = existsSync(file) ? statSync(file).size : 0;
  return (entry) => {
    if (needsRotation(size, r)) {
      rotate(file, r.maxFile);
      size = 0;
    }
    appendFileSync(file, entry);
    size += Buffer.byteLength(entry);
  };
}
// #endregion

/** The log's files, oldest first: <file>.N … <file>.1, then the live file (if there). */
export function logFiles(file: string): string[] {
  const older: string[] = [];
  for (let n = 1; existsSync(rotatedName(file, n)); n++) older.unshift(rotatedName(file, n));
  return existsSync(file) ? [...older, file] : older;
}
