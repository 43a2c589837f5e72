// Names on the network: the lines the network contributes to a container's /etc/hosts.
// hosts(5). Stage 5 notes, "names: /etc/hosts instead of a DNS server".
//
// This file computes lines; lib/container/etcfiles.ts is the one writer of the container's
// /etc files (hosts, hostname, resolv.conf), and asks for them here: --add-host, and the other
// containers of each user-defined network.
//
// How containers on one user network find each other by name: docker runs a DNS server inside
// every container's namespace (127.0.0.11, answered by dockerd) that knows the network's
// containers. minidock keeps the peers' names in every member's /etc/hosts instead, and the engine
// rewrites those files when a container joins or leaves (sandbox.ts returns who must be told).

import { EngineError } from '../errors.js';
import type { Paths } from '../paths.js';
import { isIPv4 } from './addr.js';
import { leasesFile, readLeases } from './ipam.js';
import type { Network } from './store.js';

// #region add-host
/** `--add-host name:ip` (HostConfig.ExtraHosts) → "ip\tname". "host-gateway" is the bridge's address. */
export function extraHostLines(extraHosts: readonly string[], hostGateway: string): string[] {
  return extraHosts.map((entry) => {
    const i = entry.lastIndexOf(':');
    const [name, ip] = i > 0 ? [entry.slice(0, i), entry.slice(i + 1)] : ['', ''];
    const addr = ip === 'host-gateway' ? hostGateway : ip;
    if (!name || !isIPv4(addr)) throw new EngineError(`invalid argument "${entry}" for "--add-host" flag: invalid IP address in add-host: "${ip}"`);
    return `${addr}\t${name}`;
  });
}
// #endregion

/** Check `--add-host` values before anything is created. */
export function validateExtraHosts(extraHosts: readonly string[]): void {
  extraHostLines(extraHosts, '0.0.0.0');
}

// #region peers
/**
 * The other containers of user-defined network `net`, as hosts(5) lines: "172.18.0.3\tdb 1a2b3c4d5e6f".
 * Read from the network's leases, so only containers that hold an address now appear. Their
 * names are the engine's to know: `dnsNames(id)` gives them (null: that container is gone).
 */
export function peerLines(p: Paths, net: Network, self: string, dnsNames: (id: string) => string[] | null): string[] {
  const leases = readLeases(leasesFile(p, net.Id));
  const lines: string[] = [];
  for (const [ip, id] of Object.entries(leases)) {
    if (id === self) continue;
    const names = dnsNames(id);
    if (names) lines.push(`${ip}\t${names.join(' ')}`); // null: removed while we looked
  }
  return lines.sort();
}
// #endregion
