// The engine's side of a container's network (stage 5): read what the network needs from the
// container's records, call the mechanism (lib/network/sandbox.ts), record what it returns in
// config.v2.json, and have etcfiles.ts rewrite the /etc files it changed. Docker's daemon does
// the same around libnetwork: libnetwork keeps its own store, the daemon keeps the container.
// Stage 5 notes, "what the engine does at `run`".

import { EngineError } from '../errors.js';
import type { Paths } from '../paths.js';
import { connectRunning, disconnectRunning, releaseContainerNetwork, setUpNetwork, type Attachment, type NetworkChange } from '../network/sandbox.js';
import { emptySettings, stoppedSettings } from '../network/settings.js';
import type { Network } from '../network/store.js';
import { writeNetworkEtcFiles } from './etcfiles.js';
import type { Container, HostConfig } from './records.js';
import { loadContainer, loadHostConfig, saveContainer } from './state.js';

/** What the network is told about a container, from its records. */
export function attachmentOf(c: Container, hc: HostConfig): Attachment {
  return {
    id: c.ID,
    name: c.Name.replace(/^\//, ''),
    networkMode: hc.NetworkMode,
    portBindings: hc.PortBindings ?? {},
    publishAll: !!hc.PublishAllPorts,
    exposed: Object.keys(c.Config.ExposedPorts ?? {}),
  };
}

/** Record a change, then write the /etc files of the container and of the peers it concerns. */
function record(p: Paths, id: string, change: NetworkChange): void {
  try {
    const c = loadContainer(p, id);
    c.NetworkSettings = change.settings;
    saveContainer(p, c);
  } catch {
    // its records are gone (rm finishing): nothing to record
  }
  writeNetworkEtcFiles(p, id);
  for (const peer of change.peersChanged) writeNetworkEtcFiles(p, peer);
}

/** Plug container `id` (init is host PID `pid`, waiting in its namespaces) into its network. */
export function plugIn(p: Paths, id: string, pid: number): void {
  const c = loadContainer(p, id);
  record(p, id, setUpNetwork(p, attachmentOf(c, loadHostConfig(p, id)), pid));
}

/**
 * Unplug it: everything its network made on the host goes (releaseContainerNetwork, safe after
 * a half-done setup and when called twice), and its record keeps what docker shows of a stopped
 * container: its networks' names and IDs, no addresses.
 */
export function unplug(p: Paths, id: string): void {
  const peers = releaseContainerNetwork(p, id);
  let settings = emptySettings();
  try {
    settings = stoppedSettings(loadContainer(p, id).NetworkSettings ?? emptySettings());
  } catch {
    // its records are gone
  }
  record(p, id, { settings, peersChanged: peers });
}

/** `network connect NET CONTAINER`. */
export function connectContainer(p: Paths, net: Network, c: Container): void {
  if (!c.State.Running) throw new EngineError(`container ${c.ID} is not running`);
  record(p, c.ID, connectRunning(p, net, attachmentOf(c, loadHostConfig(p, c.ID)), c.State.Pid, c.NetworkSettings ?? emptySettings()));
}

/** `network disconnect NET CONTAINER`. */
export function disconnectContainer(p: Paths, net: Network, c: Container): void {
  record(p, c.ID, disconnectRunning(p, net, attachmentOf(c, loadHostConfig(p, c.ID)), c.NetworkSettings ?? emptySettings()));
}
