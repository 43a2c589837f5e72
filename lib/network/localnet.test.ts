// route_localnet follows the ports published on 127.0.0.1 (recorded, not run).

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RecordingRun } from './fake.js';
import { reachableOnLoopback, setRouteLocalnet } from './localnet.js';

let procSys: string;
const file = () => path.join(procSys, 'net/ipv4/conf/minidock0/route_localnet');

beforeEach(() => {
  procSys = mkdtempSync(path.join(tmpdir(), 'minidock-localnet-test-'));
  mkdirSync(path.dirname(file()), { recursive: true });
});

afterEach(() => rmSync(procSys, { recursive: true, force: true }));

describe('reachableOnLoopback', () => {
  it.each([['', true], ['0.0.0.0', true], ['127.0.0.1', true], ['127.1.2.3', true], ['10.0.0.5', false], ['192.168.1.2', false]])(
    'says whether -p %s:… is reachable at 127.0.0.1: %s', (hostIp, want) => {
      expect(reachableOnLoopback({ hostIp })).toBe(want);
    });
});

describe('setRouteLocalnet', () => {
  it('writes the sysctl only when it changes, and not at all for a bridge that is gone', () => {
    writeFileSync(file(), '0\n');
    const r = new RecordingRun();
    setRouteLocalnet('minidock0', true, procSys, r.run);
    setRouteLocalnet('minidock0', false, procSys, r.run); // the file still says 0: nothing to do
    setRouteLocalnet('mdbr-gone', true, procSys, r.run);
    expect(r.lines()).toEqual(['sysctl -q -w net.ipv4.conf.minidock0.route_localnet=1']);
    writeFileSync(file(), '1\n');
    setRouteLocalnet('minidock0', false, procSys, r.run);
    expect(r.lines().at(-1)).toBe('sysctl -q -w net.ipv4.conf.minidock0.route_localnet=0');
  });
});
