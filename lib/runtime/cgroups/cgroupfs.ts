// cgroupfs is just files: mkdir makes a cgroup, writing a file sets a limit, writing a PID to
// cgroup.procs moves a process, rmdir removes an empty cgroup. cgroups(7).
//
// These helpers are the only places v1.ts and v2.ts touch cgroupfs, so every change is traced
// as the shell command a learner could type to do the same by hand.

import { mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { EngineError, SyscallError } from '../../errors.js';
import { trace } from '../../sys/trace.js';

/** One limit to set: which file (its prefix names the controller) gets which value. */
export type LimitWrite = [file: string, value: string];


/**
 * mkdir, tolerating a directory that is already there (`mkdir -p`): minidock/ is shared by all
 * containers, and a container's own directory may survive a crash of the engine.
 */
export function cgMkdir(dir: string): void {
  trace(`mkdir -p ${dir}`);
  try {
    mkdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw syscallError('mkdir', [dir], err);
  }
}

/** Write one value to one cgroup file: `echo <value> > <file>`. */
export function cgWrite(file: string, value: string | number): void {
  const v = String(value);
  trace(`echo ${/^[\w.,:/-]+$/.test(v) ? v : `'${v}'`} > ${file}`);
  try {
    writeFileSync(file, v);
  } catch (err) {
    // The kernel's answer is the errno: EINVAL (bad value), EBUSY, ENOSPC (v1 cpuset empty), …
    throw syscallError('write', [file, v], err);
  }
}

/** Read a cgroup file; `fallback` when it does not exist (an optional controller or feature). */
export function cgRead(file: string, fallback?: string): string {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch (err) {
    if (fallback !== undefined && (err as NodeJS.ErrnoException).code === 'ENOENT') return fallback;
    throw syscallError('read', [file], err);
  }
}

/** "key value" lines (memory.stat, cpu.stat, memory.events, memory.oom_control) as a map. */
export function cgKeyValues(file: string): Map<string, bigint> {
  const out = new Map<string, bigint>();
  for (const line of cgRead(file, '').split('\n')) {
    const [k, v] = line.split(' ');
    if (k && v !== undefined && /^\d+$/.test(v)) out.set(k, BigInt(v));
  }
  return out;
}

/** The PIDs listed in a cgroup.procs file. */
export function cgProcs(dir: string): number[] {
  return cgRead(path.join(dir, 'cgroup.procs'), '')
    .split('\n')
    .filter(Boolean)
    .map(Number);
}

/**
 * rmdir a cgroup. Gone already is fine. EBUSY means tasks are still inside: right after a
 * container's last process dies the kernel may take a moment to release it, so retry until
 * `deadline` (ms since the epoch) before giving up — and never kill anything here: that is the
 * caller's decision.
 */
export function cgRmdir(dir: string, deadline: number = Date.now() + RMDIR_PATIENCE_MS): void {
  trace(`rmdir ${dir}`);
  for (let attempt = 1; ; attempt++) {
    try {
      rmdirSync(dir);
      return;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return;
      if (code !== 'EBUSY' || Date.now() >= deadline) throw syscallError('rmdir', [dir], err);
      sleepSync(Math.min(10 * attempt, 100));
    }
  }
}

/** How long destroy() waits for a cgroup's last tasks to be released. */
export const RMDIR_PATIENCE_MS = 2000;

/** Block the thread (synchronous code only: a container's setup runs without the event loop). */
function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function syscallError(op: string, args: string[], err: unknown): Error {
  const e = err as NodeJS.ErrnoException;
  if (typeof e?.code !== 'string' || typeof e.errno !== 'number') return err as Error;
  return new SyscallError(op, args, Math.abs(e.errno), e.code);
}

/** Poll a cgroup file until `done` (the kernel freezes tasks asynchronously), for at most 2 s. */
export function waitFor(done: () => boolean, what: string): void {
  const deadline = Date.now() + 2000;
  while (!done()) {
    if (Date.now() > deadline) throw new EngineError(`${what}: the kernel did not finish within 2 s`);
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10); // a synchronous 10 ms sleep
  }
}
