// exec's pure parts: the order of the setns calls (with the RecordingSys fake) and runc's
// --process file.

import { describe, expect, it } from 'vitest';
import { EngineError } from '../errors.js';
import { CLONE, TIOC } from '../sys/constants.js';
import { RecordingSys } from '../sys/fake.js';
import { JOIN_ORDER, joinNamespaces, parseProcess } from './exec.js';
import { setWindowSize } from './terminal.js';
import type { NsKind } from './namespaces.js';

describe('joinNamespaces', () => {
  const fds = new Map<NsKind, number>([['mnt', 10], ['uts', 11], ['ipc', 12], ['net', 13], ['cgroup', 14]]);

  it('joins the mount namespace last, right after unshare(CLONE_FS)', () => {
    const sys = new RecordingSys();
    joinNamespaces(sys, fds);
    expect(sys.ops()).toEqual(['setns', 'setns', 'setns', 'setns', 'unshare', 'setns']);
    expect(sys.calls[4].args).toEqual([CLONE.FS]);
    expect(sys.calls[5].args).toEqual([10, CLONE.NEWNS]);
  });

  it('joins ipc, uts, net and cgroup by their own fds and flags', () => {
    const sys = new RecordingSys();
    joinNamespaces(sys, fds);
    expect(sys.calls.slice(0, 4).map((c) => c.args)).toEqual([[12, CLONE.NEWIPC], [11, CLONE.NEWUTS], [13, CLONE.NEWNET], [14, CLONE.NEWCGROUP]]);
  });

  it('never joins the PID namespace itself: the parent chose it before the spawn', () => {
    const sys = new RecordingSys();
    joinNamespaces(sys, new Map<NsKind, number>([...fds, ['pid', 15]]));
    expect(JOIN_ORDER).not.toContain('pid');
    expect(sys.calls.some((c) => c.args[1] === CLONE.NEWPID)).toBe(false);
  });

  it('stops at the first setns that fails, before touching the mount namespace', () => {
    const sys = new RecordingSys();
    sys.failures = { setns: 'EPERM' };
    expect(() => joinNamespaces(sys, fds)).toThrow(/EPERM/);
    expect(sys.ops()).toEqual(['setns']);
  });
});

describe('parseProcess', () => {
  it('reads containerd’s process object, with defaults for env, cwd and user', () => {
    const p = parseProcess(JSON.stringify({ args: ['sh', '-c', 'echo hi'], terminal: false }));
    expect(p).toMatchObject({ args: ['sh', '-c', 'echo hi'], env: [], cwd: '/', user: { uid: 0, gid: 0 } });
  });

  it('keeps env, cwd, capabilities and rlimits as given', () => {
    const p = parseProcess(JSON.stringify({ args: ['id'], env: ['A=1'], cwd: '/tmp', capabilities: { bounding: ['CAP_KILL'] }, rlimits: [{ type: 'RLIMIT_NOFILE', soft: 10, hard: 20 }] }));
    expect(p.env).toEqual(['A=1']);
    expect(p.cwd).toBe('/tmp');
    expect(p.capabilities?.bounding).toEqual(['CAP_KILL']);
    expect(p.rlimits?.[0].hard).toBe(20);
  });

  it.each([
    ['not JSON', '{', /not valid JSON/],
    ['no args', '{"args": []}', /args/],
    ['a relative cwd', '{"args": ["ls"], "cwd": "tmp"}', /cwd/],
    ['an unknown rlimit', '{"args": ["ls"], "rlimits": [{"type": "RLIMIT_BOGUS", "soft": 1, "hard": 1}]}', /RLIMIT_BOGUS/],
  ])('refuses %s', (_, text, why) => {
    expect(() => parseProcess(text)).toThrow(EngineError);
    expect(() => parseProcess(text)).toThrow(why);
  });
});

describe('setWindowSize', () => {
  it('passes struct winsize {rows, cols, 0, 0} as little-endian shorts to TIOCSWINSZ', () => {
    const sys = new RecordingSys();
    setWindowSize(sys, 7, { rows: 31, columns: 97 });
    expect(sys.calls).toEqual([{ op: 'ioctlBuffer', args: [7, TIOC.SWINSZ, '1f00610000000000'] }]);
  });
});
