// A container's network, set up and torn down: the "sandbox" of libnetwork's Container Network
// Model (a network namespace with one "endpoint" per network it is connected to). Stage 5 notes,
// "what the engine does at `run`"; seed notes 004 — "libnetwork" (CNM).
//
// The monitor calls setUpNetwork after init has unshared its network namespace and waits
// (lib/container/monitor.ts handshake), before the user's command exists; tearDownNetwork when
// the container exits, again (idempotently) at `rm`, and on every failed start.

import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { loadContainer, loadHostConfig, saveContainer, type Container, type HostConfig } from '../container/state.js';
import { EngineError } from '../errors.js';
import type { Paths } from '../paths.js';
import { trace } from '../sys/trace.js';
import { formatSubnet, macFor } from './addr.js';
import { enableForwarding, ensureBridge } from './bridge.js';
import { containerHosts, etcFile, extraHostLines, peerLines, readOr, resolvConf, rewriteInPlace } from './hosts.js';
import { allocate, leasesFile, readLeases, release } from './ipam.js';
import { networkMode } from './modes.js';
import { addNetworkRules, addPortRules, deleteNetworkRules, deletePortRules, deleteTableIfUnused } from './nat.js';
import { loopbackUp, netnsPath } from './netns.js';
import { portMap, releasePorts, reservePorts, type Published } from './ports.js';
import { addDefaultRoute } from './routes.js';
import { emptyEndpoint, emptySettings, stoppedSettings, type EndpointSettings, type NetworkSettings } from './settings.js';
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

function updateSettings(p: Paths, id: string, change: (s: NetworkSettings) => void): void {
  let c: Container;
  try {
    c = loadContainer(p, id);
  } catch {
    return; // its state is gone (rm finishing): nothing to record
  }
  const s = c.NetworkSettings ?? emptySettings();
  change(s);
  c.NetworkSettings = s;
  saveContainer(p, c);
}

// #region set-up
/**
 * Give container `id` (whose init is host PID `pid`, waiting in its new namespaces) the network
 * its --network asks for. Stage 5 and up.
 */
export function setUpNetwork(p: Paths, id: string, pid: number): void {
  const c = loadContainer(p, id);
  const hc = loadHostConfig(p, id);
  const mode = networkMode(hc.NetworkMode);
  trace(`network: ${mode.kind}${mode.kind === 'user' || mode.kind === 'container' ? ` ${mode.name}` : ''} for ${id.slice(0, 12)}`);
  if (mode.kind === 'container') {
    // another container's namespace, with its interfaces and its /etc files (etcfiles.ts)
    updateSettings(p, id, (s) => Object.assign(s, emptySettings()));
    return;
  }
  if (mode.kind === 'host') {
    const host = findNetwork(p, 'host');
    updateSettings(p, id, (s) => Object.assign(s, emptySettings(), { Networks: { host: { ...emptyEndpoint(host.Id), EndpointID: newId() } } }));
    writeEtcFiles(p, id);
    return;
  }
  // a namespace of its own (none, bridge, user network): bring its loopback up first
  loopbackUp(pid);
  if (mode.kind === 'none') {
    const none = findNetwork(p, 'none');
    updateSettings(p, id, (s) => Object.assign(s, emptySettings(), { SandboxKey: netnsPath(pid), Networks: { none: { ...emptyEndpoint(none.Id), EndpointID: newId() } } }));
    writeEtcFiles(p, id);
    return;
  }
  updateSettings(p, id, (s) => Object.assign(s, emptySettings(), { SandboxKey: netnsPath(pid) }));
  connectEndpoint(p, c, hc, findNetwork(p, mode.name), pid, true);
}
// #endregion

function newId(): string {
  return randomBytes(32).toString('hex');
}

// #region connect-endpoint
/**
 * Plug the container into one bridge network: an address from IPAM, the bridge (made on first
 * use), NAT rules for the network, a veth pair whose far end becomes ethN inside, a default
 * route (primary network only), DNAT rules for its published ports, and the names.
 * On any failure, everything made so far is undone before the error goes up.
 */
