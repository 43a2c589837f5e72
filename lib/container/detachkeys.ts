// Detach keys: the key sequence that lets go of a container's terminal without stopping it.
// docker run -it / docker attach --detach-keys (default ctrl-p,ctrl-q). Stage 7 notes, "detach keys".
//
// In raw mode every key is a byte for the container, so "let me go" has to be a sequence the
// client itself watches for in what it is about to send. docker's rule: bytes that could be the
// start of the sequence are held back; if the sequence completes, the client detaches and they
// are never sent; if the next byte breaks it, the held bytes go on, in order, with that byte.
// So one Ctrl-P reaches the container (after the next key), and Ctrl-P Ctrl-Q never does.

import { EngineError } from '../errors.js';

export const DEFAULT_DETACH_KEYS = 'ctrl-p,ctrl-q';

// #region parse-detach-keys
/**
 * "ctrl-p,ctrl-q" → [0x10, 0x11]. Each comma-separated key is one character, or ctrl- and a
 * letter (ctrl-a = 1 … ctrl-z = 26) or one of @ [ \ ] ^ _ (0, 27 … 31) — the bytes a terminal
 * sends for those keys.
 */
export function parseDetachKeys(spec: string): number[] {
  const CTRL_PUNCT = '@[\\]^_';
  const bytes = spec.split(',').map((key) => {
    if (key.length === 1) return key.charCodeAt(0);
    const m = /^ctrl-(.)$/i.exec(key);
    if (m) {
      const c = m[1].toLowerCase();
      if (c >= 'a' && c <= 'z') return c.charCodeAt(0) - 0x60;
      if (CTRL_PUNCT.includes(c)) return c === '@' ? 0 : 26 + CTRL_PUNCT.indexOf(c);
    }
    throw new EngineError(`Invalid detach keys (${spec}) provided: unknown character '${key}'`);
  });
  return bytes;
}
// #endregion

// #region detach-matcher
/** Watches the bytes typed for the detach sequence; what it returns is what the container gets. */
export class DetachMatcher {
  /** how many bytes of the sequence have been seen (and held back) so far */
  private matched = 0;

  constructor(private readonly keys: readonly number[]) {}

  /** Feed typed bytes: `forward` goes to the container; `detach` says the sequence is complete. */
  push(chunk: Buffer): { forward: Buffer; detach: boolean } {
    const out: number[] = [];
    for (const byte of chunk) {
      if (byte === this.keys[this.matched]) {
        this.matched++;
        if (this.matched === this.keys.length) return { forward: Buffer.from(out), detach: true };
        continue;
      }
      // not the sequence after all: what was held goes on first, then this byte may start it anew
      out.push(...this.keys.slice(0, this.matched));
      this.matched = 0;
      if (byte === this.keys[0]) this.matched = 1;
      else out.push(byte);
    }
    return { forward: Buffer.from(out), detach: false };
  }
}
// #endregion
