// Command-line parsing with docker's conventions: flags stop at the image (everything after it
// belongs to the container's command), and parse errors use docker's wording.

import { describe, expect, it } from 'vitest';
import { EngineError } from '../errors.js';
import { parseFlags, splitAtPositional } from './args.js';

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
    expect(e).toBeInstanceOf(EngineError);
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

  it('says "unknown flag" as docker does', () => {
    expect(refusal(['--bogus'])).toBe('unknown flag: --bogus');
    expect(refusal(['-x'])).toBe('unknown flag: -x');
  });

  it('says "flag needs an argument" for a string flag without one, naming the flag only', () => {
    expect(refusal(['--name'])).toBe('flag needs an argument: --name');
    expect(refusal(['-e'])).toBe('flag needs an argument: -e, --env');
  });

  it('does not call a value given to a boolean flag a missing argument', () => {
    expect(refusal(['--detach=yes'])).toBe('flag does not take a value: -d, --detach');
  });
});
