// lib/volumes: -v, --mount and --volumes-from parsed as docker does, mount points planned, the
// volume store, and copying image content; with a RecordingSys and temporary directories.

import { execFileSync } from 'node:child_process';
import { existsSync, linkSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { createMounts, mountPointsOf, usersOf } from '../container/volumes.js';
import { newState, saveContainer, ZERO_TIME, type Container } from '../container/state.js';
import type { Mount, MountPoint } from '../container/records.js';
import { EngineError } from '../errors.js';
import { paths, type Paths } from '../paths.js';
import { MS } from '../sys/constants.js';
import { RecordingSys } from '../sys/fake.js';
import { copyDataIfEmpty } from './copydata.js';
import { csvFields, parseMountFlag, parseVolumeSpec, parseVolumesFrom, splitVolumeFlags } from './grammar.js';
import { inMountOrder, inspectMounts, planMounts, removeAnonymousVolumes, volumeMounts } from './plan.js';
import { ANONYMOUS_LABEL, createVolume, findVolume, listVolumes, pruneVolumes, removeVolume } from './store.js';

/** The plan as `create` asks for it: -v parsed, --volumes-from read from the containers' records. */
function plan(p: Paths, req: { binds: string[]; mounts: Mount[]; volumesFrom: string[]; volumes: string[] }): MountPoint[] {
  return planMounts({ ...req, binds: req.binds.map(parseVolumeSpec), mountPointsOf: mountPointsOf(p) });
}

/** init's copy, host-side: the image's directory into the empty volume. */
const copyImageContent = (sys: RecordingSys, from: string, to: string) => copyDataIfEmpty(from, to, sys);

/** The one-line message of the EngineError (exit 125 unless said) that `fn` throws. */
function errorOf(fn: () => unknown, exitCode = 125): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(EngineError);
    expect((e as EngineError).exitCode).toBe(exitCode);
    return (e as Error).message;
  }
  throw new Error('expected an error');
}

