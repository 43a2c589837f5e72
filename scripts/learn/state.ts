// The learner's progress: learn/.learn.json, and where each exercise stands.
//
// `learn start N` writes the state; hint counts the rungs taken; next moves the stage on.
// Whether an exercise is done is read from the files themselves, never stored: "written" when
// the learner's region no longer calls todo(), "passed" when every check that grades it passed in
// the last check run (checks/run.ts keeps each check's last result in learn/.checks.json).

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { readResults, type CheckRecord } from '../../checks/learner.js';
import { findRegions, regionBody } from './regions.js';
import { loadExercises, type Exercise, type StageExercises } from './tree.js';

/** A mistake the learner can fix; the cli prints it as one line, `learn: <what>`, and exits 1. */
export class LearnError extends Error {}

export interface LearnState {
  /** the stage the learner works on now; the engine runs at this stage */
  stage: number;
  /** the stage `learn start` began at: everything below it is the reference's code */
  startStage: number;
  /** rungs of each exercise's hint ladder already shown */
  hintsUsed: Record<string, number>;
  startedAt: string;
  /** when the tree was written (ms): a file of learn/lib changed after it holds the learner's work */
  madeAt: number;
}

export interface Lab {
  /** the repository: the reference engine, its manifests and its built checks */
  repo: string;
  /** the learner's tree, repo/learn */
  dir: string;
  stages: StageExercises[];
}

export function lab(repo: string): Lab {
  return { repo, dir: path.join(repo, 'learn'), stages: loadExercises(repo) };
}

const stateFile = (l: Lab) => path.join(l.dir, '.learn.json');

export function hasState(l: Lab): boolean {
  return existsSync(stateFile(l));
}

export function readState(l: Lab): LearnState {
  if (!hasState(l)) throw new LearnError('no learner tree yet: npm run learn -- start 1 (or the stage you begin at)');
  return JSON.parse(readFileSync(stateFile(l), 'utf8')) as LearnState;
}

export function writeState(l: Lab, s: LearnState): void {
  writeFileSync(stateFile(l), JSON.stringify(s, null, 2) + '\n');
}

/** An exercise by id, with its stage; a LearnError names the ids there are when it is unknown. */
export function exercise(l: Lab, id: string): { stage: StageExercises; ex: Exercise } {
  for (const stage of l.stages) {
    const ex = stage.exercises.find((e) => e.id === id);
    if (ex) return { stage, ex };
  }
  const ids = l.stages.flatMap((s) => s.exercises.map((e) => e.id));
  throw new LearnError(`no exercise ${id} (there are: ${ids.join(', ') || 'none yet'})`);
}

export function stageOf(l: Lab, n: number): StageExercises {
  const s = l.stages.find((x) => x.n === n);
  if (!s) throw new LearnError(`no stage ${n} (there are: ${l.stages.map((x) => x.n).join(', ')})`);
  return s;
}

/** The learner's lines of an exercise region (undefined when the region markers are gone). */
export function learnerBody(l: Lab, ex: Exercise): string[] | undefined {
  const file = path.join(l.dir, ex.file);
  if (!existsSync(file)) return undefined;
  const text = readFileSync(file, 'utf8');
  if (!findRegions(text, ex.file).some((r) => r.id === ex.id)) return undefined;
  return regionBody(text, ex.id);
}

/** The reference solution: the region's lines in the repository's own file. */
export function referenceBody(l: Lab, ex: Exercise): string[] {
  return regionBody(readFileSync(path.join(l.repo, ex.file), 'utf8'), ex.id);
}

/** Written: the learner's region no longer calls todo() (or its markers were removed). */
export function isWritten(l: Lab, ex: Exercise): boolean {
  const body = learnerBody(l, ex);
  return body === undefined || !body.some((line) => /\btodo\(/.test(line));
}

export type Verdict = 'passed' | 'failed' | 'not run';

/** The last check run's verdict on an exercise: every check that grades it passed, or not. */
export function verdict(ex: Exercise, results: Record<string, CheckRecord>): Verdict {
  const rs = ex.checks.map((c) => results[c]);
  if (rs.some((r) => r === undefined)) return rs.some((r) => r && !r.ok) ? 'failed' : 'not run';
  return rs.every((r) => r!.ok) ? 'passed' : 'failed';
}

/**
 * Did stage n's checks all pass in the learner's last runs? `checkNames` is the stage's list
 * (from dist/checks/stage-N.js); without it, the checks its exercises name.
 */
export function stagePassed(l: Lab, n: number, checkNames?: string[]): boolean {
  const results = readResults(l.dir);
  const names = checkNames ?? stageOf(l, n).exercises.flatMap((e) => e.checks);
  return names.length > 0 && names.every((c) => results[c]?.ok === true);
}

/** The names of stage n's checks, from the repository's built checks (dist/checks/stage-N.js). */
export async function stageCheckNames(repo: string, n: number): Promise<string[] | undefined> {
  const file = path.join(repo, 'dist', 'checks', `stage-${n}.js`);
  if (!existsSync(file)) return undefined;
  const mod = (await import(file)) as { stage?: { checks: { name: string }[] } };
  return mod.stage?.checks.map((c) => c.name);
}

export { readResults };
