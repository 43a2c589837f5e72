// IPAM — IP address management: which container holds which address of a network's subnet.
// libnetwork's ipam "default" driver does this job for docker. Stage 5 notes, "IPAM".
//
// The leases live in <root>/network/<network id>/leases.json as { "172.17.0.2": "<container id>" },
// written atomically, and are only read-modified-written under the network lock
// (lib/network/store.ts withNetworkLock): twenty `run`s at once get twenty addresses because
// they take turns, not because they are lucky. `rm` (and every failed start) gives them back.

import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { writeJsonAtomic } from '../atomic.js';
import { EngineError } from '../errors.js';
import type { Paths } from '../paths.js';
import { trace } from '../sys/trace.js';
import { formatSubnet, hostRange, intToIp, ipToInt, type Subnet } from './addr.js';
import { networkDir, withNetworkLock, type Network } from './store.js';

/** address → container ID */
export type Leases = Record<string, string>;

export function leasesFile(p: Paths, networkId: string): string {
  return path.join(networkDir(p, networkId), 'leases.json');
}

export function readLeases(file: string): Leases {
  if (!existsSync(file)) return {};
  return JSON.parse(readFileSync(file, 'utf8')) as Leases;
}

// #region pick-address
/**
 * The lowest free host address of the subnet: not the network address, not the broadcast
 * address, not the gateway (the bridge holds it), not leased. Docker's allocator walks the
 * subnet the same way (it remembers where it stopped, to delay reusing a freed address).
 */
export function pickAddress(subnet: Subnet, gateway: string, leases: Leases): string {
  // #region exercise 5.pick-address
  const { first, last } = hostRange(subnet);
  const taken = new Set([ipToInt(gateway), ...Object.keys(leases).map(ipToInt)]);
  for (let n = first; n <= last; n++) if (!taken.has(n)) return intToIp(n);
  // #endregion
  throw new EngineError(`no available addresses on this pool: every host address of ${formatSubnet(subnet)} is taken`);
}
// #endregion

// #region allocate
/** Lease an address of `net` to a container (the one it already holds, if any). */
export function allocate(p: Paths, net: Network, subnet: Subnet, gateway: string, containerId: string, lockDir?: string): string {
  return withNetworkLock(() => {
    const file = leasesFile(p, net.Id);
    const leases = readLeases(file);
    const mine = Object.keys(leases).find((ip) => leases[ip] === containerId);
    if (mine) return mine;
    const ip = pickAddress(subnet, gateway, leases);
    writeJsonAtomic(file, { ...leases, [ip]: containerId });
    trace(`ipam: lease ${ip} of ${net.Name} (${formatSubnet(subnet)}) to ${containerId.slice(0, 12)}`);
    return ip;
  }, lockDir);
}

/** Give back every address a container holds on `net`. Idempotent: nothing held, nothing done. */
export function release(p: Paths, networkId: string, containerId: string, lockDir?: string): string[] {
  return withNetworkLock(() => {
    const file = leasesFile(p, networkId);
    if (!existsSync(path.dirname(file))) return [];
    const leases = readLeases(file);
    const freed = Object.keys(leases).filter((ip) => leases[ip] === containerId);
    if (freed.length === 0) return [];
    for (const ip of freed) delete leases[ip];
    writeJsonAtomic(file, leases);
    trace(`ipam: release ${freed.join(', ')} of ${containerId.slice(0, 12)}`);
    return freed;
  }, lockDir);
}
// #endregion