describe('-v as docker parses it', () => {
  it.each([
    ['/tmp:/proc', '"/proc" cannot be mounted because it is not of type proc'],
    ['/tmp:/proc/sys', '"/proc/sys" cannot be mounted because it is inside /proc'],
    ['vol1:/proc/1/', '"/proc/1" cannot be mounted because it is inside /proc'],
  ])('refuses -v %s as runc does, in one line', (spec, message) => {
    expect(errorOf(() => parseVolumeSpec(spec))).toContain(message);
  });

  it('lets the /proc files runc allows be covered (-v /host/meminfo:/proc/meminfo), and --mount obeys the same rule', () => {
    expect(parseVolumeSpec('/tmp/meminfo:/proc/meminfo').Destination).toBe('/proc/meminfo');
    expect(errorOf(() => plan(paths(), { binds: [], mounts: [parseMountFlag('type=volume,dst=/proc/self')], volumesFrom: [], volumes: [] }))).toContain('inside /proc');
  });

  it('refuses a volume name longer than a name may be before it reaches the file system', () => {
    expect(errorOf(() => parseVolumeSpec(`${'v'.repeat(300)}:/data`))).toContain('volume name is too long');
  });

  it('parses each -v once: splitVolumeFlags hands create the parsed bind mount points', () => {
    const f = splitVolumeFlags(['/h:/a:ro', 'n1:/b'], [], [], '/work');
    expect(f.BindPoints.map((m) => [m.Type, m.Destination, m.RW])).toEqual([['bind', '/a', false], ['volume', '/b', true]]);
  });

  it('reads a lone absolute path as an anonymous volume, read-write, filled from the image', () => {
    const mp = parseVolumeSpec('/data');
    expect(mp).toMatchObject({ Type: 'volume', Name: '', Destination: '/data', RW: true, Driver: 'local', CopyData: true });
    expect(mp.Spec.Source).toBeUndefined();
  });

  it('reads a source that is not an absolute path as a volume name', () => {
    expect(parseVolumeSpec('cache:/var/cache')).toMatchObject({ Type: 'volume', Name: 'cache', Destination: '/var/cache', RW: true });
  });

  it('reads an absolute source as a bind mount, rprivate, with the mode kept as typed', () => {
    expect(parseVolumeSpec('/home:/test')).toMatchObject({ Type: 'bind', Source: '/home', Destination: '/test', RW: true, Propagation: 'rprivate', Name: '' });
    const ro = parseVolumeSpec('/home:/test:ro');
    expect(ro).toMatchObject({ RW: false, Relabel: 'ro' });
    expect(ro.Spec).toMatchObject({ Type: 'bind', Source: '/home', Target: '/test', ReadOnly: true });
  });

  it('cleans the destination as Go’s path.Clean does', () => {
    expect(parseVolumeSpec('/h:/data/./x/').Destination).toBe('/data/x');
    expect(parseVolumeSpec('/h:/a/../b').Destination).toBe('/b');
  });

  it('accepts z and Z (SELinux labels) and the consistency modes, and ignores them', () => {
    expect(parseVolumeSpec('/h:/d:z').RW).toBe(true);
    expect(parseVolumeSpec('/h:/d:Z,ro').RW).toBe(false);
    expect(parseVolumeSpec('/h:/d:cached').Relabel).toBe('cached');
  });

  it('turns off copyData with nocopy, for volumes only', () => {
    expect(parseVolumeSpec('v1:/d:nocopy').CopyData).toBe(false);
    expect(errorOf(() => parseVolumeSpec('/h:/d:nocopy'))).toContain('field VolumeOptions must not be specified');
  });

  it('refuses a destination with a mode and no source, and too many colons', () => {
    expect(errorOf(() => parseVolumeSpec('/data:ro'))).toBe("invalid volume specification: '/data:ro'");
    expect(errorOf(() => parseVolumeSpec('a:/b:ro:x'))).toBe("invalid volume specification: 'a:/b:ro:x'");
    expect(errorOf(() => parseVolumeSpec(':/b'))).toBe("invalid volume specification: ':/b'");
  });

  it('refuses relative container paths and "/" with docker’s words', () => {
    expect(errorOf(() => parseVolumeSpec('data'))).toBe(`invalid volume specification: 'data': invalid mount config for type "volume": invalid mount path: 'data' mount path must be absolute`);
    expect(errorOf(() => parseVolumeSpec('/h:rel'))).toContain(`invalid mount path: 'rel' mount path must be absolute`);
    expect(errorOf(() => parseVolumeSpec('/h:/'))).toContain("destination can't be '/'");
  });

  it('refuses unknown and repeated options', () => {
    expect(errorOf(() => parseVolumeSpec('/h:/d:bogus'))).toBe('invalid mode: bogus');
    expect(errorOf(() => parseVolumeSpec('/h:/d:ro,rw'))).toBe('invalid mode: ro,rw');
  });

  it('refuses bad volume names before anything exists, with docker’s message', () => {
    expect(errorOf(() => parseVolumeSpec('bad!name:/d'))).toMatch(/^create bad!name: "bad!name" includes invalid characters for a local volume name/);
    expect(errorOf(() => parseVolumeSpec('x:/d'))).toContain('volume name is too short');
  });

  it('says so for propagation it cannot honor, instead of ignoring it', () => {
    expect(errorOf(() => parseVolumeSpec('/h:/d:rshared'))).toContain('not built in minidock');
    expect(parseVolumeSpec('/h:/d:rprivate').Propagation).toBe('rprivate');
  });
});

