// From Docker's records to config.json: the environment init hands to execve (docker's defaults
// added), the spec buildSpec writes (which the runtime's own parser must accept), and
// hostconfig.json's limits as linux.resources (OCI's names), all the way to the cgroup files.

import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { paths, type Paths } from '../paths.js';
import { processStartTime } from '../proc.js';
import { v1LimitWrites } from '../runtime/cgroups/v1.js';
import { v2LimitWrites } from '../runtime/cgroups/v2.js';
import { defaultMounts, parseSpec } from '../runtime/spec.js';
import { buildSpec, containerEnv, DEFAULT_PATH, ociResources } from './bundle.js';
import { parseResources } from './resources.js';
import { ensureDir, newState, saveContainer, type Container, type HostConfig } from './state.js';

const MiB = 1024 * 1024;

describe('containerEnv', () => {
  it('adds docker’s default PATH first, then HOSTNAME and HOME=/root', () => {
    expect(containerEnv(['A=1'], 'c0ffee123456')).toEqual([DEFAULT_PATH, 'A=1', 'HOSTNAME=c0ffee123456', 'HOME=/root']);
  });

  it('keeps a PATH and a HOME the image or the user set', () => {
    expect(containerEnv(['PATH=/opt/bin', 'HOME=/srv'], 'box')).toEqual(['PATH=/opt/bin', 'HOME=/srv', 'HOSTNAME=box']);
  });

  it('always sets HOSTNAME to the container’s hostname, once', () => {
    const env = containerEnv(['HOSTNAME=stale'], 'box');
    expect(env.filter((e) => e.startsWith('HOSTNAME='))).toEqual(['HOSTNAME=box']);
  });

  it('leaves out a bare KEY (`-e KEY` unset on the host): execve gets only NAME=value entries', () => {
    const env = containerEnv(['DEBUG', 'A=1'], 'box');
    expect(env).not.toContain('DEBUG');
    expect(env.every((e) => e.includes('='))).toBe(true);
  });

  it('does not change the array it was given', () => {
    const given = ['A=1'];
    containerEnv(given, 'box');
    expect(given).toEqual(['A=1']);
  });
});

/** hostconfig.json as `minidock run busybox` writes it: docker's defaults, no limit set. */
const unset: HostConfig = {
  AutoRemove: false, NetworkMode: 'bridge', PidMode: '', IpcMode: 'private', UTSMode: '', CgroupnsMode: 'private',
  Memory: 0, MemorySwap: 0, MemoryReservation: 0, NanoCpus: 0, CpuPeriod: 0, CpuQuota: 0, CpuShares: 0,
  CpusetCpus: '', CpusetMems: '', PidsLimit: null,
};

