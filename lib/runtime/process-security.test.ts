// lib/runtime/process-security.ts: the order of init's security steps (no_new_privs, seccomp,
// capabilities, user) and the signals reset before execve, read from a RecordingSys's calls.

import { describe, expect, it } from 'vitest';
import { PR } from '../sys/constants.js';
import { RecordingSys } from '../sys/fake.js';
import { applyProcessSecurity, defaultIgnoredSignals, seccompLast } from './process-security.js';
import type { Process } from './spec.js';

const caps = { bounding: ['CAP_KILL'], effective: ['CAP_KILL'], permitted: ['CAP_KILL'] };
const proc = (over: Partial<Process>): Process => ({ user: { uid: 0, gid: 0 }, args: ['sh'], env: [], cwd: '/', capabilities: caps, ...over });
const filter = Buffer.alloc(16);
const LAST = 40;

describe('the order of the security steps', () => {
  it('without no_new_privs installs the filter before the capabilities go (it needs CAP_SYS_ADMIN)', () => {
    const sys = new RecordingSys();
    const pending = applyProcessSecurity(sys, proc({ rlimits: [{ type: 'RLIMIT_NOFILE', soft: 10, hard: 20 }] }), filter, LAST);
    const ops = sys.ops();
    expect(pending).toBe(false);
    expect(ops[0]).toBe('setrlimit');
    expect(ops.indexOf('seccompFilter')).toBeLessThan(ops.indexOf('prctl'));
    expect(ops.indexOf('seccompFilter')).toBeLessThan(ops.indexOf('capset'));
  });

  it('with no_new_privs sets it first and leaves the filter for the last step before execve', () => {
    const sys = new RecordingSys();
    const pending = applyProcessSecurity(sys, proc({ noNewPrivileges: true }), filter, LAST);
    expect(sys.calls[0]).toEqual({ op: 'prctl', args: [PR.SET_NO_NEW_PRIVS, 1] });
    expect(sys.ops()).not.toContain('seccompFilter');
    expect(pending).toBe(true);
    seccompLast(sys, filter, pending);
    expect(sys.ops().at(-1)).toBe('seccompFilter');
  });

  it('switches the user after PR_SET_KEEPCAPS and the bounding set, before capset', () => {
    const sys = new RecordingSys();
    applyProcessSecurity(sys, proc({ user: { uid: 1000, gid: 1000 } }), null, LAST);
    const ops = sys.ops();
    expect(sys.calls[0]).toEqual({ op: 'prctl', args: [PR.SET_KEEPCAPS, 1] });
    expect(ops.lastIndexOf('prctl', ops.indexOf('setgroups'))).toBeGreaterThan(0); // bounding drops came first
    expect(ops.indexOf('setuid')).toBeLessThan(ops.indexOf('capset'));
    expect(ops.slice(ops.indexOf('setgroups'), ops.indexOf('setuid') + 1)).toEqual(['setgroups', 'setgid', 'setuid']);
  });

  it('changes nothing when config.json says nothing (below stage 8)', () => {
    const sys = new RecordingSys();
    applyProcessSecurity(sys, proc({ capabilities: undefined }), null, LAST);
    expect(sys.calls).toEqual([]);
  });
});

describe('signals ignored by Node go back to default before execve', () => {
  it('resets every signal the process ignores, and nothing else', () => {
    const sys = new RecordingSys();
    sys.ignored = [13, 25];
    defaultIgnoredSignals(sys);
    expect(sys.calls).toEqual([{ op: 'ignoredSignals', args: [] }, { op: 'resetSignal', args: [13] }, { op: 'resetSignal', args: [25] }]);
  });

  it('leaves glibc’s own signals 32 and 33 alone (signal() refuses them: a parent such as hyperfine ignores 32)', () => {
    const sys = new RecordingSys();
    sys.ignored = [13, 32, 33, 34];
    defaultIgnoredSignals(sys);
    expect(sys.calls.filter((c) => c.op === 'resetSignal').map((c) => c.args[0])).toEqual([13, 34]);
  });
});
