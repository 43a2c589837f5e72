// Capabilities: names → capset(2)'s bit masks, and the order in which init applies the five sets,
// read back from the RecordingSys fake.

import { describe, expect, it } from 'vitest';
import { EngineError } from '../errors.js';
import { PR } from '../sys/constants.js';
import { RecordingSys } from '../sys/fake.js';
import { applyCapabilities, CAPABILITIES, capabilityMask, DOCKER_DEFAULT_CAPABILITIES, tweakCapabilities } from './capabilities.js';

/** The kernel's last capability in these tests: CAP_CHECKPOINT_RESTORE (Linux 5.9). */
const LAST = 40;

describe('CAPABILITIES', () => {
  it('numbers the capabilities as <linux/capability.h> does', () => {
    expect(CAPABILITIES.indexOf('CAP_CHOWN')).toBe(0);
    expect(CAPABILITIES.indexOf('CAP_KILL')).toBe(5);
    expect(CAPABILITIES.indexOf('CAP_SETPCAP')).toBe(8);
    expect(CAPABILITIES.indexOf('CAP_NET_ADMIN')).toBe(12);
    expect(CAPABILITIES.indexOf('CAP_SYS_ADMIN')).toBe(21);
    expect(CAPABILITIES.indexOf('CAP_MKNOD')).toBe(27);
    expect(CAPABILITIES.indexOf('CAP_AUDIT_READ')).toBe(37);
    expect(CAPABILITIES.indexOf('CAP_CHECKPOINT_RESTORE')).toBe(LAST);
    expect(CAPABILITIES).toHaveLength(LAST + 1);
  });
});

describe('capabilityMask', () => {
  it('sets bit n for capability number n', () => {
    expect(capabilityMask([])).toBe(0n);
    expect(capabilityMask(['CAP_CHOWN'])).toBe(1n);
    expect(capabilityMask(['CAP_NET_ADMIN'])).toBe(1n << 12n);
    expect(capabilityMask(['CAP_SYS_ADMIN', 'CAP_CHOWN', 'CAP_KILL'])).toBe((1n << 21n) | (1n << 5n) | 1n);
    expect(capabilityMask(['CAP_CHECKPOINT_RESTORE'])).toBe(1n << 40n);
  });

  it('counts a name given twice once', () => {
    expect(capabilityMask(['CAP_KILL', 'CAP_KILL'])).toBe(1n << 5n);
  });

  it('skips, like runc, a capability newer than the kernel’s last one', () => {
    expect(capabilityMask(['CAP_CHOWN', 'CAP_BPF', 'CAP_PERFMON'], 37)).toBe(1n);
    expect(capabilityMask(['CAP_AUDIT_READ'], 37)).toBe(1n << 37n);
  });

  it('refuses a name it does not know, naming it', () => {
    expect(() => capabilityMask(['CAP_CHOWN', 'CAP_FLY'])).toThrow(new EngineError('process.capabilities: unknown capability "CAP_FLY"'));
    expect(() => capabilityMask(['chown'])).toThrow(EngineError); // the spec's names have the CAP_ prefix
  });
});

