// lib/doctor.ts: what `minidock doctor` finds (versions, filesystems, cgroup layout, commands on
// PATH) and its verdict, on made-up host descriptions rather than this machine.

import { describe, expect, it } from 'vitest';
import { atLeast, cgroupLayout, diagnose, exitCode, filesystemTypes, findOnPath, type Finding, type HostFacts, parseVersion } from './doctor.js';

// ---------------------------------------------------------------------------------------------
// Fixtures: the kernel's own text, as three kinds of host show it.

/** This lab's machines: v1 hierarchies, plus systemd's controller-less cgroup2 at unified/. */
const HYBRID = `\
22 1 254:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
`;

/** An old v1-only host (no cgroup2 anywhere), cpu and cpuacct sharing a hierarchy, no pids. */
const LEGACY_NO_PIDS = `\
25 21 0:22 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755
30 25 0:27 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:14 - cgroup cgroup rw,cpu,cpuacct
31 25 0:28 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:15 - cgroup cgroup rw,memory
33 25 0:30 / /sys/fs/cgroup/cpuset rw,nosuid,nodev,noexec,relatime shared:17 - cgroup cgroup rw,cpuset
`;

/** Ubuntu 24.04: one unified tree on /sys/fs/cgroup. */
const UNIFIED = `\
24 30 0:22 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw
35 24 0:30 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot
`;

const FILESYSTEMS = 'nodev\tsysfs\nnodev\ttmpfs\nnodev\tproc\nnodev\tcgroup\nnodev\tcgroup2\n\text4\nnodev\toverlay\n';

/** A machine with every piece, as gatherFacts would describe it. */
function goodHost(): HostFacts {
  return {
    uid: 0,
    kernelRelease: '6.1.0-18-amd64',
    arch: 'x64',
    nodeVersion: 'v20.11.1',
    namespaces: ['cgroup', 'ipc', 'mnt', 'net', 'pid', 'pid_for_children', 'time', 'time_for_children', 'user', 'uts'],
    mountinfo: HYBRID,
    filesystems: FILESYSTEMS,
    nft: 'nftables v1.0.6 (Lester Gooch #5)',
    iptables: 'iptables v1.8.9 (nf_tables)',
    ip: 'ip utility, iproute2-6.1.0, libbpf 1.1.0',
    busybox: { path: '/bin/busybox', found: true },
    baseImage: { root: '/var/lib/minidock', id: 'sha256:fbf60ef79f33b4f0a8a2c6d1e0f3c7e5b9d8a7c6b5a4f3e2d1c0b9a8f7e6d5c4' },
    cc: { path: '/usr/bin/cc' },
  };
}

function finding(findings: Finding[], name: string): Finding {
  const f = findings.find((x) => x.name === name);
  if (!f) throw new Error(`no finding named ${name}`);
  return f;
}

// ---------------------------------------------------------------------------------------------

describe('versions', () => {
  it('reads the numbers at the start of a kernel release and of a Node version', () => {
    expect(parseVersion('6.18.44-fc-v669')).toEqual([6, 18, 44]);
    expect(parseVersion('5.10.0-28-amd64')).toEqual([5, 10, 0]);
    expect(parseVersion('v20.11.1')).toEqual([20, 11, 1]);
    expect(parseVersion('4.19')).toEqual([4, 19, 0]);
    expect(parseVersion('unknown')).toBeNull();
  });

  it('compares versions part by part, not as text', () => {
    expect(atLeast([5, 10, 0], [5, 10])).toBe(true);
    expect(atLeast([5, 9, 99], [5, 10])).toBe(false);
    expect(atLeast([6, 1, 0], [5, 10])).toBe(true);
    expect(atLeast([4, 19, 0], [5, 10])).toBe(false);
    expect(atLeast([10, 0], [9, 0])).toBe(true); // "10" < "9" as text
  });
});

describe('/proc/filesystems', () => {
  it('lists the filesystem types with and without the nodev column', () => {
    const types = filesystemTypes(FILESYSTEMS);
    expect(types.has('overlay')).toBe(true);
    expect(types.has('ext4')).toBe(true);
    expect(types.has('nodev')).toBe(false);
    expect(filesystemTypes('nodev\tsysfs\n\text4\n').has('overlay')).toBe(false);
  });
});

describe('the cgroup layout', () => {
  it('calls v1 hierarchies with a controller-less cgroup2 beside them hybrid', () => {
    expect(cgroupLayout(HYBRID)).toEqual({ version: 1, mode: 'hybrid', v2Mount: '/sys/fs/cgroup/unified' });
  });

  it('calls v1 hierarchies without any cgroup2 legacy', () => {
    expect(cgroupLayout(LEGACY_NO_PIDS)).toEqual({ version: 1, mode: 'legacy' });
  });

  it('calls cgroup2 on /sys/fs/cgroup unified', () => {
    expect(cgroupLayout(UNIFIED)).toEqual({ version: 2, mode: 'unified', v2Mount: '/sys/fs/cgroup' });
  });

  it('refuses a mount table without any cgroup filesystem', () => {
    expect(() => cgroupLayout('22 1 254:1 / / rw - ext4 /dev/vda1 rw\n')).toThrow(/no cgroup filesystem/);
  });
});

