// learn:verify --run, part (c): each stub is reached by the checks that grade it.
//
// A tree per exercise would cost a full tsc build each (≈20 s). Part (b) already proved that the
// stubbed sources typecheck, so here a tree is the reference's dist/ copied once, with only the
// stubbed files transpiled (ts.transpileModule, milliseconds) over their reference .js.
// For each exercise of stage N, alone a stub, at MINIDOCK_STAGE=N: its checks (run.js --check)
// must fail, at least one with "not implemented yet: exercise <id>" — so the check really
// reaches the stub. With --below, the tree with every stub of stages ≥ N must also pass stage
// N−1's checks at MINIDOCK_STAGE=N−1 (the stage gate keeps the stubs unreached); that runs the
// earlier stages' whole suites, minutes per stage, so it is not on by default.
// Every real check run holds /tmp/md-checks.lock (the machine's bridge and cgroups are shared)
// and uses a private state dir.

import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import ts from 'typescript';
import { stubOverlay } from './typecheck.js';
import type { Region } from './regions.js';
import type { Exercise, StageExercises } from './tree.js';

export const LOCK = '/tmp/md-checks.lock';
export const STATE_ROOT = '/tmp/learn-verify-root';

/** The reference's built engine, copied once: dist/, bin/, package.json, node_modules linked. */
export function copyBuilt(repo: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'learn-verify-'));
  for (const item of ['dist', 'bin', 'package.json']) cpSync(path.join(repo, item), path.join(dir, item), { recursive: true });
  symlinkSync(path.join(repo, 'node_modules'), path.join(dir, 'node_modules'));
  return dir;
}

/** Put the stubbed files into the copy (transpiled); returns a function that puts the reference back. */
export function applyStubs(repo: string, tree: string, stub: (r: Region) => boolean): () => void {
  const written: string[] = [];
  for (const [abs, text] of stubOverlay(repo, stub)) {
    const js = path.join(tree, 'dist', path.relative(repo, abs)).replace(/\.ts$/, '.js');
    const out = ts.transpileModule(text, { compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, esModuleInterop: true }, fileName: abs });
    writeFileSync(js, out.outputText);
    written.push(js);
  }
  return () => {
    for (const js of written) copyFileSync(path.join(repo, path.relative(tree, js)), js);
  };
}

interface RunResult {
  code: number;
  outcomes: { check: string; ok: boolean; message?: string; hint?: string; ms: number }[];
  ms: number;
}

/** "12.3s (checks 1.2s)": the wall time, and how much of it the checks ran (the rest: the lock, start-up). */
function timing(r: RunResult): string {
  const checks = r.outcomes.reduce((n, o) => n + (o.ms ?? 0), 0);
  return `${(r.ms / 1000).toFixed(1)}s (checks ${(checks / 1000).toFixed(1)}s)`;
}

/** run.js ARGS against the tree's engine, under the lock, with the private state dir. */
export function runChecks(repo: string, tree: string, stage: number, args: string[]): RunResult {
  const report = path.join(tree, 'report.json');
  rmSync(report, { force: true });
  const env = {
    ...process.env,
    MINIDOCK_BIN: path.join(tree, 'bin', 'minidock'),
    MINIDOCK_RUNTIME_BIN: path.join(tree, 'bin', 'minidock-runtime'),
    MINIDOCK_STAGE: String(stage),
    MINIDOCK_ROOT: process.env.MINIDOCK_ROOT ?? STATE_ROOT,
  };
  const start = Date.now();
  const r = spawnSync('flock', [LOCK, process.execPath, path.join(repo, 'dist', 'checks', 'run.js'), ...args, '--json', report], { cwd: repo, env, encoding: 'utf8' });
  const outcomes = existsSync(report) ? (JSON.parse(readFileSync(report, 'utf8')) as RunResult).outcomes : [];
  return { code: r.status ?? 1, outcomes, ms: Date.now() - start };
}

