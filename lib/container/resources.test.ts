// lib/container/resources.ts: --memory, --memory-swap, --cpus, --cpuset-cpus and the rest read
// into HostConfig's numbers with docker's units, defaults and refusals, for made-up host CPUs.

import { describe, expect, it } from 'vitest';
import { EngineError } from '../errors.js';
import { type HostCpus, nanoCpusToQuota, parseBytes, parseCpuList, parseNanoCpus, parseResources } from './resources.js';

const HOST: HostCpus = { cpus: '0-1', mems: '0', numCpus: 2 };
const MiB = 1024 * 1024;

/** The one-line message of the EngineError that parsing these flags throws. */
function errorOf(flags: Parameters<typeof parseResources>[0], host: HostCpus = HOST): string {
  try {
    parseResources(flags, host);
  } catch (err) {
    expect(err).toBeInstanceOf(EngineError);
    expect((err as EngineError).exitCode).toBe(125);
    expect((err as Error).message).not.toContain('\n');
    return (err as Error).message;
  }
  throw new Error('expected an error');
}

describe('--memory and its units', () => {
  it('reads a plain number as bytes', () => {
    expect(parseBytes('7340032', '-m, --memory')).toBe(7 * MiB);
  });

  it('reads b, k, m and g as powers of 1024, in either case', () => {
    expect(parseBytes('8388608b', 'x')).toBe(8 * MiB);
    expect(parseBytes('8192k', 'x')).toBe(8 * MiB);
    expect(parseBytes('8m', 'x')).toBe(8 * MiB);
    expect(parseBytes('8M', 'x')).toBe(8 * MiB);
    expect(parseBytes('1g', 'x')).toBe(1024 * MiB);
    expect(parseBytes('1G', 'x')).toBe(1024 * MiB);
  });

  it('accepts the long spellings docker accepts: mb, MiB, and a decimal', () => {
    expect(parseBytes('8mb', 'x')).toBe(8 * MiB);
    expect(parseBytes('8MiB', 'x')).toBe(8 * MiB);
    expect(parseBytes('1.5g', 'x')).toBe(1536 * MiB);
  });

  it('refuses an unknown unit with docker’s message', () => {
    expect(errorOf({ memory: '12x' })).toBe(`invalid argument "12x" for "-m, --memory" flag: invalid size: '12x'`);
    expect(errorOf({ memory: '' })).toBe(`invalid argument "" for "-m, --memory" flag: invalid size: ''`);
    expect(errorOf({ memory: '-1' })).toBe(`invalid argument "-1" for "-m, --memory" flag: invalid size: '-1'`);
  });

  it('refuses less than 6 MiB', () => {
    expect(errorOf({ memory: '4m' })).toBe('Minimum memory limit allowed is 6MB');
    expect(parseResources({ memory: '6m' }, HOST).Memory).toBe(6 * MiB);
  });

  it('treats 0 as no limit', () => {
    expect(parseResources({ memory: '0' }, HOST)).toEqual({});
  });

  it('gives as much swap again as memory when --memory-swap is not set, as docker does', () => {
    expect(parseResources({ memory: '32m' }, HOST)).toEqual({ Memory: 32 * MiB, MemorySwap: 64 * MiB });
  });
});

describe('--memory-swap', () => {
  it('is memory plus swap, so it may equal the memory limit (no swap at all)', () => {
    expect(parseResources({ memory: '32m', 'memory-swap': '32m' }, HOST)).toEqual({ Memory: 32 * MiB, MemorySwap: 32 * MiB });
  });

  it('takes -1 for unlimited swap', () => {
    expect(parseResources({ memory: '32m', 'memory-swap': '-1' }, HOST)).toEqual({ Memory: 32 * MiB, MemorySwap: -1 });
  });

  it('must not be below the memory limit', () => {
    expect(errorOf({ memory: '64m', 'memory-swap': '32m' })).toBe(
      'Minimum memoryswap limit should be larger than memory limit, see usage',
    );
  });

  it('needs --memory', () => {
    expect(errorOf({ 'memory-swap': '64m' })).toBe('You should always set the Memory limit when using Memoryswap limit, see usage');
  });

  it('refuses an invalid size', () => {
    expect(errorOf({ memory: '32m', 'memory-swap': 'lots' })).toBe(
      `invalid argument "lots" for "--memory-swap" flag: invalid size: 'lots'`,
    );
  });
});

