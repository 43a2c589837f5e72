// The nft table of ours: which commands make, fill and empty it (recorded, not run).

import { describe, expect, it } from 'vitest';
import { RecordingRun } from './fake.js';
import { addNetworkRules, addPortRules, deleteNetworkRules, deletePortRules, deleteTableIfUnused, dnatRule, TABLE_SCRIPT } from './nat.js';

const table = (rules: object[], elem: string[] = []) => JSON.stringify({
  nftables: [{ metainfo: {} }, { table: { name: 'minidock' } }, { set: { name: 'bridges', elem } }, ...rules.map((rule) => ({ rule }))],
});
const bridgeNet = { name: 'bridge', bridge: 'minidock0', subnet: '172.17.0.0/16' };

describe('the table', () => {
  it('is created in the same transaction (nft -f) as the first rules, only when it does not exist', () => {
    const published = [{ hostIp: '', hostPort: 8080, containerPort: 80, proto: 'tcp' as const }];
    const r = new RecordingRun();
    r.answers = [['nft -j list table', { status: 1 }]];
    addPortRules('1a2b3c4d5e6f', '172.17.0.2', published, r.run);
    expect(r.lines()).toEqual(['nft -j list table ip minidock', 'nft -f -']);
    expect(r.commands[1].input?.startsWith(TABLE_SCRIPT)).toBe(true);
    const again = new RecordingRun();
    again.answers = [['nft -j list table', { stdout: table([]) }]];
    addPortRules('1a2b3c4d5e6f', '172.17.0.2', published, again.run);
    expect(again.lines()).toEqual(['nft -j list table ip minidock', 'nft -f -']);
    expect(again.commands[1].input).not.toContain('table ip minidock {');
  });

  it('hooks prerouting and output to the publish chain for the host’s own addresses only', () => {
    expect(TABLE_SCRIPT).toMatch(/hook prerouting priority dstnat;[^\n]*\n\s*fib daddr type local jump publish/);
    expect(TABLE_SCRIPT).toMatch(/hook output priority -100;[^\n]*\n\s*fib daddr type local jump publish/);
    expect(TABLE_SCRIPT).toMatch(/hook postrouting priority srcnat/);
  });

  it('drops, right after our DNAT, what arrives for 127.0.0.0/8 on anything but lo and was not DNATed (localnet.ts)', () => {
    expect(TABLE_SCRIPT).toMatch(/chain localnet \{\n\s*type filter hook prerouting priority dstnat \+ 10;[^\n]*\n\s*iifname != "lo" ip daddr 127\.0\.0\.0\/8 ct status ! dnat drop\n/);
  });

  it('is deleted only when no rule and no bridge of ours is left in it', () => {
    const busy = new RecordingRun();
    busy.answers = [['nft -j list table', { stdout: table([{ chain: 'publish', handle: 7, comment: 'container 1a2b3c4d5e6f' }]) }]];
    expect(deleteTableIfUnused(busy.run)).toBe(false);
    const empty = new RecordingRun();
    empty.answers = [['nft -j list table', { stdout: table([{ chain: 'prerouting', handle: 3 }]) }]]; // the skeleton's jump has no comment
    expect(deleteTableIfUnused(empty.run)).toBe(true);
    expect(empty.lines()).toContain('nft delete table ip minidock');
  });
});

describe('a network’s rules', () => {
  it('masquerade the subnet, the loopback case and hairpin traffic, and isolate the bridge, once', () => {
    const r = new RecordingRun();
    r.answers = [['nft -j list table', { stdout: table([]) }]];
    addNetworkRules(bridgeNet, r.run);
    // one read, one transaction (nft -f -) with every line
    expect(r.lines()).toEqual(['nft -j list table ip minidock', 'nft -f -']);
    expect(r.commands[1].input).toBe([
      'add element ip minidock bridges { minidock0 }',
      'add rule ip minidock postrouting ip saddr 172.17.0.0/16 oifname != minidock0 masquerade comment "network bridge"',
      'add rule ip minidock postrouting oifname minidock0 ip saddr 127.0.0.0/8 masquerade comment "network bridge"',
      'add rule ip minidock postrouting oifname minidock0 ip saddr 172.17.0.0/16 ct status dnat masquerade comment "network bridge"',
      'add rule ip minidock forward iifname minidock0 oifname @bridges oifname != minidock0 drop comment "network bridge"',
      '',
    ].join('\n'));
    const none = new RecordingRun();
    none.answers = [['nft -j list table', { status: 1 }]];
    addNetworkRules(bridgeNet, none.run);
    expect(none.lines()).toEqual(['nft -j list table ip minidock', 'nft -f -']); // the table comes in the same transaction
    expect(none.commands[1].input?.startsWith(TABLE_SCRIPT)).toBe(true);
    const again = new RecordingRun();
    again.answers = [['nft -j list table', { stdout: table([{ chain: 'postrouting', handle: 9, comment: 'network bridge' }], ['minidock0']) }]];
    addNetworkRules(bridgeNet, again.run);
    expect(again.lines()).toEqual(['nft -j list table ip minidock']);
  });

  it('are deleted by handle, with the bridge’s set element, leaving other networks’ rules alone', () => {
    const r = new RecordingRun();
    r.answers = [['nft -j list table', { stdout: table([
      { chain: 'postrouting', handle: 9, comment: 'network bridge' },
      { chain: 'forward', handle: 12, comment: 'network bridge' },
      { chain: 'postrouting', handle: 20, comment: 'network other' },
    ], ['minidock0', 'mdbr-0123456789']) }]];
    deleteNetworkRules(bridgeNet, r.run);
    expect(r.lines().slice(1)).toEqual(['nft -f -']);
    expect(r.commands[1].input).toBe('delete rule ip minidock postrouting handle 9\ndelete rule ip minidock forward handle 12\ndelete element ip minidock bridges { minidock0 }\n');
  });

  it('go one by one when the transaction fails (a rule someone else deleted meanwhile)', () => {
    const r = new RecordingRun();
    r.answers = [
      ['nft -j list table', { stdout: table([{ chain: 'postrouting', handle: 9, comment: 'network bridge' }, { chain: 'forward', handle: 12, comment: 'network bridge' }]) }],
      ['nft -f -', { status: 1 }],
    ];
    deleteNetworkRules({ name: 'bridge', bridge: 'minidock0' }, r.run);
    expect(r.lines().slice(2)).toEqual(['nft delete rule ip minidock postrouting handle 9', 'nft delete rule ip minidock forward handle 12']);
  });
});

describe('published ports', () => {
  it('become DNAT rules to the container’s address, on every host address or one', () => {
    expect(dnatRule({ proto: 'tcp', hostIp: '', hostPort: 8080, containerPort: 80 }, '172.17.0.2').join(' ')).toBe('tcp dport 8080 dnat to 172.17.0.2:80');
    expect(dnatRule({ proto: 'udp', hostIp: '127.0.0.1', hostPort: 5353, containerPort: 53 }, '172.17.0.2').join(' ')).toBe('ip daddr 127.0.0.1 udp dport 5353 dnat to 172.17.0.2:53');
  });

  it('are tagged with the container’s short ID and removed by it', () => {
    const id = '1a2b3c4d5e6f' + '0'.repeat(52);
    const add = new RecordingRun();
    add.answers = [['nft -j list table', { stdout: table([]) }]];
    addPortRules(id, '172.17.0.2', [{ proto: 'tcp', hostIp: '', hostPort: 8080, containerPort: 80 }], add.run);
    expect(add.lines()).toEqual(['nft -j list table ip minidock', 'nft -f -']);
    expect(add.commands[1].input).toBe('add rule ip minidock publish tcp dport 8080 dnat to 172.17.0.2:80 comment "container 1a2b3c4d5e6f"\n');
    const del = new RecordingRun();
    del.answers = [['nft -j list table', { stdout: table([
      { chain: 'publish', handle: 30, comment: 'container 1a2b3c4d5e6f' },
      { chain: 'publish', handle: 31, comment: 'container ffffffffffff' },
    ]) }]];
    deletePortRules(id, del.run);
    expect(del.lines().slice(1)).toEqual(['nft -f -']);
    expect(del.commands[1].input).toBe('delete rule ip minidock publish handle 30\n');
  });

  it('need nothing when there is no table (the container published nothing)', () => {
    const r = new RecordingRun();
    r.answers = [['nft -j list table', { status: 1 }]];
    deletePortRules('a'.repeat(64), r.run);
    expect(r.lines()).toEqual(['nft -j list table ip minidock']);
  });
});
