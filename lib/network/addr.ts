// IPv4 addresses and subnets as numbers: what IPAM, routes and NAT rules are computed from.
// ip(7), RFC 4632 (CIDR notation). Stage 5 notes: stages/05-networking/README.md, "IPAM: who gets which address".
//
// An address is 32 bits; "172.17.0.0/16" keeps the first 16 of them fixed (the network) and
// numbers the hosts with the other 16. Plain arithmetic, no kernel: every function here is pure.

import { EngineError } from '../errors.js';

export interface Subnet {
  /** the network address, e.g. "172.17.0.0" */
  network: string;
  /** the prefix length, e.g. 16 */
  prefix: number;
}

/** "172.17.0.2" → 2886795266; throws on anything that is not a dotted quad. */
export function ipToInt(ip: string): number {
  const parts = ip.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) {
    throw new EngineError(`invalid IPv4 address: ${ip}`);
  }
  return parts.reduce((n, p) => n * 256 + Number(p), 0);
}

export function intToIp(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');
}

export function isIPv4(s: string): boolean {
  try {
    ipToInt(s);
    return true;
  } catch {
    return false;
  }
}

/** How many addresses a prefix spans: /16 → 65536. */
function size(prefix: number): number {
  return 2 ** (32 - prefix);
}

// #region subnet
/** Parse "172.17.0.0/16". The address must be the network's first one (docker's rule too). */
export function parseSubnet(cidr: string): Subnet {
  const m = /^([\d.]+)\/(\d{1,2})$/.exec(cidr);
  const prefix = m ? Number(m[2]) : NaN;
  if (!m || !isIPv4(m[1]) || prefix > 32) throw new EngineError(`invalid subnet ${cidr}: invalid CIDR address`);
  // a /31 or /32 has no room for a gateway and a container
  if (prefix > 30) throw new EngineError(`invalid subnet ${cidr}: a network needs at least a /30`);
  const start = ipToInt(m[1]);
  if (start % size(prefix) !== 0) {
    const network = intToIp(start - (start % size(prefix)));
    throw new EngineError(`invalid subnet ${cidr}: the network address is ${network}/${prefix}`);
  }
  return { network: m[1], prefix };
}

export function formatSubnet(s: Subnet): string {
  return `${s.network}/${s.prefix}`;
}

/** The addresses a host may have: all but the network address (first) and broadcast (last). */
export function hostRange(s: Subnet): { first: number; last: number } {
  const start = ipToInt(s.network);
  return { first: start + 1, last: start + size(s.prefix) - 2 };
}

export function contains(s: Subnet, ip: string): boolean {
  const start = ipToInt(s.network);
  const n = ipToInt(ip);
  return n >= start && n < start + size(s.prefix);
}

/** Do two subnets share any address? (Then a route could not tell them apart.) */
export function overlaps(a: Subnet, b: Subnet): boolean {
  const [a0, b0] = [ipToInt(a.network), ipToInt(b.network)];
  return a0 < b0 + size(b.prefix) && b0 < a0 + size(a.prefix);
}

/** The gateway docker picks when none is given: the subnet's first host address (.1). */
export function defaultGateway(s: Subnet): string {
  return intToIp(hostRange(s).first);
}
// #endregion

// #region mac
/**
 * The MAC address of a container's interface, made from its IP the way docker did for years:
 * 02:42 (a locally administered, unicast prefix: bit 1 of the first byte set, bit 0 clear)
 * followed by the four bytes of the IPv4 address. 172.17.0.2 → 02:42:ac:11:00:02.
 * Unique as long as the addresses are, and readable in `tcpdump -e`.
 */
export function macFor(ip: string): string {
  const n = ipToInt(ip);
  const bytes = [0x02, 0x42, ...[24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256)];
  return bytes.map((b) => b.toString(16).padStart(2, '0')).join(':');
}
// #endregion
