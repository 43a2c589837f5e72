// A lock between minidock processes: `withLock('names', fn)`.
//
// Two `minidock run`s at once must not both take the name "web" (or, in stage 5, the same IP).
// Node has no flock(2), so the lock is a file that only one process can create: link(2) of a
// finished temporary file fails with EEXIST when the name exists, so a reader never sees it half
// written. It holds its owner's PID, start time and a random tag, under /run/minidock/locks.
// Waiting has no wall-clock limit: a slow machine makes the holder slow, not dead. Only a holder
// that is gone (kill -9 halfway; or its PID now belongs to another process: the start time
// differs) makes the lock stale, and the next taker breaks it. proc(5): /proc/<pid>/stat.

import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { EngineError } from './errors.js';
import { paths } from './paths.js';
import { isZombie, pidAlive, processStartTime } from './proc.js';

/** Who holds a lock: what its file says. `tag` makes each taking of the lock unique. */
export interface Holder {
  pid: number;
  start: string;
  tag: string;
}

/** After this long behind one holder, say once on stderr who it is (a hung holder is visible). */
const TELL_AFTER_MS = 60_000;

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** The holder a lock file names; null when the file is gone. Unreadable content: PID 0, a dead holder. */
export function readHolder(file: string): Holder | null {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return null; // released between our look and our read
  }
  const [pid, start = '', tag = ''] = text.trim().split(' ');
  return /^\d+$/.test(pid) ? { pid: Number(pid), start, tag } : { pid: 0, start: '', tag: '' };
}

/** Is this holder still the process that took the lock (not dead, not a zombie, PID not reused)? */
export function holderAlive(h: Holder): boolean {
  return pidAlive(h.pid) && !isZombie(h.pid) && (h.start === '' || processStartTime(h.pid) === h.start);
}

/** One attempt to create the lock file, complete, in one step. True when it is ours. */
function tryTake(file: string, me: Holder): boolean {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${me.pid}-${me.tag}`);
  writeFileSync(tmp, `${me.pid} ${me.start} ${me.tag}\n`, { mode: 0o600 });
  try {
    linkSync(tmp, file); // EEXIST while anyone holds it
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  } finally {
    rmSync(tmp, { force: true });
  }
}

/**
 * Remove a stale lock file, but only that one. Two waiters may both judge the same file stale;
 * if both simply deleted it, the slower one could delete the fresh lock the faster one has just
 * taken. So breaking a stale lock is itself exclusive, per stale lock: a breaker first creates
 * `<file>.<tag>.break` (link(2), so only one wins), then looks again (only a winner of that
 * claim can remove a file with that tag, so what it reads is still there when it removes it),
 * removes the file if it still carries the stale tag, and drops the claim.
 */
export function breakStale(file: string, stale: Holder, me: Holder): void {
  const claim = `${file}.${stale.tag || stale.pid}.break`;
  if (!tryTake(claim, me)) {
    // another breaker is at it; if it died there (a window of microseconds), clear its claim
    const breaker = readHolder(claim);
    if (breaker && !holderAlive(breaker)) rmSync(claim, { force: true });
    return;
  }
  try {
    const now = readHolder(file);
    if (now && now.pid === stale.pid && now.start === stale.start && now.tag === stale.tag) rmSync(file, { force: true });
  } finally {
    rmSync(claim, { force: true });
  }
}

/** Run `fn` while holding the named lock. Synchronous on purpose: short critical sections only. */
export function withLock<T>(name: string, fn: () => T, dir = paths().locks): T {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}.lock`);
  const me: Holder = { pid: process.pid, start: processStartTime(process.pid) ?? '', tag: randomBytes(6).toString('hex') };
  let waitingFor = '';
  let since = Date.now();
  let told = false;
  let pause = 2;
  while (!tryTake(file, me)) {
    const h = readHolder(file);
    if (!h) continue; // released (or a foreign file being replaced) between our link and our read
    if (h.pid === me.pid) throw new EngineError(`lock ${file} is already held by this process`); // would wait forever
    if (!holderAlive(h)) {
      breakStale(file, h, me);
      continue;
    }
    // a live holder: wait as long as it lives, however slow it is
    const who = `${h.pid} ${h.start} ${h.tag}`;
    if (who !== waitingFor) [waitingFor, since, told] = [who, Date.now(), false];
    if (!told && Date.now() - since > TELL_AFTER_MS) {
      process.stderr.write(`minidock: still waiting for lock ${file}, held by pid ${h.pid}\n`);
      told = true;
    }
    sleepSync(pause);
    pause = Math.min(pause * 2, 50);
  }
  try {
    return fn();
  } finally {
    // remove the file only while it is still ours (it always should be: nobody breaks a live holder)
    const h = readHolder(file);
    if (h && h.tag === me.tag && h.pid === me.pid) rmSync(file, { force: true });
  }
}
