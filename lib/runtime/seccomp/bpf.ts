// Classic BPF, the tiny machine a seccomp filter is written for: an accumulator, 32-bit loads
// from the syscall's `struct seccomp_data`, forward jumps, and a return value that is the verdict.
// bpf(4) in FreeBSD's words, Linux's Documentation/networking/filter.rst and userspace-api/seccomp_filter.rst;
// <linux/filter.h>, <linux/seccomp.h>. Stage 8 notes, "BPF from first principles".
//
// An instruction is 8 bytes: u16 code, u8 jt, u8 jf, u32 k. Jumps only go forward, by jt/jf
// instructions (0..255) after the next one: the kernel can prove every filter ends. This file
// is an assembler with labels (so nobody counts offsets by hand) and its inverse, a disassembler.

// #region bpf-opcodes
/** Instruction classes and modes, named as in <linux/bpf_common.h>. */
export const BPF = {
  LD: 0x00, ALU: 0x04, JMP: 0x05, RET: 0x06,
  W: 0x00, //   load a 32-bit word
  ABS: 0x20, // from an absolute offset in seccomp_data
  K: 0x00, //   the operand is the constant k
  AND: 0x50,
  JA: 0x00, JEQ: 0x10, JGT: 0x20, JGE: 0x30, JSET: 0x40,
} as const;

/** struct seccomp_data: what a filter can look at (all little-endian on our architectures). */
export const SECCOMP_DATA = {
  nr: 0, //   the system call number
  arch: 4, // AUDIT_ARCH_*: which calling convention (and which number table) was used
  ip: 8, //   instruction pointer (u64)
  /** args[i] is a u64 at 16 + 8 i: its low half at +0, its high half at +4 */
  arg: (i: number, half: 'lo' | 'hi') => 16 + 8 * i + (half === 'hi' ? 4 : 0),
} as const;

/** The verdicts a filter returns (SECCOMP_RET_*); ERRNO and TRACE carry 16 bits of data. */
export const RET = {
  KILL_PROCESS: 0x80000000,
  KILL_THREAD: 0x00000000,
  TRAP: 0x00030000,
  ERRNO: 0x00050000,
  USER_NOTIF: 0x7fc00000,
  TRACE: 0x7ff00000,
  LOG: 0x7ffc0000,
  ALLOW: 0x7fff0000,
} as const;
// #endregion

export interface Insn {
  code: number;
  jt: number;
  jf: number;
  k: number;
}

/** A jump target: a label defined later, or "next" (fall through, offset 0). */
export type Target = string | 'next';

type Pending = { code: number; k: number; jt?: Target; jf?: Target; ja?: string };

// #region assembler
/**
 * Write a filter top to bottom with named labels; assemble() turns each label into the offset
 * the kernel wants (target index − index of the jump − 1) and refuses a backward or too-long jump.
 */
export class Assembler {
  private readonly code: Pending[] = [];
  private readonly labels = new Map<string, number>();

  /** A = seccomp_data[offset] (32 bits). */
  load(offset: number): this {
    return this.emit({ code: BPF.LD | BPF.W | BPF.ABS, k: offset });
  }
  /** A = A & k. */
  and(k: number): this {
    return this.emit({ code: BPF.ALU | BPF.AND | BPF.K, k });
  }
  /** if (A == k) goto jt else goto jf. */
  jeq(k: number, jt: Target, jf: Target): this {
    return this.emit({ code: BPF.JMP | BPF.JEQ | BPF.K, k, jt, jf });
  }
  /** if (A >= k) goto jt else goto jf (unsigned). */
  jge(k: number, jt: Target, jf: Target): this {
    return this.emit({ code: BPF.JMP | BPF.JGE | BPF.K, k, jt, jf });
  }
  /** if (A & k) goto jt else goto jf. */
  jset(k: number, jt: Target, jf: Target): this {
    return this.emit({ code: BPF.JMP | BPF.JSET | BPF.K, k, jt, jf });
  }
  /** goto label (a 32-bit offset: the only long jump). */
  ja(label: string): this {
    return this.emit({ code: BPF.JMP | BPF.JA, k: 0, ja: label });
  }
  /** return k: the verdict. */
  ret(k: number): this {
    return this.emit({ code: BPF.RET | BPF.K, k });
  }
  /** Name the next instruction. */
  label(name: string): this {
    if (this.labels.has(name)) throw new Error(`bpf: label ${name} defined twice`);
    this.labels.set(name, this.code.length);
    return this;
  }
  // #endregion

