// 127.0.0.1 and published ports: the sysctl `route_localnet` a bridge needs for `curl
// 127.0.0.1:8080` to reach a container, and the guard that keeps containers from using it to
// reach the host's own loopback services. ip-sysctl ("route_localnet"), nft(8) "ct status".
// Stage 5 notes, "publishing a port" and "127.0.0.1 is not for containers".
//
// The host's `curl 127.0.0.1:8080` is DNATed (output hook) to 172.17.0.2:80 and leaves through
// the bridge with source 127.0.0.1, which Linux refuses unless route_localnet=1 on the bridge.
// But route_localnet also makes the host ACCEPT packets that arrive on the bridge for
// 127.0.0.1: a root container that routes 127.0.0.0/8 via its gateway would reach every service
// the host binds to loopback only (Kubernetes CVE-2020-8558, fixed in docker 28 the same way).
// So: the sysctl is on only while a container of that bridge publishes a port reachable at
// 127.0.0.1 (-p 8080:80 or -p 127.0.0.1:8080:80), and the table's `localnet` chain (nat.ts)
// drops what arrives for 127.0.0.0/8 on anything but lo unless our DNAT rewrote it.

import { existsSync, readFileSync } from 'node:fs';
import { sh } from '../sys/exec.js';
import { trace } from '../sys/trace.js';
import type { Run } from './netns.js';
import type { Published } from './ports.js';

// #region localnet
/** Can the host reach this binding at 127.0.0.1? Every address (""), or a loopback one. */
export function reachableOnLoopback(x: Pick<Published, 'hostIp'>): boolean {
  return x.hostIp === '' || x.hostIp === '0.0.0.0' || x.hostIp.startsWith('127.');
}

/**
 * Switch route_localnet of `bridge` on while `wanted` (some container on it publishes on
 * loopback), off when not. Writes only when it changes; a bridge that is gone needs nothing.
 */
export function setRouteLocalnet(bridge: string, wanted: boolean, procSys = '/proc/sys', run: Run = sh): void {
  const file = `${procSys}/net/ipv4/conf/${bridge}/route_localnet`;
  if (!existsSync(file)) return;
  const now = readFileSync(file, 'utf8').trim() === '1';
  if (now === wanted) return;
  trace(`network: ${wanted ? 'a port is published on 127.0.0.1' : 'no port is published on 127.0.0.1 any more'}: route_localnet=${wanted ? 1 : 0} on ${bridge}`);
  run('sysctl', ['-q', '-w', `net.ipv4.conf.${bridge}.route_localnet=${wanted ? 1 : 0}`]);
}
// #endregion
