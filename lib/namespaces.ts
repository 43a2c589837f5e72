// Namespaces: what a container's processes can see. namespaces(7), unshare(2), setns(2).
// Stage 1 notes: stages/01-namespaces/README.md (seed: 004 — "Namespace", 000 — "namespace").
//
// Every container gets new UTS, IPC, PID, mount, network and cgroup namespaces. docker's
// `--pid host`, `--ipc host`, `--uts host`, `--network host` keep the host's instead, and
// `--network container:NAME` (like --ipc/--pid container:NAME) joins another container's.
// The user namespace is not here: see the stage notes for why a Node engine cannot create one.

import { EngineError } from './errors.js';
import { CLONE } from './sys/constants.js';

// #region kinds
/** The namespace kinds a container gets, with their /proc/<pid>/ns/<file> name and flag. */
export const NAMESPACES = [
  { kind: 'mnt', flag: CLONE.NEWNS, mode: null },
  { kind: 'uts', flag: CLONE.NEWUTS, mode: 'UTSMode' },
  { kind: 'ipc', flag: CLONE.NEWIPC, mode: 'IpcMode' },
  { kind: 'pid', flag: CLONE.NEWPID, mode: 'PidMode' },
  { kind: 'net', flag: CLONE.NEWNET, mode: 'NetworkMode' },
  { kind: 'cgroup', flag: CLONE.NEWCGROUP, mode: 'CgroupnsMode' },
] as const;
// #endregion

export type NsKind = (typeof NAMESPACES)[number]['kind'];

export interface NamespaceModes {
  NetworkMode: string;
  PidMode: string;
  IpcMode: string;
  UTSMode: string;
  CgroupnsMode: string;
}

/** Which namespaces to create, and which to share with the host or join from another container. */
export interface NamespacePlan {
  create: NsKind[];
  host: NsKind[];
  /** kind → the container (name or ID) whose namespace to join */
  join: Partial<Record<NsKind, string>>;
}

// #region plan
/**
 * Read docker's mode strings into a plan. The values docker accepts:
 *   --network  bridge (default) | none | host | container:<name|id> | <user network>
 *   --pid      "" (private) | host | container:<name|id>
 *   --ipc      "" | private | shareable (private to us) | host | container:<name|id>
 *   --uts      "" | host
 *   --cgroupns private | host
 */
export function planNamespaces(modes: NamespaceModes): NamespacePlan {
  const plan: NamespacePlan = { create: ['mnt'], host: [], join: {} };
  const decide = (kind: NsKind, value: string, privateValues: string[], allowContainer: boolean, flag: string) => {
    if (value === 'host') plan.host.push(kind);
    else if (value.startsWith('container:') && allowContainer) {
      const target = value.slice('container:'.length);
      if (!target) throw new EngineError(`invalid ${flag} mode: ${value}: container name or id is empty`);
      plan.join[kind] = target;
    } else if (privateValues.includes(value)) plan.create.push(kind);
    else throw new EngineError(`invalid ${flag} mode: ${value}`);
  };
  decide('uts', modes.UTSMode, [''], false, '--uts');
  decide('ipc', modes.IpcMode, ['', 'private', 'shareable'], true, '--ipc');
  decide('pid', modes.PidMode, [''], true, '--pid');
  // any network name other than host/none/container: is a network to attach to (stage 5):
  // each of them starts with a network namespace of the container's own.
  const net = modes.NetworkMode.startsWith('container:') || modes.NetworkMode === 'host' ? modes.NetworkMode : 'private';
  decide('net', net, ['private'], true, '--network');
  decide('cgroup', modes.CgroupnsMode, ['private', ''], false, '--cgroupns');
  return plan;
}
// #endregion

/** The OR of the CLONE_* flags for a list of kinds. */
export function cloneFlags(kinds: readonly NsKind[]): number {
  return NAMESPACES.filter((n) => kinds.includes(n.kind)).reduce((flags, n) => flags | n.flag, 0);
}

export function flagOf(kind: NsKind): number {
  return NAMESPACES.find((n) => n.kind === kind)!.flag;
}
