// npm run bench: how long does `minidock run --rm busybox true` take, in each of its modes, next
// to runc and to the bare kernel on the same root filesystem? One hyperfine run times them all
// (so every command sees the same machine state) and the ratios to runc are printed. Then 20
// detached containers, started one after another and all at once: wall time, and the memory each
// container holds on the host (its shim and its PID 1). Numbers, not tests: they go in the README
// ("Benchmarks") and in the "Where the time goes" tables of stages 1 and 5.
//
//   minidock            run --rm busybox true (overlay2, bridge network, cgroup)
//   minidock --net none the same without the network
//   minidock stage 2    MINIDOCK_STAGE=2: namespaces and cgroups only (no overlay, no network)
//   minidock-runtime    our OCI runtime alone, `run` on the bundle runc gets (no engine)
//   runc                `runc run` on that bundle
//   unshare (floor)     unshare(1) + chroot(1): the namespaces and nothing else
//   docker              `docker run --rm --network none busybox true`, only if a daemon answers
//
// `npm run bench -- import` runs scripts/bench-import.ts (import of a 100k-file layer vs tar -x),
// `npm run bench -- exec` scripts/bench-exec.ts (exec-enter's threads and start-up).
// Set BENCH_RUNS (default 20) for more or fewer runs per command; BENCH_BASELINE=DIR times the
// minidock of another built checkout (say, main before a change) by turns with this one.

import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, timed } from './bench-util.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const minidock = path.join(repo, 'bin', 'minidock');
const runtime = path.join(repo, 'bin', 'minidock-runtime');
const RUNS = Number(process.env.BENCH_RUNS ?? 20);
const DETACHED = 20;

function need(cmd: string, pkg: string): void {
  if (spawnSync('sh', ['-c', `command -v ${cmd}`]).status !== 0) {
    console.error(`bench: ${cmd} is missing: apt-get install ${pkg}`);
    process.exit(1);
  }
}

// `npm run bench -- import` measures `minidock import` of a 100k-file layer instead.
if (process.argv[2] === 'import') {
  await import('./bench-import.js');
  process.exit(0);
}
// `npm run bench -- pull`: `minidock pull` from a local registry vs `skopeo copy` (bench-pull.ts).
if (process.argv[2] === 'pull') {
  await import('./bench-pull.js');
  process.exit(0);
}

// `npm run bench -- exec`: exec-enter's threads and start-up, a whole exec (stage 7).
if (process.argv[2] === 'exec') {
  await import('./bench-exec.js');
  process.exit(0);
}

need('hyperfine', 'hyperfine');
need('runc', 'runc');

/** A docker daemon that answers (not merely a docker client on PATH). */
function dockerAnswers(): boolean {
  return spawnSync('docker', ['info', '--format', '{{.ServerVersion}}'], { stdio: 'ignore', timeout: 5000 }).status === 0;
}

// #region bench-bundle
/** One bundle for runc and minidock-runtime: the busybox image's layer, copied. */
function makeBundle(work: string): { bundle: string; rootfs: string } {
  const diff = execFileSync(minidock, ['inspect', '--type', 'image', '-f', '{{.GraphDriver.Data.UpperDir}}', 'busybox'], { encoding: 'utf8' }).trim();
  const bundle = path.join(work, 'bundle');
  const rootfs = path.join(bundle, 'rootfs');
  mkdirSync(bundle);
  cpSync(diff, rootfs, { recursive: true, verbatimSymlinks: true });
  execFileSync('runc', ['spec'], { cwd: bundle });
  const spec = JSON.parse(readFileSync(path.join(bundle, 'config.json'), 'utf8'));
  spec.process.terminal = false;
  spec.process.args = ['true'];
  spec.root.readonly = false;
  // Two things of runc's default spec that minidock-runtime does not do as runc does yet: runc
  // adds the standard devices (/dev/null …) to a deny-all device cgroup, ours denies their mknod;
  // ambient capabilities without inheritable ones are refused (EPERM). Both runtimes get the
  // same bundle without them.
  delete spec.linux.resources.devices;
  delete spec.process.capabilities.ambient;
  writeFileSync(path.join(bundle, 'config.json'), JSON.stringify(spec, null, 2));
  return { bundle, rootfs };
}
// #endregion

interface Result {
  command: string;
  mean: number;
  stddev: number;
  median: number;
  /** CPU seconds, mean per run: what the command costs, even when other work shares the CPUs */
  user: number;
  system: number;
}

