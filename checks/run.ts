// The check runner: `npm run check:stage-N`, `check:all`, `check:controls`.
//
//   node dist/checks/run.js N [--json FILE]     stages 0..N, in order (cumulative)
//   node dist/checks/run.js --only N             stage N's checks alone, without 0..N-1 (quicker
//                                                while working on one stage; the cumulative run
//                                                is still what proves a stage)
//   node dist/checks/run.js all                  every stage that has checks
//   node dist/checks/run.js controls             every stage N ≥ 1 against MINIDOCK_STAGE=N-1:
//                                                each check must FAIL there; one that passes
//                                                cannot tell a stage apart and is reported broken
//   --check SUBSTRING (repeatable)               only the checks whose name contains one of them
//   --bail                                       stop at the first failing check
//   --full                                       a cumulative run `N` takes the full variant of
//                                                every check: by default a heavy check of a stage
//                                                below N (the 125-layer image) takes its quick
//                                                variant there, as it ran in full in its own stage
//   --from M                                     a cumulative run `N` from stage M on: stages M..N
//                                                as `N` runs them (to finish a slow machine's
//                                                run of `N` whose first stages passed already)
// The first line says which engine is checked: the reference (bin/minidock), or the learner's
// (learn/bin/minidock, when `npm run learn -- start N` made one; see checks/learner.ts).
// One line per check (✔ / ✘ with a hint), then the closing line "N passed, N failed".
// Exit status 1 on any failure.

import chalk from 'chalk';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';
import { chooseEngine, compileLearner, hintFor, recordResults } from './learner.js';
import { CheckFailure, PREFIX, removeOurContainers, variantFor, type Check, type Context, type Stage } from './harness.js';

const here = path.dirname(fileURLToPath(import.meta.url));

interface Outcome {
  stage: number;
  check: string;
  ok: boolean;
  control: boolean;
  message?: string;
  hint?: string;
  ms: number;
}

/** Which checks to run: name substrings (none: all), whether to stop at the first failure, and whether heavy checks run in full in every stage. */
interface Selection {
  checks: string[];
  bail: boolean;
  full: boolean;
}

function selected(check: Check, sel: Selection): boolean {
  return sel.checks.length === 0 || sel.checks.some((s) => check.name.includes(s) || check.quick?.name.includes(s));
}

async function availableStages(): Promise<Stage[]> {
  const files = readdirSync(here).filter((f) => /^stage-\d+\.js$/.test(f));
  const stages = await Promise.all(files.map(async (f) => (await import(path.join(here, f))).stage as Stage));
  return stages.sort((a, b) => a.n - b.n);
}

let counter = 0;
function context(env: NodeJS.ProcessEnv): Context {
  return { env, name: (what) => `${PREFIX}${what}-${process.pid}-${++counter}` };
}

async function runCheck(stage: Stage, check: Check, env: NodeJS.ProcessEnv): Promise<{ ok: boolean; message?: string; detail?: string; ms: number }> {
  const start = Date.now();
  try {
    await check.run(context(env));
    return { ok: true, ms: Date.now() - start };
  } catch (e) {
    const message = e instanceof CheckFailure ? e.message : `${(e as Error).message ?? e}`;
    return { ok: false, message: message.split('\n')[0], detail: message, ms: Date.now() - start };
  } finally {
    await removeOurContainers(env); // each check cleans up, even when it failed halfway
  }
}

async function runStages(stages: Stage[], control: boolean, sel: Selection, quickBelow = -Infinity): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  for (const stage of stages) {
    const env = control ? { ...process.env, MINIDOCK_STAGE: String(stage.n - 1) } : { ...process.env };
    const title = control ? `stage ${stage.n} — ${stage.title} (control: engine at stage ${stage.n - 1}, every check must fail)` : `stage ${stage.n} — ${stage.title}`;
    const checks = stage.checks.filter((c) => selected(c, sel)).map((c) => variantFor(c, stage.n, quickBelow));
    if (checks.length === 0) continue;
    console.log(chalk.bold(title));
    for (const check of checks) {
      const r = await runCheck(stage, check, env);
      // a control passes when the check fails without the stage
      const ok = control ? !r.ok : r.ok;
      const time = chalk.dim(`${(r.ms / 1000).toFixed(1)}s`);
      if (ok) {
        console.log(`  ${chalk.green('✔')} ${check.name} ${time}${control ? chalk.dim(`  (fails as it should: ${r.message})`) : ''}`);
      } else if (control) {
        console.log(`  ${chalk.red('✘')} ${check.name} ${time}`);
        console.log(chalk.red(`      this check passes without stage ${stage.n}: it cannot tell the stage apart`));
      } else {
        console.log(`  ${chalk.red('✘')} ${check.name} ${time}`);
        console.log(chalk.red(`      why: ${r.message}`));
        console.log(chalk.yellow(`      look at: ${hintFor(r.detail, check.hint)}`));
      }
      const hint = control ? check.hint : hintFor(r.detail, check.hint);
      outcomes.push({ stage: stage.n, check: check.name, ok, control, message: r.message, hint, ms: r.ms });
      if (!ok && sel.bail) return outcomes;
    }
  }
  return outcomes;
}

