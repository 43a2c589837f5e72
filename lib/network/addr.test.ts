// IPv4 arithmetic: subnets, host ranges, overlaps, and the MAC made from an address.

import { describe, expect, it } from 'vitest';
import { contains, defaultGateway, hostRange, intToIp, ipToInt, macFor, overlaps, parseSubnet } from './addr.js';

describe('addresses as numbers', () => {
  it('turns a dotted quad into its 32-bit value and back', () => {
    expect(ipToInt('172.17.0.2')).toBe(0xac110002);
    expect(intToIp(0xac110002)).toBe('172.17.0.2');
    expect(intToIp(ipToInt('255.255.255.255'))).toBe('255.255.255.255');
  });

  it('refuses what is not an IPv4 address', () => {
    for (const bad of ['1.2.3', '1.2.3.256', 'a.b.c.d', '::1', '']) expect(() => ipToInt(bad)).toThrow('invalid IPv4 address');
  });
});

describe('subnets', () => {
  it('reads docker’s default subnet: hosts .0.1 to .255.254, gateway .0.1', () => {
    const s = parseSubnet('172.17.0.0/16');
    expect(s).toEqual({ network: '172.17.0.0', prefix: 16 });
    const { first, last } = hostRange(s);
    expect([intToIp(first), intToIp(last)]).toEqual(['172.17.0.1', '172.17.255.254']);
    expect(defaultGateway(s)).toBe('172.17.0.1');
  });

  it('refuses a CIDR whose address is not the network’s first, and one too small for a gateway and a container', () => {
    expect(() => parseSubnet('172.17.0.5/16')).toThrow('the network address is 172.17.0.0/16');
    expect(() => parseSubnet('10.0.0.0/31')).toThrow('at least a /30');
    expect(() => parseSubnet('10.0.0.0/33')).toThrow('invalid CIDR address');
    expect(() => parseSubnet('10.0.0.0')).toThrow('invalid CIDR address');
  });

  it('knows which addresses a subnet contains and when two subnets overlap', () => {
    const s = parseSubnet('10.250.0.0/30');
    expect(['10.250.0.0', '10.250.0.3'].map((ip) => contains(s, ip))).toEqual([true, true]);
    expect(contains(s, '10.250.0.4')).toBe(false);
    expect(overlaps(parseSubnet('172.17.0.0/16'), parseSubnet('172.17.42.0/24'))).toBe(true);
    expect(overlaps(parseSubnet('172.17.0.0/16'), parseSubnet('172.18.0.0/16'))).toBe(false);
  });
});

describe('macFor', () => {
  it('makes docker’s classic MAC from the address: 02:42 then the four bytes', () => {
    expect(macFor('172.17.0.2')).toBe('02:42:ac:11:00:02');
    expect(macFor('10.251.0.254')).toBe('02:42:0a:fb:00:fe');
  });
});
