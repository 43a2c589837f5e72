// What a seccomp section may say, checked before anything runs: docker's profile format and
// config.json's linux.seccomp share the action and comparison names (libseccomp's). Its own file
// so that spec.ts can use it without an import cycle. Stage 8 notes.

import { EngineError } from '../../errors.js';

export const ACTIONS = ['SCMP_ACT_KILL', 'SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_KILL_THREAD', 'SCMP_ACT_TRAP', 'SCMP_ACT_ERRNO', 'SCMP_ACT_TRACE', 'SCMP_ACT_ALLOW', 'SCMP_ACT_LOG'];
/** The comparisons the compiler implements on 64-bit arguments (all docker's default profile uses). */
export const OPERATORS = ['SCMP_CMP_EQ', 'SCMP_CMP_NE', 'SCMP_CMP_MASKED_EQ'];

interface RuleShape {
  names?: string[];
  name?: string;
  action: string;
  args?: { index: number; op: string }[] | null;
}

/** Checks that both formats share (a docker profile, or config.json's linux.seccomp). */
export function checkSeccomp(s: { defaultAction?: unknown; syscalls?: unknown }, where: string): void {
  const fail = (why: string): never => {
    throw new EngineError(`${where}: ${why}`);
  };
  if (typeof s !== 'object' || s === null) fail('want a JSON object');
  if (typeof s.defaultAction !== 'string' || !ACTIONS.includes(s.defaultAction)) fail(`defaultAction ${JSON.stringify(s.defaultAction)} is not one of ${ACTIONS.join(', ')}`);
  if (s.syscalls !== undefined && s.syscalls !== null && !Array.isArray(s.syscalls)) fail('syscalls: want a list');
  for (const rule of (s.syscalls ?? []) as RuleShape[]) {
    if (!ACTIONS.includes(rule.action)) fail(`syscalls: action ${JSON.stringify(rule.action)} is not supported`);
    const names = rule.names ?? (rule.name ? [rule.name] : []);
    if (names.length === 0 || !names.every((n) => typeof n === 'string' && /^[a-z0-9_]+$/.test(n))) fail('syscalls: each rule wants "names", a list of system call names');
    for (const a of rule.args ?? []) {
      if (!Number.isInteger(a.index) || a.index < 0 || a.index > 5) fail(`syscalls: argument index ${a.index}: want 0 to 5`);
      if (!OPERATORS.includes(a.op)) fail(`syscalls: comparison ${JSON.stringify(a.op)} is not supported (minidock compiles ${OPERATORS.join(', ')})`);
    }
  }
}
