// cgroups on fake cgroupfs trees: detection of the version, the cgroup's directories, and the
// limit files that config.json's linux.resources (OCI's names) turn into, on v1 and v2. (How
// docker's flags become those resources is lib/container's business: see bundle.test.ts.)

import { existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { EngineError } from '../../errors.js';
import { RecordingSys } from '../../sys/fake.js';
import { cgroupMounts, defaultCgroupPath, detectCgroupVersion, listMinidockCgroups, openCgroup, v1Hierarchies } from './index.js';
import { CgroupV1, v1LimitWrites } from './v1.js';
import { CgroupV2, sharesToWeight, sharesToWeightLinear, v2LimitWrites } from './v2.js';

// Every cgroupfs change is traced; record the lines instead of printing them.
const traced = vi.hoisted(() => [] as string[]);
vi.mock('../../sys/trace.js', () => ({ trace: (line: string) => traced.push(line) }));

const MiB = 1024 * 1024;
const ID = 'c0ffee';
/** the cgroup path the engine gives container ID: minidock/<id> under each hierarchy's root */
const CG = `minidock/${ID}`;

// ---------------------------------------------------------------------------------------------
// Three layouts, as /proc/self/mountinfo shows them.

/** This machine: v1 hybrid, cpu and cpuacct mounted separately, systemd's cgroup2 at unified/. */
const HYBRID = `\
22 1 254:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw
23 22 0:21 / /sys rw,nosuid,nodev,noexec,relatime shared:2 - sysfs sysfs rw
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
36 31 0:33 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices
37 31 0:34 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer
38 31 0:35 / /sys/fs/cgroup/blkio rw,relatime - cgroup cgroup rw,blkio
39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
`;

/** A classic systemd v1 host (Debian 10, Ubuntu 20.04): cpu and cpuacct share one hierarchy. */
const V1_COMBINED = `\
25 21 0:22 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755
26 25 0:23 / /sys/fs/cgroup/unified rw,nosuid,nodev,noexec,relatime shared:10 - cgroup2 cgroup2 rw,nsdelegate
27 25 0:24 / /sys/fs/cgroup/systemd rw,nosuid,nodev,noexec,relatime shared:11 - cgroup cgroup rw,xattr,name=systemd
30 25 0:27 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:14 - cgroup cgroup rw,cpu,cpuacct
31 25 0:28 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:15 - cgroup cgroup rw,memory
32 25 0:29 / /sys/fs/cgroup/pids rw,nosuid,nodev,noexec,relatime shared:16 - cgroup cgroup rw,pids
33 25 0:30 / /sys/fs/cgroup/cpuset rw,nosuid,nodev,noexec,relatime shared:17 - cgroup cgroup rw,cpuset
34 25 0:31 / /sys/fs/cgroup/net_cls,net_prio rw,nosuid,nodev,noexec,relatime shared:18 - cgroup cgroup rw,net_cls,net_prio
35 25 0:32 / /sys/fs/cgroup/blkio rw,nosuid,nodev,noexec,relatime shared:19 - cgroup cgroup rw,blkio
`;

/** Ubuntu 24.04: the unified tree on /sys/fs/cgroup itself. */
const PURE_V2 = `\
22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw,discard
24 22 0:22 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw
26 24 0:24 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot
`;

// ---------------------------------------------------------------------------------------------
// Fake cgroupfs trees in a temp dir. A real cgroupfs fills every new directory with its files;
// a plain filesystem does not, so `kernelMkdir` plays the kernel's part ahead of time.

const V1_FILES: Record<string, Record<string, string>> = {
  memory: {
    'memory.limit_in_bytes': '9223372036854771712',
    'memory.memsw.limit_in_bytes': '9223372036854771712',
    'memory.soft_limit_in_bytes': '9223372036854771712',
    'memory.usage_in_bytes': '0',
    'memory.failcnt': '0',
    'memory.oom_control': 'oom_kill_disable 0\nunder_oom 0\noom_kill 0',
    'memory.stat': 'cache 0\ntotal_inactive_file 0',
  },
  cpu: { 'cpu.cfs_period_us': '100000', 'cpu.cfs_quota_us': '-1', 'cpu.shares': '1024' },
  cpuacct: { 'cpuacct.usage': '0' },
  cpuset: { 'cpuset.cpus': '', 'cpuset.mems': '' },
  pids: { 'pids.max': 'max', 'pids.current': '0' },
};

let root: string;
beforeEach(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'minidock-cgroups-'));
  traced.length = 0;
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

/** Write a fake kernel file (the test's side of cgroupfs). */
function put(file: string, content: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, content + '\n');
}

/** What a cgroup file holds now, trimmed the way `cat` shows it. */
function cat(file: string): string {
  return readFileSync(file, 'utf8').trim();
}