describe('--memory-reservation', () => {
  it('is a soft limit of at least 6 MiB', () => {
    expect(parseResources({ 'memory-reservation': '16m' }, HOST)).toEqual({ MemoryReservation: 16 * MiB });
    expect(errorOf({ 'memory-reservation': '1m' })).toBe('Minimum memory reservation allowed is 6MB');
  });

  it('must not be above the memory limit', () => {
    expect(errorOf({ memory: '16m', 'memory-reservation': '32m' })).toBe(
      'Minimum memory limit can not be less than memory reservation limit, see usage',
    );
  });
});

describe('--cpus', () => {
  it('becomes NanoCpus, exactly, without floating point error', () => {
    expect(parseResources({ cpus: '0.5' }, HOST)).toEqual({ NanoCpus: 500_000_000 });
    expect(parseNanoCpus('1.5')).toBe(1_500_000_000);
    expect(parseNanoCpus('0.3')).toBe(300_000_000);
    expect(parseNanoCpus('.25')).toBe(250_000_000);
    expect(parseNanoCpus('2')).toBe(2_000_000_000);
  });

  it('becomes a CFS quota of that many CPUs per 100 ms period', () => {
    expect(nanoCpusToQuota(500_000_000)).toBe(50_000);
    expect(nanoCpusToQuota(1_500_000_000)).toBe(150_000);
    expect(nanoCpusToQuota(10_000_000)).toBe(1_000);
  });

  it('must not ask for more CPUs than the host has', () => {
    expect(errorOf({ cpus: '3' })).toBe('Range of CPUs is from 0.01 to 2.00, as there are only 2 CPUs available');
    expect(errorOf({ cpus: '-1' })).toBe('Range of CPUs is from 0.01 to 2.00, as there are only 2 CPUs available');
    expect(parseResources({ cpus: '2' }, HOST)).toEqual({ NanoCpus: 2e9 });
  });

  it('counts the host CPUs from the online list when no count is given', () => {
    expect(errorOf({ cpus: '5' }, { cpus: '0-3', mems: '0' })).toBe(
      'Range of CPUs is from 0.01 to 4.00, as there are only 4 CPUs available',
    );
  });

  it('treats 0 as no limit, as docker does', () => {
    expect(parseResources({ cpus: '0' }, HOST)).toEqual({});
  });

  it('refuses what is not a number, and more than nine decimals', () => {
    expect(errorOf({ cpus: 'half' })).toBe(`invalid argument "half" for "--cpus" flag: failed to parse half as a rational number`);
    expect(errorOf({ cpus: '.' })).toBe(`invalid argument "." for "--cpus" flag: failed to parse . as a rational number`);
    expect(errorOf({ cpus: '0.0000000001' })).toBe(`invalid argument "0.0000000001" for "--cpus" flag: value is too precise`);
  });

  it('cannot be combined with --cpu-period or --cpu-quota', () => {
    expect(errorOf({ cpus: '1', 'cpu-period': '50000' })).toBe('Conflicting options: Nano CPUs and CPU Period cannot both be set');
    expect(errorOf({ cpus: '1', 'cpu-quota': '50000' })).toBe('Conflicting options: Nano CPUs and CPU Quota cannot both be set');
  });
});

describe('--cpu-period and --cpu-quota', () => {
  it('are kept as given', () => {
    expect(parseResources({ 'cpu-period': '50000', 'cpu-quota': '25000' }, HOST)).toEqual({ CpuPeriod: 50000, CpuQuota: 25000 });
  });

  it('allow a period from 1 ms to 1 s', () => {
    const msg = 'CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)';
    expect(errorOf({ 'cpu-period': '999' })).toBe(msg);
    expect(errorOf({ 'cpu-period': '1000001' })).toBe(msg);
    expect(errorOf({ 'cpu-period': '-5' })).toBe(msg);
    expect(parseResources({ 'cpu-period': '1000' }, HOST)).toEqual({ CpuPeriod: 1000 });
    expect(parseResources({ 'cpu-period': '1000000' }, HOST)).toEqual({ CpuPeriod: 1000000 });
  });

  it('allow a quota of at least 1 ms, or -1 for none', () => {
    expect(errorOf({ 'cpu-quota': '999' })).toBe('CPU cfs quota can not be less than 1ms (i.e. 1000)');
    expect(parseResources({ 'cpu-quota': '1000' }, HOST)).toEqual({ CpuQuota: 1000 });
    expect(parseResources({ 'cpu-quota': '-1' }, HOST)).toEqual({ CpuQuota: -1 });
  });

  it('must be whole numbers', () => {
    expect(errorOf({ 'cpu-quota': '1.5' })).toBe(`invalid argument "1.5" for "--cpu-quota" flag: not an integer`);
    expect(errorOf({ 'cpu-period': 'x' })).toBe(`invalid argument "x" for "--cpu-period" flag: not an integer`);
  });
});

