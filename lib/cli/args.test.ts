// Command-line parsing with docker's conventions: flags stop at the image (everything after it
// belongs to the container's command), and parse errors use docker's wording.

import { describe, expect, it } from 'vitest';
import { EngineError, UsageError } from '../errors.js';
import { attachValues, keyValues, parseFlags, splitAtPositional } from './args.js';

const OPTIONS = {
  detach: { type: 'boolean', short: 'd' },
  interactive: { type: 'boolean', short: 'i' },
  tty: { type: 'boolean', short: 't' },
  name: { type: 'string' },
  env: { type: 'string', short: 'e', multiple: true },
  hostname: { type: 'string', short: 'h' },
} as const;

const split = (...argv: string[]) => splitAtPositional(argv, OPTIONS);

function refusal(args: string[]): string {
  try {
    parseFlags(args, OPTIONS);
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError); // 125 for every verb, as docker's flag errors are
    expect((e as EngineError).exitCode).toBe(125);
    return (e as Error).message;
  }
  throw new Error(`${args.join(' ')} was accepted`);
}

describe('splitAtPositional', () => {
  it('cuts at the image: the command’s own flags are not ours', () => {
    expect(split('-d', '--name', 'web', 'busybox', 'ls', '-l')).toEqual({ flags: ['-d', '--name', 'web'], rest: ['busybox', 'ls', '-l'] });
  });

  it('knows that a string flag takes the next argument as its value, even one that looks like an image', () => {
    expect(split('--name', 'busybox', 'busybox', 'true')).toEqual({ flags: ['--name', 'busybox'], rest: ['busybox', 'true'] });
    expect(split('-e', 'A=1', '-h', 'box', 'busybox')).toEqual({ flags: ['-e', 'A=1', '-h', 'box'], rest: ['busybox'] });
  });

  it('does not take the next argument for --flag=value or -eVALUE', () => {
    expect(split('--name=web', 'busybox')).toEqual({ flags: ['--name=web'], rest: ['busybox'] });
    expect(split('-eA=1', 'busybox')).toEqual({ flags: ['-eA=1'], rest: ['busybox'] });
    expect(split('-eh', 'busybox')).toEqual({ flags: ['-eh'], rest: ['busybox'] }); // -e with the value "h"
  });

  it('reads grouped booleans, and a group that ends in a string flag takes the next argument', () => {
    expect(split('-it', 'busybox', 'sh')).toEqual({ flags: ['-it'], rest: ['busybox', 'sh'] });
    expect(split('-de', 'A=1', 'busybox')).toEqual({ flags: ['-de', 'A=1'], rest: ['busybox'] });
  });

  it('ends the flags at "--", which it drops', () => {
    expect(split('-d', '--', '-weird-image')).toEqual({ flags: ['-d'], rest: ['-weird-image'] });
  });

  it('treats a lone "-" as a positional argument (stdin, as in `import -`)', () => {
    expect(split('-', 'name')).toEqual({ flags: [], rest: ['-', 'name'] });
  });

  it('returns no rest when there is no positional argument', () => {
    expect(split('-d', '--name', 'web')).toEqual({ flags: ['-d', '--name', 'web'], rest: [] });
    expect(split()).toEqual({ flags: [], rest: [] });
  });
});

describe('parseFlags', () => {
  it('parses long, short, grouped and repeated flags', () => {
    const { values, positionals } = parseFlags(['-d', '-e', 'A=1', '--env=B=2', '--name', 'web', 'x'], OPTIONS);
    expect(values).toEqual({ detach: true, env: ['A=1', 'B=2'], name: 'web' });
    expect(positionals).toEqual(['x']);
  });

  it('takes a boolean flag’s value after = as pflag does (--sig-proxy=false), the last one winning', () => {
    expect(parseFlags(['--detach=false', 'x'], OPTIONS).values).toEqual({ detach: false });
    expect(parseFlags(['--detach=true', '--tty=1', 'x'], OPTIONS).values).toEqual({ detach: true, tty: true });
    expect(parseFlags(['--detach=false', '-d'], OPTIONS).values).toEqual({ detach: true });
    expect(parseFlags(['--detach', '--detach=F'], OPTIONS).values).toEqual({ detach: false });
    expect(parseFlags(['--name=false', 'x'], OPTIONS).values).toEqual({ name: 'false' }); // a string flag's value
    expect(parseFlags(['x', '--', '--detach=false'], OPTIONS).positionals).toEqual(['x', '--detach=false']);
    expect(refusal(['--interactive=no'])).toBe('invalid argument "no" for "-i, --interactive" flag: strconv.ParseBool: parsing "no": invalid syntax');
    expect(parseFlags(['--detach=false', '-dit'], OPTIONS).values).toEqual({ detach: true, interactive: true, tty: true });
  });

  it('says "unknown flag" as docker does', () => {
    expect(refusal(['--bogus'])).toBe('unknown flag: --bogus');
    expect(refusal(['-x'])).toBe('unknown flag: -x');
  });

  it('says "flag needs an argument" for a string flag without one, naming the flag only', () => {
    expect(refusal(['--name'])).toBe('flag needs an argument: --name');
    expect(refusal(['-e'])).toBe('flag needs an argument: -e, --env');
  });

  it('does not call a value given to a boolean flag a missing argument', () => {
    expect(refusal(['--detach=yes'])).toBe('invalid argument "yes" for "-d, --detach" flag: strconv.ParseBool: parsing "yes": invalid syntax');
  });
});

describe('attachValues', () => {
  // [argv, what parseArgs is given]
  const table: [string[], string[]][] = [
    [['--name', '-x'], ['--name=-x']],
    [['-h', '-1'], ['-h-1']],
    [['-de', '-1', 'img'], ['-d', '-e-1', 'img']],
    [['--name=web', '-d'], ['--name=web', '-d']],
    [['-eA=1', 'img'], ['-eA=1', 'img']],
    [['-eh'], ['-eh']], // -e with the value "h": already has its value
    [['-d', '--', '--name', 'x'], ['-d', '--', '--name', 'x']],
    [['--name'], ['--name']], // no value to take: parseArgs says so
    [['--detach', '-i'], ['--detach', '-i']], // booleans take nothing
  ];
  it.each(table)('rewrites %j as %j', (argv, expected) => {
    expect(attachValues(argv, OPTIONS)).toEqual(expected);
  });
});

describe('parseFlags with values that start with a dash (pflag takes the next argument whatever it is)', () => {
  it('gives a negative number or a dash-led word to the flag before it', () => {
    expect(parseFlags(['--name', '-1', 'x'], OPTIONS)).toMatchObject({ values: { name: '-1' }, positionals: ['x'] });
    expect(parseFlags(['-e', '-A', '-d'], OPTIONS)).toMatchObject({ values: { env: ['-A'], detach: true }, positionals: [] });
    expect(parseFlags(['-de', '-A'], OPTIONS)).toMatchObject({ values: { env: ['-A'], detach: true } });
  });
});

describe('keyValues (--label, --log-opt)', () => {
  it('splits at the first "=", keeps a bare KEY with "" and lets the last of a repeated KEY win', () => {
    expect(keyValues(['a=1', 'b', 'c=x=y', 'a=2', 'd='])).toEqual({ a: '2', b: '', c: 'x=y', d: '' });
    expect(keyValues([])).toEqual({});
  });
});
