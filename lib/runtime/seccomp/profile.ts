// Docker's seccomp profile format → config.json's linux.seccomp. moby profiles/seccomp (the JSON
// format, `--security-opt seccomp=profile.json`), runtime-spec config-linux.md "Seccomp".
// Stage 8 notes, "docker's default profile".
//
// A docker profile is written once for every container: its rules say "only with CAP_SYS_ADMIN"
// or "only on arm64". The engine resolves those conditions for ONE container (its capabilities,
// this machine's architecture and kernel) and writes the plain rules that remain into the bundle,
// where the runtime compiles them to BPF (compile.ts).

import { EngineError } from '../../errors.js';
import type { LinuxSeccomp, SeccompArg } from '../spec.js';
import { checkSeccomp } from './check.js';

export interface DockerProfile {
  defaultAction: string;
  defaultErrnoRet?: number;
  archMap?: { architecture: string; subArchitectures: string[] | null }[];
  /** the older form of archMap: a flat list */
  architectures?: string[];
  syscalls: DockerRule[];
}

export interface DockerRule {
  names?: string[];
  /** the oldest form: one name per rule */
  name?: string;
  action: string;
  errnoRet?: number;
  args?: SeccompArg[] | null;
  comment?: string;
  includes?: Conditions;
  excludes?: Conditions;
}

interface Conditions {
  caps?: string[];
  /** Go's names: amd64, arm64, x86, x32, arm … */
  arches?: string[];
  minKernel?: string;
}

/** Read a profile file's text (`--security-opt seccomp=FILE`), or say in one line what is wrong. */
export function parseProfile(text: string, source = 'seccomp profile'): DockerProfile {
  let raw: DockerProfile;
  try {
    raw = JSON.parse(text) as DockerProfile;
  } catch (e) {
    throw new EngineError(`${source}: not valid JSON: ${(e as Error).message}`);
  }
  checkSeccomp(raw, source);
  return raw;
}

/** Go's name of this machine's architecture, as docker's profiles say it. */
export function goArch(arch: string = process.arch): string {
  return arch === 'x64' ? 'amd64' : arch;
}

const kernelAtLeast = (have: string, want: string): boolean => {
  const [a, b] = [have, want].map((v) => v.split(/[.-]/).slice(0, 2).map(Number));
  return a[0] !== b[0] ? a[0] > b[0] : a[1] >= b[1];
};

// #region resolve-profile
/**
 * The rules of `profile` that apply to one container: those whose `includes` all hold (it has
 * every capability listed, runs on one of the arches, on a new enough kernel) and whose
 * `excludes` do not. What remains is plain OCI: names, an action, argument comparisons.
 */
export function resolveProfile(profile: DockerProfile, ctx: { caps: readonly string[]; arch?: string; kernel: string }): LinuxSeccomp {
  const arch = goArch(ctx.arch);
  const holds = (c: Conditions | undefined): { all: boolean; any: boolean } => {
    const tests: boolean[] = [];
    if (c?.caps?.length) tests.push(c.caps.every((cap) => ctx.caps.includes(cap)));
    if (c?.arches?.length) tests.push(c.arches.includes(arch));
    if (c?.minKernel) tests.push(kernelAtLeast(ctx.kernel, c.minKernel));
    return { all: tests.every(Boolean), any: tests.some(Boolean) };
  };
  const syscalls: LinuxSeccomp['syscalls'] = [];
  for (const rule of profile.syscalls ?? []) {
    if (!holds(rule.includes).all) continue;
    // docker's excludes: the rule is dropped when ANY of its conditions holds
    if (rule.excludes && holds(rule.excludes).any) continue;
    const out: NonNullable<LinuxSeccomp['syscalls']>[number] = { names: rule.names ?? [rule.name!], action: rule.action };
    if (rule.errnoRet !== undefined) out.errnoRet = rule.errnoRet;
    if (rule.args?.length) out.args = rule.args;
    syscalls.push(out);
  }
  const architectures = profile.archMap?.flatMap((a) => [a.architecture, ...(a.subArchitectures ?? [])]) ?? profile.architectures ?? [];
  return { defaultAction: profile.defaultAction, ...(profile.defaultErrnoRet !== undefined ? { defaultErrnoRet: profile.defaultErrnoRet } : {}), architectures, syscalls };
}
// #endregion