/** Seed the private state dir with busybox (setup.js) when it has no image yet. */
export function seedStateRoot(repo: string): void {
  const root = process.env.MINIDOCK_ROOT ?? STATE_ROOT;
  if (existsSync(path.join(root, 'image'))) return;
  const r = spawnSync('flock', [LOCK, process.execPath, path.join(repo, 'dist', 'scripts', 'setup.js')], { cwd: repo, env: { ...process.env, MINIDOCK_ROOT: root }, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`setup of ${root} failed: ${(r.stderr || r.stdout).trim()}`);
}

export interface ExerciseProof {
  id: string;
  ok: boolean;
  /** not tried: this host cannot reach its code (see provableHere) */
  skipped?: boolean;
  why: string;
  ms: number;
}

/** The cgroup version of this host: 2 when /sys/fs/cgroup is the unified tree itself, else 1 (v1 or hybrid). */
export function hostCgroupVersion(exists: (f: string) => boolean = existsSync): 1 | 2 {
  return exists('/sys/fs/cgroup/cgroup.controllers') ? 2 : 1;
}

/**
 * Whether this host can grade the exercise: a stub of a v2-only function is never reached on a
 * v1 host (and the reverse), so its checks would pass with the stub in place and prove nothing.
 */
export function provableHere(ex: Pick<Exercise, 'cgroup'>, host: 1 | 2): boolean {
  return ex.cgroup === undefined || ex.cgroup === host;
}

/** Stage n's exercises, each alone a stub: does a check that grades it fail at the stub? */
export function proveExercises(repo: string, tree: string, stage: StageExercises, log: (s: string) => void, host: 1 | 2 = hostCgroupVersion()): ExerciseProof[] {
  return stage.exercises.map((ex) => {
    if (!provableHere(ex, host)) {
      const why = `not provable on this host (cgroup v${host}): its code runs only on cgroup v${ex.cgroup}; the unit tests of lib/runtime/cgroups grade it here`;
      log(`  – ${ex.id}: ${why}`);
      return { id: ex.id, ok: true, skipped: true, why, ms: 0 };
    }
    const restore = applyStubs(repo, tree, (r) => r.id === ex.id);
    try {
      const r = runChecks(repo, tree, stage.n, ['--only', String(stage.n), ...ex.checks.flatMap((c) => ['--check', c])]);
      const line = `not implemented yet: exercise ${ex.id}`;
      const reached = r.outcomes.filter((o) => !o.ok && `${o.message} ${o.hint}`.includes(line));
      const passed = r.outcomes.filter((o) => o.ok);
      const ok = reached.length > 0;
      const why = ok
        ? `${reached.length} of ${r.outcomes.length} check(s) fail at the stub`
        : r.outcomes.length === 0
          ? `no check ran (exit ${r.code})`
          : `no check shows "${line}" (${passed.length} pass with the stub in place${r.outcomes.find((o) => !o.ok) ? `; one fails with: ${r.outcomes.find((o) => !o.ok)!.message}` : ''})`;
      log(`  ${ok ? '✔' : '✘'} ${ex.id}: ${why} ${timing(r)}`);
      return { id: ex.id, ok, why, ms: r.ms };
    } finally {
      restore();
    }
  });
}

/** With every stub of stages ≥ n in place, the engine at stage n−1 passes stage n−1's checks. */
export function proveBelow(repo: string, tree: string, n: number, log: (s: string) => void): { ok: boolean; ms: number } {
  const restore = applyStubs(repo, tree, (r) => r.stage >= n);
  try {
    const r = runChecks(repo, tree, n - 1, [String(n - 1)]);
    const failed = r.outcomes.filter((o) => !o.ok);
    const ok = r.code === 0 && failed.length === 0 && r.outcomes.length > 0;
    log(`  ${ok ? '✔' : '✘'} stubs of stages ≥ ${n} in place, engine at stage ${n - 1}: stages 0–${n - 1}'s checks ${ok ? 'pass' : `fail (${failed.map((f) => f.check).slice(0, 2).join('; ')})`} ${timing(r)}`);
    return { ok, ms: r.ms };
  } finally {
    restore();
  }
}