describe('--mount as docker’s CLI parses it', () => {
  it('defaults to a volume and reads src/dst/readonly in their several spellings', () => {
    expect(parseMountFlag('dst=/data')).toEqual({ Type: 'volume', Target: '/data' });
    expect(parseMountFlag('type=bind,source=/h,target=/d,readonly')).toEqual({ Type: 'bind', Source: '/h', Target: '/d', ReadOnly: true });
    expect(parseMountFlag('type=bind,src=/h,destination=/d,ro=false')).toEqual({ Type: 'bind', Source: '/h', Target: '/d', ReadOnly: false });
  });

  it('makes a "./" source absolute against the working directory', () => {
    expect(parseMountFlag('type=bind,src=./x,dst=/d', '/work').Source).toBe('/work/x');
  });

  it('reads volume options: nocopy and labels', () => {
    const m = parseMountFlag('src=v1,dst=/d,volume-nocopy,volume-label=a=b');
    expect(m.VolumeOptions).toMatchObject({ NoCopy: true, Labels: { a: 'b' } });
  });

  it('refuses unknown keys, lone words, mixed options and a missing target with docker’s words', () => {
    const flag = (v: string) => errorOf(() => parseMountFlag(v));
    expect(flag('foo=bar,dst=/x')).toBe(`invalid argument "foo=bar,dst=/x" for "--mount" flag: unexpected key 'foo' in 'foo=bar'`);
    expect(flag('bogus,dst=/x')).toContain("invalid field 'bogus' must be a key=value pair");
    expect(flag('type=bind,src=/h,dst=/d,volume-nocopy')).toContain("cannot mix 'volume-*' options with mount type 'bind'");
    expect(flag('type=bind,src=/h')).toContain('target is required');
    expect(flag('dst=/d,ro=maybe')).toContain('invalid value for ro: maybe');
  });

  it('checks a bind source exists, which -v does not', () => {
    const p = tempPaths();
    expect(errorOf(() => plan(p, { binds: [], mounts: [parseMountFlag('type=bind,src=/nonexistent-mdtest,dst=/d')], volumesFrom: [], volumes: [] })))
      .toBe('invalid mount config for type "bind": bind mount source path does not exist: /nonexistent-mdtest');
    expect(plan(p, { binds: ['/nonexistent-mdtest:/d'], mounts: [], volumesFrom: [], volumes: [] })[0].SkipMountpointCreation).toBe(false);
  });

  it('splits fields as CSV: a quoted field may hold commas and quotes', () => {
    expect(csvFields('a=1,"b=2,3","c=""x"""')).toEqual(['a=1', 'b=2,3', 'c="x"']);
    expect(() => csvFields('a="x"')).toThrow(/bare "/);
  });
});

describe('--volumes-from', () => {
  it('takes a container and an optional ro/rw mode, nothing else', () => {
    expect(parseVolumesFrom('web')).toEqual({ ref: 'web', mode: 'rw' });
    expect(parseVolumesFrom('web:ro')).toEqual({ ref: 'web', mode: 'ro' });
    expect(errorOf(() => parseVolumesFrom('web:rshared'))).toBe('invalid mode: rshared');
    expect(errorOf(() => parseVolumesFrom('web:nocopy'))).toBe('invalid mode: nocopy');
    expect(errorOf(() => parseVolumesFrom(''))).toContain('cannot be an empty string');
  });
});

describe('splitting the flags like docker’s CLI', () => {
  it('sends -v with a source to Binds and -v /data alone to Config.Volumes', () => {
    const f = splitVolumeFlags(['/h:/a', 'n1:/b', '/c'], [], [], '/work');
    expect(f.Binds).toEqual(['/h:/a', 'n1:/b']);
    expect(f.Volumes).toEqual(['/c']);
    expect(f.VolumesFrom).toBeNull();
    expect(f.Mounts).toBeUndefined();
  });

  it('makes "./dir" and "." sources absolute, and leaves "dir" a volume name', () => {
    expect(splitVolumeFlags(['./x:/a', '.:/b:ro', 'x1:/c'], [], [], '/work').Binds).toEqual(['/work/x:/a', '/work:/b:ro', 'x1:/c']);
  });
});

// ─── with a state directory ───────────────────────────────────────────────────────────────

const roots: string[] = [];
const savedRoot = process.env.MINIDOCK_ROOT;

function tempPaths(): Paths {
  const root = mkdtempSync(path.join(tmpdir(), 'mdtest-volumes-'));
  roots.push(root);
  process.env.MINIDOCK_ROOT = root; // the lock directory follows it
  return paths({ MINIDOCK_ROOT: root });
}

afterAll(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
  if (savedRoot === undefined) delete process.env.MINIDOCK_ROOT;
  else process.env.MINIDOCK_ROOT = savedRoot;
});

/** A container on disk, as far as the volume code reads it. */
function fakeContainer(p: Paths, id: string, name: string, mountPoints: Record<string, MountPoint> = {}): Container {
  const c = {
    ID: id, Created: new Date().toISOString(), Path: 'true', Args: [], Name: `/${name}`, Image: 'sha256:x', Driver: 'vfs', OS: 'linux', LogPath: '',
    Config: {} as Container['Config'], State: newState(), GraphDriver: { Name: 'vfs', Data: {} }, MountPoints: mountPoints,
    Minidock: { InitStartTime: '', Stage: 4, MonitorPid: 0 },
  } as Container;
  mkdirSync(p.container(id), { recursive: true });
  saveContainer(p, c);
  return c;
}

