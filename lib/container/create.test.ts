// The environment a container gets from `-e` and from its image, merged the way docker's daemon
// merges them; and createContainer's rule that bad input is refused before anything exists.

import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EngineError } from '../errors.js';
import { paths, type Paths } from '../paths.js';
import { createContainer, mergeEnv, parseEnv, type CreateRequest } from './create.js';
import type { HostConfig } from './state.js';

describe('parseEnv', () => {
  it('keeps KEY=VALUE as typed, = signs in the value included', () => {
    expect(parseEnv(['A=1', 'URL=http://x/?a=b', 'EMPTY='], {})).toEqual(['A=1', 'URL=http://x/?a=b', 'EMPTY=']);
  });

  it('passes the host’s value for a bare KEY, even an empty one', () => {
    expect(parseEnv(['TERM', 'BLANK'], { TERM: 'xterm', BLANK: '' })).toEqual(['TERM=xterm', 'BLANK=']);
  });

  it('keeps a bare KEY the host does not have, as docker does (it unsets the image’s KEY)', () => {
    expect(parseEnv(['NOT_ON_HOST'], {})).toEqual(['NOT_ON_HOST']);
  });

  it('refuses an empty name or a name with whitespace', () => {
    for (const bad of ['', '=x', 'A B=1', '\tA=1']) {
      expect(() => parseEnv([bad], {})).toThrow(EngineError);
      expect(() => parseEnv([bad], {})).toThrow(`invalid environment variable: ${bad}`);
    }
  });
});

describe('mergeEnv', () => {
  it('puts the user’s variables first, then the image’s the user did not set (docker inspect’s Config.Env)', () => {
    expect(mergeEnv(['PATH=/usr/bin:/bin', 'LANG=C'], ['A=1', 'LANG=en_US.UTF-8'])).toEqual(['A=1', 'LANG=en_US.UTF-8', 'PATH=/usr/bin:/bin']);
  });

  it('lets a bare KEY from the user take the image’s KEY away', () => {
    expect(mergeEnv(['PATH=/bin', 'DEBUG=1'], ['DEBUG'])).toEqual(['DEBUG', 'PATH=/bin']);
  });

  it('keeps the image’s environment as it is when the user sets nothing', () => {
    expect(mergeEnv(['PATH=/bin', 'X=1'], [])).toEqual(['PATH=/bin', 'X=1']);
    expect(mergeEnv([], ['X=1'])).toEqual(['X=1']);
  });

  it('matches variables by their whole name, not a prefix', () => {
    expect(mergeEnv(['PATH=/bin', 'PATHEXT=x'], ['PATH=/usr/bin'])).toEqual(['PATH=/usr/bin', 'PATHEXT=x']);
  });
});

describe('createContainer', () => {
  let tmp: string;
  let p: Paths;

  beforeEach(() => {
    tmp = mkdtempSync(path.join(tmpdir(), 'minidock-create-test-'));
    p = paths({ MINIDOCK_ROOT: tmp });
  });

  afterEach(() => {
    rmSync(tmp, { recursive: true, force: true });
  });

  const request = (over: Partial<CreateRequest>): CreateRequest => ({
    image: 'busybox', cmd: ['true'], env: [], stdin: false, stage: 1,
    host: { AutoRemove: false, NetworkMode: 'bridge', PidMode: '', IpcMode: 'private', UTSMode: '', CgroupnsMode: 'private' } as HostConfig,
    ...over,
  });

  it('refuses an invalid name with docker’s message, before it creates anything', () => {
    expect(() => createContainer(p, request({ name: 'bad name!' }))).toThrow(
      'invalid container name (bad name!), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed',
    );
    expect(() => createContainer(p, request({ name: '-x' }))).toThrow('invalid container name');
    expect(existsSync(p.containers)).toBe(false);
  });

  it('refuses an image that is not in the store, before it creates anything', () => {
    expect(() => createContainer(p, request({ image: 'nosuch' }))).toThrow('no such image');
    expect(existsSync(p.containers)).toBe(false);
  });
});
