// `learn hint [ID]`: the next rung of an exercise's hint ladder.
//
// Each exercise has at least three rungs (its manifest's "hints"): where the notes explain it,
// then the system calls and files involved, then pseudo code. Each call shows one more rung and
// counts it in .learn.json; past the last one, the way out is `learn solution ID`.

import { exercise, isWritten, LearnError, readResults, readState, stageOf, verdict, writeState, type Lab } from './state.js';

/** Without an id: the first exercise of the current stage still to write, else the first not passed. */
export function defaultExercise(l: Lab): string {
  const s = readState(l);
  const stage = stageOf(l, s.stage);
  if (stage.exercises.length === 0) throw new LearnError(`stage ${s.stage} has no exercises`);
  const results = readResults(l.dir);
  const pick = stage.exercises.find((e) => !isWritten(l, e)) ?? stage.exercises.find((e) => verdict(e, results) !== 'passed') ?? stage.exercises[0];
  return pick.id;
}

export function hint(l: Lab, id: string | undefined, log: (s: string) => void = console.log): void {
  const s = readState(l);
  const { stage, ex } = exercise(l, id ?? defaultExercise(l));
  const used = s.hintsUsed[ex.id] ?? 0;
  log(`exercise ${ex.id} — ${ex.title} (learn/${ex.file}; notes: ${stage.dir}/README.md, "${ex.section}")`);
  if (used >= ex.hints.length) {
    log(`no more hints: all ${ex.hints.length} shown. For the reference code: npm run learn -- solution ${ex.id}`);
    return;
  }
  log(`hint ${used + 1} of ${ex.hints.length}: ${ex.hints[used]}`);
  s.hintsUsed[ex.id] = used + 1;
  writeState(l, s);
  if (used + 1 === ex.hints.length) log(`that was the last hint; next comes the solution: npm run learn -- solution ${ex.id}`);
}