describe('planning mount points', () => {
  let p: Paths;
  beforeEach(() => {
    p = tempPaths();
  });

  it('refuses one destination twice among -v and --mount, and creates nothing', () => {
    expect(errorOf(() => plan(p, { binds: ['aa:/d', 'bb:/d/'], mounts: [], volumesFrom: [], volumes: [] }))).toBe('Duplicate mount point: /d');
    expect(errorOf(() => plan(p, { binds: ['aa:/d'], mounts: [parseMountFlag('src=bb,dst=/d')], volumesFrom: [], volumes: [] }))).toBe('Duplicate mount point: /d');
    expect(listVolumes(p)).toEqual([]);
  });

  it('lets -v NAME:/d win over -v /d, as docker’s Config.Volumes does', () => {
    const points = plan(p, { binds: ['named:/d'], mounts: [], volumesFrom: [], volumes: ['/d'] });
    expect(points).toHaveLength(1);
    expect(points[0].Name).toBe('named');
  });

  it('gives -v volumes the mode "z" that docker’s inspect shows, and anonymous ones none', () => {
    const points = plan(p, { binds: ['named:/d'], mounts: [], volumesFrom: [], volumes: ['/e'] });
    expect(points.map((m) => m.Relabel)).toEqual(['z', undefined]);
  });

  it('copies the mount points of --volumes-from, read-only with :ro, never filled again', () => {
    const src: MountPoint = { Source: '/v/_data', Destination: '/shared', RW: true, Name: 'abc', Driver: 'local', Type: 'volume', Spec: {}, SkipMountpointCreation: false, CopyData: true };
    fakeContainer(p, 'a'.repeat(64), 'donor', { '/shared': src });
    const [rw] = plan(p, { binds: [], mounts: [], volumesFrom: ['donor'], volumes: [] });
    expect(rw).toMatchObject({ Name: 'abc', Source: '/v/_data', RW: true, CopyData: false });
    const [ro] = plan(p, { binds: [], mounts: [], volumesFrom: ['donor:ro'], volumes: [] });
    expect(ro.RW).toBe(false);
    expect(errorOf(() => plan(p, { binds: [], mounts: [], volumesFrom: ['nobody'], volumes: [] }))).toBe('no such container: nobody');
  });
});

describe('the volume store', () => {
  let p: Paths;
  beforeEach(() => {
    p = tempPaths();
  });

  it('creates volumes/<name>/_data and metadata.json, and returns an existing volume unchanged', () => {
    const v = createVolume(p, 'data1', { team: 'a' });
    expect(v).toMatchObject({ Name: 'data1', Driver: 'local', Labels: { team: 'a' }, Scope: 'local', Mountpoint: path.join(p.volumes, 'data1', '_data') });
    expect(statSync(v.Mountpoint).isDirectory()).toBe(true);
    expect(statSync(p.volumes).mode & 0o777).toBe(0o701);
    expect(JSON.parse(readFileSync(path.join(p.volumes, 'data1', 'metadata.json'), 'utf8'))).toMatchObject({ Name: 'data1', Labels: { team: 'a' } });
    expect(createVolume(p, 'data1', null).CreatedAt).toBe(v.CreatedAt);
    expect(createVolume(p, 'data1', null).Labels).toEqual({ team: 'a' });
  });

  it('names an unnamed volume with 64 hex digits', () => {
    expect(createVolume(p).Name).toMatch(/^[0-9a-f]{64}$/);
  });

  it('refuses to remove a volume any container names, even a stopped one, with docker’s message', () => {
    createVolume(p, 'used1');
    const id = 'b'.repeat(64);
    fakeContainer(p, id, 'user', { '/d': { Source: '', Destination: '/d', RW: true, Name: 'used1', Driver: 'local', Type: 'volume', Spec: { Type: 'volume', Source: 'used1', Target: '/d' }, SkipMountpointCreation: false } });
    expect(usersOf(p)('used1')).toEqual([id]);
    expect(errorOf(() => removeVolume(p, 'used1', usersOf(p)), 1)).toBe(`remove used1: volume is in use - [${id}]`);
    expect(findVolume(p, 'used1')).not.toBeNull();
  });

  it('says "no such volume" with exit 1, unless told to ignore it', () => {
    expect(errorOf(() => removeVolume(p, 'ghost', usersOf(p)), 1)).toBe('get ghost: no such volume');
    expect(() => removeVolume(p, 'ghost', usersOf(p), { ignoreMissing: true })).not.toThrow();
  });

  it('prunes unused anonymous volumes only, all unused ones with all', () => {
    const anon = createVolume(p, undefined, { [ANONYMOUS_LABEL]: '' });
    writeFileSync(path.join(anon.Mountpoint, 'f'), 'x'.repeat(100));
    createVolume(p, 'named1');
    expect(pruneVolumes(p, false, usersOf(p))).toEqual({ deleted: [anon.Name], reclaimed: 100 });
    expect(pruneVolumes(p, true, usersOf(p)).deleted).toEqual(['named1']);
    expect(listVolumes(p)).toEqual([]);
  });
});

