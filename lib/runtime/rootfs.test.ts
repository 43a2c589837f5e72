// The rootfs steps with the RecordingSys fake: which mounts, in which order, with which flags;
// the /dev that mountDev lays out in a temp dir; and secureJoin, which must never resolve a
// container path to a place outside the rootfs.

import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EngineError } from '../errors.js';
import { DEVICES, enterChroot, enterRootfs, mountDev, mountInto, pivotRoot, secureJoin } from './rootfs.js';
import { MNT, MS, S_IF, makedev } from '../sys/constants.js';
import { RecordingSys } from '../sys/fake.js';

let tmp: string;
let rootfs: string;

beforeEach(() => {
  tmp = mkdtempSync(path.join(tmpdir(), 'minidock-rootfs-test-'));
  rootfs = path.join(tmp, 'rootfs');
  mkdirSync(rootfs);
});

afterEach(() => {
  rmSync(tmp, { recursive: true, force: true });
});

describe('enterRootfs', () => {
  it('bind-mounts a plain directory onto itself when there is no rootfs filesystem to mount', () => {
    const sys = new RecordingSys();
    enterRootfs(sys, { rootfs, rootfsMount: null, mounts: [] });
    expect(sys.calls[0]).toEqual({ op: 'mount', args: ['', '/', '', MS.REC | MS.PRIVATE, ''] });
    expect(sys.calls[1]).toEqual({ op: 'mount', args: [rootfs, rootfs, '', MS.BIND | MS.REC, ''] });
  });

  it('mounts the rootfs filesystem (overlay) from its directory instead of a bind, after "/" is made private', () => {
    const sys = new RecordingSys();
    const rootfsMount = { source: 'overlay', fstype: 'overlay', data: 'lowerdir=l/A:l/B,upperdir=u,workdir=w', cwd: '/var/lib/minidock/overlay2' };
    enterRootfs(sys, { rootfs, rootfsMount, mounts: [] });
    expect(sys.calls.slice(0, 3)).toEqual([
      { op: 'mount', args: ['', '/', '', MS.REC | MS.PRIVATE, ''] },
      { op: 'chdir', args: ['/var/lib/minidock/overlay2'] }, // lowerdir's short links are relative
      { op: 'mount', args: ['overlay', rootfs, 'overlay', 0, rootfsMount.data] },
    ]);
    expect(sys.calls.some((c) => c.op === 'mount' && ((c.args[3] as number) & MS.BIND) !== 0 && c.args[1] === rootfs)).toBe(false);
  });

  it('ends with pivot_root, then /proc and a read-only /sys', () => {
    const sys = new RecordingSys();
    enterRootfs(sys, { rootfs, rootfsMount: null, mounts: [] });
    const tail = sys.calls.slice(-6);
    expect(tail.map((c) => c.op)).toEqual(['chdir', 'pivotRoot', 'umount2', 'chdir', 'mount', 'mount']);
    expect(tail[4].args).toEqual(['proc', '/proc', 'proc', MS.NOSUID | MS.NODEV | MS.NOEXEC, '']);
    expect(tail[5].args).toEqual(['sysfs', '/sys', 'sysfs', MS.RDONLY | MS.NOSUID | MS.NODEV | MS.NOEXEC, '']);
  });

  it('stops at the first failing mount and goes no further', () => {
    const sys = new RecordingSys();
    sys.failures = { pivotRoot: 'EINVAL' };
    expect(() => enterRootfs(sys, { rootfs, rootfsMount: null, mounts: [] })).toThrow('pivotRoot(., .): EINVAL');
    expect(sys.ops().at(-1)).toBe('pivotRoot');
  });
});

describe('pivotRoot', () => {
  it('is chdir(rootfs), pivot_root(".", "."), umount2(".", MNT_DETACH), chdir("/")', () => {
    const sys = new RecordingSys();
    pivotRoot(sys, rootfs);
    expect(sys.calls).toEqual([
      { op: 'chdir', args: [rootfs] },
      { op: 'pivotRoot', args: ['.', '.'] },
      { op: 'umount2', args: ['.', MNT.DETACH] },
      { op: 'chdir', args: ['/'] },
    ]);
  });

  it('leaves nothing behind in the image (no put_old directory)', () => {
    pivotRoot(new RecordingSys(), rootfs);
    expect(readdirSync(rootfs)).toEqual([]);
  });
});

