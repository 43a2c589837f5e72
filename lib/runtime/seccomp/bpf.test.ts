// lib/runtime/seccomp/bpf.ts: the classic BPF assembler, disassembler and interpreter, on small
// filters checked byte for byte and run as the kernel would.

import { describe, expect, it } from 'vitest';
import { Assembler, disassemble, encode, interpret, RET, SECCOMP_DATA } from './bpf.js';

describe('the BPF assembler', () => {
  it('turns labels into forward offsets counted from the next instruction', () => {
    const p = new Assembler().load(0).jeq(7, 'yes', 'next').jeq(8, 'next', 'no').label('yes').ret(RET.ALLOW).label('no').ret(RET.ERRNO | 1).assemble();
    expect(p[1]).toEqual({ code: 0x15, jt: 1, jf: 0, k: 7 });
    expect(p[2]).toEqual({ code: 0x15, jt: 0, jf: 1, k: 8 });
  });

  it('assembles a known small filter byte for byte (allow getpid only, as the kernel sample does)', () => {
    const p = new Assembler().load(SECCOMP_DATA.nr).jeq(39, 'next', 'deny').ret(RET.ALLOW).label('deny').ret(RET.KILL_PROCESS).assemble();
    expect(encode(p).toString('hex')).toBe(
      '2000000000000000' + // ld [0]
      '1500000127000000' + // jeq #39, 0, 1
      '060000000000ff7f' + // ret ALLOW
      '0600000000000080', //  ret KILL_PROCESS
    );
  });

  it('refuses a label that is never defined and a jump longer than 255 instructions', () => {
    expect(() => new Assembler().jeq(1, 'nowhere', 'next').assemble()).toThrow('undefined label nowhere');
    const a = new Assembler().load(0).jeq(1, 'far', 'next');
    for (let i = 0; i < 300; i++) a.ret(0);
    a.label('far').ret(RET.ALLOW);
    expect(() => a.assemble()).toThrow(/more than 255/);
  });

  it('disassembles a filter into readable lines and names the syscall numbers compared with nr', () => {
    const p = new Assembler().load(SECCOMP_DATA.nr).jeq(39, 'next', 'deny').ret(RET.ALLOW).label('deny').ret(RET.ERRNO | 1).assemble();
    expect(disassemble(p, (k) => (k === 39 ? 'getpid' : ''))).toEqual([
      '0000: A = nr',
      '0001: if (A == 0x27 /* getpid */) goto 0002 else goto 0003',
      '0002: return ALLOW',
      '0003: return ERRNO(1)',
    ]);
  });

  it('interprets a filter as the kernel would: loads, masks and jumps', () => {
    const p = new Assembler().load(SECCOMP_DATA.arg(0, 'lo')).and(0xff).jeq(0x34, 'next', 'no').ret(RET.ALLOW).label('no').ret(RET.KILL_PROCESS).assemble();
    expect(interpret(p, { nr: 0, arch: 0, args: [0x1234n] })).toBe(RET.ALLOW);
    expect(interpret(p, { nr: 0, arch: 0, args: [0x1235n] })).toBe(RET.KILL_PROCESS);
  });
});
