// `minidock run`'s argument handling: which flags go to the engine and which to the command,
// and the hostconfig.json they become — checked before anything is created.

import { describe, expect, it } from 'vitest';
import { EngineError } from '../errors.js';
import { hostConfigFrom, parseRunArgs, requireStages } from './run.js';

function refusal(argv: string[]): string {
  try {
    hostConfigFrom(parseRunArgs(argv).values);
  } catch (e) {
    expect(e).toBeInstanceOf(EngineError);
    expect((e as EngineError).exitCode).toBe(125);
    return (e as Error).message;
  }
  throw new Error(`run ${argv.join(' ')} was accepted`);
}

describe('parseRunArgs', () => {
  it('splits at the image: flags before it, the command after it, even one with its own flags', () => {
    const r = parseRunArgs(['--name', 'web', '-e', 'A=1', 'busybox', 'ls', '-l', '/']);
    expect(r.image).toBe('busybox');
    expect(r.cmd).toEqual(['ls', '-l', '/']);
    expect(r.values).toMatchObject({ name: 'web', env: ['A=1'] });
    expect(r.detach).toBe(false);
  });

  it('leaves the command empty when only the image is given (the image’s Cmd runs)', () => {
    expect(parseRunArgs(['busybox'])).toMatchObject({ image: 'busybox', cmd: [] });
  });

  it('reads -d as detach, with --rm off unless asked for', () => {
    expect(parseRunArgs(['-d', 'busybox', 'sleep', '9'])).toMatchObject({ detach: true, values: { rm: false } });
    expect(parseRunArgs(['-d', '--rm', 'busybox'])).toMatchObject({ detach: true, values: { rm: true } });
  });

  it('requires an image', () => {
    expect(() => parseRunArgs(['-d'])).toThrow("'minidock run' requires at least 1 argument");
    expect(() => parseRunArgs([])).toThrow(EngineError);
  });

  it('refuses -t (and --detach-keys) until stage 7 builds pseudo-terminals, rather than ignoring it', () => {
    expect(() => requireStages(parseRunArgs(['-t', 'busybox']).values, 6)).toThrow('-t/--tty: a pseudo-terminal needs stage 7');
    expect(() => requireStages(parseRunArgs(['-i', '--detach-keys', 'ctrl-x', 'busybox']).values, 6)).toThrow('--detach-keys needs stage 7');
    expect(() => requireStages(parseRunArgs(['-it', 'busybox']).values, 7)).not.toThrow();
  });

  it('reads --sig-proxy=false as pflag does, and refuses it below stage 7, which teaches it', () => {
    expect(parseRunArgs(['--sig-proxy=false', 'busybox']).values['sig-proxy']).toBe(false);
    expect(parseRunArgs(['busybox']).values['sig-proxy']).toBeUndefined(); // on: docker's default
    expect(() => requireStages(parseRunArgs(['--sig-proxy=false', 'busybox']).values, 6)).toThrow('--sig-proxy needs stage 7');
    expect(() => requireStages(parseRunArgs(['--sig-proxy=false', 'busybox']).values, 7)).not.toThrow();
  });

  it('refuses an unknown flag with docker’s wording', () => {
    expect(() => parseRunArgs(['--bogus', 'busybox'])).toThrow('unknown flag: --bogus');
  });
});

describe('hostConfigFrom', () => {
  it('writes docker’s defaults: bridge network, private ipc and cgroupns, no limits', () => {
    expect(hostConfigFrom(parseRunArgs(['busybox']).values)).toMatchObject({
      AutoRemove: false, NetworkMode: 'bridge', PidMode: '', IpcMode: 'private', UTSMode: '', CgroupnsMode: 'private',
      Memory: 0, MemorySwap: 0, NanoCpus: 0, CpuShares: 0, CpusetCpus: '', PidsLimit: null,
    });
  });

  it('records the namespace flags as modes', () => {
    const hc = hostConfigFrom(parseRunArgs(['--network', 'none', '--pid', 'host', '--ipc', 'host', '--uts', 'host', '--cgroupns', 'host', 'busybox']).values);
    expect(hc).toMatchObject({ NetworkMode: 'none', PidMode: 'host', IpcMode: 'host', UTSMode: 'host', CgroupnsMode: 'host' });
  });

  it('takes --net as the old spelling of --network', () => {
    expect(hostConfigFrom(parseRunArgs(['--net', 'host', 'busybox']).values).NetworkMode).toBe('host');
  });

  it('records --rm as AutoRemove', () => {
    expect(hostConfigFrom(parseRunArgs(['--rm', 'busybox']).values).AutoRemove).toBe(true);
  });

  it('turns the resource flags into docker’s HostConfig numbers', () => {
    const hc = hostConfigFrom(parseRunArgs(['-m', '64m', '--cpus', '1.5', '--pids-limit', '10', 'busybox']).values);
    expect(hc).toMatchObject({ Memory: 64 * 1024 * 1024, MemorySwap: 2 * 64 * 1024 * 1024, NanoCpus: 1_500_000_000, PidsLimit: 10 });
  });

  it('refuses a bad namespace mode or limit before anything is created', () => {
    expect(refusal(['--pid', 'bogus', 'busybox'])).toBe('invalid --pid mode: bogus');
    expect(refusal(['--uts', 'container:web', 'busybox'])).toBe('invalid --uts mode: container:web');
    expect(refusal(['-m', 'lots', 'busybox'])).toMatch(/^invalid argument "lots" for "-m, --memory" flag/);
  });

  // docker's parser hands a flag the next argument even when it starts with a dash
  const negatives: [string[], Partial<ReturnType<typeof hostConfigFrom>>][] = [
    [['--pids-limit', '-1'], { PidsLimit: null }],
    [['--pids-limit', '0'], { PidsLimit: null }],
    [['-m', '64m', '--memory-swap', '-1'], { Memory: 64 * 1024 * 1024, MemorySwap: -1 }],
    [['--cpus', '1/2'], { NanoCpus: 500_000_000 }],
    [['--cpus', '0.5'], { NanoCpus: 500_000_000 }],
  ];
  it.each(negatives)('reads %j as docker does', (flags, expected) => {
    expect(hostConfigFrom(parseRunArgs([...flags, 'busybox']).values)).toMatchObject(expected);
  });

  const refused: [string[], RegExp][] = [
    [['-m', '-1'], /^invalid argument "-1" for "-m, --memory" flag: invalid size: '-1'$/],
    [['-m', '99999999999999999999g'], /^invalid argument "99999999999999999999g" for "-m, --memory" flag: size out of range/],
    [['--cpus', '0.009'], /^Range of CPUs is from 0\.01 to \d+\.00, as there are only \d+ CPUs available$/],
    [['--cpus', '-1'], /^Range of CPUs is from 0\.01/],
    [['--cpus', '1/3'], /value is too precise$/],
  ];
  it.each(refused)('refuses %j before anything is created: %s', (flags, message) => {
    expect(refusal([...flags, 'busybox'])).toMatch(message);
  });
});
