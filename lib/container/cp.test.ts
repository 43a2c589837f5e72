// lib/container/cp.ts' parseCpEnd: which end of `cp` is the container's (NAME:PATH) and which the
// host's, as docker's CLI decides.

import { describe, expect, it } from 'vitest';
import { parseCpEnd } from './cp.js';

describe('parseCpEnd', () => {
  it('reads NAME:PATH as a container path, made absolute', () => {
    expect(parseCpEnd('web:/etc/hosts')).toEqual({ container: 'web', path: '/etc/hosts' });
    expect(parseCpEnd('web:tmp')).toEqual({ container: 'web', path: '/tmp' });
  });
  it('reads a path that starts with / or . as the host’s, even with a colon in it', () => {
    expect(parseCpEnd('/tmp/a:b')).toEqual({ host: '/tmp/a:b' });
    expect(parseCpEnd('./a:b')).toEqual({ host: './a:b' });
    expect(parseCpEnd('file')).toEqual({ host: 'file' });
  });
});
