// lib/cli/progress.ts, lib/image/progress.ts: pull's progress, bars redrawn in place on a terminal
// or plain lines; on a fake terminal that records its writes, with a clock the test moves.

import { describe, expect, it } from 'vitest';
import { plainProgress } from '../image/progress.js';
import { progressBar, TerminalProgress } from './progress.js';

/** A fake terminal: what was written, and a clock the test moves. */
function fake() {
  const writes: string[] = [];
  let t = 0;
  const progress = new TerminalProgress({ write: (s: string) => writes.push(s) }, () => t);
  return { writes, progress, tick: (ms: number) => (t += ms) };
}

describe('progressBar', () => {
  it('draws 50 columns of = with a > head, then the sizes as docker prints them', () => {
    expect(progressBar({ current: 1_200_000, total: 3_400_000 })).toBe(`[${'='.repeat(17)}>${' '.repeat(32)}]    1.2MB/3.4MB`);
    expect(progressBar({ current: 0, total: 10 })).toBe(`[>${' '.repeat(49)}]       0B/10B`);
    expect(progressBar({ current: 10, total: 10 })).toBe(`[${'='.repeat(50)}]      10B/10B`);
    expect(progressBar({ current: 5_000 })).toBe('5kB');
  });
});

describe('TerminalProgress', () => {
  it('gives each new layer a line and rewrites an earlier one in place: cursor up, clear, text, cursor down', () => {
    const { writes, progress, tick } = fake();
    progress.line('latest: Pulling from library/busybox');
    progress.layer('aaaaaaaaaaaa', 'Pulling fs layer');
    progress.layer('bbbbbbbbbbbb', 'Pulling fs layer');
    progress.layer('aaaaaaaaaaaa', 'Downloading', { current: 1_000_000, total: 2_000_000 });
    tick(200);
    progress.layer('bbbbbbbbbbbb', 'Download complete');
    expect(writes).toEqual([
      'latest: Pulling from library/busybox\n',
      'aaaaaaaaaaaa: Pulling fs layer\n',
      'bbbbbbbbbbbb: Pulling fs layer\n',
      `\x1b[2A\r\x1b[2Kaaaaaaaaaaaa: Downloading [${'='.repeat(25)}>${' '.repeat(24)}]      1MB/2MB\r\x1b[2B`,
      '\x1b[1A\r\x1b[2Kbbbbbbbbbbbb: Download complete\r\x1b[1B',
    ]);
  });

  it('redraws a moving bar at most every 100 ms, but always a new state and the last byte', () => {
    const { writes, progress, tick } = fake();
    progress.layer('aaaaaaaaaaaa', 'Downloading', { current: 1, total: 100 });
    progress.layer('aaaaaaaaaaaa', 'Downloading', { current: 2, total: 100 }); // too soon: skipped
    tick(100);
    progress.layer('aaaaaaaaaaaa', 'Downloading', { current: 3, total: 100 });
    progress.layer('aaaaaaaaaaaa', 'Downloading', { current: 100, total: 100 }); // done: drawn
    progress.layer('aaaaaaaaaaaa', 'Verifying Checksum'); // a new state: drawn
    expect(writes.length).toBe(4);
    expect(writes[1]).toContain('3B/100B');
    expect(writes[3]).toContain('Verifying Checksum');
  });

  it('starts a new table after a plain line', () => {
    const { writes, progress } = fake();
    progress.layer('aaaaaaaaaaaa', 'Pull complete');
    progress.line('Digest: sha256:x');
    progress.layer('aaaaaaaaaaaa', 'Pushed');
    expect(writes.at(-1)).toBe('aaaaaaaaaaaa: Pushed\n');
  });
});

describe('plainProgress', () => {
  it('prints a line per finished state and nothing for bars or states in between', () => {
    const lines: string[] = [];
    const p = plainProgress((l) => lines.push(l));
    p.layer('aaaaaaaaaaaa', 'Pulling fs layer');
    p.layer('aaaaaaaaaaaa', 'Downloading', { current: 1, total: 2 });
    p.layer('aaaaaaaaaaaa', 'Verifying Checksum');
    p.layer('aaaaaaaaaaaa', 'Download complete');
    p.layer('aaaaaaaaaaaa', 'Extracting', { current: 2, total: 2 });
    p.layer('aaaaaaaaaaaa', 'Pull complete');
    p.line('Digest: sha256:x');
    expect(lines).toEqual(['aaaaaaaaaaaa: Download complete', 'aaaaaaaaaaaa: Pull complete', 'Digest: sha256:x']);
  });
});
