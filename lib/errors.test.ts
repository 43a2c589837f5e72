// The one error idiom: what the CLI prints for whatever was thrown — one line, and a Node system
// error in the same form as a SyscallError.

import { mkdirSync, mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { EngineError, oneLine, SyscallError, UsageError } from './errors.js';

function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  throw new Error('nothing was thrown');
}

describe('oneLine', () => {
  it('writes a Node fs error as call(path): ERRNO, not in Node’s words', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'errors-'));
    writeFileSync(path.join(dir, 'file'), '');
    expect(oneLine(thrown(() => mkdirSync(path.join(dir, 'file'))))).toBe(`mkdir(${dir}/file): EEXIST`);
    expect(oneLine(thrown(() => renameSync(path.join(dir, 'none'), path.join(dir, 'x'))))).toBe(`rename(${dir}/none, ${dir}/x): ENOENT`);
  });

  it('keeps the engine’s own messages, and joins several lines into one', () => {
    expect(oneLine(new EngineError('no such image: x:latest'))).toBe('no such image: x:latest');
    expect(oneLine(new SyscallError('mount', ['overlay', '/m'], 22, 'EINVAL'))).toBe('mount(overlay, /m): EINVAL');
    expect(oneLine(new Error('first\n  second\n'))).toBe('first; second');
    expect(oneLine('a string')).toBe('a string');
  });
});

describe('UsageError', () => {
  it('is an engine error with exit code 125', () => {
    const e = new UsageError('unknown flag: --bogus');
    expect(e).toBeInstanceOf(EngineError);
    expect(e.exitCode).toBe(125);
  });
});
