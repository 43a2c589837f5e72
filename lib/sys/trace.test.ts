// The trace switch: MINIDOCK_TRACE=1 prints every call; MINIDOCK_TRACE=phases only the phases.

import { afterEach, describe, expect, it, vi } from 'vitest';

const saved = process.env.MINIDOCK_TRACE;
afterEach(() => {
  process.env.MINIDOCK_TRACE = saved;
  vi.restoreAllMocks();
  vi.resetModules();
});

/** What one module instance of trace.ts writes to fd 2 while `fn` runs. */
async function stderrOf(value: string | undefined, fn: (t: typeof import('./trace.js')) => void): Promise<string[]> {
  if (value === undefined) delete process.env.MINIDOCK_TRACE;
  else process.env.MINIDOCK_TRACE = value;
  const lines: string[] = [];
  vi.doMock('node:fs', async (orig) => ({ ...(await orig<typeof import('node:fs')>()), writeSync: (fd: number, s: string) => (fd === 2 ? lines.push(String(s)) : 0) }));
  const t = await import('./trace.js');
  fn(t);
  vi.doUnmock('node:fs');
  return lines.map((l) => l.replace(/\x1b\[[0-9;]*m/g, ''));
}

describe('trace and phase', () => {
  it('prints calls and phases with MINIDOCK_TRACE=1', async () => {
    const out = await stderrOf('1', (t) => {
      t.trace('mount(...)');
      t.phase('rootfs');
    });
    expect(out).toHaveLength(2);
    expect(out[0]).toMatch(/\[cli\] mount\(\.\.\.\)/);
    expect(out[1]).toMatch(/^\[cli\] phase +\d+\.\d ms  rootfs\n$/);
  });

  it('prints only the phases with MINIDOCK_TRACE=phases, each timed from the previous one', async () => {
    const out = await stderrOf('phases', (t) => {
      t.trace('mount(...)');
      t.phase('one');
      t.phase('two');
    });
    expect(out.map((l) => l.replace(/ +\d+\.\d ms/, ' N ms'))).toEqual(['[cli] phase N ms  one\n', '[cli] phase N ms  two\n']);
    expect(Number(/(\d+\.\d) ms  two/.exec(out[1])![1])).toBeLessThan(Number(/(\d+\.\d) ms  one/.exec(out[0])![1]) + 50);
  });

  it('prints nothing when MINIDOCK_TRACE is unset or 0', async () => {
    for (const v of [undefined, '0', '']) {
      expect(await stderrOf(v, (t) => {
        t.trace('x');
        t.phase('y');
      })).toEqual([]);
    }
  });
});
