// The veth pair: a virtual cable with two ends; what goes in one comes out of the other.
// veth(4), ip-link(8). Stage 5 notes, "a veth pair"; seed notes 004 — "Network" (veth pair).
//
// One end stays on the host, plugged into the bridge, and is named from the container's ID
// (vethXXXXXXX: interface names hold at most 15 characters, IFNAMSIZ - 1). The other end is born
// in the container's network namespace as eth0: `ip link add … peer name eth0 netns <pid>`
// creates it there directly, so it never holds a name in the host's namespace.

import { sh } from '../sys/exec.js';
import { linkExists, SYS_CLASS_NET } from './bridge.js';
import { ipIn, type Run } from './netns.js';
import { shortHash } from './store.js';

/** The host end's name: "veth" and 7 hex digits of a hash of (container, network): 11 chars. */
export function hostVethName(containerId: string, networkId: string): string {
  return `veth${shortHash(containerId, networkId).slice(0, 7)}`;
}

export interface VethRequest {
  /** the host end, e.g. "veth1a2b3c4" */
  host: string;
  /** the container's PID 1 (its /proc/<pid>/ns/net is the namespace) */
  pid: number;
  /** the name inside, e.g. "eth0" */
  ifname: string;
  bridge: string;
  mac: string;
  /** "172.17.0.2/16" */
  cidr: string;
}

// #region veth
/** Create the pair across the two namespaces, plug the host end into the bridge, address the other. */
export function createVeth(v: VethRequest, run: Run = sh): void {
  // #region exercise 5.veth-pair
  // 1. The pair, its far end born inside the container's namespace (netns <pid>) as ifname
  run('ip', ['link', 'add', v.host, 'type', 'veth', 'peer', 'name', v.ifname, 'address', v.mac, 'netns', String(v.pid)]);
  // 2. The host end: a port of the bridge, up
  run('ip', ['link', 'set', v.host, 'master', v.bridge, 'up']);
  // 3. The far end, inside (ip -n cannot name a namespace by pid: nsenter --net, in ipIn)
  ipIn(v.pid, ['addr', 'add', v.cidr, 'dev', v.ifname], run);
  ipIn(v.pid, ['link', 'set', v.ifname, 'up'], run);
  // #endregion
}

/**
 * Delete a pair by its host end (deleting either end deletes both). When the container's
 * namespace died with its last process, the kernel has deleted the pair already: nothing to do.
 */
export function deleteVeth(host: string, run: Run = sh, sysClassNet = SYS_CLASS_NET): void {
  if (linkExists(host, sysClassNet)) run('ip', ['link', 'del', host], { allowFail: true });
}
// #endregion

/** The lowest ethN not yet taken inside the container (eth0 for the first network). */
export function nextIfname(pid: number, run: Run = sh): string {
  const links = JSON.parse(ipIn(pid, ['-j', 'link'], run).stdout || '[]') as { ifname: string }[];
  const names = new Set(links.map((l) => l.ifname));
  let n = 0;
  while (names.has(`eth${n}`)) n++;
  return `eth${n}`;
}
