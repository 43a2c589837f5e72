// The bridge: a virtual switch in the host's network namespace that the containers of one
// network plug into, and whose address is their gateway. ip-link(8) "type bridge", bridge(8),
// ip-sysctl ("ip_forward"). Stage 5 notes, "the bridge"; seed notes 000 —
// "容器的网络模式" (bridge mode, docker0).
//
// docker0 there, minidock0 here (mdbr-<id> for user networks). Created with the first container
// that needs it, kept when the last one leaves (as docker keeps docker0), removed by
// `minidock network rm` / `network prune`.

import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { sh } from '../sys/exec.js';
import { trace } from '../sys/trace.js';
import type { Run } from './netns.js';

/** Where the kernel lists the host's interfaces, one directory each (sysfs(5)): `ls /sys/class/net`. */
export const SYS_CLASS_NET = '/sys/class/net';

/**
 * Does an interface of this name exist in the host's namespace? A look at /sys/class/net
 * (sysfs shows the namespace it was mounted in: the host's) answers without running `ip`.
 */
export function linkExists(name: string, sysClassNet = SYS_CLASS_NET): boolean {
  return existsSync(path.join(sysClassNet, name));
}

// #region bridge
/**
 * Make sure the bridge exists, holds the gateway address and is up. Returns true when it was
 * created now. /sys/class/net says whether it exists without running a process; the address and
 * the "up" are sent every time, because both commands are idempotent — `addr replace` puts an
 * address that is already there back unchanged (`addr add` would fail with "File exists"), and
 * `link set up` on an up link changes nothing. So a network start asks `ip` no question: given
 * an IpBatch's `run`, the two lines travel in the batch that plugs the container in.
 */
export function ensureBridge(name: string, gateway: string, prefix: number, run: Run = sh, sysClassNet = SYS_CLASS_NET): boolean {
  const created = !linkExists(name, sysClassNet);
  if (created) run('ip', ['link', 'add', 'name', name, 'type', 'bridge']);
  // the gateway address: the host's side of the subnet (the kernel adds the subnet's route)
  run('ip', ['addr', 'replace', `${gateway}/${prefix}`, 'dev', name]);
  run('ip', ['link', 'set', name, 'up']);
  // (route_localnet, which `curl 127.0.0.1:8080` needs, is switched on only while a container
  // publishes on 127.0.0.1: lib/network/localnet.ts)
  return created;
}

/** Delete a bridge (its addresses and route go with it). Idempotent. */
export function deleteBridge(name: string, run: Run = sh, sysClassNet = SYS_CLASS_NET): void {
  if (linkExists(name, sysClassNet)) run('ip', ['link', 'del', name]);
}
// #endregion

// #region ip-forward
/**
 * Packets from a container to anywhere beyond its subnet arrive at the host on the bridge and
 * must leave on another interface: the host must route, and Linux does not by default
 * (net.ipv4.ip_forward = 0). Docker switches it on when it starts; we do when the first bridge
 * is made, and write down that we did (`wasFile`) so `network prune` can put the 0 back.
 */
export function enableForwarding(wasFile: string, procSys = '/proc/sys', run: Run = sh): void {
  const now = readFileSync(`${procSys}/net/ipv4/ip_forward`, 'utf8').trim();
  if (now === '1') return;
  if (!existsSync(wasFile)) writeFileSync(wasFile, `${now}\n`);
  run('sysctl', ['-q', '-w', 'net.ipv4.ip_forward=1']);
}

/** Put ip_forward back as we found it, if we changed it. */
export function restoreForwarding(wasFile: string, run: Run = sh): void {
  if (!existsSync(wasFile)) return;
  const was = readFileSync(wasFile, 'utf8').trim();
  trace(`network: no bridge of ours is left: net.ipv4.ip_forward back to ${was}`);
  run('sysctl', ['-q', '-w', `net.ipv4.ip_forward=${was}`]);
  rmSync(wasFile, { force: true });
}
// #endregion
