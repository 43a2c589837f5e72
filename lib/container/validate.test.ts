// What `run` refuses before it creates anything: sizes no int64 holds, --cpus outside 0.01 … N
// or not a rational number, a relative working directory — each with docker's message and 125.

import { describe, expect, it } from 'vitest';
import { EngineError } from '../errors.js';
import { checkResourceFlags, checkSysctl, checkWorkdir, nanoCpusAsDecimal, parseCpus, parseDevice, parseTmpfs, parseUlimit } from './validate.js';

const HOST = { cpus: '0-1', mems: '0', numCpus: 2 };

function refusal(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(EngineError);
    expect((e as EngineError).exitCode).toBe(125);
    expect((e as Error).message).not.toContain('\n');
    return (e as Error).message;
  }
  throw new Error('accepted');
}

describe('parseCpus', () => {
  const accepted: [string, number][] = [
    ['1.5', 1_500_000_000],
    ['0.3', 300_000_000],
    ['.25', 250_000_000],
    ['2', 2_000_000_000],
    ['1/2', 500_000_000],
    ['3/4', 750_000_000],
    ['-1/2', -500_000_000],
    ['2e-1', 200_000_000],
    ['0.000000001', 1],
    ['0', 0],
    ['-1', -1_000_000_000],
  ];
  it.each(accepted)('reads %s as %d billionths of a CPU', (value, nano) => {
    expect(parseCpus(value)).toBe(nano);
  });

  const refused: [string, string][] = [
    ['lots', 'failed to parse lots as a rational number'],
    ['1/0', 'failed to parse 1/0 as a rational number'],
    ['', 'failed to parse  as a rational number'],
    ['.', 'failed to parse . as a rational number'],
    ['1/2/3', 'failed to parse 1/2/3 as a rational number'],
    ['1/3', 'value is too precise'],
    ['0.0000000001', 'value is too precise'],
  ];
  it.each(refused)('refuses %j: %s', (value, why) => {
    expect(refusal(() => parseCpus(value))).toBe(`invalid argument "${value}" for "--cpus" flag: ${why}`);
  });
});

describe('nanoCpusAsDecimal', () => {
  it.each([[500_000_000, '0.500000000'], [1_500_000_001, '1.500000001'], [0, '0.000000000'], [-1_000_000_000, '-1.000000000']])(
    'writes %d as %s', (nano, text) => {
      expect(nanoCpusAsDecimal(nano)).toBe(text);
    },
  );
});

describe('checkResourceFlags', () => {
  it('hands --cpus on as the decimal it stands for, and leaves the other flags alone', () => {
    expect(checkResourceFlags({ cpus: '1/2', memory: '64m', 'pids-limit': '-1' }, HOST)).toEqual({ cpus: '0.500000000', memory: '64m', 'pids-limit': '-1' });
  });

  it('lets --cpus 0 mean "no limit" and allows 0.01 up to the host’s CPUs', () => {
    expect(checkResourceFlags({ cpus: '0' }, HOST).cpus).toBe('0.000000000');
    expect(checkResourceFlags({ cpus: '0.01' }, HOST).cpus).toBe('0.010000000');
    expect(checkResourceFlags({ cpus: '2' }, HOST).cpus).toBe('2.000000000');
  });

  const range = 'Range of CPUs is from 0.01 to 2.00, as there are only 2 CPUs available';
  const refused: [string, Parameters<typeof checkResourceFlags>[0], string][] = [
    ['a quota under the kernel’s 1 ms', { cpus: '0.009' }, range],
    ['a negative CPU count', { cpus: '-1' }, range],
    ['more CPUs than the host has', { cpus: '5/2' }, range],
    ['a CPU count beyond any number', { cpus: '1e99' }, range],
    ['a memory size no int64 holds', { memory: '99999999999999999999g' }, 'invalid argument "99999999999999999999g" for "-m, --memory" flag: size out of range: the most is 8PiB'],
    ['a memory size just over 8 PiB', { memory: '9p' }, 'invalid argument "9p" for "-m, --memory" flag: size out of range: the most is 8PiB'],
    ['a huge --memory-swap', { memory: '64m', 'memory-swap': '99999999999t' }, 'invalid argument "99999999999t" for "--memory-swap" flag: size out of range: the most is 8PiB'],
    ['a huge --memory-reservation', { 'memory-reservation': '1e30' }, 'invalid argument "1e30" for "--memory-reservation" flag: invalid size: \'1e30\''],
    ['-m -1 (docker’s size parser has no negative sizes; only --memory-swap takes -1)', { memory: '-1' }, 'invalid argument "-1" for "-m, --memory" flag: invalid size: \'-1\''],
  ];
  it.each(refused)('refuses %s', (_what, flags, message) => {
    expect(refusal(() => checkResourceFlags(flags, HOST))).toBe(message);
  });

  it('takes --memory-swap -1 as unlimited swap, and sizes up to 8 PiB', () => {
    expect(checkResourceFlags({ memory: '8p', 'memory-swap': '-1' }, HOST)).toEqual({ memory: '8p', 'memory-swap': '-1' });
  });
});

