// init's steps, in order: driven with the RecordingSys fake and a stand-in for the sync socket,
// so the sequence of system calls and protocol messages can be read back and checked without
// root. The rootfs is a temp dir: /dev's directories and symlinks are really made there. The
// exec fifo (fd 4, where init waits for `start`) is a stand-in too: node:fs's readSync and
// closeSync are replaced for fd 4 only, and every other file operation is the real one.

import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { EngineError, EXIT } from '../errors.js';
import { init, lookPath } from './init.js';
import { CLONE, F, MNT, MS, PR } from '../sys/constants.js';
import { Execed, RecordingSys, type Call } from '../sys/fake.js';
import type { Spec } from './spec.js';
import type { HostMessage, InitMessage, SyncFd } from './sync.js';

// vi.mock and vi.hoisted run before the imports above, so init.ts sees the stand-in node:fs.
const fifo = vi.hoisted(() => ({ onRead: null as null | (() => void), reads: 0, closes: 0 }));

vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  const EXEC_FIFO_FD = 4;
  return {
    ...fs,
    /** fd 4: `start` wrote its one byte (the real read would block until it does). */
    readSync: (fd: number, ...rest: unknown[]) => {
      if (fd !== EXEC_FIFO_FD) return (fs.readSync as (...a: unknown[]) => number)(fd, ...rest);
      fifo.reads++;
      fifo.onRead?.();
      return 1;
    },
    closeSync: (fd: number) => {
      if (fd === EXEC_FIFO_FD) fifo.closes++;
      else fs.closeSync(fd);
    },
  };
});

/** Stands in for SyncFd: answers init's receives from a script and notes where each message fell. */
class FakeSync {
  /** each message (and the wait on the exec fifo), with the number of system calls made before it */
  readonly events: { label: string; at: number }[] = [];

  constructor(
    private readonly sys: RecordingSys,
    private readonly spec: Spec,
    private readonly noPivot = false,
  ) {
    fifo.onRead = () => this.events.push({ label: 'wait for start', at: this.sys.calls.length });
  }

  send(msg: InitMessage): void {
    this.events.push({ label: `send ${msg.type}`, at: this.sys.calls.length });
  }

  receive(want: HostMessage['type']): HostMessage {
    this.events.push({ label: `receive ${want}`, at: this.sys.calls.length });
    return want === 'bootstrap' ? { type: 'bootstrap', bootstrap: { spec: this.spec, rootfs, noPivot: this.noPivot } } : { type: 'configured' };
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
  fifo.onRead = null;
  fifo.reads = 0;
  fifo.closes = 0;
});

afterEach(() => {
  rmSync(tmp, { recursive: true, force: true });
  vi.unstubAllEnvs();
});

