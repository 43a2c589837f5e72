// Capabilities: root's power cut into pieces (CAP_SYS_ADMIN, CAP_NET_ADMIN, …), each of which a
// process may hold or not. capabilities(7), capset(2), prctl(2) PR_CAPBSET_DROP / PR_CAP_AMBIENT.
// config.json's process.capabilities names the five sets; init applies them last, just before
// execve, because the mounts and the hostname before it need CAP_SYS_ADMIN. Stage 8 notes.

import { readFileSync } from 'node:fs';
import { EngineError } from '../errors.js';
import { PR } from '../sys/constants.js';
import type { Sys } from '../sys/sys.js';
import { trace } from '../sys/trace.js';
import type { Capabilities } from './spec.js';

/** Capability numbers from <linux/capability.h>, in order. */
export const CAPABILITIES = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL',
  'CAP_SETGID', 'CAP_SETUID', 'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE',
  'CAP_NET_BROADCAST', 'CAP_NET_ADMIN', 'CAP_NET_RAW', 'CAP_IPC_LOCK', 'CAP_IPC_OWNER',
  'CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT', 'CAP_SYS_PTRACE', 'CAP_SYS_PACCT',
  'CAP_SYS_ADMIN', 'CAP_SYS_BOOT', 'CAP_SYS_NICE', 'CAP_SYS_RESOURCE', 'CAP_SYS_TIME',
  'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD', 'CAP_LEASE', 'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL',
  'CAP_SETFCAP', 'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG', 'CAP_WAKE_ALARM',
  'CAP_BLOCK_SUSPEND', 'CAP_AUDIT_READ', 'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
] as const;

/** A set of capability names as the bit mask capset(2) takes. Unknown names are an error. */
export function capabilityMask(names: readonly string[], lastCap: number = CAPABILITIES.length - 1): bigint {
  let mask = 0n;
  for (const name of names) {
    const n = CAPABILITIES.indexOf(name as (typeof CAPABILITIES)[number]);
    if (n === -1) throw new EngineError(`process.capabilities: unknown capability ${JSON.stringify(name)}`);
    if (n <= lastCap) mask |= 1n << BigInt(n); // a capability this kernel does not know yet: skipped, as runc does
  }
  return mask;
}

/** The highest capability number this kernel knows. */
export function lastCapability(): number {
  try {
    return Number(readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8'));
  } catch {
    return CAPABILITIES.length - 1;
  }
}

// #region apply-capabilities
/**
 * Apply the five sets, in the only order that works: the bounding set first (dropping from it
 * needs CAP_SETPCAP, which capset may be about to remove), then effective/permitted/inheritable
 * in one capset(2), then the ambient set (its members must be permitted and inheritable).
 */
export function applyCapabilities(sys: Sys, caps: Capabilities, lastCap: number = lastCapability()): void {
  dropBoundingSet(sys, caps, lastCap);
  setCapabilitySets(sys, caps, lastCap);
}

/** The bounding set: what this process and its children can ever get back. */
export function dropBoundingSet(sys: Sys, caps: Capabilities, lastCap: number = lastCapability()): void {
  // every name is checked before the first system call: a typo must not leave half the sets applied
  const mask = (names?: string[]) => capabilityMask(names ?? [], lastCap);
  [caps.effective, caps.permitted, caps.inheritable, caps.ambient].forEach(mask);
  if (!caps.bounding) return;
  const keep = mask(caps.bounding);
  for (let n = 0; n <= lastCap; n++) {
    if ((keep & (1n << BigInt(n))) === 0n) sys.prctl(PR.CAPBSET_DROP, n);
  }
}

/**
 * effective/permitted/inheritable in one capset(2), then the ambient set. The kernel raises an
 * ambient capability only if it is both permitted and inheritable (EPERM otherwise); `runc spec`
 * lists ambient capabilities with no inheritable set, and runc runs that container with an empty
 * ambient set. So do we: such names are skipped, and the trace says which.
 */
export function setCapabilitySets(sys: Sys, caps: Capabilities, lastCap: number = lastCapability()): void {
  const mask = (names?: string[]) => capabilityMask(names ?? [], lastCap);
  const [effective, permitted, inheritable, ambient] = [mask(caps.effective), mask(caps.permitted), mask(caps.inheritable), mask(caps.ambient)];
  sys.capset(effective, permitted, inheritable);
  sys.prctl(PR.CAP_AMBIENT, PR.CAP_AMBIENT_CLEAR_ALL, 0);
  for (let n = 0; n <= lastCap; n++) {
    if ((ambient & (1n << BigInt(n))) === 0n) continue;
    if ((permitted & inheritable & (1n << BigInt(n))) === 0n) trace(`# ambient ${CAPABILITIES[n] ?? n}: not raised, it is not both permitted and inheritable`);
    else sys.prctl(PR.CAP_AMBIENT, PR.CAP_AMBIENT_RAISE, n);
  }
}
// #endregion

// #region docker-default-caps
/**
 * The 14 capabilities docker gives a container's root (moby's default set): enough to chown,
 * bind port 80, make device nodes (the devices cgroup decides which may be opened) and switch
 * users; not CAP_SYS_ADMIN (mount, namespaces, …), CAP_NET_ADMIN, CAP_SYS_MODULE, CAP_SYS_TIME,
 * CAP_SYS_PTRACE, CAP_SYS_RAWIO, CAP_SYSLOG … 27 of root's 41 are gone.
 */
export const DOCKER_DEFAULT_CAPABILITIES = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW',
  'CAP_SETGID', 'CAP_SETUID', 'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE',
  'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE',
] as const;
// #endregion

/** "sys_admin", "CAP_SYS_ADMIN", "ALL" → docker's spelling: "CAP_SYS_ADMIN" or "ALL". */
export function normalizeCapability(name: string): string {
  const upper = name.trim().toUpperCase();
  if (upper === 'ALL') return 'ALL';
  const full = upper.startsWith('CAP_') ? upper : `CAP_${upper}`;
  if (!(CAPABILITIES as readonly string[]).includes(full)) throw new EngineError(`invalid capability: ${name.toUpperCase()}`);
  return full;
}

// #region tweak-caps
/**
 * --cap-add and --cap-drop applied to a base set, as docker does: the drops first (ALL empties
 * the base), then the adds (ALL adds every capability), so `--cap-drop ALL --cap-add CHOWN` is
 * exactly CHOWN. The result keeps the order of <linux/capability.h>.
 */
export function tweakCapabilities(base: readonly string[], add: readonly string[], drop: readonly string[]): string[] {
  const adds = add.map(normalizeCapability);
  const drops = drop.map(normalizeCapability);
  let set = new Set<string>(drops.includes('ALL') ? [] : base.filter((c) => !drops.includes(c)));
  if (adds.includes('ALL')) set = new Set(CAPABILITIES);
  for (const c of adds) if (c !== 'ALL') set.add(c);
  return CAPABILITIES.filter((c) => set.has(c));
}
// #endregion
