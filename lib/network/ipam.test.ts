// IPAM: leases in <root>/network/<id>/leases.json, the lowest free address first, under a lock.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { paths, type Paths } from '../paths.js';
import { parseSubnet } from './addr.js';
import { allocate, leasesFile, pickAddress, readLeases, release } from './ipam.js';
import { findNetwork, type Network } from './store.js';

let root: string;
let p: Paths;
let net: Network;
const saved = process.env.MINIDOCK_ROOT;

beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), 'minidock-ipam-test-'));
  process.env.MINIDOCK_ROOT = root;
  p = paths();
  net = findNetwork(p, 'bridge');
});

afterEach(() => {
  process.env.MINIDOCK_ROOT = saved;
  rmSync(root, { recursive: true, force: true });
});

const subnet = parseSubnet('172.17.0.0/16');

describe('pickAddress', () => {
  it('skips the network address and the gateway: the first container gets .2', () => {
    expect(pickAddress(subnet, '172.17.0.1', {})).toBe('172.17.0.2');
  });

  it('takes the lowest address nobody holds, reusing a released one', () => {
    expect(pickAddress(subnet, '172.17.0.1', { '172.17.0.2': 'a', '172.17.0.4': 'c' })).toBe('172.17.0.3');
  });

  it('refuses a full subnet with a clear error (a /30 has room for the gateway and one container)', () => {
    const tiny = parseSubnet('10.250.0.0/30');
    expect(pickAddress(tiny, '10.250.0.1', {})).toBe('10.250.0.2');
    expect(() => pickAddress(tiny, '10.250.0.1', { '10.250.0.2': 'a' })).toThrow('no available addresses on this pool: every host address of 10.250.0.0/30 is taken');
  });
});

describe('allocate and release', () => {
  it('records each lease in leases.json and gives a container the address it already holds', () => {
    const a = allocate(p, net, subnet, '172.17.0.1', 'aaaa');
    const b = allocate(p, net, subnet, '172.17.0.1', 'bbbb');
    expect([a, b]).toEqual(['172.17.0.2', '172.17.0.3']);
    expect(allocate(p, net, subnet, '172.17.0.1', 'aaaa')).toBe('172.17.0.2');
    expect(JSON.parse(readFileSync(leasesFile(p, net.Id), 'utf8'))).toEqual({ '172.17.0.2': 'aaaa', '172.17.0.3': 'bbbb' });
  });

  it('gives back only the container’s own leases, and does nothing the second time', () => {
    allocate(p, net, subnet, '172.17.0.1', 'aaaa');
    allocate(p, net, subnet, '172.17.0.1', 'bbbb');
    expect(release(p, net.Id, 'aaaa')).toEqual(['172.17.0.2']);
    expect(release(p, net.Id, 'aaaa')).toEqual([]);
    expect(readLeases(leasesFile(p, net.Id))).toEqual({ '172.17.0.3': 'bbbb' });
  });

  // needs the build (npx tsc): the child processes load dist/lib/network/ipam.js
  const dist = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dist/lib/network/ipam.js');
  it.skipIf(!existsSync(dist))('hands 8 processes allocating at the same moment 8 different addresses', () => {
    const script = `
      import { allocate } from ${JSON.stringify(dist)};
      import { findNetwork, poolOf } from ${JSON.stringify(dist.replace('ipam.js', 'store.js'))};
      import { paths } from ${JSON.stringify(dist.replace('network/ipam.js', 'paths.js'))};
      const p = paths(); const net = findNetwork(p, 'bridge'); const { subnet, gateway } = poolOf(net);
      while (Date.now() < Number(process.argv[1])) {} // start together
      allocate(p, net, subnet, gateway, 'c' + process.pid);`;
    const start = Date.now() + 1500;
    const kids = Array.from({ length: 8 }, () => `node --input-type=module -e '${script.replace(/'/g, "'\\''")}' ${start} &`).join('\n');
    const r = spawnSync('sh', ['-c', `${kids}\nwait`], { env: { ...process.env, MINIDOCK_ROOT: root }, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    const leases = readLeases(leasesFile(p, net.Id));
    expect(Object.keys(leases)).toHaveLength(8);
    expect(new Set(Object.values(leases)).size).toBe(8);
  });
});
