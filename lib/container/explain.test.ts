// explain's facts, read from a fake /proc and /sys in a temporary directory.

import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { explainContainer } from './explain.js';
import type { Container } from './records.js';

let dir = '';
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function file(rel: string, text: string): void {
  mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
  writeFileSync(path.join(dir, rel), text);
}

describe('explainContainer', () => {
  it('reads namespaces, the v2 cgroup files, the overlay layers through l/ links, and the veth peer', () => {
    dir = mkdtempSync(path.join(tmpdir(), 'explain-'));
    const proc = path.join(dir, 'proc');
    const sys = path.join(dir, 'sys');
    const home = path.join(dir, 'overlay2');
    for (const [pid, inode] of [['7', '4026532999'], ['self', '4026531840']]) {
      mkdirSync(path.join(proc, pid, 'ns'), { recursive: true });
      symlinkSync(`net:[${inode}]`, path.join(proc, pid, 'ns', 'net'));
    }
    file('proc/7/cgroup', '0::/minidock/abc\n');
    file('proc/self/mountinfo', '30 1 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n');
    file('sys/fs/cgroup/minidock/abc/memory.max', '67108864\n');
    file('proc/7/mountinfo', `500 400 0:50 / / rw - overlay overlay rw,lowerdir=l/A\n501 500 8:1 /x /data rw - ext4 /dev/sda1 rw\n`);
    file('overlay2/m1/lower', 'l/A');
    mkdirSync(path.join(home, 'm1-init', 'diff'), { recursive: true });
    mkdirSync(path.join(home, 'l'));
    symlinkSync('../m1-init/diff', path.join(home, 'l', 'A'));
    file('proc/7/root/sys/class/net/eth0/iflink', '12\n');
    file('sys/class/net/veth1/ifindex', '12\n');
    file('sys/class/net/minidock0/ifindex', '3\n');
    symlinkSync('../minidock0', path.join(sys, 'class', 'net', 'veth1', 'master'));
    const c = {
      ID: 'abc', Name: '/web', State: { Pid: 7, Status: 'running' },
      GraphDriver: { Name: 'overlay2', Data: { MergedDir: `${home}/m1/merged`, UpperDir: `${home}/m1/diff`, WorkDir: `${home}/m1/work` } },
      MountPoints: { '/data': { Type: 'volume', Source: '/v/_data', Destination: '/data', RW: true }, '/gone': { Type: 'bind', Source: '/x', Destination: '/gone', RW: true } },
      NetworkSettings: { Ports: { '80/tcp': [{ HostIp: '', HostPort: '8080' }] }, Networks: { bridge: { IPAddress: '172.17.0.2', IPPrefixLen: 16, Gateway: '172.17.0.1', NetworkID: 'n' } } },
    } as unknown as Container;

    const e = explainContainer(c, 'bridge', { procRoot: proc, sysRoot: sys });

    expect(e.namespaces.find((n) => n.kind === 'net')).toEqual({ kind: 'net', container: 'net:[4026532999]', host: 'net:[4026531840]' });
    expect(e.namespaces.find((n) => n.kind === 'uts')?.container).toBe('?'); // a link we cannot read
    expect(e.cgroup).toEqual({ version: 2, path: '/minidock/abc', files: [{ dir: path.join(sys, 'fs/cgroup/minidock/abc'), file: 'memory.max', value: '67108864' }] });
    expect(e.layers?.fsType).toBe('overlay');
    expect(e.layers?.lowers).toEqual([{ link: 'l/A', target: path.join(home, 'm1-init', 'diff') }]);
    expect(e.mounts.map((m) => [m.destination, m.mounted])).toEqual([['/data', true], ['/gone', false]]);
    expect(e.networks).toEqual([{ network: 'bridge', ifname: 'eth0', bridge: 'minidock0', ip: '172.17.0.2', prefix: 16, gateway: '172.17.0.1', hostVeth: 'veth1', ports: ['0.0.0.0:8080 → 80/tcp'] }]);
  });
});