/** The kernel filesystems of defaultMounts(), spelled out so a change there shows up here. */
function kernelMounts(): Spec['mounts'] {
  return [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
    { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
  ];
}

/**
 * A config.json as the engine builds it for `docker run busybox sh -c 'echo hi'`: every
 * namespace new, the kernel filesystems, nothing else (no masked paths: in this fake, with no
 * real pivot_root, they would be looked up on the host).
 */
function specFor(overrides: { process?: Partial<Spec['process']>; linux?: Partial<Spec['linux']> } & Partial<Omit<Spec, 'process' | 'linux'>> = {}): Spec {
  const { process, linux, ...rest } = overrides;
  return {
    ociVersion: '1.0.2',
    root: { path: rootfs, readonly: false },
    hostname: 'c0ffee12',
    mounts: kernelMounts(),
    ...rest,
    process: {
      user: { uid: 0, gid: 0 },
      args: ['sh', '-c', 'echo hi'],
      env: [`PATH=${path.join(tmp, 'bin')}`, 'HOSTNAME=c0ffee12'],
      cwd: '/',
      ...process,
    },
    linux: {
      namespaces: (['pid', 'network', 'ipc', 'uts', 'mount', 'cgroup'] as const).map((type) => ({ type })),
      ...linux,
    },
  };
}

/** A spec with no namespace and no mounts: the runtime can only chroot. */
const chrootOnly = () => specFor({ mounts: [], linux: { namespaces: [] } });

/** Run init to its execve (the fake's execve throws Execed instead of replacing the process). */
function runInit(spec: Spec, noPivot = false): { sys: RecordingSys; sync: FakeSync; exec: Execed } {
  const sys = new RecordingSys();
  const sync = new FakeSync(sys, spec, noPivot);
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

/** The error init throws before it gets to execve. */
function initFailure(spec: Spec, sys = new RecordingSys()): EngineError {
  try {
    init(sys, new FakeSync(sys, spec) as unknown as SyncFd);
  } catch (e) {
    expect(e).toBeInstanceOf(EngineError);
    return e as EngineError;
  }
  throw new Error('init did not fail');
}

/** The index of the first call that matches, failing the test when there is none. */
function indexOf(calls: Call[], what: string, match: (c: Call) => boolean): number {
  const i = calls.findIndex(match);
  if (i < 0) throw new Error(`no ${what} among: ${calls.map((c) => c.op).join(' ')}`);
  return i;
}

const isMount = (target: string, flags?: number) => (c: Call) =>
  c.op === 'mount' && c.args[1] === target && (flags === undefined || c.args[3] === flags);
const isPivot = (c: Call) => c.op === 'pivotRoot';

describe('init', () => {
  it('makes exactly this sequence of system calls, from prctl to execve', () => {
    const { sys } = runInit(specFor());
    expect(sys.ops()).toEqual([
      'prctl', //                         1. die with the parent
      'unshare', //                       3. mnt uts ipc net
      'unshare', //                       5. cgroup
      'mount', 'mount', //                6. rootfs: "/" rprivate, rootfs bind
      'mount', 'mount', 'mount', 'mount', 'mount', 'mount', // config.json's mounts: /proc /dev /dev/pts /dev/shm /dev/mqueue /sys
      'mknod', 'mknod', 'mknod', 'mknod', 'mknod', 'mknod', // the default devices in /dev
      'chdir', 'pivotRoot', 'umount2', 'chdir', // pivot_root
      'sethostname', //                   7.
      'chdir', //                         8. the working directory
      'fcntl', 'fcntl', 'fcntl', 'fcntl', // 9. fds
      'prctl', //                        10. PDEATHSIG off, then 'ready' and the wait for start
      'ignoredSignals', //               12. Node's ignored signals back to default (none in the fake)
      'execve', //                       13.
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
    // NEWPID is the parent's job (it only affects children); init never asks for it
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
    const pivot = indexOf(sys.calls, 'pivot_root', isPivot);
    expect(rprivate).toBe(3); // the first mount of all
    expect(sys.calls[bind].args[0]).toBe(rootfs); // onto itself: new_root must be a mount point
    expect(rprivate).toBeLessThan(bind);
    expect(bind).toBeLessThan(pivot);
  });

  it('mounts config.json’s mounts in their order under the rootfs, all before pivot_root', () => {
    const { sys } = runInit(specFor());
    const pivot = indexOf(sys.calls, 'pivot_root', isPivot);
    const targets = ['/proc', '/dev', '/dev/pts', '/dev/shm', '/dev/mqueue', '/sys'].map((d) => path.join(rootfs, d));
    const at = targets.map((t) => indexOf(sys.calls, t, isMount(t)));
    expect(at).toEqual([...at].sort((a, b) => a - b));
    expect(Math.max(...at)).toBeLessThan(pivot);
    expect(sys.calls.some((c) => c.op === 'mount' && (c.args[1] === '/proc' || c.args[1] === '/sys'))).toBe(false);
  });

  it('mounts /proc before pivot_root as an ordinary mount, under the rootfs, nosuid,nodev,noexec', () => {
    const { sys } = runInit(specFor());
    const proc = indexOf(sys.calls, '/proc', isMount(path.join(rootfs, 'proc')));
    expect(proc).toBeLessThan(indexOf(sys.calls, 'pivot_root', isPivot));
    expect(sys.calls[proc].args).toEqual(['proc', path.join(rootfs, 'proc'), 'proc', MS.NOSUID | MS.NODEV | MS.NOEXEC, '']);
  });

  it('mounts /sys read-only and a tmpfs /dev, never the host’s /dev', () => {
    const { sys } = runInit(specFor());
    const sysfs = sys.calls[indexOf(sys.calls, '/sys', isMount(path.join(rootfs, 'sys')))];
    expect(sysfs.args[2]).toBe('sysfs');
    expect((sysfs.args[3] as number) & MS.RDONLY).toBe(MS.RDONLY);
    const dev = sys.calls[indexOf(sys.calls, '/dev', isMount(path.join(rootfs, 'dev')))];
    expect(dev.args.slice(0, 3)).toEqual(['tmpfs', path.join(rootfs, 'dev'), 'tmpfs']);
  });

  it('makes the device nodes after the /dev tmpfs is mounted and before pivot_root', () => {
    const { sys } = runInit(specFor());
    const dev = indexOf(sys.calls, '/dev', isMount(path.join(rootfs, 'dev')));
    const nodes = sys.calls.map((c, i) => (c.op === 'mknod' ? i : -1)).filter((i) => i >= 0);
    expect(nodes).toHaveLength(6);
    expect(Math.min(...nodes)).toBeGreaterThan(dev);
    expect(Math.max(...nodes)).toBeLessThan(indexOf(sys.calls, 'pivot_root', isPivot));
    expect(nodes.every((i) => (sys.calls[i].args[0] as string).startsWith(path.join(rootfs, 'dev') + '/'))).toBe(true);
  });

  it('calls pivot_root(".", ".") from inside the rootfs and detaches the old root right after', () => {
    const { sys } = runInit(specFor());
    const pivot = indexOf(sys.calls, 'pivot_root', isPivot);
    expect(sys.calls.slice(pivot - 1, pivot + 3)).toEqual([
      { op: 'chdir', args: [rootfs] },
      { op: 'pivotRoot', args: ['.', '.'] },
      { op: 'umount2', args: ['.', MNT.DETACH] },
      { op: 'chdir', args: ['/'] },
    ]);
    // nothing but the mount points is left in the image: no put_old directory was made
    expect(readdirSync(rootfs).sort()).toEqual(['dev', 'proc', 'sys']);
  });

  it('moves the rootfs onto "/" and chroots into it instead of pivot_root with --no-pivot', () => {
    const { sys } = runInit(specFor(), true);
    expect(sys.ops()).not.toContain('pivotRoot');
    const move = indexOf(sys.calls, 'MS_MOVE', (c) => c.op === 'mount' && c.args[3] === MS.MOVE);
    expect(sys.calls.slice(move - 1, move + 3)).toEqual([
      { op: 'chdir', args: [rootfs] },
      { op: 'mount', args: [rootfs, '/', '', MS.MOVE, ''] },
      { op: 'chroot', args: ['.'] },
      { op: 'chdir', args: ['/'] },
    ]);
    expect(move).toBeGreaterThan(indexOf(sys.calls, '/sys', isMount(path.join(rootfs, 'sys'))));
  });

  it('sets the hostname after the root switch, in its own UTS namespace', () => {
    const { sys } = runInit(specFor());
    const host = indexOf(sys.calls, 'sethostname', (c) => c.op === 'sethostname');
    expect(sys.calls[host].args).toEqual(['c0ffee12']);
    expect(host).toBeGreaterThan(indexOf(sys.calls, 'pivot_root', isPivot));
    expect(sys.hostname).toBe('c0ffee12');
  });

  it('does not set the hostname when the UTS namespace is the host’s (--uts host)', () => {
    const namespaces = (['pid', 'network', 'ipc', 'mount', 'cgroup'] as const).map((type) => ({ type }));
    const { sys } = runInit(specFor({ linux: { namespaces } }));
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
    expect(exec.envp).toEqual(spec.process.env);
  });

  it('clears FD_CLOEXEC on 0-2, sets it on the sync fd, and turns PDEATHSIG off just before execve', () => {
    const { sys } = runInit(specFor());
    const tail = sys.calls.slice(-7, -2); // before the signals' reset and execve
    expect(tail).toEqual([
      { op: 'fcntl', args: [0, F.SETFD, 0] },
      { op: 'fcntl', args: [1, F.SETFD, 0] },
      { op: 'fcntl', args: [2, F.SETFD, 0] },
      { op: 'fcntl', args: [3, F.SETFD, F.FD_CLOEXEC] },
      { op: 'prctl', args: [PR.SET_PDEATHSIG, 0] },
    ]);
  });

  it('speaks the protocol in order: bootstrap, created, configured, ready, the wait for start, exec', () => {
    const { sync } = runInit(specFor());
    expect(sync.events.map((e) => e.label)).toEqual([
      'receive bootstrap', 'send created', 'receive configured', 'send ready', 'wait for start', 'send exec',
    ]);
  });

  it('turns PDEATHSIG off before "ready", then waits on the exec fifo, and execs only after start', () => {
    const { sys, sync } = runInit(specFor());
    const off = indexOf(sys.calls, 'PDEATHSIG off', (c) => c.op === 'prctl' && c.args[0] === PR.SET_PDEATHSIG && c.args[1] === 0);
    const execve = sys.calls.length - 1;
    // `create` returns on 'ready' and its process exits: init must not die with it
    expect(sync.position('send ready')).toBe(off + 1);
    // between 'ready' and the fifo no system call at all; between the fifo and execve only the
    // reset of ignored signals (an empty list in the fake)
    expect(sync.position('wait for start')).toBe(off + 1);
    expect(sync.position('send exec')).toBe(execve - 1);
    expect(sys.calls[execve - 1].op).toBe('ignoredSignals');
    expect(fifo.reads).toBe(1);
    expect(fifo.closes).toBe(1); // the fifo is not inherited by the user's command
  });

  it('changes to the spec’s working directory after the hostname, making it when the image lacks it', () => {
    const cwd = path.join(tmp, 'work', 'dir'); // with the fake there is no real pivot_root: a host path
    const { sys } = runInit(specFor({ process: { cwd } }));
    const hostname = indexOf(sys.calls, 'sethostname', (c) => c.op === 'sethostname');
    expect(sys.calls[hostname + 1]).toEqual({ op: 'chdir', args: [cwd] });
    expect(statSync(cwd).isDirectory()).toBe(true);
  });

  it('refuses a working directory that is a file', () => {
    const file = path.join(tmp, 'afile');
    writeFileSync(file, '');
    const e = initFailure(specFor({ process: { cwd: file } }));
    expect(e.message).toBe(`the working directory ${JSON.stringify(file)} is not a directory`);
  });

  it('mounts the container’s own bind mounts after the kernel filesystems, read-only with a second call, before pivot_root', () => {
    const data = path.join(tmp, 'data');
    mkdirSync(data);
    const mounts = [...kernelMounts(), { destination: '/data', type: 'bind', source: data, options: ['rbind', 'ro'] }];
    const { sys } = runInit(specFor({ mounts }));
    const target = path.join(rootfs, 'data');
    const bind = indexOf(sys.calls, 'bind of /data', isMount(target, MS.BIND | MS.REC));
    const remount = indexOf(sys.calls, 'ro remount of /data', isMount(target, MS.BIND | MS.REMOUNT | MS.RDONLY));
    expect(sys.calls[bind].args[0]).toBe(data);
    expect(bind).toBeGreaterThan(indexOf(sys.calls, '/sys', isMount(path.join(rootfs, 'sys'))));
    expect(remount).toBe(bind + 1);
    expect(remount).toBeLessThan(indexOf(sys.calls, 'pivot_root', isPivot));
  });

  it('without a mount namespace only chroots: no namespace, no mount, no pivot_root, no hostname', () => {
    const { sys } = runInit(chrootOnly());
    expect(sys.ops()).toEqual(['prctl', 'chroot', 'chdir', 'chdir', 'fcntl', 'fcntl', 'fcntl', 'fcntl', 'prctl', 'ignoredSignals', 'execve']);
    expect(sys.calls[1].args).toEqual([rootfs]);
    expect(sys.calls[2].args).toEqual(['/']);
  });

  it('below the course’s stage 1 ignores the spec’s namespaces and mounts and only chroots', () => {
    vi.stubEnv('MINIDOCK_STAGE', '0');
    const { sys } = runInit(specFor());
    expect(sys.ops()).toEqual(['prctl', 'chroot', 'chdir', 'chdir', 'fcntl', 'fcntl', 'fcntl', 'fcntl', 'prctl', 'ignoredSignals', 'execve']);
  });

  it('joins shared namespaces with setns before unsharing, and unshares CLONE_FS before joining a mount namespace', () => {
    // any open file stands in for /proc/<pid>/ns/<kind>: the fake setns only records the fd
    const netNs = path.join(tmp, 'net');
    const mntNs = path.join(tmp, 'mnt');
    writeFileSync(netNs, '');
    writeFileSync(mntNs, '');
    const namespaces = [{ type: 'uts' as const }, { type: 'ipc' as const }, { type: 'cgroup' as const }, { type: 'network' as const, path: netNs }, { type: 'mount' as const, path: mntNs }];
    const { sys, sync } = runInit(specFor({ mounts: [], linux: { namespaces } }));
    const setnsNet = indexOf(sys.calls, 'setns net', (c) => c.op === 'setns' && c.args[1] === CLONE.NEWNET);
    const setnsMnt = indexOf(sys.calls, 'setns mnt', (c) => c.op === 'setns' && c.args[1] === CLONE.NEWNS);
    const fs = indexOf(sys.calls, 'unshare(CLONE_FS)', (c) => c.op === 'unshare' && c.args[0] === CLONE.FS);
    const create = indexOf(sys.calls, 'unshare uts|ipc', (c) => c.op === 'unshare' && c.args[0] === (CLONE.NEWUTS | CLONE.NEWIPC));
    expect(fs).toBe(setnsMnt - 1);
    expect(Math.max(setnsNet, setnsMnt)).toBeLessThan(create);
    expect(create).toBeLessThan(sync.position('send created'));
  });

  it('never joins a PID namespace itself: the parent chose it before spawning init', () => {
    const pidNs = path.join(tmp, 'pid');
    writeFileSync(pidNs, '');
    const namespaces = [{ type: 'mount' as const }, { type: 'pid' as const, path: pidNs }];
    const { sys } = runInit(specFor({ mounts: [], linux: { namespaces } }));
    expect(sys.ops()).not.toContain('setns');
    expect(sys.calls.filter((c) => c.op === 'unshare').map((c) => c.args[0])).toEqual([CLONE.NEWNS]);
  });

  it('sets the rlimits, then no_new_privs, then the capabilities, after the root switch and before the fds', () => {
    const spec = specFor({
      process: {
        rlimits: [{ type: 'RLIMIT_NOFILE', soft: 1024, hard: 4096 }, { type: 'RLIMIT_NPROC', soft: 10, hard: 20 }],
        noNewPrivileges: true,
        capabilities: { effective: ['CAP_CHOWN'], permitted: ['CAP_CHOWN'] },
      },
    });
    const { sys } = runInit(spec);
    const hostname = indexOf(sys.calls, 'sethostname', (c) => c.op === 'sethostname');
    const limits = sys.calls.filter((c) => c.op === 'setrlimit');
    expect(limits.map((c) => c.args)).toEqual([[7, 1024n, 4096n], [6, 10n, 20n]]);
    const rlimit = indexOf(sys.calls, 'setrlimit', (c) => c.op === 'setrlimit');
    const nnp = indexOf(sys.calls, 'no_new_privs', (c) => c.op === 'prctl' && c.args[0] === PR.SET_NO_NEW_PRIVS);
    const capset = indexOf(sys.calls, 'capset', (c) => c.op === 'capset');
    const fds = indexOf(sys.calls, 'fcntl', (c) => c.op === 'fcntl');
    expect(sys.calls[nnp].args).toEqual([PR.SET_NO_NEW_PRIVS, 1]);
    expect(sys.calls[capset].args).toEqual([1n, 1n, 0n]); // CAP_CHOWN is bit 0
    expect(hostname).toBeLessThan(rlimit);
    expect(rlimit).toBeLessThan(nnp);
    expect(nnp).toBeLessThan(capset);
    expect(capset).toBeLessThan(fds);
  });

  it('sets neither no_new_privs nor capabilities when config.json does not ask for them', () => {
    const { sys } = runInit(specFor());
    expect(sys.ops()).not.toContain('capset');
    expect(sys.ops()).not.toContain('setrlimit');
    expect(sys.calls.some((c) => c.op === 'prctl' && c.args[0] === PR.SET_NO_NEW_PRIVS)).toBe(false);
  });

  it('refuses a sysctl key that would leave /proc/sys, before writing anything', () => {
    for (const key of ['../../etc/passwd', 'net..ipv4', 'kernel/x']) {
      const e = initFailure(specFor({ linux: { namespaces: [], sysctl: { [key]: '1' } }, mounts: [] }));
      expect(e.message).toBe(`linux.sysctl: invalid key ${JSON.stringify(key)}`);
    }
  });

  it('turns a failed execve into docker’s exit codes: 127 for ENOENT, 126 for anything else', () => {
    for (const [errno, code] of [['ENOENT', EXIT.NOT_FOUND], ['EACCES', EXIT.CANNOT_INVOKE], ['ENOEXEC', EXIT.CANNOT_INVOKE]] as const) {
      const sys = new RecordingSys();
      sys.failures = { execve: errno };
      const err = initFailure(specFor(), sys);
      expect(err.exitCode).toBe(code);
      expect(err.message).toMatch(new RegExp(`^exec: "sh": execve\\(.*\\): ${errno}$`));
    }
  });

  it('passes on a failure that is not execve’s own errno unchanged, not as 126 or 127', () => {
    const sys = new RecordingSys();
    sys.failures = { mount: 'EPERM' };
    const e = initFailure(specFor(), sys);
    expect(e.message).toBe('mount("", /, "", 278528, ""): EPERM');
    expect(e.exitCode).toBe(EXIT.ENGINE);
    expect(sys.ops()).not.toContain('execve');
  });

  it('fails with 127 before execve when the command is not on the PATH, and before it says "ready"', () => {
    const sys = new RecordingSys();
    const sync = new FakeSync(sys, specFor({ process: { args: ['nope'] } }));
    expect(() => init(sys, sync as unknown as SyncFd)).toThrow('exec: "nope": executable file not found in $PATH');
    expect(sys.ops()).not.toContain('execve');
    expect(sync.events.map((e) => e.label)).not.toContain('send ready');
    expect(fifo.reads).toBe(0);
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
    expect(existsSync(missing)).toBe(false);
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
