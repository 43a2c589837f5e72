// The stage gate: MINIDOCK_STAGE=N (or `--stage N`) runs the engine with only stages ≤ N.
//
// Learners use it to watch one stage switch on ("run it at stage 2, then at stage 3: the rootfs
// turns from a private copy into an overlay mount"); the checks use it as a negative control
// (a stage's checks must fail against the engine one stage below).

export const STAGES = [
  { n: 0, name: 'preflight' },
  { n: 1, name: 'namespaces + rootfs' },
  { n: 2, name: 'cgroups' },
  { n: 3, name: 'overlay2' },
  { n: 4, name: 'volumes' },
  { n: 5, name: 'networking' },
  { n: 6, name: 'images' },
  { n: 7, name: 'exec & lifecycle' },
  { n: 8, name: 'security' },
  { n: 9, name: 'engine' },
] as const;

/** The highest stage this engine implements. */
export const IMPLEMENTED = 8;

export function currentStage(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.MINIDOCK_STAGE;
  if (raw === undefined || raw === '') return IMPLEMENTED;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`invalid MINIDOCK_STAGE ${JSON.stringify(raw)}: want a stage number`);
  return n; // a stage above IMPLEMENTED switches on whatever of it exists
}

/** True when stage `n` is switched on. */
export function stageOn(n: number, env: NodeJS.ProcessEnv = process.env): boolean {
  return currentStage(env) >= n;
}
