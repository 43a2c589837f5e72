// learn:verify, part (a): the exercise regions in lib/ and the stages' manifests agree.
//
// Every `// #region exercise <id>` is listed by exactly one manifest, in the stage its id names,
// with the file that holds it; every manifest exercise has its region; the checks it names exist
// in that stage's checks (by exact name, as `--check` and learn watch look them up); its hint
// ladder has at least three rungs. Pure: the stages' check names come in as an argument.

import { allRegions, type StageExercises } from './tree.js';

/** Every disagreement, one line each (empty when all agree). */
export function checkConsistency(repo: string, stages: StageExercises[], checkNames: Map<number, string[]>): string[] {
  const problems: string[] = [];
  const regions = allRegions(repo);
  const listed = stages.flatMap((s) => s.exercises.map((ex) => ({ stage: s, ex })));
  for (const r of regions) {
    const where = listed.filter((x) => x.ex.id === r.id);
    if (where.length === 0) problems.push(`${r.file}:${r.start + 1}: exercise ${r.id} is in no manifest's "exercises"`);
    if (where.length > 1) problems.push(`exercise ${r.id} is listed ${where.length} times (${where.map((w) => w.stage.dir).join(', ')})`);
  }
  const seen = new Map<string, number>();
  for (const r of regions) seen.set(r.id, (seen.get(r.id) ?? 0) + 1);
  for (const [id, n] of seen) if (n > 1) problems.push(`exercise ${id} has ${n} regions in lib/`);
  for (const { stage, ex } of listed) {
    const at = `${stage.dir}/manifest.json: exercise ${ex.id}`;
    const region = regions.find((r) => r.id === ex.id);
    if (!region) problems.push(`${at}: no region "// #region exercise ${ex.id}" in lib/`);
    else if (region.file !== ex.file) problems.push(`${at}: its region is in ${region.file}, not in "file": ${ex.file}`);
    if (Number(ex.id.split('.')[0]) !== stage.n) problems.push(`${at}: the id says stage ${ex.id.split('.')[0]}, the manifest is stage ${stage.n}'s`);
    const names = checkNames.get(stage.n);
    if (!names) problems.push(`${at}: no checks/stage-${stage.n}.ts to grade it`);
    if (!ex.checks?.length) problems.push(`${at}: names no check`);
    for (const c of ex.checks ?? []) if (names && !names.includes(c)) problems.push(`${at}: no check named ${JSON.stringify(c)} in checks/stage-${stage.n}.ts`);
    if (ex.cgroup !== undefined && ex.cgroup !== 1 && ex.cgroup !== 2) problems.push(`${at}: "cgroup" is ${JSON.stringify(ex.cgroup)}, want 1 or 2`);
    if ((ex.hints?.length ?? 0) < 3) problems.push(`${at}: ${ex.hints?.length ?? 0} hint(s), want at least 3 rungs`);
  }
  return problems;
}
