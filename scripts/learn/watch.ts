// `learn watch`: compile and check the learner's engine each time a file of learn/lib is saved.
//
// Polling, not inotify: a stat of every file once a second. VirtualBox shared folders (the lab
// VM's /minidock) deliver no change events, so fs.watch would never fire there.
// On each save: compile learn/ (a compile error is shown once, as tsc prints it, and no check
// runs); then the current stage's checks alone (stages passed before are not run again), stopping
// at the first failure with its hint and the exercise that check grades; when all pass,
// "stage N done — npm run learn -- next".

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readState, stageOf, type Lab } from './state.js';

/** Every file's path, size and mtime under dir: a change to any of them changes the string. */
export function snapshot(dir: string): string {
  const parts: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else {
        const st = statSync(p, { throwIfNoEntry: false });
        if (st) parts.push(`${p}:${st.size}:${st.mtimeMs}`);
      }
    }
  };
  if (existsSync(dir)) walk(dir);
  return parts.join('\n');
}

/** Compile the learner's tree incrementally; undefined when it compiles, else tsc's output. */
export function compile(l: Lab): string | undefined {
  const tsc = path.join(l.repo, 'node_modules', 'typescript', 'bin', 'tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', path.join(l.dir, 'tsconfig.json'), '--incremental', '--pretty', 'false'], { cwd: l.dir, encoding: 'utf8' });
  return r.status === 0 ? undefined : (r.stdout + r.stderr).trim();
}

interface Outcome {
  stage: number;
  check: string;
  ok: boolean;
}

/** Run stage n's checks against the learner's engine, stopping at the first failure. */
function runChecks(l: Lab, n: number): Promise<{ code: number; outcomes: Outcome[] }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'learn-watch-'));
  const report = path.join(dir, 'report.json');
  // run.js picks the learner's engine itself when learn/.learn.json exists (checks/learner.ts),
  // and then records the results that learn status and learn next read
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const v of ['MINIDOCK_REFERENCE', 'MINIDOCK_BIN', 'MINIDOCK_RUNTIME_BIN']) delete env[v];
  const child = spawn(process.execPath, [path.join(l.repo, 'dist', 'checks', 'run.js'), '--only', String(n), '--bail', '--json', report], { cwd: l.repo, env, stdio: 'inherit' });
  return new Promise((resolve) => {
    child.on('exit', (code) => {
      const outcomes = existsSync(report) ? (JSON.parse(readFileSync(report, 'utf8')) as { outcomes: Outcome[] }).outcomes : [];
      rmSync(dir, { recursive: true, force: true });
      resolve({ code: code ?? 1, outcomes });
    });
  });
}

/** One round: compile, then check. Returns the compile error shown (to show it only once). */
export async function round(l: Lab, lastError: string | undefined, log: (s: string) => void = console.log): Promise<string | undefined> {
  const error = compile(l);
  if (error !== undefined) {
    if (error !== lastError) log(`learn: your code does not compile (tsc):\n${error}`);
    else log('learn: still the same compile error');
    return error;
  }
  const s = readState(l);
  const stage = stageOf(l, s.stage);
  log(`compiled; stage ${s.stage}'s checks against your engine:`);
  const { code, outcomes } = await runChecks(l, s.stage);
  const failed = outcomes.find((o) => !o.ok);
  if (code === 0 && !failed) log(`stage ${s.stage} done — npm run learn -- next`);
  else if (failed) {
    const ex = stage.exercises.find((e) => e.checks.includes(failed.check));
    if (ex) log(`this check grades exercise ${ex.id} — ${ex.title} (learn/${ex.file}): npm run learn -- hint ${ex.id}`);
  }
  return undefined;
}

export async function watch(l: Lab, log: (s: string) => void = console.log): Promise<never> {
  readState(l);
  const lib = path.join(l.dir, 'lib');
  let seen = snapshot(lib);
  let lastError: string | undefined;
  let busy = false;
  log(`watching learn/lib (polling each second; Ctrl-C ends)`);
  lastError = await round(l, lastError, log);
  setInterval(async () => {
    if (busy) return;
    const now = snapshot(lib);
    if (now === seen) return;
    seen = now;
    busy = true;
    try {
      log('\nsaved: compiling learn/ …');
      lastError = await round(l, lastError, log);
    } finally {
      busy = false; // a save made during the round differs from `seen`: the next tick runs again

    }
  }, 1000);
  return new Promise<never>(() => {});
}
