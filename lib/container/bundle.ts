// From Docker's records to an OCI bundle: the engine's half of the engine ↔ runtime contract.
// runtime-spec config.md; moby daemon/oci_linux.go does the same job. Stage 1 notes, "a container
// is a bundle"; seed notes 004 (dockerd → containerd → runc, the bundle between them).
//
// config.v2.json + hostconfig.json + the image's config + the mounted rootfs → config.json:
// the command line from Entrypoint + Cmd, the environment with docker's defaults, the namespaces
// docker's --pid/--ipc/--uts/--network/--cgroupns flags ask for, the kernel filesystems, the
// volumes and /etc files as bind mounts, and the limits in OCI's names. Written to
// /run/minidock/bundles/<id>/config.json, where a learner can read it — and run it by hand
// with `minidock-runtime run --bundle /run/minidock/bundles/<id> my-copy`.

import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { writeJsonAtomic } from '../atomic.js';
import { EngineError } from '../errors.js';
import type { Paths } from '../paths.js';
import { trace } from '../sys/trace.js';
import { defaultCgroupPath } from '../runtime/cgroups/index.js';
import type { NsKind } from '../runtime/namespaces.js';
import { defaultMounts, OCI_VERSION, type LinuxResources, type Mount, type NamespaceType, type Spec } from '../runtime/spec.js';
import { inMountOrder, volumeMounts } from '../volumes/plan.js';
import { findDockerInit, withDockerInit } from './dockerinit.js';
import { etcMounts } from './etcfiles.js';
import { toOciMount } from './mounts.js';
import { planNamespaces } from './namespaces.js';
import { nanoCpusToQuota, DEFAULT_CFS_PERIOD_US } from './resources.js';
import { securitySpec } from './security.js';
import { findContainer, initAlive, ZERO_TIME, type Container, type HostConfig } from './state.js';

export const DEFAULT_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** docker's environment rules: PATH if missing, HOSTNAME always, HOME=/root for root. */
export function containerEnv(env: readonly string[], hostname: string, tty = false): string[] {
  // a bare KEY (`-e KEY`, unset on the host) means: no KEY in the container at all
  const out = env.filter((e) => !e.startsWith('HOSTNAME=') && e.includes('='));
  if (!out.some((e) => e.startsWith('PATH='))) out.unshift(DEFAULT_PATH);
  out.push(`HOSTNAME=${hostname}`);
  if (!out.some((e) => e.startsWith('HOME='))) out.push('HOME=/root');
  // with a terminal, TERM says what it understands (docker's daemon adds xterm, not in Config.Env)
  if (tty && !out.some((e) => e.startsWith('TERM='))) out.push('TERM=xterm');
  return out;
}

const OCI_TYPE: Record<NsKind, NamespaceType> = { mnt: 'mount', uts: 'uts', ipc: 'ipc', pid: 'pid', net: 'network', cgroup: 'cgroup' };

// #region build-spec
/**
 * The container's config.json. `rootfs` is the directory that becomes "/" (the overlay the
 * engine mounted, or the vfs copy). The course's stages add the engine's parts: the /etc files
 * from stage 3, the volumes from stage 4. (What the runtime does with it — namespaces from
 * stage 1, cgroups from stage 2 — is the runtime's own stage gate.)
 */