describe('enterChroot', () => {
  it('is chroot(rootfs) then chdir("/"), and nothing else', () => {
    const sys = new RecordingSys();
    enterChroot(sys, rootfs);
    expect(sys.calls).toEqual([
      { op: 'chroot', args: [rootfs] },
      { op: 'chdir', args: ['/'] },
    ]);
  });
});

describe('mountDev', () => {
  it('mounts a tmpfs on <rootfs>/dev, never the host’s /dev', () => {
    const sys = new RecordingSys();
    mountDev(sys, rootfs);
    expect(sys.calls[0]).toEqual({ op: 'mount', args: ['tmpfs', path.join(rootfs, 'dev'), 'tmpfs', MS.NOSUID | MS.STRICTATIME, 'mode=755,size=65536k'] });
    expect(sys.calls.every((c) => (c.args[0] as string).startsWith(rootfs) || (c.args[1] as string).startsWith(rootfs))).toBe(true);
  });

  it('makes the six character devices with their major and minor numbers, mode 0666', () => {
    const sys = new RecordingSys();
    mountDev(sys, rootfs);
    const nodes = sys.calls.filter((c) => c.op === 'mknod');
    expect(nodes.map((c) => path.basename(c.args[0] as string))).toEqual(['null', 'zero', 'full', 'random', 'urandom', 'tty']);
    for (const [i, d] of DEVICES.entries()) {
      expect(nodes[i].args).toEqual([path.join(rootfs, 'dev', d.name), S_IF.CHR | 0o666, makedev(d.major, d.minor)]);
    }
    expect(nodes[0].args[2]).toBe(0x103); // /dev/null is 1:3
  });

  it('mounts a private devpts instance, /dev/shm and /dev/mqueue', () => {
    const sys = new RecordingSys();
    mountDev(sys, rootfs);
    const mounts = sys.calls.filter((c) => c.op === 'mount').map((c) => [c.args[1], c.args[2]]);
    expect(mounts).toEqual([
      [path.join(rootfs, 'dev'), 'tmpfs'],
      [path.join(rootfs, 'dev/pts'), 'devpts'],
      [path.join(rootfs, 'dev/shm'), 'tmpfs'],
      [path.join(rootfs, 'dev/mqueue'), 'mqueue'],
    ]);
    const devpts = sys.calls.find((c) => c.args[2] === 'devpts')!;
    expect(devpts.args[4]).toContain('newinstance');
  });

  it('creates the standard symlinks: ptmx, fd, stdin, stdout, stderr, core', () => {
    mountDev(new RecordingSys(), rootfs);
    const dev = path.join(rootfs, 'dev');
    expect(readlinkSync(path.join(dev, 'ptmx'))).toBe('pts/ptmx');
    expect(readlinkSync(path.join(dev, 'fd'))).toBe('/proc/self/fd');
    expect(readlinkSync(path.join(dev, 'stdin'))).toBe('/proc/self/fd/0');
    expect(readlinkSync(path.join(dev, 'stdout'))).toBe('/proc/self/fd/1');
    expect(readlinkSync(path.join(dev, 'stderr'))).toBe('/proc/self/fd/2');
    expect(readlinkSync(path.join(dev, 'core'))).toBe('/proc/kcore');
    expect(readdirSync(dev).sort()).toEqual(['core', 'fd', 'mqueue', 'ptmx', 'pts', 'shm', 'stderr', 'stdin', 'stdout']);
  });
});

