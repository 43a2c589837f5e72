// lib/sys: the engine's boundary with the kernel. Everything the engine asks of Linux goes
// through here: system calls (the Sys interface, libc through ffi-rs), external commands (sh),
// flag constants, syscall numbers per architecture, and the MINIDOCK_TRACE=1 x-ray.

export type { Sys } from './sys.js';
export { CLONE, MS, MNT, F, PR, S_IF, makedev } from './constants.js';
export { sh } from './exec.js';
export { phase, trace, tracing, setRole } from './trace.js';

/** The real system, loaded on first use (ffi-rs is a native addon: no need to load it for `ps`). */
export async function realSys(): Promise<import('./sys.js').Sys> {
  return (await import('./libc.js')).libcSys;
}
