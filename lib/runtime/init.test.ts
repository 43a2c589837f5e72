// init's steps, in order: driven with the RecordingSys fake and a stand-in for the sync socket,
// so the sequence of system calls and protocol messages can be read back and checked without
// root. The rootfs is a temp dir: /dev's directories and symlinks are really made there.

import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EngineError, EXIT } from '../errors.js';
import { init, lookPath } from './init.js';
import { CLONE, F, MNT, MS, PR } from '../sys/constants.js';
import { Execed, RecordingSys, type Call } from '../sys/fake.js';
import type { HostMessage, InitMessage, InitSpec, SyncFd } from './sync.js';

/** Stands in for SyncFd: answers init's receives from a script and notes where each message fell. */
class FakeSync {
  /** each message, with the number of system calls made before it */
  readonly events: { label: string; at: number }[] = [];

  constructor(private readonly sys: RecordingSys, private readonly spec: InitSpec) {}

  send(msg: InitMessage): void {
    this.events.push({ label: `send ${msg.type}`, at: this.sys.calls.length });
  }

  receive(want: HostMessage['type']): HostMessage {
    this.events.push({ label: `receive ${want}`, at: this.sys.calls.length });
    return want === 'bootstrap' ? { type: 'bootstrap', spec: this.spec } : { type: 'configured' };
  }

  /** How many system calls had been made when `label` happened. */
  position(label: string): number {
    const e = this.events.find((x) => x.label === label);
    if (!e) throw new Error(`no "${label}" in ${this.events.map((x) => x.label).join(', ')}`);
    return e.at;
  }
}

let tmp: string;
let rootfs: string;

beforeEach(() => {
  tmp = mkdtempSync(path.join(tmpdir(), 'minidock-init-test-'));
  rootfs = path.join(tmp, 'rootfs');
  mkdirSync(rootfs);
  // the command: an executable file on a PATH of our own
  mkdirSync(path.join(tmp, 'bin'));
  writeFileSync(path.join(tmp, 'bin', 'sh'), '#!/bin/sh\n');
  chmodSync(path.join(tmp, 'bin', 'sh'), 0o755);
});

afterEach(() => {
  rmSync(tmp, { recursive: true, force: true });
});

function specFor(overrides: Partial<InitSpec> = {}): InitSpec {
  return {
    id: 'c0ffee',
    hostname: 'c0ffee12',
    rootfs,
    rootfsMount: null,
    mounts: [],
    args: ['sh', '-c', 'echo hi'],
    env: [`PATH=${path.join(tmp, 'bin')}`, 'HOSTNAME=c0ffee12'],
    cwd: '/',
    unshare: ['mnt', 'uts', 'ipc', 'pid', 'net', 'cgroup'],
    join: {},
    stage: 1,
    ...overrides,
  };
}

/** Run init to its execve (the fake's execve throws Execed instead of replacing the process). */
function runInit(spec: InitSpec): { sys: RecordingSys; sync: FakeSync; exec: Execed } {
  const sys = new RecordingSys();
  const sync = new FakeSync(sys, spec);
  let exec: Execed | undefined;
  try {
    init(sys, sync as unknown as SyncFd);
  } catch (e) {
    if (!(e instanceof Execed)) throw e;
    exec = e;
  }
  expect(exec).toBeInstanceOf(Execed);
  return { sys, sync, exec: exec! };
}

/** The index of the first call that matches, failing the test when there is none. */
function indexOf(calls: Call[], what: string, match: (c: Call) => boolean): number {
  const i = calls.findIndex(match);
  if (i < 0) throw new Error(`no ${what} among: ${calls.map((c) => c.op).join(' ')}`);
  return i;
}

const isMount = (target: string, flags?: number) => (c: Call) =>
  c.op === 'mount' && c.args[1] === target && (flags === undefined || c.args[3] === flags);