describe('finding a command on PATH', () => {
  const executables = new Set(['/usr/sbin/ip', '/usr/bin/ip', '/usr/bin/cc']);
  const isExec = (f: string) => executables.has(f);

  it('takes the first directory of PATH that holds it, as execvp does', () => {
    expect(findOnPath('ip', '/usr/local/bin:/usr/sbin:/usr/bin', isExec)).toBe('/usr/sbin/ip');
    expect(findOnPath('ip', '/usr/bin:/usr/sbin', isExec)).toBe('/usr/bin/ip');
  });

  it('finds nothing when no directory of PATH holds it', () => {
    expect(findOnPath('ip', '/usr/local/bin:/opt/bin', isExec)).toBeUndefined();
    expect(findOnPath('nft', '/usr/sbin:/usr/bin', isExec)).toBeUndefined();
  });
});

describe('diagnose', () => {
  it('finds every piece on a good hybrid host and exits 0', () => {
    const findings = diagnose(goodHost());
    expect(findings.filter((f) => !f.ok)).toEqual([]);
    expect(exitCode(findings)).toBe(0);
    expect(finding(findings, 'cgroups').detail).toBe('v1 (hybrid), controllers cpu cpuacct cpuset memory pids');
    expect(finding(findings, 'architecture').detail).toBe('x86_64');
    expect(findings.map((f) => f.name)).toEqual([
      'root', 'kernel', 'architecture', 'node', 'namespaces', 'namespaces (not used by minidock)',
      'cgroups', 'overlayfs', 'netfilter', 'iproute2', 'busybox-static', 'base image', 'c compiler',
    ]);
  });

  it('reads the v2 controllers from cgroup.controllers, without asking for cpuacct', () => {
    const f = finding(diagnose({ ...goodHost(), mountinfo: UNIFIED, v2Controllers: 'cpuset cpu io memory hugetlb pids rdma misc\n' }), 'cgroups');
    expect(f).toMatchObject({ ok: true, detail: 'v2 (unified), controllers cpu cpuset memory pids' });
  });

  it('fails a v2 host whose memory controller is switched off, naming the boot option', () => {
    const findings = diagnose({ ...goodHost(), mountinfo: UNIFIED, v2Controllers: 'cpuset cpu io pids' });
    expect(finding(findings, 'cgroups')).toMatchObject({ ok: false, required: true, detail: 'v2 (unified), missing controller memory' });
    expect(finding(findings, 'cgroups').fix).toMatch(/cgroup_disable=memory.*CONFIG_MEMCG=y/);
    expect(exitCode(findings)).toBe(1);
  });

  it('fails a v1 host without a pids hierarchy and says how to mount one', () => {
    const f = finding(diagnose({ ...goodHost(), mountinfo: LEGACY_NO_PIDS }), 'cgroups');
    expect(f).toMatchObject({ ok: false, detail: 'v1 (legacy), missing controller pids' });
    expect(f.fix).toBe('mkdir -p /sys/fs/cgroup/pids && mount -t cgroup -o pids cgroup /sys/fs/cgroup/pids');
  });

  it('fails a host with no cgroup filesystem at all', () => {
    const f = finding(diagnose({ ...goodHost(), mountinfo: '22 1 254:1 / / rw - ext4 /dev/vda1 rw\n' }), 'cgroups');
    expect(f).toMatchObject({ ok: false, fix: 'mount -t cgroup2 none /sys/fs/cgroup' });
  });

  it('fails without overlay in /proc/filesystems and says modprobe overlay', () => {
    const findings = diagnose({ ...goodHost(), filesystems: 'nodev\tsysfs\n\text4\n' });
    expect(finding(findings, 'overlayfs')).toEqual({ name: 'overlayfs', ok: false, required: true, detail: 'not in /proc/filesystems', fix: 'modprobe overlay' });
    expect(exitCode(findings)).toBe(1);
  });

  it('accepts iptables alone for netfilter, and fails with neither', () => {
    expect(finding(diagnose({ ...goodHost(), nft: undefined }), 'netfilter')).toMatchObject({ ok: true, detail: 'iptables v1.8.9 (nf_tables)' });
    const none = finding(diagnose({ ...goodHost(), nft: undefined, iptables: undefined }), 'netfilter');
    expect(none).toMatchObject({ ok: false, fix: 'apt-get install nftables' });
  });

  it('fails without ip and names iproute2', () => {
    const findings = diagnose({ ...goodHost(), ip: undefined });
    expect(finding(findings, 'iproute2')).toMatchObject({ ok: false, detail: 'ip is not on PATH', fix: 'apt-get install iproute2' });
    expect(exitCode(findings)).toBe(1);
  });

  it('warns, without failing, about a 4.x kernel and says why 5.10', () => {
    const findings = diagnose({ ...goodHost(), kernelRelease: '4.19.0-26-amd64' });
    const k = finding(findings, 'kernel');
    expect(k).toMatchObject({ ok: false, required: false });
    expect(k.detail).toMatch(/5\.10\+ is recommended: cgroup v2 cpuset \(5\.0\), time namespace \(5\.6\), overlayfs in user namespaces \(5\.11\)/);
    expect(exitCode(findings)).toBe(0);
  });

  it('fails a kernel older than 4.0', () => {
    const findings = diagnose({ ...goodHost(), kernelRelease: '3.10.0-1160.el7.x86_64' });
    expect(finding(findings, 'kernel')).toMatchObject({ ok: false, required: true });
    expect(exitCode(findings)).toBe(1);
  });

  it('fails when a namespace minidock creates is missing, naming its kernel option', () => {
    const findings = diagnose({ ...goodHost(), namespaces: ['ipc', 'mnt', 'net', 'pid', 'uts'] });
    expect(finding(findings, 'namespaces')).toMatchObject({ ok: false, detail: 'no cgroup in /proc/self/ns', fix: 'a kernel built with CONFIG_CGROUPS=y' });
    expect(exitCode(findings)).toBe(1);
  });

  it('only warns when the user or time namespace is missing', () => {
    const findings = diagnose({ ...goodHost(), namespaces: ['cgroup', 'ipc', 'mnt', 'net', 'pid', 'uts'] });
    expect(finding(findings, 'namespaces (not used by minidock)')).toMatchObject({ ok: false, required: false, fix: 'a kernel built with CONFIG_USER_NS=y CONFIG_TIME_NS=y' });
    expect(exitCode(findings)).toBe(0);
  });

  it('fails when not root, when Node is older than 20, and on another architecture', () => {
    const findings = diagnose({ ...goodHost(), uid: 1000, nodeVersion: 'v18.19.1', arch: 's390x' });
    expect(finding(findings, 'root')).toMatchObject({ ok: false, fix: 'sudo minidock doctor (and sudo for every minidock command)' });
    expect(finding(findings, 'node')).toMatchObject({ ok: false, detail: 'Node v18.19.1 is older than 20' });
    expect(finding(findings, 'architecture').ok).toBe(false);
    expect(exitCode(findings)).toBe(1);
  });

  it('names busybox-static for a missing or dynamically linked /bin/busybox', () => {
    const missing = finding(diagnose({ ...goodHost(), busybox: { path: '/bin/busybox', found: false } }), 'busybox-static');
    expect(missing).toMatchObject({ ok: false, detail: 'no /bin/busybox', fix: 'apt-get install busybox-static' });
    const dynamic = finding(diagnose({ ...goodHost(), busybox: { path: '/bin/busybox', found: true, problem: '/bin/busybox is dynamically linked' } }), 'busybox-static');
    expect(dynamic).toMatchObject({ ok: false, fix: 'apt-get install busybox-static' });
  });

  it('tells setup which state directory to fill when the base image is missing', () => {
    expect(finding(diagnose({ ...goodHost(), baseImage: { root: '/var/lib/minidock' } }), 'base image').fix).toBe('npm run setup');
    const f = finding(diagnose({ ...goodHost(), baseImage: { root: '/tmp/md-x' } }), 'base image');
    expect(f).toMatchObject({ ok: false, detail: 'no busybox:latest in /tmp/md-x', fix: 'MINIDOCK_ROOT=/tmp/md-x npm run setup' });
  });

  it('asks for root, not for setup, when the store cannot be read', () => {
    const facts = { ...goodHost(), uid: 1000, baseImage: { root: '/var/lib/minidock', problem: 'cannot read /var/lib/minidock/image/overlay2/repositories.json: EACCES' } };
    expect(finding(diagnose(facts), 'base image')).toMatchObject({ ok: false, fix: 'sudo minidock doctor' });
  });

  it('fails without cc, and when cc cannot link statically (no libc.a)', () => {
    expect(finding(diagnose({ ...goodHost(), cc: undefined }), 'c compiler')).toMatchObject({ ok: false, fix: 'apt-get install gcc libc6-dev' });
    const f = finding(diagnose({ ...goodHost(), cc: { path: '/usr/bin/cc', staticProblem: '/usr/bin/ld: cannot find -lc: No such file or directory' } }), 'c compiler');
    expect(f).toMatchObject({ ok: false, detail: 'cc -static failed: /usr/bin/ld: cannot find -lc: No such file or directory', fix: 'apt-get install gcc libc6-dev' });
  });

  it('gives every failing finding a one-line fix', () => {
    const broken: HostFacts = {
      ...goodHost(), uid: 1000, kernelRelease: '4.4.0', arch: 'ppc64', nodeVersion: 'v16.0.0', namespaces: [],
      mountinfo: '', filesystems: '', nft: undefined, iptables: undefined, ip: undefined,
      busybox: { path: '/bin/busybox', found: false }, baseImage: { root: '/var/lib/minidock' }, cc: undefined,
    };
    const failing = diagnose(broken).filter((f) => !f.ok);
    expect(failing).toHaveLength(13);
    for (const f of failing) expect(f.fix, f.name).toMatch(/^[^\n]+$/);
  });
});
