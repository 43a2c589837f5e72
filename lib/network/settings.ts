// NetworkSettings: what `docker inspect` says about a container's network, in docker's shape.
// Stage 5 notes, "reading inspect".
//
// Kept in the container's config.v2.json (as docker keeps it there). While the container runs it
// holds its address, gateway, MAC and published ports; after it stops, docker keeps the names of
// its networks but blanks the addresses (they went back to IPAM), and so do we.

import type { EndpointSettings, NetworkSettings } from '../container/records.js';

export type { EndpointSettings, NetworkSettings };

// The shapes, EndpointSettings and NetworkSettings, are Docker's records: lib/container/records.ts.

export function emptyEndpoint(networkId: string): EndpointSettings {
  return {
    IPAMConfig: null, Links: null, Aliases: null, MacAddress: '', DriverOpts: null,
    NetworkID: networkId, EndpointID: '', Gateway: '', IPAddress: '', IPPrefixLen: 0,
    IPv6Gateway: '', GlobalIPv6Address: '', GlobalIPv6PrefixLen: 0, DNSNames: null,
  };
}

export function emptySettings(): NetworkSettings {
  return {
    Bridge: '', SandboxID: '', SandboxKey: '', HairpinMode: false, LinkLocalIPv6Address: '', LinkLocalIPv6PrefixLen: 0,
    Ports: {}, SecondaryIPAddresses: null, SecondaryIPv6Addresses: null,
    EndpointID: '', Gateway: '', GlobalIPv6Address: '', GlobalIPv6PrefixLen: 0, IPAddress: '', IPPrefixLen: 0, IPv6Gateway: '', MacAddress: '',
    Networks: {},
  };
}

/** The shape after the container stopped: each network's name and ID stay, addresses go. */
export function stoppedSettings(s: NetworkSettings): NetworkSettings {
  const out = emptySettings();
  for (const [name, ep] of Object.entries(s.Networks)) out.Networks[name] = emptyEndpoint(ep.NetworkID);
  return out;
}

/** The `docker ps` PORTS column: "0.0.0.0:8080->80/tcp, 443/tcp". */
export function portsColumn(s: NetworkSettings | undefined): string {
  if (!s) return '';
  const cells: string[] = [];
  for (const [key, bindings] of Object.entries(s.Ports ?? {})) {
    if (!bindings || bindings.length === 0) cells.push(key);
    else for (const b of bindings) cells.push(`${b.HostIp}:${b.HostPort}->${key}`);
  }
  return cells.join(', ');
}