export function buildSpec(p: Paths, c: Container, hc: HostConfig, stage: number, rootfs: string): Spec {
  const args = [...(c.Config.Entrypoint ?? []), ...(c.Config.Cmd ?? [])];
  if (args.length === 0) throw new EngineError('no command specified');
  const plan = planNamespaces(hc);
  const namespaces: Spec['linux']['namespaces'] = plan.create.map((kind) => ({ type: OCI_TYPE[kind] }));
  for (const [kind, target] of Object.entries(plan.join) as [NsKind, string][]) {
    const other = findContainer(p, target);
    if (!other.State.Running || !initAlive(other)) throw new EngineError(`cannot join namespace of a non running container: ${target}`);
    namespaces.push({ type: OCI_TYPE[kind], path: `/proc/${other.State.Pid}/ns/${kind}` });
  }
  const own = inMountOrder([...etcMounts(p, c, hc, stage), ...volumeMounts(c.MountPoints ?? {}, c.State.StartedAt === ZERO_TIME)]).map(toOciMount);
  const spec: Spec = {
    ociVersion: OCI_VERSION,
    process: {
      user: { uid: 0, gid: 0 },
      args,
      env: containerEnv(c.Config.Env, c.Config.Hostname, c.Config.Tty),
      cwd: c.Config.WorkingDir || '/',
      // -t (stage 7): the runtime makes a pty inside, the shim holds its master
      ...(c.Config.Tty ? { terminal: true } : {}),
    },
    root: { path: rootfs, readonly: false },
    hostname: c.Config.Hostname,
    // /proc, /dev, /sys … first, then the container's own mounts, shallow before deep
    mounts: [...kernelMounts(stage), ...own],
    annotations: { 'org.minidock.container.name': c.Name.replace(/^\//, '') },
    linux: {
      namespaces,
      cgroupsPath: defaultCgroupPath(c.ID),
      resources: ociResources(hc),
    },
  };
  // Stage 8: what the process may do (lib/container/security.ts). Below it, config.json says
  // nothing about capabilities, seccomp or masked paths, and the runtime changes nothing:
  // the container's root keeps every capability the engine has.
  if (stage >= 8) {
    const sec = securitySpec(hc, c.Config.User ?? '', rootfs, { mounts: [...kernelMounts(stage), ...own] });
    Object.assign(spec.process, sec.process);
    // HOME from the user's passwd entry, unless the image or -e set one (docker does the same)
    if (sec.home && !c.Config.Env.some((e) => e.startsWith('HOME='))) spec.process.env = spec.process.env.map((e) => (e === 'HOME=/root' ? `HOME=${sec.home}` : e));
    spec.root.readonly = sec.readonly;
    spec.mounts = inOrder(sec.mounts);
    Object.assign(spec.linux, sec.linux);
    spec.linux.resources = { ...spec.linux.resources, devices: sec.devices };
  }
  return hc.Init ? withDockerInit(spec, findDockerInit()) : spec; // --init (stage 7)
}
// #endregion

// #region oci-resources
/** hostconfig.json's limits (docker's names; 0 or "" = not set) → config.json's linux.resources. */
export function ociResources(hc: Partial<HostConfig>): LinuxResources {
  const r: LinuxResources = {};
  const memory: NonNullable<LinuxResources['memory']> = {};
  if (hc.Memory) memory.limit = hc.Memory;
  if (hc.MemorySwap) memory.swap = hc.MemorySwap;
  if (hc.MemoryReservation) memory.reservation = hc.MemoryReservation;
  if (Object.keys(memory).length > 0) r.memory = memory;
  const cpu: NonNullable<LinuxResources['cpu']> = {};
  // --cpus is docker's own convenience: N CPUs = a quota of N periods per 100 ms period
  if (hc.NanoCpus) {
    cpu.period = DEFAULT_CFS_PERIOD_US;
    cpu.quota = nanoCpusToQuota(hc.NanoCpus, DEFAULT_CFS_PERIOD_US);
  } else {
    if (hc.CpuPeriod) cpu.period = hc.CpuPeriod;
    if (hc.CpuQuota) cpu.quota = hc.CpuQuota;
  }
  if (hc.CpuShares) cpu.shares = hc.CpuShares;
  if (hc.CpusetCpus) cpu.cpus = hc.CpusetCpus;
  if (hc.CpusetMems) cpu.mems = hc.CpusetMems;
  if (Object.keys(cpu).length > 0) r.cpu = cpu;
  if (hc.PidsLimit) r.pids = { limit: hc.PidsLimit };
  return r;
}
// #endregion

/** The kernel filesystems: /sys/fs/cgroup (the container's own limits) from stage 2, the cgroups stage. */
function kernelMounts(stage: number): Mount[] {
  return defaultMounts().filter((m) => stage >= 2 || m.type !== 'cgroup');
}

/** The kernel filesystems first (as defaultMounts orders them), then the rest shallow before deep: --tmpfs /tmp among the volumes. */
function inOrder(mounts: Mount[]): Mount[] {
  const kernel = mounts.filter((m) => defaultMounts().some((d) => d.destination === m.destination));
  const rest = mounts.filter((m) => !kernel.includes(m));
  const depth = (m: Mount) => m.destination.split('/').filter(Boolean).length;
  return [...kernel, ...rest.map((m, i) => ({ m, i })).sort((a, b) => depth(a.m) - depth(b.m) || a.i - b.i).map((x) => x.m)];
}

/** Write config.json into the container's bundle directory; returns the directory. */
export function writeBundle(p: Paths, id: string, spec: Spec): string {
  const dir = p.bundle(id);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  trace(`write ${dir}/config.json   # the bundle: the engine's side of the contract`);
  writeJsonAtomic(path.join(dir, 'config.json'), spec, 0o600);
  return dir;
}
