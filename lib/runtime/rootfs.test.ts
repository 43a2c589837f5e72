// The rootfs steps with the RecordingSys fake: which mounts, in which order, with which flags;
// the /dev that createDevices lays out in a temp dir; mount(8)-style options read into mount(2)'s
// flags; and secureJoin, which must never resolve a container path to a place outside the rootfs.

import { lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EngineError } from '../errors.js';
import { createDevices, DEFAULT_DEVICES, withDefaultDeviceRules, enterChroot, enterRootfs, moveRoot, mountInto, parseMountOptions, pivotRoot, secureJoin, type RootfsSpec } from './rootfs.js';
import { defaultMounts } from './spec.js';
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

/** What enterRootfs reads from config.json: no mounts unless given, a writable root. */
function rootfsSpec(over: { mounts?: RootfsSpec['mounts']; readonly?: boolean; linux?: RootfsSpec['linux'] } = {}): RootfsSpec {
  return { mounts: over.mounts ?? [], root: { path: rootfs, readonly: over.readonly ?? false }, linux: over.linux ?? {} };
}

describe('enterRootfs', () => {
  it('makes "/" recursively private, then bind-mounts the rootfs onto itself', () => {
    const sys = new RecordingSys();
    enterRootfs(sys, rootfs, rootfsSpec(), false);
    expect(sys.calls[0]).toEqual({ op: 'mount', args: ['', '/', '', MS.REC | MS.PRIVATE, ''] });
    expect(sys.calls[1]).toEqual({ op: 'mount', args: [rootfs, rootfs, '', MS.BIND | MS.REC, ''] });
  });

  it('makes "/" a recursive slave instead when linux.rootfsPropagation asks for slave', () => {
    for (const propagation of ['slave', 'rslave']) {
      const sys = new RecordingSys();
      enterRootfs(sys, rootfs, rootfsSpec({ linux: { rootfsPropagation: propagation } }), false);
      expect(sys.calls[0]).toEqual({ op: 'mount', args: ['', '/', '', MS.REC | MS.SLAVE, ''] });
    }
  });

  it('with no mounts is exactly: propagation, bind, and the pivot_root steps', () => {
    const sys = new RecordingSys();
    enterRootfs(sys, rootfs, rootfsSpec(), false);
    expect(sys.ops()).toEqual(['mount', 'mount', 'chdir', 'pivotRoot', 'umount2', 'chdir']);
  });

  it('mounts the default kernel filesystems under the rootfs in order, makes /dev’s nodes, then pivots', () => {
    const sys = new RecordingSys();
    // (the cgroup mount reads the host's mountinfo: cgroup-mount.test.ts tests it with fake ones)
    enterRootfs(sys, rootfs, rootfsSpec({ mounts: defaultMounts().filter((m) => m.type !== 'cgroup') }), false);
    const mounts = sys.calls.filter((c) => c.op === 'mount').slice(2).map((c) => [c.args[1], c.args[2]]);
    expect(mounts).toEqual([
      [path.join(rootfs, 'proc'), 'proc'],
      [path.join(rootfs, 'dev'), 'tmpfs'],
      [path.join(rootfs, 'dev/pts'), 'devpts'],
      [path.join(rootfs, 'dev/shm'), 'tmpfs'],
      [path.join(rootfs, 'dev/mqueue'), 'mqueue'],
      [path.join(rootfs, 'sys'), 'sysfs'],
    ]);
    const ops = sys.ops();
    expect(ops.lastIndexOf('mount')).toBeLessThan(ops.indexOf('mknod'));
    expect(ops.lastIndexOf('mknod')).toBeLessThan(ops.indexOf('pivotRoot'));
    expect(ops.slice(-4)).toEqual(['chdir', 'pivotRoot', 'umount2', 'chdir']);
  });

  it('makes no device nodes when config.json mounts nothing on /dev (they would land in the image)', () => {
    const sys = new RecordingSys();
    const proc = defaultMounts().filter((m) => m.destination === '/proc');
    enterRootfs(sys, rootfs, rootfsSpec({ mounts: proc }), false);
    expect(sys.ops()).not.toContain('mknod');
  });

  it('moves the rootfs onto "/" and chroots with --no-pivot', () => {
    const sys = new RecordingSys();
    enterRootfs(sys, rootfs, rootfsSpec(), true);
    expect(sys.calls.slice(2)).toEqual([
      { op: 'chdir', args: [rootfs] },
      { op: 'mount', args: [rootfs, '/', '', MS.MOVE, ''] },
      { op: 'chroot', args: ['.'] },
      { op: 'chdir', args: ['/'] },
    ]);
  });

  it('masks paths after the root switch: an empty read-only tmpfs over a directory, /dev/null over a file', () => {
    // with the fake nothing is really pivoted, so the masked paths are looked up where the test puts them
    const dir = path.join(tmp, 'secret-dir');
    const file = path.join(tmp, 'secret-file');
    mkdirSync(dir);
    writeFileSync(file, 'x');
    const sys = new RecordingSys();
    enterRootfs(sys, rootfs, rootfsSpec({ linux: { maskedPaths: [dir, file, path.join(tmp, 'not-there')] } }), false);
    const pivot = sys.ops().indexOf('pivotRoot');
    const after = sys.calls.slice(pivot + 3);
    expect(after).toEqual([
      { op: 'mount', args: ['tmpfs', dir, 'tmpfs', MS.RDONLY, ''] },
      { op: 'mount', args: ['/dev/null', file, '', MS.BIND, ''] },
    ]);
  });

  it('makes readonlyPaths read-only after the root switch: a bind onto itself, then a read-only remount', () => {
    const dir = path.join(tmp, 'sys-like');
    mkdirSync(dir);
    const sys = new RecordingSys();
    enterRootfs(sys, rootfs, rootfsSpec({ linux: { readonlyPaths: [dir, path.join(tmp, 'not-there')] } }), false);
    expect(sys.calls.slice(sys.ops().indexOf('pivotRoot') + 3)).toEqual([
      { op: 'mount', args: [dir, dir, '', MS.BIND | MS.REC, ''] },
      { op: 'mount', args: ['', dir, '', MS.BIND | MS.REMOUNT | MS.RDONLY | MS.NOSUID | MS.NODEV | MS.NOEXEC, ''] },
    ]);
  });

  it('remounts "/" read-only last of all when root.readonly is set', () => {
    const dir = path.join(tmp, 'ro');
    mkdirSync(dir);
    const sys = new RecordingSys();
    enterRootfs(sys, rootfs, rootfsSpec({ readonly: true, linux: { readonlyPaths: [dir] } }), false);
    expect(sys.calls.at(-1)).toEqual({ op: 'mount', args: ['', '/', '', MS.BIND | MS.REMOUNT | MS.RDONLY, ''] });
    expect(sys.calls.filter((c) => c.op === 'mount' && c.args[1] === '/' && ((c.args[3] as number) & MS.RDONLY) !== 0)).toHaveLength(1);
  });

  it('leaves "/" writable when root.readonly is not set', () => {
    const sys = new RecordingSys();
    enterRootfs(sys, rootfs, rootfsSpec(), false);
    expect(sys.calls.some((c) => ((c.args[3] as number) & MS.RDONLY) !== 0)).toBe(false);
  });

  it('stops at the first failing call and goes no further', () => {
    const sys = new RecordingSys();
    sys.failures = { pivotRoot: 'EINVAL' };
    expect(() => enterRootfs(sys, rootfs, rootfsSpec({ readonly: true }), false)).toThrow('pivotRoot(., .): EINVAL');
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

describe('moveRoot (--no-pivot)', () => {
  it('is chdir(rootfs), mount(rootfs, "/", MS_MOVE), chroot("."), chdir("/")', () => {
    const sys = new RecordingSys();
    moveRoot(sys, rootfs);
    expect(sys.calls).toEqual([
      { op: 'chdir', args: [rootfs] },
      { op: 'mount', args: [rootfs, '/', '', MS.MOVE, ''] },
      { op: 'chroot', args: ['.'] },
      { op: 'chdir', args: ['/'] },
    ]);
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

describe('createDevices', () => {
  it('makes the six default character devices in <rootfs>/dev with their major and minor numbers, mode 0666', () => {
    const sys = new RecordingSys();
    createDevices(sys, rootfs, []);
    const nodes = sys.calls.filter((c) => c.op === 'mknod');
    expect(nodes.map((c) => path.basename(c.args[0] as string))).toEqual(['null', 'zero', 'full', 'random', 'urandom', 'tty']);
    for (const [i, d] of DEFAULT_DEVICES.entries()) {
      expect(nodes[i].args).toEqual([path.join(rootfs, d.path), S_IF.CHR | 0o666, makedev(d.major, d.minor)]);
    }
    expect(nodes[0].args[2]).toBe(0x103); // /dev/null is 1:3
    expect(sys.ops().every((op) => op === 'mknod')).toBe(true); // no mount: /dev is one of config.json's mounts
  });

  it('adds config.json’s devices with their type and mode, and never makes a default twice', () => {
    const sys = new RecordingSys();
    createDevices(sys, rootfs, [
      { path: '/dev/fuse', type: 'c', major: 10, minor: 229, fileMode: 0o600 },
      { path: '/dev/loop0', type: 'b', major: 7, minor: 0 },
      { path: '/dev/null', type: 'c', major: 1, minor: 3, fileMode: 0o600 },
    ]);
    const nodes = sys.calls.filter((c) => c.op === 'mknod').map((c) => c.args);
    expect(nodes).toHaveLength(8);
    expect(nodes.filter((n) => n[0] === path.join(rootfs, 'dev/null'))).toEqual([[path.join(rootfs, 'dev/null'), S_IF.CHR | 0o666, makedev(1, 3)]]);
    expect(nodes.slice(-2)).toEqual([
      [path.join(rootfs, 'dev/fuse'), S_IF.CHR | 0o600, makedev(10, 229)],
      [path.join(rootfs, 'dev/loop0'), S_IF.BLK | 0o666, makedev(7, 0)],
    ]);
  });

  it('skips a node that already exists (an image’s own /dev/null when /dev is no tmpfs)', () => {
    mkdirSync(path.join(rootfs, 'dev'));
    writeFileSync(path.join(rootfs, 'dev/null'), '');
    const sys = new RecordingSys();
    createDevices(sys, rootfs, []);
    expect(sys.calls.map((c) => path.basename(c.args[0] as string))).toEqual(['zero', 'full', 'random', 'urandom', 'tty']);
  });

  it('makes the nodes inside the rootfs even when the image’s /dev is a symlink out of it', () => {
    mkdirSync(path.join(rootfs, 'devices'));
    symlinkSync('/devices', path.join(rootfs, 'dev'));
    const sys = new RecordingSys();
    createDevices(sys, rootfs, []);
    expect(sys.calls.every((c) => (c.args[0] as string).startsWith(path.join(rootfs, 'devices') + '/'))).toBe(true);
  });

  it('creates the standard symlinks: fd, stdin, stdout, stderr, core', () => {
    createDevices(new RecordingSys(), rootfs, []);
    const dev = path.join(rootfs, 'dev');
    expect(readlinkSync(path.join(dev, 'fd'))).toBe('/proc/self/fd');
    expect(readlinkSync(path.join(dev, 'stdin'))).toBe('/proc/self/fd/0');
    expect(readlinkSync(path.join(dev, 'stdout'))).toBe('/proc/self/fd/1');
    expect(readlinkSync(path.join(dev, 'stderr'))).toBe('/proc/self/fd/2');
    expect(readlinkSync(path.join(dev, 'core'))).toBe('/proc/kcore');
    expect(readdirSync(dev).sort()).toEqual(['core', 'fd', 'stderr', 'stdin', 'stdout']);
  });

  it('links /dev/ptmx to the container’s own devpts instance when one is mounted', () => {
    // a devpts mounted with newinstance has its own ptmx; the fake stands for it with a file
    mkdirSync(path.join(rootfs, 'dev/pts'), { recursive: true });
    writeFileSync(path.join(rootfs, 'dev/pts/ptmx'), '');
    createDevices(new RecordingSys(), rootfs, []);
    expect(readlinkSync(path.join(rootfs, 'dev/ptmx'))).toBe('pts/ptmx');
  });

  it('leaves a symlink that is already there alone', () => {
    mkdirSync(path.join(rootfs, 'dev'));
    symlinkSync('/elsewhere', path.join(rootfs, 'dev/fd'));
    expect(() => createDevices(new RecordingSys(), rootfs, [])).not.toThrow();
    expect(readlinkSync(path.join(rootfs, 'dev/fd'))).toBe('/elsewhere');
  });
});

describe('withDefaultDeviceRules', () => {
  it('appends mknod of anything and the default nodes after config.json’s rules, so a deny-all list still lets init make /dev', () => {
    const denyAll = { devices: [{ allow: false, access: 'rwm' }] };
    const rules = withDefaultDeviceRules(denyAll).devices!;
    expect(rules[0]).toEqual({ allow: false, access: 'rwm' }); // config.json's first: later rules win
    expect(rules).toContainEqual({ allow: true, type: 'c', major: null, minor: null, access: 'm' });
    expect(rules).toContainEqual({ allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' }); // /dev/null
    expect(rules).toContainEqual({ allow: true, type: 'c', major: 136, minor: null, access: 'rwm' }); // /dev/pts/*
    for (const d of DEFAULT_DEVICES) expect(rules).toContainEqual({ allow: true, type: 'c', major: d.major, minor: d.minor, access: 'rwm' });
    expect(denyAll.devices).toHaveLength(1); // the spec itself is not changed
  });

  it('adds nothing when config.json has no device rules (on cgroup v2 a rule list denies what it does not allow)', () => {
    expect(withDefaultDeviceRules({ memory: { limit: 1 } })).toEqual({ memory: { limit: 1 } });
    expect(withDefaultDeviceRules({ devices: [] }).devices).toEqual([]);
  });
});

describe('parseMountOptions', () => {
  it.each([
    [[], 0, 0, ''],
    [['ro'], MS.RDONLY, 0, ''],
    [['nosuid', 'nodev', 'noexec'], MS.NOSUID | MS.NODEV | MS.NOEXEC, 0, ''],
    [['rbind', 'ro'], MS.BIND | MS.REC | MS.RDONLY, 0, ''],
    [['bind'], MS.BIND, 0, ''],
    [['ro', 'rw'], 0, 0, ''], //                       the later option wins
    [['nosuid', 'suid'], 0, 0, ''],
    [['noatime', 'atime', 'relatime'], MS.RELATIME, 0, ''],
    [['strictatime', 'sync', 'dirsync'], MS.STRICTATIME | MS.SYNCHRONOUS | MS.DIRSYNC, 0, ''],
    [['defaults'], 0, 0, ''],
    [['rprivate'], 0, MS.PRIVATE | MS.REC, ''],
    [['rbind', 'rslave'], MS.BIND | MS.REC, MS.SLAVE | MS.REC, ''],
    [['shared', 'private'], 0, MS.PRIVATE, ''], //     one propagation: the last
    [['runbindable'], 0, MS.UNBINDABLE | MS.REC, ''],
    [['nosuid', 'mode=755', 'size=65536k'], MS.NOSUID, 0, 'mode=755,size=65536k'],
    [['newinstance', 'ptmxmode=0666', 'gid=5'], 0, 0, 'newinstance,ptmxmode=0666,gid=5'],
  ] as [string[], number, number, string][])('reads %j as flags %i, propagation %i, data %j', (options, flags, propagation, data) => {
    expect(parseMountOptions(options)).toEqual({ flags, propagation, data });
  });
});

describe('mountInto', () => {
  it('bind-mounts a directory read-write in one call, creating the mount point', () => {
    const src = path.join(tmp, 'src');
    mkdirSync(src);
    const sys = new RecordingSys();
    mountInto(sys, rootfs, { destination: '/data/app', type: 'bind', source: src, options: ['rbind'] });
    expect(sys.calls).toEqual([{ op: 'mount', args: [src, path.join(rootfs, 'data/app'), '', MS.BIND | MS.REC, ''] }]);
    expect(lstatSync(path.join(rootfs, 'data/app')).isDirectory()).toBe(true);
  });

  it('takes a bind without MS_REC when the options say bind, not rbind', () => {
    const src = path.join(tmp, 'src');
    mkdirSync(src);
    const sys = new RecordingSys();
    mountInto(sys, rootfs, { destination: '/data', type: 'bind', source: src, options: ['bind'] });
    expect(sys.calls.map((c) => c.args[3])).toEqual([MS.BIND]);
  });

  it('treats "rbind" in the options as a bind whatever the type says (containerd writes type "none")', () => {
    const src = path.join(tmp, 'src');
    mkdirSync(src);
    const sys = new RecordingSys();
    mountInto(sys, rootfs, { destination: '/data', type: 'none', source: src, options: ['rbind', 'rw'] });
    expect(sys.calls).toEqual([{ op: 'mount', args: [src, path.join(rootfs, 'data'), '', MS.BIND | MS.REC, ''] }]);
  });

  it('makes a read-only bind with a second, remount call (the first ignores MS_RDONLY)', () => {
    const src = path.join(tmp, 'src');
    mkdirSync(src);
    const sys = new RecordingSys();
    mountInto(sys, rootfs, { destination: '/ro', type: 'bind', source: src, options: ['rbind', 'ro', 'nosuid'] });
    expect(sys.calls.map((c) => c.args[3])).toEqual([MS.BIND | MS.REC, MS.BIND | MS.REMOUNT | MS.RDONLY | MS.NOSUID]);
    expect(sys.calls[1].args[0]).toBe('');
  });

  it('changes a bind’s propagation with a third call when the options name one', () => {
    const src = path.join(tmp, 'src');
    mkdirSync(src);
    const sys = new RecordingSys();
    mountInto(sys, rootfs, { destination: '/shared', type: 'bind', source: src, options: ['rbind', 'ro', 'rshared'] });
    expect(sys.calls.map((c) => c.args[3])).toEqual([MS.BIND | MS.REC, MS.BIND | MS.REMOUNT | MS.RDONLY, MS.SHARED | MS.REC]);
    expect(sys.calls[2].args.slice(0, 2)).toEqual(['', path.join(rootfs, 'shared')]);
  });

  it('creates an empty file as the mount point of a file bind (a file can only cover a file)', () => {
    const src = path.join(tmp, 'hosts');
    writeFileSync(src, '127.0.0.1 localhost\n');
    mountInto(new RecordingSys(), rootfs, { destination: '/etc/hosts', type: 'bind', source: src, options: ['rbind'] });
    const dest = path.join(rootfs, 'etc/hosts');
    expect(lstatSync(dest).isFile()).toBe(true);
    expect(lstatSync(dest).size).toBe(0);
  });

  it('keeps an image’s own file as the mount point of a file bind, unchanged', () => {
    mkdirSync(path.join(rootfs, 'etc'));
    writeFileSync(path.join(rootfs, 'etc/hostname'), 'image\n');
    const src = path.join(tmp, 'hostname');
    writeFileSync(src, 'box\n');
    mountInto(new RecordingSys(), rootfs, { destination: '/etc/hostname', type: 'bind', source: src, options: ['rbind'] });
    expect(readFileSync(path.join(rootfs, 'etc/hostname'), 'utf8')).toBe('image\n');
  });

  it('mounts a filesystem type (tmpfs) with its flags and its data, making the mount point', () => {
    const sys = new RecordingSys();
    mountInto(sys, rootfs, { destination: '/run', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'ro', 'size=64m'] });
    expect(sys.calls).toEqual([{ op: 'mount', args: ['tmpfs', path.join(rootfs, 'run'), 'tmpfs', MS.NOSUID | MS.NODEV | MS.RDONLY, 'size=64m'] }]);
    expect(lstatSync(path.join(rootfs, 'run')).isDirectory()).toBe(true);
  });

  it('mounts a mount without options with no flags and no data', () => {
    const sys = new RecordingSys();
    mountInto(sys, rootfs, { destination: '/proc', type: 'proc', source: 'proc' });
    expect(sys.calls).toEqual([{ op: 'mount', args: ['proc', path.join(rootfs, 'proc'), 'proc', 0, ''] }]);
  });

  it('follows the image’s symlinks inside the rootfs: a destination through /data -> /etc lands in <rootfs>/etc', () => {
    mkdirSync(path.join(rootfs, 'etc'));
    symlinkSync('/etc', path.join(rootfs, 'data'));
    const src = path.join(tmp, 'src');
    mkdirSync(src);
    const sys = new RecordingSys();
    mountInto(sys, rootfs, { destination: '/data/conf', type: 'bind', source: src, options: ['rbind'] });
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