describe('mountInto', () => {
  it('bind-mounts a directory read-write in one call, creating the mount point', () => {
    const src = path.join(tmp, 'src');
    mkdirSync(src);
    const sys = new RecordingSys();
    mountInto(sys, rootfs, { source: src, target: '/data/app', type: 'bind', readonly: false });
    expect(sys.calls).toEqual([{ op: 'mount', args: [src, path.join(rootfs, 'data/app'), '', MS.BIND | MS.REC, ''] }]);
    expect(lstatSync(path.join(rootfs, 'data/app')).isDirectory()).toBe(true);
  });

  it('makes a read-only bind with a second, remount call (the first ignores MS_RDONLY)', () => {
    const src = path.join(tmp, 'src');
    mkdirSync(src);
    const sys = new RecordingSys();
    mountInto(sys, rootfs, { source: src, target: '/ro', type: 'bind', readonly: true });
    expect(sys.calls.map((c) => c.args[3])).toEqual([MS.BIND | MS.REC, MS.BIND | MS.REMOUNT | MS.RDONLY]);
  });

  it('creates an empty file as the mount point of a file bind (a file can only cover a file)', () => {
    const src = path.join(tmp, 'hosts');
    writeFileSync(src, '127.0.0.1 localhost\n');
    mountInto(new RecordingSys(), rootfs, { source: src, target: '/etc/hosts', type: 'bind', readonly: false });
    const dest = path.join(rootfs, 'etc/hosts');
    expect(lstatSync(dest).isFile()).toBe(true);
    expect(lstatSync(dest).size).toBe(0);
  });

  it('mounts a filesystem type (tmpfs) nosuid,nodev with its data, read-only when asked', () => {
    const sys = new RecordingSys();
    mountInto(sys, rootfs, { source: '', target: '/run', type: 'tmpfs', readonly: true, data: 'size=64m' });
    expect(sys.calls).toEqual([{ op: 'mount', args: ['tmpfs', path.join(rootfs, 'run'), 'tmpfs', MS.NOSUID | MS.NODEV | MS.RDONLY, 'size=64m'] }]);
  });

  it('follows the image’s symlinks inside the rootfs: a target through /data -> /etc lands in <rootfs>/etc', () => {
    mkdirSync(path.join(rootfs, 'etc'));
    symlinkSync('/etc', path.join(rootfs, 'data'));
    const src = path.join(tmp, 'src');
    mkdirSync(src);
    const sys = new RecordingSys();
    mountInto(sys, rootfs, { source: src, target: '/data/conf', type: 'bind', readonly: false });
    expect(sys.calls[0].args[1]).toBe(path.join(rootfs, 'etc/conf'));
    expect(lstatSync(path.join(rootfs, 'etc/conf')).isDirectory()).toBe(true); // made inside, not on the host
  });
});

describe('secureJoin', () => {
  it('joins a plain path under the rootfs', () => {
    expect(secureJoin(rootfs, '/usr/bin/env')).toBe(path.join(rootfs, 'usr/bin/env'));
    expect(secureJoin(rootfs, 'usr//bin/./env')).toBe(path.join(rootfs, 'usr/bin/env'));
  });

  it('resolves an absolute symlink from the container’s root, not the host’s', () => {
    mkdirSync(path.join(rootfs, 'etc'));
    symlinkSync('/etc', path.join(rootfs, 'config'));
    expect(secureJoin(rootfs, '/config/passwd')).toBe(path.join(rootfs, 'etc/passwd'));
  });

  it('resolves a relative symlink from the directory that holds it', () => {
    mkdirSync(path.join(rootfs, 'usr/lib'), { recursive: true });
    symlinkSync('usr/lib', path.join(rootfs, 'lib'));
    expect(secureJoin(rootfs, '/lib/x')).toBe(path.join(rootfs, 'usr/lib/x'));
  });

  it('never lets ".." climb above the root, in the path or in a symlink', () => {
    expect(secureJoin(rootfs, '/../../../etc/shadow')).toBe(path.join(rootfs, 'etc/shadow'));
    symlinkSync('../../../../../../etc', path.join(rootfs, 'escape'));
    expect(secureJoin(rootfs, '/escape/shadow')).toBe(path.join(rootfs, 'etc/shadow'));
    symlinkSync('/../../..', path.join(rootfs, 'up'));
    expect(secureJoin(rootfs, '/up')).toBe(rootfs);
  });

  it('takes the rest of the path literally once a component does not exist', () => {
    expect(secureJoin(rootfs, '/not/yet/there')).toBe(path.join(rootfs, 'not/yet/there'));
  });

  it('refuses a symlink loop with ELOOP instead of spinning', () => {
    symlinkSync('/b', path.join(rootfs, 'a'));
    symlinkSync('/a', path.join(rootfs, 'b'));
    expect(() => secureJoin(rootfs, '/a/x')).toThrow(EngineError);
    expect(() => secureJoin(rootfs, '/a/x')).toThrow('/a/x: too many levels of symbolic links (ELOOP)');
  });

  it('follows a chain of symlinks to the end', () => {
    mkdirSync(path.join(rootfs, 'real'));
    symlinkSync('/two', path.join(rootfs, 'one'));
    symlinkSync('real', path.join(rootfs, 'two'));
    expect(secureJoin(rootfs, '/one/file')).toBe(path.join(rootfs, 'real/file'));
  });
});