describe('creating a container’s volumes, and rm -v', () => {
  it('makes named and anonymous volumes, records them, and rm -v removes only the anonymous one', () => {
    const p = tempPaths();
    const c = fakeContainer(p, 'c'.repeat(64), 'box');
    createMounts(p, c, plan(p, { binds: ['keep1:/named'], mounts: [], volumesFrom: [], volumes: ['/anon'] }));
    const saved = JSON.parse(readFileSync(path.join(p.container(c.ID), 'config.v2.json'), 'utf8')) as Container;
    const anon = saved.MountPoints!['/anon'];
    expect(anon.Name).toMatch(/^[0-9a-f]{64}$/);
    expect(anon.Source).toBe(path.join(p.volumes, anon.Name, '_data'));
    expect(findVolume(p, anon.Name)!.Labels).toEqual({ [ANONYMOUS_LABEL]: '' });
    removeAnonymousVolumes(p, saved.ID, saved.MountPoints ?? {}, usersOf(p));
    expect(findVolume(p, anon.Name)).toBeNull();
    expect(findVolume(p, 'keep1')).not.toBeNull();
  });

  it('keeps an anonymous volume that another container uses through --volumes-from', () => {
    const p = tempPaths();
    const a = fakeContainer(p, 'd'.repeat(64), 'donor');
    createMounts(p, a, plan(p, { binds: [], mounts: [], volumesFrom: [], volumes: ['/shared'] }));
    const b = fakeContainer(p, 'e'.repeat(64), 'taker');
    createMounts(p, b, plan(p, { binds: [], mounts: [], volumesFrom: ['donor'], volumes: [] }));
    const name = b.MountPoints!['/shared'].Name;
    removeAnonymousVolumes(p, b.ID, b.MountPoints ?? {}, usersOf(p));
    expect(findVolume(p, name)).not.toBeNull();
  });

  it('removes the volumes it made when recording the container fails', () => {
    const p = tempPaths();
    const c = fakeContainer(p, 'f'.repeat(64), 'doomed');
    rmSync(p.container(c.ID), { recursive: true }); // saving config.v2.json will fail
    expect(() => createMounts(p, c, plan(p, { binds: ['made1:/a'], mounts: [], volumesFrom: [], volumes: ['/b'] }))).toThrow();
    expect(listVolumes(p)).toEqual([]);
  });
});

describe('what init is told to mount', () => {
  const bind: MountPoint = { Source: '', Destination: '/host', RW: false, Name: '', Driver: '', Type: 'bind', Spec: {}, SkipMountpointCreation: false, Propagation: 'rprivate' };
  const vol: MountPoint = { Source: '/v/x/_data', Destination: '/data', RW: true, Name: 'x', Driver: 'local', Type: 'volume', Spec: {}, SkipMountpointCreation: false, CopyData: true };

  it('asks for copyData at the first start only, and creates a missing -v bind source', () => {
    const source = path.join(mkdtempSync(path.join(tmpdir(), 'mdtest-bind-')), 'made', 'here');
    roots.push(path.dirname(path.dirname(source)));
    const c = { MountPoints: { '/host': { ...bind, Source: source }, '/data': vol }, State: newState() } as unknown as Container;
    const specs = volumeMounts(c.MountPoints ?? {}, c.State.StartedAt === ZERO_TIME);
    expect(specs).toContainEqual({ source, target: '/host', type: 'bind', readonly: true });
    expect(specs).toContainEqual({ source: '/v/x/_data', target: '/data', type: 'bind', readonly: false, copyData: true });
    expect(existsSync(source)).toBe(true);
    c.State.StartedAt = '2024-01-01T00:00:00Z';
    expect(volumeMounts(c.MountPoints ?? {}, c.State.StartedAt === ZERO_TIME).find((m) => m.target === '/data')!.copyData).toBeUndefined();
  });

  it('orders mounts parents first, and keeps the given order at equal depth', () => {
    const m = (target: string, source = target) => ({ source, target, type: 'bind', readonly: false });
    expect(inMountOrder([m('/etc/hosts', 'engine'), m('/data/sub'), m('/etc'), m('/etc/hosts', 'user')]).map((x) => `${x.target}:${x.source}`))
      .toEqual(['/etc:/etc', '/etc/hosts:engine', '/data/sub:/data/sub', '/etc/hosts:user']);
  });

  it('shows docker inspect’s Mounts: volumes with Name and Driver, binds without', () => {
    const c = { MountPoints: { '/host': { ...bind, Source: '/h' }, '/data': vol } } as unknown as Container;
    expect(inspectMounts(c.MountPoints ?? {})).toEqual([
      { Type: 'volume', Name: 'x', Source: '/v/x/_data', Destination: '/data', Driver: 'local', Mode: '', RW: true, Propagation: '' },
      { Type: 'bind', Source: '/h', Destination: '/host', Mode: '', RW: false, Propagation: 'rprivate' },
    ]);
  });
});

