// lib/container/sig-proxy.ts: the signals a client receives are handed on instead of killing it,
// and handing them on ends cleanly.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { paths } from '../paths.js';
import { PROXIED_SIGNALS, proxySignals, toContainer } from './sig-proxy.js';

describe('proxySignals', () => {
  it('hands a signal this process receives to `send`, and the undo takes every handler off', async () => {
    const before = PROXIED_SIGNALS.map((s) => process.listenerCount(s));
    const got: string[] = [];
    const undo = proxySignals((sig) => got.push(sig));
    expect(PROXIED_SIGNALS.map((s) => process.listenerCount(s))).toEqual(before.map((n) => n + 1));
    process.kill(process.pid, 'SIGUSR2'); // with no handler, SIGUSR2 would end this test run
    await new Promise((r) => setTimeout(r, 100));
    expect(got).toEqual(['SIGUSR2']);
    undo();
    expect(PROXIED_SIGNALS.map((s) => process.listenerCount(s))).toEqual(before);
  });

  it('leaves the signals a client handles itself alone: SIGWINCH (resize), SIGCHLD, SIGPIPE', () => {
    for (const own of ['SIGWINCH', 'SIGCHLD', 'SIGPIPE']) expect(PROXIED_SIGNALS).not.toContain(own);
  });
});

describe('toContainer', () => {
  it('sends nothing, and does not throw, for a container that is gone', () => {
    const root = mkdtempSync(path.join(tmpdir(), 'sig-proxy-'));
    try {
      expect(() => toContainer(paths({ MINIDOCK_ROOT: root }), 'f'.repeat(64))('SIGTERM')).not.toThrow();
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
