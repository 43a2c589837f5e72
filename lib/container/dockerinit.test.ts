// lib/container/dockerinit.ts: --init puts docker-init (tini) before the command and bind-mounts
// it; where the host's static init is found, with a fake environment and file test.

import { describe, expect, it } from 'vitest';
import { DOCKER_INIT, findDockerInit, withDockerInit } from './dockerinit.js';
import type { Spec } from '../runtime/spec.js';

const spec = { ociVersion: '1.0.2', process: { user: { uid: 0, gid: 0 }, args: ['sh', '-c', 'x'], env: [], cwd: '/' }, root: { path: '/r' }, mounts: [], linux: { namespaces: [] } } as Spec;

describe('withDockerInit', () => {
  it('runs the command behind docker-init --, as docker does', () => {
    expect(withDockerInit(spec, '/usr/bin/tini-static').process.args).toEqual([DOCKER_INIT, '--', 'sh', '-c', 'x']);
  });
  it('bind-mounts the host’s static init read-only at /sbin/docker-init', () => {
    expect(withDockerInit(spec, '/usr/bin/tini-static').mounts).toEqual([{ destination: '/sbin/docker-init', type: 'bind', source: '/usr/bin/tini-static', options: ['bind', 'ro'] }]);
  });
});

describe('findDockerInit', () => {
  it('prefers MINIDOCK_INIT_PATH, then Debian’s tini-static', () => {
    expect(findDockerInit({ MINIDOCK_INIT_PATH: '/opt/tini' }, () => true)).toBe('/opt/tini');
    expect(findDockerInit({}, (f) => f === '/usr/bin/tini-static')).toBe('/usr/bin/tini-static');
  });
  it('names the package to install when there is none', () => {
    expect(() => findDockerInit({}, () => false)).toThrow(/install the tini package/);
  });
});
