// A container's network, set up and torn down: the "sandbox" of libnetwork's Container Network
// Model (a network namespace with one "endpoint" per network it is connected to). Stage 5 notes,
// "what the engine does at `run`"; seed notes 004 — "libnetwork" (CNM).
//
// The engine (lib/container/network.ts) calls setUpNetwork after init has unshared its network
// namespace and waits, before the user's command exists; releaseContainerNetwork when the
// container exits, again (idempotently) at `rm`, on every failed start, and when a verb finds a
// container whose monitor died halfway. This file never reads or writes the container's records:
// it is told what it needs (an Attachment) and returns what the engine records (NetworkSettings).

import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { NetworkSettings, PortMap } from '../container/records.js';
import { EngineError } from '../errors.js';
import type { Paths } from '../paths.js';
import { sh } from '../sys/exec.js';
import { trace } from '../sys/trace.js';
import { formatSubnet, macFor } from './addr.js';
import { IpBatch } from './batch.js';
import { enableForwarding, ensureBridge, SYS_CLASS_NET } from './bridge.js';
import { allocate, leasesFile, readLeases, release } from './ipam.js';
import { networkMode } from './modes.js';
import { reachableOnLoopback, setRouteLocalnet } from './localnet.js';
import { addNetworkRules, addPortRules, deletePortRules } from './nat.js';
import { loopbackUp, netnsPath, type Run } from './netns.js';
import { portMap, readReservations, releasePorts, reservePorts, type Published } from './ports.js';
import { addDefaultRoute } from './routes.js';
import { emptyEndpoint, emptySettings, type EndpointSettings } from './settings.js';
import { bridgeOf, DEFAULT_BRIDGE, findNetwork, listNetworks, networkRoot, poolOf, withNetworkLock, type Network } from './store.js';
import { createVeth, deleteVeth, hostVethName, nextIfname } from './veth.js';

/** Where we note the ip_forward value we found before switching it on (lib/network/bridge.ts). */
export function forwardingWasFile(p: Paths): string {
  return path.join(networkRoot(p), 'ip_forward.was');
}

/** The default bridge and every network made by `network create` (not host/none). */
export function isUserNetwork(net: Network): boolean {
  return net.Driver === 'bridge' && net.Options['com.docker.network.bridge.default_bridge'] !== 'true';
}

/**
 * What the network needs to know of a container. The engine takes it from the container's
 * records (config.v2.json, hostconfig.json); this side never reads them.
 */
export interface Attachment {
  id: string;
  /** the container's name without docker's leading "/" */
  name: string;
  /** HostConfig.NetworkMode: "bridge", "none", "host", "container:<x>", or a network's name */
  networkMode: string;
  /** HostConfig.PortBindings (-p) and PublishAllPorts (-P) */
  portBindings: PortMap;
  publishAll: boolean;
  /** Config.ExposedPorts' keys ("80/tcp"): what -P publishes, and inspect lists */
  exposed: readonly string[];
}

/** What a change of the container's network returns, for the engine to record and write. */
export interface NetworkChange {
  /** the container's NetworkSettings now (config.v2.json) */
  settings: NetworkSettings;
  /** the other containers whose /etc/hosts names changed (members of a user network) */
  peersChanged: string[];
}

// #region set-up
/**
 * Give container `a` (whose init is host PID `pid`, waiting in its new namespaces) the network
 * its --network asks for. Stage 5 and up. Returns its NetworkSettings; the engine records them.
 */
export function setUpNetwork(p: Paths, a: Attachment, pid: number): NetworkChange {
  const mode = networkMode(a.networkMode);
  trace(`network: ${mode.kind}${mode.kind === 'user' || mode.kind === 'container' ? ` ${mode.name}` : ''} for ${a.id.slice(0, 12)}`);
  const settings = emptySettings();
  if (mode.kind === 'container') {
    // another container's namespace, with its interfaces and its /etc files (etcfiles.ts)
    return { settings, peersChanged: [] };
  }
  if (mode.kind === 'host') {
    const host = findNetwork(p, 'host');
    settings.Networks.host = { ...emptyEndpoint(host.Id), EndpointID: newId() };
    return { settings, peersChanged: [] };
  }
  // a namespace of its own (none, bridge, user network): its loopback comes up (with the
  // network's other `ip` commands inside it, for a bridge: connectEndpoint)
  settings.SandboxKey = netnsPath(pid);
  if (mode.kind === 'none') {
    loopbackUp(pid);
    settings.Networks.none = { ...emptyEndpoint(findNetwork(p, 'none').Id), EndpointID: newId() };
    return { settings, peersChanged: [] };
  }
  return connectEndpoint(p, a, findNetwork(p, mode.name), pid, true, settings);
}
// #endregion

