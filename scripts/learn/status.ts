// `learn status`: where the learner stands — per stage, per exercise — and what to do next.
//
//   ✔ passed    every check that grades it passed in the last run
//   ✘ checks fail  written, but a check that grades it failed in the last run
//   ✎ written   the region no longer calls todo(), its checks not run since
//   · to do     still the stub
// Stages below the one `learn start` began at hold the reference's code and are not listed.

import { isWritten, readResults, readState, stageCheckNames, stagePassed, verdict, type Lab } from './state.js';

export async function status(l: Lab, log: (s: string) => void = console.log): Promise<void> {
  const s = readState(l);
  const done = stagePassed(l, s.stage, await stageCheckNames(l.repo, s.stage));
  const results = readResults(l.dir);
  let nextStep: string | undefined;
  if (s.startStage > 0) log(`stage${s.startStage > 1 ? `s 0–${s.startStage - 1}` : " 0"}: the reference's code (you started at stage ${s.startStage})`);
  for (const stage of l.stages.filter((x) => x.n >= s.startStage && x.exercises.length > 0)) {
    const marks = stage.exercises.map((e) => {
      const written = isWritten(l, e);
      const v = verdict(e, results);
      const mark = v === 'passed' && written ? '✔ passed' : written ? (v === 'failed' ? '✘ checks fail' : '✎ written') : '· to do';
      return { e, written, v, mark };
    });
    const passed = marks.filter((m) => m.mark.startsWith('✔')).length;
    const here = stage.n === s.stage ? '  ← you are here' : stage.n > s.stage ? '  (later)' : '';
    log(`stage ${stage.n} — ${stage.dir}: ${passed}/${stage.exercises.length} passed${here}`);
    for (const m of marks) {
      const hints = s.hintsUsed[m.e.id] ?? 0;
      log(`  ${m.mark.padEnd(14)} ${m.e.id.padEnd(22)} ${m.e.title}${hints ? `  (hints ${hints}/${m.e.hints.length})` : ''}`);
    }
    if (stage.n === s.stage) {
      const todo = marks.find((m) => !m.written);
      const failing = marks.find((m) => m.v !== 'passed');
      if (done) nextStep = `stage ${s.stage} done — npm run learn -- next`;
      else if (todo) nextStep = `write ${todo.e.id} in learn/${todo.e.file} (notes: ${stage.dir}/README.md, "${todo.e.section}"), then sudo npm run learn -- watch`;
      else if (failing) nextStep = `run the checks: sudo npm run check:stage-${s.stage} (or npm run learn -- hint ${failing.e.id})`;
      else nextStep = `your exercises pass; now the whole stage: sudo npm run check:stage-${s.stage}`;
    }
  }
  log(`next: ${nextStep ?? `sudo npm run check:stage-${s.stage}`}`);
}
