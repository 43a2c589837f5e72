// Trace mode: MINIDOCK_TRACE=1 prints every system call and every external command the engine
// makes, in order, the way a learner would type or call it. It is the lab's x-ray: run
// `MINIDOCK_TRACE=1 minidock run --rm busybox true` and read the container being built.
//
// Lines go to stderr (never stdout, which belongs to the container) and are tagged with the
// process role, because a container's story is told by several processes: the cli on the host,
// the shim that parents a detached container, and init inside the new namespaces.

import { writeSync } from 'node:fs';

let role = 'cli';

export function setRole(r: string): void {
  role = r;
}

/** MINIDOCK_TRACE=1: every call. MINIDOCK_TRACE=phases: only where the time goes (phase()). */
export function tracing(): boolean {
  const v = process.env.MINIDOCK_TRACE;
  return v !== undefined && v !== '' && v !== '0' && v !== 'phases';
}

function tracingPhases(): boolean {
  const v = process.env.MINIDOCK_TRACE;
  return v !== undefined && v !== '' && v !== '0';
}

/**
 * Print one trace line (synchronously: init may be one execve away from vanishing). Each line
 * carries the wall-clock time, so the x-ray also shows where a container's start-up time goes.
 */
export function trace(line: string): void {
  if (!tracing()) return;
  try {
    const now = new Date().toISOString().slice(17, 23); // ss.mmm
    writeSync(2, `\x1b[2m${now} [${role}]\x1b[0m ${line}\n`);
  } catch {
    // stderr closed: nothing to tell.
  }
}

// #region phases
let lastMark: number | null = null;

/**
 * The end of one phase of a container's life, and how long it took: since the previous phase,
 * or, for the first one, since this process started (so Node's own start-up is in it). Printed
 * with MINIDOCK_TRACE=phases (alone) or MINIDOCK_TRACE=1 (among the calls), as
 * `phase   12.3 ms  runtime create`: the lab's stopwatch. performance.now() counts from the
 * moment the process began.
 */
export function phase(name: string): void {
  if (!tracingPhases()) return;
  const now = performance.now();
  const took = now - (lastMark ?? 0);
  lastMark = now;
  try {
    writeSync(2, `\x1b[2m[${role}]\x1b[0m phase ${took.toFixed(1).padStart(7)} ms  ${name}\n`);
  } catch {
    // stderr closed
  }
}
// #endregion

/** A value shown as-is in a traced call (a flag name), not quoted like a string. */
export class Raw {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

/** Render a call the way it would look in C: mount("proc", "/proc", "proc", MS_NOSUID, "") = 0 */
export function renderCall(op: string, args: readonly unknown[], result: string): string {
  const shown = args.map((a) => {
    if (a instanceof Raw) return a.text;
    if (typeof a === 'string') return JSON.stringify(a);
    if (Array.isArray(a)) return `[${a.map((x) => JSON.stringify(x)).join(', ')}]`;
    return String(a);
  });
  return `${op}(${shown.join(', ')}) = ${result}`;
}

/** Render a command line the way a shell would accept it. */
export function renderCommand(cmd: string, args: readonly string[]): string {
  return [cmd, ...args].map(shellQuote).join(' ');
}

function shellQuote(s: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