function newId(): string {
  return randomBytes(32).toString('hex');
}

/** The containers that hold an address on `net` now, but `self`. */
function membersBut(p: Paths, net: Network, self: string): string[] {
  return [...new Set(Object.values(readLeases(leasesFile(p, net.Id))))].filter((id) => id !== self);
}

// #region connect-endpoint
/**
 * Plug the container into one bridge network: an address from IPAM, the bridge (made on first
 * use), NAT rules for the network, a veth pair whose far end becomes ethN inside, a default
 * route (primary network only), DNAT rules for its published ports. Returns `settings` with the
 * new endpoint in it. On any failure, everything made so far is undone before the error goes up.
 */
export function connectEndpoint(p: Paths, a: Attachment, net: Network, pid: number, primary: boolean, settings: NetworkSettings): NetworkChange {
  const bridge = bridgeOf(net);
  if (!bridge) throw new EngineError(`network ${net.Name} has no bridge: only bridge networks can be connected to`);
  const { subnet, gateway } = poolOf(net);
  const veth = hostVethName(a.id, net.Id);
  // The host's `ip` commands, and those inside the container, go as one batch each (batch.ts).
  const batch = new IpBatch();
  try {
    // 1. Under the lock: the shared things (bridge, forwarding, the network's NAT rules) and the
    //    things that must be unique (the address, the host ports). A bridge made now is made
    //    before the lock goes, so that the next container finds it; an existing one only gets
    //    its (idempotent) address and "up" lines in the batch of step 2.
    const { ip, published } = withNetworkLock(() => {
      if (ensureBridge(bridge, gateway, subnet.prefix, batch.run)) {
        batch.flush();
        trace(`network: created bridge ${bridge} (${gateway}/${subnet.prefix})`);
      }
      enableForwarding(forwardingWasFile(p));
      const ip = allocate(p, net, subnet, gateway, a.id);
      let published: Published[] = [];
      try {
        if (primary) published = reservePorts(p, a.id, a.portBindings, a.publishAll ? a.exposed : []);
      } catch (e) {
        throw new EngineError(`driver failed programming external connectivity on endpoint ${a.name}: ${(e as Error).message}`);
      }
      addNetworkRules({ name: net.Name, bridge, subnet: formatSubnet(subnet) });
      return { ip, published };
    });
    // #endregion

    // #region connect-veth
    // 2. The cable, its address, the route, lo up: only this container's names, no lock needed.
    //    Two processes: `ip -batch` on the host's side, one inside the container's namespace.
    const ifname = primary ? 'eth0' : nextIfname(pid);
    const mac = macFor(ip);
    createVeth({ host: veth, pid, ifname, bridge, mac, cidr: `${ip}/${subnet.prefix}` }, batch.run);
    if (primary) {
      addDefaultRoute(pid, gateway, batch.run);
      loopbackUp(pid, batch.run);
    }
    batch.flush();
    // #endregion

    // #region connect-publish
    // 3. Under the lock again: publish the ports (with route_localnet for 127.0.0.1), and say
    //    what the endpoint is.
    const s: NetworkSettings = { ...settings, Networks: { ...settings.Networks } };
    withNetworkLock(() => {
      addPortRules(a.id, ip, published);
      if (published.some(reachableOnLoopback)) setRouteLocalnet(bridge, true);
      const endpoint: EndpointSettings = {
        ...emptyEndpoint(net.Id), EndpointID: newId(), Gateway: gateway, IPAddress: ip, IPPrefixLen: subnet.prefix, MacAddress: mac,
        DNSNames: isUserNetwork(net) ? [a.name, a.id.slice(0, 12)] : null,
      };
      s.Networks[net.Name] = endpoint;
      if (primary) s.Ports = portMap(published, a.exposed);
      if (net.Name === DEFAULT_BRIDGE.name) {
        Object.assign(s, { Bridge: '', EndpointID: endpoint.EndpointID, Gateway: gateway, IPAddress: ip, IPPrefixLen: subnet.prefix, MacAddress: mac });
      }
    });
    trace(`network: ${a.id.slice(0, 12)} is ${ip}/${subnet.prefix} on ${net.Name} (${bridge} ⇄ ${veth} ⇄ ${ifname})`);
    return { settings: s, peersChanged: isUserNetwork(net) ? membersBut(p, net, a.id) : [] };
  } catch (e) {
    disconnectEndpoint(p, a.id, net, primary);
    throw e;
  }
}
// #endregion

// #region disconnect-endpoint
/**
 * Undo connectEndpoint, whatever part of it happened. Idempotent. `primary`: the network its
 * ports are published on (they go too). Returns the members whose /etc/hosts named it.
 */
