// config.json's linux.seccomp → a classic BPF program for this architecture, what libseccomp
// does for runc. seccomp(2), runtime-spec config-linux.md "Seccomp". Stage 8 notes, "the filter
// disassembled".
//
// The program reads like the profile: first the architecture check (a syscall number means
// nothing without its table), then one test per allowed (or refused) name in the profile's order,
// the first match deciding, and at the end the default action. Simple, not fast: libseccomp
// builds a binary tree; a linear list of a few hundred tests costs well under a microsecond.

import { EngineError } from '../../errors.js';
import { AARCH64_SYSCALLS, X86_64_SYSCALLS } from '../../sys/syscall-table.js';
import type { LinuxSeccomp, SeccompArg } from '../spec.js';
import { Assembler, RET, SECCOMP_DATA, type Insn } from './bpf.js';

/** <linux/audit.h>: the calling convention a syscall came in with (64-bit, little-endian). */
export const AUDIT_ARCH = { x64: 0xc000003e, arm64: 0xc00000b7 } as const;
/** x86_64's x32 ABI marks its numbers with bit 30: same arch value, another table. */
const X32_SYSCALL_BIT = 0x40000000;
const EPERM = 1;

export type SeccompArch = keyof typeof AUDIT_ARCH;

export function syscallTable(arch: SeccompArch): Readonly<Record<string, number>> {
  return arch === 'x64' ? X86_64_SYSCALLS : AARCH64_SYSCALLS;
}

/** An OCI action name (+ errno) → the 32-bit verdict a filter returns. */
export function verdict(action: string, errnoRet: number | undefined): number {
  switch (action) {
    case 'SCMP_ACT_ALLOW': return RET.ALLOW;
    case 'SCMP_ACT_ERRNO': return (RET.ERRNO | ((errnoRet ?? EPERM) & 0xffff)) >>> 0;
    case 'SCMP_ACT_KILL':
    case 'SCMP_ACT_KILL_THREAD': return RET.KILL_THREAD;
    case 'SCMP_ACT_KILL_PROCESS': return RET.KILL_PROCESS;
    case 'SCMP_ACT_TRAP': return RET.TRAP;
    case 'SCMP_ACT_TRACE': return (RET.TRACE | ((errnoRet ?? 0) & 0xffff)) >>> 0;
    case 'SCMP_ACT_LOG': return RET.LOG;
    default: throw new EngineError(`linux.seccomp: action ${JSON.stringify(action)} is not supported`);
  }
}

const halves = (v: number | bigint): [number, number] => {
  const b = BigInt.asUintN(64, BigInt(v));
  return [Number(b & 0xffffffffn), Number(b >> 32n)];
};

// #region compile-filter
export function compileFilter(seccomp: LinuxSeccomp, arch: SeccompArch = process.arch as SeccompArch): Insn[] {
  if (!(arch in AUDIT_ARCH)) throw new EngineError(`seccomp: unsupported architecture ${arch}`);
  const table = syscallTable(arch);
  const a = new Assembler();
  let n = 0;
  const fresh = (what: string) => `${what}-${n++}`;

  // 1. The architecture. On x86_64 a 32-bit program can call int 0x80 with i386's numbers, in
  //    which 1 is exit, not write: a filter that does not check arch first can be walked around.
  //    minidock compiles only the native table, so any other convention kills the process.
  checkArchitecture(a, arch);

  // 2. The rules, in order: the first that matches decides. A rule with argument tests jumps to
  //    its end when one fails, and reloads the number there (the tests overwrote A).
  for (const rule of seccomp.syscalls ?? []) {
    const action = verdict(rule.action, rule.errnoRet ?? (rule.action === 'SCMP_ACT_ERRNO' ? EPERM : undefined));
    for (const name of rule.names) {
      // A holds the number: equal → on to the argument tests (if any) and the rule's verdict;
      // not equal (or a failed test) → to a label after it, where the next name is tested
      // #region exercise 8.seccomp-rule
      const nr = table[name];
      if (nr === undefined) continue; // not a call of this architecture (chown32 on x86_64): as libseccomp, skip
      const end = fresh(`not-${name}`);
      a.jeq(nr, 'next', end);
      for (const arg of rule.args ?? []) compareArg(a, arg, end, fresh);
      a.ret(action).label(end);
      if (rule.args?.length) a.load(SECCOMP_DATA.nr);
      // #endregion
    }
  }

  // 3. Nothing matched.
  a.ret(verdict(seccomp.defaultAction, seccomp.defaultErrnoRet));
  return a.assemble();
}
// #endregion

// #region compile-arch
/**
 * The program's first instructions: kill the process unless seccomp_data.arch is this
 * architecture's AUDIT_ARCH; then the number, in A for the rules, and on x86_64 no x32 number
 * (bit 30 set), which would index another table.
 */
function checkArchitecture(a: Assembler, arch: SeccompArch): void {
  // #region exercise 8.seccomp-arch
  a.load(SECCOMP_DATA.arch).jeq(AUDIT_ARCH[arch], 'arch-ok', 'next').ret(RET.KILL_PROCESS).label('arch-ok');
  a.load(SECCOMP_DATA.nr);
  if (arch === 'x64') a.jge(X32_SYSCALL_BIT, 'next', 'nr-ok').ret(RET.KILL_PROCESS).label('nr-ok');
  // #endregion
}
// #endregion

// #region compile-arg
/** Test one 64-bit argument with two 32-bit loads; on failure jump to `fail`, else fall through. */
function compareArg(a: Assembler, arg: SeccompArg, fail: string, fresh: (w: string) => string): void {
  const lo = SECCOMP_DATA.arg(arg.index, 'lo');
  const hi = SECCOMP_DATA.arg(arg.index, 'hi');
  const [vlo, vhi] = halves(arg.value);
  switch (arg.op) {
    case 'SCMP_CMP_EQ':
      a.load(lo).jeq(vlo, 'next', fail).load(hi).jeq(vhi, 'next', fail);
      return;
    case 'SCMP_CMP_NE': {
      // different if either half differs
      const differs = fresh('differs');
      a.load(lo).jeq(vlo, 'next', differs).load(hi).jeq(vhi, fail, 'next').label(differs);
      return;
    }
    case 'SCMP_CMP_MASKED_EQ': {
      // docker: value is the mask, valueTwo what the masked argument must equal
      const [dlo, dhi] = halves(arg.valueTwo ?? 0);
      a.load(lo).and(vlo).jeq(dlo, 'next', fail).load(hi).and(vhi).jeq(dhi, 'next', fail);
      return;
    }
    default:
      throw new EngineError(`linux.seccomp: comparison ${JSON.stringify(arg.op)} is not supported`);
  }
}
// #endregion

/** Name a syscall number of `arch`, for disassembly. */
export function syscallName(arch: SeccompArch): (nr: number) => string {
  const byNumber = new Map(Object.entries(syscallTable(arch)).map(([k, v]) => [v, k]));
  return (nr) => byNumber.get(nr) ?? '';
}