describe('buildSpec', () => {
  const ID = 'c0ffee' + '0'.repeat(58);
  const ROOTFS = '/var/lib/minidock/overlay2/abc/merged';
  let tmp: string;
  let p: Paths;

  beforeEach(() => {
    tmp = mkdtempSync(path.join(tmpdir(), 'minidock-bundle-test-'));
    p = paths({ MINIDOCK_ROOT: tmp });
  });

  afterEach(() => {
    rmSync(tmp, { recursive: true, force: true });
  });

  function container(over: Partial<Container['Config']> = {}, rest: Partial<Container> = {}): Container {
    return {
      ID, Created: '2026-12-01T00:00:00Z', Path: 'sh', Args: [],
      Config: {
        Hostname: ID.slice(0, 12), Domainname: '', User: '', AttachStdin: false, AttachStdout: true, AttachStderr: true, Tty: false,
        OpenStdin: false, StdinOnce: false, Env: ['PATH=/bin'], Cmd: ['sh', '-c', 'echo hi'], Image: 'busybox', WorkingDir: '',
        Entrypoint: null, Labels: {}, ...over,
      },
      State: newState(), Image: 'sha256:0', Name: '/web', Driver: 'overlay2', OS: 'linux', LogPath: '',
      GraphDriver: { Name: 'overlay2', Data: {} }, Minidock: { InitStartTime: '', Stage: 2, MonitorPid: 0 },
      ...rest,
    };
  }

  // stage 2: below the /etc files (stage 3), so nothing is written for them
  const build = (c: Container, hc: HostConfig = unset) => buildSpec(p, c, hc, 2, ROOTFS);

  it('runs Entrypoint + Cmd in the rootfs the engine mounted, with docker’s environment, as root in /', () => {
    const s = build(container({ Entrypoint: ['/entry.sh'], Cmd: ['serve'] }));
    expect(s.process.args).toEqual(['/entry.sh', 'serve']);
    expect(s.process.env).toEqual(containerEnv(['PATH=/bin'], ID.slice(0, 12)));
    expect(s.process.cwd).toBe('/');
    expect(s.process.user).toEqual({ uid: 0, gid: 0 });
    expect(s.root).toEqual({ path: ROOTFS, readonly: false });
    expect(s.hostname).toBe(ID.slice(0, 12));
    expect(s.annotations).toEqual({ 'org.minidock.container.name': 'web' });
  });

  it('mounts the cgroup filesystem read-only at /sys/fs/cgroup from stage 2, the cgroups stage, not before', () => {
    const cgroupfs = (stage: number) => buildSpec(p, container({}), unset, stage, ROOTFS).mounts.filter((m) => m.destination === '/sys/fs/cgroup');
    expect(cgroupfs(1)).toEqual([]);
    expect(cgroupfs(2)).toEqual([{ destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: expect.arrayContaining(['ro', 'nosuid', 'nodev', 'noexec']) }]);
  });

  it('takes the image’s WorkingDir as process.cwd', () => {
    expect(build(container({ WorkingDir: '/srv/app' })).process.cwd).toBe('/srv/app');
  });

  it('refuses a container with neither Entrypoint nor Cmd', () => {
    expect(() => build(container({ Cmd: [], Entrypoint: null }))).toThrow('no command specified');
  });

  it('creates all six namespaces under OCI’s names with docker’s defaults', () => {
    expect(build(container()).linux.namespaces).toEqual(
      ['mount', 'uts', 'ipc', 'pid', 'network', 'cgroup'].map((type) => ({ type })),
    );
  });

  it('leaves a namespace out for --pid host and --network host: the runtime keeps the host’s', () => {
    const types = build(container(), { ...unset, PidMode: 'host', NetworkMode: 'host' }).linux.namespaces.map((n) => n.type);
    expect(types).toEqual(['mount', 'uts', 'ipc', 'cgroup']);
  });

  it('joins a running container’s network namespace through /proc/<its init>/ns/net for --network container:NAME', () => {
    // this test process stands in for the other container's init
    const other = container({}, { ID: 'd00d' + '1'.repeat(60), Name: '/db' });
    other.State = { ...newState(), Status: 'running', Running: true, Pid: process.pid };
    other.Minidock = { ...other.Minidock, InitStartTime: processStartTime(process.pid)! };
    ensureDir(p.container(other.ID));
    saveContainer(p, other);
    const ns = build(container(), { ...unset, NetworkMode: 'container:db' }).linux.namespaces;
    expect(ns).toContainEqual({ type: 'network', path: `/proc/${process.pid}/ns/net` });
    expect(ns.filter((n) => n.type === 'network')).toHaveLength(1);
  });

  it('refuses to join the namespace of a container that is not running', () => {
    const other = container({}, { ID: 'd00d' + '1'.repeat(60), Name: '/db' });
    ensureDir(p.container(other.ID));
    saveContainer(p, other);
    expect(() => build(container(), { ...unset, IpcMode: 'container:db' })).toThrow('cannot join namespace of a non running container: db');
  });

  it('mounts the kernel filesystems first, then the /etc files and volumes as rbind mounts, shallow before deep', () => {
    const deep = path.join(tmp, 'deep');
    const shallow = path.join(tmp, 'shallow');
    for (const d of [deep, shallow]) mkdirSync(d);
    const point = (Source: string, Destination: string, RW: boolean) =>
      ({ Source, Destination, RW, Name: '', Driver: '', Type: 'bind' as const, Spec: {}, SkipMountpointCreation: false });
    const c = container({}, { MountPoints: { '/data/logs': point(deep, '/data/logs', true), '/data': point(shallow, '/data', false) } });
    ensureDir(p.container(ID)); // stage 4 includes stage 3's /etc files, written there
    const s = buildSpec(p, c, unset, 4, ROOTFS);
    const own = s.mounts.slice(defaultMounts().length);
    // by depth only, the engine's /etc files before the volumes at the same depth (a stable sort)
    expect(own.map((m) => m.destination)).toEqual(['/data', '/etc/resolv.conf', '/etc/hostname', '/etc/hosts', '/data/logs']);
    expect(s.mounts.slice(0, defaultMounts().length)).toEqual(defaultMounts());
    expect(own.filter((m) => m.destination.startsWith('/data'))).toEqual([
      { destination: '/data', type: 'bind', source: shallow, options: ['rbind', 'ro'] },
      { destination: '/data/logs', type: 'bind', source: deep, options: ['rbind', 'rw'] },
    ]);
  });

  it('puts the container in minidock/<id> with its limits in OCI’s names', () => {
    const s = build(container(), { ...unset, Memory: 64 * MiB, NanoCpus: 250_000_000 });
    expect(s.linux.cgroupsPath).toBe(`minidock/${ID}`);
    expect(s.linux.resources).toEqual({ memory: { limit: 64 * MiB }, cpu: { period: 100_000, quota: 25_000 } });
  });

  it('writes a spec the runtime’s own parser accepts unchanged', () => {
    const s = build(container(), { ...unset, PidMode: 'host', Memory: 64 * MiB });
    expect(parseSpec(JSON.stringify(s))).toEqual(JSON.parse(JSON.stringify(s)));
  });
});

