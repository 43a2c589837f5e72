// docker's namespace flags → config.json's linux.namespaces. namespaces(7); stage 1 notes,
// "sharing namespaces". Every container gets new UTS, IPC, PID, mount, network and cgroup
// namespaces; `--pid host`, `--ipc host`, `--uts host`, `--network host` keep the host's instead,
// and `--network container:NAME` (like --ipc/--pid container:NAME) joins another container's,
// through the /proc/<pid>/ns/<kind> file of that container's PID 1.

import { EngineError } from '../errors.js';
import type { NsKind } from '../runtime/namespaces.js';

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