describe('copyData', () => {
  function dirs() {
    const base = mkdtempSync(path.join(tmpdir(), 'mdtest-copy-'));
    roots.push(base);
    const image = path.join(base, 'image');
    const volume = path.join(base, 'volume');
    mkdirSync(image);
    mkdirSync(volume);
    return { image, volume };
  }

  it('copies files, directories, symlinks and hard links with their modes and times', () => {
    const { image, volume } = dirs();
    mkdirSync(path.join(image, 'sub'), { mode: 0o750 });
    writeFileSync(path.join(image, 'sub', 'a.txt'), 'alpha', { mode: 0o640 });
    linkSync(path.join(image, 'sub', 'a.txt'), path.join(image, 'hard'));
    symlinkSync('sub/a.txt', path.join(image, 'link'));
    utimesSync(path.join(image, 'sub', 'a.txt'), 1000, 2000);
    utimesSync(path.join(image, 'sub'), 3000, 4000);
    const sys = new RecordingSys();
    expect(copyImageContent(sys, image, volume)).toBe(true);
    expect(readFileSync(path.join(volume, 'sub', 'a.txt'), 'utf8')).toBe('alpha');
    expect(statSync(path.join(volume, 'sub', 'a.txt')).mode & 0o777).toBe(0o640);
    expect(statSync(path.join(volume, 'sub')).mode & 0o777).toBe(0o750);
    expect(statSync(path.join(volume, 'sub', 'a.txt')).mtimeMs).toBe(2000_000);
    expect(statSync(path.join(volume, 'sub')).mtimeMs).toBe(4000_000);
    expect(readlinkSync(path.join(volume, 'link'))).toBe('sub/a.txt');
    expect(statSync(path.join(volume, 'hard')).ino).toBe(statSync(path.join(volume, 'sub', 'a.txt')).ino);
  });

  it('gives the volume’s root the owner and mode of the image’s directory', () => {
    const { image, volume } = dirs();
    execFileSync('chmod', ['0700', image]);
    copyImageContent(new RecordingSys(), image, volume);
    expect(statSync(volume).mode & 0o777).toBe(0o700);
  });

  it('makes FIFOs and device nodes with mknod', () => {
    const { image, volume } = dirs();
    execFileSync('mkfifo', [path.join(image, 'pipe')]);
    const sys = new RecordingSys();
    let made = false;
    sys.mknod = (p: string, mode: number) => {
      made = p === path.join(volume, 'pipe') && (mode & 0o170000) === 0o010000;
      execFileSync('mkfifo', [p]);
    };
    copyImageContent(sys, image, volume);
    expect(made).toBe(true);
    expect(lstatSync(path.join(volume, 'pipe')).isFIFO()).toBe(true);
  });

  it('leaves a volume that holds anything untouched', () => {
    const { image, volume } = dirs();
    writeFileSync(path.join(image, 'from-image'), 'x');
    writeFileSync(path.join(volume, 'mine'), 'y');
    expect(copyImageContent(new RecordingSys(), image, volume)).toBe(false);
    expect(existsSync(path.join(volume, 'from-image'))).toBe(false);
  });

  it('does nothing when the image has no directory there', () => {
    const { image, volume } = dirs();
    expect(copyImageContent(new RecordingSys(), path.join(image, 'missing'), volume)).toBe(false);
    writeFileSync(path.join(image, 'file'), 'x');
    expect(copyImageContent(new RecordingSys(), path.join(image, 'file'), volume)).toBe(false);
  });
});
