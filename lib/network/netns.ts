// The container's network namespace, seen from the host: how the engine runs `ip` inside it,
// and its loopback. network_namespaces(7), nsenter(1), ip-netns(8). Stage 5 notes, "a network
// namespace and how long it lives"; seed notes 000 — "容器的网络模式" (none: only lo).
//
// A network namespace lives as long as something holds it: a process in it (the container's
// PID 1), or an open or bind-mounted /proc/<pid>/ns/net. minidock names it by its PID 1:
// `nsenter --net=/proc/<pid>/ns/net ip …` runs `ip` in there, the way a learner would.
// (`ip netns attach NAME PID` would give it a name under /run/netns, a bind mount that must then
// be cleaned up; docker keeps such a mount in /var/run/docker/netns/. We need no name.)

import { sh, type CommandResult } from '../sys/exec.js';

/** How network code runs a command: `sh` for real, a recorder in unit tests. */
export type Run = (cmd: string, args: readonly string[], opts?: { input?: string; allowFail?: boolean }) => CommandResult;

/** The namespace file of a process: what nsenter(1) and `ip link … netns` take. */
export function netnsPath(pid: number): string {
  return `/proc/${pid}/ns/net`;
}

// #region in-netns
/** Run `ip ARGS…` inside the network namespace of process `pid`. */
export function ipIn(pid: number, args: readonly string[], run: Run = sh, opts: { allowFail?: boolean } = {}): CommandResult {
  return run('nsenter', [`--net=${netnsPath(pid)}`, 'ip', ...args], opts);
}
// #endregion

// #region loopback
/**
 * A new network namespace has one interface, lo, and it is DOWN: even 127.0.0.1 does not work.
 * Docker brings it up in every container it gives a namespace (bridge and none alike).
 */
export function loopbackUp(pid: number, run: Run = sh): void {
  ipIn(pid, ['link', 'set', 'lo', 'up'], run);
}
// #endregion
