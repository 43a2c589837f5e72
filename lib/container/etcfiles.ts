// /etc/hostname, /etc/hosts and /etc/resolv.conf: the three files Docker writes for each
// container, in containers/<id>/, and bind-mounts over the empty placeholders of its init layer.
//
// Written on the host, they can be rewritten while the container runs (a network connects) and
// they never enter the writable layer, so `commit` never packs them. hosts(5), resolv.conf(5),
// hostname(5); moby libnetwork/etchosts and libnetwork/resolvconf. Stage 3 notes, "the init layer";
// stage 5 notes, "names: /etc/hosts instead of a DNS server".
//
// This file is their one writer: first at start (etcMounts, before the container has an
// address), then each time its network changes (writeNetworkEtcFiles, with what lib/network
// knows: the address, --add-host, the members of its user networks, --dns). Running containers
// see the files through bind mounts, so later writes go IN PLACE (same inode): a new file renamed
// over the old one would leave the container looking at the old inode forever.

import { closeSync, ftruncateSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { extraHostLines, peerLines } from '../network/hosts.js';
import { networkMode } from '../network/modes.js';
import { isUserNetwork } from '../network/sandbox.js';
import { emptySettings } from '../network/settings.js';
import { DEFAULT_BRIDGE, findNetwork, poolOf, type Network } from '../network/store.js';
import type { Paths } from '../paths.js';
import type { MountSpec } from './mounts.js';
import { trace } from '../sys/trace.js';
import { findContainer, loadContainer, loadHostConfig, type Container, type HostConfig } from './state.js';

/** The files, by their name in containers/<id>/ and their place in the container. */
export const ETC_FILES = [
  { file: 'resolv.conf', target: '/etc/resolv.conf' },
  { file: 'hostname', target: '/etc/hostname' },
  { file: 'hosts', target: '/etc/hosts' },
] as const;

// #region hosts
/** The lines every container's /etc/hosts starts with (Docker's defaults). */
export const DEFAULT_HOSTS = [
  '127.0.0.1\tlocalhost',
  '::1\tlocalhost ip6-localhost ip6-loopback',
  'fe00::0\tip6-localnet',
  'ff00::0\tip6-mcastprefix',
  'ff02::1\tip6-allnodes',
  'ff02::2\tip6-allrouters',
];

/**
 * /etc/hosts: the defaults, then one line naming the container by its address when it has one
 * (stage 5 gives containers an address; with none, as with --network none, Docker writes no
 * such line either), then extra `IP\tNAME` lines (--add-host).
 */
export function hostsFile(hostname: string, opts: { ip?: string; extra?: readonly string[] } = {}): string {
  const lines = [...DEFAULT_HOSTS];
  if (opts.ip) lines.push(`${opts.ip}\t${hostname}`);
  lines.push(...(opts.extra ?? []));
  return lines.join('\n') + '\n';
}
// #endregion

// #region resolv-conf
/** Used when no usable nameserver is left (Docker's defaults: Google's public resolvers). */
export const DEFAULT_NAMESERVERS = ['8.8.8.8', '8.8.4.4'];

/**
 * The container's resolv.conf, from the host's (chooseHostResolvConf): a nameserver on a loopback
 * address (127.0.0.53 of systemd-resolved, a local dnsmasq) would be the container's own loopback inside its network
 * namespace, where nothing listens, so those lines go. If no nameserver is left, Docker's
 * defaults. search/options lines are kept. Text in, text out: nothing is asked of any DNS server.
 */
export function containerResolvConf(hostResolvConf: string): string {
  const lines = hostResolvConf.split('\n');
  const isLoopback = (addr: string) => /^127\./.test(addr) || addr === '::1' || addr === '0:0:0:0:0:0:0:1';
  const kept = lines.filter((l) => {
    const m = /^\s*nameserver\s+(\S+)/.exec(l);
    return !m || !isLoopback(m[1]);
  });
  const hasNameserver = kept.some((l) => /^\s*nameserver\s/.test(l));
  const out = kept.join('\n').replace(/\n+$/, '');
  const defaults = hasNameserver ? '' : DEFAULT_NAMESERVERS.map((n) => `nameserver ${n}`).join('\n');
  return [out, defaults].filter((s) => s !== '').join('\n') + '\n';
}
// #endregion

// #region resolved-upstream
/** systemd-resolved's stub listener: the only nameserver of /etc/resolv.conf on Ubuntu. */
export const RESOLVED_STUB = '127.0.0.53';

/**
 * Which host resolv.conf a container's is made from. On a host that runs systemd-resolved
 * (Ubuntu), /etc/resolv.conf names only the stub 127.0.0.53, a loopback address the container
 * cannot reach; dropping it would leave Docker's public defaults, which many networks block.
 * systemd-resolved writes the servers it really asks to /run/systemd/resolve/resolv.conf, and
 * Docker reads that file in this case; so do we. Any other /etc/resolv.conf is used as it is.
 * systemd-resolved.service(8), "/etc/resolv.conf".
 */
export function chooseHostResolvConf(etcResolvConf: string, resolvedResolvConf: string | null): string {
  const servers = etcResolvConf.split('\n').flatMap((l) => /^\s*nameserver\s+(\S+)/.exec(l)?.[1] ?? []);
  const onlyStub = servers.length > 0 && servers.every((s) => s === RESOLVED_STUB);
  return onlyStub && resolvedResolvConf !== null ? resolvedResolvConf : etcResolvConf;
}

/**
 * The host's resolv.conf for a container with a network of its own. `etcDir` is the host's
 * /etc (a temp dir in tests); systemd-resolved's file is found beside it, at ../run/systemd/….
 */
function hostResolvConf(etcDir: string): string {
  const resolved = path.join(etcDir, '..', 'run', 'systemd', 'resolve', 'resolv.conf');
  let upstream: string | null = null;
  try {
    upstream = readFileSync(resolved, 'utf8');
  } catch {
    // no systemd-resolved on this host
  }
  return chooseHostResolvConf(readOr(path.join(etcDir, 'resolv.conf'), ''), upstream);
}
// #endregion

function readOr(file: string, fallback: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return fallback;
  }
}