export function disconnectEndpoint(p: Paths, id: string, net: Network, primary: boolean, host: HostAccess = REAL): string[] {
  const bridge = bridgeOf(net);
  deleteVeth(hostVethName(id, net.Id), host.run, host.sysClassNet);
  return withNetworkLock(() => {
    release(p, net.Id, id);
    if (primary) releasePublished(p, id, host);
    // The network's own rules (masquerade, isolation) and our nft table stay when its last
    // container leaves, as docker keeps docker0's: the next container finds them ready, and
    // `network rm` / `network prune` take them down (remove.ts).
    if (bridge) setRouteLocalnet(bridge, publishesOnLoopback(p, net), host.procSys, host.run);
    return isUserNetwork(net) ? membersBut(p, net, id) : [];
  });
}
// #endregion

/** How the undo reaches the host: `sh`, /proc/sys and /sys/class/net for real; a recorder and temp dirs in tests. */
export interface HostAccess {
  run: Run;
  procSys: string;
  sysClassNet: string;
}
const REAL: HostAccess = { run: sh, procSys: '/proc/sys', sysClassNet: SYS_CLASS_NET };

/**
 * The DNAT rules and host ports of a container go. Its rules exist only while it holds a
 * reservation (reserved before the rules are added, released after they are deleted), so a
 * container that published nothing costs no `nft` at all.
 */
function releasePublished(p: Paths, id: string, host: HostAccess): void {
  if (!readReservations(p).some((r) => r.container === id)) return;
  deletePortRules(id, host.run);
  releasePorts(p, id);
}

/** Does a container on `net` publish a port the host reaches at 127.0.0.1? (localnet.ts) */
function publishesOnLoopback(p: Paths, net: Network): boolean {
  const members = new Set(Object.values(readLeases(leasesFile(p, net.Id))));
  return readReservations(p).some((r) => members.has(r.container) && reachableOnLoopback(r));
}

// #region release
/**
 * Everything the container's network made on the host goes, whatever state it is in: a lease
 * taken by a `run` killed before its veth existed, a veth without its DNAT rules, rules without
 * a lease. Found from the container's ID alone (leases, ports.json, the rules' comments, the
 * veth names derived from the ID), so it works when the container's records are gone or lie.
 * Its networks' own NAT rules, our nft table and the bridges stay (docker keeps docker0 and its
 * rules); `network rm` and `network prune` remove them. Idempotent.
 * Returns the other containers whose /etc/hosts named it.
 */
export function releaseContainerNetwork(p: Paths, id: string, host: HostAccess = REAL): string[] {
  const peers: string[] = [];
  for (const net of listNetworks(p)) {
    if (!bridgeOf(net)) continue;
    if (Object.values(readLeases(leasesFile(p, net.Id))).includes(id)) peers.push(...disconnectEndpoint(p, id, net, true, host));
    else deleteVeth(hostVethName(id, net.Id), host.run, host.sysClassNet); // made after the lease: only a crash in between leaves it
  }
  withNetworkLock(() => {
    releasePublished(p, id, host);
    for (const net of listNetworks(p)) {
      const bridge = bridgeOf(net);
      if (bridge) setRouteLocalnet(bridge, publishesOnLoopback(p, net), host.procSys, host.run);
    }
  });
  return [...new Set(peers)];
}
// #endregion

/** `network connect NET CONTAINER`: one more endpoint for a running container. */
export function connectRunning(p: Paths, net: Network, a: Attachment, pid: number, settings: NetworkSettings): NetworkChange {
  const mode = networkMode(a.networkMode);
  if (mode.kind !== 'bridge' && mode.kind !== 'user') throw new EngineError(`container cannot be connected to network ${net.Name}: its network mode is ${mode.kind}`);
  if (settings.Networks?.[net.Name]?.IPAddress) throw new EngineError(`endpoint with name ${a.name} already exists in network ${net.Name}`);
  return connectEndpoint(p, a, net, pid, false, settings);
}

/** `network disconnect NET CONTAINER`. */
export function disconnectRunning(p: Paths, net: Network, a: Attachment, settings: NetworkSettings): NetworkChange {
  if (!settings.Networks?.[net.Name]) throw new EngineError(`container ${a.id} is not connected to network ${net.Name}`);
  const primary = findNetwork(p, networkMode(a.networkMode).name).Id === net.Id;
  const peersChanged = disconnectEndpoint(p, a.id, net, primary);
  const s: NetworkSettings = { ...settings, Networks: { ...settings.Networks } };
  delete s.Networks[net.Name];
  if (primary) s.Ports = {};
  return { settings: s, peersChanged };
}
