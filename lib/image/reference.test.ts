// lib/image/reference.ts: image references parsed and normalized as docker does (Docker Hub names,
// registry ports, tags, digests) and refused with docker's wording.

import { describe, expect, it } from 'vitest';
import { EngineError } from '../errors.js';
import { familiarName, familiarString, fullString, parseImageRef, parseReference } from './reference.js';

const D = 'sha256:' + 'ab'.repeat(32);

describe('parseReference', () => {
  it('reads a bare name as the latest tag of an official Docker Hub image', () => {
    const r = parseReference('busybox');
    expect(r).toEqual({ domain: 'docker.io', path: 'library/busybox', tag: 'latest', digest: undefined });
    expect(familiarString(r)).toBe('busybox:latest');
    expect(fullString(r)).toBe('docker.io/library/busybox:latest');
  });

  it('reads name:tag and user/name:tag', () => {
    expect(familiarString(parseReference('busybox:1.36'))).toBe('busybox:1.36');
    const r = parseReference('team/app:v2.0-rc_1');
    expect(r.path).toBe('team/app');
    expect(r.tag).toBe('v2.0-rc_1');
    expect(familiarName(r)).toBe('team/app');
  });

  it('tells a registry port from a tag', () => {
    const r = parseReference('localhost:5000/app');
    expect(r).toMatchObject({ domain: 'localhost:5000', path: 'app', tag: 'latest' });
    expect(familiarString(parseReference('registry.example.com:5000/team/app:v1'))).toBe('registry.example.com:5000/team/app:v1');
    expect(parseReference('localhost/app:v1')).toMatchObject({ domain: 'localhost', path: 'app', tag: 'v1' });
  });

  it('normalizes the explicit Docker Hub spellings to the familiar name', () => {
    expect(familiarString(parseReference('docker.io/library/busybox'))).toBe('busybox:latest');
    expect(familiarString(parseReference('index.docker.io/busybox:1'))).toBe('busybox:1');
    expect(familiarString(parseReference('library/busybox'))).toBe('busybox:latest');
  });

  it('reads a digest, with or without a tag, and adds no latest tag to a digest', () => {
    expect(parseReference(`busybox@${D}`)).toMatchObject({ path: 'library/busybox', tag: undefined, digest: D });
    expect(familiarString(parseReference(`busybox:1@${D}`))).toBe(`busybox:1@${D}`);
  });

  it('rejects malformed references with exit code 125 and docker wording', () => {
    for (const bad of ['', ':tag', 'a:', 'a@sha256:12', '-app', 'app-', 'a//b', 'a:ta/g', 'a:.tag', 'my app', 'a:' + 't'.repeat(129)]) {
      let err: unknown;
      try {
        parseReference(bad);
      } catch (e) {
        err = e;
      }
      expect(err, bad).toBeInstanceOf(EngineError);
      expect((err as EngineError).exitCode).toBe(125);
      expect((err as EngineError).message).toMatch(/^invalid reference format/);
    }
  });

  it('says so when the only problem is capital letters', () => {
    expect(() => parseReference('BusyBox')).toThrow('invalid reference format: repository name must be lowercase');
    // but capitals in a registry host are fine
    expect(parseReference('Registry.Local/app').domain).toBe('Registry.Local');
  });

  it('refuses a 64-hex-digit name, which would be mistaken for an image ID', () => {
    expect(() => parseReference('a'.repeat(64))).toThrow(/cannot specify 64-byte hexadecimal strings/);
  });
});

describe('parseReference as docker normalizes names (a table)', () => {
  // text → the fully qualified name docker's reference.ParseNormalizedNamed gives, and the familiar one
  const table: [string, string, string][] = [
    ['busybox', 'docker.io/library/busybox:latest', 'busybox:latest'],
    ['library/busybox:1.36', 'docker.io/library/busybox:1.36', 'busybox:1.36'],
    ['docker.io/busybox', 'docker.io/library/busybox:latest', 'busybox:latest'],
    ['bitnami/redis:7', 'docker.io/bitnami/redis:7', 'bitnami/redis:7'],
    ['localhost:5000/x', 'localhost:5000/x:latest', 'localhost:5000/x:latest'],
    ['localhost/x', 'localhost/x:latest', 'localhost/x:latest'],
    ['127.0.0.1:5000/a/b/c:t', '127.0.0.1:5000/a/b/c:t', '127.0.0.1:5000/a/b/c:t'],
    ['[::1]:5000/app', '[::1]:5000/app:latest', '[::1]:5000/app:latest'],
    ['quay.io/coreos/etcd:v3.5', 'quay.io/coreos/etcd:v3.5', 'quay.io/coreos/etcd:v3.5'],
    ['a.b/c__d-e.f:T_1', 'a.b/c__d-e.f:T_1', 'a.b/c__d-e.f:T_1'],
    [`localhost:5000/x@${D}`, `localhost:5000/x@${D}`, `localhost:5000/x@${D}`],
  ];
  for (const [text, full, familiar] of table) {
    it(`reads ${text} as ${full}`, () => {
      const r = parseReference(text);
      expect(fullString(r)).toBe(full);
      expect(familiarString(r)).toBe(familiar);
    });
  }

  it('refuses what docker refuses', () => {
    for (const bad of ['a:b:c', 'localhost:5000/A', 'x/', '/x', 'a@sha256:XYZ', 'a b', 'UPPER']) expect(() => parseReference(bad), bad).toThrow(/invalid reference format/);
  });
});

describe('parseImageRef', () => {
  it('takes sha256:<hex> and 64 hex digits as image IDs only', () => {
    expect(parseImageRef(D)).toEqual({ idPrefix: 'ab'.repeat(32) });
    expect(parseImageRef('sha256:abc')).toEqual({ idPrefix: 'abc' });
    expect(parseImageRef('ab'.repeat(32))).toEqual({ idPrefix: 'ab'.repeat(32) });
  });

  it('takes a short hex string as a name first and an ID prefix second', () => {
    const r = parseImageRef('3f57d9401f8d');
    expect(r.ref && familiarString(r.ref)).toBe('3f57d9401f8d:latest');
    expect(r.idPrefix).toBe('3f57d9401f8d');
  });

  it('does not take very short or non-hex strings as ID prefixes', () => {
    expect(parseImageRef('abc').idPrefix).toBeUndefined();
    expect(parseImageRef('busybox').idPrefix).toBeUndefined();
  });
});
