// The cgroup filesystem inside the container, with the RecordingSys fake and mountinfo texts of
// the three host layouts: which mounts, with which options, in which order, and the links for a
// combined hierarchy. (The real mounts are checked by checks/stage-2.ts on v1 and, in the VM, v2.)

import { lstatSync, mkdtempSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MS } from '../sys/constants.js';
import { RecordingSys } from '../sys/fake.js';
import { hierarchiesToMount, mountCgroupfs } from './cgroup-mount.js';

/** This machine kind: every controller alone, a named systemd tree, an empty cgroup2 (hybrid). */
const HYBRID = `\
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
`;

/** Debian 10 / Ubuntu 20.04: cpu and cpuacct share one hierarchy. */
const COMBINED = `\
25 21 0:22 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755
27 25 0:24 / /sys/fs/cgroup/systemd rw,nosuid,nodev,noexec,relatime shared:11 - cgroup cgroup rw,xattr,name=systemd
30 25 0:27 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:14 - cgroup cgroup rw,cpu,cpuacct
31 25 0:28 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:15 - cgroup cgroup rw,memory
`;

/** Ubuntu 24.04: the unified tree on /sys/fs/cgroup itself. */
const PURE_V2 = `\
26 24 0:24 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot
`;

/** /proc/self/cgroup inside a cgroup namespace: every hierarchy's root is our cgroup. */
const IN_OWN_NAMESPACE = '9:name=systemd:/\n4:memory:/\n1:cpu:/\n0::/\n';

const RO = MS.RDONLY | MS.NOSUID | MS.NODEV | MS.NOEXEC;
let dest: string;

beforeEach(() => {
  dest = path.join(mkdtempSync(path.join(tmpdir(), 'minidock-cgmount-test-')), 'sys/fs/cgroup');
});

afterEach(() => {
  rmSync(path.dirname(path.dirname(path.dirname(dest))), { recursive: true, force: true });
});

describe('hierarchiesToMount', () => {
  it('lists each v1 hierarchy with the options that name it, and leaves out the controller-less cgroup2', () => {
    expect(hierarchiesToMount(HYBRID)).toEqual([
      { name: 'cpu', options: ['cpu'] },
      { name: 'memory', options: ['memory'] },
      { name: 'systemd', options: ['name=systemd'] },
    ]);
    expect(hierarchiesToMount(COMBINED).map((h) => [h.name, h.options.join(',')])).toEqual([
      ['systemd', 'xattr,name=systemd'],
      ['cpu,cpuacct', 'cpu,cpuacct'],
      ['memory', 'memory'],
    ]);
  });

  it('has nothing to list on a v2-only host', () => {
    expect(hierarchiesToMount(PURE_V2)).toEqual([]);
  });
});

describe('mountCgroupfs', () => {
  it('v2: one cgroup2 mount with config.json’s flags (the namespace makes its root the container’s cgroup)', () => {
    const sys = new RecordingSys();
    mountCgroupfs(sys, dest, RO, PURE_V2, '0::/\n');
    expect(sys.calls).toEqual([{ op: 'mount', args: ['cgroup2', dest, 'cgroup2', RO, ''] }]);
  });

  it('v1: a tmpfs, one read-only cgroup mount per hierarchy, then the tmpfs itself read-only, last', () => {
    const sys = new RecordingSys();
    mountCgroupfs(sys, dest, RO, HYBRID, IN_OWN_NAMESPACE);
    expect(sys.calls.map((c) => c.args)).toEqual([
      ['tmpfs', dest, 'tmpfs', MS.NOSUID | MS.NODEV | MS.NOEXEC, 'mode=755'],
      ['cgroup', path.join(dest, 'cpu'), 'cgroup', RO, 'cpu'],
      ['cgroup', path.join(dest, 'memory'), 'cgroup', RO, 'memory'],
      ['cgroup', path.join(dest, 'systemd'), 'cgroup', RO, 'name=systemd'],
      ['', dest, '', MS.BIND | MS.REMOUNT | RO, ''],
    ]);
  });

  it('v1: a combined hierarchy gets a link per controller, as on the host (cpu → cpu,cpuacct)', () => {
    const sys = new RecordingSys();
    mountCgroupfs(sys, dest, RO, COMBINED, '1:name=systemd:/\n2:cpu,cpuacct:/\n3:memory:/\n');
    expect(sys.calls[2].args).toEqual(['cgroup', path.join(dest, 'cpu,cpuacct'), 'cgroup', RO, 'cpu,cpuacct']);
    for (const c of ['cpu', 'cpuacct']) {
      expect(lstatSync(path.join(dest, c)).isSymbolicLink()).toBe(true);
      expect(readlinkSync(path.join(dest, c))).toBe('cpu,cpuacct');
    }
  });

  it('v1 with --cgroupns host: our own cgroup directory bind-mounted, then remounted read-only', () => {
    const sys = new RecordingSys();
    mountCgroupfs(sys, dest, RO, HYBRID, '9:name=systemd:/\n4:memory:/minidock/abc\n1:cpu:/minidock/abc\n0::/\n');
    expect(sys.calls.map((c) => c.args).slice(1, 6)).toEqual([
      ['/sys/fs/cgroup/cpu/minidock/abc', path.join(dest, 'cpu'), '', MS.BIND, ''],
      ['', path.join(dest, 'cpu'), '', MS.BIND | MS.REMOUNT | RO, ''],
      ['/sys/fs/cgroup/memory/minidock/abc', path.join(dest, 'memory'), '', MS.BIND, ''],
      ['', path.join(dest, 'memory'), '', MS.BIND | MS.REMOUNT | RO, ''],
      // the engine's own cgroup here is the host's root: the same tree either way
      ['cgroup', path.join(dest, 'systemd'), 'cgroup', RO, 'name=systemd'],
    ]);
  });

  it('v1 without "ro" (--privileged): no read-only remount of the tmpfs', () => {
    const sys = new RecordingSys();
    mountCgroupfs(sys, dest, MS.NOSUID, HYBRID, IN_OWN_NAMESPACE);
    expect(sys.calls.some((c) => (Number(c.args[3]) & MS.REMOUNT) !== 0)).toBe(false);
  });
});
