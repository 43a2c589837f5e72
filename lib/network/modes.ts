// The network modes of `run --network`: what each means, and which flags make no sense with it.
// Stage 5 notes, "four modes"; seed notes 000/001/002 — "容器的网络模式" (host, container, none,
// bridge), and 003 — `--net container:…`.
//
//   bridge (default)   a namespace of its own, a veth to the bridge, an address, NAT outward
//   <user network>     the same on a network made by `minidock network create`, plus names
//   none               a namespace of its own with only lo
//   host               no namespace of its own: the host's interfaces, ports and routes
//   container:<x>      no namespace of its own: x's, with x's interfaces, address and lo (a pod)

import { hostname as osHostname } from 'node:os';
import type { HostConfig } from '../container/records.js';
import { EngineError } from '../errors.js';
import type { Paths } from '../paths.js';
import { isIPv4 } from './addr.js';
import { validateExtraHosts } from './hosts.js';
import { exposedKey, portBindings } from './ports.js';
import { findNetwork } from './store.js';

// #region modes
export type NetworkModeKind = 'bridge' | 'user' | 'none' | 'host' | 'container';

export interface NetworkMode {
  kind: NetworkModeKind;
  /** the network to attach to (bridge/user), or the container to join (container) */
  name: string;
}

export function networkMode(mode: string): NetworkMode {
  if (mode === '' || mode === 'default' || mode === 'bridge') return { kind: 'bridge', name: 'bridge' };
  if (mode === 'none' || mode === 'host') return { kind: mode, name: mode };
  if (mode.startsWith('container:')) return { kind: 'container', name: mode.slice('container:'.length) };
  return { kind: 'user', name: mode };
}
// #endregion

export interface NetworkFlags {
  publish: readonly string[];
  publishAll: boolean;
  expose: readonly string[];
  dns: readonly string[];
  addHost: readonly string[];
  hostname?: string;
}

// #region conflicts
/**
 * docker's rules (runconfig's validateNetMode): a container that joins another's namespace takes
 * that namespace as it is, so it cannot publish ports, set DNS, add hosts or name its host.
 * Returns warnings for what is accepted and ignored (ports with --network host).
 */
export function checkNetworkFlags(mode: NetworkMode, f: NetworkFlags): string[] {
  if (mode.kind === 'container') {
    if (f.hostname) throw new EngineError('conflicting options: hostname and the network mode');
    if (f.dns.length > 0) throw new EngineError('conflicting options: dns and the network mode');
    if (f.addHost.length > 0) throw new EngineError('conflicting options: custom host-to-IP mapping and the network mode');
    if (f.publish.length > 0 || f.publishAll) throw new EngineError('conflicting options: port publishing and the container type network mode');
    if (f.expose.length > 0) throw new EngineError('conflicting options: port exposing and the container type network mode');
  }
  if (mode.kind === 'host' && (f.publish.length > 0 || f.publishAll)) return ['WARNING: Published ports are discarded when using host network mode'];
  return [];
}
// #endregion

export interface NetworkRunFlags extends NetworkFlags {
  network: string;
  dnsSearch: readonly string[];
}

/** What `run`'s network flags put in the container's config, checked before anything exists. */
export interface NetworkRunConfig {
  host: Pick<HostConfig, 'PortBindings' | 'PublishAllPorts' | 'Dns' | 'DnsSearch' | 'ExtraHosts'>;
  /** the hostname docker gives when none is asked: the host's (host mode), the other container's (container:) */
  hostname?: string;
  /** --expose: ExposedPorts keys ("80/tcp") */
  exposed: string[];
  warnings: string[];
}

// #region run-flags
/**
 * `hostnameOf(ref)`: the hostname of container `ref` (--network container:<ref> takes it, as a
 * pod shares one hostname), undefined when there is no such container; the engine reads it.
 */
export function networkRunConfig(p: Paths, f: NetworkRunFlags, hostnameOf: (ref: string) => string | undefined = () => undefined): NetworkRunConfig {
  const mode = networkMode(f.network);
  const warnings = checkNetworkFlags(mode, f);
  for (const d of f.dns) if (!isIPv4(d)) throw new EngineError(`invalid argument "${d}" for "--dns" flag: ${d} is not an ip address`);
  validateExtraHosts(f.addHost);
  const exposed = f.expose.map(exposedKey);
  const bindings = portBindings(f.publish);
  let hostname: string | undefined;
  if (mode.kind === 'user') findNetwork(p, mode.name); // "network NAME not found", before anything is made
  if (mode.kind === 'host' && !f.hostname) hostname = osHostname();
  if (mode.kind === 'container' && !f.hostname) hostname = hostnameOf(mode.name); // not found: run's check of --network container: says so
  return {
    host: { PortBindings: bindings, PublishAllPorts: f.publishAll, Dns: [...f.dns], DnsSearch: [...f.dnsSearch], ExtraHosts: f.addHost.length > 0 ? [...f.addHost] : null },
    hostname,
    exposed: [...new Set([...exposed, ...Object.keys(bindings)])],
    warnings,
  };
}
// #endregion