/** The hierarchy roots of a v1 layout, with the root cgroup's files. */
function fakeV1(mountinfo: string): void {
  for (const [controller, dir] of Object.entries(v1Hierarchies(mountinfo, root))) {
    put(path.join(dir, 'cgroup.procs'), '1\n42');
    if (controller === 'cpuset') {
      put(path.join(dir, 'cpuset.cpus'), '0-1');
      put(path.join(dir, 'cpuset.mems'), '0');
    }
  }
}

/** Do what the kernel does on mkdir in a v1 hierarchy: the directory appears with its files. */
function kernelMkdirV1(mountinfo: string, rel: string, opts: { swapAccounting?: boolean } = {}): void {
  for (const [controller, dir] of Object.entries(v1Hierarchies(mountinfo, root))) {
    put(path.join(dir, rel, 'cgroup.procs'), '');
    for (const [file, value] of Object.entries(V1_FILES[controller] ?? {})) {
      if (file.startsWith('memory.memsw') && opts.swapAccounting === false) continue;
      put(path.join(dir, rel, file), value);
    }
  }
}

/** A pure v2 tree: the root offers these controllers and hands none down yet. */
function fakeV2(offered = 'cpuset cpu io memory hugetlb pids', subtreeControl = ''): string {
  const tree = root;
  put(path.join(tree, 'cgroup.controllers'), offered);
  put(path.join(tree, 'cgroup.subtree_control'), subtreeControl);
  put(path.join(tree, 'cgroup.procs'), '1\n42');
  return tree;
}

/** The files a v2 directory has once cpu, memory, pids and cpuset are enabled for it. */
function kernelMkdirV2(rel: string, opts: { swapAccounting?: boolean } = {}): void {
  const dir = path.join(root, rel);
  const files: Record<string, string> = {
    'cgroup.procs': '',
    'cgroup.controllers': 'cpuset cpu io memory pids',
    'cgroup.subtree_control': '',
    'memory.max': 'max',
    'memory.low': '0',
    'memory.current': '0',
    'memory.events': 'low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\noom_group_kill 0',
    'memory.stat': 'anon 0\nfile 0\ninactive_file 0',
    'cpu.max': 'max 100000',
    'cpu.weight': '100',
    'cpu.stat': 'usage_usec 0\nuser_usec 0\nsystem_usec 0',
    'cpuset.cpus': '',
    'cpuset.mems': '',
    'pids.max': 'max',
    'pids.current': '0',
  };
  if (opts.swapAccounting !== false) files['memory.swap.max'] = 'max';
  for (const [file, value] of Object.entries(files)) put(path.join(dir, file), value);
}

/** A cgroup as the kernel would let rmdir remove it: its interface files do not count. */
function emptyForRmdir(dir: string): void {
  for (const f of readdirSync(dir)) unlinkSync(path.join(dir, f));
}

// ---------------------------------------------------------------------------------------------

describe('detecting the cgroup version', () => {
  it('says v1 on a hybrid host, where cgroup2 at /sys/fs/cgroup/unified holds no controllers', () => {
    expect(detectCgroupVersion(HYBRID)).toBe(1);
  });

  it('says v1 on a host where cpu and cpuacct share one hierarchy', () => {
    expect(detectCgroupVersion(V1_COMBINED)).toBe(1);
  });

  it('says v2 when cgroup2 is mounted on /sys/fs/cgroup itself', () => {
    expect(detectCgroupVersion(PURE_V2)).toBe(2);
  });

  it('says v2 when the only v1 hierarchy is a named one with no controllers', () => {
    const namedOnly = `\
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
`;
    expect(detectCgroupVersion(namedOnly)).toBe(2);
  });

  it('fails with a one-line engine error when no cgroup filesystem is mounted', () => {
    expect(() => detectCgroupVersion('22 1 8:1 / / rw - ext4 /dev/sda1 rw\n')).toThrow(EngineError);
  });

  it('reads each v1 controller’s mount point, cpu and cpuacct sharing one on a combined host', () => {
    expect(v1Hierarchies(HYBRID)).toMatchObject({
      cpu: '/sys/fs/cgroup/cpu',
      cpuacct: '/sys/fs/cgroup/cpuacct',
      memory: '/sys/fs/cgroup/memory',
    });
    const combined = v1Hierarchies(V1_COMBINED);
    expect(combined.cpu).toBe('/sys/fs/cgroup/cpu,cpuacct');
    expect(combined.cpuacct).toBe('/sys/fs/cgroup/cpu,cpuacct');
    expect(combined.net_prio).toBe('/sys/fs/cgroup/net_cls,net_prio');
    expect(combined).not.toHaveProperty('name=systemd');
    expect(combined).not.toHaveProperty('rw');
  });

  it('moves mount points into a fake root for tests', () => {
    expect(v1Hierarchies(HYBRID, '/tmp/fake').memory).toBe('/tmp/fake/memory');
  });

  it('decodes octal escapes in mount points', () => {
    const mounts = cgroupMounts('40 31 0:37 / /mnt/my\\040cgroups rw - cgroup cgroup rw,pids\n');
    expect(mounts).toEqual([{ mountPoint: '/mnt/my cgroups', fsType: 'cgroup', source: 'cgroup', superOptions: ['rw', 'pids'] }]);
  });
});

