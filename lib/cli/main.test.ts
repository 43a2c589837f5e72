// The dispatcher's exit-code rule, over the whole verb table: a verb that starts a container says
// why it failed with 125/126/127, every other verb exits 1, a command line the flag parser
// refuses is 125 whatever the verb — docker's CLI rule, decided in one place.

import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ArgumentsError, EngineError, EXIT, SyscallError, UsageError } from '../errors.js';
import { exitCodeFor, main, VERBS } from './main.js';

// [what was thrown, exit code of a verb that starts a container, of any other verb]
const THROWN: [string, unknown, number, number][] = [
  ['an engine error', new EngineError('no such image: x'), EXIT.ENGINE, 1],
  ['a command that cannot be invoked', new EngineError('exec: "/etc": permission denied', EXIT.CANNOT_INVOKE), 126, 1],
  ['a command that is not found', new EngineError('exec: "x": not found', EXIT.NOT_FOUND), 127, 1],
  ['a failed system call', new SyscallError('mount', ['overlay'], 22, 'EINVAL'), EXIT.ENGINE, 1],
  ['a plain Error from a library', new Error('boom'), EXIT.ENGINE, 1],
  ['a flag the parser refuses', new UsageError('unknown flag: --bogus'), EXIT.ENGINE, EXIT.ENGINE],
  ['too few arguments', new ArgumentsError("'minidock run' requires at least 1 argument"), 1, 1],
];

const VERB_NAMES = Object.keys(VERBS);

describe('exitCodeFor', () => {
  it('knows the verbs that start a process in a container (docker: run, create, start, and exec with its 126/127)', () => {
    expect(VERB_NAMES.filter((v) => VERBS[v].startsContainer)).toEqual(['run', 'exec', 'create', 'start']);
  });

  for (const verb of VERB_NAMES) {
    it.each(THROWN)(`${verb}: %s exits as docker's would`, (_what, err, starts, other) => {
      expect(exitCodeFor(verb, err)).toBe(VERBS[verb].startsContainer ? starts : other);
    });
  }

  it('exits 1 for a verb that does not exist, and for no verb, unless the flags were the trouble', () => {
    expect(exitCodeFor('bogus', new EngineError("'bogus' is not a minidock command"))).toBe(1);
    expect(exitCodeFor(undefined, new EngineError('x'))).toBe(1);
    expect(exitCodeFor(undefined, new UsageError('unknown flag: --bogus'))).toBe(125);
  });
});

describe('main', () => {
  const stderr: string[] = [];
  afterEach(() => {
    vi.restoreAllMocks();
    stderr.length = 0;
  });
  function quiet() {
    vi.spyOn(process.stderr, 'write').mockImplementation((s) => {
      stderr.push(String(s));
      return true;
    });
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  }

  // failures that are found before any state is read, so the test needs no engine
  const FAILING: [string[], number, RegExp][] = [
    [['kill', '-s', 'BOGUS', 'web'], 1, /^minidock: invalid signal: BOGUS\n$/],
    [['bogus'], 1, /is not a minidock command/],
    [['constructor'], 1, /^minidock: 'constructor' is not a minidock command/],
    [['rm'], 1, /requires at least 1 argument/],
    [['run', '-d'], 1, /requires at least 1 argument/],
    [['ps', '--bogus'], 125, /^minidock: unknown flag: --bogus\n$/],
    [['--bogus', 'ps'], 125, /^minidock: unknown flag: --bogus\n$/],
    [['run', '-w', 'rel', 'busybox'], 125, /^minidock: the working directory 'rel' is invalid, it needs to be an absolute path\n$/],
  ];
  it.each(FAILING)('minidock %j exits %d with one line', async (argv, code, line) => {
    quiet();
    expect(await main(argv)).toBe(code);
    expect(stderr.join('')).toMatch(line);
  });

  it('ends silently with 141, as docker killed by SIGPIPE, when the reader of its output is gone (`| head`)', async () => {
    quiet();
    vi.spyOn(process.stdout, 'write').mockImplementation(() => {
      throw Object.assign(new Error('write EPIPE'), { code: 'EPIPE', syscall: 'write' });
    });
    expect(await main(['-h'])).toBe(141);
    expect(stderr).toEqual([]);
  });

  it('prints its version for -v and --version, as `docker --version` does', async () => {
    quiet();
    const out: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => (out.push(String(chunk)), true));
    expect(await main(['--version'])).toBe(0);
    expect(await main(['-v'])).toBe(0);
    const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(out).toEqual([`minidock version ${version}\n`, `minidock version ${version}\n`]);
    expect(stderr).toEqual([]);
  });

  it('prints the usage and exits 0 with no verb or -h', async () => {
    quiet();
    expect(await main([])).toBe(0);
    expect(await main(['-h'])).toBe(0);
    expect(stderr).toEqual([]);
  });
});
