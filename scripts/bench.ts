// npm run bench: how long does `minidock run --rm busybox true` take, next to runc on the same
// root filesystem, measured by hyperfine in one run (so both see the same machine state).
// Prints the ratio. Results go in the README ("Benchmarks"); they are numbers, not tests.
// `npm run bench -- import` runs scripts/bench-import.ts (import of a 100k-file layer vs tar -x).

import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const minidock = path.join(repo, 'bin', 'minidock');

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

need('hyperfine', 'hyperfine');
need('runc', 'runc');
const work = mkdtempSync(path.join(tmpdir(), 'minidock-bench-'));
try {
  // runc gets the very same files: the busybox image's layer, copied into a bundle
  const diff = execFileSync(minidock, ['inspect', '--type', 'image', '-f', '{{.GraphDriver.Data.UpperDir}}', 'busybox'], { encoding: 'utf8' }).trim();
  const bundle = path.join(work, 'bundle');
  mkdirSync(bundle);
  cpSync(diff, path.join(bundle, 'rootfs'), { recursive: true, verbatimSymlinks: true });
  execFileSync('runc', ['spec'], { cwd: bundle });
  const spec = JSON.parse(readFileSync(path.join(bundle, 'config.json'), 'utf8'));
  spec.process.terminal = false;
  spec.process.args = ['true'];
  spec.root.readonly = false;
  writeFileSync(path.join(bundle, 'config.json'), JSON.stringify(spec, null, 2));

  const json = path.join(work, 'hyperfine.json');
  const r = spawnSync('hyperfine', [
    '--warmup', '3', '--runs', '30', '--export-json', json,
    '-n', 'minidock', `${minidock} run --rm busybox true`,
    '-n', 'runc', `runc run --bundle ${bundle} minidock-bench`,
  ], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(1);
  const results = JSON.parse(readFileSync(json, 'utf8')).results as { command: string; mean: number; stddev: number }[];
  const [ours, runc] = results;
  console.log(`\nminidock run --rm busybox true: ${(ours.mean * 1000).toFixed(0)} ms ± ${(ours.stddev * 1000).toFixed(0)}`);
  console.log(`runc run (same rootfs):         ${(runc.mean * 1000).toFixed(0)} ms ± ${(runc.stddev * 1000).toFixed(0)}`);
  console.log(`ratio minidock / runc: ${(ours.mean / runc.mean).toFixed(1)}×`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