describe('openCgroup', () => {
  it('opens a v1 cgroup on v1 hosts and a v2 cgroup on v2 hosts', () => {
    expect(openCgroup(CG, { root, mountinfo: HYBRID })).toBeInstanceOf(CgroupV1);
    expect(openCgroup(CG, { root, mountinfo: PURE_V2 })).toBeInstanceOf(CgroupV2);
  });

  it('gives a container minidock/<id> when config.json names no cgroup path, as docker gives docker/<id>', () => {
    expect(defaultCgroupPath(ID)).toBe('minidock/c0ffee');
  });

  it('takes config.json’s cgroupsPath under each hierarchy’s root, with or without a leading slash', () => {
    expect(openCgroup('/minidock/c0ffee', { root, mountinfo: PURE_V2 }).paths).toEqual([path.join(root, 'minidock', ID)]);
    expect(openCgroup('default/ctr/x', { root, mountinfo: PURE_V2 }).paths).toEqual([path.join(root, 'default', 'ctr', 'x')]);
    expect(openCgroup('/k8s.io/pod:1', { root, mountinfo: HYBRID }).paths[0]).toBe(path.join(root, 'memory', 'k8s.io', 'pod:1'));
  });

  it('refuses a path that is empty, climbs out of the root, or holds odd characters, naming it', () => {
    for (const bad of ['', '/', '..', '../x', 'minidock/../..', 'a/./b', 'a b', 'a\nb']) {
      expect(() => openCgroup(bad, { root, mountinfo: HYBRID })).toThrow(new EngineError(`invalid cgroup path ${JSON.stringify(bad)}`));
    }
  });
});