describe('--cpu-shares', () => {
  it('is kept when in the kernel’s range', () => {
    expect(parseResources({ 'cpu-shares': '512' }, HOST)).toEqual({ CpuShares: 512 });
  });

  it('is clamped to 2 … 262144, as the kernel and docker do', () => {
    expect(parseResources({ 'cpu-shares': '1' }, HOST)).toEqual({ CpuShares: 2 });
    expect(parseResources({ 'cpu-shares': '1000000' }, HOST)).toEqual({ CpuShares: 262144 });
  });

  it('treats 0 as not set and refuses a negative number', () => {
    expect(parseResources({ 'cpu-shares': '0' }, HOST)).toEqual({});
    expect(errorOf({ 'cpu-shares': '-2' })).toBe(`invalid argument "-2" for "-c, --cpu-shares" flag: shares cannot be negative`);
  });
});

describe('--cpuset-cpus and --cpuset-mems', () => {
  it('read the kernel’s list syntax', () => {
    expect(parseCpuList('0-2,4')).toEqual([0, 1, 2, 4]);
    expect(parseCpuList('3,1,1-2')).toEqual([1, 2, 3]);
    expect(parseCpuList('')).toEqual([]);
    expect(() => parseCpuList('2-1')).toThrow('invalid format: 2-1');
    expect(() => parseCpuList('0,,1')).toThrow('invalid format: 0,,1');
  });

  it('are kept as typed when every CPU and node exists', () => {
    expect(parseResources({ 'cpuset-cpus': '0-1', 'cpuset-mems': '0' }, HOST)).toEqual({ CpusetCpus: '0-1', CpusetMems: '0' });
  });

  it('refuse CPUs the host does not have, naming the ones it has', () => {
    expect(errorOf({ 'cpuset-cpus': '99' })).toBe('Requested CPUs are not available - requested 99, available: 0-1');
    expect(errorOf({ 'cpuset-cpus': '0-2' })).toBe('Requested CPUs are not available - requested 0-2, available: 0-1');
  });

  it('refuse memory nodes the host does not have', () => {
    expect(errorOf({ 'cpuset-mems': '1' })).toBe('Requested memory nodes are not available - requested 1, available: 0');
  });

  it('refuse a malformed list', () => {
    expect(errorOf({ 'cpuset-cpus': '1-0' })).toBe('Invalid value 1-0 for cpuset cpus: invalid format: 1-0');
    expect(errorOf({ 'cpuset-mems': 'a' })).toBe('Invalid value a for cpuset mems: invalid format: a');
  });
});

describe('--pids-limit', () => {
  it('is kept when positive', () => {
    expect(parseResources({ 'pids-limit': '20' }, HOST)).toEqual({ PidsLimit: 20 });
  });

  it('means unlimited for 0 and -1, so nothing is set', () => {
    expect(parseResources({ 'pids-limit': '0' }, HOST)).toEqual({});
    expect(parseResources({ 'pids-limit': '-1' }, HOST)).toEqual({});
  });

  it('must be a whole number', () => {
    expect(errorOf({ 'pids-limit': 'ten' })).toBe(`invalid argument "ten" for "--pids-limit" flag: not an integer`);
  });
});

describe('parseResources', () => {
  it('sets nothing when no flag is given', () => {
    expect(parseResources({}, HOST)).toEqual({});
  });

  it('combines every flag into one HostConfig-shaped object', () => {
    expect(
      parseResources(
        {
          memory: '256m',
          'memory-swap': '512m',
          'memory-reservation': '128m',
          'cpu-period': '100000',
          'cpu-quota': '200000',
          'cpu-shares': '100',
          'cpuset-cpus': '0',
          'cpuset-mems': '0',
          'pids-limit': '100',
        },
        HOST,
      ),
    ).toEqual({
      Memory: 256 * MiB,
      MemorySwap: 512 * MiB,
      MemoryReservation: 128 * MiB,
      CpuPeriod: 100000,
      CpuQuota: 200000,
      CpuShares: 100,
      CpusetCpus: '0',
      CpusetMems: '0',
      PidsLimit: 100,
    });
  });
});
