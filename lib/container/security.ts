// What a container may do, as docker decides it: the engine's half of stage 8. moby's
// daemon/oci_linux.go and oci/defaults.go do the same job; runtime-spec config.md "process",
// config-linux.md "devices", "seccomp", "maskedPaths". Stage 8 notes.
//
// hostconfig.json (--cap-add, --cap-drop, --privileged, --security-opt, --read-only, --tmpfs,
// --device, --user, --group-add, --ulimit, --sysctl) + the image's USER + the mounted rootfs →
// the security fields of config.json. The runtime applies them (lib/runtime/process-security.ts);
// the engine only chooses.

import { readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EngineError } from '../errors.js';
import { CAPABILITIES, DOCKER_DEFAULT_CAPABILITIES, tweakCapabilities } from '../runtime/capabilities.js';
import { DOCKER_DEFAULT_PROFILE } from '../runtime/seccomp/docker-default.js';
import { parseProfile, resolveProfile } from '../runtime/seccomp/profile.js';
import type { LinuxDevice, LinuxResources, Mount, Spec } from '../runtime/spec.js';
import { resolveUser, type ResolvedUser } from '../runtime/user.js';
import { secureJoin } from '../runtime/rootfs.js';
import type { HostConfig } from './records.js';

// #region docker-paths
/** /proc and /sys files that leak the host or touch the hardware: hidden (moby's defaults). */
export const DOCKER_MASKED_PATHS = [
  '/proc/asound', '/proc/acpi', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list',
  '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware', '/sys/devices/virtual/powercap',
];
/** …and those that may be read but never written: the kernel's knobs. */
export const DOCKER_READONLY_PATHS = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];
// #endregion

type DeviceRule = NonNullable<LinuxResources['devices']>[number];
const allow = (type: string, major: number | null, minor: number | null, access = 'rwm'): DeviceRule => ({ allow: true, type, major, minor, access });

// #region default-devices
/**
 * The devices cgroup's list: nothing (`a` denied), then mknod of any node (`m` only: making a
 * node is harmless when it cannot be opened), then the few devices every program expects.
 * /dev/sda can be made by a root with CAP_MKNOD — and then not read.
 */
export const DOCKER_DEVICE_RULES: DeviceRule[] = [
  { allow: false, access: 'rwm' },
  allow('c', null, null, 'm'), allow('b', null, null, 'm'),
  allow('c', 1, 3), //   /dev/null
  allow('c', 1, 8), //   /dev/random
  allow('c', 1, 7), //   /dev/full
  allow('c', 5, 0), //   /dev/tty
  allow('c', 1, 5), //   /dev/zero
  allow('c', 1, 9), //   /dev/urandom
  allow('c', 136, null), // /dev/pts/*
  allow('c', 5, 2), //   /dev/ptmx
  allow('c', 10, 200), // /dev/net/tun
];
// #endregion

/**
 * The devices cgroup's list for one container: docker's list, then each --device with its
 * cgroup permissions (a later rule overrides an earlier one, so the deny-all comes first), or
 * every device (`a *:* rwm`) with --privileged.
 */
export function deviceRules(privileged: boolean, devices: readonly { node: LinuxDevice; access: string }[]): DeviceRule[] {
  // #region exercise 8.devices
  if (privileged) return [{ allow: true, access: 'rwm' }];
  return [...DOCKER_DEVICE_RULES, ...devices.map((d) => allow(d.node.type, d.node.major, d.node.minor, d.access))];
  // #endregion
}

/** --security-opt values, as docker reads them ("seccomp=…", "no-new-privileges[:true]", "systempaths=unconfined"). */
export interface SecurityOpts {
  noNewPrivileges: boolean;
  /** "default", "unconfined", or a profile's JSON text (the CLI read the file) */
  seccomp: string;
  unconfinedPaths: boolean;
}

export function parseSecurityOpts(opts: readonly string[]): SecurityOpts {
  const out: SecurityOpts = { noNewPrivileges: false, seccomp: 'default', unconfinedPaths: false };
  for (const opt of opts) {
    const eq = opt.search(/[=:]/);
    const [key, value] = eq === -1 ? [opt, ''] : [opt.slice(0, eq), opt.slice(eq + 1)];
    if (key === 'no-new-privileges') {
      if (!['', 'true', 'false'].includes(value)) throw new EngineError(`invalid --security-opt: ${JSON.stringify(opt)}`);
      out.noNewPrivileges = value !== 'false';
    } else if (key === 'seccomp' && value !== '') out.seccomp = value;
    else if (key === 'systempaths' && value === 'unconfined') out.unconfinedPaths = true;
    else if (key === 'apparmor' || key === 'label') continue; // no LSM here: accepted and ignored, like docker on a host without one
    else throw new EngineError(`invalid --security-opt: ${JSON.stringify(opt)}`);
  }
  return out;
}

// #region security-spec
/**
 * The security part of config.json for one container. `rootfs` is the mounted root filesystem:
 * --user names are looked up in ITS /etc/passwd, never the host's.
 */