describe('checkWorkdir', () => {
  it('refuses a relative working directory with docker’s words', () => {
    expect(refusal(() => checkWorkdir('rel'))).toBe("the working directory 'rel' is invalid, it needs to be an absolute path");
    expect(refusal(() => checkWorkdir('./x'))).toBe("the working directory './x' is invalid, it needs to be an absolute path");
  });

  it('accepts an absolute one, and none at all (the image’s, or /)', () => {
    expect(() => checkWorkdir('/data')).not.toThrow();
    expect(() => checkWorkdir('')).not.toThrow();
    expect(() => checkWorkdir(undefined)).not.toThrow();
  });
});

describe('the security flags of stage 8', () => {
  it('--ulimit: one number sets both limits, -1 is unlimited, soft above hard is refused', () => {
    expect(parseUlimit('nofile=1024')).toEqual({ Name: 'nofile', Soft: 1024, Hard: 1024 });
    expect(parseUlimit('core=0:-1')).toEqual({ Name: 'core', Soft: 0, Hard: 2 ** 64 - 1 });
    expect(() => parseUlimit('nofile=10:5')).toThrow('soft limit must be less than or equal to hard limit');
    expect(() => parseUlimit('wizardry=1')).toThrow('invalid ulimit type: wizardry');
  });

  it('--sysctl: namespaced keys only, and not with the namespace shared with the host', () => {
    const own = { IpcMode: 'private', NetworkMode: 'none', UTSMode: '' };
    expect(checkSysctl('net.ipv4.ip_forward=1', own)).toEqual(['net.ipv4.ip_forward', '1']);
    expect(checkSysctl('kernel/shmmni=100', own)).toEqual(['kernel.shmmni', '100']);
    expect(() => checkSysctl('vm.swappiness=1', own)).toThrow("sysctl 'vm.swappiness' is not allowed");
    expect(() => checkSysctl('net.ipv4.ip_forward=1', { ...own, NetworkMode: 'host' })).toThrow('not allowed in host network namespace');
  });

  it('--device and --tmpfs: paths and permissions as docker splits them', () => {
    expect(parseDevice('/dev/fuse')).toEqual({ PathOnHost: '/dev/fuse', PathInContainer: '/dev/fuse', CgroupPermissions: 'rwm' });
    expect(parseDevice('/dev/sdb:/dev/xvdb:r')).toEqual({ PathOnHost: '/dev/sdb', PathInContainer: '/dev/xvdb', CgroupPermissions: 'r' });
    expect(parseTmpfs('/tmp:size=1m,mode=1777')).toEqual(['/tmp', 'size=1m,mode=1777']);
    expect(() => parseTmpfs('relative')).toThrow('want an absolute path');
  });
});
