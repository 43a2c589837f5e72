// /etc/hostname, /etc/hosts and /etc/resolv.conf: the three files Docker writes for each
// container, in containers/<id>/, and bind-mounts over the empty placeholders of its init layer.
//
// Written on the host, they can be rewritten while the container runs (a network connects) and
// they never enter the writable layer, so `commit` never packs them. hosts(5), resolv.conf(5),
// hostname(5); moby libnetwork/etchosts and libnetwork/resolvconf. Stage 3 notes, "the init layer".

import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Paths } from '../paths.js';
import type { MountSpec } from './mounts.js';
import { trace } from '../sys/trace.js';
import { findContainer, type Container, type HostConfig } from './state.js';

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
 * The container's resolv.conf, from the host's: a nameserver on a loopback address (127.0.0.53
 * of systemd-resolved, a local dnsmasq) would be the container's own loopback inside its network
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
  writeFileSync(path.join(dir, 'resolv.conf'), mode === 'host' ? hostResolv : containerResolvConf(hostResolv), { mode: 0o644 });
  trace(`write ${dir}/{hostname,hosts,resolv.conf}; bind-mount them at /etc/…`);
  return ETC_FILES.map(({ file, target }) => ({ source: path.join(dir, file), target, type: 'bind', readonly: false }));
}
// #endregion