/** Not root, or not Linux: forward into the Vagrant VM when there is one, else say what is needed. */
function forwardOrExplain(argv: string[]): number {
  const repo = path.resolve(here, '..', '..');
  const vagrantfile = path.join(repo, 'vagrant', 'Vagrantfile');
  const hasVagrant = spawnSync('vagrant', ['--version'], { stdio: 'ignore' }).status === 0;
  if (existsSync(vagrantfile) && hasVagrant) {
    const cmd = `cd /minidock && sudo node dist/checks/run.js ${argv.join(' ')}`;
    console.log(chalk.dim(`not root on Linux here: running in the VM: vagrant ssh -c '${cmd}'`));
    const r = spawnSync('vagrant', ['ssh', '-c', cmd], { cwd: path.join(repo, 'vagrant'), stdio: 'inherit' });
    return r.status ?? 1;
  }
  const why = process.platform !== 'linux' ? `this is ${process.platform}, and containers need a Linux kernel` : 'the checks create namespaces, mounts and cgroups, which needs root';
  console.log(`minidock checks: ${why}.`);
  console.log('Run them as root on Linux (sudo npm run check:stage-N), or in the lab VM: install Vagrant, then `cd vagrant && vagrant up` (see docs/vm.md).');
  return 1;
}

const USAGE = 'usage: run.js N|--only N|all|controls [--json FILE] [--check SUBSTRING]… [--bail] [--full] [--from M]';

/** The command line: what to run, and where to write the JSON report. */
function parseCommandLine(argv: string[]): { target: string; only: boolean; from: number; jsonFile?: string; sel: Selection } | null {
  let target: string | undefined;
  let only = false;
  let from = 0;
  let jsonFile: string | undefined;
  const sel: Selection = { checks: [], bail: false, full: false };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--json') jsonFile = argv[++i];
    else if (argv[i] === '--only') only = true;
    else if (argv[i] === '--bail') sel.bail = true;
    else if (argv[i] === '--full') sel.full = true;
    else if (argv[i] === '--from') {
      if (!/^\d+$/.test(argv[i + 1] ?? '')) return null;
      from = Number(argv[++i]);
    }
    else if (argv[i] === '--check') {
      const sub = argv[++i];
      if (!sub) return null;
      sel.checks.push(sub);
    }
    else if (target === undefined) target = argv[i];
    else return null;
  }
  if (only && (target === undefined || !/^\d+$/.test(target))) return null;
  if (from > 0 && (only || target === undefined || !/^\d+$/.test(target) || from > Number(target))) return null; // --from M goes with a cumulative N ≥ M
  if (argv.includes('--json') && jsonFile === undefined) return null;
  return { target: target ?? 'all', only, from, jsonFile, sel };
}

async function main(argv: string[]): Promise<number> {
  const cmd = parseCommandLine(argv);
  if (!cmd) {
    console.error(USAGE);
    return 2;
  }
  const { target, only, from, jsonFile, sel } = cmd;
  const choice = chooseEngine(path.resolve(here, '..', '..'), process.env);
  console.log(chalk.bold(choice.banner));
  Object.assign(process.env, choice.env);
  if (choice.learnDir) {
    const error = compileLearner(path.resolve(here, '..', '..'), choice.learnDir);
    if (error !== undefined) {
      console.log(`your engine in learn/ does not compile; no check ran:\n${error}`);
      console.log('0 passed, 1 failed');
      return 1;
    }
  }
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return forwardOrExplain(argv);

  const all = await availableStages();
  let outcomes: Outcome[];
  if (target === 'controls') {
    outcomes = await runStages(all.filter((s) => s.n >= 1), true, sel);
  } else {
    const upTo = target === 'all' ? Infinity : Number(target);
    if (!Number.isInteger(upTo) && upTo !== Infinity) {
      console.error(USAGE);
      return 2;
    }
    if (upTo !== Infinity && !all.some((s) => s.n === upTo)) {
      console.error(`no checks for stage ${upTo} yet (have: ${all.map((s) => s.n).join(', ')})`);
      return 2;
    }
    // a cumulative run of stage N repeats stages below N: their heavy checks take the quick variant
    const quickBelow = only || sel.full || upTo === Infinity ? -Infinity : upTo;
    outcomes = await runStages(all.filter((s) => (only ? s.n === upTo : s.n >= from && s.n <= upTo)), false, sel, quickBelow);
    if (choice.learnDir && from === 0) recordResults(choice.learnDir, outcomes);
  }
  if (sel.checks.length > 0 && outcomes.length === 0) {
    console.error(`no check's name contains ${sel.checks.map((c) => JSON.stringify(c)).join(' or ')}`);
    return 2;
  }
  const passed = outcomes.filter((o) => o.ok).length;
  const failed = outcomes.length - passed;
  if (jsonFile) writeFileSync(jsonFile, JSON.stringify({ target: only ? `only ${target}` : from > 0 ? `${target} from ${from}` : target, passed, failed, outcomes }, null, 2));
  console.log(`${passed} passed, ${failed} failed`);
  return failed === 0 ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    console.error(`checks: ${(e as Error).stack ?? e}`);
    process.exit(1);
  },
);
