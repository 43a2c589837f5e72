// Stage 4 bench: what writing "past the layers" into a volume saves. Writes into a volume go
// straight to the host filesystem; the first write to a file of a lower (image) layer makes
// overlayfs copy the whole file up into the container's layer first (and fsync it).
//
//   node dist/scripts/bench-volumes.js        (as root; BENCH_MB=512 file size, BENCH_RUNS=7)
//
// Each case runs in a fresh `minidock run --rm` container (a copy-up happens once per container)
// and is timed inside it with busybox `time -p` (10 ms steps), so the container's own start-up
// time, which varies far more than the writes on a busy machine, is not part of the number.
// Numbers go to stages/04-volumes/README.md ("Performance"); they are measurements, not tests.

import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { median } from './bench-util.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const minidock = path.join(repo, 'bin', 'minidock');
const MB = Number(process.env.BENCH_MB || 512);
const RUNS = Number(process.env.BENCH_RUNS || 7);
const IMAGE = 'mdbench-bigfile:latest';
const VOLUME = 'mdbench-vol';

function md(...args: string[]): string {
  return execFileSync(minidock, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Seconds the command took inside a fresh container, as `time -p` reports ("real 1.23"). */
function timed(flags: string[], command: string): number {
  const r = spawnSync(minidock, ['run', '--rm', ...flags, IMAGE, 'sh', '-c', `time -p ${command}`], { encoding: 'utf8' });
  const real = /^real ([\d.]+)$/m.exec(r.stderr);
  if (r.status !== 0 || !real) throw new Error(`bench-volumes: ${command} failed (exit ${r.status}): ${r.stderr.trim()}`);
  return Number(real[1]);
}

// Copy-up needs overlay2 (stage 3); volumes need stage 4.
const probe = md('run', '-d', 'busybox', 'true').trim();
const driver = md('inspect', '-f', '{{.Driver}}', probe).trim();
md('rm', '-f', probe);
if (driver !== 'overlay2') {
  console.error(`bench-volumes: containers use the ${driver} driver here; run it at stage 4 or above (MINIDOCK_STAGE=4)`);
  process.exit(1);
}

const work = mkdtempSync(path.join(tmpdir(), 'mdbench-volumes-'));
try {
  // The image: busybox plus /big, MB MiB of random bytes (not zeros: a sparse file would copy up fast).
  const busybox = md('inspect', '--type', 'image', '-f', '{{.GraphDriver.Data.UpperDir}}', 'busybox').trim();
  const rootfs = path.join(work, 'rootfs');
  cpSync(busybox, rootfs, { recursive: true, verbatimSymlinks: true });
  execFileSync('dd', ['if=/dev/urandom', `of=${path.join(rootfs, 'big')}`, 'bs=1M', `count=${MB}`, 'status=none']);
  execFileSync('sh', ['-c', `tar -C ${rootfs} -cf - . | ${minidock} import - ${IMAGE}`], { stdio: 'ignore' });
  rmSync(rootfs, { recursive: true, force: true });
  // The volume holds a file of the same size, for the same 1-byte write.
  md('volume', 'create', VOLUME);
  const data = md('volume', 'inspect', '-f', '{{.Mountpoint}}', VOLUME).trim();
  execFileSync('dd', ['if=/dev/urandom', `of=${path.join(data, 'big')}`, 'bs=1M', `count=${MB}`, 'status=none']);

  const vol = ['-v', `${VOLUME}:/v`];
  const cases: { name: string; flags: string[]; command: string; bytes: number }[] = [
    { name: `1 byte into the ${MB} MiB image file (copy-up)`, flags: [], command: 'dd if=/dev/zero of=/big bs=1 count=1 conv=notrunc', bytes: MB },
    { name: `1 byte into a ${MB} MiB file in a volume`, flags: vol, command: 'dd if=/dev/zero of=/v/big bs=1 count=1 conv=notrunc', bytes: 0 },
    { name: `${MB} MiB sequential + fsync into a volume`, flags: vol, command: `dd if=/dev/zero of=/v/seq bs=1M count=${MB} conv=fsync`, bytes: MB },
    { name: `${MB} MiB sequential + fsync, new file in the container layer`, flags: [], command: `dd if=/dev/zero of=/seq bs=1M count=${MB} conv=fsync`, bytes: MB },
  ];
  console.log(`${RUNS} containers per case, each timed inside with time -p; median [min … max]\n`);
  for (const c of cases) {
    const times = Array.from({ length: RUNS }, () => timed(c.flags, c.command));
    const m = median(times);
    const rate = c.bytes > 0 && m > 0 ? `  ${(c.bytes / m).toFixed(0)} MiB/s` : '';
    console.log(`  ${c.name.padEnd(60)} ${(m * 1000).toFixed(0).padStart(5)} ms [${(Math.min(...times) * 1000).toFixed(0)} … ${(Math.max(...times) * 1000).toFixed(0)}]${rate}`);
  }
} finally {
  spawnSync(minidock, ['volume', 'rm', '-f', VOLUME], { stdio: 'ignore' });
  spawnSync(minidock, ['rmi', IMAGE], { stdio: 'ignore' });
  rmSync(work, { recursive: true, force: true });
}
