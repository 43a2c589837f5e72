// scripts/learn/verify.ts (learn:verify): regions and manifests agree, the stubbed trees typecheck,
// and what this host can grade; on fixture repositories in temporary directories.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkConsistency } from './consistency.js';
import { hostCgroupVersion, provableHere } from './proof.js';
import { loadExercises, type Exercise } from './tree.js';
import { typecheckStages } from './typecheck.js';

// A tiny repository: lib/todo.ts, one file with one exercise region, one stage's manifest.
const CHECK = 'the answer is 42';
const exercise = (over: Partial<Exercise> = {}): Exercise => ({
  id: '1.answer', title: 'the answer', file: 'lib/answer.ts', section: 'Answers', checks: [CHECK], hints: ['the notes', 'the calls', 'pseudo code'], ...over,
});

function fixture(region: string[], after: string[], exercises: Exercise[]): string {
  const repo = mkdtempSync(path.join(tmpdir(), 'verify-fixture-'));
  const write = (rel: string, text: string) => {
    mkdirSync(path.dirname(path.join(repo, rel)), { recursive: true });
    writeFileSync(path.join(repo, rel), text);
  };
  write('package.json', '{ "type": "module" }\n');
  write('tsconfig.json', JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, types: [] }, include: ['lib/**/*.ts'] }));
  write('lib/todo.ts', 'export function todo(exercise: string, where: string): never {\n  throw new Error(`not implemented yet: exercise ${exercise} (${where})`);\n}\n');
  write('lib/answer.ts', ['export function answer(): number {', '  // #region exercise 1.answer', ...region, '  // #endregion', ...after, '}', ''].join('\n'));
  write('stages/01-answers/manifest.json', JSON.stringify({ n: 1, title: 'answers', exercises }));
  return repo;
}

let repo: string | undefined;
afterEach(() => repo && rmSync(repo, { recursive: true, force: true }));

describe('learn:verify (a): regions and manifests agree', () => {
  it('finds nothing wrong when the manifest lists the region with real checks and three hints', () => {
    repo = fixture(['  return 42;'], [], [exercise()]);
    expect(checkConsistency(repo, loadExercises(repo), new Map([[1, [CHECK]]]))).toEqual([]);
  });

  it('fails when a region in lib/ is missing from every manifest', () => {
    repo = fixture(['  return 42;'], [], []);
    expect(checkConsistency(repo, loadExercises(repo), new Map([[1, [CHECK]]]))).toEqual(['lib/answer.ts:2: exercise 1.answer is in no manifest\'s "exercises"']);
  });

  it('fails on a manifest exercise without its region, an unknown check, and too few hints', () => {
    repo = fixture(['  return 42;'], [], [exercise(), exercise({ id: '1.ghost', checks: ['no such check'], hints: ['one'] })]);
    expect(checkConsistency(repo, loadExercises(repo), new Map([[1, [CHECK]]]))).toEqual([
      'stages/01-answers/manifest.json: exercise 1.ghost: no region "// #region exercise 1.ghost" in lib/',
      'stages/01-answers/manifest.json: exercise 1.ghost: no check named "no such check" in checks/stage-1.ts',
      'stages/01-answers/manifest.json: exercise 1.ghost: 1 hint(s), want at least 3 rungs',
    ]);
  });
});

// the first typecheck loads TypeScript's lib files: seconds, more when the machine is busy
describe('learn:verify (b): the stubbed trees typecheck', { timeout: 60_000 }, () => {
  it('passes a stub that ends its function (todo() returns never, so no return is missing)', () => {
    repo = fixture(['  //> const base = 40;', '  return 42;'], [], [exercise()]);
    const [r] = typecheckStages(repo, [1]);
    expect(r).toMatchObject({ stage: 1, stubbed: 1, errors: [] });
  });

  it('fails when a stub stops compiling: the region declares a name used after it', () => {
    repo = fixture(['  const n = 42;'], ['  return n;'], [exercise()]);
    const [r] = typecheckStages(repo, [1]);
    expect(r.errors.join('\n')).toMatch(/lib\/answer\.ts\(\d+,\d+\): error TS2304: Cannot find name 'n'/);
  });
});

describe('learn:verify (c): what this host can grade', () => {
  it('reads the host’s cgroup version from the unified tree at /sys/fs/cgroup', () => {
    expect(hostCgroupVersion((f) => f === '/sys/fs/cgroup/cgroup.controllers')).toBe(2);
    expect(hostCgroupVersion(() => false)).toBe(1);
  });

  it('skips a cgroup-v2-only exercise on a v1 host, and the reverse, and tries every other one', () => {
    expect(provableHere({ cgroup: 2 }, 1)).toBe(false);
    expect(provableHere({ cgroup: 1 }, 2)).toBe(false);
    expect(provableHere({ cgroup: 2 }, 2)).toBe(true);
    expect(provableHere({}, 1)).toBe(true);
  });
});
