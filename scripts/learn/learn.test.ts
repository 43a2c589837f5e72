// scripts/learn: the learner's engine wrapper, learn reset, an exercise's verdict, and a whole
// session (start, hint, solution) on a fixture repository in a temporary directory.

import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { hint } from './hint.js';
import { restub } from './reset.js';
import { solution } from './solution.js';
import { start } from './start.js';
import { isWritten, lab, LearnError, readState, verdict } from './state.js';
import { status } from './status.js';
import { engineStage, withStage } from './wrapper.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const WRAPPER = '#!/bin/sh\nhere=$(dirname "$0")\nunset NODE_EXTRA_CA_CERTS\nexec node "$here/../dist/lib/cli/main.js" "$@"\n';

describe('the wrapper of the learner’s engine', () => {
  it('runs the engine at the learner’s stage unless MINIDOCK_STAGE is set, and moves with learn next', () => {
    const once = withStage(WRAPPER, 1);
    expect(once.split('\n')[3]).toBe('export MINIDOCK_STAGE=${MINIDOCK_STAGE:-1}  # learn: the stage this engine runs at');
    expect(once.split('\n')[4]).toMatch(/^exec node/);
    const twice = withStage(once, 2);
    expect(twice.match(/MINIDOCK_STAGE=/g)).toHaveLength(1);
    expect(twice).toContain('${MINIDOCK_STAGE:-2}');
  });
});

describe('restub (learn reset)', () => {
  const ref = ['  //> const x = 0;', '  return 42;'];
  const learner = "import { todo } from './todo.js';\nexport function f(): number {\n  // #region exercise 1.f\n  return 41;\n  // #endregion\n}\n";

  it('puts the stub back and keeps a single import of todo', () => {
    const out = restub(learner, ref, '1.f', 'the notes', './todo.js');
    expect(out).toBe("import { todo } from './todo.js';\nexport function f(): number {\n  // #region exercise 1.f\n  const x = 0;\n  todo(\"1.f\", \"the notes\");\n  // #endregion\n}\n");
  });

  it('adds the import of todo when the learner’s file never had one (an exercise below the start stage)', () => {
    const out = restub(learner.replace("import { todo } from './todo.js';\n", ''), ref, '1.f', 'w', './todo.js');
    expect(out.match(/import \{ todo \}/g)).toHaveLength(1);
  });
});

describe('verdict of an exercise from the last check results', () => {
  const ex = { id: '1.f', title: '', file: '', section: '', checks: ['a', 'b'], hints: [] };
  it('is passed only when every check that grades it passed', () => {
    const at = 'now';
    expect(verdict(ex, { a: { stage: 1, ok: true, at }, b: { stage: 1, ok: true, at } })).toBe('passed');
    expect(verdict(ex, { a: { stage: 1, ok: true, at }, b: { stage: 1, ok: false, at } })).toBe('failed');
    expect(verdict(ex, { a: { stage: 1, ok: true, at } })).toBe('not run');
  });
});

// A tiny repository that `learn start` can copy and compile: one exercise in stage 1.
function fixture(): string {
  const repo = mkdtempSync(path.join(tmpdir(), 'learn-fixture-'));
  const write = (rel: string, text: string) => {
    mkdirSync(path.dirname(path.join(repo, rel)), { recursive: true });
    writeFileSync(path.join(repo, rel), text);
  };
  write('package.json', '{ "type": "module" }\n');
  write('tsconfig.json', JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, types: [], outDir: 'dist', rootDir: '.' }, include: ['lib/**/*.ts'] }));
  write('lib/todo.ts', 'export function todo(exercise: string, where: string): never {\n  throw new Error(`not implemented yet: exercise ${exercise} (${where})`);\n}\n');
  write('lib/answer.ts', 'export function answer(): number {\n  // #region exercise 1.answer\n  //> const base = 40;\n  return 42;\n  // #endregion\n}\n');
  write('stages/01-answers/manifest.json', JSON.stringify({ n: 1, title: 'answers', exercises: [{ id: '1.answer', title: 'the answer', file: 'lib/answer.ts', section: 'Answers', checks: ['the answer is 42'], hints: ['rung one', 'rung two', 'rung three'] }] }));
  write('bin/minidock', WRAPPER);
  for (const d of ['checks', 'scripts', 'docs']) mkdirSync(path.join(repo, d));
  symlinkSync(path.resolve(here, '..', '..', 'node_modules'), path.join(repo, 'node_modules'));
  return repo;
}

describe('a learner’s session on a fixture repository', { timeout: 120_000 }, () => {
  let repo: string | undefined;
  afterEach(() => repo && rmSync(repo, { recursive: true, force: true }));

  it('start stubs and compiles the tree, hint climbs the ladder, solution asks, --apply restores the reference, start refuses to overwrite work', async () => {
    repo = fixture();
    const l = lab(repo);
    const out: string[] = [];
    const log = (s: string) => out.push(s);

    expect(start(l, 1, { force: false, log })).toEqual(['1.answer']);
    expect(readFileSync(path.join(l.dir, 'lib/answer.ts'), 'utf8')).toContain('  const base = 40;\n  todo("1.answer", "stages/01-answers/README.md, \\"Answers\\"");');
    expect(existsSync(path.join(l.dir, 'dist/lib/answer.js'))).toBe(true);
    expect(engineStage(l.dir)).toBe(1);
    expect(readState(l)).toMatchObject({ stage: 1, startStage: 1, hintsUsed: {} });
    expect(isWritten(l, l.stages[0].exercises[0])).toBe(false);

    for (let i = 0; i < 4; i++) hint(l, undefined, log);
    expect(out.filter((s) => s.startsWith('hint '))).toEqual(['hint 1 of 3: rung one', 'hint 2 of 3: rung two', 'hint 3 of 3: rung three']);
    expect(out.at(-1)).toBe('no more hints: all 3 shown. For the reference code: npm run learn -- solution 1.answer');
    expect(readState(l).hintsUsed['1.answer']).toBe(3);

    await expect(solution(l, '1.answer', { apply: false, yes: false, ask: async () => undefined, log })).rejects.toThrow('no terminal to ask whether to show the solution of 1.answer: add --yes');
    await solution(l, '1.answer', { apply: true, yes: false, ask: async () => true, log });
    expect(readFileSync(path.join(l.dir, 'lib/answer.ts'), 'utf8')).toContain('  //> const base = 40;\n  return 42;\n  // #endregion');
    expect(readdirSync(path.join(l.dir, '.backup'))).toHaveLength(1);
    expect(isWritten(l, l.stages[0].exercises[0])).toBe(true);

    out.length = 0;
    await status(l, log);
    expect(out.some((s) => /^ {2}✎ written +1\.answer +the answer {2}\(hints 3\/3\)$/.test(s))).toBe(true);
    expect(out.at(-1)).toBe('next: run the checks: sudo npm run check:stage-1 (or npm run learn -- hint 1.answer)');

    // the learner's edit is newer than the tree: start again must not overwrite it
    const future = new Date(Date.now() + 5000);
    utimesSync(path.join(l.dir, 'lib/answer.ts'), future, future);
    expect(() => start(l, 1, { force: false, log })).toThrow(LearnError);
    expect(() => start(l, 1, { force: false, log })).toThrow(/learn\/ holds your work \(lib\/answer\.ts\): add --force/);
    start(l, 1, { force: true, log });
    expect(readdirSync(repo).filter((f) => f.startsWith('learn.bak-'))).toHaveLength(1);
  });
});
