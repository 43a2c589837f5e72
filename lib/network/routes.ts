// Routes: where a container sends what is not on its own subnet. ip-route(8).
// Stage 5 notes, "routes"; seed notes 000 — "容器的网络模式" (the host as the gateway router).
//
// Addressing eth0 as 172.17.0.2/16 already gives the container the route to its subnet (the
// kernel adds "172.17.0.0/16 dev eth0 proto kernel"). Everything else goes to the gateway, the
// bridge's address on the host, which forwards it on (and NATs it: lib/network/nat.ts).

import { sh } from '../sys/exec.js';
import { ipIn, type Run } from './netns.js';

// #region default-route
/** `ip route add default via <gateway>` inside the container. */
export function addDefaultRoute(pid: number, gateway: string, run: Run = sh): void {
  // #region exercise 5.default-route
  ipIn(pid, ['route', 'add', 'default', 'via', gateway], run);
  // #endregion
}
// #endregion

/** The destinations of the host's own routes ("192.0.2.0/24", "default"): subnets in use. */
export function hostRouteDestinations(run: Run = sh): string[] {
  const routes = JSON.parse(run('ip', ['-j', '-4', 'route', 'show', 'table', 'all']).stdout || '[]') as { dst: string; type?: string }[];
  return routes.filter((r) => !r.type || r.type === 'unicast').map((r) => r.dst);
}
