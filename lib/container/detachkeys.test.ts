// lib/container/detachkeys.ts: --detach-keys read into bytes (docker's key names, its errors), and
// the matcher that finds the sequence in stdin chunks however they are cut.

import { describe, expect, it } from 'vitest';
import { DetachMatcher, parseDetachKeys } from './detachkeys.js';

describe('parseDetachKeys', () => {
  it('reads docker’s key names as the bytes a terminal sends', () => {
    expect(parseDetachKeys('ctrl-p,ctrl-q')).toEqual([0x10, 0x11]);
    expect(parseDetachKeys('ctrl-a,x,ctrl-@,ctrl-[,ctrl-\\,ctrl-],ctrl-^,ctrl-_')).toEqual([1, 0x78, 0, 27, 28, 29, 30, 31]);
    expect(parseDetachKeys('ctrl-Z')).toEqual([26]);
  });

  it('refuses what is not one key, naming it', () => {
    expect(() => parseDetachKeys('ctrl-p,hello')).toThrow("Invalid detach keys (ctrl-p,hello) provided: unknown character 'hello'");
    expect(() => parseDetachKeys('ctrl-1')).toThrow(/unknown character 'ctrl-1'/);
    expect(() => parseDetachKeys('')).toThrow(/unknown character ''/);
  });
});

describe('DetachMatcher', () => {
  const bytes = (s: string) => Buffer.from(s, 'latin1');
  const P = '\x10';
  const Q = '\x11';

  it('detaches on the whole sequence and never sends it; what came before in the chunk goes on', () => {
    const m = new DetachMatcher(parseDetachKeys('ctrl-p,ctrl-q'));
    expect(m.push(bytes(`ls${P}${Q}rest`))).toEqual({ forward: bytes('ls'), detach: true });
  });

  it('holds a possible start back across chunks, and detaches when the next chunk completes it', () => {
    const m = new DetachMatcher([0x10, 0x11]);
    expect(m.push(bytes(`a${P}`))).toEqual({ forward: bytes('a'), detach: false });
    expect(m.push(bytes(Q))).toEqual({ forward: bytes(''), detach: true });
  });

  it('lets a held byte through, in order, when the next one breaks the sequence', () => {
    const m = new DetachMatcher([0x10, 0x11]);
    expect(m.push(bytes(P))).toEqual({ forward: bytes(''), detach: false });
    expect(m.push(bytes('x'))).toEqual({ forward: bytes(`${P}x`), detach: false });
    // Ctrl-P Ctrl-P Ctrl-Q: the first is sent, the second starts the sequence again
    expect(m.push(bytes(`${P}${P}${Q}`))).toEqual({ forward: bytes(P), detach: true });
  });

  it('passes everything else untouched, Ctrl-C included', () => {
    const m = new DetachMatcher([0x10, 0x11]);
    expect(m.push(bytes('sleep 9\n\x03'))).toEqual({ forward: bytes('sleep 9\n\x03'), detach: false });
  });

  it('a one-key sequence detaches at once', () => {
    const m = new DetachMatcher(parseDetachKeys('ctrl-x'));
    expect(m.push(bytes('ab\x18c'))).toEqual({ forward: bytes('ab'), detach: true });
  });
});
