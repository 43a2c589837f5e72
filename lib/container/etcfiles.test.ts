// lib/container/etcfiles.ts: a container's hostname, hosts and resolv.conf, written from a fake
// host /etc into a temporary MINIDOCK_ROOT, and their bind mounts over the container's /etc.

import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { paths, type Paths } from '../paths.js';
import { chooseHostResolvConf, containerResolvConf, DEFAULT_HOSTS, etcMounts, hostsFile, resolvConf, rewriteInPlace } from './etcfiles.js';
import type { Container } from './state.js';

let root: string;
let p: Paths;
let etc: string;

beforeEach(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'minidock-etc-'));
  p = paths({ MINIDOCK_ROOT: root });
  etc = path.join(root, 'host-etc');
  mkdirSync(etc);
  writeFileSync(path.join(etc, 'hosts'), '127.0.0.1 localhost\n10.0.0.1 gateway\n');
  writeFileSync(path.join(etc, 'resolv.conf'), 'nameserver 127.0.0.53\noptions edns0\nsearch lab\n');
  mkdirSync(p.container('c1'), { recursive: true });
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const c = { ID: 'c1', Config: { Hostname: 'box' } } as Container;

describe('the /etc files of a container', () => {
  it("writes hosts with Docker's defaults and a line for the container only when it has an address", () => {
    expect(hostsFile('box')).toBe(DEFAULT_HOSTS.join('\n') + '\n');
    expect(hostsFile('box', { ip: '172.17.0.2', extra: ['10.1.1.1\tdb'] }).split('\n').slice(-3)).toEqual(['172.17.0.2\tbox', '10.1.1.1\tdb', '']);
  });

  it('drops loopback nameservers from the host resolv.conf, keeps the rest, and falls back to public ones', () => {
    expect(containerResolvConf('nameserver 127.0.0.53\nnameserver 10.0.0.2\nsearch lab\n')).toBe('nameserver 10.0.0.2\nsearch lab\n');
    expect(containerResolvConf('nameserver ::1\noptions edns0\n')).toBe('options edns0\nnameserver 8.8.8.8\nnameserver 8.8.4.4\n');
  });

  it('writes containers/<id>/{hostname,hosts,resolv.conf} and bind-mounts them over /etc from stage 3', () => {
    const mounts = etcMounts(p, c, { NetworkMode: 'bridge' }, 3, etc);
    expect(mounts.map((m) => [m.source, m.target, m.type])).toEqual([
      [path.join(p.container('c1'), 'resolv.conf'), '/etc/resolv.conf', 'bind'],
      [path.join(p.container('c1'), 'hostname'), '/etc/hostname', 'bind'],
      [path.join(p.container('c1'), 'hosts'), '/etc/hosts', 'bind'],
    ]);
    expect(readFileSync(path.join(p.container('c1'), 'hostname'), 'utf8')).toBe('box\n');
    expect(readFileSync(path.join(p.container('c1'), 'resolv.conf'), 'utf8')).toBe('options edns0\nsearch lab\nnameserver 8.8.8.8\nnameserver 8.8.4.4\n');
  });

  it("gives a --network host container the host's files unchanged", () => {
    etcMounts(p, c, { NetworkMode: 'host' }, 3, etc);
    expect(readFileSync(path.join(p.container('c1'), 'hosts'), 'utf8')).toBe(readFileSync(path.join(etc, 'hosts'), 'utf8'));
    expect(readFileSync(path.join(p.container('c1'), 'resolv.conf'), 'utf8')).toContain('127.0.0.53');
  });

  it('mounts nothing below stage 3', () => {
    expect(etcMounts(p, c, { NetworkMode: 'bridge' }, 2, etc)).toEqual([]);
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

describe('the host resolv.conf under systemd-resolved', () => {
  // Ubuntu's two layouts: /etc/resolv.conf → stub-resolv.conf (the stub only, the default), or
  // → /run/systemd/resolve/resolv.conf itself (the upstream servers)
  const STUB = '# This is /run/systemd/resolve/stub-resolv.conf managed by man:systemd-resolved(8).\nnameserver 127.0.0.53\noptions edns0 trust-ad\nsearch lab.example\n';
  const UPSTREAM = '# This is /run/systemd/resolve/resolv.conf managed by man:systemd-resolved(8).\nnameserver 192.168.56.2\nnameserver 10.0.2.3\nsearch lab.example\n';
  const resolvedDir = () => path.join(root, 'run', 'systemd', 'resolve');

  it('reads the upstream servers from /run/systemd/resolve/resolv.conf when /etc/resolv.conf lists only the stub', () => {
    expect(chooseHostResolvConf(STUB, UPSTREAM)).toBe(UPSTREAM);
    writeFileSync(path.join(etc, 'resolv.conf'), STUB);
    mkdirSync(resolvedDir(), { recursive: true });
    writeFileSync(path.join(resolvedDir(), 'resolv.conf'), UPSTREAM);
    etcMounts(p, c, { NetworkMode: 'bridge' }, 3, etc);
    const written = readFileSync(path.join(p.container('c1'), 'resolv.conf'), 'utf8');
    expect(written).toContain('nameserver 192.168.56.2\nnameserver 10.0.2.3');
    expect(written).not.toMatch(/127\.0\.0\.53|8\.8\.8\.8/);
  });

  it('uses /etc/resolv.conf as it is when it already lists the upstream servers (a link to resolved’s resolv.conf)', () => {
    mkdirSync(resolvedDir(), { recursive: true });
    writeFileSync(path.join(resolvedDir(), 'resolv.conf'), UPSTREAM);
    rmSync(path.join(etc, 'resolv.conf'));
    symlinkSync(path.join(resolvedDir(), 'resolv.conf'), path.join(etc, 'resolv.conf'));
    etcMounts(p, c, { NetworkMode: 'bridge' }, 3, etc);
    expect(readFileSync(path.join(p.container('c1'), 'resolv.conf'), 'utf8')).toBe(UPSTREAM);
  });

  it('falls back to the public defaults when the stub is listed but resolved’s own file is missing', () => {
    expect(chooseHostResolvConf(STUB, null)).toBe(STUB);
    writeFileSync(path.join(etc, 'resolv.conf'), STUB);
    etcMounts(p, c, { NetworkMode: 'bridge' }, 3, etc);
    expect(readFileSync(path.join(p.container('c1'), 'resolv.conf'), 'utf8')).toContain('nameserver 8.8.8.8');
  });

  it('keeps /etc/resolv.conf when it names another server beside the stub, and for --network host', () => {
    const mixed = 'nameserver 127.0.0.53\nnameserver 10.0.0.2\n';
    expect(chooseHostResolvConf(mixed, UPSTREAM)).toBe(mixed);
    writeFileSync(path.join(etc, 'resolv.conf'), STUB);
    mkdirSync(resolvedDir(), { recursive: true });
    writeFileSync(path.join(resolvedDir(), 'resolv.conf'), UPSTREAM);
    etcMounts(p, c, { NetworkMode: 'host' }, 3, etc);
    expect(readFileSync(path.join(p.container('c1'), 'resolv.conf'), 'utf8')).toBe(STUB); // the stub is reachable from the host's network
  });
});