/** All the start-up commands in one hyperfine run; the results in the order given. */
function timeStartups(bundle: string, rootfs: string, work: string): Result[] {
  const cmds: [string, string][] = [
    ['minidock', `${minidock} run --rm busybox true`],
    ['minidock --network none', `${minidock} run --rm --network none busybox true`],
    ['minidock MINIDOCK_STAGE=2', `env MINIDOCK_STAGE=2 ${minidock} run --rm busybox true`],
    ['minidock-runtime run', `${runtime} --root ${work}/runtime-state run --bundle ${bundle} minidock-bench`],
    ['runc run', `runc run --bundle ${bundle} minidock-bench`],
    ['unshare + chroot (floor)', `unshare --fork --pid --mount --uts --ipc --net chroot ${rootfs} /bin/true`],
  ];
  if (dockerAnswers()) cmds.push(['docker run --network none', 'docker run --rm --network none busybox true']);
  else console.log('bench: no docker daemon answers: docker skipped');
  const json = path.join(work, 'hyperfine.json');
  const r = spawnSync('hyperfine', ['-N', '--warmup', '3', '--runs', String(RUNS), '--export-json', json, ...cmds.flatMap(([name, cmd]) => ['-n', name, cmd])], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(1);
  return JSON.parse(readFileSync(json, 'utf8')).results as Result[];
}

// #region phases
/**
 * Where the time of one `run --rm` goes: MINIDOCK_TRACE=phases prints one line per phase
 * ("[cli] phase   12.3 ms  name"); the median of each over `runs` runs.
 */
function phases(args: string[], runs = 7): [string, number][] {
  const seen = new Map<string, number[]>();
  for (let i = 0; i < runs; i++) {
    const r = spawnSync(minidock, args, { encoding: 'utf8', env: { ...process.env, MINIDOCK_TRACE: 'phases' } });
    for (const m of r.stderr.replace(/\x1b\[[0-9;]*m/g, '').matchAll(/^\[(\w+)\] phase\s+([\d.]+) ms\s+(.*)$/gm)) {
      const name = `${m[1]}: ${m[3]}`;
      seen.set(name, [...(seen.get(name) ?? []), Number(m[2])]);
    }
  }
  return [...seen].map(([name, xs]) => [name, median(xs)]);
}

/**
 * The network's share of a default run, from MINIDOCK_TRACE=1's timestamps (seconds.millis at
 * the start of each line), median of `runs`: up = from "network: bridge for …" to "network: … is
 * <address>" (plugged in); down = from the last cgroup rmdir to the resolv.conf rewrite that ends
 * the network's teardown (lease released, no veth left: the kernel removed it with the namespace).
 */
function networkUpDown(runs = 7): { up: number; down: number } {
  const ups: number[] = [];
  const downs: number[] = [];
  for (let i = 0; i < runs; i++) {
    const r = spawnSync(minidock, ['run', '--rm', 'busybox', 'true'], { encoding: 'utf8', env: { ...process.env, MINIDOCK_TRACE: '1' } });
    const lines = r.stderr.replace(/\x1b\[[0-9;]*m/g, '').split('\n').filter((l) => l.includes('[cli]'));
    const at = (l: string | undefined) => (l ? Number(l.split(' ')[0]) * 1000 : NaN);
    const start = lines.findIndex((l) => l.includes('network: bridge for'));
    const plugged = lines.findIndex((l, j) => j > start && / network: \w+ is /.test(l));
    const lastRmdir = lines.map((l) => l.includes(' rmdir /sys/fs/cgroup')).lastIndexOf(true);
    const rewritten = lines.findIndex((l, j) => j > lastRmdir && l.includes('resolv.conf in place'));
    ups.push(at(lines[plugged]) - at(lines[start]));
    downs.push(at(lines[rewritten]) - at(lines[lastRmdir]));
  }
  return { up: median(ups), down: median(downs) };
}

/**
 * BENCH_BASELINE=<another built checkout>: its minidock against this one, run by turns (one of
 * each, RUNS times) so that both see the same load, which drifts on a shared machine; hyperfine
 * would time all runs of one before the other. Medians of wall and CPU time (GNU time).
 */
function compareWithBaseline(baselineDir: string, args: string[]): void {
  const cmds: [string, string][] = [['baseline', path.join(baselineDir, 'bin', 'minidock')], ['this checkout', minidock]];
  const seen = cmds.map(() => ({ wall: [] as number[], cpu: [] as number[] }));
  for (let i = 0; i < RUNS; i++) {
    cmds.forEach(([, bin], j) => {
      const t = timed(bin, args);
      seen[j].wall.push(t.seconds * 1000);
      seen[j].cpu.push(t.cpuSeconds * 1000);
    });
  }
  console.log(`\nminidock ${args.join(' ')}: ${RUNS} runs of each, by turns (medians)`);
  cmds.forEach(([name], j) => console.log(`  ${name.padEnd(14)} wall ${median(seen[j].wall).toFixed(0)} ms, CPU ${median(seen[j].cpu).toFixed(0)} ms`));
}

function printPhases(title: string, args: string[]): void {
  const rows = phases(args);
  console.log(`\n${title} (MINIDOCK_TRACE=phases, median of 7)`);
  for (const [name, ms] of rows) console.log(`  ${ms.toFixed(1).padStart(7)} ms  ${name}`);
  console.log(`  ${rows.reduce((s, [, ms]) => s + ms, 0).toFixed(1).padStart(7)} ms  in all`);
}
// #endregion

// #region detached
/** The host memory of one container, from /proc: its shim (Node) and its PID 1 (the command). */
interface Memory {
  shimRss: number;
  shimPss: number;
  initRss: number;
}

function kb(pid: number, file: string, field: string): number {
  const m = readFileSync(`/proc/${pid}/${file}`, 'utf8').match(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm'));
  return m ? Number(m[1]) : 0;
}

/** PID 1 of the container from inspect; its parent is the shim. */
function memoryOf(id: string): Memory {
  const pid = Number(execFileSync(minidock, ['inspect', '-f', '{{.State.Pid}}', id], { encoding: 'utf8' }).trim());
  const shim = Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')[1]);
  return { shimRss: kb(shim, 'status', 'VmRSS'), shimPss: kb(shim, 'smaps_rollup', 'Pss'), initRss: kb(pid, 'status', 'VmRSS') };
}

function runDetached(): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = spawn(minidock, ['run', '-d', 'busybox', 'sleep', '600'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    c.stdout.on('data', (d) => (out += d));
    c.on('close', (code) => (code === 0 ? resolve(out.trim()) : reject(new Error(`minidock run -d exited ${code}`))));
  });
}

/** Start DETACHED containers serially or all at once; the wall time, their memory; then rm -f. */
async function detached(parallel: boolean): Promise<void> {
  const t0 = performance.now();
  let ids: string[] = [];
  if (parallel) ids = await Promise.all(Array.from({ length: DETACHED }, runDetached));
  else for (let i = 0; i < DETACHED; i++) ids.push(await runDetached());
  const wall = performance.now() - t0;
  const mem = ids.map(memoryOf);
  const avg = (f: (m: Memory) => number) => (mem.reduce((s, m) => s + f(m), 0) / mem.length / 1024).toFixed(1);
  const t1 = performance.now();
  execFileSync(minidock, ['rm', '-f', ...ids], { stdio: 'ignore' });
  const rm = performance.now() - t1;
  console.log(
    `${DETACHED} × run -d, ${parallel ? 'in parallel ' : 'one by one  '}: ${(wall / 1000).toFixed(2)} s (${(wall / DETACHED).toFixed(0)} ms each); ` +
      `per container: shim RSS ${avg((m) => m.shimRss)} MB (PSS ${avg((m) => m.shimPss)} MB), PID 1 RSS ${avg((m) => m.initRss)} MB; rm -f of all: ${(rm / 1000).toFixed(2)} s`,
  );
}
// #endregion

const work = mkdtempSync(path.join(tmpdir(), 'minidock-bench-'));
try {
  const { bundle, rootfs } = makeBundle(work);
  const results = timeStartups(bundle, rootfs, work);
  const runc = results.find((x) => x.command === 'runc run')!;
  // wall time is what a user waits; CPU time (user + system) is what the start-up costs, and
  // stays meaningful when other work shares the machine's cores
  const cpu = (x: Result) => x.user + x.system;
  console.log('\ncommand                          wall: mean ± σ   median   / runc   CPU: user+sys  / runc');
  for (const x of results) {
    const ms = (v: number) => `${(v * 1000).toFixed(0)} ms`;
    console.log(
      `${x.command.padEnd(32)} ${`${ms(x.mean)} ± ${(x.stddev * 1000).toFixed(0)}`.padEnd(16)} ${ms(x.median).padEnd(8)} ${`${(x.mean / runc.mean).toFixed(1)}×`.padEnd(8)} ` +
        `${ms(cpu(x)).padEnd(14)} ${(cpu(x) / cpu(runc)).toFixed(1)}×`,
    );
  }
  if (process.env.BENCH_BASELINE) {
    compareWithBaseline(process.env.BENCH_BASELINE, ['run', '--rm', 'busybox', 'true']);
    compareWithBaseline(process.env.BENCH_BASELINE, ['run', '--rm', '--network', 'none', 'busybox', 'true']);
  }
  printPhases('minidock run --rm busybox true', ['run', '--rm', 'busybox', 'true']);
  printPhases('minidock run --rm --network none busybox true', ['run', '--rm', '--network', 'none', 'busybox', 'true']);
  const net = networkUpDown();
  console.log(`\nnetwork of one container (MINIDOCK_TRACE=1 timestamps, median of 7): up ${net.up.toFixed(0)} ms, down ${net.down.toFixed(0)} ms, together ${(net.up + net.down).toFixed(0)} ms`);
  console.log('');
  await detached(false);
  await detached(true);
} finally {
  rmSync(work, { recursive: true, force: true });
}
