// node dist/scripts/bench-import.js (or `npm run bench -- import`): how long `minidock import`
// takes on a layer of many small files, next to GNU `tar -x` of the same tar, and how much memory
// it needs. Numbers, not a test; they go in stages/03-overlay2/README.md ("Measured").
//
//   BENCH_FILES  files in the generated tar (default 100000, 100 bytes each, 1000 per directory)
//   BENCH_RUNS   runs of each command, interleaved so both see the same machine (default 3)
//   --profile    one more import under `node --cpu-prof`, and the functions that took the most time
//
// Honors MINIDOCK_ROOT / MINIDOCK_RUN and MINIDOCK_BIN (another engine to measure). Peak RSS comes
// from GNU time (`/usr/bin/time -f %M`, package `time`). Removes the images and directories it makes.

import { execFileSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import tar from 'tar-stream';
import { median, printProfile, timed } from './bench-util.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const minidock = process.env.MINIDOCK_BIN || path.join(repo, 'bin', 'minidock');
const FILES = Number(process.env.BENCH_FILES || 100_000);
const RUNS = Number(process.env.BENCH_RUNS || 3);
const PER_DIR = 1000;

/**
 * The tar, generated once and kept in /tmp for the next run: directories d000/ …, each with up
 * to 1000 files of 100 bytes. Written through tar-stream straight to disk (no file is created to
 * make it, so generating it does not warm the cache for the runs).
 */
async function benchTar(): Promise<string> {
  const file = path.join(tmpdir(), `minidock-bench-import-${FILES}.tar`);
  if (existsSync(file)) return file;
  const pack = tar.pack();
  const written = pipeline(pack, createWriteStream(`${file}.part`));
  const body = Buffer.alloc(100, 'x');
  for (let i = 0; i < FILES; i++) {
    const dir = `d${String(Math.floor(i / PER_DIR)).padStart(3, '0')}`;
    if (i % PER_DIR === 0) pack.entry({ name: `${dir}/`, type: 'directory', mode: 0o755 });
    // entry() queues the header and body; waiting for the callback lets the file stream drain
    await new Promise<void>((resolve, reject) => pack.entry({ name: `${dir}/f${i}`, mode: 0o644 }, body, (err) => (err ? reject(err) : resolve())));
  }
  pack.finalize();
  await written;
  renameSync(`${file}.part`, file);
  return file;
}

/** One `minidock import` under node --cpu-prof; prints where the CPU time went (self time). */
function profile(file: string, work: string): void {
  const dir = path.join(work, 'prof');
  const tag = 'minidock-bench-import:profile';
  execFileSync('node', ['--cpu-prof', `--cpu-prof-dir=${dir}`, path.join(repo, 'dist', 'lib', 'cli', 'main.js'), 'import', file, tag], { stdio: 'ignore' });
  execFileSync(minidock, ['rmi', tag], { stdio: 'ignore' });
  printProfile(dir, 'profile of one import');
}

async function main(): Promise<void> {
  if (!existsSync('/usr/bin/time')) {
    console.error('bench-import: /usr/bin/time is missing: apt-get install time');
    process.exit(1);
  }
  const file = await benchTar();
  const work = mkdtempSync(path.join(tmpdir(), 'minidock-bench-import-'));
  const ours: { seconds: number; rssMb: number }[] = [];
  const gnu: { seconds: number; rssMb: number }[] = [];
  try {
    for (let i = 0; i < RUNS; i++) {
      const tag = `minidock-bench-import:${i}`;
      ours.push(timed(minidock, ['import', file, tag]));
      execFileSync(minidock, ['rmi', tag], { stdio: 'ignore' });

      const dir = path.join(work, `gnu-${i}`);
      mkdirSync(dir);
      gnu.push(timed('tar', ['-C', dir, '-xf', file]));
      rmSync(dir, { recursive: true });
    }
    const s = (xs: { seconds: number }[]) => median(xs.map((x) => x.seconds));
    const m = (xs: { rssMb: number }[]) => Math.max(...xs.map((x) => x.rssMb));
    console.log(`\nimport a tar of ${FILES} files of 100 bytes, median of ${RUNS} (interleaved):`);
    console.log(`minidock import: ${s(ours).toFixed(1)} s, peak RSS ${m(ours).toFixed(0)} MB  (runs: ${ours.map((x) => x.seconds.toFixed(1)).join(', ')})`);
    console.log(`GNU tar -x:      ${s(gnu).toFixed(1)} s, peak RSS ${m(gnu).toFixed(0)} MB  (runs: ${gnu.map((x) => x.seconds.toFixed(1)).join(', ')})`);
    console.log(`ratio minidock import / tar -x: ${(s(ours) / s(gnu)).toFixed(2)}×`);
    if (process.argv.includes('--profile')) profile(file, work);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
