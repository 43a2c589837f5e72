// Network records: the predefined three, `network create` (subnets, names, overlaps), modes.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { paths, type Paths } from '../paths.js';
import { checkNetworkFlags, networkMode } from './modes.js';
import { bridgeOf, createNetwork, findNetwork, listNetworks, poolOf } from './store.js';

let root: string;
let p: Paths;
const saved = process.env.MINIDOCK_ROOT;

beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), 'minidock-net-test-'));
  process.env.MINIDOCK_ROOT = root;
  p = paths();
});

afterEach(() => {
  process.env.MINIDOCK_ROOT = saved;
  rmSync(root, { recursive: true, force: true });
});

describe('predefined networks', () => {
  it('are bridge (minidock0, 172.17.0.0/16), host and none, as docker has them', () => {
    expect(listNetworks(p).map((n) => [n.Name, n.Driver])).toEqual([['bridge', 'bridge'], ['host', 'host'], ['none', 'null']]);
    const bridge = findNetwork(p, 'bridge');
    expect(bridgeOf(bridge)).toBe('minidock0');
    expect(bridge.IPAM.Config).toEqual([{ Subnet: '172.17.0.0/16', Gateway: '172.17.0.1' }]);
    expect(findNetwork(p, bridge.Id.slice(0, 6)).Name).toBe('bridge');
  });
});

describe('createNetwork', () => {
  it('takes the next free default pool, skipping subnets the host already routes', () => {
    const a = createNetwork(p, { name: 'front' }, ['default', '172.18.0.0/16']);
    expect(a.IPAM.Config[0]).toEqual({ Subnet: '172.19.0.0/16', Gateway: '172.19.0.1' });
    expect(bridgeOf(a)).toMatch(/^mdbr-[0-9a-f]{10}$/);
    const b = createNetwork(p, { name: 'back' }, []);
    expect(poolOf(b).subnet.network).toBe('172.18.0.0');
  });

  it('uses --subnet and --gateway as given', () => {
    const n = createNetwork(p, { name: 'lab', subnet: '10.251.0.0/24', gateway: '10.251.0.254' }, []);
    expect(n.IPAM.Config[0]).toEqual({ Subnet: '10.251.0.0/24', Gateway: '10.251.0.254' });
  });

  it('refuses a taken name, an overlapping subnet, a gateway outside the subnet, and a bad name', () => {
    createNetwork(p, { name: 'lab', subnet: '10.251.0.0/24' }, []);
    expect(() => createNetwork(p, { name: 'lab' }, [])).toThrow('network with name lab already exists');
    expect(() => createNetwork(p, { name: 'lab2', subnet: '10.251.0.128/25' }, [])).toThrow('Pool overlaps with other one on this address space');
    expect(() => createNetwork(p, { name: 'lab3', subnet: '10.252.0.0/24', gateway: '10.9.0.1' }, [])).toThrow('no matching subnet for gateway 10.9.0.1');
    expect(() => createNetwork(p, { name: '-x' }, [])).toThrow('invalid network name');
  });

  it('finds nothing for an unknown name, with docker’s message', () => {
    expect(() => findNetwork(p, 'nope')).toThrow('network nope not found');
  });
});

describe('network modes', () => {
  it('reads --network values: bridge by default, none, host, container:<x>, else a user network', () => {
    expect(networkMode('bridge')).toEqual({ kind: 'bridge', name: 'bridge' });
    expect(networkMode('')).toEqual({ kind: 'bridge', name: 'bridge' });
    expect(networkMode('none').kind).toBe('none');
    expect(networkMode('host').kind).toBe('host');
    expect(networkMode('container:web')).toEqual({ kind: 'container', name: 'web' });
    expect(networkMode('backend')).toEqual({ kind: 'user', name: 'backend' });
  });

  it('refuses what a joined namespace cannot have, and warns that host mode drops published ports', () => {
    const none = { publish: [], publishAll: false, expose: [], dns: [], addHost: [] };
    const pod = networkMode('container:web');
    expect(() => checkNetworkFlags(pod, { ...none, publish: ['80:80'] })).toThrow('conflicting options: port publishing and the container type network mode');
    expect(() => checkNetworkFlags(pod, { ...none, dns: ['10.0.0.1'] })).toThrow('conflicting options: dns and the network mode');
    expect(() => checkNetworkFlags(pod, { ...none, hostname: 'x' })).toThrow('conflicting options: hostname and the network mode');
    expect(checkNetworkFlags(networkMode('host'), { ...none, publish: ['80:80'] })).toEqual(['WARNING: Published ports are discarded when using host network mode']);
  });
});
