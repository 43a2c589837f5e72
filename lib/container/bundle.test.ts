// The environment init hands to execve (docker's defaults added) and the limits of
// hostconfig.json that are actually set.

import { describe, expect, it } from 'vitest';
import { containerEnv, DEFAULT_PATH, resourcesOf } from './bundle.js';
import type { HostConfig } from './state.js';

describe('containerEnv', () => {
  it('adds docker’s default PATH first, then HOSTNAME and HOME=/root', () => {
    expect(containerEnv(['A=1'], 'c0ffee123456')).toEqual([DEFAULT_PATH, 'A=1', 'HOSTNAME=c0ffee123456', 'HOME=/root']);
  });

  it('keeps a PATH and a HOME the image or the user set', () => {
    expect(containerEnv(['PATH=/opt/bin', 'HOME=/srv'], 'box')).toEqual(['PATH=/opt/bin', 'HOME=/srv', 'HOSTNAME=box']);
  });

  it('always sets HOSTNAME to the container’s hostname, once', () => {
    const env = containerEnv(['HOSTNAME=stale'], 'box');
    expect(env.filter((e) => e.startsWith('HOSTNAME='))).toEqual(['HOSTNAME=box']);
  });

  it('leaves out a bare KEY (`-e KEY` unset on the host): execve gets only NAME=value entries', () => {
    const env = containerEnv(['DEBUG', 'A=1'], 'box');
    expect(env).not.toContain('DEBUG');
    expect(env.every((e) => e.includes('='))).toBe(true);
  });

  it('does not change the array it was given', () => {
    const given = ['A=1'];
    containerEnv(given, 'box');
    expect(given).toEqual(['A=1']);
  });
});

describe('resourcesOf', () => {
  const unset: HostConfig = {
    AutoRemove: false, NetworkMode: 'bridge', PidMode: '', IpcMode: 'private', UTSMode: '', CgroupnsMode: 'private',
    Memory: 0, MemorySwap: 0, MemoryReservation: 0, NanoCpus: 0, CpuPeriod: 0, CpuQuota: 0, CpuShares: 0,
    CpusetCpus: '', CpusetMems: '', PidsLimit: null,
  };

  it('is empty when docker’s "not set" values (0, "", null) are everywhere', () => {
    expect(resourcesOf(unset)).toEqual({});
  });

  it('carries over exactly the limits that are set, in docker’s field names', () => {
    expect(resourcesOf({ ...unset, Memory: 64 << 20, MemorySwap: 128 << 20, NanoCpus: 500_000_000, CpusetCpus: '0', PidsLimit: 20 })).toEqual({
      Memory: 64 << 20, MemorySwap: 128 << 20, NanoCpus: 500_000_000, CpusetCpus: '0', PidsLimit: 20,
    });
  });

  it('keeps -1 (unlimited swap, no CPU quota), which is set, unlike 0', () => {
    expect(resourcesOf({ ...unset, Memory: 1 << 20, MemorySwap: -1, CpuQuota: -1 })).toEqual({ Memory: 1 << 20, MemorySwap: -1, CpuQuota: -1 });
  });

  it('ignores the fields that are not limits', () => {
    expect(Object.keys(resourcesOf({ ...unset, AutoRemove: true, NetworkMode: 'host' }))).toEqual([]);
  });
});
