// The namespace kinds of the runtime: their /proc/<pid>/ns names, config.json's names for them,
// and their CLONE_* flags.

import { describe, expect, it } from 'vitest';
import { cloneFlags, flagOf, kindOf, NAMESPACES } from './namespaces.js';
import type { NamespaceType } from './spec.js';
import { CLONE } from '../sys/constants.js';

describe('NAMESPACES', () => {
  it('lists the six kinds a container gets, named as in /proc/<pid>/ns', () => {
    expect(NAMESPACES.map((n) => n.kind)).toEqual(['mnt', 'uts', 'ipc', 'pid', 'net', 'cgroup']);
  });

  it('has no user namespace: a Node engine cannot create one (see the stage 1 notes)', () => {
    expect(NAMESPACES.map((n) => n.flag as number)).not.toContain(CLONE.NEWUSER);
  });
});

describe('cloneFlags and flagOf', () => {
  it('ORs the CLONE_* flags of the kinds, in any order', () => {
    expect(cloneFlags(['mnt', 'uts', 'ipc', 'net'])).toBe(CLONE.NEWNS | CLONE.NEWUTS | CLONE.NEWIPC | CLONE.NEWNET);
    expect(cloneFlags(['net', 'mnt'])).toBe(cloneFlags(['mnt', 'net']));
    expect(cloneFlags([])).toBe(0);
  });

  it('maps each kind to its flag: mnt is CLONE_NEWNS, the first namespace and the oddly named one', () => {
    expect(flagOf('mnt')).toBe(0x00020000);
    expect(flagOf('cgroup')).toBe(CLONE.NEWCGROUP);
    expect(flagOf('pid')).toBe(CLONE.NEWPID);
  });
});

describe('kindOf', () => {
  it('maps config.json’s namespace types to their /proc/<pid>/ns names', () => {
    const types: NamespaceType[] = ['mount', 'uts', 'ipc', 'pid', 'network', 'cgroup'];
    expect(types.map(kindOf)).toEqual(['mnt', 'uts', 'ipc', 'pid', 'net', 'cgroup']);
  });

  it('knows no kind for the user and time namespaces, which the runtime cannot make', () => {
    expect(() => kindOf('user')).toThrow('no namespace kind for user');
    expect(() => kindOf('time')).toThrow('no namespace kind for time');
  });

  it('finds, for every config.json type, the kind whose flag is that same entry’s flag', () => {
    for (const n of NAMESPACES) expect(flagOf(kindOf(n.type))).toBe(n.flag);
  });
});
