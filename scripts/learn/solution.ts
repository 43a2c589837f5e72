// `learn solution ID [--apply] [--yes]`: the reference code of one exercise.
//
// The reference is the region's body in the repository's own lib/ file (the finished engine).
// Reading it before trying spoils the exercise, so it asks first — unless the exercise's stage
// already passed its checks, or --yes says so. --apply writes it into the learner's file in
// place of their region (their lines are kept in learn/.backup/ first).

import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { confirm } from './ask.js';
import { backupRegion } from './backup.js';
import { replaceRegionBody } from './regions.js';
import { exercise, learnerBody, LearnError, readState, referenceBody, stagePassed, stageCheckNames, type Lab } from './state.js';

export async function solution(l: Lab, id: string, opts: { apply: boolean; yes: boolean; ask?: typeof confirm; log?: (s: string) => void }): Promise<void> {
  const log = opts.log ?? console.log;
  readState(l);
  const { stage, ex } = exercise(l, id);
  if (!opts.yes && !stagePassed(l, stage.n, await stageCheckNames(l.repo, stage.n))) {
    const answer = await (opts.ask ?? confirm)(`show the reference solution of ${ex.id} (${ex.title})?`);
    if (answer === undefined) throw new LearnError(`no terminal to ask whether to show the solution of ${ex.id}: add --yes`);
    if (!answer) {
      log('not shown. npm run learn -- hint shows the next hint instead.');
      return;
    }
  }
  const reference = referenceBody(l, ex);
  log(`reference solution of ${ex.id} — ${ex.title} (${ex.file}):`);
  log(reference.join('\n'));
  if (!opts.apply) {
    log(`to put it into learn/${ex.file}: npm run learn -- solution ${ex.id} --apply`);
    return;
  }
  const mine = learnerBody(l, ex);
  if (mine === undefined) throw new LearnError(`learn/${ex.file} has no region "exercise ${ex.id}" any more: put its // #region and // #endregion lines back, or npm run learn -- reset ${ex.id} after restoring them`);
  const saved = backupRegion(l, ex.id, mine);
  const file = path.join(l.dir, ex.file);
  writeFileSync(file, replaceRegionBody(readFileSync(file, 'utf8'), ex.id, reference));
  log(`applied to learn/${ex.file}; your lines are in ${saved}`);
}
