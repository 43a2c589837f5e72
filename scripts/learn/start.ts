// `learn start N`: the learner's tree at learn/, with every exercise of stage N and above a stub.
//
// Stages below N keep the reference's code, so a learner can begin at any stage. The tree is
// compiled at once (its own learn/dist) and its engine set to run at stage N (wrapper.ts).
// A tree that holds the learner's work is never overwritten silently: --force moves it to
// learn.bak-<time> first.

import { existsSync, readdirSync, renameSync, statSync } from 'node:fs';
import path from 'node:path';
import { buildTree, makeTree } from './tree.js';
import { hasState, LearnError, readState, stageOf, writeState, type Lab } from './state.js';
import { setEngineStage } from './wrapper.js';

/** Files under dir changed after `since` (ms), relative to dir. */
function changedSince(dir: string, since: number, rel = ''): string[] {
  if (!existsSync(path.join(dir, rel))) return [];
  return readdirSync(path.join(dir, rel), { withFileTypes: true }).flatMap((e) => {
    const r = path.join(rel, e.name);
    if (e.isDirectory()) return changedSince(dir, since, r);
    return statSync(path.join(dir, r)).mtimeMs > since ? [r] : [];
  });
}

/** The learner's edits in an existing tree: files of learn/lib written after the tree was made. */
export function edits(l: Lab): string[] {
  if (!existsSync(l.dir)) return [];
  if (!hasState(l)) return ['(a learn/ without .learn.json)'];
  return changedSince(path.join(l.dir, 'lib'), readState(l).madeAt + 1000).map((f) => `lib/${f}`);
}

export function start(l: Lab, n: number, opts: { force: boolean; now?: Date; log?: (s: string) => void }): string[] {
  const log = opts.log ?? console.log;
  const stage = stageOf(l, n);
  const changed = edits(l);
  if (changed.length > 0) {
    if (!opts.force) throw new LearnError(`learn/ holds your work (${changed.slice(0, 3).join(', ')}${changed.length > 3 ? ', …' : ''}): add --force to move it to learn.bak-<time> and start again`);
    const bak = `${l.dir}.bak-${(opts.now ?? new Date()).toISOString().replace(/[:.]/g, '-')}`;
    renameSync(l.dir, bak);
    log(`your previous tree is in ${path.relative(l.repo, bak)}/`);
  }
  log(`writing learn/: the engine with every exercise of stage ${n} and above as a stub …`);
  const stubbed = makeTree(l.repo, l.dir, (r) => r.stage >= n);
  const madeAt = Date.now();
  setEngineStage(l.dir, n);
  log('compiling it (learn/dist) …');
  try {
    buildTree(l.dir);
  } catch (e) {
    console.error((e as Error).message);
    throw new LearnError(`learn/ does not compile (tsc's output above); npm run learn:verify tells whether the stubs are at fault`);
  }
  writeState(l, { stage: n, startStage: n, hintsUsed: {}, startedAt: (opts.now ?? new Date()).toISOString(), madeAt });
  log(`learn/ is ready: ${stubbed.length} exercise(s) to write, ${stage.exercises.length} of them in stage ${n}:`);
  for (const e of stage.exercises) log(`  ${e.id.padEnd(22)} ${e.title}  (${e.file})`);
  log(`read ${stage.dir}/README.md, write the code in learn/${stage.exercises[0]?.file ?? 'lib'}, then`);
  log(`  sudo npm run check:stage-${n}     or     sudo npm run learn -- watch`);
  log('stuck? npm run learn -- hint');
  return stubbed;
}
