// A lock between minidock processes: `withLock('names', fn)`.
//
// Two `minidock run`s at once must not both take the name "web" (or, in stage 5, the same IP).
// Node has no flock(2), so the lock is a file created with O_EXCL (open(2): "if the file already
// exists, fail") under /run/minidock/locks, holding the owner's PID. A lock whose owner died
// (kill -9 halfway) is stale: the next taker sees the PID is gone and breaks it.

import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import { EngineError } from './errors.js';
import { paths } from './paths.js';
import { pidAlive } from './proc.js';

const WAIT_MS = 10_000;

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Run `fn` while holding the named lock. Synchronous on purpose: short critical sections only. */
export function withLock<T>(name: string, fn: () => T, dir = paths().locks): T {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}.lock`);
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    try {
      const fd = openSync(file, 'wx', 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      let owner = NaN;
      try {
        owner = Number(readFileSync(file, 'utf8'));
      } catch {
        continue; // released between our open and our read: try again
      }
      if (Number.isInteger(owner) && owner > 0 && !pidAlive(owner)) {
        rmSync(file, { force: true }); // stale: its owner is gone
        continue;
      }
      if (Date.now() > deadline) throw new EngineError(`timed out waiting for lock ${file} (held by pid ${owner})`);
      sleepSync(10);
    }
  }
  try {
    return fn();
  } finally {
    rmSync(file, { force: true });
  }
}
