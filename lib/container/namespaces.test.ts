// planNamespaces: docker's --network/--pid/--ipc/--uts/--cgroupns strings → which namespaces a
// container creates, keeps from the host, or joins from another container.

import { describe, expect, it } from 'vitest';
import { EngineError } from '../errors.js';
import { planNamespaces, type NamespaceModes } from './namespaces.js';

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