  // #region assembler-offsets
  assemble(): Insn[] {
    const offset = (from: number, to: Target | undefined, max: number): number => {
      if (to === undefined || to === 'next') return 0;
      const at = this.labels.get(to);
      if (at === undefined) throw new Error(`bpf: undefined label ${to}`);
      const off = at - from - 1;
      if (off < 0) throw new Error(`bpf: jump backwards to ${to} (BPF only jumps forward)`);
      if (off > max) throw new Error(`bpf: jump to ${to} is ${off} instructions, more than ${max}`);
      return off;
    };
    const out = this.code.map((p, i) => {
      if (p.ja !== undefined) return { code: p.code, jt: 0, jf: 0, k: offset(i, p.ja, 0xffffffff) };
      return { code: p.code, jt: offset(i, p.jt, 255), jf: offset(i, p.jf, 255), k: p.k >>> 0 };
    });
    if (out.length > 4096) throw new Error(`bpf: ${out.length} instructions, more than the kernel's BPF_MAXINSNS (4096)`);
    return out;
  }

  private emit(p: Pending): this {
    this.code.push(p);
    return this;
  }
}
// #endregion

/** The bytes the kernel reads: struct sock_filter[] (u16 code, u8 jt, u8 jf, u32 k), little-endian. */
export function encode(program: readonly Insn[]): Buffer {
  const buf = Buffer.alloc(program.length * 8);
  program.forEach((insn, i) => {
    buf.writeUInt16LE(insn.code, i * 8);
    buf.writeUInt8(insn.jt, i * 8 + 2);
    buf.writeUInt8(insn.jf, i * 8 + 3);
    buf.writeUInt32LE(insn.k >>> 0, i * 8 + 4);
  });
  return buf;
}

const hex = (n: number) => '0x' + (n >>> 0).toString(16);

/** One line per instruction, in the style of `seccomp-tools disasm` / bpf_dbg: for the notes and --trace. */
export function disassemble(program: readonly Insn[], names: (k: number) => string = () => ''): string[] {
  const fieldOf = (k: number): string => {
    if (k === SECCOMP_DATA.nr) return 'nr';
    if (k === SECCOMP_DATA.arch) return 'arch';
    if (k >= 16 && k < 64) return `args[${(k - 16) >> 3}]${k % 8 === 4 ? '.hi' : '.lo'}`;
    return `[${k}]`;
  };
  const verdict = (k: number): string => {
    if (k === RET.KILL_PROCESS) return 'KILL_PROCESS';
    if (k === RET.ALLOW) return 'ALLOW';
    const action = k & 0xffff0000;
    const name = Object.entries(RET).find(([, v]) => v === action)?.[0] ?? hex(action);
    return `${name}(${k & 0xffff})`;
  };
  let loaded = -1; // which field A holds: only a number loaded from `nr` is named
  return program.map((insn, i) => {
    const at = String(i).padStart(4, '0');
    const to = (off: number) => String(i + 1 + off).padStart(4, '0');
    const cls = insn.code & 0x07;
    let text: string;
    if (cls === BPF.LD) {
      loaded = insn.k;
      text = `A = ${fieldOf(insn.k)}`;
    }
    else if (cls === BPF.ALU) text = `A &= ${hex(insn.k)}`;
    else if (cls === BPF.RET) text = `return ${verdict(insn.k)}`;
    else if ((insn.code & 0xf0) === BPF.JA) text = `goto ${to(insn.k)}`;
    else {
      const op = { [BPF.JEQ]: '==', [BPF.JGT]: '>', [BPF.JGE]: '>=', [BPF.JSET]: '&' }[insn.code & 0xf0] ?? '?';
      const name = loaded === SECCOMP_DATA.nr ? names(insn.k) : '';
      text = `if (A ${op} ${hex(insn.k)}${name ? ` /* ${name} */` : ''}) goto ${to(insn.jt)} else goto ${to(insn.jf)}`;
    }
    return `${at}: ${text}`;
  });
}

/**
 * Run a filter on one system call, as the kernel would: for unit tests and for `minidock`'s
 * notes (what does the default profile answer to clock_settime?). Returns the verdict.
 */
export function interpret(program: readonly Insn[], data: { nr: number; arch: number; args?: readonly bigint[] }): number {
  const mem = Buffer.alloc(64);
  mem.writeUInt32LE(data.nr >>> 0, 0);
  mem.writeUInt32LE(data.arch >>> 0, 4);
  (data.args ?? []).forEach((a, i) => mem.writeBigUInt64LE(BigInt.asUintN(64, a), 16 + 8 * i));
  let A = 0;
  for (let pc = 0; pc < program.length; pc++) {
    const { code, jt, jf, k } = program[pc];
    const cls = code & 0x07;
    if (cls === BPF.LD) A = mem.readUInt32LE(k);
    else if (cls === BPF.ALU) A = (A & k) >>> 0;
    else if (cls === BPF.RET) return k >>> 0;
    else if (cls === BPF.JMP) {
      const op = code & 0xf0;
      if (op === BPF.JA) pc += k;
      else {
        const taken = op === BPF.JEQ ? A === k : op === BPF.JGT ? A > k : op === BPF.JGE ? A >= k : (A & k) !== 0;
        pc += taken ? jt : jf;
      }
    } else throw new Error(`bpf: unknown instruction ${hex(code)} at ${pc}`);
  }
  throw new Error('bpf: the filter fell off its end without a return');
}
