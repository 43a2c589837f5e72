// Names on the network: the container's /etc/hosts and /etc/resolv.conf, as its network makes
// them. hosts(5), resolv.conf(5). Stage 5 notes, "names: /etc/hosts instead of a DNS server";
// stage 3 notes, "the init layer" (why these files are bind-mounted, not written into a layer).
//
// lib/container/etcfiles.ts writes containers/<id>/{hostname,hosts,resolv.conf} before the
// container has an address. Once the network is up, this file rewrites hosts (the address,
// --add-host, and the other containers of each user-defined network) and resolv.conf (--dns).
//
// How containers on one user network find each other by name: docker runs a DNS server inside
// every container's namespace (127.0.0.11, answered by dockerd) that knows the network's
// containers. minidock keeps the peers' names in every member's /etc/hosts instead, and rewrites
// those files when a container joins or leaves. The files are bind-mounted into running
// containers, so they are rewritten IN PLACE (same inode): a new file renamed over the old one
// would leave the container looking at the old inode forever.

import { closeSync, ftruncateSync, openSync, readFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { containerResolvConf, hostsFile } from '../container/etcfiles.js';
import { loadContainer, type Container } from '../container/state.js';
import { EngineError } from '../errors.js';
import type { Paths } from '../paths.js';
import { trace } from '../sys/trace.js';
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
 * Read from the network's leases, so only containers that hold an address now appear.
 */
export function peerLines(p: Paths, net: Network, self: string): string[] {
  const leases = readLeases(leasesFile(p, net.Id));
  const lines: string[] = [];
  for (const [ip, id] of Object.entries(leases)) {
    if (id === self) continue;
    try {
      const peer = loadContainer(p, id);
      const names = peer.NetworkSettings?.Networks?.[net.Name]?.DNSNames ?? [peer.Name.slice(1)];
      lines.push(`${ip}\t${names.join(' ')}`);
    } catch {
      // removed while we looked
    }
  }
  return lines.sort();
}
// #endregion

// #region resolv-dns
/**
 * resolv.conf with --dns / --dns-search applied over what the host's file gives. `ownNetwork`:
 * the container has a namespace of its own, where the host's loopback resolvers cannot be
 * reached (etcfiles.ts drops them); with --network host they can.
 */
export function resolvConf(hostResolvConf: string, dns: readonly string[], dnsSearch: readonly string[], ownNetwork = true): string {
  let lines = (ownNetwork ? containerResolvConf(hostResolvConf) : hostResolvConf).trimEnd().split('\n');
  if (dns.length > 0) lines = [...lines.filter((l) => !/^\s*nameserver\s/.test(l)), ...dns.map((d) => `nameserver ${d}`)];
  if (dnsSearch.length > 0) lines = [...lines.filter((l) => !/^\s*(search|domain)\s/.test(l)), `search ${dnsSearch.join(' ')}`];
  return lines.join('\n') + '\n';
}
// #endregion

/** The container's /etc/hosts, from its address, --add-host and its user networks' members. */
export function containerHosts(c: Container, ip: string, extra: readonly string[], peers: readonly string[]): string {
  return hostsFile(c.Config.Hostname, { ip: ip || undefined, extra: [...extra, ...peers] });
}

// #region in-place
/**
 * Replace a file's contents without replacing the file: open it read-write (no O_TRUNC), write,
 * then cut it to the new length. The inode stays, so a bind mount of it shows the new text.
 */
export function rewriteInPlace(file: string, text: string): void {
  const fd = openSync(file, 'r+');
  try {
    const buf = Buffer.from(text);
    writeSync(fd, buf, 0, buf.length, 0);
    ftruncateSync(fd, buf.length);
  } finally {
    closeSync(fd);
  }
  trace(`rewrite ${file} in place (same inode: the bind mount in the container sees it)`);
}
// #endregion

export function readOr(file: string, fallback: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return fallback;
  }
}

export function etcFile(p: Paths, id: string, name: 'hosts' | 'resolv.conf' | 'hostname'): string {
  return path.join(p.container(id), name);
}
