// lib/container/lifecycle.ts: docker top's filter of ps output to the container's PIDs, and the
// spellings of a stop signal; on literal ps tables.

import { describe, expect, it } from 'vitest';
import { filterPs, signalNumber } from './lifecycle.js';

describe('filterPs (docker top)', () => {
  const ps = [
    'UID          PID    PPID  C STIME TTY          TIME CMD',
    'root           1       0  0 01:00 ?        00:00:01 /sbin/init',
    'root        4242    4200  0 01:01 ?        00:00:00 sleep 600',
    'root        4243    4242  0 01:01 ?        00:00:00 sh -c 1 4242',
    '',
  ].join('\n');

  it('keeps the header and the rows whose PID is in the container', () => {
    expect(filterPs(ps, new Set([4242])).split('\n').filter(Boolean)).toEqual([ps.split('\n')[0], ps.split('\n')[2]]);
  });

  it('finds the PID column wherever ps -o puts it, not a number elsewhere in the row', () => {
    const custom = 'COMMAND PID\nsleep 4243\nsh 4242\n';
    expect(filterPs(custom, new Set([4243]))).toBe('COMMAND PID\nsleep 4243\n');
  });

  it('refuses ps options that print no PID column', () => {
    expect(() => filterPs('COMMAND\nsleep\n', new Set([1]))).toThrow(/no PID column/);
  });
});

describe('signalNumber', () => {
  it('reads docker’s spellings of a stop signal', () => {
    expect(signalNumber('SIGINT')).toBe(2);
    expect(signalNumber('int')).toBe(2);
    expect(signalNumber('15')).toBe(15);
    expect(() => signalNumber('SIGNOPE')).toThrow(/invalid signal/);
  });
});
