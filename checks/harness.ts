// The check harness: what a stage's checks are made of, and the helpers they share.
//
// Checks are black-box (docs/design.md, principle 8): they drive the `minidock` command (or a
// learner's own engine, through MINIDOCK_BIN) and read the kernel's state from the host:
// /proc/<pid>/ns/*, mountinfo, cgroupfs, the state directory. They never import lib/.
// Everything a check creates is named with PREFIX, so it removes only what it made and
// tolerates the containers and images a learner already has.

import { readFileSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { $ } from 'zx';

export interface Check {
  /** what is being proven, as a sentence */
  name: string;
  /** where to look when it fails: the file, the kernel fact, the notes section */
  hint: string;
  run(ctx: Context): Promise<void>;
  /**
   * A heavy check's quick variant: a later stage's cumulative run (`run.js N` repeats the stages
   * below N) takes it instead, so that run proves the same mechanism still works in seconds. The
   * full check runs in its own stage (`run.js N`, `--only N`), in `all` (npm test, CI) and in the
   * controls; `--full` makes cumulative runs take it too.
   */
  quick?: { name: string; run(ctx: Context): Promise<void> };
}

/**
 * What runs for `check` in stage `stage` of a run: its quick variant when the run repeats that
 * stage below the one it proves (`quickBelow`: the target of a cumulative `run.js N`; -Infinity
 * for `all`, `--only`, the controls and `--full`), else the check itself.
 */
export function variantFor(check: Check, stage: number, quickBelow: number): Check {
  if (!check.quick || stage >= quickBelow) return check;
  return { name: check.quick.name, hint: check.hint, run: check.quick.run };
}

export interface Stage {
  n: number;
  title: string;
  checks: Check[];
}

export interface Context {
  /** the engine's stage gate for this run (controls run stage N's checks at N-1) */
  env: NodeJS.ProcessEnv;
  /** a unique name for something this check creates */
  name(what: string): string;
}

export const PREFIX = 'mdcheck-';
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The engine under test: MINIDOCK_BIN, or this repository's bin/minidock. */
export function engine(): string {
  return process.env.MINIDOCK_BIN || path.join(repo, 'bin', 'minidock');
}

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * How much longer than here a command may take before it counts as hung: MINIDOCK_CHECK_TIME_SCALE
 * (default 1). The limits below are sized for a real CPU; an emulated one (scripts/arm64-vm.sh
 * runs a whole arm64 machine in software, ~30× slower) sets a larger factor, so a slow engine is
 * not mistaken for a hung one. Only these hang limits grow: no check asserts a time with them.
 */
export function timeScale(): number {
  const n = Number(process.env.MINIDOCK_CHECK_TIME_SCALE ?? 1);
  return Number.isFinite(n) && n >= 1 ? n : 1;
}

/** Run a command to completion, through zx, with a time limit: no check may hang the run. */
export async function exec(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number } = {}): Promise<Result> {
  const timeout = (opts.timeoutMs ?? 60_000) * timeScale();
  const r = await $({ env: opts.env ?? process.env, input: opts.input ?? '', nothrow: true, quiet: true, timeout })`${cmd} ${args}`;
  return { code: r.exitCode ?? 128 + 9, stdout: r.stdout, stderr: r.stderr };
}

/** Run `minidock ARGS…` with the context's environment. */
export function md(ctx: Context, args: string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<Result> {
  return exec(engine(), args, { env: ctx.env, ...opts });
}

/** Run `minidock ARGS…` and insist that it succeeds; returns stdout. */
export async function mdOk(ctx: Context, args: string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<string> {
  const r = await md(ctx, args, opts);
  if (r.code !== 0) throw new CheckFailure(`minidock ${args.join(' ')} exited ${r.code}: ${(r.stderr || r.stdout).trim().split('\n').pop()}`);
  return r.stdout;
}

export class CheckFailure extends Error {}

export function assert(cond: unknown, message: string): asserts cond {
  if (!cond) throw new CheckFailure(message);
}

export function assertEqual<T>(actual: T, expected: T, what: string): void {
  if (JSON.stringify(actual) !== JSON.stringify(expected)) {
    throw new CheckFailure(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
  }
}

/** The namespace a process is in, as the kernel names it: "uts:[4026531838]". */
export function nsLink(pid: number | 'self', kind: string): string {
  return readlinkSync(`/proc/${pid}/ns/${kind}`);
}

/** The host's mount table, one line per mount (proc(5): /proc/self/mountinfo). */
export function hostMountinfo(): string {
  return readFileSync('/proc/self/mountinfo', 'utf8');
}

/** Start a long-running container and return its ID and host PID. */
export async function startDetached(ctx: Context, name: string, args: string[] = ['sleep', '600'], flags: string[] = []): Promise<{ id: string; pid: number }> {
  const id = (await mdOk(ctx, ['run', '-d', '--name', name, ...flags, 'busybox', ...args])).trim();
  const pid = Number((await mdOk(ctx, ['inspect', '-f', '{{.State.Pid}}', name])).trim());
  assert(pid > 0, `inspect shows no PID for running container ${name}`);
  return { id, pid };
}

/** Remove every container this run created (names starting with PREFIX). */
export async function removeOurContainers(env: NodeJS.ProcessEnv): Promise<void> {
  const r = await exec(engine(), ['ps', '-a', '--format', '{{.Names}}'], { env });
  const ours = r.stdout.split('\n').filter((n) => n.startsWith(PREFIX));
  if (ours.length > 0) await exec(engine(), ['rm', '-f', ...ours], { env });
}

/** Try `probe` until it resolves (a container's server needs a moment to listen), then give up with its last error. */
export async function eventually<T>(what: string, probe: () => Promise<T>, tries = 15, pauseMs = 200): Promise<T> {
  let last: unknown;
  for (let i = 0; i < tries; i++) {
    try {
      return await probe();
    } catch (e) {
      last = e;
      await sleep(pauseMs);
    }
  }
  throw new CheckFailure(`${what}: ${(last as Error)?.message ?? last}`);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** One command line and how docker would end it: its exit status and a word of its one-line error. */
export interface Failing {
  argv: string[];
  code: number;
  says: RegExp;
}

/**
 * Run each failing command and insist on docker's exit status (1 for a failing verb, 125/126/127
 * for `run`, 125 for a bad flag) and on one line of error that says why.
 */
export async function assertFailures(ctx: Context, cases: Failing[]): Promise<void> {
  for (const { argv, code, says } of cases) {
    const r = await md(ctx, argv);
    const shown = argv.map((a) => (a.length > 40 ? `${a.slice(0, 12)}…(${a.length} chars)` : a)).join(' ');
    const err = r.stderr.trim();
    assert(r.code === code, `minidock ${shown} exited ${r.code}, docker would exit ${code}: ${err.slice(0, 200)}`);
    assert(says.test(err), `minidock ${shown}: the error "${err.slice(0, 200)}" does not match ${says}`);
    assert(err.split('\n').length === 1, `minidock ${shown}: the error is ${err.split('\n').length} lines, not one`);
  }
}
