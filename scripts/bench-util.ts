// What the benches share: a median, a command timed under GNU time, and a node --cpu-prof
// profile summed per function (self time), to see where a command spends its CPU.

import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * Run a command under GNU time: wall seconds, peak RSS in MB, and CPU seconds (user + system: on a
 * shared machine contention inflates them far less than the wall time). Throws when it fails.
 */
export function timed(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): { seconds: number; rssMb: number; cpuSeconds: number } {
  const r = spawnSync('/usr/bin/time', ['-f', '%e %M %U %S', cmd, ...args], { encoding: 'utf8', env });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: exit ${r.status}: ${r.stderr.trim()}`);
  const [seconds, kb, user, system] = r.stderr.trim().split('\n').pop()!.split(' ').map(Number);
  return { seconds, rssMb: kb / 1024, cpuSeconds: user + system };
}

/** Print the functions with the most self time in the one .cpuprofile that `dir` holds. */
export function printProfile(dir: string, title: string, top = 15): void {
  const prof = JSON.parse(readFileSync(`${dir}/${readdirSync(dir)[0]}`, 'utf8')) as {
    nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
    samples: number[];
    timeDeltas: number[];
  };
  const perNode = new Map<number, number>();
  prof.samples.forEach((id, i) => perNode.set(id, (perNode.get(id) ?? 0) + (prof.timeDeltas[i] ?? 0)));
  const perFunction = new Map<string, number>();
  for (const n of prof.nodes) {
    const where = n.callFrame.url ? ` ${n.callFrame.url.split('/').slice(-2).join('/')}:${n.callFrame.lineNumber + 1}` : '';
    const key = `${n.callFrame.functionName || '(anonymous)'}${where}`;
    perFunction.set(key, (perFunction.get(key) ?? 0) + (perNode.get(n.id) ?? 0));
  }
  console.log(`\n${title}, self time (µs → ms); "(idle)" is waiting, e.g. on the thread pool or the network:`);
  for (const [fn, us] of [...perFunction].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${(us / 1000).toFixed(0).padStart(8)} ms  ${fn}`);
}