describe('cgroup v1 (hybrid host, as on this machine)', () => {
  it('lists one directory per hierarchy it uses, devices and freezer among them where they are mounted', () => {
    const cg = openCgroup(CG, { root, mountinfo: HYBRID });
    expect(cg.version).toBe(1);
    expect(cg.paths).toEqual(['memory', 'cpu', 'cpuacct', 'cpuset', 'pids', 'devices', 'freezer'].map((c) => path.join(root, c, 'minidock', ID)));
  });

  it('creates minidock/<id> in those hierarchies and nowhere else', () => {
    fakeV1(HYBRID);
    const cg = openCgroup(CG, { root, mountinfo: HYBRID });
    cg.create();
    for (const p of cg.paths) expect(existsSync(p)).toBe(true);
    for (const other of ['blkio', 'systemd', 'unified']) {
      expect(existsSync(path.join(root, other, 'minidock'))).toBe(false);
    }
    // The root cgroups are left as they were.
    expect(cat(path.join(root, 'memory', 'cgroup.procs'))).toBe('1\n42');
  });

  it('copies the parent’s cpuset.cpus and cpuset.mems into minidock/ and minidock/<id>', () => {
    fakeV1(HYBRID);
    kernelMkdirV1(HYBRID, 'minidock');
    kernelMkdirV1(HYBRID, `minidock/${ID}`);
    openCgroup(CG, { root, mountinfo: HYBRID }).create();
    for (const dir of ['minidock', `minidock/${ID}`]) {
      expect(cat(path.join(root, 'cpuset', dir, 'cpuset.cpus'))).toBe('0-1');
      expect(cat(path.join(root, 'cpuset', dir, 'cpuset.mems'))).toBe('0');
    }
  });

  it('leaves a cpuset that is already set alone', () => {
    fakeV1(HYBRID);
    kernelMkdirV1(HYBRID, 'minidock');
    put(path.join(root, 'cpuset', 'minidock', 'cpuset.cpus'), '1');
    openCgroup(CG, { root, mountinfo: HYBRID }).create();
    expect(cat(path.join(root, 'cpuset', 'minidock', 'cpuset.cpus'))).toBe('1');
    expect(cat(path.join(root, 'cpuset', 'minidock', ID, 'cpuset.cpus'))).toBe('1');
  });

  it('writes config.json’s resources into the v1 limit files', () => {
    fakeV1(HYBRID);
    kernelMkdirV1(HYBRID, 'minidock');
    kernelMkdirV1(HYBRID, `minidock/${ID}`);
    const cg = openCgroup(CG, { root, mountinfo: HYBRID });
    cg.create();
    cg.apply({
      memory: { limit: 32 * MiB, swap: 64 * MiB, reservation: 16 * MiB },
      cpu: { period: 100000, quota: 50000, shares: 512, cpus: '0' },
      pids: { limit: 20 },
    });
    const f = (c: string, file: string) => cat(path.join(root, c, 'minidock', ID, file));
    expect(f('memory', 'memory.limit_in_bytes')).toBe(String(32 * MiB));
    expect(f('memory', 'memory.memsw.limit_in_bytes')).toBe(String(64 * MiB));
    expect(f('memory', 'memory.soft_limit_in_bytes')).toBe(String(16 * MiB));
    expect(f('cpu', 'cpu.cfs_period_us')).toBe('100000');
    expect(f('cpu', 'cpu.cfs_quota_us')).toBe('50000');
    expect(f('cpu', 'cpu.shares')).toBe('512');
    expect(f('cpuset', 'cpuset.cpus')).toBe('0');
    expect(f('cpuset', 'cpuset.mems')).toBe('0');
    expect(f('pids', 'pids.max')).toBe('20');
  });

  it('writes the CFS period and quota as given, period first', () => {
    expect(v1LimitWrites({ cpu: { quota: 25000, period: 50000 } }, true)).toEqual([
      ['cpu.cfs_period_us', '50000'],
      ['cpu.cfs_quota_us', '25000'],
    ]);
  });

  it('writes nothing for resources that are not set, or set to 0', () => {
    expect(v1LimitWrites({}, true)).toEqual([]);
    expect(v1LimitWrites({ memory: {}, cpu: {}, devices: [] }, true)).toEqual([]);
    expect(v1LimitWrites({ memory: { limit: 0 }, cpu: { shares: 0, quota: 0 }, pids: { limit: 0 } }, true)).toEqual([]);
  });

  it('writes pids.max as max for the spec’s -1 (no limit)', () => {
    expect(v1LimitWrites({ pids: { limit: -1 } }, true)).toEqual([['pids.max', 'max']]);
  });

  it('writes the device rules in order: "a" for all devices, else type major:minor access, * for a wildcard', () => {
    const devices = [
      { allow: false, access: 'rwm' },
      { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' },
      { allow: true, type: 'c', major: 136, minor: null, access: 'rw' },
      { allow: false, type: 'b', major: 8 },
    ];
    expect(v1LimitWrites({ devices }, true)).toEqual([
      ['devices.deny', 'a'],
      ['devices.allow', 'c 1:3 rwm'],
      ['devices.allow', 'c 136:* rw'],
      ['devices.deny', 'b 8:* rwm'],
    ]);
  });

  it('skips memory.memsw.limit_in_bytes when swap accounting is off', () => {
    fakeV1(HYBRID);
    kernelMkdirV1(HYBRID, `minidock/${ID}`, { swapAccounting: false });
    const cg = openCgroup(CG, { root, mountinfo: HYBRID });
    cg.apply({ memory: { limit: 32 * MiB, swap: 64 * MiB } });
    expect(cat(path.join(root, 'memory', 'minidock', ID, 'memory.limit_in_bytes'))).toBe(String(32 * MiB));
    expect(existsSync(path.join(root, 'memory', 'minidock', ID, 'memory.memsw.limit_in_bytes'))).toBe(false);
    expect(traced.some((l) => l.startsWith('# no memory.memsw.limit_in_bytes'))).toBe(true);
  });

  it('orders the two memory writes so memory never exceeds memory+swap', () => {
    const lowering = v1LimitWrites({ memory: { limit: 64 * MiB, swap: 128 * MiB } }, true, BigInt(256 * MiB));
    expect(lowering.map(([file]) => file)).toEqual(['memory.limit_in_bytes', 'memory.memsw.limit_in_bytes']);
    const raising = v1LimitWrites({ memory: { limit: 256 * MiB, swap: 512 * MiB } }, true, BigInt(64 * MiB));
    expect(raising.map(([file]) => file)).toEqual(['memory.memsw.limit_in_bytes', 'memory.limit_in_bytes']);
    const unlimitedSwap = v1LimitWrites({ memory: { limit: 64 * MiB, swap: -1 } }, true, BigInt(256 * MiB));
    expect(unlimitedSwap).toEqual([
      ['memory.memsw.limit_in_bytes', '-1'],
      ['memory.limit_in_bytes', String(64 * MiB)],
    ]);
  });

  it('writes memory first on a fresh cgroup, whose limits are unlimited', () => {
    expect(v1LimitWrites({ memory: { limit: 32 * MiB, swap: 64 * MiB } }, true).map(([file]) => file)).toEqual([
      'memory.limit_in_bytes',
      'memory.memsw.limit_in_bytes',
    ]);
  });

  it('adds a process to cgroup.procs in every hierarchy and lists it', () => {
    fakeV1(HYBRID);
    const cg = openCgroup(CG, { root, mountinfo: HYBRID });
    cg.create();
    cg.addProcess(4242);
    for (const p of cg.paths) expect(cat(path.join(p, 'cgroup.procs'))).toBe('4242');
    expect(cg.procs()).toEqual([4242]);
  });

  it('reports an OOM kill from the oom_kill line of memory.oom_control', () => {
    fakeV1(HYBRID);
    kernelMkdirV1(HYBRID, `minidock/${ID}`);
    const cg = openCgroup(CG, { root, mountinfo: HYBRID });
    expect(cg.oomKilled()).toBe(false);
    put(path.join(root, 'memory', 'minidock', ID, 'memory.oom_control'), 'oom_kill_disable 0\nunder_oom 0\noom_kill 1');
    expect(cg.oomKilled()).toBe(true);
  });

  it('falls back to memory.failcnt on kernels older than 4.13 (no oom_kill line)', () => {
    fakeV1(HYBRID);
    kernelMkdirV1(HYBRID, `minidock/${ID}`);
    const dir = path.join(root, 'memory', 'minidock', ID);
    put(path.join(dir, 'memory.oom_control'), 'oom_kill_disable 0\nunder_oom 0');
    const cg = openCgroup(CG, { root, mountinfo: HYBRID });
    expect(cg.oomKilled()).toBe(false);
    put(path.join(dir, 'memory.failcnt'), '3');
    expect(cg.oomKilled()).toBe(true);
  });

  it('reports usage as docker stats does: CPU ns, memory without inactive file pages, limit, tasks', () => {
    fakeV1(HYBRID);
    kernelMkdirV1(HYBRID, `minidock/${ID}`);
    const at = (c: string, f: string) => path.join(root, c, 'minidock', ID, f);
    put(at('cpuacct', 'cpuacct.usage'), '123456789012');
    put(at('memory', 'memory.usage_in_bytes'), String(10 * MiB));
    put(at('memory', 'memory.stat'), `cache ${3 * MiB}\ntotal_inactive_file ${2 * MiB}`);
    put(at('memory', 'memory.limit_in_bytes'), String(32 * MiB));
    put(at('pids', 'pids.current'), '3');
    expect(openCgroup(CG, { root, mountinfo: HYBRID }).stats()).toEqual({
      cpuUsageNs: 123456789012n,
      memoryUsage: 8 * MiB,
      memoryLimit: 32 * MiB,
      pids: 3,
    });
  });

  it('shows the host’s memory as the limit when there is none', () => {
    fakeV1(HYBRID);
    kernelMkdirV1(HYBRID, `minidock/${ID}`);
    expect(openCgroup(CG, { root, mountinfo: HYBRID }).stats().memoryLimit).toBe(os.totalmem());
  });

  it('removes minidock/<id> everywhere but keeps the shared minidock/ parent', () => {
    fakeV1(HYBRID);
    const cg = openCgroup(CG, { root, mountinfo: HYBRID });
    cg.create();
    for (const p of cg.paths) emptyForRmdir(p);
    cg.destroy();
    for (const p of cg.paths) {
      expect(existsSync(p)).toBe(false);
      expect(existsSync(path.dirname(p))).toBe(true);
    }
  });

  it('destroys a cgroup that is already gone without complaint', () => {
    fakeV1(HYBRID);
    expect(() => openCgroup(CG, { root, mountinfo: HYBRID }).destroy()).not.toThrow();
  });

  it('still removes the other hierarchies when one rmdir fails, then names the errno', () => {
    fakeV1(HYBRID);
    const cg = openCgroup(CG, { root, mountinfo: HYBRID });
    cg.create();
    for (const p of cg.paths) if (!p.includes('/cpuset/')) emptyForRmdir(p);
    // cpuset/ keeps the files create() wrote: a plain filesystem says ENOTEMPTY
    expect(() => cg.destroy()).toThrow(new RegExp(`^rmdir\\(${root}/cpuset/minidock/${ID}\\): ENOTEMPTY$`));
    expect(cg.paths.filter((p) => existsSync(p))).toEqual([path.join(root, 'cpuset', 'minidock', ID)]);
  });

  it('refuses a limit whose hierarchy is not mounted', () => {
    const noPids = HYBRID.split('\n').filter((l) => !l.includes('/pids ')).join('\n');
    fakeV1(noPids);
    const cg = openCgroup(CG, { root, mountinfo: noPids });
    cg.create();
    expect(() => cg.apply({ pids: { limit: 20 } })).toThrow('cannot set pids.max: the pids cgroup hierarchy is not mounted');
  });

  it('traces every mkdir, write and rmdir as a shell command', () => {
    fakeV1(HYBRID);
    const cg = openCgroup(CG, { root, mountinfo: HYBRID });
    cg.create();
    cg.apply({ cpu: { period: 100000, quota: 20000 } });
    cg.addProcess(7);
    expect(traced).toContain(`mkdir -p ${root}/memory/minidock`);
    expect(traced).toContain(`mkdir -p ${root}/memory/minidock/${ID}`);
    expect(traced).toContain(`echo 0-1 > ${root}/cpuset/minidock/cpuset.cpus`);
    expect(traced).toContain(`echo 20000 > ${root}/cpu/minidock/${ID}/cpu.cfs_quota_us`);
    expect(traced).toContain(`echo 7 > ${root}/pids/minidock/${ID}/cgroup.procs`);
    for (const p of cg.paths) emptyForRmdir(p);
    cg.destroy();
    expect(traced).toContain(`rmdir ${root}/cpuacct/minidock/${ID}`);
  });
});

describe('cgroup v1 (cpu and cpuacct combined)', () => {
  it('creates one directory for the shared cpu,cpuacct hierarchy', () => {
    fakeV1(V1_COMBINED);
    const cg = openCgroup(CG, { root, mountinfo: V1_COMBINED });
    cg.create();
    expect(cg.paths).toEqual(['memory', 'cpu,cpuacct', 'cpuset', 'pids'].map((c) => path.join(root, c, 'minidock', ID)));
  });

  it('writes the CFS quota into the combined hierarchy and reads cpuacct.usage from it', () => {
    fakeV1(V1_COMBINED);
    kernelMkdirV1(V1_COMBINED, `minidock/${ID}`);
    const cg = openCgroup(CG, { root, mountinfo: V1_COMBINED });
    cg.apply({ cpu: { period: 100000, quota: 150000 } });
    const dir = path.join(root, 'cpu,cpuacct', 'minidock', ID);
    expect(cat(path.join(dir, 'cpu.cfs_quota_us'))).toBe('150000');
    put(path.join(dir, 'cpuacct.usage'), '42');
    expect(cg.stats().cpuUsageNs).toBe(42n);
  });
});

describe('cgroup v2', () => {
  it('has one directory, minidock/<id> in the unified tree', () => {
    fakeV2();
    const cg = openCgroup(CG, { root, mountinfo: PURE_V2 });
    expect(cg.version).toBe(2);
    expect(cg.paths).toEqual([path.join(root, 'minidock', ID)]);
  });

  it('enables cpu, memory, pids, cpuset and io for minidock/ and for each container', () => {
    fakeV2();
    const cg = openCgroup(CG, { root, mountinfo: PURE_V2 });
    cg.create();
    expect(cat(path.join(root, 'cgroup.subtree_control'))).toBe('+cpu +memory +pids +cpuset +io');
    expect(cat(path.join(root, 'minidock', 'cgroup.subtree_control'))).toBe('+cpu +memory +pids +cpuset +io');
    expect(existsSync(path.join(root, 'minidock', ID))).toBe(true);
    expect(traced).toContain(`echo '+cpu +memory +pids +cpuset +io' > ${root}/cgroup.subtree_control`);
  });

  it('enables only the controllers that are offered and not on already', () => {
    fakeV2('cpu memory pids', 'memory');
    openCgroup(CG, { root, mountinfo: PURE_V2 }).create();
    expect(cat(path.join(root, 'cgroup.subtree_control'))).toBe('+cpu +pids');
    expect(cat(path.join(root, 'minidock', 'cgroup.subtree_control'))).toBe('+cpu +memory +pids');
  });

  it('writes nothing to subtree_control when everything is on already', () => {
    fakeV2('cpuset cpu io memory pids', 'cpuset cpu io memory pids');
    openCgroup(CG, { root, mountinfo: PURE_V2 }).create();
    expect(traced.filter((l) => l.endsWith(`${root}/cgroup.subtree_control`))).toEqual([]);
  });

  it('writes config.json’s resources into the v2 limit files', () => {
    fakeV2();
    kernelMkdirV2(`minidock/${ID}`);
    const cg = openCgroup(CG, { root, mountinfo: PURE_V2 });
    cg.create();
    cg.apply({
      memory: { limit: 32 * MiB, swap: 96 * MiB, reservation: 16 * MiB },
      cpu: { period: 100000, quota: 50000, shares: 512, cpus: '0-1', mems: '0' },
      pids: { limit: 20 },
    });
    const f = (file: string) => cat(path.join(root, 'minidock', ID, file));
    expect(f('memory.max')).toBe(String(32 * MiB));
    expect(f('memory.swap.max')).toBe(String(64 * MiB));
    expect(f('memory.low')).toBe(String(16 * MiB));
    expect(f('cpu.max')).toBe('50000 100000');
    expect(f('cpu.weight')).toBe('59');
    expect(f('cpuset.cpus')).toBe('0-1');
    expect(f('cpuset.mems')).toBe('0');
    expect(f('pids.max')).toBe('20');
  });

  it('writes the spec’s memory.swap (memory + swap) as memory.swap.max = swap − memory', () => {
    // docker's default swap, as much again as memory, reaches the runtime as swap = 2 × memory
    expect(v2LimitWrites({ memory: { limit: 32 * MiB, swap: 64 * MiB } }, true)).toEqual([
      ['memory.max', String(32 * MiB)],
      ['memory.swap.max', String(32 * MiB)],
    ]);
  });

  it('writes memory.swap.max as max for unlimited swap, and 0 when swap equals memory', () => {
    expect(v2LimitWrites({ memory: { limit: 32 * MiB, swap: -1 } }, true)).toContainEqual(['memory.swap.max', 'max']);
    expect(v2LimitWrites({ memory: { limit: 32 * MiB, swap: 32 * MiB } }, true)).toContainEqual(['memory.swap.max', '0']);
  });

  it('skips memory.swap.max when swap accounting is off, and when there is no memory limit to subtract', () => {
    expect(v2LimitWrites({ memory: { limit: 32 * MiB, swap: 64 * MiB } }, false)).toEqual([['memory.max', String(32 * MiB)]]);
    expect(v2LimitWrites({ memory: { swap: 64 * MiB } }, true)).toEqual([]);
  });

  it('writes cpu.max as "quota period", with max for no quota and 100000 for no period', () => {
    expect(v2LimitWrites({ cpu: { quota: 25000 } }, true)).toEqual([['cpu.max', '25000 100000']]);
    expect(v2LimitWrites({ cpu: { period: 50000 } }, true)).toEqual([['cpu.max', 'max 50000']]);
    expect(v2LimitWrites({ cpu: { period: 50000, quota: -1 } }, true)).toEqual([['cpu.max', 'max 50000']]);
    expect(v2LimitWrites({ cpu: { period: 100000, quota: 150000 } }, true)).toEqual([['cpu.max', '150000 100000']]);
  });

  it('writes cpu.shares as cpu.weight, and pids.max as max for the spec’s -1', () => {
    expect(v2LimitWrites({ cpu: { shares: 1024 }, pids: { limit: -1 } }, true)).toEqual([
      ['cpu.weight', '100'],
      ['pids.max', 'max'],
    ]);
  });

  it('writes no file for device rules on v2, and traces that they are not enforced', () => {
    fakeV2();
    kernelMkdirV2(`minidock/${ID}`);
    const cg = openCgroup(CG, { root, mountinfo: PURE_V2 });
    cg.create();
    const devices = [{ allow: false, access: 'rwm' }];
    expect(v2LimitWrites({ devices }, true)).toEqual([]);
    cg.apply({ devices });
    expect(traced).toContain('# linux.resources.devices: not enforced on cgroup v2 (needs an eBPF program; stage 8)');
    expect(traced.filter((l) => l.startsWith('echo ') && l.includes(`/minidock/${ID}/`))).toEqual([]);
  });

  it('refuses a limit whose controller is not enabled', () => {
    fakeV2('cpu memory');
    const cg = openCgroup(CG, { root, mountinfo: PURE_V2 });
    cg.create();
    expect(() => cg.apply({ pids: { limit: 20 } })).toThrow(
      `cannot set pids.max: the pids controller is not enabled in ${root}/minidock/cgroup.subtree_control`,
    );
  });

  it('adds a process with one write to cgroup.procs', () => {
    fakeV2();
    const cg = openCgroup(CG, { root, mountinfo: PURE_V2 });
    cg.create();
    cg.addProcess(4242);
    expect(cat(path.join(root, 'minidock', ID, 'cgroup.procs'))).toBe('4242');
    expect(cg.procs()).toEqual([4242]);
  });

  it('reports an OOM kill from the oom_kill count in memory.events', () => {
    fakeV2();
    kernelMkdirV2(`minidock/${ID}`);
    const cg = openCgroup(CG, { root, mountinfo: PURE_V2 });
    expect(cg.oomKilled()).toBe(false);
    put(path.join(root, 'minidock', ID, 'memory.events'), 'low 0\nhigh 0\nmax 12\noom 1\noom_kill 1\noom_group_kill 0');
    expect(cg.oomKilled()).toBe(true);
  });

  it('reports usage from cpu.stat, memory.current, memory.stat, memory.max and pids.current', () => {
    fakeV2();
    kernelMkdirV2(`minidock/${ID}`);
    const at = (f: string) => path.join(root, 'minidock', ID, f);
    put(at('cpu.stat'), 'usage_usec 1500\nuser_usec 1000\nsystem_usec 500');
    put(at('memory.current'), String(10 * MiB));
    put(at('memory.stat'), `anon ${7 * MiB}\nfile ${3 * MiB}\ninactive_file ${1 * MiB}`);
    put(at('memory.max'), String(32 * MiB));
    put(at('pids.current'), '2');
    expect(openCgroup(CG, { root, mountinfo: PURE_V2 }).stats()).toEqual({
      cpuUsageNs: 1_500_000n,
      memoryUsage: 9 * MiB,
      memoryLimit: 32 * MiB,
      pids: 2,
    });
  });

  it('removes minidock/<id> and keeps minidock/', () => {
    fakeV2();
    const cg = openCgroup(CG, { root, mountinfo: PURE_V2 });
    cg.create();
    emptyForRmdir(cg.paths[0]);
    cg.destroy();
    expect(existsSync(cg.paths[0])).toBe(false);
    expect(existsSync(path.join(root, 'minidock'))).toBe(true);
    expect(() => cg.destroy()).not.toThrow();
  });
});

describe('cpu.shares → cpu.weight', () => {
  it('maps the ends of the ranges onto each other, both mappings', () => {
    for (const f of [sharesToWeight, sharesToWeightLinear]) {
      expect(f(2)).toBe(1);
      expect(f(262144)).toBe(10000);
    }
  });

  it('minidock’s choice, the log-quadratic mapping of runc ≥ 1.3.2: the default 1024 stays the default 100', () => {
    expect(sharesToWeight(1024)).toBe(100);
    expect(sharesToWeight(512)).toBe(59);
    // the values runc's own issue and youki's port of it report
    expect(sharesToWeight(2000)).toBe(170);
    expect(sharesToWeight(22000)).toBe(1204);
    expect(sharesToWeight(100)).toBe(17);
  });

  it('clamps to the v2 range, and rounds up just below the top', () => {
    expect(sharesToWeight(1)).toBe(1);
    expect(sharesToWeight(3)).toBe(2);
    expect(sharesToWeight(262143)).toBe(10000);
    expect(sharesToWeight(1_000_000)).toBe(10000);
  });

  it('is monotonic: more shares never means less weight', () => {
    let last = 0;
    for (let s = 2; s <= 262144; s += 97) {
      const w = sharesToWeight(s);
      expect(w).toBeGreaterThanOrEqual(last);
      last = w;
    }
  });

  it('the older linear mapping (runc ≤ 1.3.1), rounding down: 1024 → 39', () => {
    expect(sharesToWeightLinear(1024)).toBe(39);
    expect(sharesToWeightLinear(512)).toBe(20);
    expect(sharesToWeightLinear(2000)).toBe(77);
    expect(sharesToWeightLinear(100)).toBe(4);
  });

  it('keeps 0 as "not set"', () => {
    expect(sharesToWeight(0)).toBe(0);
    expect(sharesToWeightLinear(0)).toBe(0);
  });
});

describe('listMinidockCgroups', () => {
  it('lists the container ids under minidock/ in any v1 hierarchy', () => {
    fakeV1(HYBRID);
    openCgroup('minidock/aaa', { root, mountinfo: HYBRID }).create();
    mkdirSync(path.join(root, 'pids', 'minidock', 'bbb'));
    expect(listMinidockCgroups({ root, mountinfo: HYBRID })).toEqual(['aaa', 'bbb']);
  });

  it('lists the container ids under minidock/ in the v2 tree', () => {
    fakeV2();
    openCgroup('minidock/ccc', { root, mountinfo: PURE_V2 }).create();
    expect(listMinidockCgroups({ root, mountinfo: PURE_V2 })).toEqual(['ccc']);
  });

  it('is empty when minidock/ does not exist yet', () => {
    fakeV1(HYBRID);
    expect(listMinidockCgroups({ root, mountinfo: HYBRID })).toEqual([]);
  });
});

describe('freeze (pause and unpause, stage 7)', () => {
  it('v1: writes FROZEN, then THAWED, to freezer.state and waits for the state to read so', () => {
    fakeV1(HYBRID);
    const cg = openCgroup(CG, { root, mountinfo: HYBRID });
    cg.create();
    const state = path.join(root, 'freezer', 'minidock', ID, 'freezer.state');
    cg.freeze(true);
    expect(cat(state)).toBe('FROZEN');
    cg.freeze(false);
    expect(cat(state)).toBe('THAWED');
  });

  it('v2: writes 1, then 0, to cgroup.freeze and waits for cgroup.events to say frozen', () => {
    const dir = path.join(root, 'minidock', ID);
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'cgroup.events'), 'populated 1\nfrozen 1\n');
    const cg = openCgroup(CG, { root, mountinfo: PURE_V2 });
    cg.freeze(true);
    expect(cat(path.join(dir, 'cgroup.freeze'))).toBe('1');
    writeFileSync(path.join(dir, 'cgroup.events'), 'populated 1\nfrozen 0\n');
    cg.freeze(false);
    expect(cat(path.join(dir, 'cgroup.freeze'))).toBe('0');
  });

  it('v2: gives up with an error when the kernel never reports frozen', () => {
    const dir = path.join(root, 'minidock', ID);
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'cgroup.events'), 'populated 1\nfrozen 0\n');
    expect(() => openCgroup(CG, { root, mountinfo: PURE_V2 }).freeze(true)).toThrow(/did not finish within 2 s/);
  });
});

describe('v2 device rules as a BPF program', () => {
  it('loads a BPF_PROG_TYPE_CGROUP_DEVICE program and attaches it to the cgroup directory with ALLOW_MULTI', () => {
    const tree = mkdtempSync(path.join(os.tmpdir(), 'md-v2dev-'));
    mkdirSync(path.join(tree, 'minidock', 'x'), { recursive: true });
    const sys = new RecordingSys();
    const fd = openSync('/dev/null', 'r'); // the program's fd, which apply closes after attaching
    const load = sys.bpfProgLoad.bind(sys);
    sys.bpfProgLoad = (type, insns, license) => (load(type, insns, license), fd);
    new CgroupV2('minidock/x', tree).apply({ devices: [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' }] }, sys);
    expect(sys.ops()).toEqual(['bpfProgLoad', 'bpfProgAttach']);
    expect(sys.calls[0].args[0]).toBe(15);
    expect(sys.calls[1].args.slice(1)).toEqual([fd, 6, 2]);
  });
});
