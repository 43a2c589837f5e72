// Per-architecture system call numbers, for the calls glibc has no wrapper for.
//
// pivot_root(2) has no glibc wrapper ("glibc does not provide a wrapper for this system call"),
// so it is made through syscall(2) with the number of this architecture. The numbers come from
// the kernel's syscall tables: arch/x86/entry/syscalls/syscall_64.tbl for x86_64 and the generic
// table include/uapi/asm-generic/unistd.h that aarch64 uses.

export type Arch = 'x64' | 'arm64';

export const SYSCALLS: Record<Arch, { pivot_root: number; pidfd_open: number; pidfd_getfd: number }> = {
  x64: { pivot_root: 155, pidfd_open: 434, pidfd_getfd: 438 },
  arm64: { pivot_root: 41, pidfd_open: 434, pidfd_getfd: 438 },
};

export function syscallNumbers(arch: string = process.arch): (typeof SYSCALLS)[Arch] {
  if (arch === 'x64' || arch === 'arm64') return SYSCALLS[arch];
  throw new Error(`unsupported architecture ${arch}: minidock knows x86_64 (x64) and aarch64 (arm64)`);
}
