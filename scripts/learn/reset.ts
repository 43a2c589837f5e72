// `learn reset ID`: make one exercise a stub again, as `learn start` wrote it.
//
// The stub is made from the reference region (its `//>` starter lines and todo()), exactly as
// tree.ts makes it; the learner's lines go to learn/.backup/ first.

import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { backupRegion } from './backup.js';
import { regionBody, replaceRegionBody, stubFile } from './regions.js';
import { exercise, learnerBody, LearnError, readState, referenceBody, type Lab } from './state.js';
import { todoImportFrom, whereTaught } from './tree.js';

/**
 * `learnerText` with region `id` stubbed from `reference` (the reference region's lines), and
 * todo's import added when the file does not have it yet.
 */
export function restub(learnerText: string, reference: string[], id: string, where: string, todoImport: string): string {
  const importLine = `import { todo } from '${todoImport}';`;
  const had = learnerText.split('\n').includes(importLine);
  const out = stubFile(replaceRegionBody(learnerText, id, reference), (r) => r.id === id, () => where, todoImport).text;
  return had ? out.replace(`${importLine}\n`, '') : out; // stubFile added a second one
}

export function reset(l: Lab, id: string, log: (s: string) => void = console.log): void {
  readState(l);
  const { ex } = exercise(l, id);
  const mine = learnerBody(l, ex);
  if (mine === undefined) throw new LearnError(`learn/${ex.file} has no region "exercise ${ex.id}" any more: put its // #region and // #endregion lines back first`);
  const saved = backupRegion(l, ex.id, mine);
  const file = path.join(l.dir, ex.file);
  const text = restub(readFileSync(file, 'utf8'), referenceBody(l, ex), ex.id, whereTaught(l.stages, ex.id), todoImportFrom(ex.file));
  writeFileSync(file, text);
  log(`exercise ${ex.id} is a stub again in learn/${ex.file}; your lines are in ${saved}`);
  log(regionBody(text, ex.id).join('\n'));
}