describe('ociResources', () => {
  it('is empty when docker’s "not set" values (0, "", null) are everywhere', () => {
    expect(ociResources(unset)).toEqual({});
  });

  it('carries over exactly the limits that are set, under OCI’s names', () => {
    const hc = { ...unset, Memory: 64 * MiB, MemorySwap: 128 * MiB, MemoryReservation: 32 * MiB, CpuShares: 512, CpusetCpus: '0', CpusetMems: '0', PidsLimit: 20 };
    expect(ociResources(hc)).toEqual({
      memory: { limit: 64 * MiB, swap: 128 * MiB, reservation: 32 * MiB },
      cpu: { shares: 512, cpus: '0', mems: '0' },
      pids: { limit: 20 },
    });
  });

  it('turns --cpus into a quota per 100 ms period, which OCI has instead of docker’s NanoCpus', () => {
    expect(ociResources({ ...unset, NanoCpus: 500_000_000 })).toEqual({ cpu: { period: 100_000, quota: 50_000 } });
    expect(ociResources({ ...unset, NanoCpus: 1_500_000_000 })).toEqual({ cpu: { period: 100_000, quota: 150_000 } });
  });

  it('passes --cpu-period and --cpu-quota through as they are', () => {
    expect(ociResources({ ...unset, CpuPeriod: 50_000, CpuQuota: 25_000 })).toEqual({ cpu: { period: 50_000, quota: 25_000 } });
    expect(ociResources({ ...unset, CpuQuota: 25_000 })).toEqual({ cpu: { quota: 25_000 } });
  });

  it('keeps -1 (unlimited swap, no CPU quota), which is set, unlike 0', () => {
    expect(ociResources({ ...unset, Memory: 1 * MiB, MemorySwap: -1, CpuQuota: -1 })).toEqual({ memory: { limit: 1 * MiB, swap: -1 }, cpu: { quota: -1 } });
  });

  it('ignores the fields that are not limits', () => {
    expect(ociResources({ ...unset, AutoRemove: true, NetworkMode: 'host', PidMode: 'host' })).toEqual({});
  });

  it('takes docker’s flags to the cgroup files: -m 32m --cpus 0.5 --pids-limit 20 on v1 and v2', () => {
    const r = ociResources(parseResources({ memory: '32m', cpus: '0.5', 'pids-limit': '20' }, { cpus: '0-1', mems: '0', numCpus: 2 }));
    // docker's default swap when only -m is given: as much again, so memory + swap = 64m
    expect(r).toEqual({ memory: { limit: 32 * MiB, swap: 64 * MiB }, cpu: { period: 100_000, quota: 50_000 }, pids: { limit: 20 } });
    expect(v1LimitWrites(r, true)).toEqual([
      ['memory.limit_in_bytes', String(32 * MiB)],
      ['memory.memsw.limit_in_bytes', String(64 * MiB)],
      ['cpu.cfs_period_us', '100000'],
      ['cpu.cfs_quota_us', '50000'],
      ['pids.max', '20'],
    ]);
    expect(v2LimitWrites(r, true)).toEqual([
      ['memory.max', String(32 * MiB)],
      ['memory.swap.max', String(32 * MiB)],
      ['cpu.max', '50000 100000'],
      ['pids.max', '20'],
    ]);
  });
});
