// docker exec: one more process in a running container. The engine's half: find the container,
// take the process settings of its bundle (config.json: env, cwd, capabilities, rlimits — what
// its PID 1 got), apply -e and -w, and let the runtime (lib/runtime/exec.ts) join and execve.
// Stage 7 notes, "exec is setns".

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { EngineError } from '../errors.js';
import type { Paths } from '../paths.js';
import { execProcess } from '../runtime/exec.js';
import { parseSpec, type Process } from '../runtime/spec.js';
import { realSys } from '../sys/index.js';
import { mergeEnv } from './create.js';
import { findContainer, initAlive, type Container } from './state.js';

export interface ExecRequest {
  cmd: string[];
  /** -e K=V, already resolved (parseEnv) */
  env: string[];
  /** -w DIR */
  workdir?: string;
  /** -d: start it and return; its output goes nowhere, as with docker */
  detach: boolean;
  /** -i: our stdin is its stdin */
  interactive: boolean;
}

/** docker's refusal, word for word, for a container that cannot take an exec. */
export function requireRunning(c: Container): void {
  if (!c.State.Running || !initAlive(c)) throw new EngineError(`container ${c.ID} is not running`, 1);
  if (c.State.Paused) throw new EngineError(`container ${c.ID} is paused, unpause the container before exec`, 1);
}

// #region engine-exec
/** The process exec runs: the container's own process settings, with the command, -e and -w. */
export function execProcessSpec(base: Process, req: Pick<ExecRequest, 'cmd' | 'env' | 'workdir'>): Process {
  if (req.workdir !== undefined && !req.workdir.startsWith('/')) throw new EngineError(`the working directory '${req.workdir}' is invalid, it needs to be an absolute path`);
  return { ...base, terminal: false, args: req.cmd, env: mergeEnv(base.env, req.env), cwd: req.workdir || base.cwd };
}

/** Run `req.cmd` in container `ref`; resolves to its exit status (0 at once with -d). */
export async function execInContainer(p: Paths, ref: string, req: ExecRequest): Promise<number> {
  const c = findContainer(p, ref);
  requireRunning(c);
  const spec = parseSpec(readFileSync(path.join(p.bundle(c.ID), 'config.json'), 'utf8'));
  const proc = execProcessSpec(spec.process, req);
  const stdio: ('ignore' | 'inherit')[] = req.detach ? ['ignore', 'ignore', 'ignore'] : [req.interactive ? 'inherit' : 'ignore', 'inherit', 'inherit'];
  const execed = await execProcess(await realSys(), { root: p.runtimeRoot, id: c.ID, process: proc, stdio });
  if (req.detach) {
    execed.child.unref();
    return 0;
  }
  // signals sent to `minidock exec` go to the process, as docker's CLI forwards them
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'] as const;
  const forward = (sig: NodeJS.Signals) => execed.child.kill(sig);
  for (const sig of signals) process.on(sig, forward);
  const status = await execed.exited;
  for (const sig of signals) process.off(sig, forward);
  return status;
}
// #endregion
