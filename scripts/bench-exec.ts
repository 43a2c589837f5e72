// node dist/scripts/bench-exec.js (or `npm run bench -- exec`): how many threads exec-enter
// starts, with Node's defaults and with the flags the engine gives it (lib/runtime/exec.ts,
// FEW_THREADS), how long its start-up takes either way, and how long a whole
// `minidock exec C true` takes. Numbers, not a test; they go in stages/07-exec/README.md
// ("exec under a low pids limit").
//
// Threads: exec-enter is started alone with an empty pipe as its fd 3, so it blocks reading its
// bootstrap; /proc/<pid>/task then lists every thread it made. Start-up: the same, with fd 3
// closed, so it exits at its first read (hyperfine). Honors MINIDOCK_ROOT / MINIDOCK_RUN.

import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const minidock = path.join(repo, 'bin', 'minidock');
// started as the engine starts it: through launch.cjs, which picks the bundle
const execEnter = [path.join(repo, 'dist', 'lib', 'launch.cjs'), path.join(repo, 'dist', 'lib', 'runtime', 'exec-enter.js')];

const VARIANTS = [
  { name: 'Node defaults', flags: [] as string[], env: {} as Record<string, string> },
  { name: 'engine flags ', flags: ['--v8-pool-size=1'], env: { UV_THREADPOOL_SIZE: '1' } },
];

/** The threads of exec-enter once it waits on fd 3 (its start-up is over by then). */
async function threadsOf(flags: string[], env: Record<string, string>): Promise<number> {
  const child = spawn(process.execPath, [...flags, ...execEnter], { stdio: ['ignore', 'ignore', 'ignore', 'pipe'], env: { PATH: process.env.PATH, ...env } });
  let threads = 0;
  // poll until the count settles: exec-enter blocks in readSync with every thread started
  for (let i = 0, last = -1; i < 40; i++) {
    await new Promise((r) => setTimeout(r, 50));
    threads = readdirSync(`/proc/${child.pid}/task`).length;
    if (threads === last && i > 10) break;
    last = threads;
  }
  child.kill('SIGKILL');
  return threads;
}

for (const v of VARIANTS) console.log(`exec-enter threads, ${v.name}: ${await threadsOf(v.flags, v.env)}`);

const json = path.join(tmpdir(), `bench-exec-${process.pid}.json`);
const hyperfine = (args: string[]) => {
  const r = spawnSync('hyperfine', ['-N', '--warmup', '3', '--runs', '20', '--export-json', json, '--style', 'none', ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`hyperfine: ${r.stderr}`);
  const results = (JSON.parse(readFileSync(json, 'utf8')) as { results: { mean: number; stddev: number }[] }).results;
  rmSync(json);
  return results;
};
const ms = (x: { mean: number; stddev: number }) => `${(x.mean * 1000).toFixed(0)} ms ± ${(x.stddev * 1000).toFixed(0)}`;

// start-up of exec-enter alone: up to its first use of fd 3 (not open: it fails there, -i)
const startup = hyperfine(['-i', ...VARIANTS.flatMap((v) => ['-n', v.name, `env ${Object.entries(v.env).map(([k, x]) => `${k}=${x}`).join(' ')} ${process.execPath} ${v.flags.join(' ')} ${execEnter.join(' ')}`])]);
VARIANTS.forEach((v, i) => console.log(`exec-enter start-up, ${v.name}: ${ms(startup[i])}`));

// a whole exec, as the engine now runs it, into a container under --pids-limit 8
const name = `bench-exec-${process.pid}`;
execFileSync(minidock, ['run', '-d', '--name', name, '--network', 'none', '--pids-limit', '8', 'busybox', 'sleep', '600']);
try {
  const [whole] = hyperfine([`${minidock} exec ${name} true`]);
  console.log(`minidock exec (--pids-limit 8) true: ${ms(whole)}`);
  const id = execFileSync(minidock, ['inspect', '-f', '{{.Id}}', name], { encoding: 'utf8' }).trim();
  const max = ['/sys/fs/cgroup/pids/minidock', '/sys/fs/cgroup/minidock'].map((d) => `${d}/${id}/pids.max`).find(existsSync);
  if (max) console.log(`(the container's ${max}: ${readFileSync(max, 'utf8').trim()})`);
} finally {
  execFileSync(minidock, ['rm', '-f', name]);
}
