// Names: --add-host lines, and the peers of a user network as hosts(5) lines.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { paths } from '../paths.js';
import { extraHostLines, peerLines, validateExtraHosts } from './hosts.js';
import { leasesFile } from './ipam.js';
import type { Network } from './store.js';

describe('extraHostLines', () => {
  it('turns name:ip into "ip<TAB>name", and host-gateway into the bridge’s address', () => {
    expect(extraHostLines(['db:10.1.2.3', 'gw:host-gateway'], '172.17.0.1')).toEqual(['10.1.2.3\tdb', '172.17.0.1\tgw']);
  });

  it('refuses an entry without a valid address', () => {
    expect(() => validateExtraHosts(['db'])).toThrow('invalid argument "db" for "--add-host" flag');
    expect(() => validateExtraHosts(['db:10.1.2'])).toThrow('invalid IP address in add-host');
  });
});

describe('peerLines', () => {
  it('lists the other lease holders with the names the engine gives, skipping itself and the gone', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'minidock-peers-test-'));
    try {
      const p = paths({ MINIDOCK_ROOT: dir });
      const net = { Id: 'n1', Name: 'lab' } as Network;
      mkdirSync(path.dirname(leasesFile(p, net.Id)), { recursive: true });
      writeFileSync(leasesFile(p, net.Id), JSON.stringify({ '172.18.0.2': 'aaa', '172.18.0.3': 'bbb', '172.18.0.4': 'ccc' }));
      const names: Record<string, string[] | null> = { bbb: ['db', 'bbb'], ccc: null };
      expect(peerLines(p, net, 'aaa', (id) => names[id] ?? null)).toEqual(['172.18.0.3\tdb bbb']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
