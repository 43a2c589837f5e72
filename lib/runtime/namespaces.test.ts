// planNamespaces: docker's --network/--pid/--ipc/--uts/--cgroupns strings → which namespaces a
// container creates, keeps from the host, or joins from another container; and the CLONE_* flags.

import { describe, expect, it } from 'vitest';
import { EngineError } from '../errors.js';
import { cloneFlags, flagOf, NAMESPACES, planNamespaces, type NamespaceModes } from './namespaces.js';
import { CLONE } from '../sys/constants.js';

/** docker's defaults, as `minidock run` writes them to hostconfig.json */
const defaults: NamespaceModes = { NetworkMode: 'bridge', PidMode: '', IpcMode: 'private', UTSMode: '', CgroupnsMode: 'private' };
const plan = (modes: Partial<NamespaceModes>) => planNamespaces({ ...defaults, ...modes });

function refusal(modes: Partial<NamespaceModes>): string {
  try {
    plan(modes);
  } catch (e) {
    expect(e).toBeInstanceOf(EngineError);
    expect((e as EngineError).exitCode).toBe(125);
    return (e as Error).message;
  }
  throw new Error(`${JSON.stringify(modes)} was accepted`);
}

describe('NAMESPACES', () => {
  it('lists the six kinds a container gets, named as in /proc/<pid>/ns', () => {
    expect(NAMESPACES.map((n) => n.kind)).toEqual(['mnt', 'uts', 'ipc', 'pid', 'net', 'cgroup']);
  });

  it('has no user namespace: a Node engine cannot create one (see the stage 1 notes)', () => {
    expect(NAMESPACES.map((n) => n.flag as number)).not.toContain(CLONE.NEWUSER);
  });
});

describe('planNamespaces', () => {
  it('creates all six namespaces with docker’s defaults', () => {
    expect(plan({})).toEqual({ create: ['mnt', 'uts', 'ipc', 'pid', 'net', 'cgroup'], host: [], join: {} });
  });

  it('always creates a mount namespace: there is no --mount host', () => {
    const p = plan({ NetworkMode: 'host', PidMode: 'host', IpcMode: 'host', UTSMode: 'host', CgroupnsMode: 'host' });
    expect(p.create).toEqual(['mnt']);
    expect(p.host).toEqual(['uts', 'ipc', 'pid', 'net', 'cgroup']);
  });

  it.each([
    ['NetworkMode', 'net'],
    ['PidMode', 'pid'],
    ['IpcMode', 'ipc'],
    ['UTSMode', 'uts'],
    ['CgroupnsMode', 'cgroup'],
  ] as const)('keeps the host’s namespace for %s=host and creates the other five', (mode, kind) => {
    const p = plan({ [mode]: 'host' });
    expect(p.host).toEqual([kind]);
    expect(p.create).not.toContain(kind);
    expect(p.create).toHaveLength(5);
  });

  it.each([
    ['NetworkMode', 'net'],
    ['PidMode', 'pid'],
    ['IpcMode', 'ipc'],
  ] as const)('joins another container’s namespace for %s=container:web', (mode, kind) => {
    const p = plan({ [mode]: 'container:web' });
    expect(p.join).toEqual({ [kind]: 'web' });
    expect(p.create).not.toContain(kind);
    expect(p.host).toEqual([]);
  });

  it('gives --network none and any network name a network namespace of the container’s own', () => {
    for (const net of ['none', 'bridge', 'mynet', 'default']) expect(plan({ NetworkMode: net }).create).toContain('net');
  });

  it('accepts docker’s private spellings of --ipc: "", private, shareable', () => {
    for (const ipc of ['', 'private', 'shareable']) expect(plan({ IpcMode: ipc }).create).toContain('ipc');
  });

  it('accepts --cgroupns private and an empty mode', () => {
    for (const c of ['private', '']) expect(plan({ CgroupnsMode: c }).create).toContain('cgroup');
  });

  it('refuses an unknown mode, naming the flag', () => {
    expect(refusal({ PidMode: 'bogus' })).toBe('invalid --pid mode: bogus');
    expect(refusal({ IpcMode: 'none' })).toBe('invalid --ipc mode: none');
    expect(refusal({ UTSMode: 'private' })).toBe('invalid --uts mode: private');
    expect(refusal({ CgroupnsMode: 'shared' })).toBe('invalid --cgroupns mode: shared');
  });

  it('refuses container: for the kinds docker cannot share that way (--uts, --cgroupns)', () => {
    expect(refusal({ UTSMode: 'container:web' })).toBe('invalid --uts mode: container:web');
    expect(refusal({ CgroupnsMode: 'container:web' })).toBe('invalid --cgroupns mode: container:web');
  });

  it('refuses container: without a name', () => {
    expect(refusal({ NetworkMode: 'container:' })).toBe('invalid --network mode: container:: container name or id is empty');
    expect(refusal({ PidMode: 'container:' })).toBe('invalid --pid mode: container:: container name or id is empty');
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
