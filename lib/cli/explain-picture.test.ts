// The picture of `minidock explain`, drawn from facts made up here (no kernel needed).

import { describe, expect, it } from 'vitest';
import type { Explained } from '../container/explain.js';
import { box, renderExplain } from './explain-picture.js';

const ID = 'c0ffee'.padEnd(64, '0');
const HOME = '/var/lib/minidock/overlay2';

function facts(over: Partial<Explained> = {}): Explained {
  return {
    id: ID, name: 'web', pid: 4242, status: 'running', networkMode: 'bridge',
    namespaces: [
      { kind: 'mnt', container: 'mnt:[4026532501]', host: 'mnt:[4026531841]' },
      { kind: 'net', container: 'net:[4026531840]', host: 'net:[4026531840]' },
    ],
    cgroup: {
      version: 2, path: `/minidock/${ID}`,
      files: [
        { dir: `/sys/fs/cgroup/minidock/${ID}`, file: 'memory.max', value: '67108864' },
        { dir: `/sys/fs/cgroup/minidock/${ID}`, file: 'cpu.weight', value: '100' },
      ],
    },
    layers: {
      home: HOME, fsType: 'overlay', root: `${HOME}/m1/merged`, upper: `${HOME}/m1/diff`, work: `${HOME}/m1/work`,
      lowers: [{ link: 'l/INIT', target: `${HOME}/m1-init/diff` }, { link: 'l/BASE', target: `${HOME}/base/diff` }],
    },
    mounts: [{ type: 'volume', source: '/var/lib/minidock/volumes/data/_data', destination: '/data', rw: false, mounted: true }],
    networks: [{ network: 'bridge', ifname: 'eth0', bridge: 'minidock0', ip: '172.17.0.2', prefix: 16, gateway: '172.17.0.1', hostVeth: 'veth1234567', ports: ['0.0.0.0:8080 → 80/tcp'] }],
    ...over,
  };
}

describe('box', () => {
  it('pads every line to the widest, the edges line up', () => {
    const lines = box('t', ['a', 'longer line']);
    expect(new Set(lines.map((l) => l.length)).size).toBe(1);
    expect(lines[1]).toBe('│ a           │');
  });
});

describe('renderExplain', () => {
  const out = renderExplain(facts());

  it('shows each namespace link beside the host’s and says whether they differ', () => {
    expect(out).toMatch(/│ mnt\s+mnt:\[4026532501\]\s+mnt:\[4026531841\]\s+≠ its own/);
    expect(out).toMatch(/│ net\s+net:\[4026531840\]\s+net:\[4026531840\]\s+= shared with the host/);
  });

  it('names the cgroup, its directory once, and each file with its value', () => {
    expect(out).toContain(`cgroup v2  /minidock/${ID}`);
    expect(out.split(`/sys/fs/cgroup/minidock/${ID}/`).length).toBe(2);
    expect(out).toMatch(/memory\.max\s+67108864/);
    expect(out).toMatch(/cpu\.weight\s+100/);
  });

  it('draws the layer stack top to bottom: merged, upper, work, the init layer, the image’s layers', () => {
    const order = ['merged   m1/merged', 'upper    m1/diff', 'work     m1/work', 'l/INIT → m1-init/diff  (the init layer)', 'l/BASE → base/diff'];
    const at = order.map((s) => out.indexOf(s));
    expect(at.every((i) => i > 0)).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
  });

  it('shows volumes and the veth path from the bridge to eth0, with published ports', () => {
    expect(out).toMatch(/volume \/var\/lib\/minidock\/volumes\/data\/_data ══▶ \/data  ro/);
    expect(out).toContain('host [minidock0 172.17.0.1] ── veth1234567 ══ veth pair ══ eth0 172.17.0.2/16');
    expect(out).toContain('published 0.0.0.0:8080 → 80/tcp');
  });

  it('says what does not exist yet at a lower stage: no own cgroup, no layers, no network', () => {
    const early = renderExplain(facts({
      cgroup: { version: 1, path: '/user.slice', files: [] },
      layers: { home: '', fsType: 'ext4', root: '/var/lib/minidock/vfs/dir/x', lowers: [] },
      mounts: [], networks: [],
    }));
    expect(early).toContain('no cgroup of its own');
    expect(early).toContain('a private copy, no layers');
    expect(early).toContain('(no volumes or bind mounts)');
    expect(early).toContain('network mode bridge: no veth');
  });
});
