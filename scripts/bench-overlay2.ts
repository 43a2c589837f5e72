// node dist/scripts/bench-overlay2.js: stage 3's numbers (not a test). Three measurements:
//
//   1. start time of a container on a 125-layer image vs a 1-layer image (hyperfine), and the
//      same 1-layer start with the vfs driver (a full copy, MINIDOCK_STAGE=2) for comparison
//   2. layer apply throughput: applyLayerTar vs GNU `tar -x` on the same tar (/usr/include)
//   3. IDs: a committed image exported as an OCI layout, read back by skopeo and umoci: the
//      DiffIDs, ChainIDs and image ID they report must equal ours
//
// Arguments pick parts: `start`, `apply`, `ids` (default: all three).
// Honors MINIDOCK_ROOT; runs the engine at MINIDOCK_STAGE (default 3). Removes what it makes.
// The numbers go in stages/03-overlay2/README.md ("Measured").

import { createHash } from 'node:crypto';
import { execFileSync, spawnSync } from 'node:child_process';
import { createReadStream, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chainIds } from '../lib/image/digest.js';
import { applyLayerTar, packDirToBuffer } from '../lib/image/layer-tar.js';
import { ImageStore } from '../lib/image/store.js';
import { paths } from '../lib/paths.js';
import { realSys } from '../lib/sys/index.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const minidock = path.join(repo, 'bin', 'minidock');
const env = { ...process.env, MINIDOCK_STAGE: process.env.MINIDOCK_STAGE || '3' };
const DEEP = 'minidock-bench-deep:125';
const sha256 = (b: Buffer | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

function md(args: string[], extraEnv: NodeJS.ProcessEnv = {}): string {
  return execFileSync(minidock, args, { encoding: 'utf8', env: { ...env, ...extraEnv } }).trim();
}

function need(cmd: string, pkg: string): void {
  if (spawnSync('sh', ['-c', `command -v ${cmd}`]).status !== 0) {
    console.error(`bench-overlay2: ${cmd} is missing: apt-get install ${pkg}`);
    process.exit(1);
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// ---------------------------------------------------------------------------------------------
// 1. Start time, 125 layers vs 1.

function buildDeepImage(): string[] {
  const made: string[] = [];
  let image = 'busybox';
  const t0 = Date.now();
  for (let n = 2; n <= 125; n++) {
    const name = `minidock-bench-deep-${n}`;
    md(['run', '--name', name, image, 'sh', '-c', `echo ${n} > /layer`]);
    image = md(['commit', name, ...(n === 125 ? [DEEP] : [])]);
    made.push(image);
    md(['rm', name]);
  }
  console.log(`built ${DEEP} (124 commits on busybox) in ${((Date.now() - t0) / 1000).toFixed(1)} s, ${((Date.now() - t0) / 124).toFixed(0)} ms per run + commit + rm`);
  return made;
}

function startTimes(work: string): void {
  const json = path.join(work, 'start.json');
  const r = spawnSync('hyperfine', [
    '--warmup', '3', '--runs', '20', '--export-json', json,
    '-n', 'overlay2, 1 layer', `${minidock} run --rm busybox true`,
    '-n', 'overlay2, 125 layers', `${minidock} run --rm ${DEEP} true`,
    '-n', 'vfs copy (stage 2), 1 layer', `env MINIDOCK_STAGE=2 ${minidock} run --rm busybox true`,
  ], { stdio: 'inherit', env });
  if (r.status !== 0) throw new Error('hyperfine failed');
  const [one, deep, vfs] = JSON.parse(readFileSync(json, 'utf8')).results as { mean: number; stddev: number }[];
  const ms = (x: { mean: number; stddev: number }) => `${(x.mean * 1000).toFixed(0)} ms ± ${(x.stddev * 1000).toFixed(0)}`;
  console.log(`\nstart, overlay2, 1 layer:     ${ms(one)}`);
  console.log(`start, overlay2, 125 layers:  ${ms(deep)}`);
  console.log(`start, vfs copy, 1 layer:     ${ms(vfs)}`);
  console.log(`ratio 125 layers / 1 layer: ${(deep.mean / one.mean).toFixed(2)}×; vfs / overlay2: ${(vfs.mean / one.mean).toFixed(2)}×`);
}

// ---------------------------------------------------------------------------------------------
// 2. Apply throughput.

async function applyThroughput(work: string): Promise<void> {
  const tarFile = path.join(work, 'include.tar');
  execFileSync('tar', ['-C', '/usr', '-cf', tarFile, 'include']);
  const bytes = statSync(tarFile).size;
  const files = Number(execFileSync('sh', ['-c', `tar -tf ${tarFile} | wc -l`], { encoding: 'utf8' }).trim());
  const sys = await realSys();
  const ours: number[] = [];
  const gnu: number[] = [];
  for (let i = 0; i < 5; i++) {
    const a = path.join(work, `ours-${i}`);
    mkdirSync(a);
    let t = process.hrtime.bigint();
    await applyLayerTar(createReadStream(tarFile), a, { sys, stage: 3 });
    ours.push(Number(process.hrtime.bigint() - t) / 1e9);
    rmSync(a, { recursive: true });

    const b = path.join(work, `gnu-${i}`);
    mkdirSync(b);
    t = process.hrtime.bigint();
    execFileSync('tar', ['-C', b, '-xf', tarFile]);
    gnu.push(Number(process.hrtime.bigint() - t) / 1e9);
    rmSync(b, { recursive: true });
  }
  const mb = bytes / 1e6;
  console.log(`\napply /usr/include as a layer (${mb.toFixed(0)} MB, ${files} entries), median of 5:`);
  console.log(`applyLayerTar (with sha256): ${median(ours).toFixed(2)} s, ${(mb / median(ours)).toFixed(0)} MB/s`);
  console.log(`GNU tar -x:                  ${median(gnu).toFixed(2)} s, ${(mb / median(gnu)).toFixed(0)} MB/s`);
  console.log(`ratio applyLayerTar / tar -x: ${(median(ours) / median(gnu)).toFixed(1)}×`);
}

// ---------------------------------------------------------------------------------------------
// 3. IDs, as skopeo and umoci read them.

/**
 * Write an image as an OCI image layout (image-layout.md): the config bytes as stored, each layer
 * packed again from its diff/ (it must hash to its DiffID: the packing is deterministic and the
 * layer store kept every mode, owner and time), an uncompressed-layer manifest, index.json.
 * A sketch of what stage 6's `save` does properly.
 */
async function exportOci(name: string, dir: string): Promise<{ id: string; diffIds: string[] }> {
  const p = paths(env);
  const store = new ImageStore(p);
  const img = store.resolve(name);
  const sys = await realSys();
  const blobs = path.join(dir, 'blobs', 'sha256');
  mkdirSync(blobs, { recursive: true });
  const put = (bytes: Buffer | string) => {
    const digest = sha256(bytes);
    writeFileSync(path.join(blobs, digest.slice(7)), bytes);
    return { digest, size: Buffer.byteLength(bytes) };
  };
  const layers = [];
  for (const [i, chainId] of img.layers.entries()) {
    const bytes = await packDirToBuffer(store.layerDiffDir(chainId), { sys });
    if (sha256(bytes) !== img.config.rootfs.diff_ids[i]) throw new Error(`layer ${i} packs to ${sha256(bytes)}, not its DiffID ${img.config.rootfs.diff_ids[i]}`);
    layers.push({ mediaType: 'application/vnd.oci.image.layer.v1.tar', ...put(bytes) });
  }
  const configBytes = readFileSync(path.join(p.imageDb, 'content', 'sha256', img.id.slice(7)));
  const config = { mediaType: 'application/vnd.oci.image.config.v1+json', ...put(configBytes) };
  const manifest = put(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config, layers }));
  writeFileSync(path.join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  writeFileSync(path.join(dir, 'index.json'), JSON.stringify({
    schemaVersion: 2,
    manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', ...manifest, annotations: { 'org.opencontainers.image.ref.name': 'latest' } }],
  }));
  return { id: img.id, diffIds: img.config.rootfs.diff_ids };
}

async function ids(work: string): Promise<void> {
  // A base whose layer tar we can make again byte for byte: busybox's files, packed by packDir.
  const p = paths(env);
  const store = new ImageStore(p);
  const busyboxDiff = store.layerDiffDir(store.resolve('busybox').layers[0]);
  const baseTar = path.join(work, 'base.tar');
  writeFileSync(baseTar, await packDirToBuffer(busyboxDiff, { sys: await realSys() }));
  md(['import', '-c', 'CMD ["sh"]', baseTar, 'minidock-bench-base:1']);
  md(['run', '--name', 'minidock-bench-ids', 'minidock-bench-base:1', 'sh', '-c', 'rm /etc/group; rm -rf /home; mkdir /home; echo hi > /home/x']);
  md(['commit', '-m', 'ids', 'minidock-bench-ids', 'minidock-bench-ids:1']);
  md(['rm', 'minidock-bench-ids']);
  const layout = path.join(work, 'oci');
  const ours = await exportOci('minidock-bench-ids:1', layout);

  const inspected = JSON.parse(execFileSync('skopeo', ['inspect', `oci:${layout}:latest`], { encoding: 'utf8' })) as { Layers: string[] };
  const rawConfig = execFileSync('skopeo', ['inspect', '--raw', '--config', `oci:${layout}:latest`]);
  const theirConfig = JSON.parse(rawConfig.toString()) as { rootfs: { diff_ids: string[] } };
  execFileSync('umoci', ['unpack', '--image', `${layout}:latest`, path.join(work, 'bundle')], { stdio: 'pipe' });
  const umociStat = execFileSync('umoci', ['stat', '--image', `${layout}:latest`, '--json'], { encoding: 'utf8' });
  const same = (a: unknown, b: unknown) => (JSON.stringify(a) === JSON.stringify(b) ? 'equal' : 'DIFFERENT');
  console.log('\nIDs of a committed image (base + commit with a whiteout and an opaque dir), exported as an OCI layout:');
  console.log(`  image ID:  ours ${ours.id}`);
  console.log(`             skopeo config sha256 ${sha256(rawConfig)} → ${same(ours.id, sha256(rawConfig))}`);
  console.log(`  DiffIDs:   skopeo Layers ${same(inspected.Layers, ours.diffIds)}, config rootfs.diff_ids ${same(theirConfig.rootfs.diff_ids, ours.diffIds)}`);
  console.log(`  ChainIDs:  ${chainIds(inspected.Layers).map((c) => c.slice(7, 19)).join(' ')} ${same(chainIds(inspected.Layers), store.resolve('minidock-bench-ids:1').layers)} to layerdb`);
  console.log(`  umoci unpack verified every layer against its DiffID; umoci stat lists ${(JSON.parse(umociStat) as { history: unknown[] }).history.length} history entries`);
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('bench-overlay2 needs root');
  need('hyperfine', 'hyperfine');
  need('skopeo', 'skopeo');
  need('umoci', 'umoci');
  const parts = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ['start', 'apply', 'ids'];
  const work = mkdtempSync(path.join(tmpdir(), 'minidock-bench3-'));
  let made: string[] = [];
  try {
    if (parts.includes('start')) {
      made = buildDeepImage();
      startTimes(work);
    }
    if (parts.includes('apply')) await applyThroughput(work);
    if (parts.includes('ids')) await ids(work);
  } finally {
    spawnSync(minidock, ['rm', '-f', 'minidock-bench-ids'], { env, stdio: 'ignore' });
    spawnSync(minidock, ['rmi', DEEP, ...made.reverse(), 'minidock-bench-ids:1', 'minidock-bench-base:1'], { env, stdio: 'ignore' });
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(`bench-overlay2: ${(e as Error).message}`);
  process.exit(1);
});
