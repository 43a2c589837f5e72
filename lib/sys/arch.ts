// Per-architecture system call numbers, for the calls glibc has no wrapper for (or whose wrapper
// does more than we want).
//
// pivot_root(2) has no glibc wrapper ("glibc does not provide a wrapper for this system call"),
// so it is made through syscall(2) with the number of this architecture. The numbers come from
// the kernel's headers: syscall-table.ts holds the whole tables (x86_64 and aarch64) as data,
// for the seccomp compiler; this file picks the few the engine calls by number.
// setuid/setgid/setgroups are raw too: glibc's wrappers change every thread of the process (its
// "setxid" broadcast), and only init's main thread, the one that calls execve, needs to change.

import { AARCH64_SYSCALLS, X86_64_SYSCALLS } from './syscall-table.js';

export type Arch = 'x64' | 'arm64';

const BY_NUMBER = ['pivot_root', 'pidfd_open', 'pidfd_getfd', 'seccomp', 'setuid', 'setgid', 'setgroups', 'bpf'] as const;
type Numbered = (typeof BY_NUMBER)[number];

const pick = (table: Readonly<Record<string, number>>) => Object.fromEntries(BY_NUMBER.map((n) => [n, table[n]])) as Record<Numbered, number>;

export const SYSCALLS: Record<Arch, Record<Numbered, number>> = {
  x64: pick(X86_64_SYSCALLS),
  arm64: pick(AARCH64_SYSCALLS),
};

export function syscallNumbers(arch: string = process.arch): (typeof SYSCALLS)[Arch] {
  if (arch === 'x64' || arch === 'arm64') return SYSCALLS[arch];
  throw new Error(`unsupported architecture ${arch}: minidock knows x86_64 (x64) and aarch64 (arm64)`);
}
