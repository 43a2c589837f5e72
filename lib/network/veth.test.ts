// The kernel-facing steps — bridge, veth, route, loopback, forwarding — as the commands they type.

import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { enableForwarding, ensureBridge, restoreForwarding } from './bridge.js';
import { IpBatch } from './batch.js';
import { RecordingRun } from './fake.js';
import { loopbackUp } from './netns.js';
import { addDefaultRoute } from './routes.js';
import { createVeth, deleteVeth, hostVethName, nextIfname } from './veth.js';

describe('hostVethName', () => {
  it('is "veth" and 7 hex digits: unique per container and network, within IFNAMSIZ', () => {
    const a = hostVethName('a'.repeat(64), 'n'.repeat(64));
    expect(a).toMatch(/^veth[0-9a-f]{7}$/);
    expect(a.length).toBeLessThanOrEqual(15);
    expect(hostVethName('a'.repeat(64), 'n'.repeat(64))).toBe(a);
    expect(hostVethName('b'.repeat(64), 'n'.repeat(64))).not.toBe(a);
    expect(hostVethName('a'.repeat(64), 'm'.repeat(64))).not.toBe(a);
  });
});

describe('createVeth', () => {
  it('makes the pair across namespaces, plugs the host end into the bridge, addresses eth0 inside', () => {
    const r = new RecordingRun();
    createVeth({ host: 'veth1234567', pid: 4242, ifname: 'eth0', bridge: 'minidock0', mac: '02:42:ac:11:00:02', cidr: '172.17.0.2/16' }, r.run);
    expect(r.lines()).toEqual([
      'ip link add veth1234567 type veth peer name eth0 address 02:42:ac:11:00:02 netns 4242',
      'ip link set veth1234567 master minidock0 up',
      'nsenter --net=/proc/4242/ns/net ip addr add 172.17.0.2/16 dev eth0',
      'nsenter --net=/proc/4242/ns/net ip link set eth0 up',
    ]);
  });

  it('deletes a pair by its host end, and only if the kernel has not already (/sys/class/net says)', () => {
    const sysNet = mkdtempSync(path.join(tmpdir(), 'minidock-sysnet-test-'));
    try {
      const gone = new RecordingRun();
      deleteVeth('veth1234567', gone.run, sysNet);
      expect(gone.lines()).toEqual([]);
      mkdirSync(path.join(sysNet, 'veth1234567'));
      const there = new RecordingRun();
      deleteVeth('veth1234567', there.run, sysNet);
      expect(there.lines()).toEqual(['ip link del veth1234567']);
    } finally {
      rmSync(sysNet, { recursive: true, force: true });
    }
  });

  it('names a second interface eth1 (network connect)', () => {
    const r = new RecordingRun();
    r.answers = [['nsenter', { stdout: JSON.stringify([{ ifname: 'lo' }, { ifname: 'eth0' }]) }]];
    expect(nextIfname(4242, r.run)).toBe('eth1');
  });
});

describe('inside the namespace', () => {
  it('brings lo up and routes everything else to the gateway', () => {
    const r = new RecordingRun();
    loopbackUp(4242, r.run);
    addDefaultRoute(4242, '172.17.0.1', r.run);
    expect(r.lines()).toEqual([
      'nsenter --net=/proc/4242/ns/net ip link set lo up',
      'nsenter --net=/proc/4242/ns/net ip route add default via 172.17.0.1',
    ]);
  });
});

describe('ensureBridge', () => {
  it('creates a missing bridge (none in /sys/class/net) with the gateway address, up, and leaves route_localnet off (localnet.ts)', () => {
    const sysClassNet = mkdtempSync(path.join(tmpdir(), 'minidock-net-test-'));
    try {
      const r = new RecordingRun();
      expect(ensureBridge('minidock0', '172.17.0.1', 16, r.run, sysClassNet)).toBe(true);
      expect(r.lines()).toEqual([
        'ip link add name minidock0 type bridge',
        'ip addr replace 172.17.0.1/16 dev minidock0',
        'ip link set minidock0 up',
      ]);
    } finally {
      rmSync(sysClassNet, { recursive: true, force: true });
    }
  });

  it('asks nothing of an existing bridge: it sends only the idempotent address and up, which an IpBatch keeps for later', () => {
    const sysClassNet = mkdtempSync(path.join(tmpdir(), 'minidock-net-test-'));
    try {
      mkdirSync(path.join(sysClassNet, 'minidock0'));
      const r = new RecordingRun();
      expect(ensureBridge('minidock0', '172.17.0.1', 16, r.run, sysClassNet)).toBe(false);
      expect(r.lines()).toEqual(['ip addr replace 172.17.0.1/16 dev minidock0', 'ip link set minidock0 up']);
      const ran = new RecordingRun();
      const batch = new IpBatch(ran.run);
      ensureBridge('minidock0', '172.17.0.1', 16, batch.run, sysClassNet);
      expect(ran.lines()).toEqual([]); // nothing ran yet: the lines wait for the veth's
      batch.flush();
      expect(ran.lines()).toEqual(['ip -batch -']);
    } finally {
      rmSync(sysClassNet, { recursive: true, force: true });
    }
  });
});

describe('ip_forward', () => {
  it('is switched on once, remembering the 0 it found, and put back by restoreForwarding', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'minidock-fwd-test-'));
    try {
      mkdirSync(path.join(dir, 'net/ipv4'), { recursive: true });
      writeFileSync(path.join(dir, 'net/ipv4/ip_forward'), '0\n');
      const was = path.join(dir, 'ip_forward.was');
      const r = new RecordingRun();
      enableForwarding(was, dir, r.run);
      expect(r.lines()).toEqual(['sysctl -q -w net.ipv4.ip_forward=1']);
      expect(readFileSync(was, 'utf8')).toBe('0\n');
      writeFileSync(path.join(dir, 'net/ipv4/ip_forward'), '1\n');
      enableForwarding(was, dir, r.run); // already on: nothing
      expect(r.lines()).toHaveLength(1);
      restoreForwarding(was, r.run);
      expect(r.lines()[1]).toBe('sysctl -q -w net.ipv4.ip_forward=0');
      expect(existsSync(was)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