describe('init', () => {
  it('makes exactly this sequence of system calls, from prctl to execve', () => {
    const { sys } = runInit(specFor());
    expect(sys.ops()).toEqual([
      'prctl', //                         1. die with the monitor
      'unshare', //                       3. mnt uts ipc net
      'unshare', //                       5. cgroup
      'mount', 'mount', //                6. rootfs: "/" rprivate, rootfs bind
      'mount', //                            /dev tmpfs
      'mknod', 'mknod', 'mknod', 'mknod', 'mknod', 'mknod',
      'mount', 'mount', 'mount', //          devpts, shm, mqueue
      'chdir', 'pivotRoot', 'umount2', 'chdir', // pivot_root
      'mount', 'mount', //                   /proc, /sys
      'sethostname', //                   7.
      'chdir', //                         8. the working directory
      'fcntl', 'fcntl', 'fcntl', 'fcntl', 'prctl', // 9. fds, PDEATHSIG off
      'execve', //                        10.
    ]);
  });

  it('sets PR_SET_PDEATHSIG to SIGKILL first, before it even reads the spec', () => {
    const { sys, sync } = runInit(specFor());
    expect(sys.calls[0]).toEqual({ op: 'prctl', args: [PR.SET_PDEATHSIG, 9] });
    expect(sync.position('receive bootstrap')).toBe(1);
  });

  it('unshares mnt, uts, ipc and net in one call before it sends "created"', () => {
    const { sys, sync } = runInit(specFor());
    const i = indexOf(sys.calls, 'unshare', (c) => c.op === 'unshare');
    expect(sys.calls[i].args[0]).toBe(CLONE.NEWNS | CLONE.NEWUTS | CLONE.NEWIPC | CLONE.NEWNET);
    expect(i).toBeLessThan(sync.position('send created'));
    // NEWPID is the monitor's job (it only affects children); init never asks for it
    expect(sys.calls.some((c) => c.op === 'unshare' && ((c.args[0] as number) & CLONE.NEWPID) !== 0)).toBe(false);
  });

  it('unshares the cgroup namespace only after "configured" was received', () => {
    const { sys, sync } = runInit(specFor());
    const i = indexOf(sys.calls, 'unshare(CLONE_NEWCGROUP)', (c) => c.op === 'unshare' && c.args[0] === CLONE.NEWCGROUP);
    // the host's work happens between the two messages: no system call of init's either
    expect(sync.position('receive configured')).toBe(sync.position('send created'));
    expect(i).toBe(sync.position('receive configured')); // the very next call
  });

  it('makes "/" MS_REC|MS_PRIVATE before it bind-mounts the rootfs, and binds before pivot_root', () => {
    const { sys } = runInit(specFor());
    const rprivate = indexOf(sys.calls, 'rprivate /', isMount('/', MS.REC | MS.PRIVATE));
    const bind = indexOf(sys.calls, 'bind of the rootfs', isMount(rootfs, MS.BIND | MS.REC));
    const pivot = indexOf(sys.calls, 'pivot_root', (c) => c.op === 'pivotRoot');
    expect(rprivate).toBe(3); // the first mount of all
    expect(sys.calls[bind].args[0]).toBe(rootfs); // onto itself: new_root must be a mount point
    expect(rprivate).toBeLessThan(bind);
    expect(bind).toBeLessThan(pivot);
  });

  it('mounts /dev under the rootfs before pivot_root', () => {
    const { sys } = runInit(specFor());
    const dev = indexOf(sys.calls, '/dev tmpfs', isMount(path.join(rootfs, 'dev')));
    expect(dev).toBeLessThan(indexOf(sys.calls, 'pivot_root', (c) => c.op === 'pivotRoot'));
    expect(sys.calls[dev].args[2]).toBe('tmpfs');
  });

  it('calls pivot_root(".", ".") from inside the rootfs and detaches the old root right after', () => {
    const { sys } = runInit(specFor());
    const pivot = indexOf(sys.calls, 'pivot_root', (c) => c.op === 'pivotRoot');
    expect(sys.calls.slice(pivot - 1, pivot + 3)).toEqual([
      { op: 'chdir', args: [rootfs] },
      { op: 'pivotRoot', args: ['.', '.'] },
      { op: 'umount2', args: ['.', MNT.DETACH] },
      { op: 'chdir', args: ['/'] },
    ]);
    // nothing is left in the image: no put_old directory was made
    expect(readdirSync(rootfs)).toEqual(['dev']);
  });

  it('mounts /proc after pivot_root, then /sys read-only', () => {
    const { sys } = runInit(specFor());
    const pivot = indexOf(sys.calls, 'pivot_root', (c) => c.op === 'pivotRoot');
    const proc = indexOf(sys.calls, '/proc', isMount('/proc'));
    const sysfs = indexOf(sys.calls, '/sys', isMount('/sys'));
    expect(proc).toBeGreaterThan(pivot);
    expect(sys.calls[proc].args.slice(0, 3)).toEqual(['proc', '/proc', 'proc']);
    expect(sysfs).toBeGreaterThan(proc);
    expect((sys.calls[sysfs].args[3] as number) & MS.RDONLY).toBe(MS.RDONLY);
  });

  it('sets the hostname after the root switch, in its own UTS namespace', () => {
    const { sys } = runInit(specFor());
    const host = indexOf(sys.calls, 'sethostname', (c) => c.op === 'sethostname');
    expect(sys.calls[host].args).toEqual(['c0ffee12']);
    expect(host).toBeGreaterThan(indexOf(sys.calls, 'pivot_root', (c) => c.op === 'pivotRoot'));
    expect(sys.hostname).toBe('c0ffee12');
  });

  it('does not set the hostname when the UTS namespace is the host’s (--uts host)', () => {
    const { sys } = runInit(specFor({ unshare: ['mnt', 'ipc', 'pid', 'net', 'cgroup'] }));
    expect(sys.ops()).not.toContain('sethostname');
    expect(sys.calls.find((c) => c.op === 'unshare')?.args[0]).toBe(CLONE.NEWNS | CLONE.NEWIPC | CLONE.NEWNET);
  });

  it('execs last, with the command found on the spec’s PATH and the spec’s argv and env', () => {
    const spec = specFor();
    const { sys, exec } = runInit(spec);
    const last = sys.calls[sys.calls.length - 1];
    expect(last.op).toBe('execve');
    expect(exec.path).toBe(path.join(tmp, 'bin', 'sh'));
    expect(exec.argv).toEqual(['sh', '-c', 'echo hi']);
    expect(exec.envp).toEqual(spec.env);
  });

  it('clears FD_CLOEXEC on 0-2, sets it on the sync fd, and turns PDEATHSIG off just before execve', () => {
    const { sys } = runInit(specFor());
    const tail = sys.calls.slice(-6, -1);
    expect(tail).toEqual([
      { op: 'fcntl', args: [0, F.SETFD, 0] },
      { op: 'fcntl', args: [1, F.SETFD, 0] },
      { op: 'fcntl', args: [2, F.SETFD, 0] },
      { op: 'fcntl', args: [3, F.SETFD, F.FD_CLOEXEC] },
      { op: 'prctl', args: [PR.SET_PDEATHSIG, 0] },
    ]);
  });

  it('speaks the protocol in order: bootstrap, created, configured, exec', () => {
    const { sys, sync } = runInit(specFor());
    expect(sync.events.map((e) => e.label)).toEqual(['receive bootstrap', 'send created', 'receive configured', 'send exec']);
    expect(sync.position('send exec')).toBe(sys.calls.length - 1); // the last thing before execve
  });

  it('changes to the spec’s working directory after the root switch', () => {
    const { sys } = runInit(specFor({ cwd: '/' }));
    const hostname = indexOf(sys.calls, 'sethostname', (c) => c.op === 'sethostname');
    expect(sys.calls[hostname + 1]).toEqual({ op: 'chdir', args: ['/'] });
  });

  it('mounts the container’s own mounts after the rootfs bind and before /dev and pivot_root', () => {
    const data = path.join(tmp, 'data');
    mkdirSync(data);
    const { sys } = runInit(specFor({ mounts: [{ source: data, target: '/data', type: 'bind', readonly: true }] }));
    const target = path.join(rootfs, 'data');
    const bind = indexOf(sys.calls, 'bind of /data', isMount(target, MS.BIND | MS.REC));
    const remount = indexOf(sys.calls, 'ro remount of /data', isMount(target, MS.BIND | MS.REMOUNT | MS.RDONLY));
    expect(bind).toBeGreaterThan(indexOf(sys.calls, 'rootfs bind', isMount(rootfs, MS.BIND | MS.REC)));
    expect(remount).toBe(bind + 1);
    expect(remount).toBeLessThan(indexOf(sys.calls, '/dev', isMount(path.join(rootfs, 'dev'))));
  });

  it('at stage 0 only chroots: no namespace, no mount, no pivot_root, no hostname', () => {
    const { sys } = runInit(specFor({ stage: 0, unshare: [], join: {} }));
    expect(sys.ops()).toEqual(['prctl', 'chroot', 'chdir', 'chdir', 'fcntl', 'fcntl', 'fcntl', 'fcntl', 'prctl', 'execve']);
    expect(sys.calls[1].args).toEqual([rootfs]);
    expect(sys.calls[2].args).toEqual(['/']);
  });

  it('joins shared namespaces with setns before unsharing, and unshares CLONE_FS before joining a mount namespace', () => {
    // any open file stands in for /proc/<pid>/ns/<kind>: the fake setns only records the fd
    const netNs = path.join(tmp, 'net');
    const mntNs = path.join(tmp, 'mnt');
    writeFileSync(netNs, '');
    writeFileSync(mntNs, '');
    const { sys, sync } = runInit(specFor({ unshare: ['uts', 'ipc', 'cgroup'], join: { net: netNs, mnt: mntNs } }));
    const setnsNet = indexOf(sys.calls, 'setns net', (c) => c.op === 'setns' && c.args[1] === CLONE.NEWNET);
    const setnsMnt = indexOf(sys.calls, 'setns mnt', (c) => c.op === 'setns' && c.args[1] === CLONE.NEWNS);
    const fs = indexOf(sys.calls, 'unshare(CLONE_FS)', (c) => c.op === 'unshare' && c.args[0] === CLONE.FS);
    const create = indexOf(sys.calls, 'unshare uts|ipc', (c) => c.op === 'unshare' && c.args[0] === (CLONE.NEWUTS | CLONE.NEWIPC));
    expect(fs).toBeLessThan(setnsMnt);
    expect(Math.max(setnsNet, setnsMnt)).toBeLessThan(create);
    expect(create).toBeLessThan(sync.position('send created'));
  });

  it('turns a failed execve into docker’s exit codes: 127 for ENOENT, 126 for anything else', () => {
    for (const [errno, code] of [['ENOENT', EXIT.NOT_FOUND], ['EACCES', EXIT.CANNOT_INVOKE], ['ENOEXEC', EXIT.CANNOT_INVOKE]] as const) {
      rmSync(path.join(rootfs, 'dev'), { recursive: true, force: true }); // each run makes /dev anew
      const sys = new RecordingSys();
      sys.failures = { execve: errno };
      const spec = specFor();
      let err: unknown;
      try {
        init(sys, new FakeSync(sys, spec) as unknown as SyncFd);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(EngineError);
      expect((err as EngineError).exitCode).toBe(code);
      expect((err as EngineError).message).toMatch(new RegExp(`^exec: "sh": execve\\(.*\\): ${errno}$`));
    }
  });

  it('fails with 127 before execve when the command is not on the PATH', () => {
    const sys = new RecordingSys();
    const spec = specFor({ args: ['nope'] });
    expect(() => init(sys, new FakeSync(sys, spec) as unknown as SyncFd)).toThrow('exec: "nope": executable file not found in $PATH');
    expect(sys.ops()).not.toContain('execve');
  });
});

describe('lookPath', () => {
  let bin: string;
  let other: string;

  beforeEach(() => {
    bin = path.join(tmp, 'bin');
    other = path.join(tmp, 'other');
    mkdirSync(other);
    writeFileSync(path.join(bin, 'notexec'), 'data\n'); // mode 0644: no x bit, even root cannot exec it
    mkdirSync(path.join(bin, 'adir'));
    writeFileSync(path.join(other, 'adir'), '#!/bin/sh\n');
    chmodSync(path.join(other, 'adir'), 0o755);
  });

  const env = () => [`PATH=${bin}:${other}`];

  function failure(command: string): EngineError {
    try {
      lookPath(command, env());
    } catch (e) {
      expect(e).toBeInstanceOf(EngineError);
      return e as EngineError;
    }
    throw new Error(`lookPath(${command}) did not fail`);
  }

  it('finds a bare name in the first $PATH directory that has it', () => {
    expect(lookPath('sh', env())).toBe(path.join(bin, 'sh'));
  });

  it('takes a path with a slash as it is, without searching $PATH', () => {
    expect(lookPath(path.join(bin, 'sh'), [])).toBe(path.join(bin, 'sh'));
  });

  it('skips a directory and a non-executable file on $PATH, as execvp and Go’s LookPath do', () => {
    expect(lookPath('adir', env())).toBe(path.join(other, 'adir'));
    const e = failure('notexec');
    expect(e.message).toBe('exec: "notexec": executable file not found in $PATH');
    expect(e.exitCode).toBe(127);
  });

  it('says "executable file not found in $PATH" with 127 for an unknown name', () => {
    const e = failure('nope');
    expect(e.message).toBe('exec: "nope": executable file not found in $PATH');
    expect(e.exitCode).toBe(EXIT.NOT_FOUND);
  });

  it('says "no such file or directory" with 127 for a missing path', () => {
    const missing = path.join(tmp, 'missing');
    const e = failure(missing);
    expect(e.message).toBe(`exec: "${missing}": stat ${missing}: no such file or directory`);
    expect(e.exitCode).toBe(127);
  });

  it('refuses a path to a directory with 126', () => {
    const e = failure(path.join(bin, 'adir'));
    expect(e.message).toBe(`exec: "${path.join(bin, 'adir')}": is a directory`);
    expect(e.exitCode).toBe(EXIT.CANNOT_INVOKE);
  });

  it('refuses a path to a file without an execute bit with 126', () => {
    const e = failure(path.join(bin, 'notexec'));
    expect(e.message).toBe(`exec: "${path.join(bin, 'notexec')}": permission denied`);
    expect(e.exitCode).toBe(126);
  });

  it('falls back to docker’s default PATH when the environment has none', () => {
    // /bin/sh exists on every machine that runs these tests; the default PATH ends in /bin
    expect(lookPath('sh', [])).toMatch(/\/s?bin\/sh$/);
  });
});
