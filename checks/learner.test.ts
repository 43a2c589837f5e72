// checks/learner.ts: which engine the checks drive (reference, learn/ tree, MINIDOCK_BIN), a
// failure's hint, and results kept across runs; with a fake file test and a temporary directory.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { chooseEngine, hintFor, notImplemented, readResults, recordResults } from './learner.js';

const repo = '/repo';
const withLearn = (p: string) => p === '/repo/learn/.learn.json' || p === '/repo/learn/bin/minidock-runtime';

describe('chooseEngine', () => {
  it('checks the reference engine when there is no learn/ tree', () => {
    const c = chooseEngine(repo, {}, () => false);
    expect(c.banner).toContain('reference engine: bin/minidock');
    expect(c.env).toEqual({});
  });

  it("checks the learner's engine and runtime at the learner's stage when learn/.learn.json exists", () => {
    const c = chooseEngine(repo, {}, withLearn, () => 3);
    expect(c.banner).toContain('your engine: learn/bin/minidock at stage 3');
    expect(c.env).toEqual({ MINIDOCK_BIN: '/repo/learn/bin/minidock', MINIDOCK_RUNTIME_BIN: '/repo/learn/bin/minidock-runtime', MINIDOCK_STAGE: '3' });
    expect(c.learnDir).toBe('/repo/learn');
  });

  it('keeps a MINIDOCK_STAGE the caller set (the controls, learn:verify)', () => {
    const c = chooseEngine(repo, { MINIDOCK_STAGE: '2' }, withLearn, () => 3);
    expect(c.env.MINIDOCK_STAGE).toBeUndefined();
    expect(c.banner).toContain('at stage 2');
  });

  it('checks the reference again under MINIDOCK_REFERENCE=1', () => {
    const c = chooseEngine(repo, { MINIDOCK_REFERENCE: '1' }, withLearn);
    expect(c.banner).toContain('reference engine');
    expect(c.env).toEqual({});
  });

  it('lets an explicit MINIDOCK_BIN win over everything', () => {
    const c = chooseEngine(repo, { MINIDOCK_BIN: '/x/minidock' }, withLearn);
    expect(c.banner).toBe('checking the engine at /x/minidock (MINIDOCK_BIN)');
    expect(c.learnDir).toBeUndefined();
  });
});

describe('the hint of a failure', () => {
  const line = 'not implemented yet: exercise 3.lowerdir (stages/03-overlay2/README.md, "The lower layers")';

  it("is todo()'s line when the reason holds it, anywhere in the message", () => {
    expect(notImplemented(`minidock run exited 125: minidock: ${line}`)).toEqual({ exercise: '3.lowerdir', line });
    expect(hintFor(`exited 125\nminidock: ${line}`, 'the check hint')).toBe(`${line} — npm run learn -- hint 3.lowerdir`);
  });

  it("is the check's own hint otherwise", () => {
    expect(hintFor('expected 1, got 2', 'the check hint')).toBe('the check hint');
    expect(hintFor(undefined, 'the check hint')).toBe('the check hint');
  });
});

describe('the record of check results', () => {
  let dir: string | undefined;
  afterEach(() => dir && rmSync(dir, { recursive: true, force: true }));

  it('keeps the last result of every check across runs that select different checks', () => {
    dir = mkdtempSync(path.join(tmpdir(), 'learner-'));
    recordResults(dir, [{ stage: 1, check: 'a', ok: false, message: 'boom' }, { stage: 1, check: 'b', ok: true }]);
    recordResults(dir, [{ stage: 1, check: 'a', ok: true }]);
    const r = readResults(dir);
    expect(r.a.ok).toBe(true);
    expect(r.a.message).toBeUndefined();
    expect(r.b.ok).toBe(true);
  });
});
