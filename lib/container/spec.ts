// From a container's config to the spec init follows (lib/sync.ts InitSpec): the command line
// from Entrypoint + Cmd, the environment with docker's defaults, the working directory, and
// the namespaces to create or join.

import type { Resources } from '../cgroups/resources.js';
import { EngineError } from '../errors.js';
import { planNamespaces, type NsKind } from '../namespaces.js';
import type { Paths } from '../paths.js';
import { rootfsForInit } from '../storage/index.js';
import type { InitSpec } from '../sync.js';
import { inMountOrder, volumeMounts } from '../volumes/plan.js';
import { etcMounts } from './etcfiles.js';
import { findContainer, initAlive, ZERO_TIME, type Container, type HostConfig } from './state.js';

export const DEFAULT_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** docker's environment rules: PATH if missing, HOSTNAME always, HOME=/root for root. */
export function containerEnv(env: readonly string[], hostname: string): string[] {
  // a bare KEY (`-e KEY`, unset on the host) means: no KEY in the container at all
  const out = env.filter((e) => !e.startsWith('HOSTNAME=') && e.includes('='));
  if (!out.some((e) => e.startsWith('PATH='))) out.unshift(DEFAULT_PATH);
  out.push(`HOSTNAME=${hostname}`);
  if (!out.some((e) => e.startsWith('HOME='))) out.push('HOME=/root');
  return out;
}

export function buildSpec(p: Paths, c: Container, hc: HostConfig, stage: number): InitSpec {
  const args = [...(c.Config.Entrypoint ?? []), ...(c.Config.Cmd ?? [])];
  if (args.length === 0) throw new EngineError('no command specified');
  const plan = planNamespaces(hc);
  const join: Record<string, string> = {};
  for (const [kind, target] of Object.entries(plan.join) as [NsKind, string][]) {
    const other = findContainer(p, target);
    if (!other.State.Running || !initAlive(other)) {
      throw new EngineError(`cannot join namespace of a non running container: ${target}`);
    }
    join[kind] = `/proc/${other.State.Pid}/ns/${kind}`;
  }
  return {
    id: c.ID,
    hostname: c.Config.Hostname,
    ...rootfsForInit(c),
    mounts: inMountOrder([...etcMounts(p, c, hc, stage), ...volumeMounts(c.MountPoints ?? {}, c.State.StartedAt === ZERO_TIME)]),
    args,
    env: containerEnv(c.Config.Env, c.Config.Hostname),
    cwd: c.Config.WorkingDir || '/',
    // stage 0 is chroot alone: no namespaces at all
    unshare: stage >= 1 ? plan.create : [],
    join: stage >= 1 ? join : {},
    stage,
  };
}

/** The limits of hostconfig.json that are set (docker writes 0 or "" for "not set"). */
export function resourcesOf(hc: HostConfig): Resources {
  const r: Resources = {};
  if (hc.Memory) r.Memory = hc.Memory;
  if (hc.MemorySwap) r.MemorySwap = hc.MemorySwap;
  if (hc.MemoryReservation) r.MemoryReservation = hc.MemoryReservation;
  if (hc.NanoCpus) r.NanoCpus = hc.NanoCpus;
  if (hc.CpuPeriod) r.CpuPeriod = hc.CpuPeriod;
  if (hc.CpuQuota) r.CpuQuota = hc.CpuQuota;
  if (hc.CpuShares) r.CpuShares = hc.CpuShares;
  if (hc.CpusetCpus) r.CpusetCpus = hc.CpusetCpus;
  if (hc.CpusetMems) r.CpusetMems = hc.CpusetMems;
  if (hc.PidsLimit) r.PidsLimit = hc.PidsLimit;
  return r;
}