export function connectEndpoint(p: Paths, c: Container, hc: HostConfig, net: Network, pid: number, primary: boolean): void {
  const bridge = bridgeOf(net);
  if (!bridge) throw new EngineError(`network ${net.Name} has no bridge: only bridge networks can be connected to`);
  const { subnet, gateway } = poolOf(net);
  const veth = hostVethName(c.ID, net.Id);
  try {
    // 1. Under the lock: the shared things (bridge, forwarding, the network's NAT rules) and the
    //    things that must be unique (the address, the host ports).
    const { ip, published } = withNetworkLock(() => {
      if (ensureBridge(bridge, gateway, subnet.prefix)) trace(`network: created bridge ${bridge} (${gateway}/${subnet.prefix})`);
      enableForwarding(forwardingWasFile(p));
      const ip = allocate(p, net, subnet, gateway, c.ID);
      const exposed = Object.keys(c.Config.ExposedPorts ?? {});
      let published: Published[] = [];
      try {
        if (primary) published = reservePorts(p, c.ID, hc.PortBindings ?? {}, hc.PublishAllPorts ? exposed : []);
      } catch (e) {
        throw new EngineError(`driver failed programming external connectivity on endpoint ${c.Name.slice(1)}: ${(e as Error).message}`);
      }
      addNetworkRules({ name: net.Name, bridge, subnet: formatSubnet(subnet) });
      return { ip, published };
    });
    // 2. The cable, its address, the route: only this container's names, no lock needed.
    const ifname = primary ? 'eth0' : nextIfname(pid);
    const mac = macFor(ip);
    createVeth({ host: veth, pid, ifname, bridge, mac, cidr: `${ip}/${subnet.prefix}` });
    if (primary) addDefaultRoute(pid, gateway);
    // 3. Under the lock again: publish the ports, record the endpoint, tell the other members.
    withNetworkLock(() => {
      addPortRules(c.ID, ip, published);
      const endpoint: EndpointSettings = {
        ...emptyEndpoint(net.Id), EndpointID: newId(), Gateway: gateway, IPAddress: ip, IPPrefixLen: subnet.prefix, MacAddress: mac,
        DNSNames: isUserNetwork(net) ? [c.Name.slice(1), c.ID.slice(0, 12)] : null,
      };
      updateSettings(p, c.ID, (s) => {
        s.Networks[net.Name] = endpoint;
        if (primary) s.Ports = portMap(published, Object.keys(c.Config.ExposedPorts ?? {}));
        if (net.Name === DEFAULT_BRIDGE.name) {
          Object.assign(s, { Bridge: '', EndpointID: endpoint.EndpointID, Gateway: gateway, IPAddress: ip, IPPrefixLen: subnet.prefix, MacAddress: mac });
        }
      });
      writeEtcFiles(p, c.ID);
      if (isUserNetwork(net)) refreshPeers(p, net, c.ID);
    });
    trace(`network: ${c.ID.slice(0, 12)} is ${ip}/${subnet.prefix} on ${net.Name} (${bridge} ⇄ ${veth} ⇄ ${ifname})`);
  } catch (e) {
    disconnectEndpoint(p, c.ID, net);
    throw e;
  }
}
// #endregion

// #region disconnect-endpoint
/** Undo connectEndpoint, whatever part of it happened. Idempotent. */
export function disconnectEndpoint(p: Paths, id: string, net: Network): void {
  const bridge = bridgeOf(net);
  deleteVeth(hostVethName(id, net.Id));
  withNetworkLock(() => {
    release(p, net.Id, id);
    // the published ports DNAT to the container's address on its primary network
    const primary = isPrimary(p, id, net);
    if (primary) {
      deletePortRules(id);
      releasePorts(p, id);
    }
    updateSettings(p, id, (s) => {
      delete s.Networks[net.Name];
      if (primary) s.Ports = {};
    });
    if (bridge && Object.keys(readLeases(leasesFile(p, net.Id))).length === 0) {
      deleteNetworkRules({ name: net.Name, bridge });
      if (deleteTableIfUnused()) trace('network: nothing of ours is left in the nft table: deleted it');
    }
    if (isUserNetwork(net)) refreshPeers(p, net, id);
  });
}
// #endregion

