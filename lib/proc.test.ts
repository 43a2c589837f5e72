// lib/proc.ts: facts about host processes, and a signal to one that may be gone.

import { describe, expect, it } from 'vitest';
import { isZombie, pidAlive, signalIfAlive } from './proc.js';

/** A PID no process can have: above the kernel's largest pid_max (2^22). */
const DEAD_PID = 2 ** 22 + 1;

describe('signalIfAlive', () => {
  it('sends to a live process (signal 0: nothing delivered) and says false, without throwing, for one that is gone', () => {
    expect(signalIfAlive(process.pid, 0)).toBe(true);
    expect(signalIfAlive(DEAD_PID, 'SIGTERM')).toBe(false);
  });
  it('throws what is not "no such process": a signal that does not exist', () => {
    expect(() => signalIfAlive(process.pid, 9999)).toThrow();
  });
});

describe('pidAlive and isZombie', () => {
  it('know this process as alive and no zombie, and a PID nobody has as dead', () => {
    expect(pidAlive(process.pid)).toBe(true);
    expect(isZombie(process.pid)).toBe(false);
    expect(pidAlive(DEAD_PID)).toBe(false);
  });
});
