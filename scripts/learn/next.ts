// `learn next`: on to stage N+1 once stage N's checks pass.
//
// Nothing is regenerated: the learner's code stays, and the exercises of stage N+1 are stubs
// already (start stubbed every stage from N up). Only the stage moves — in .learn.json and in the
// engine's wrapper, so stage N+1's code (and its stubs) switch on.

import { readResults } from '../../checks/learner.js';
import { LearnError, readState, stageCheckNames, stageOf, writeState, type Lab } from './state.js';
import { setEngineStage } from './wrapper.js';

export async function next(l: Lab, log: (s: string) => void = console.log): Promise<number> {
  const s = readState(l);
  const names = (await stageCheckNames(l.repo, s.stage)) ?? stageOf(l, s.stage).exercises.flatMap((e) => e.checks);
  const results = readResults(l.dir);
  const passed = names.filter((c) => results[c]?.ok === true).length;
  if (names.length === 0 || passed < names.length) {
    throw new LearnError(`stage ${s.stage}'s checks have not all passed yet (${passed} of ${names.length}): sudo npm run check:stage-${s.stage}`);
  }
  const n = s.stage + 1;
  if (!l.stages.some((x) => x.n === n)) {
    log(`stage ${s.stage} was the last one: the whole engine is yours.`);
    return s.stage;
  }
  const stage = stageOf(l, n);
  s.stage = n;
  writeState(l, s);
  setEngineStage(l.dir, n);
  log(`stage ${n} — your engine now runs at stage ${n}. Read ${stage.dir}/README.md; the exercises:`);
  for (const e of stage.exercises) log(`  ${e.id.padEnd(22)} ${e.title}  (learn/${e.file})`);
  log(`then: sudo npm run check:stage-${n}   or   sudo npm run learn -- watch`);
  return n;
}
