// npm test: everything that proves minidock works, in one run, with one closing line.
//   1. unit tests (vitest): the pure logic, no root needed
//   2. the docs build: every `<<< lib/…#region` anchor in the notes resolves and the excerpt under
//      it is current; no link, quoted section title or source path points at nothing
//   2b. learn:verify's fast part: exercise regions and manifests agree, every stubbed tree typechecks
//   3. every stage's checks, cumulative (npm run check:all)
//   4. the controls: each stage's checks against the engine one stage below must fail
// Prints "N passed, N failed" over all of them and exits 1 if anything failed.
// (npm test runs vagrant/provision.sh first, so a fresh machine gets set up.)

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const work = mkdtempSync(path.join(tmpdir(), 'minidock-test-'));

interface Tally {
  what: string;
  passed: number;
  failed: number;
  /** what failed, one line each, repeated under the summary: a log's tail then says which */
  failures: string[];
}

function step(title: string): void {
  console.log(`\n=== ${title} ===`);
}

// npm test proves the reference engine, even when a learner's learn/ tree is there
// (checks/learner.ts would otherwise check the learner's engine).
function run(cmd: string, args: string[]): number {
  return spawnSync(cmd, args, { cwd: repo, stdio: 'inherit', env: { ...process.env, MINIDOCK_REFERENCE: '1' } }).status ?? 1;
}

/** The parts of vitest's JSON report (Jest's format) read here. */
interface VitestReport {
  numPassedTests: number;
  numFailedTests: number;
  testResults: { name: string; assertionResults: { fullName: string; status: string }[] }[];
}

function unitTests(): Tally {
  step('unit tests (vitest)');
  const report = path.join(work, 'vitest.json');
  const code = run(path.join(repo, 'node_modules/.bin/vitest'), ['run', '--reporter=default', '--reporter=json', `--outputFile=${report}`]);
  if (!existsSync(report)) return { what: 'unit tests', passed: 0, failed: 1, failures: ['vitest wrote no report'] };
  const r = JSON.parse(readFileSync(report, 'utf8')) as VitestReport;
  const failures = r.testResults.flatMap((file) =>
    file.assertionResults.filter((a) => a.status === 'failed').map((a) => `${path.relative(repo, file.name)}: ${a.fullName}`),
  );
  // a run that failed outside any test (a file that does not load) still counts as a failure
  if (code !== 0 && r.numFailedTests === 0) failures.push('vitest failed outside any test (a file that does not load?)');
  return { what: 'unit tests', passed: r.numPassedTests, failed: Math.max(r.numFailedTests, failures.length), failures };
}

function docs(): Tally {
  step('docs build (anchors resolve, excerpts are current, links and section titles exist)');
  const code = run('node', [path.join(repo, 'dist/docs/build.js')]);
  return { what: 'docs build', passed: code === 0 ? 1 : 0, failed: code === 0 ? 0 : 1, failures: code === 0 ? [] : ['the docs build (its errors are above)'] };
}

function learnVerify(): Tally {
  step('learn:verify (exercise regions and manifests agree; the stubbed trees typecheck)');
  const code = run('node', [path.join(repo, 'dist/scripts/learn/verify.js')]);
  return { what: 'learn:verify', passed: code === 0 ? 1 : 0, failed: code === 0 ? 0 : 1, failures: code === 0 ? [] : ['learn:verify (its errors are above)'] };
}

function checks(target: 'all' | 'controls'): Tally {
  step(target === 'all' ? 'stage checks (npm run check:all)' : 'controls (npm run check:controls)');
  const report = path.join(work, `${target}.json`);
  run('node', [path.join(repo, 'dist/checks/run.js'), target, '--json', report]);
  const what = target === 'all' ? 'stage checks' : 'controls';
  if (!existsSync(report)) return { what, passed: 0, failed: 1, failures: [`${what}: checks/run.js wrote no report`] };
  const r = JSON.parse(readFileSync(report, 'utf8')) as { passed: number; failed: number; outcomes: { stage: number; check: string; ok: boolean; message?: string }[] };
  const failures = r.outcomes.filter((o) => !o.ok).map((o) => target === 'controls' ? `stage ${o.stage} control: ${o.check} — passes without the stage` : `stage ${o.stage}: ${o.check} — ${o.message}`);
  return { what, passed: r.passed, failed: r.failed, failures };
}

const tallies = [unitTests(), docs(), learnVerify(), checks('all'), checks('controls')];
rmSync(work, { recursive: true, force: true });
step('summary');
for (const t of tallies) console.log(`${t.what.padEnd(14)} ${t.passed} passed, ${t.failed} failed`);
const failures = tallies.flatMap((t) => t.failures);
if (failures.length > 0) console.log(`failed:\n${failures.map((f) => `  ✘ ${f}`).join('\n')}`);
const passed = tallies.reduce((n, t) => n + t.passed, 0);
const failed = tallies.reduce((n, t) => n + t.failed, 0);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
