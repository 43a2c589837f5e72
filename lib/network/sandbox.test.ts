// Undoing a container's network from its ID alone, after a setup that stopped halfway
// (the cli killed between taking the lease and making the veth), with route_localnet.

import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { paths, type Paths } from '../paths.js';
import { RecordingRun } from './fake.js';
import { allocate, leasesFile, readLeases } from './ipam.js';
import { readReservations, reservePorts } from './ports.js';
import { releaseContainerNetwork } from './sandbox.js';
import { findNetwork, poolOf } from './store.js';
import { hostVethName } from './veth.js';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);
let root: string;
let p: Paths;
let procSys: string;
let sysClassNet: string;
const saved = process.env.MINIDOCK_ROOT;

beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), 'minidock-sandbox-test-'));
  process.env.MINIDOCK_ROOT = root;
  p = paths();
  procSys = path.join(root, 'proc-sys');
  mkdirSync(path.join(procSys, 'net/ipv4/conf/minidock0'), { recursive: true });
  writeFileSync(path.join(procSys, 'net/ipv4/conf/minidock0/route_localnet'), '1\n');
  mkdirSync(path.join(root, 'proc'), { recursive: true }); // no /proc/net/tcp: no host listeners
  sysClassNet = path.join(root, 'sys-class-net'); // the host's interfaces: none but what a test makes
  mkdirSync(sysClassNet);
});

afterEach(() => {
  process.env.MINIDOCK_ROOT = saved;
  rmSync(root, { recursive: true, force: true });
});

/** What a `run -p 127.0.0.1:8080:80` killed after its lease, ports and DNAT rule left behind. */
function halfDone(id: string, hostIp = '127.0.0.1', hostPort = '8080'): void {
  const net = findNetwork(p, 'bridge');
  const { subnet, gateway } = poolOf(net);
  allocate(p, net, subnet, gateway, id);
  reservePorts(p, id, { '80/tcp': [{ HostIp: hostIp, HostPort: hostPort }] }, [], path.join(root, 'proc'));
}

const nftTable = (comments: string[]) => JSON.stringify({
  nftables: [{ table: { name: 'minidock' } }, { set: { name: 'bridges', elem: ['minidock0'] } },
    ...comments.map((comment, i) => ({ rule: { chain: 'publish', handle: 10 + i, comment } }))],
});

describe('releaseContainerNetwork', () => {
  it('releases the lease, the host ports, the DNAT rule and route_localnet of a setup killed before its veth existed', () => {
    halfDone(A);
    const r = new RecordingRun();
    r.answers = [['nft -j list table', { stdout: nftTable([`container ${A.slice(0, 12)}`]) }]];
    releaseContainerNetwork(p, A, { run: r.run, procSys, sysClassNet });
    expect(Object.values(readLeases(leasesFile(p, findNetwork(p, 'bridge').Id)))).not.toContain(A);
    expect(readReservations(p)).toEqual([]);
    expect(r.commands.find((c) => c.line === 'nft -f -')?.input).toContain('delete rule ip minidock publish handle 10');
    expect(r.lines()).toContain('sysctl -q -w net.ipv4.conf.minidock0.route_localnet=0');
    expect(r.lines().filter((l) => l.startsWith('ip link del'))).toEqual([]); // no veth was made
  });

  it('deletes a veth left by a setup killed after it, and can be called again with nothing left', () => {
    halfDone(A);
    const r = new RecordingRun();
    r.answers = [['nft -j list table', { status: 1 }]]; // no table
    mkdirSync(path.join(sysClassNet, hostVethName(A, findNetwork(p, 'bridge').Id))); // the veth exists
    releaseContainerNetwork(p, A, { run: r.run, procSys, sysClassNet });
    expect(r.lines().filter((l) => l.startsWith('ip link del veth'))).toHaveLength(1);
    rmSync(path.join(sysClassNet, hostVethName(A, findNetwork(p, 'bridge').Id)), { recursive: true });
    writeFileSync(path.join(procSys, 'net/ipv4/conf/minidock0/route_localnet'), '0\n');
    const again = new RecordingRun();
    again.answers = [['nft -j list table', { status: 1 }]];
    expect(() => releaseContainerNetwork(p, A, { run: again.run, procSys, sysClassNet })).not.toThrow();
    expect(again.lines().filter((l) => /link del|delete|sysctl/.test(l))).toEqual([]);
  });

  it('keeps the network’s own rules, the bridges set and the table when its last container leaves (docker keeps docker0’s)', () => {
    halfDone(A);
    const r = new RecordingRun();
    r.answers = [['nft -j list table', { stdout: nftTable([`container ${A.slice(0, 12)}`, 'network bridge']) }]];
    releaseContainerNetwork(p, A, { run: r.run, procSys, sysClassNet });
    expect(r.commands.find((c) => c.line === 'nft -f -')?.input).toContain('delete rule ip minidock publish handle 10'); // the container's DNAT rule
    expect(r.commands.find((c) => c.line === 'nft -f -')?.input).not.toContain('handle 11'); // the network's rule
    expect(r.lines().filter((l) => /delete (table|element)/.test(l))).toEqual([]);
  });

  it('runs nothing for a container that published nothing and whose veth the kernel already deleted', () => {
    const net = findNetwork(p, 'bridge');
    const { subnet, gateway } = poolOf(net);
    allocate(p, net, subnet, gateway, A);
    writeFileSync(path.join(procSys, 'net/ipv4/conf/minidock0/route_localnet'), '0\n'); // nobody publishes on 127.0.0.1
    const r = new RecordingRun();
    releaseContainerNetwork(p, A, { run: r.run, procSys, sysClassNet });
    expect(r.lines()).toEqual([]);
    expect(Object.values(readLeases(leasesFile(p, net.Id)))).not.toContain(A);
  });

  it('keeps route_localnet on while another container of the bridge still publishes on 127.0.0.1', () => {
    halfDone(A);
    halfDone(B, '', '9090'); // -p 9090:80 is reachable at 127.0.0.1:9090 too
    const r = new RecordingRun();
    r.answers = [['nft -j list table', { status: 1 }]];
    releaseContainerNetwork(p, A, { run: r.run, procSys, sysClassNet });
    expect(r.lines().filter((l) => l.startsWith('sysctl'))).toEqual([]);
    expect(readReservations(p).map((x) => x.container)).toEqual([B]);
    expect(readFileSync(path.join(procSys, 'net/ipv4/conf/minidock0/route_localnet'), 'utf8')).toBe('1\n');
  });
});
