// Networks: the records behind `minidock network ls/inspect/create/rm`, and the lock that guards
// every piece of network state. libnetwork's "Network" of the Container Network Model (seed notes
// 004 — "Docker daemon", libnetwork/CNM). Stage 5 notes, "user-defined networks".
//
//   <root>/network/<network id>/network.json   the network, in `docker network inspect`'s shape
//   <root>/network/<network id>/leases.json    its IP leases (lib/network/ipam.ts)
//   <root>/network/ports.json                  published host ports (lib/network/ports.ts)
// Docker keeps the same facts in one boltdb file, network/files/local-kv.db; a JSON file per
// network is easier to read with `cat` and holds nothing more.

import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { writeJsonAtomic } from '../atomic.js';
import { invalidName } from '../names.js';
import { EngineError } from '../errors.js';
import { withLock } from '../lock.js';
import type { Paths } from '../paths.js';
import { defaultGateway, formatSubnet, isIPv4, overlaps, parseSubnet, contains, type Subnet } from './addr.js';
import { byText } from '../order.js';

// #region network-record
/** A network as `docker network inspect` shows it (Containers is filled in when shown). */
export interface Network {
  Name: string;
  Id: string;
  Created: string;
  Scope: 'local';
  /** "bridge" (a Linux bridge and a subnet), "host" (the host's namespace), "null" (none) */
  Driver: 'bridge' | 'host' | 'null';
  EnableIPv6: false;
  IPAM: { Driver: 'default'; Options: null; Config: { Subnet: string; Gateway: string }[] };
  Internal: boolean;
  Attachable: boolean;
  Ingress: false;
  ConfigFrom: { Network: string };
  ConfigOnly: false;
  Options: Record<string, string>;
  Labels: Record<string, string>;
}

/** The default network: docker0 there, minidock0 here, with docker's default subnet. */
export const DEFAULT_BRIDGE = { name: 'bridge', device: 'minidock0', subnet: '172.17.0.0/16' } as const;
/** The networks every engine has, which cannot be created or removed. */
export const PREDEFINED = ['bridge', 'host', 'none'] as const;
// #endregion

/** Option key naming the Linux bridge device of a bridge network (docker's key). */
export const BRIDGE_NAME_OPTION = 'com.docker.network.bridge.name';

export function networkRoot(p: Paths): string {
  return path.join(p.root, 'network');
}

export function networkDir(p: Paths, id: string): string {
  return path.join(networkRoot(p), id);
}

// #region network-lock
let held = 0;
/**
 * Every change to network state (records, leases, ports, and the host's shared bridge and NAT
 * table) happens under one cross-process lock (lib/lock.ts), so twenty `minidock run`s at once
 * cannot take the same address or port. Re-entrant within a process: the lock is per process,
 * so code already holding it (connecting a container) can call code that takes it (IPAM).
 */
export function withNetworkLock<T>(fn: () => T, lockDir?: string): T {
  if (held > 0) return fn();
  held++;
  try {
    return withLock('network', fn, lockDir);
  } finally {
    held--;
  }
}
// #endregion

/** The bridge device of a bridge network ("minidock0", "mdbr-…"); null for host/none. */
export function bridgeOf(net: Network): string | null {
  return net.Driver === 'bridge' ? net.Options[BRIDGE_NAME_OPTION] : null;
}

/** The network's subnet and gateway (bridge networks have exactly one IPv4 pool). */
export function poolOf(net: Network): { subnet: Subnet; gateway: string } {
  const cfg = net.IPAM.Config[0];
  if (!cfg) throw new EngineError(`network ${net.Name} has no IPv4 pool`);
  return { subnet: parseSubnet(cfg.Subnet), gateway: cfg.Gateway };
}

function record(name: string, driver: Network['Driver'], pool: { Subnet: string; Gateway: string } | null, options: Record<string, string>): Network {
  return {
    Name: name,
    Id: randomBytes(32).toString('hex'),
    Created: new Date().toISOString(),
    Scope: 'local',
    Driver: driver,
    EnableIPv6: false,
    IPAM: { Driver: 'default', Options: null, Config: pool ? [pool] : [] },
    Internal: false,
    Attachable: false,
    Ingress: false,
    ConfigFrom: { Network: '' },
    ConfigOnly: false,
    Options: options,
    Labels: {},
  };
}

function save(p: Paths, net: Network): void {
  mkdirSync(networkDir(p, net.Id), { recursive: true, mode: 0o700 });
  writeJsonAtomic(path.join(networkDir(p, net.Id), 'network.json'), net);
}

function readAll(p: Paths): Network[] {
  const root = networkRoot(p);
  if (!existsSync(root)) return [];
  const out: Network[] = [];
  for (const id of readdirSync(root)) {
    try {
      out.push(JSON.parse(readFileSync(path.join(root, id, 'network.json'), 'utf8')) as Network);
    } catch {
      // not a network directory (ports.json) or one being removed
    }
  }
  return out;
}

