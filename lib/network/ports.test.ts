// Published ports: docker's -p syntax, the host-port table, and host sockets in /proc/net/tcp.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { paths, type Paths } from '../paths.js';
import { exposedPorts, formatPublished, listening, parsePublish, portBindings, portMap, readReservations, releasePorts, reservePorts } from './ports.js';

describe('parsePublish', () => {
  it('reads hostPort:containerPort, with tcp by default', () => {
    expect(parsePublish('8080:80')).toEqual({ '80/tcp': [{ HostIp: '', HostPort: '8080' }] });
  });

  it('reads a host address, an empty host port (any free one), and /udp', () => {
    expect(parsePublish('127.0.0.1:8080:80')).toEqual({ '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '8080' }] });
    expect(parsePublish('127.0.0.1::80')).toEqual({ '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] });
    expect(parsePublish('53/udp')).toEqual({ '53/udp': [{ HostIp: '', HostPort: '' }] });
  });

  it('pairs equal ranges port by port', () => {
    expect(parsePublish('8000-8001:80-81')).toEqual({
      '80/tcp': [{ HostIp: '', HostPort: '8000' }],
      '81/tcp': [{ HostIp: '', HostPort: '8001' }],
    });
  });

  it('refuses bad input with docker’s words', () => {
    expect(() => parsePublish('8080:http')).toThrow('invalid containerPort: http');
    expect(() => parsePublish('99999:80')).toThrow('invalid hostPort: 99999');
    expect(() => parsePublish('8080:80/sctpx')).toThrow('invalid proto: sctpx');
    expect(() => parsePublish('300.1.1.1:8080:80')).toThrow('invalid IP address: 300.1.1.1');
    expect(() => parsePublish('8000-8002:80-81')).toThrow('invalid ranges specified');
    expect(() => parsePublish('8080:')).toThrow('no port specified');
  });

  it.each([
    ['80:80/sctp', { '80/sctp': [{ HostIp: '', HostPort: '80' }] }],
    ['53/UDP', { '53/udp': [{ HostIp: '', HostPort: '' }] }],
    ['8000-8010:80', { '80/tcp': [{ HostIp: '', HostPort: '8000-8010' }] }],
    ['127.0.0.1:8000-8010:80/udp', { '80/udp': [{ HostIp: '127.0.0.1', HostPort: '8000-8010' }] }],
    ['8000-8001:80-81', { '80/tcp': [{ HostIp: '', HostPort: '8000' }], '81/tcp': [{ HostIp: '', HostPort: '8001' }] }],
    ['0.0.0.0:8080:80', { '80/tcp': [{ HostIp: '0.0.0.0', HostPort: '8080' }] }],
  ])('reads -p %s as docker does', (spec, want) => {
    expect(parsePublish(spec)).toEqual(want);
  });

  it.each([
    ['[::1]:8080:80', 'IPv6 host address ::1: minidock publishes ports on IPv4 only'],
    ['[::1]8080:80', 'invalid port format'],
    ['8080:80/icmp', 'invalid proto: icmp'],
    ['8000-8010:80-81', 'invalid ranges specified for container and host Ports: 80-81 and 8000-8010'],
    ['8010-8000:80', 'invalid hostPort: 8010-8000'],
    ['1.2.3.4:5:6:7', 'invalid port format'],
  ])('refuses -p %s with one clear line', (spec, message) => {
    expect(() => parsePublish(spec)).toThrow(message);
  });

  it('gathers several -p flags, the same container port twice included', () => {
    expect(portBindings(['8080:80', '127.0.0.1:9090:80'])).toEqual({ '80/tcp': [{ HostIp: '', HostPort: '8080' }, { HostIp: '127.0.0.1', HostPort: '9090' }] });
  });
});

describe('exposedPorts and portMap', () => {
  it('merges the image’s ExposedPorts with --expose/-p, and omits the field when there are none', () => {
    expect(exposedPorts({ ExposedPorts: { '80/tcp': {} } }, ['53/udp'])).toEqual({ ExposedPorts: { '80/tcp': {}, '53/udp': {} } });
    expect(exposedPorts({}, [])).toEqual({});
  });

  it('shows published ports as inspect does, exposed-only ones as null', () => {
    const pub = [{ proto: 'tcp' as const, hostIp: '', hostPort: 8080, containerPort: 80 }];
    expect(portMap(pub, ['80/tcp', '443/tcp'])).toEqual({ '80/tcp': [{ HostIp: '0.0.0.0', HostPort: '8080' }], '443/tcp': null });
    expect(formatPublished(pub[0])).toBe('0.0.0.0:8080->80/tcp');
  });
});

describe('reservePorts', () => {
  let root: string;
  let proc: string;
  let p: Paths;
  const saved = process.env.MINIDOCK_ROOT;
  const header = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n';

  beforeEach(() => {
    root = mkdtempSync(path.join(tmpdir(), 'minidock-ports-test-'));
    process.env.MINIDOCK_ROOT = root;
    p = paths();
    // a fake /proc: the ephemeral range, and a host process listening on 127.0.0.1:9999
    proc = path.join(root, 'proc');
    mkdirSync(path.join(proc, 'sys/net/ipv4'), { recursive: true });
    mkdirSync(path.join(proc, 'net'), { recursive: true });
    writeFileSync(path.join(proc, 'sys/net/ipv4/ip_local_port_range'), '40000\t40002\n');
    writeFileSync(path.join(proc, 'net/tcp'), header + '   0: 0100007F:270F 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0 100 0 0 10 0\n');
  });

  afterEach(() => {
    process.env.MINIDOCK_ROOT = saved;
    rmSync(root, { recursive: true, force: true });
  });

  it('takes the first free port of a host range (-p 9998-10000:80), skipping held and listened ones', () => {
    reservePorts(p, 'aaaa', parsePublish('9998:80'), [], proc);
    // 9998 is held by aaaa, 9999 has a host listener: 10000 is the one
    expect(reservePorts(p, 'bbbb', parsePublish('9998-10000:80'), [], proc)).toEqual([{ proto: 'tcp', hostIp: '', hostPort: 10000, containerPort: 80 }]);
    expect(() => reservePorts(p, 'cccc', parsePublish('9998-10000:80'), [], proc)).toThrow('Bind for 0.0.0.0:9998-10000 failed: port is already allocated');
  });

  it('reserves a fixed host port, and refuses it to a second container', () => {
    const got = reservePorts(p, 'aaaa', parsePublish('8080:80'), [], proc);
    expect(got).toEqual([{ proto: 'tcp', hostIp: '', hostPort: 8080, containerPort: 80 }]);
    expect(() => reservePorts(p, 'bbbb', parsePublish('8080:80'), [], proc)).toThrow('Bind for 0.0.0.0:8080 failed: port is already allocated');
    expect(() => reservePorts(p, 'bbbb', parsePublish('127.0.0.1:8080:80'), [], proc)).toThrow('port is already allocated');
    // another protocol is another port
    expect(reservePorts(p, 'bbbb', parsePublish('8080:80/udp'), [], proc)).toHaveLength(1);
  });

  it('refuses a port a host process listens on (read from /proc/net/tcp)', () => {
    expect(listening(proc, { proto: 'tcp', hostIp: '', hostPort: 9999, containerPort: 80 })).toBe(true);
    expect(() => reservePorts(p, 'aaaa', parsePublish('9999:80'), [], proc)).toThrow('listen tcp4 0.0.0.0:9999: bind: address already in use');
  });

  it('picks the lowest free port of the ephemeral range for -P and for an empty host port', () => {
    reservePorts(p, 'aaaa', parsePublish('40000:80'), [], proc);
    expect(reservePorts(p, 'bbbb', {}, ['80/tcp', '443/tcp'], proc).map((x) => x.hostPort)).toEqual([40001, 40002]);
    expect(() => reservePorts(p, 'cccc', parsePublish('80'), [], proc)).toThrow('no free host port in 40000-40002');
  });

  it('releases a container’s ports and nobody else’s', () => {
    reservePorts(p, 'aaaa', parsePublish('8080:80'), [], proc);
    reservePorts(p, 'bbbb', parsePublish('8081:80'), [], proc);
    releasePorts(p, 'aaaa');
    expect(readReservations(p).map((r) => [r.container, r.hostPort])).toEqual([['bbbb', 8081]]);
    expect(reservePorts(p, 'cccc', parsePublish('8080:80'), [], proc)).toHaveLength(1);
  });
});
