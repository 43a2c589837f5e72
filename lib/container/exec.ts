// docker exec: one more process in a running container. The engine's half: find the container,
// take the process settings of its bundle (config.json: env, cwd, capabilities, rlimits — what
// its PID 1 got), apply -e and -w, and let the runtime (lib/runtime/exec.ts) join and execve.
// Stage 7 notes, "exec is setns".

import { readFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import tty from 'node:tty';
import { EngineError } from '../errors.js';
import type { Paths } from '../paths.js';
import { execProcess } from '../runtime/exec.js';
import { setWindowSize, stdoutWindowSize } from '../runtime/terminal.js';
import { parseSpec, type Process } from '../runtime/spec.js';
import { realSys, type Sys } from '../sys/index.js';
import { mergeEnv } from './create.js';
import { resolveImageUser } from './security.js';
import { proxySignals } from './sig-proxy.js';
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
  /** -t: a pseudo-terminal inside the container (lib/runtime/exec-enter.ts) */
  tty?: boolean;
  /** -u USER[:GROUP] (stage 8): looked up in the container's own /etc/passwd and /etc/group */
  user?: string;
}

/** docker's refusal, word for word, for a container that cannot take an exec. */
export function requireRunning(c: Container): void {
  if (!c.State.Running || !initAlive(c)) throw new EngineError(`container ${c.ID} is not running`, 1);
  if (c.State.Paused) throw new EngineError(`container ${c.ID} is paused, unpause the container before exec`, 1);
}

// #region engine-exec
/** The process exec runs: the container's own process settings, with the command, -e and -w. */
export function execProcessSpec(base: Process, req: Pick<ExecRequest, 'cmd' | 'env' | 'workdir' | 'tty'>): Process {
  if (req.workdir !== undefined && !req.workdir.startsWith('/')) throw new EngineError(`the working directory '${req.workdir}' is invalid, it needs to be an absolute path`);
  // with a terminal, TERM says what it understands (docker sets xterm unless the image has one)
  const env = req.tty ? mergeEnv(mergeEnv(['TERM=xterm'], base.env), req.env) : mergeEnv(base.env, req.env);
  return { ...base, terminal: !!req.tty, args: req.cmd, env, cwd: req.workdir || base.cwd };
}

/** Run `req.cmd` in container `ref`; resolves to its exit status (0 at once with -d). */
export async function execInContainer(p: Paths, ref: string, req: ExecRequest): Promise<number> {
  const c = findContainer(p, ref);
  requireRunning(c);
  const spec = parseSpec(readFileSync(path.join(p.bundle(c.ID), 'config.json'), 'utf8'));
  const tty = !!req.tty && !req.detach;
  const proc = execProcessSpec(spec.process, { ...req, tty });
  if (req.user !== undefined) {
    // the container's files now (its rootfs is mounted on the host), not the image's: a user
    // added inside the running container is found, as with docker
    const u = resolveImageUser(spec.root.path, req.user, []);
    proc.user = { uid: u.uid, gid: u.gid, additionalGids: u.additionalGids };
  }
  const stdio: ('ignore' | 'inherit')[] = req.detach ? ['ignore', 'ignore', 'ignore'] : tty ? ['ignore', 'ignore', 'inherit'] : [req.interactive ? 'inherit' : 'ignore', 'inherit', 'inherit'];
  const sys = await realSys();
  const execed = await execProcess(sys, { root: p.runtimeRoot, id: c.ID, process: proc, stdio, windowSize: stdoutWindowSize() });
  if (req.detach) {
    execed.child.unref();
    return 0;
  }
  if (execed.terminal !== undefined) return relayTerminal(sys, execed.terminal, execed.exited, req.interactive);
  // signals sent to `minidock exec` go to the process it started (sig-proxy.ts)
  const unproxy = proxySignals((sig) => execed.child.kill(sig));
  const status = await execed.exited;
  unproxy();
  return status;
}
// #endregion

// #region relay-terminal
/**
 * The host side of `exec -t`: what the pty master gives goes to our stdout; with -i our stdin,
 * in raw mode (every key as typed: Ctrl-C is a byte for the container's terminal to turn into
 * SIGINT, not a signal for us), goes to the master; our window size follows on SIGWINCH.
 */
async function relayTerminal(sys: Sys, master: number, exited: Promise<number>, interactive: boolean): Promise<number> {
  const fromContainer = new tty.ReadStream(master);
  const drained = new Promise<void>((resolve) => {
    fromContainer.on('data', (d) => process.stdout.write(d));
    // when the last process holding the slave exits, reading the master fails with EIO: the end
    fromContainer.on('error', () => resolve());
    fromContainer.on('end', () => resolve());
    fromContainer.on('close', () => resolve());
  });
  const raw = interactive && process.stdin.isTTY;
  const toContainer = (d: Buffer) => writeSync(master, d);
  if (interactive) {
    if (raw) process.stdin.setRawMode(true);
    process.stdin.on('data', toContainer);
  }
  const resize = () => setWindowSize(sys, master, { rows: process.stdout.rows, columns: process.stdout.columns });
  if (process.stdout.isTTY) process.stdout.on('resize', resize);
  const status = await exited;
  await Promise.race([drained, new Promise((r) => setTimeout(r, 500))]);
  if (interactive) {
    process.stdin.off('data', toContainer);
    if (raw) process.stdin.setRawMode(false);
    process.stdin.pause();
  }
  if (process.stdout.isTTY) process.stdout.off('resize', resize);
  fromContainer.destroy();
  return status;
}
// #endregion