// lib/runtime/seccomp/compile.ts: docker's default profile compiled for x86_64 and run through
// bpf.ts' interpreter, call by call: what is allowed, refused with EPERM or ENOSYS, or killed.

import { describe, expect, it } from 'vitest';
import { X86_64_SYSCALLS, AARCH64_SYSCALLS } from '../../sys/syscall-table.js';
import { DOCKER_DEFAULT_CAPABILITIES } from '../capabilities.js';
import { interpret, RET } from './bpf.js';
import { AUDIT_ARCH, compileFilter } from './compile.js';
import { DOCKER_DEFAULT_PROFILE } from './docker-default.js';
import { resolveProfile } from './profile.js';

const EPERM = (RET.ERRNO | 1) >>> 0;
const ENOSYS = (RET.ERRNO | 38) >>> 0;
const x64 = (caps: readonly string[] = DOCKER_DEFAULT_CAPABILITIES) => compileFilter(resolveProfile(DOCKER_DEFAULT_PROFILE, { caps, arch: 'x64', kernel: '6.1.0' }), 'x64');
const call = (prog: ReturnType<typeof x64>, name: string, args: bigint[] = [], table = X86_64_SYSCALLS, arch: number = AUDIT_ARCH.x64) =>
  interpret(prog, { nr: table[name], arch, args });

describe("docker's default profile compiled for x86_64", () => {
  const prog = x64();

  it('allows the ordinary calls of a program', () => {
    for (const name of ['read', 'write', 'openat', 'execve', 'mmap', 'futex', 'exit_group', 'arch_prctl']) expect(call(prog, name), name).toBe(RET.ALLOW);
  });

  it('refuses setting the clock, loading modules, kexec and mount with EPERM, not a kill', () => {
    for (const name of ['clock_settime', 'settimeofday', 'kexec_load', 'init_module', 'finit_module', 'mount', 'umount2', 'reboot', 'swapon']) expect(call(prog, name), name).toBe(EPERM);
  });

  it('lets clone make threads and processes but not namespaces (CLONE_NEWUSER, CLONE_NEWNS)', () => {
    expect(call(prog, 'clone', [0x3d0f00n])).toBe(RET.ALLOW); // pthread_create's flags
    expect(call(prog, 'clone', [0x10000000n])).toBe(EPERM);
    expect(call(prog, 'clone', [0x00020000n | 0x11n])).toBe(EPERM);
    expect(call(prog, 'unshare', [0x10000000n])).toBe(EPERM);
  });

  it('answers clone3 with ENOSYS, so that libc falls back to clone', () => {
    expect(call(prog, 'clone3')).toBe(ENOSYS);
  });

  it('allows personality only with docker\'s few values and socket for every family but AF_VSOCK', () => {
    expect(call(prog, 'personality', [0n])).toBe(RET.ALLOW);
    expect(call(prog, 'personality', [0xffffffffn])).toBe(RET.ALLOW);
    expect(call(prog, 'personality', [0x0040000n])).toBe(EPERM); // READ_IMPLIES_EXEC
    expect(call(prog, 'personality', [0x1_0000_0000n])).toBe(EPERM); // the high half counts too
    expect(call(prog, 'socket', [2n])).toBe(RET.ALLOW);
    expect(call(prog, 'socket', [40n])).toBe(EPERM);
  });

  it('kills a call made with another architecture\'s convention, and x32 numbers', () => {
    expect(interpret(prog, { nr: 1, arch: 0x40000003 /* AUDIT_ARCH_I386 */ })).toBe(RET.KILL_PROCESS);
    expect(interpret(prog, { nr: 0x40000000 | 1, arch: AUDIT_ARCH.x64 })).toBe(RET.KILL_PROCESS);
  });

  it('grows with the capabilities: CAP_SYS_TIME allows clock_settime, CAP_SYS_ADMIN mount and any clone', () => {
    const more = x64([...DOCKER_DEFAULT_CAPABILITIES, 'CAP_SYS_TIME', 'CAP_SYS_ADMIN']);
    expect(call(more, 'clock_settime')).toBe(RET.ALLOW);
    expect(call(more, 'mount')).toBe(RET.ALLOW);
    expect(call(more, 'clone', [0x10000000n])).toBe(RET.ALLOW);
    expect(call(more, 'clone3')).toBe(RET.ALLOW);
  });

  it('fits the kernel: a few hundred instructions, under BPF_MAXINSNS', () => {
    expect(prog.length).toBeGreaterThan(300);
    expect(prog.length).toBeLessThan(4096);
  });
});

describe('the same profile for aarch64', () => {
  const prog = compileFilter(resolveProfile(DOCKER_DEFAULT_PROFILE, { caps: DOCKER_DEFAULT_CAPABILITIES, arch: 'arm64', kernel: '6.1.0' }), 'arm64');
  it('uses aarch64\'s numbers and arch value', () => {
    expect(call(prog, 'clock_settime', [], AARCH64_SYSCALLS, AUDIT_ARCH.arm64)).toBe(EPERM);
    expect(call(prog, 'openat', [], AARCH64_SYSCALLS, AUDIT_ARCH.arm64)).toBe(RET.ALLOW);
    expect(interpret(prog, { nr: AARCH64_SYSCALLS.openat, arch: AUDIT_ARCH.x64 })).toBe(RET.KILL_PROCESS);
  });
});

describe('a custom profile', () => {
  it('applies its default action to everything it does not name', () => {
    const prog = compileFilter({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO' }] }, 'x64');
    expect(call(prog, 'mkdir')).toBe(EPERM);
    expect(call(prog, 'clock_settime')).toBe(RET.ALLOW);
  });
});
