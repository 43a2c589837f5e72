// Removing networks: `network rm` and `network prune`. The last of a network's kernel objects
// (its bridge) goes here, and with the last bridge of ours, the ip_forward we switched on.
// Stage 5 notes, "cleaning up".

import { EngineError } from '../errors.js';
import type { Paths } from '../paths.js';
import { trace } from '../sys/trace.js';
import { deleteBridge, linkExists, restoreForwarding } from './bridge.js';
import { leasesFile, readLeases } from './ipam.js';
import { deleteNetworkRules, deleteTableIfUnused } from './nat.js';
import { forwardingWasFile } from './sandbox.js';
import { bridgeOf, deleteNetworkRecord, listNetworks, PREDEFINED, withNetworkLock, type Network } from './store.js';

function inUse(p: Paths, net: Network): boolean {
  return Object.keys(readLeases(leasesFile(p, net.Id))).length > 0;
}

// #region remove-network
/** Take a network's kernel objects down: its NAT rules, its bridge. */
function takeDown(p: Paths, net: Network): void {
  const bridge = bridgeOf(net);
  if (!bridge) return;
  deleteNetworkRules({ name: net.Name, bridge });
  deleteBridge(bridge);
  deleteTableIfUnused();
  // forwarding goes back to how we found it once no bridge of ours is left
  if (!listNetworks(p).some((n) => bridgeOf(n) && linkExists(bridgeOf(n)!))) restoreForwarding(forwardingWasFile(p));
}

/** `network rm`: refused for the predefined networks and while a container is connected. */
export function removeNetwork(p: Paths, net: Network): void {
  if ((PREDEFINED as readonly string[]).includes(net.Name)) throw new EngineError(`${net.Name} is a pre-defined network and cannot be removed`, 1);
  withNetworkLock(() => {
    if (inUse(p, net)) throw new EngineError(`error while removing network: network ${net.Name} id ${net.Id} has active endpoints`, 1);
    takeDown(p, net);
    deleteNetworkRecord(p, net);
    trace(`network: removed ${net.Name}`);
  });
}
// #endregion

/**
 * `network prune`: every user-defined network no container is connected to, and the default
 * bridge's device when no container uses it (its record stays: `bridge` always exists).
 * Returns the names of the removed networks.
 */
export function pruneNetworks(p: Paths): string[] {
  return withNetworkLock(() => {
    const removed: string[] = [];
    for (const net of listNetworks(p)) {
      if (net.Driver !== 'bridge' || inUse(p, net)) continue;
      takeDown(p, net);
      if (!(PREDEFINED as readonly string[]).includes(net.Name)) {
        deleteNetworkRecord(p, net);
        removed.push(net.Name);
      }
    }
    return removed;
  });
}
