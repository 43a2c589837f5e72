// Stopping, killing and removing containers. kill(2), signal(7).
//
// The signals go to the container's PID 1 from the host. Inside its PID namespace, PID 1 is
// protected: the kernel drops signals it has no handler for, except SIGKILL and SIGSTOP sent
// from an ancestor namespace (pid_namespaces(7)). That is why `stop` on `sleep 1000` waits the
// whole timeout and then needs SIGKILL (exit status 137), as it does with docker.

import { constants as osConstants } from 'node:os';
import { EngineError } from '../errors.js';
import type { Paths } from '../paths.js';
import { trace } from '../sys/trace.js';
import { existsSync } from 'node:fs';
import { realSys, type Sys } from '../sys/index.js';
import { reconcile } from './reconcile.js';
import { removeContainerFiles } from './remove.js';
import { findContainer, initAlive, loadContainer, type Container } from './state.js';

export function signalNumber(name: string): number {
  const upper = name.toUpperCase();
  if (/^\d+$/.test(upper)) return Number(upper);
  const n = osConstants.signals[(upper.startsWith('SIG') ? upper : `SIG${upper}`) as NodeJS.Signals];
  if (n === undefined) throw new EngineError(`invalid signal: ${name}`);
  return n;
}

function isRunning(c: Container): boolean {
  return c.State.Running && initAlive(c);
}

/** Send a signal to the container's PID 1, as the host sees it. */
function signal(c: Container, sig: number): void {
  trace(`$ kill -${sig} ${c.State.Pid}   # PID 1 of container ${c.ID.slice(0, 12)}`);
  try {
    process.kill(c.State.Pid, sig);
  } catch {
    // it exited between our look and our signal
  }
}

/**
 * Wait until the container's monitor has recorded the exit — or, when the monitor is gone too,
 * record it ourselves (reconcile.ts). After a SIGKILL we sent, the status is certain: 137. After
 * a SIGTERM it is not (a handler may have exited 0), so it stays unknown.
 * A container removed meanwhile (--rm) is stopped too.
 */
async function waitStopped(p: Paths, sys: Sys, id: string, timeoutMs: number, sent: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!existsSync(p.container(id))) return true;
    const c = reconcile(p, sys, loadContainer(p, id), sent === osConstants.signals.SIGKILL ? sent : undefined);
    if (!c.State.Running) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 25));
  }
}

export function killContainer(p: Paths, ref: string, sig = 'KILL'): Container {
  const c = findContainer(p, ref);
  const n = signalNumber(sig);
  if (!isRunning(c)) throw new EngineError(`cannot kill container: ${ref}: container ${c.ID} is not running`, 1);
  signal(c, n);
  return c;
}

// #region stop
/** docker stop: SIGTERM, wait up to `timeoutSec`, then SIGKILL. */
export async function stopContainer(p: Paths, ref: string, timeoutSec = 10): Promise<Container> {
  const c = findContainer(p, ref);
  if (!isRunning(c)) return c; // stopping a stopped container is not an error
  const sys = await realSys();
  const { SIGTERM, SIGKILL } = osConstants.signals;
  signal(c, SIGTERM);
  if (!(await waitStopped(p, sys, c.ID, timeoutSec * 1000, SIGTERM))) {
    signal(c, SIGKILL);
    if (!(await waitStopped(p, sys, c.ID, 10_000, SIGKILL))) throw new EngineError(`container ${ref} did not stop after SIGKILL`);
  }
  return existsSync(p.container(c.ID)) ? loadContainer(p, c.ID) : c;
}
// #endregion

/** docker rm [-f] [-v]: a running container needs -f, which kills it first; -v takes its anonymous volumes. */
export async function removeContainer(p: Paths, ref: string, force: boolean, removeVolumes = false): Promise<void> {
  const c = findContainer(p, ref);
  const sys = await realSys();
  if (isRunning(c)) {
    if (!force) {
      throw new EngineError(`cannot remove container "${c.Name}": container is running: stop the container before removing or force remove`, 1);
    }
    signal(c, osConstants.signals.SIGKILL);
    if (!(await waitStopped(p, sys, c.ID, 10_000, osConstants.signals.SIGKILL))) throw new EngineError(`container ${ref} did not stop after SIGKILL`, 1);
  }
  // with --rm, the monitor may be removing it right now: removal is locked and idempotent
  removeContainerFiles(p, sys, c.ID, removeVolumes);
}
