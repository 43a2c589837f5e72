// RecordingSys, the fake that init's and the rootfs's unit tests drive: it must record every call
// in order with its arguments, fail on demand like the kernel would, and never touch the machine.

import { describe, expect, it } from 'vitest';
import { SyscallError } from '../errors.js';
import { CLONE, MNT, MS } from './constants.js';
import { Execed, RecordingSys } from './fake.js';
import type { Sys } from './sys.js';

describe('RecordingSys', () => {
  it('records each call, in order, with its arguments', () => {
    const sys = new RecordingSys();
    sys.unshare(CLONE.NEWNS);
    sys.mount('proc', '/proc', 'proc', MS.NOSUID);
    sys.umount2('/old', MNT.DETACH);
    expect(sys.calls).toEqual([
      { op: 'unshare', args: [CLONE.NEWNS] },
      { op: 'mount', args: ['proc', '/proc', 'proc', MS.NOSUID, ''] }, // data defaults to "", as in libc.ts
      { op: 'umount2', args: ['/old', MNT.DETACH] },
    ]);
    expect(sys.ops()).toEqual(['unshare', 'mount', 'umount2']);
  });

  it('can be used wherever a Sys is expected', () => {
    const sys: Sys = new RecordingSys();
    sys.chdir('/');
    expect((sys as RecordingSys).ops()).toEqual(['chdir']);
  });

  it('fails a call on demand with a SyscallError naming the errno, after recording it', () => {
    const sys = new RecordingSys();
    sys.failures = { mount: 'EPERM' };
    let err: unknown;
    try {
      sys.mount('tmpfs', '/mnt', 'tmpfs', 0);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SyscallError);
    expect((err as SyscallError).code).toBe('EPERM');
    expect((err as SyscallError).message).toBe('mount(tmpfs, /mnt, tmpfs, 0, ""): EPERM');
    expect(sys.ops()).toEqual(['mount']);
    sys.chdir('/'); // other calls still succeed
    expect(sys.ops()).toEqual(['mount', 'chdir']);
  });

  it('stands in for a successful execve by throwing Execed with the path, argv and envp', () => {
    const sys = new RecordingSys();
    let err: unknown;
    try {
      sys.execve('/bin/sh', ['sh', '-c', 'true'], ['PATH=/bin']);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(Execed);
    expect(err).toMatchObject({ path: '/bin/sh', argv: ['sh', '-c', 'true'], envp: ['PATH=/bin'] });
    expect(sys.calls).toEqual([{ op: 'execve', args: ['/bin/sh', ['sh', '-c', 'true'], ['PATH=/bin']] }]);
  });

  it('copies argv and envp when it records them, so later changes to the caller’s arrays do not rewrite history', () => {
    const sys = new RecordingSys();
    const argv = ['a'];
    expect(() => sys.execve('/a', argv, [])).toThrow(Execed);
    argv.push('b');
    expect(sys.calls[0].args[1]).toEqual(['a']);
  });

  it('remembers the hostname it was given', () => {
    const sys = new RecordingSys();
    sys.sethostname('box');
    expect(sys.hostname).toBe('box');
  });

  it('keeps extended attributes per path and name, and answers null for one never set', () => {
    const sys = new RecordingSys();
    sys.setxattr('/d', 'trusted.overlay.opaque', Buffer.from('y'));
    sys.lsetxattr('/l', 'user.x', Buffer.from('1'));
    expect(sys.getxattr('/d', 'trusted.overlay.opaque')?.toString()).toBe('y');
    expect(sys.lgetxattr('/l', 'user.x')?.toString()).toBe('1');
    expect(sys.getxattr('/d', 'user.other')).toBeNull();
    expect(sys.calls[0]).toEqual({ op: 'setxattr', args: ['/d', 'trusted.overlay.opaque', 'y'] });
  });

  it('answers 0 for fcntl and prctl, and PID 1 for getpid, as init inside its namespace would see', () => {
    const sys = new RecordingSys();
    expect(sys.fcntl(3, 2, 1)).toBe(0);
    expect(sys.prctl(1, 9)).toBe(0);
    expect(sys.getpid()).toBe(1);
    expect(sys.calls.map((c) => c.args)).toEqual([[3, 2, 1], [1, 9], []]);
  });
});