/** Is `net` the one the container's --network named (the one its ports are published on)? */
function isPrimary(p: Paths, id: string, net: Network): boolean {
  try {
    return findNetwork(p, networkMode(loadHostConfig(p, id).NetworkMode).name).Id === net.Id;
  } catch {
    return true; // its state is gone: take everything of it down
  }
}

// #region tear-down
/**
 * Everything the container's network made on the host goes: veths, leases, host ports, DNAT
 * rules; a network's NAT rules when its last container left; our nft table when it is empty.
 * The bridges stay (docker keeps docker0); `network prune` removes them.
 * Safe to call twice, and for a container whose state is half gone.
 */
export function tearDownNetwork(p: Paths, id: string): void {
  let before: NetworkSettings | undefined;
  try {
    before = loadContainer(p, id).NetworkSettings;
  } catch {
    // its state is gone already
  }
  // every network that leases it an address, even if its own state file lost track
  for (const net of listNetworks(p)) {
    if (Object.values(readLeases(leasesFile(p, net.Id))).includes(id)) disconnectEndpoint(p, id, net);
  }
  withNetworkLock(() => {
    deletePortRules(id);
    releasePorts(p, id);
    deleteTableIfUnused();
  });
  // what docker shows of a stopped container: its networks' names and IDs, no addresses
  if (before) updateSettings(p, id, (s) => Object.assign(s, stoppedSettings(before)));
}
// #endregion

// #region etc-files
/**
 * Rewrite containers/<id>/hosts and resolv.conf with what the network knows now: the address,
 * --add-host, the other members of its user networks (hosts); --dns, --dns-search (resolv.conf).
 * In place: the files are (or are about to be) bind-mounted into the container.
 */
export function writeEtcFiles(p: Paths, id: string, etcDir = '/etc'): void {
  let c: Container;
  let hc: HostConfig;
  try {
    c = loadContainer(p, id);
    hc = loadHostConfig(p, id);
  } catch {
    return;
  }
  if (c.Minidock.Stage < 3) return; // no init layer, no bind-mounted /etc files (stage 3)
  const hostsPath = etcFile(p, id, 'hosts');
  const resolvPath = etcFile(p, id, 'resolv.conf');
  const mode = networkMode(hc.NetworkMode);
  if (mode.kind === 'container') return;
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
    if (isUserNetwork(net)) peers.push(...peerLines(p, net, id));
  }
  rewriteInPlace(hostsPath, containerHosts(c, primary, extra, [...new Set(peers)]));
  rewriteInPlace(resolvPath, resolvConf(hostResolv, hc.Dns ?? [], hc.DnsSearch ?? [], true));
}

/** After a container joined or left `net`: every other member's /etc/hosts gets the news. */
function refreshPeers(p: Paths, net: Network, changed: string): void {
  for (const id of new Set(Object.values(readLeases(leasesFile(p, net.Id))))) if (id !== changed) writeEtcFiles(p, id);
}
// #endregion

/** `network connect NET CONTAINER`: one more endpoint for a running container. */
export function connectRunning(p: Paths, net: Network, c: Container): void {
  if (!c.State.Running) throw new EngineError(`container ${c.ID} is not running`);
  const mode = networkMode(loadHostConfig(p, c.ID).NetworkMode);
  if (mode.kind !== 'bridge' && mode.kind !== 'user') throw new EngineError(`container cannot be connected to network ${net.Name}: its network mode is ${mode.kind}`);
  if (c.NetworkSettings?.Networks?.[net.Name]?.IPAddress) throw new EngineError(`endpoint with name ${c.Name.slice(1)} already exists in network ${net.Name}`);
  connectEndpoint(p, c, loadHostConfig(p, c.ID), net, c.State.Pid, false);
}

/** `network disconnect NET CONTAINER`. */
export function disconnectRunning(p: Paths, net: Network, c: Container): void {
  if (!c.NetworkSettings?.Networks?.[net.Name]) throw new EngineError(`container ${c.ID} is not connected to network ${net.Name}`);
  disconnectEndpoint(p, c.ID, net);
  writeEtcFiles(p, c.ID);
}