// #region etc-mounts
/**
 * Write containers/<id>/{hostname,hosts,resolv.conf} and return the bind mounts that put them at
 * /etc/… in the container. From stage 3 on (the init layer holds their mount points).
 * With --network host the container shares the host's network, so it gets the host's hosts and
 * resolv.conf as they are; with --network container:<x>, the files of <x>.
 */
export function etcMounts(p: Paths, c: Container, hc: Pick<HostConfig, 'NetworkMode'>, stage: number, etcDir = '/etc'): MountSpec[] {
  if (stage < 3) return [];
  const dir = p.container(c.ID);
  const mode = hc.NetworkMode ?? '';
  if (mode.startsWith('container:')) {
    // the same network namespace, so the same files (`run` checked that the other one runs)
    const otherDir = p.container(findContainer(p, mode.slice('container:'.length)).ID);
    return ETC_FILES.map(({ file, target }) => ({ source: path.join(otherDir, file), target, type: 'bind', readonly: false }));
  }
  const hostHosts = readOr(path.join(etcDir, 'hosts'), '');
  const hostResolv = readOr(path.join(etcDir, 'resolv.conf'), '');
  writeFileSync(path.join(dir, 'hostname'), `${c.Config.Hostname}\n`, { mode: 0o644 });
  writeFileSync(path.join(dir, 'hosts'), mode === 'host' ? hostHosts : hostsFile(c.Config.Hostname), { mode: 0o644 });
  writeFileSync(path.join(dir, 'resolv.conf'), mode === 'host' ? hostResolv : containerResolvConf(hostResolvConf(etcDir)), { mode: 0o644 });
  trace(`write ${dir}/{hostname,hosts,resolv.conf}; bind-mount them at /etc/…`);
  return ETC_FILES.map(({ file, target }) => ({ source: path.join(dir, file), target, type: 'bind', readonly: false }));
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


export function etcFile(p: Paths, id: string, name: 'hosts' | 'resolv.conf' | 'hostname'): string {
  return path.join(p.container(id), name);
}

// #region etc-files
/**
 * Rewrite containers/<id>/hosts and resolv.conf with what the network knows now: the address,
 * --add-host, the other members of its user networks (hosts); --dns, --dns-search (resolv.conf).
 * In place: the files are (or are about to be) bind-mounted into the container. The engine calls
 * it after recording a change of the container's NetworkSettings, and for each peer that
 * lib/network/sandbox.ts says must hear of it.
 */
export function writeNetworkEtcFiles(p: Paths, id: string, etcDir = '/etc'): void {
  let c: Container;
  let hc: HostConfig;
  try {
    c = loadContainer(p, id);
    hc = loadHostConfig(p, id);
  } catch {
    return; // removed meanwhile: nothing to write
  }
  if (c.Minidock.Stage < 3) return; // no init layer, no bind-mounted /etc files (stage 3)
  const hostsPath = etcFile(p, id, 'hosts');
  const resolvPath = etcFile(p, id, 'resolv.conf');
  const mode = networkMode(hc.NetworkMode);
  if (mode.kind === 'container') return; // the other container's files
  const gateway = poolOf(findNetwork(p, DEFAULT_BRIDGE.name)).gateway;
  const extra = extraHostLines(hc.ExtraHosts ?? [], gateway);
  const hostResolv = readOr(path.join(etcDir, 'resolv.conf'), '');
  if (mode.kind === 'host') {
    const hosts = readOr(path.join(etcDir, 'hosts'), '');
    rewriteInPlace(hostsPath, [hosts.trimEnd(), ...extra].filter(Boolean).join('\n') + '\n');
    if ((hc.Dns ?? []).length > 0 || (hc.DnsSearch ?? []).length > 0) rewriteInPlace(resolvPath, resolvConf(hostResolv, hc.Dns ?? [], hc.DnsSearch ?? [], false));
    return;
  }
  const s = c.NetworkSettings ?? emptySettings();
  const primary = s.Networks[mode.name]?.IPAddress ?? '';
  const peers: string[] = [];
  for (const name of Object.keys(s.Networks)) {
    let net: Network;
    try {
      net = findNetwork(p, name);
    } catch {
      continue;
    }
    if (isUserNetwork(net)) peers.push(...peerLines(p, net, id, (peer) => dnsNames(p, peer, net.Name)));
  }
  rewriteInPlace(hostsPath, containerHosts(c, primary, extra, [...new Set(peers)]));
  rewriteInPlace(resolvPath, resolvConf(hostResolvConf(etcDir), hc.Dns ?? [], hc.DnsSearch ?? [], true));
}

/** The names a member of a user network answers to there (its record says; null: it is gone). */
function dnsNames(p: Paths, id: string, network: string): string[] | null {
  try {
    const peer = loadContainer(p, id);
    return peer.NetworkSettings?.Networks?.[network]?.DNSNames ?? [peer.Name.slice(1)];
  } catch {
    return null;
  }
}
// #endregion