/** bridge, host and none exist from the first time anyone asks (docker makes them at start-up). */
function ensurePredefined(p: Paths): void {
  const have = new Set(readAll(p).map((n) => n.Name));
  if (PREDEFINED.every((n) => have.has(n))) return;
  withNetworkLock(() => {
    const now = new Set(readAll(p).map((n) => n.Name));
    const subnet = parseSubnet(DEFAULT_BRIDGE.subnet);
    if (!now.has('bridge')) {
      save(p, record('bridge', 'bridge', { Subnet: formatSubnet(subnet), Gateway: defaultGateway(subnet) }, {
        [BRIDGE_NAME_OPTION]: DEFAULT_BRIDGE.device,
        'com.docker.network.bridge.default_bridge': 'true',
        'com.docker.network.bridge.enable_ip_masquerade': 'true',
      }));
    }
    if (!now.has('host')) save(p, record('host', 'host', null, {}));
    if (!now.has('none')) save(p, record('none', 'null', null, {}));
  });
}

/** All networks, predefined first, then by name (`network ls` order). */
export function listNetworks(p: Paths): Network[] {
  ensurePredefined(p);
  return readAll(p).sort((a, b) => byText(a.Name, b.Name));
}

/** By name, full ID or unique ID prefix. */
export function findNetwork(p: Paths, ref: string): Network {
  const all = listNetworks(p);
  const byName = all.find((n) => n.Name === ref);
  if (byName) return byName;
  const byId = all.filter((n) => ref.length > 0 && n.Id.startsWith(ref));
  if (byId.length === 1) return byId[0];
  throw new EngineError(`network ${ref} not found`);
}

// #region create-network
/** Docker's default address pools, tried in order for a network created without --subnet. */
export function* candidateSubnets(): Generator<string> {
  for (let b = 18; b <= 31; b++) yield `172.${b}.0.0/16`;
  for (let c = 0; c < 256; c += 16) yield `192.168.${c}.0/20`;
}

export interface CreateNetworkRequest {
  name: string;
  subnet?: string;
  gateway?: string;
  internal?: boolean;
  labels?: Record<string, string>;
}

/**
 * `network create`: a record with a subnet that overlaps no other network and no route the
 * host already has (`hostRoutes`: the destinations of `ip route`), and a bridge name. Nothing
 * is made in the kernel yet: the bridge appears when the first container connects.
 */
export function createNetwork(p: Paths, req: CreateNetworkRequest, hostRoutes: readonly string[]): Network {
  const bad = invalidName(req.name);
  if (bad) throw new EngineError(`invalid network name ${JSON.stringify(req.name.slice(0, 140))}: ${bad}`);
  if (req.gateway !== undefined && req.subnet === undefined) throw new EngineError('--gateway needs --subnet');
  const wanted = req.subnet !== undefined ? parseSubnet(req.subnet) : null;
  if (wanted && req.gateway !== undefined) {
    if (!isIPv4(req.gateway)) throw new EngineError(`invalid gateway address ${req.gateway}`);
    if (!contains(wanted, req.gateway)) throw new EngineError(`no matching subnet for gateway ${req.gateway}`);
  }
  ensurePredefined(p);
  return withNetworkLock(() => {
    const all = readAll(p);
    if (all.some((n) => n.Name === req.name)) throw new EngineError(`network with name ${req.name} already exists`);
    const taken = all.flatMap((n) => n.IPAM.Config.map((c) => parseSubnet(c.Subnet)));
    const routed = hostRoutes.map((r) => parseRoute(r)).filter((s): s is Subnet => s !== null);
    const free = (s: Subnet) => !taken.some((t) => overlaps(t, s)) && !routed.some((r) => overlaps(r, s));
    let subnet: Subnet;
    if (wanted) {
      if (!taken.every((t) => !overlaps(t, wanted))) throw new EngineError('Pool overlaps with other one on this address space');
      subnet = wanted;
    } else {
      const pick = [...candidateSubnets()].map(parseSubnet).find(free);
      if (!pick) throw new EngineError('could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network');
      subnet = pick;
    }
    const net = record(req.name, 'bridge', { Subnet: formatSubnet(subnet), Gateway: req.gateway ?? defaultGateway(subnet) }, {});
    // docker names it br-<12 hex of the ID>; the md prefix keeps ours apart from a real docker's
    net.Options[BRIDGE_NAME_OPTION] = `mdbr-${net.Id.slice(0, 10)}`;
    net.Internal = !!req.internal;
    net.Labels = req.labels ?? {};
    save(p, net);
    return net;
  });
}
// #endregion

/** "10.0.0.0/8" or "10.1.2.3" (a host route) → a subnet; "default" and IPv6 → null. */
function parseRoute(dst: string): Subnet | null {
  if (dst === 'default') return null;
  const [ip, len] = dst.includes('/') ? dst.split('/') : [dst, '32'];
  if (!isIPv4(ip)) return null;
  return { network: ip, prefix: Number(len) };
}

/** Forget a network's record (the caller made sure nothing uses it and its bridge is gone). */
export function deleteNetworkRecord(p: Paths, net: Network): void {
  rmSync(networkDir(p, net.Id), { recursive: true, force: true });
}

/** A short stable hash, for interface names made from IDs. */
export function shortHash(...parts: string[]): string {
  return createHash('sha256').update(parts.join('/')).digest('hex');
}
