// lib/sys/ffi.ts: ffi-rs's binding loaded without the C-library probe, and the calls it makes
// behave as through ffi-rs's own entry point (arrays passed with their length). Harmless libc
// calls only: strlen, malloc, memcpy, free.

import { describe, expect, it, vi } from 'vitest';

describe('ffi', () => {
  it('loads the glibc build without asking process.report for a diagnostic report', async () => {
    const report = vi.spyOn(process.report, 'getReport');
    vi.resetModules();
    await import('./ffi.js');
    expect(report).not.toHaveBeenCalled();
    report.mockRestore();
  });

  it('calls libc: a string argument, and a byte array copied into C memory and read back', async () => {
    const { open, load, DataType, createExternalBuffer } = await import('./ffi.js');
    open({ library: 'libc', path: '' });
    expect(load({ library: 'libc', funcName: 'strlen', retType: DataType.I64, paramsType: [DataType.String], paramsValue: ['minidock'] })).toBe(8);

    const bytes = Buffer.from('pivot_root\0');
    const mem = load({ library: 'libc', funcName: 'malloc', retType: DataType.External, paramsType: [DataType.U64], paramsValue: [bytes.length] });
    load({ library: 'libc', funcName: 'memcpy', retType: DataType.External, paramsType: [DataType.External, DataType.U8Array, DataType.U64], paramsValue: [mem, bytes, bytes.length] });
    expect(Buffer.from(createExternalBuffer(mem, bytes.length)).toString()).toBe('pivot_root\0');
    load({ library: 'libc', funcName: 'free', retType: DataType.Void, paramsType: [DataType.External], paramsValue: [mem] });
  });
});
