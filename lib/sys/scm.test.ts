// lib/sys/scm.ts: the msghdr block for sendmsg with SCM_RIGHTS and the sockaddr_un, checked
// field by field against glibc's 64-bit layout.

import { describe, expect, it } from 'vitest';
import { cmsgLen, cmsgSpace, IOVEC_SIZE, MSGHDR_SIZE, scmRightsMessage, sockaddrUn } from './scm.js';

describe('scmRightsMessage', () => {
  const base = 0x7000_0000n;
  const data = Buffer.from('/dev/pts/0');

  it('CMSG_LEN and CMSG_SPACE as glibc computes them on 64-bit machines', () => {
    expect([cmsgLen(4), cmsgSpace(4)]).toEqual([20, 24]); // one fd: what go-runc's receiver insists on
    expect([cmsgLen(8), cmsgSpace(8)]).toEqual([24, 24]);
    expect([cmsgLen(12), cmsgSpace(12)]).toEqual([28, 32]);
  });

  it('lays out msghdr → iovec → cmsghdr(SOL_SOCKET, SCM_RIGHTS, fd) → data, with pointers into the block', () => {
    const b = scmRightsMessage(base, data, [9]);
    const iov = MSGHDR_SIZE;
    const cmsg = iov + IOVEC_SIZE;
    const at = cmsg + 24;
    expect(b.length).toBe(at + data.length);
    // msghdr: no name, one iovec, the control block and its padded size
    expect(b.readBigUInt64LE(0)).toBe(0n);
    expect(b.readBigUInt64LE(16)).toBe(base + BigInt(iov));
    expect(b.readBigUInt64LE(24)).toBe(1n);
    expect(b.readBigUInt64LE(32)).toBe(base + BigInt(cmsg));
    expect(b.readBigUInt64LE(40)).toBe(24n);
    // iovec: where the bytes are and how many
    expect(b.readBigUInt64LE(iov)).toBe(base + BigInt(at));
    expect(b.readBigUInt64LE(iov + 8)).toBe(BigInt(data.length));
    // cmsghdr: the unpadded length, level 1 (SOL_SOCKET), type 1 (SCM_RIGHTS), the fd
    expect(b.readBigUInt64LE(cmsg)).toBe(20n);
    expect([b.readInt32LE(cmsg + 8), b.readInt32LE(cmsg + 12), b.readInt32LE(cmsg + 16)]).toEqual([1, 1, 9]);
    expect(b.subarray(at).toString()).toBe('/dev/pts/0');
  });

  it('refuses an empty message: a stream socket would not carry the fd', () => {
    expect(() => scmRightsMessage(base, Buffer.alloc(0), [3])).toThrow(/at least one byte/);
  });
});

describe('sockaddrUn', () => {
  it('is AF_UNIX then the NUL-terminated path, and refuses a path the kernel could not take', () => {
    const a = sockaddrUn('/run/x.sock');
    expect(a.readUInt16LE(0)).toBe(1);
    expect(a.subarray(2, 2 + 12).toString('latin1')).toBe('/run/x.sock\0');
    expect(() => sockaddrUn('/' + 'a'.repeat(107))).toThrow(/too long/);
  });
});
