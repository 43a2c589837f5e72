// Namespaces: what a container's processes can see. namespaces(7), unshare(2), setns(2).
// Stage 1 notes: stages/01-namespaces/README.md (seed: 004 — "Namespace", 000 — "namespace").
//
// config.json's linux.namespaces lists the kinds to create (no path) or to join (a path to a
// /proc/<pid>/ns/<kind> file); a kind not listed stays the host's. The user namespace is not
// here: see the stage notes for why a Node runtime cannot create one.

import type { NamespaceType } from './spec.js';
import { CLONE } from '../sys/constants.js';

// #region kinds
/**
 * The namespace kinds a container gets: their /proc/<pid>/ns/<file> name (`kind`), config.json's
 * name for them (`type`), and their CLONE_* flag.
 */
export const NAMESPACES = [
  { kind: 'mnt', type: 'mount', flag: CLONE.NEWNS },
  { kind: 'uts', type: 'uts', flag: CLONE.NEWUTS },
  { kind: 'ipc', type: 'ipc', flag: CLONE.NEWIPC },
  { kind: 'pid', type: 'pid', flag: CLONE.NEWPID },
  { kind: 'net', type: 'network', flag: CLONE.NEWNET },
  { kind: 'cgroup', type: 'cgroup', flag: CLONE.NEWCGROUP },
] as const;
// #endregion

export type NsKind = (typeof NAMESPACES)[number]['kind'];


/** The OR of the CLONE_* flags for a list of kinds. */
export function cloneFlags(kinds: readonly NsKind[]): number {
  return NAMESPACES.filter((n) => kinds.includes(n.kind)).reduce((flags, n) => flags | n.flag, 0);
}

export function flagOf(kind: NsKind): number {
  return NAMESPACES.find((n) => n.kind === kind)!.flag;
}

/** config.json's name of a kind ("network") → its /proc/<pid>/ns name ("net"). */
export function kindOf(type: NamespaceType): NsKind {
  const ns = NAMESPACES.find((n) => n.type === type);
  if (!ns) throw new Error(`no namespace kind for ${type}`);
  return ns.kind;
}
