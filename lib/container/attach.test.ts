// lib/container/attach.ts: attach frames carry docker's 8-byte stream header, and decode back
// however the byte stream is cut.

import { describe, expect, it } from 'vitest';
import { encodeFrame, FrameDecoder, STREAM } from './attach.js';

describe('attach frames', () => {
  it('carry docker’s 8-byte stream header: stream, three zeros, big-endian length', () => {
    expect(encodeFrame(STREAM.STDOUT, 'hi\n').toString('hex')).toBe('0100000000000003' + Buffer.from('hi\n').toString('hex'));
    expect(encodeFrame(STREAM.STDERR, Buffer.alloc(0x102)).subarray(0, 8).toString('hex')).toBe('0200000000000102');
  });

  it('decode back, whatever way the stream was cut', () => {
    const wire = Buffer.concat([encodeFrame(STREAM.STDIN, 'ls\r'), encodeFrame(STREAM.RESIZE, '{"rows":40,"columns":120}'), encodeFrame(STREAM.EXIT, '{"status":3}')]);
    for (const cut of [1, 5, 8, 9, 13, wire.length]) {
      const d = new FrameDecoder();
      const got = [];
      for (let i = 0; i < wire.length; i += cut) got.push(...d.push(wire.subarray(i, i + cut)));
      expect(got.map((f) => [f.stream, f.payload.toString()])).toEqual([
        [STREAM.STDIN, 'ls\r'],
        [STREAM.RESIZE, '{"rows":40,"columns":120}'],
        [STREAM.EXIT, '{"status":3}'],
      ]);
    }
  });
});