describe('applyCapabilities', () => {
  const docker = ['CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_SETGID', 'CAP_SETUID', 'CAP_SETPCAP',
    'CAP_NET_BIND_SERVICE', 'CAP_NET_RAW', 'CAP_SYS_CHROOT', 'CAP_MKNOD', 'CAP_AUDIT_WRITE', 'CAP_SETFCAP'];

  it('drops from the bounding set first, every capability not kept up to the last, then one capset, then the ambient set', () => {
    const sys = new RecordingSys();
    applyCapabilities(sys, { bounding: ['CAP_CHOWN', 'CAP_KILL'], effective: ['CAP_KILL'], permitted: ['CAP_CHOWN', 'CAP_KILL'], inheritable: [], ambient: [] }, LAST);
    const dropped = Array.from({ length: LAST + 1 }, (_, n) => n).filter((n) => n !== 0 && n !== 5);
    expect(sys.calls).toEqual([
      ...dropped.map((n) => ({ op: 'prctl', args: [PR.CAPBSET_DROP, n] })),
      { op: 'capset', args: [1n << 5n, 1n | (1n << 5n), 0n] },
      { op: 'prctl', args: [PR.CAP_AMBIENT, PR.CAP_AMBIENT_CLEAR_ALL, 0] },
    ]);
  });

  it('drops only up to the kernel’s last capability', () => {
    const sys = new RecordingSys();
    applyCapabilities(sys, { bounding: [] }, 37);
    const drops = sys.calls.filter((c) => c.args[0] === PR.CAPBSET_DROP).map((c) => c.args[1]);
    expect(drops).toEqual(Array.from({ length: 38 }, (_, n) => n));
  });

  it('keeps docker’s default set in the bounding set and passes it to capset as effective and permitted', () => {
    const sys = new RecordingSys();
    applyCapabilities(sys, { bounding: docker, effective: docker, permitted: docker }, LAST);
    const mask = capabilityMask(docker);
    const drops = sys.calls.filter((c) => c.args[0] === PR.CAPBSET_DROP).map((c) => c.args[1] as number);
    expect(drops).toHaveLength(LAST + 1 - docker.length);
    expect(drops).not.toContain(CAPABILITIES.indexOf('CAP_NET_RAW'));
    expect(drops).toContain(CAPABILITIES.indexOf('CAP_SYS_ADMIN'));
    expect(sys.calls.find((c) => c.op === 'capset')!.args).toEqual([mask, mask, 0n]);
  });

  it('leaves the bounding set alone when config.json gives none', () => {
    const sys = new RecordingSys();
    applyCapabilities(sys, { effective: ['CAP_KILL'], permitted: ['CAP_KILL'] }, LAST);
    expect(sys.ops()).toEqual(['capset', 'prctl']);
    expect(sys.calls[0].args).toEqual([1n << 5n, 1n << 5n, 0n]);
  });

  it('clears the ambient set, then raises each ambient capability in number order, after capset', () => {
    const sys = new RecordingSys();
    const caps = ['CAP_NET_BIND_SERVICE', 'CAP_KILL'];
    applyCapabilities(sys, { effective: caps, permitted: caps, inheritable: caps, ambient: caps }, LAST);
    expect(sys.calls).toEqual([
      { op: 'capset', args: [(1n << 10n) | (1n << 5n), (1n << 10n) | (1n << 5n), (1n << 10n) | (1n << 5n)] },
      { op: 'prctl', args: [PR.CAP_AMBIENT, PR.CAP_AMBIENT_CLEAR_ALL, 0] },
      { op: 'prctl', args: [PR.CAP_AMBIENT, PR.CAP_AMBIENT_RAISE, 5] },
      { op: 'prctl', args: [PR.CAP_AMBIENT, PR.CAP_AMBIENT_RAISE, 10] },
    ]);
  });

  it('skips an ambient capability that is not also inheritable (runc spec lists ambient without inheritable; the kernel would say EPERM)', () => {
    const sys = new RecordingSys();
    const caps = ['CAP_NET_BIND_SERVICE', 'CAP_KILL'];
    applyCapabilities(sys, { effective: caps, permitted: caps, inheritable: ['CAP_KILL'], ambient: caps }, LAST);
    expect(sys.calls.filter((c) => c.op === 'prctl').map((c) => c.args)).toEqual([
      [PR.CAP_AMBIENT, PR.CAP_AMBIENT_CLEAR_ALL, 0],
      [PR.CAP_AMBIENT, PR.CAP_AMBIENT_RAISE, 5], // CAP_KILL only; CAP_NET_BIND_SERVICE (10) is not inheritable
    ]);
  });

  it('refuses an unknown name in the bounding set before any system call', () => {
    const sys = new RecordingSys();
    expect(() => applyCapabilities(sys, { bounding: ['CAP_CHOWN', 'CAP_NOPE'] }, LAST)).toThrow('process.capabilities: unknown capability "CAP_NOPE"');
    expect(sys.calls).toEqual([]);
  });

  it('refuses an unknown name in the effective set instead of calling capset', () => {
    const sys = new RecordingSys();
    expect(() => applyCapabilities(sys, { effective: ['CAP_NOPE'] }, LAST)).toThrow(EngineError);
    expect(sys.ops()).not.toContain('capset');
  });

  it('stops at a failing capset and raises no ambient capability', () => {
    const sys = new RecordingSys();
    sys.failures = { capset: 'EPERM' };
    expect(() => applyCapabilities(sys, { effective: ['CAP_KILL'], ambient: ['CAP_KILL'] }, LAST)).toThrow(/^capset\(.*\): EPERM$/);
    expect(sys.ops()).toEqual(['capset']);
  });
});

describe("docker's default capabilities and --cap-add/--cap-drop", () => {
  it('are the 14 of docker, whose mask is the CapEff a docker container shows (0xa80425fb)', () => {
    expect(DOCKER_DEFAULT_CAPABILITIES).toHaveLength(14);
    expect(capabilityMask(DOCKER_DEFAULT_CAPABILITIES).toString(16)).toBe('a80425fb');
  });

  it('drop first, then add: ALL empties, names are accepted without CAP_ and in lower case', () => {
    expect(tweakCapabilities(DOCKER_DEFAULT_CAPABILITIES, [], ['ALL'])).toEqual([]);
    expect(tweakCapabilities(DOCKER_DEFAULT_CAPABILITIES, ['chown'], ['ALL'])).toEqual(['CAP_CHOWN']);
    const added = tweakCapabilities(DOCKER_DEFAULT_CAPABILITIES, ['SYS_TIME'], ['NET_RAW']);
    expect(added).toContain('CAP_SYS_TIME');
    expect(added).not.toContain('CAP_NET_RAW');
    expect(() => tweakCapabilities([], ['SYS_WIZARD'], [])).toThrow('invalid capability: SYS_WIZARD');
  });
});
