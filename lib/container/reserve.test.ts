// Name reservations: the names lock is held only to check a name and write its reservation.

import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { paths, type Paths } from '../paths.js';
import { processStartTime } from '../proc.js';
import { releaseName, reserveName } from './reserve.js';

let base: string;
let p: Paths;

beforeEach(() => {
  base = mkdtempSync(path.join(tmpdir(), 'minidock-reserve-test-'));
  p = paths({ MINIDOCK_ROOT: path.join(base, 'root'), MINIDOCK_RUN: path.join(base, 'run') });
});

afterEach(() => {
  rmSync(base, { recursive: true, force: true });
});

const ID_A = 'a'.repeat(64);
const ID_B = 'b'.repeat(64);

describe('reserveName', () => {
  it('writes a reservation with the ID and our PID and start time, and releases the names lock', () => {
    expect(reserveName(p, 'web', ID_A)).toBe('web');
    const r = JSON.parse(readFileSync(path.join(p.run, 'names', 'web'), 'utf8'));
    expect(r).toEqual({ ID: ID_A, Pid: process.pid, Start: processStartTime(process.pid) });
    expect(existsSync(path.join(p.locks, 'names.lock'))).toBe(false);
  });

  it('refuses a name another live create has reserved, with docker’s Conflict error', () => {
    reserveName(p, 'web', ID_A);
    expect(() => reserveName(p, '/web', ID_B)).toThrow(`The container name "/web" is already in use by container "${ID_A}"`);
  });

  it('treats the reservation of a process that died before writing its container as void', () => {
    mkdirSync(path.join(p.run, 'names'), { recursive: true });
    writeFileSync(path.join(p.run, 'names', 'web'), JSON.stringify({ ID: ID_A, Pid: process.ppid, Start: '1' })); // PID reused
    expect(reserveName(p, 'web', ID_B)).toBe('web');
  });

  it('never generates a name that a live reservation holds', () => {
    const first = reserveName(p, undefined, ID_A);
    const second = reserveName(p, undefined, ID_B);
    expect(second).not.toBe(first);
  });
});

describe('releaseName', () => {
  it('removes only the reservation of the same container', () => {
    reserveName(p, 'web', ID_A);
    releaseName(p, 'web', ID_B);
    expect(existsSync(path.join(p.run, 'names', 'web'))).toBe(true);
    releaseName(p, 'web', ID_A);
    expect(existsSync(path.join(p.run, 'names', 'web'))).toBe(false);
  });
});
