// The devices cgroup on v2: an eBPF program of type BPF_PROG_TYPE_CGROUP_DEVICE, attached to the
// container's cgroup, that the kernel runs whenever a process in it opens or makes a device node.
// bpf(2), Documentation/admin-guide/cgroup-v2.rst "Device controller"; <linux/bpf.h>
// struct bpf_cgroup_dev_ctx. Stage 8 notes, "the devices cgroup".
//
// v1 kept a list of rules in devices.allow/devices.deny; v2 has no such files: the same list is
// compiled into a program that answers 1 (allow) or 0 (deny). The program sees three u32s:
//   access_type = (access << 16) | type   (type: 1 block, 2 char; access: 1 mknod, 2 read, 4 write)
//   major, minor
// eBPF is not the classic BPF of seccomp: 11 64-bit registers, r1 = the context on entry, r0 =
// the result at exit, instructions {u8 code; u8 dst:4, src:4; s16 off; s32 imm}.

import type { LinuxResources } from '../spec.js';

export interface EbpfInsn {
  code: number;
  dst: number;
  src: number;
  off: number;
  imm: number;
}

// #region ebpf-opcodes
/** The few eBPF instructions the program needs (<linux/bpf_common.h>, <linux/bpf.h>). */
export const EBPF = {
  LDX_MEM_W: 0x61, //   dst = *(u32 *)(src + off)
  ALU64_AND_K: 0x57, // dst &= imm
  ALU64_RSH_K: 0x77, // dst >>= imm
  MOV64_K: 0xb7, //     dst = imm
  MOV64_X: 0xbf, //     dst = src
  JNE_K: 0x55, //       if (dst != imm) goto pc + 1 + off
  EXIT: 0x95, //        return r0
} as const;
// #endregion

const DEV_TYPE = { b: 1, c: 2 } as const;
const ACCESS = { m: 1, r: 2, w: 4 } as const;

type Rule = NonNullable<LinuxResources['devices']>[number];

const insn = (code: number, dst = 0, src = 0, off = 0, imm = 0): EbpfInsn => ({ code, dst, src, off, imm });

// #region device-program
/**
 * The rules as a program. v1's rules are applied in order, a later one overriding an earlier one
 * for the devices both match; so the program tests them in REVERSE order and the first match
 * decides. Nothing matched: deny.
 */
export function deviceProgram(rules: readonly Rule[]): EbpfInsn[] {
  const p: EbpfInsn[] = [
    insn(EBPF.LDX_MEM_W, 2, 1, 0), //  r2 = access_type
    insn(EBPF.ALU64_AND_K, 2, 0, 0, 0xffff), // r2 = type
    insn(EBPF.LDX_MEM_W, 3, 1, 0), //  r3 = access_type
    insn(EBPF.ALU64_RSH_K, 3, 0, 0, 16), // r3 = access asked for
    insn(EBPF.LDX_MEM_W, 4, 1, 4), //  r4 = major
    insn(EBPF.LDX_MEM_W, 5, 1, 8), //  r5 = minor
  ];
  for (const rule of [...rules].reverse()) {
    // each test jumps past the rest of this rule's block when it fails
    const block: EbpfInsn[] = [];
    const tests: number[] = []; // indexes in block of jumps to fix up
    const type = rule.type ?? 'a';
    if (type === 'b' || type === 'c') {
      tests.push(block.length);
      block.push(insn(EBPF.JNE_K, 2, 0, 0, DEV_TYPE[type]));
    }
    const allowed = [...(rule.access ?? 'rwm')].reduce((m, ch) => m | (ACCESS[ch as keyof typeof ACCESS] ?? 0), 0);
    if (allowed !== 7) {
      // every access asked for must be in the rule: (asked & ~allowed) == 0
      block.push(insn(EBPF.MOV64_X, 1, 3), insn(EBPF.ALU64_AND_K, 1, 0, 0, ~allowed & 7));
      tests.push(block.length);
      block.push(insn(EBPF.JNE_K, 1, 0, 0, 0));
    }
    if (type !== 'a' && rule.major !== undefined && rule.major !== null && rule.major >= 0) {
      tests.push(block.length);
      block.push(insn(EBPF.JNE_K, 4, 0, 0, rule.major));
    }
    if (type !== 'a' && rule.minor !== undefined && rule.minor !== null && rule.minor >= 0) {
      tests.push(block.length);
      block.push(insn(EBPF.JNE_K, 5, 0, 0, rule.minor));
    }
    block.push(insn(EBPF.MOV64_K, 0, 0, 0, rule.allow ? 1 : 0), insn(EBPF.EXIT));
    for (const i of tests) block[i].off = block.length - i - 1; // to the first instruction after the block
    p.push(...block);
    // a rule that matches every device ends the program: the verifier refuses unreachable code
    if (tests.length === 0) return p;
  }
  p.push(insn(EBPF.MOV64_K, 0, 0, 0, 0), insn(EBPF.EXIT));
  return p;
}
// #endregion

/** struct bpf_insn[] as the kernel reads it (little-endian). */
export function encodeEbpf(program: readonly EbpfInsn[]): Buffer {
  const buf = Buffer.alloc(program.length * 8);
  program.forEach((x, i) => {
    buf.writeUInt8(x.code, i * 8);
    buf.writeUInt8((x.src << 4) | x.dst, i * 8 + 1);
    buf.writeInt16LE(x.off, i * 8 + 2);
    buf.writeInt32LE(x.imm | 0, i * 8 + 4);
  });
  return buf;
}
