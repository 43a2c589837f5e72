// `npm run learn:verify [--run] [--below]`: the exercises are sound, before any learner meets them.
//
//   (a) regions and manifests agree (consistency.ts)                        — milliseconds
//   (b) for each stage N with exercises, the tree with the stubs of stages ≥ N typechecks
//       (typecheck.ts: one in-memory Program per stage)                    — seconds; in npm test
//   (c) --run: each exercise alone a stub, its checks fail at the stub (proof.ts); --below also
//       proves the stage gate keeps the stubs of stages ≥ N unreached at stage N−1 — minutes,
//       needs root; for .ci/run, not npm test
// Prints what it found, the time each part took, and the closing line "N passed, N failed".

import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { checkConsistency } from './consistency.js';
import { copyBuilt, proveBelow, proveExercises, seedStateRoot } from './proof.js';
import { loadExercises } from './tree.js';
import { typecheckStages } from './typecheck.js';

/** The check names of every stage that has checks, from the built checks (dist/checks/stage-N.js). */
export async function loadCheckNames(repo: string): Promise<Map<number, string[]>> {
  const names = new Map<number, string[]>();
  for (let n = 0; n <= 9; n++) {
    const file = path.join(repo, 'dist', 'checks', `stage-${n}.js`);
    if (!existsSync(file)) continue;
    const mod = (await import(pathToFileURL(file).href)) as { stage: { n: number; checks: { name: string }[] } };
    names.set(mod.stage.n, mod.stage.checks.map((c) => c.name));
  }
  return names;
}

export interface Tally {
  passed: number;
  failed: number;
}

/** Parts (a) and (b): the fast ones. */
export async function verifyFast(repo: string, log: (s: string) => void = console.log, checkNames?: Map<number, string[]>): Promise<Tally> {
  const t: Tally = { passed: 0, failed: 0 };
  const stages = loadExercises(repo);
  let start = Date.now();
  const problems = checkConsistency(repo, stages, checkNames ?? (await loadCheckNames(repo)));
  const count = stages.reduce((n, s) => n + s.exercises.length, 0);
  log(`(a) regions and manifests: ${count} exercise(s), ${problems.length ? `${problems.length} problem(s)` : 'they agree'} ${Date.now() - start} ms`);
  for (const p of problems) log(`  ✘ ${p}`);
  if (problems.length) t.failed++;
  else t.passed++;

  start = Date.now();
  const withExercises = stages.filter((s) => s.exercises.length > 0).map((s) => s.n);
  if (withExercises.length === 0) {
    log('(b) stubbed trees typecheck: no stage has exercises yet');
    return t;
  }
  const results = typecheckStages(repo, withExercises);
  for (const r of results) {
    log(`  ${r.errors.length ? '✘' : '✔'} stubs of stages ≥ ${r.stage} (${r.stubbed} file(s) stubbed): ${r.errors.length ? 'does not compile' : 'compiles'} ${r.ms} ms`);
    for (const e of r.errors.slice(0, 20)) log(`      ${e}`);
    if (r.errors.length) t.failed++;
    else t.passed++;
  }
  log(`(b) stubbed trees typecheck: ${results.length} stage(s) ${Date.now() - start} ms`);
  return t;
}

/** Part (c): the stubs are reached by their checks (root; real check runs). */
export function verifyRun(repo: string, below: boolean, log: (s: string) => void = console.log): Tally {
  const t: Tally = { passed: 0, failed: 0 };
  const stages = loadExercises(repo).filter((s) => s.exercises.length > 0);
  const start = Date.now();
  seedStateRoot(repo);
  const tree = copyBuilt(repo);
  try {
    for (const s of stages) {
      log(`(c) stage ${s.n}: each exercise alone a stub, at MINIDOCK_STAGE=${s.n}`);
      for (const p of proveExercises(repo, tree, s, log)) if (!p.skipped) p.ok ? t.passed++ : t.failed++;
      if (below && s.n > 0) proveBelow(repo, tree, s.n, log).ok ? t.passed++ : t.failed++;
    }
  } finally {
    rmSync(tree, { recursive: true, force: true });
  }
  if (!below) log('(c) not proven here: the stubs of stages ≥ N unreached at stage N−1 (add --below; it runs every earlier stage\'s checks)');
  log(`(c) ${(Date.now() - start) / 1000} s`);
  return t;
}

async function main(argv: string[]): Promise<number> {
  const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
  const unknown = argv.filter((a) => a !== '--run' && a !== '--below');
  if (unknown.length) {
    console.error(`learn:verify: unknown ${unknown.join(' ')} (usage: learn:verify [--run] [--below])`);
    return 2;
  }
  const fast = await verifyFast(repo);
  const slow = argv.includes('--run') ? verifyRun(repo, argv.includes('--below')) : { passed: 0, failed: 0 };
  const passed = fast.passed + slow.passed;
  const failed = fast.failed + slow.failed;
  console.log(`${passed} passed, ${failed} failed`);
  return failed === 0 ? 0 : 1;
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e) => {
      console.error(`learn:verify: ${(e as Error).message}`);
      process.exit(1);
    },
  );
}
