// lib/cli/port.ts' portLines: `docker port`'s lines and its refusal, from a hand-written
// NetworkSettings.Ports map.

import { describe, expect, it } from 'vitest';
import { portLines } from './port.js';

const ports = {
  '8080/tcp': [{ HostIp: '0.0.0.0', HostPort: '9090' }],
  '80/tcp': [{ HostIp: '0.0.0.0', HostPort: '8080' }, { HostIp: '::', HostPort: '8080' }],
  '53/udp': [{ HostIp: '127.0.0.1', HostPort: '5353' }],
  '443/tcp': null, // exposed, not published
};

describe('portLines (docker port)', () => {
  it('lists every published port in port order, IPv6 hosts in brackets, exposed-only ports left out', () => {
    expect(portLines(ports, 'web')).toEqual([
      '53/udp -> 127.0.0.1:5353',
      '80/tcp -> 0.0.0.0:8080',
      '80/tcp -> [::]:8080',
      '8080/tcp -> 0.0.0.0:9090',
    ]);
  });

  it('answers one port with its host addresses only; tcp unless a protocol is given', () => {
    expect(portLines(ports, 'web', '80')).toEqual(['0.0.0.0:8080', '[::]:8080']);
    expect(portLines(ports, 'web', '53/udp')).toEqual(['127.0.0.1:5353']);
  });

  it("refuses a port that is not published with docker's message, naming the container as given", () => {
    expect(() => portLines(ports, 'web', '81')).toThrow("Error: No public port '81/tcp' published for web");
    expect(() => portLines(ports, 'web', '53')).toThrow("Error: No public port '53/tcp' published for web");
    expect(() => portLines(ports, 'web', '443/tcp')).toThrow("No public port '443/tcp'");
    expect(() => portLines(ports, 'web', 'http')).toThrow('Error: invalid port (http)');
  });

  it('prints nothing for a container without published ports', () => {
    expect(portLines({}, 'web')).toEqual([]);
  });
});
