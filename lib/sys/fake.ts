// RecordingSys: a fake Sys for unit tests. It performs nothing and records every call, in order,
// so a test can assert the sequence init makes (propagation before bind, bind before pivot_root,
// /proc after pivot_root, execve last) without root and without touching the kernel.

import { SyscallError } from '../errors.js';
import type { Sys } from './sys.js';

export interface Call {
  op: keyof Sys;
  args: unknown[];
}

/** Thrown by the fake's execve, standing in for "the process was replaced". */
export class Execed extends Error {
  constructor(readonly path: string, readonly argv: readonly string[], readonly envp: readonly string[]) {
    super(`execve(${path})`);
  }
}

export class RecordingSys implements Sys {
  readonly calls: Call[] = [];
  /** Make a call fail: op → errno name (e.g. { mount: 'EPERM' }). */
  failures: Partial<Record<keyof Sys, string>> = {};
  hostname = '';
  xattrs = new Map<string, Buffer>();

  private record(op: keyof Sys, args: unknown[]): void {
    this.calls.push({ op, args });
    const code = this.failures[op];
    if (code) throw new SyscallError(op, args, -1, code);
  }

  /** The recorded operations, by name only: ['unshare', 'mount', …]. */
  ops(): string[] {
    return this.calls.map((c) => c.op);
  }

  unshare(flags: number): void { this.record('unshare', [flags]); }
  setns(fd: number, nstype: number): void { this.record('setns', [fd, nstype]); }
  mount(source: string, target: string, fstype: string, flags: number, data = ''): void {
    this.record('mount', [source, target, fstype, flags, data]);
  }
  umount2(target: string, flags: number): void { this.record('umount2', [target, flags]); }
  pivotRoot(newRoot: string, putOld: string): void { this.record('pivotRoot', [newRoot, putOld]); }
  /** what ignoredSignals() answers (a test sets it) */
  ignored: number[] = [];
  ignoredSignals(): number[] {
    this.record('ignoredSignals', []);
    return this.ignored;
  }
  resetSignal(sig: number): void {
    this.record('resetSignal', [sig]);
  }
  sethostname(name: string): void {
    this.record('sethostname', [name]);
    this.hostname = name;
  }
  chdir(path: string): void { this.record('chdir', [path]); }
  chroot(path: string): void { this.record('chroot', [path]); }
  execve(path: string, argv: readonly string[], envp: readonly string[]): never {
    this.record('execve', [path, [...argv], [...envp]]);
    throw new Execed(path, argv, envp);
  }
  fcntl(fd: number, cmd: number, arg = 0): number {
    this.record('fcntl', [fd, cmd, arg]);
    return 0;
  }
  prctl(option: number, arg2: number, arg3?: number): number {
    this.record('prctl', arg3 === undefined ? [option, arg2] : [option, arg2, arg3]);
    return 0;
  }
  setrlimit(resource: number, soft: bigint, hard: bigint): void { this.record('setrlimit', [resource, soft, hard]); }
  capset(effective: bigint, permitted: bigint, inheritable: bigint): void { this.record('capset', [effective, permitted, inheritable]); }
  mknod(path: string, mode: number, dev: number): void { this.record('mknod', [path, mode, dev]); }
  setxattr(path: string, name: string, value: Buffer): void {
    this.record('setxattr', [path, name, value.toString()]);
    this.xattrs.set(`${path}\0${name}`, value);
  }
  lsetxattr(path: string, name: string, value: Buffer): void {
    this.record('lsetxattr', [path, name, value.toString()]);
    this.xattrs.set(`${path}\0${name}`, value);
  }
  getxattr(path: string, name: string): Buffer | null {
    this.record('getxattr', [path, name]);
    return this.xattrs.get(`${path}\0${name}`) ?? null;
  }
  lgetxattr(path: string, name: string): Buffer | null {
    this.record('lgetxattr', [path, name]);
    return this.xattrs.get(`${path}\0${name}`) ?? null;
  }
  kill(pid: number, sig: number): void { this.record('kill', [pid, sig]); }
  getpid(): number {
    this.record('getpid', []);
    return 1;
  }
  ioctl(fd: number, request: number, arg: number): number {
    this.record('ioctl', [fd, request, arg]);
    return 0;
  }
  ioctlBuffer(fd: number, request: number, data: Buffer): Buffer {
    this.record('ioctlBuffer', [fd, request, data.toString('hex')]);
    return data;
  }
  dup2(oldfd: number, newfd: number): void { this.record('dup2', [oldfd, newfd]); }
  pidfdGetfd(pid: number, fd: number): number {
    this.record('pidfdGetfd', [pid, fd]);
    return 100 + fd;
  }
  sendFd(path: string, fd: number, data: Buffer): void { this.record('sendFd', [path, fd, data.toString()]); }
  setgroups(gids: readonly number[]): void { this.record('setgroups', [[...gids]]); }
  setgid(gid: number): void { this.record('setgid', [gid]); }
  setuid(uid: number): void { this.record('setuid', [uid]); }
  /** records the number of instructions (8 bytes each) */
  seccompFilter(program: Buffer): void { this.record('seccompFilter', [program.length / 8]); }
  bpfProgLoad(type: number, insns: Buffer, license: string): number {
    this.record('bpfProgLoad', [type, insns.length / 8, license]);
    return 99;
  }
  bpfProgAttach(targetFd: number, progFd: number, attachType: number, flags: number): void { this.record('bpfProgAttach', [targetFd, progFd, attachType, flags]); }
}
