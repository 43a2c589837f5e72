// lib/runtime/cgroups/devices-bpf.ts: the v2 device program, run by a small eBPF interpreter here
// on device accesses, allows what the rules allow; and its instructions' encoding.

import { describe, expect, it } from 'vitest';
import { deviceProgram, EBPF, encodeEbpf, type EbpfInsn } from './devices-bpf.js';

/** Run the program as the kernel would, on one (type, access, major, minor). */
function run(p: EbpfInsn[], type: 'b' | 'c', access: string, major: number, minor: number): number {
  const ctx = [(([...access].reduce((m, c) => m | ({ m: 1, r: 2, w: 4 } as Record<string, number>)[c], 0)) << 16) | (type === 'b' ? 1 : 2), major, minor];
  const r = new Array<number>(11).fill(0);
  r[1] = -1; // the context pointer
  for (let pc = 0; pc < p.length; pc++) {
    const { code, dst, src, off, imm } = p[pc];
    if (code === EBPF.LDX_MEM_W) r[dst] = ctx[off / 4];
    else if (code === EBPF.ALU64_AND_K) r[dst] &= imm;
    else if (code === EBPF.ALU64_RSH_K) r[dst] >>>= imm;
    else if (code === EBPF.MOV64_K) r[dst] = imm;
    else if (code === EBPF.MOV64_X) r[dst] = r[src];
    else if (code === EBPF.JNE_K) pc += r[dst] !== imm ? off : 0;
    else if (code === EBPF.EXIT) return r[0];
    else throw new Error(`unknown opcode ${code}`);
  }
  throw new Error('fell off the end');
}

const DOCKER = [
  { allow: false, access: 'rwm' },
  { allow: true, type: 'c', major: null, minor: null, access: 'm' },
  { allow: true, type: 'b', major: null, minor: null, access: 'm' },
  { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' },
  { allow: true, type: 'c', major: 136, minor: null, access: 'rwm' },
];

describe('the v2 device program', () => {
  const p = deviceProgram(DOCKER);

  it('lets anyone make any node, but opens only the allowed ones', () => {
    expect(run(p, 'b', 'm', 254, 0)).toBe(1);
    expect(run(p, 'b', 'r', 254, 0)).toBe(0);
    expect(run(p, 'c', 'rw', 1, 3)).toBe(1);
    expect(run(p, 'c', 'rw', 1, 4)).toBe(0);
    expect(run(p, 'c', 'w', 136, 7)).toBe(1);
  });

  it('lets a later rule override an earlier one, as v1 does', () => {
    const q = deviceProgram([...DOCKER, { allow: false, type: 'c', major: 1, minor: 3, access: 'w' }]);
    expect(run(q, 'c', 'w', 1, 3)).toBe(0);
    expect(run(q, 'c', 'r', 1, 3)).toBe(1);
  });

  it('ends at a rule that matches every device (the verifier refuses unreachable instructions)', () => {
    const q = deviceProgram(DOCKER);
    expect(q.at(-1)!.code).toBe(EBPF.EXIT);
    expect(q.at(-2)).toEqual({ code: EBPF.MOV64_K, dst: 0, src: 0, off: 0, imm: 0 });
    expect(q.filter((x) => x.code === EBPF.EXIT)).toHaveLength(DOCKER.length); // one per rule, no extra default
  });

  it('encodes registers in one byte, dst low and src high', () => {
    const bytes = encodeEbpf([{ code: EBPF.MOV64_X, dst: 1, src: 3, off: 0, imm: 0 }, { code: EBPF.EXIT, dst: 0, src: 0, off: 0, imm: 0 }]);
    expect(bytes.toString('hex')).toBe('bf31000000000000' + '9500000000000000');
  });
});
