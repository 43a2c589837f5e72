// lib/image/registry.ts, auth.ts, manifest.ts: the registry client's pure parts (upload and base
// URLs, auth challenges, platform choice, credentials in config.json), without a network.

import { describe, expect, it } from 'vitest';
import { parseChallenges } from './auth.js';
import { choosePlatform, MEDIA, type Descriptor } from './manifest.js';
import { registryBase, uploadUrl } from './registry.js';

describe('uploadUrl', () => {
  it('keeps the query a Location already carries and adds the digest to it', () => {
    const u = new URL(uploadUrl('http://127.0.0.1:5000', '/v2/app/blobs/uploads/abc?_state=xyz%3D%3D', 'sha256:00'));
    expect(u.pathname).toBe('/v2/app/blobs/uploads/abc');
    expect(u.searchParams.get('_state')).toBe('xyz==');
    expect(u.searchParams.get('digest')).toBe('sha256:00');
  });

  it('takes an absolute Location as it is, even on another host', () => {
    expect(uploadUrl('https://registry-1.docker.io', 'https://storage.example/upload/1', 'sha256:11')).toBe('https://storage.example/upload/1?digest=sha256%3A11');
  });

  it('adds nothing when no digest is given (the PATCH of a chunked upload)', () => {
    expect(uploadUrl('http://h:1', '/v2/a/blobs/uploads/u?x=1')).toBe('http://h:1/v2/a/blobs/uploads/u?x=1');
  });
});

describe('registryBase', () => {
  it("sends Docker Hub's names to registry-1.docker.io over HTTPS", () => {
    expect(registryBase('docker.io', {})).toBe('https://registry-1.docker.io');
  });

  it('uses plain HTTP only for this machine and listed insecure registries', () => {
    expect(registryBase('localhost:5000', {})).toBe('http://localhost:5000');
    expect(registryBase('127.0.0.1:5077', {})).toBe('http://127.0.0.1:5077');
    expect(registryBase('registry.example:5000', {})).toBe('https://registry.example:5000');
    expect(registryBase('registry.example:5000', { MINIDOCK_INSECURE_REGISTRIES: 'a:1, registry.example:5000' })).toBe('http://registry.example:5000');
  });
});

describe('parseChallenges', () => {
  it("reads Docker Hub's bearer challenge", () => {
    const [c] = parseChallenges('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull"');
    expect(c).toEqual({ scheme: 'bearer', params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/busybox:pull' } });
  });

  it('reads several challenges, unquoted values and escapes', () => {
    const cs = parseChallenges('Basic realm="Registry \\"Realm\\"", Bearer realm=https://t.example/token,service=reg');
    expect(cs.map((c) => c.scheme)).toEqual(['basic', 'bearer']);
    expect(cs[0].params.realm).toBe('Registry "Realm"');
    expect(cs[1].params).toEqual({ realm: 'https://t.example/token', service: 'reg' });
  });

  it('keeps commas inside a quoted scope', () => {
    const [c] = parseChallenges('Bearer realm="r",scope="repository:a:pull,push"');
    expect(c.params.scope).toBe('repository:a:pull,push');
  });

  it('returns nothing for an empty header', () => {
    expect(parseChallenges('')).toEqual([]);
  });
});

describe('choosePlatform', () => {
  const m = (os: string, architecture: string, variant?: string): Descriptor => ({ mediaType: MEDIA.ociManifest, digest: `sha256:${os}${architecture}${variant ?? ''}`, size: 1, platform: { os, architecture, ...(variant ? { variant } : {}) } });
  const list = [m('unknown', 'unknown'), m('linux', 'arm', 'v7'), m('linux', 'arm64', 'v8'), m('linux', 'amd64'), m('windows', 'amd64')];

  it("picks linux and this machine's architecture", () => {
    expect(choosePlatform(list, { os: 'linux', architecture: 'amd64' }).digest).toBe('sha256:linuxamd64');
    expect(choosePlatform(list, { os: 'linux', architecture: 'arm64' }).digest).toBe('sha256:linuxarm64v8');
  });

  it('honours a wanted variant', () => {
    const l = [m('linux', 'arm', 'v6'), m('linux', 'arm', 'v7')];
    expect(choosePlatform(l, { os: 'linux', architecture: 'arm', variant: 'v7' }).digest).toBe('sha256:linuxarmv7');
  });

  it('says which platforms there were when none fits', () => {
    expect(() => choosePlatform([m('windows', 'amd64')], { os: 'linux', architecture: 'amd64' })).toThrow(/no matching manifest for linux\/amd64.*windows\/amd64/);
  });
});

describe('credentials in config.json', () => {
  it('stores them as docker does, 0600, keeping other keys, and reads them back; logout removes them', async () => {
    const { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } = await import('node:fs');
    const os = await import('node:os');
    const path = await import('node:path');
    const { credentialsFor, storeCredentials } = await import('./auth.js');
    const dir = mkdtempSync(path.join(os.tmpdir(), 'minidock-auth-'));
    try {
      const file = path.join(dir, 'config.json');
      writeFileSync(file, JSON.stringify({ credsStore: 'none', auths: { other: { auth: 'eDp5' } } }));
      expect(storeCredentials('docker.io', { username: 'me', password: 'p:w' }, file)).toBe(false);
      const saved = JSON.parse(readFileSync(file, 'utf8'));
      expect(saved.credsStore).toBe('none');
      expect(saved.auths['https://index.docker.io/v1/'].auth).toBe(Buffer.from('me:p:w').toString('base64'));
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(credentialsFor('docker.io', file)).toEqual({ username: 'me', password: 'p:w' });
      expect(storeCredentials('docker.io', null, file)).toBe(true);
      expect(credentialsFor('docker.io', file)).toBeUndefined();
      expect(credentialsFor('other', file)).toEqual({ username: 'x', password: 'y' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
