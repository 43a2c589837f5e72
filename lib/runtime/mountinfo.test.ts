// lib/runtime/mountinfo.ts: mountinfo lines as proc(5) writes them, parsed into mount point, type,
// source and super options; optional fields and octal escapes in paths checked on literal lines.
import { describe, expect, it } from 'vitest';
import { parseMountinfo } from './mountinfo.js';

describe('parseMountinfo', () => {
  it('takes the mount point, type, source and super options, unescaping octal', () => {
    expect(parseMountinfo('36 31 0:32 / /a\\040b rw,relatime shared:17 - tmpfs tmpfs rw,size=4k\n')).toEqual([
      { mountPoint: '/a b', fsType: 'tmpfs', source: 'tmpfs', superOptions: ['rw', 'size=4k'] },
    ]);
  });

  it('finds the type after " - " however many optional fields come before it', () => {
    const text = '25 1 0:22 / / rw - overlay overlay rw,lowerdir=l/A\n26 25 0:23 / /proc rw shared:1 master:2 - proc proc rw\n';
    expect(parseMountinfo(text).map((m) => [m.mountPoint, m.fsType])).toEqual([['/', 'overlay'], ['/proc', 'proc']]);
  });
});
