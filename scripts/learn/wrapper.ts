// The stage the learner's engine runs at: one line in learn/bin/minidock (and minidock-runtime).
//
// The engine switches later stages' code off with the stage gate (lib/stage.ts: stageOn(n) is
// false above MINIDOCK_STAGE). In a tree started at stage N, every exercise of stage N and above
// is a stub; running the engine at stage N keeps the stubs of stages > N unreached, so the
// learner's engine works like the reference one at stage N — except for the stage N stubs.
// An explicit MINIDOCK_STAGE still wins (the checks' controls set one).

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const MARK = '# learn: the stage this engine runs at';
const WRAPPERS = ['bin/minidock', 'bin/minidock-runtime'];

/** The wrapper script with its stage line set to n (added before the exec line the first time). */
export function withStage(script: string, n: number): string {
  const line = `export MINIDOCK_STAGE=\${MINIDOCK_STAGE:-${n}}  ${MARK}`;
  const lines = script.split('\n');
  const at = lines.findIndex((l) => l.endsWith(MARK));
  if (at >= 0) lines[at] = line;
  else {
    const exec = lines.findIndex((l) => /^exec /.test(l));
    if (exec < 0) throw new Error('the wrapper has no exec line');
    lines.splice(exec, 0, line);
  }
  return lines.join('\n');
}

/** Set the stage of the tree's bin/minidock and bin/minidock-runtime (those that exist). */
export function setEngineStage(tree: string, n: number): void {
  for (const rel of WRAPPERS) {
    const file = path.join(tree, rel);
    if (existsSync(file)) writeFileSync(file, withStage(readFileSync(file, 'utf8'), n));
  }
}

/** The stage a tree's bin/minidock runs at, or undefined when it has no stage line. */
export function engineStage(tree: string): number | undefined {
  const m = /MINIDOCK_STAGE:-(\d+)\}/.exec(readFileSync(path.join(tree, 'bin/minidock'), 'utf8'));
  return m ? Number(m[1]) : undefined;
}
