// lib/container/exec.ts: the process an exec runs, taken from the bundle's config.json with -e, -w
// and -t applied, and the refusal for a container that is not running; on plain objects.

import { describe, expect, it } from 'vitest';
import { execProcessSpec, requireRunning } from './exec.js';
import type { Process } from '../runtime/spec.js';
import type { Container } from './state.js';

const base: Process = { user: { uid: 0, gid: 0 }, args: ['sleep', '600'], env: ['PATH=/bin', 'A=image'], cwd: '/srv', noNewPrivileges: true };

describe('execProcessSpec', () => {
  it('takes the container’s process settings and replaces the command', () => {
    const p = execProcessSpec(base, { cmd: ['ls', '-l'], env: [] });
    expect(p).toMatchObject({ args: ['ls', '-l'], cwd: '/srv', noNewPrivileges: true, env: ['PATH=/bin', 'A=image'] });
  });

  it('lets -e override a variable instead of adding a second one (getenv reads the first)', () => {
    const p = execProcessSpec(base, { cmd: ['env'], env: ['A=mine'] });
    expect(p.env.filter((e) => e.startsWith('A='))).toEqual(['A=mine']);
  });

  it('uses -w, and refuses a relative one with docker’s words', () => {
    expect(execProcessSpec(base, { cmd: ['pwd'], env: [], workdir: '/tmp' }).cwd).toBe('/tmp');
    expect(() => execProcessSpec(base, { cmd: ['pwd'], env: [], workdir: 'tmp' })).toThrow(/needs to be an absolute path/);
  });
});

describe('execProcessSpec with -t', () => {
  it('asks for a terminal and sets TERM=xterm unless the image or -e set one', () => {
    const p = execProcessSpec(base, { cmd: ['sh'], env: [], tty: true });
    expect(p.terminal).toBe(true);
    expect(p.env).toContain('TERM=xterm');
    expect(execProcessSpec(base, { cmd: ['sh'], env: ['TERM=vt100'], tty: true }).env.filter((e) => e.startsWith('TERM='))).toEqual(['TERM=vt100']);
    expect(execProcessSpec(base, { cmd: ['sh'], env: [] }).terminal).toBe(false);
  });
});

describe('requireRunning', () => {
  it('refuses a stopped container with docker’s message and exit status 1', () => {
    const c = { ID: 'abc', State: { Running: false, Paused: false, Pid: 0 }, Minidock: {} } as unknown as Container;
    try {
      requireRunning(c);
      expect.unreachable();
    } catch (e) {
      expect((e as Error).message).toBe('container abc is not running');
      expect((e as { exitCode: number }).exitCode).toBe(1);
    }
  });
});