export function securitySpec(hc: HostConfig, user: string, rootfs: string, base: Pick<Spec, 'mounts'>): {
  process: Pick<Spec['process'], 'capabilities' | 'noNewPrivileges' | 'user' | 'rlimits' | 'oomScoreAdj'>;
  home?: string;
  readonly: boolean;
  mounts: Mount[];
  linux: Pick<Spec['linux'], 'maskedPaths' | 'readonlyPaths' | 'seccomp' | 'devices' | 'sysctl'>;
  devices: DeviceRule[];
} {
  const sec = parseSecurityOpts(hc.SecurityOpt ?? []);
  const privileged = !!hc.Privileged;
  // 1. Capabilities: docker's 14, or all with --privileged, then --cap-drop and --cap-add.
  //    No inheritable set (moby since 20.10.14, CVE-2022-24769): a non-root user's execve must
  //    not inherit any capability.
  const caps = tweakCapabilities(privileged ? heldCapabilities() : DOCKER_DEFAULT_CAPABILITIES, hc.CapAdd ?? [], hc.CapDrop ?? []);
  // 2. The user, resolved in the image's files.
  const who = resolveImageUser(rootfs, user, hc.GroupAdd ?? []);
  // 3. seccomp: docker's profile (or the user's) resolved for these capabilities, unless unconfined.
  let seccomp: Spec['linux']['seccomp'];
  if (!privileged && sec.seccomp !== 'unconfined') {
    const profile = sec.seccomp === 'default' ? DOCKER_DEFAULT_PROFILE : parseProfile(sec.seccomp, 'seccomp profile');
    seccomp = resolveProfile(profile, { caps, kernel: os.release() });
  }
  // 4. Devices: docker's list plus --device, or every device with --privileged.
  const devices = (hc.Devices ?? []).map(hostDevice);
  const rules = deviceRules(privileged, devices);
  // 5. --tmpfs: docker's default options noexec,nosuid,nodev, then the user's.
  const tmpfs = Object.entries(hc.Tmpfs ?? {}).map(([dest, opts]): Mount => ({ destination: dest, type: 'tmpfs', source: 'tmpfs', options: ['noexec', 'nosuid', 'nodev', ...(opts ? opts.split(',') : [])] }));
  // --privileged: /sys and the cgroups writable, as docker mounts them
  const mounts = privileged ? base.mounts.map((m) => (m.destination === '/sys' || m.type === 'cgroup' ? { ...m, options: (m.options ?? []).filter((o) => o !== 'ro') } : m)) : base.mounts;
  const confined = !privileged && !sec.unconfinedPaths;
  return {
    process: {
      capabilities: { bounding: caps, effective: caps, permitted: caps },
      noNewPrivileges: sec.noNewPrivileges,
      user: { uid: who.uid, gid: who.gid, ...(who.additionalGids.length ? { additionalGids: who.additionalGids } : {}) },
      ...(hc.OomScoreAdj ? { oomScoreAdj: hc.OomScoreAdj } : {}),
      rlimits: (hc.Ulimits ?? []).map((u) => ({ type: `RLIMIT_${u.Name.toUpperCase()}`, soft: u.Soft, hard: u.Hard })),
    },
    home: who.home,
    readonly: !!hc.ReadonlyRootfs,
    mounts: [...mounts, ...tmpfs],
    linux: {
      maskedPaths: confined ? DOCKER_MASKED_PATHS : [],
      readonlyPaths: confined ? DOCKER_READONLY_PATHS : [],
      ...(seccomp ? { seccomp } : {}),
      devices: devices.map((d) => d.node),
      ...(hc.Sysctls && Object.keys(hc.Sysctls).length ? { sysctl: hc.Sysctls } : {}),
    },
    devices: rules,
  };
}
// #endregion

/**
 * Every capability the engine itself may still hold (its bounding set): what --privileged gives.
 * Usually all of them; in a sandbox that took some away from the engine, asking for more would
 * make capset(2) fail with EPERM.
 */
export function heldCapabilities(status: string = readFileSync('/proc/self/status', 'utf8')): string[] {
  const hex = /^CapBnd:\s*([0-9a-f]+)$/m.exec(status)?.[1];
  if (!hex) return [...CAPABILITIES];
  const mask = BigInt('0x' + hex);
  return CAPABILITIES.filter((_, n) => (mask & (1n << BigInt(n))) !== 0n);
}

/** --user, the image's USER: numbers from the rootfs's /etc/passwd and /etc/group (absent files are empty). */
export function resolveImageUser(rootfs: string, user: string, groupAdd: readonly string[]): ResolvedUser {
  const read = (file: string) => {
    try {
      return readFileSync(secureJoin(rootfs, file), 'utf8');
    } catch {
      return '';
    }
  };
  return resolveUser(user, read('/etc/passwd'), read('/etc/group'), groupAdd);
}

/** --device /dev/sdb[:/dev/xvdb[:rwm]]: the host node's type and numbers, as stat(2) gives them. */
function hostDevice(d: { PathOnHost: string; PathInContainer: string; CgroupPermissions: string }): { node: LinuxDevice; access: string } {
  let st;
  try {
    st = statSync(d.PathOnHost);
  } catch {
    throw new EngineError(`error gathering device information while adding custom device "${d.PathOnHost}": no such file or directory`);
  }
  const type = st.isCharacterDevice() ? 'c' : st.isBlockDevice() ? 'b' : '';
  if (!type) throw new EngineError(`error gathering device information while adding custom device "${d.PathOnHost}": not a device node`);
  const major = Number((BigInt(st.rdev) >> 8n) & 0xfffn);
  const minor = Number((BigInt(st.rdev) & 0xffn) | ((BigInt(st.rdev) >> 12n) & 0xfff00n));
  return { node: { path: path.posix.normalize(d.PathInContainer || d.PathOnHost), type, major, minor, fileMode: st.mode & 0o7777, uid: 0, gid: 0 }, access: d.CgroupPermissions || 'rwm' };
}
