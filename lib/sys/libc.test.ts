// The pure parts of the real Sys: how a call is shown under MINIDOCK_TRACE=1 (flag names as in
// the man pages) and which syscall number pivot_root(2) gets. No system call is made here.

import { describe, expect, it } from 'vitest';
import { syscallNumbers } from './arch.js';
import { CLONE, MS, makedev } from './constants.js';
import { errnoName } from './errno.js';
import { flagNames, mountFlagNames } from './libc.js';
import { Raw, renderCall, renderCommand } from './trace.js';

describe('flagNames', () => {
  it('names CLONE_* flags joined by |, as unshare(2) spells them', () => {
    expect(flagNames(CLONE.NEWNS | CLONE.NEWUTS | CLONE.NEWIPC | CLONE.NEWNET).text).toBe('CLONE_NEWNS|CLONE_NEWUTS|CLONE_NEWIPC|CLONE_NEWNET');
    expect(flagNames(CLONE.NEWPID).text).toBe('CLONE_NEWPID');
    expect(flagNames(CLONE.FS).text).toBe('CLONE_FS');
  });

  it('shows 0 as 0 and bits it has no name for in hex', () => {
    expect(flagNames(0).text).toBe('0');
    expect(flagNames(CLONE.NEWNET | 0x1).text).toBe('CLONE_NEWNET|0x1');
  });

  it('returns a Raw value, so the trace prints it without quotes', () => {
    expect(flagNames(CLONE.NEWCGROUP)).toBeInstanceOf(Raw);
    expect(renderCall('unshare', [flagNames(CLONE.NEWCGROUP)], '0')).toBe('unshare(CLONE_NEWCGROUP) = 0');
  });
});

describe('mountFlagNames', () => {
  it('names MS_* flags: the propagation change init makes first, and a read-only remount', () => {
    expect(mountFlagNames(MS.REC | MS.PRIVATE).text).toBe('MS_REC|MS_PRIVATE');
    expect(mountFlagNames(MS.BIND | MS.REMOUNT | MS.RDONLY).text).toBe('MS_RDONLY|MS_REMOUNT|MS_BIND');
    expect(mountFlagNames(0).text).toBe('0');
  });
});

describe('renderCall and renderCommand', () => {
  it('render a call as C would show it: strings quoted, arrays bracketed, the result after =', () => {
    expect(renderCall('mount', ['', '/', '', mountFlagNames(MS.REC | MS.PRIVATE), ''], '0')).toBe('mount("", "/", "", MS_REC|MS_PRIVATE, "") = 0');
    expect(renderCall('execve', ['/bin/true', ['true']], '…')).toBe('execve("/bin/true", ["true"]) = …');
    expect(renderCall('chdir', ['/nope'], '-1 ENOENT')).toBe('chdir("/nope") = -1 ENOENT');
  });

  it('render a command line that a shell would accept back', () => {
    expect(renderCommand('ip', ['link', 'add', 'veth0'])).toBe('ip link add veth0');
    expect(renderCommand('sh', ['-c', "echo 'hi' there"])).toBe(`sh -c 'echo '\\''hi'\\'' there'`);
  });
});

describe('syscall numbers and errno names', () => {
  it('knows pivot_root’s number on x86_64 (155) and aarch64 (41)', () => {
    expect(syscallNumbers('x64').pivot_root).toBe(155);
    expect(syscallNumbers('arm64').pivot_root).toBe(41);
  });

  it('refuses an architecture it has no table for', () => {
    expect(() => syscallNumbers('riscv64')).toThrow('unsupported architecture riscv64');
  });

  it('turns errno numbers into their names, and says so when it has none', () => {
    expect(errnoName(2)).toBe('ENOENT');
    expect(errnoName(22)).toBe('EINVAL');
    expect(errnoName(1)).toBe('EPERM');
    expect(errnoName(99999)).toBe('errno 99999');
  });

  it('encodes device numbers as glibc’s makedev(3) does', () => {
    expect(makedev(1, 3)).toBe(0x103); // /dev/null
    expect(makedev(5, 0)).toBe(0x500); // /dev/tty
    expect(makedev(136, 300)).toBe((300 & 0xff) | (136 << 8) | ((300 & ~0xff) << 12)); // a minor above 255
  });
});
