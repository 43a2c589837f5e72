// node dist/scripts/bench-pull.js (or `npm run bench -- pull`): `minidock pull` of a 3-layer image
// of ~48 MB (random bytes, so gzip -1 cannot shrink it) from a local registry, next to
// `skopeo copy docker://… oci:DIR` of the same image. Numbers, not a test; they go in
// stages/06-images/README.md ("Performance"). skopeo to an oci: directory only fetches and
// verifies the compressed blobs; a pull also gunzips, computes each DiffID and unpacks every
// file. So a third client does a pull's whole work: skopeo into containers-storage with its
// overlay driver (podman's image store), each run in a store of its own.
//
//   BENCH_RUNS   runs of each command, interleaved so both see the same machine (default 3)
//   --profile    one more pull under `node --cpu-prof`, and the functions that took the most time
//
// Starts its own docker-registry on 127.0.0.1 (stages/06-images/registry.sh) and removes the
// image, the registry and its directories at the end. Honors MINIDOCK_ROOT and MINIDOCK_BIN.

import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseMountinfo } from '../lib/runtime/mountinfo.js';
import { median, printProfile, timed } from './bench-util.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const minidock = process.env.MINIDOCK_BIN || path.join(repo, 'bin', 'minidock');
const RUNS = Number(process.env.BENCH_RUNS || 3);
const LAYER_MB = 16;
const registryScript = path.join(repo, 'stages', '06-images', 'registry.sh');

/** An image of 3 layers of LAYER_MB random bytes each, built from scratch and pushed to `name`. */
function makeImage(work: string, name: string): void {
  const ctx = path.join(work, 'ctx');
  mkdirSync(ctx);
  const lines = ['FROM scratch'];
  for (let i = 0; i < 3; i++) {
    // four files per layer, so unpacking has a little more than one write to do
    mkdirSync(path.join(ctx, `l${i}`));
    for (let f = 0; f < 4; f++) writeFileSync(path.join(ctx, `l${i}`, `f${f}`), randomBytes((LAYER_MB * 1024 * 1024) / 4));
    lines.push(`COPY l${i} /l${i}/`);
  }
  writeFileSync(path.join(ctx, 'Dockerfile'), `${lines.join('\n')}\n`);
  execFileSync(minidock, ['build', '-q', '-t', name, ctx], { stdio: 'ignore' });
  execFileSync(minidock, ['push', '-q', name], { stdio: 'ignore' });
}

/**
 * `skopeo copy` into a containers-storage store of its own under `dir` (overlay driver), timed;
 * null when this machine's skopeo cannot (no overlay, no containers-storage transport).
 * containers-storage leaves its overlay directory mounted on itself: unmounted here.
 */
function skopeoToStorage(name: string, dir: string): ReturnType<typeof timed> | null {
  try {
    return timed('skopeo', ['copy', '-q', '--src-tls-verify=false', `docker://${name}`, `containers-storage:[overlay@${dir}/root+${dir}/run]bench/pull:v1`]);
  } catch {
    return null;
  } finally {
    for (const m of parseMountinfo(readFileSync('/proc/self/mountinfo', 'utf8')).reverse()) {
      if (m.mountPoint.startsWith(`${dir}/`)) spawnSync('umount', ['-l', m.mountPoint]);
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

function main(): void {
  const work = mkdtempSync(path.join(tmpdir(), 'minidock-bench-pull-'));
  const env = { ...process.env, MINIDOCK_REGISTRY_STATE: path.join(work, 'registry') };
  const host = execFileSync('sh', [registryScript, 'start', String(5900 + (process.pid % 90))], { encoding: 'utf8', env }).trim();
  const name = `${host}/bench/pull:v1`;
  const rmi = () => execFileSync(minidock, ['rmi', '-f', name], { stdio: 'ignore' });
  try {
    makeImage(work, name);
    const ours: ReturnType<typeof timed>[] = [];
    const skopeo: ReturnType<typeof timed>[] = [];
    const storage: ReturnType<typeof timed>[] = [];
    for (let i = 0; i < RUNS; i++) {
      rmi(); // the layers go with the only image that uses them
      ours.push(timed(minidock, ['pull', '-q', name]));
      const dir = path.join(work, `oci-${i}`);
      skopeo.push(timed('skopeo', ['copy', '-q', '--src-tls-verify=false', `docker://${name}`, `oci:${dir}:v1`]));
      rmSync(dir, { recursive: true, force: true });
      const stored = skopeoToStorage(name, path.join(work, `storage-${i}`));
      if (stored) storage.push(stored);
    }
    const s = (xs: { seconds: number }[]) => median(xs.map((x) => x.seconds));
    const cpu = (xs: { cpuSeconds: number }[]) => median(xs.map((x) => x.cpuSeconds));
    const m = (xs: { rssMb: number }[]) => Math.max(...xs.map((x) => x.rssMb));
    console.log(`\npull of 3 layers × ${LAYER_MB} MB (random, gzip) from a local registry, median of ${RUNS} (interleaved):`);
    console.log(`minidock pull:            ${s(ours).toFixed(2)} s, CPU ${cpu(ours).toFixed(2)} s, peak RSS ${m(ours).toFixed(0)} MB  (runs: ${ours.map((x) => x.seconds.toFixed(2)).join(', ')})`);
    console.log(`skopeo copy → oci: dir:   ${s(skopeo).toFixed(2)} s, CPU ${cpu(skopeo).toFixed(2)} s, peak RSS ${m(skopeo).toFixed(0)} MB  (runs: ${skopeo.map((x) => x.seconds.toFixed(2)).join(', ')})`);
    if (storage.length > 0) {
      console.log(`skopeo copy → containers-storage (overlay: gunzip, DiffIDs, files, as a pull): ${s(storage).toFixed(2)} s, CPU ${cpu(storage).toFixed(2)} s, peak RSS ${m(storage).toFixed(0)} MB  (runs: ${storage.map((x) => x.seconds.toFixed(2)).join(', ')})`);
    } else {
      console.log('skopeo copy → containers-storage: skipped (this skopeo cannot write an overlay store here)');
    }
    console.log(`speed of minidock relative to skopeo → oci: ${(s(skopeo) / s(ours)).toFixed(2)}× (the goal: ≥ 0.8×); in CPU time: ${(cpu(skopeo) / cpu(ours)).toFixed(2)}×`);
    if (storage.length > 0) console.log(`speed of minidock relative to skopeo → containers-storage (the same work): ${(s(storage) / s(ours)).toFixed(2)}×; in CPU time: ${(cpu(storage) / cpu(ours)).toFixed(2)}×`);
    if (process.argv.includes('--profile')) {
      rmi();
      const dir = path.join(work, 'prof');
      execFileSync('node', ['--cpu-prof', `--cpu-prof-dir=${dir}`, path.join(repo, 'dist', 'lib', 'cli', 'main.js'), 'pull', '-q', name], { stdio: 'ignore' });
      printProfile(dir, 'profile of one pull');
    }
  } finally {
    try {
      rmi();
    } catch {
      // not there
    }
    execFileSync('sh', [registryScript, 'stop'], { env });
    rmSync(work, { recursive: true, force: true });
  }
}

main();
