// Checking a learner's engine: which engine the checks drive, and what a stub's failure says.
//
// `npm run learn -- start N` writes the learner's tree to learn/ (scripts/learn/). From then on
// `npm run check:stage-N` drives learn/bin/minidock instead of bin/minidock — the checks are the
// same black-box checks (docs/design.md, principle 8), only MINIDOCK_BIN changes — and MINIDOCK_STAGE:
// the learner's engine runs at their stage (learn/.learn.json), and a check that adapts to the
// stage (stage 1 asks for --cap-add SYS_ADMIN only from stage 8 on) must know it. MINIDOCK_REFERENCE=1
// checks the reference engine again; an explicit MINIDOCK_BIN always wins.
// A stub that is reached throws todo()'s one line, "not implemented yet: exercise 3.lowerdir
// (stages/03-overlay2/README.md, "…")": that line is a better hint than the check's own.

import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface EngineChoice {
  /** the first line the runner prints */
  banner: string;
  /** variables to set before any check runs (empty: keep the environment as it is) */
  env: Record<string, string>;
  /** the learner's tree when the learner's engine is checked */
  learnDir?: string;
}

function readLearnStage(file: string): number | undefined {
  try {
    const n = (JSON.parse(readFileSync(file, 'utf8')) as { stage?: unknown }).stage;
    return typeof n === 'number' ? n : undefined;
  } catch {
    return undefined;
  }
}

/** Which engine to check, from the environment and learn/.learn.json (its existence, its stage). */
export function chooseEngine(repo: string, env: NodeJS.ProcessEnv, exists: (p: string) => boolean = existsSync, learnStage: (file: string) => number | undefined = readLearnStage): EngineChoice {
  if (env.MINIDOCK_BIN) return { banner: `checking the engine at ${env.MINIDOCK_BIN} (MINIDOCK_BIN)`, env: {} };
  const learnDir = path.join(repo, 'learn');
  const reference = `checking the reference engine: bin/minidock`;
  if (!exists(path.join(learnDir, '.learn.json'))) return { banner: reference, env: {} };
  if (env.MINIDOCK_REFERENCE === '1') return { banner: `${reference} (MINIDOCK_REFERENCE=1; yours is in learn/)`, env: {} };
  const vars: Record<string, string> = { MINIDOCK_BIN: path.join(learnDir, 'bin', 'minidock') };
  const runtime = path.join(learnDir, 'bin', 'minidock-runtime');
  if (exists(runtime)) vars.MINIDOCK_RUNTIME_BIN = runtime;
  const stage = env.MINIDOCK_STAGE ? Number(env.MINIDOCK_STAGE) : learnStage(path.join(learnDir, '.learn.json'));
  if (!env.MINIDOCK_STAGE && stage !== undefined) vars.MINIDOCK_STAGE = String(stage);
  return {
    banner: `checking your engine: learn/bin/minidock${stage !== undefined ? ` at stage ${stage}` : ''} (MINIDOCK_REFERENCE=1 npm run check:stage-N checks the reference)`,
    env: vars,
    learnDir,
  };
}

/**
 * Compile the learner's tree before checking it (tsc --incremental: only what changed), so a
 * check always runs the code the learner saved last — `learn solution --apply` or an edit in
 * an editor is never graded from a stale learn/dist. Undefined when it compiles, else tsc's
 * output, which the runner prints once instead of a column of ✘.
 */
export function compileLearner(repo: string, learnDir: string): string | undefined {
  const tsc = path.join(repo, 'node_modules', 'typescript', 'bin', 'tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', path.join(learnDir, 'tsconfig.json'), '--incremental', '--pretty', 'false'], { cwd: learnDir, encoding: 'utf8' });
  return r.status === 0 ? undefined : (r.stdout + r.stderr).trim() || `tsc exited ${r.status}`;
}

const NOT_IMPLEMENTED = /not implemented yet: exercise (\d+\.[a-z0-9-]+) \(([^)\n]*)\)/;

/** The exercise a failure reached, when its reason holds todo()'s line. */
export function notImplemented(message: string): { exercise: string; line: string } | undefined {
  const m = NOT_IMPLEMENTED.exec(message);
  return m ? { exercise: m[1], line: m[0] } : undefined;
}

/** What to print after "look at:": todo()'s line when a stub was reached, else the check's hint. */
export function hintFor(message: string | undefined, checkHint: string): string {
  const ni = notImplemented(message ?? '');
  return ni ? `${ni.line} — npm run learn -- hint ${ni.exercise}` : checkHint;
}

/** One check's last result, as learn status and learn next read it. */
export interface CheckRecord {
  stage: number;
  ok: boolean;
  at: string;
  message?: string;
}

/** The file in the learner's tree that keeps every check's last result, by check name. */
export function resultsFile(learnDir: string): string {
  return path.join(learnDir, '.checks.json');
}

export function readResults(learnDir: string): Record<string, CheckRecord> {
  try {
    return JSON.parse(readFileSync(resultsFile(learnDir), 'utf8')) as Record<string, CheckRecord>;
  } catch {
    return {};
  }
}

/** Merge this run's results into the learner's record (a --check run updates only its checks). */
export function recordResults(learnDir: string, outcomes: { stage: number; check: string; ok: boolean; message?: string }[], now = new Date()): void {
  const all = readResults(learnDir);
  for (const o of outcomes) all[o.check] = { stage: o.stage, ok: o.ok, at: now.toISOString(), ...(o.message ? { message: o.message } : {}) };
  writeFileSync(resultsFile(learnDir), JSON.stringify(all, null, 2) + '\n');
}
