// Names: --add-host lines, --dns over the host's resolv.conf, and rewriting a file in place.

import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { extraHostLines, resolvConf, rewriteInPlace, validateExtraHosts } from './hosts.js';

describe('extraHostLines', () => {
  it('turns name:ip into "ip<TAB>name", and host-gateway into the bridge’s address', () => {
    expect(extraHostLines(['db:10.1.2.3', 'gw:host-gateway'], '172.17.0.1')).toEqual(['10.1.2.3\tdb', '172.17.0.1\tgw']);
  });

  it('refuses an entry without a valid address', () => {
    expect(() => validateExtraHosts(['db'])).toThrow('invalid argument "db" for "--add-host" flag');
    expect(() => validateExtraHosts(['db:10.1.2'])).toThrow('invalid IP address in add-host');
  });
});

describe('resolvConf', () => {
  const host = 'search corp.example\nnameserver 127.0.0.53\nnameserver 10.0.0.2\noptions edns0\n';

  it('keeps the host’s file minus loopback resolvers when nothing is asked', () => {
    expect(resolvConf(host, [], [])).toBe('search corp.example\nnameserver 10.0.0.2\noptions edns0\n');
  });

  it('replaces the nameservers with --dns and the search list with --dns-search', () => {
    expect(resolvConf(host, ['10.9.9.9', '10.9.9.8'], ['lab.test'])).toBe('options edns0\nnameserver 10.9.9.9\nnameserver 10.9.9.8\nsearch lab.test\n');
  });

  it('keeps a loopback resolver with --network host, where the container can reach it', () => {
    expect(resolvConf(host, [], [], false)).toContain('nameserver 127.0.0.53');
  });
});

describe('rewriteInPlace', () => {
  it('changes the text but keeps the inode, so a bind mount of the file sees the change', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'minidock-hosts-test-'));
    try {
      const file = path.join(dir, 'hosts');
      writeFileSync(file, '127.0.0.1\tlocalhost\n172.18.0.2\told-and-longer-than-the-new-text\n');
      const inode = statSync(file).ino;
      rewriteInPlace(file, '127.0.0.1\tlocalhost\n');
      expect(readFileSync(file, 'utf8')).toBe('127.0.0.1\tlocalhost\n');
      expect(statSync(file).ino).toBe(inode);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
