// The shim: the parent of a detached container. containerd-shim's job, in one small process.
// `minidock run -d` must return at once, yet someone has to wait(2) for the container's PID 1
// and write down how it ended, and hold its stdout/stderr (the json-file log). That someone is
// this process: started by the cli in its own session, it runs the monitor and outlives the cli.
//
//   minidock run -d ──spawn──▶ minidock-shim <id> ──spawn──▶ init ──execve──▶ the command
//        ◀── "started" / error on fd 3 ──┘        │
//   minidock attach / run -t ──connect──▶ attach/<id>.sock (attach-server.ts): the output,
//                                         the keys, the window size; with -t the shim holds
//                                         the pty master (shim-io.ts)

import { spawn } from 'node:child_process';
import { closeSync, existsSync, writeSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Socket } from 'node:net';
import { EngineError, EXIT, oneLine } from '../errors.js';
import { paths, type Paths } from '../paths.js';
import { programArgs } from '../program.js';
import { realSys } from '../sys/index.js';
import { setRole, trace } from '../sys/trace.js';
import { restartDelayMs, shouldRestart } from './restart.js';
import { containerLock, loadContainer, loadHostConfig, saveContainer, type Container } from './state.js';
import { runContainer } from './monitor.js';
import { AttachServer, type WindowSize } from './attach-server.js';

const SHIM_JS = fileURLToPath(import.meta.url);

/**
 * The shim's environment: ours (PATH finds ip, nft, mount) with the store's paths, without what
 * makes every Node start slower and that the shim does not use (NODE_OPTIONS can preload code,
 * NODE_EXTRA_CA_CERTS reads a CA bundle; the shim makes no TLS connection). It lives as long as
 * the container, so it should carry nothing it does not need.
 */
function shimEnv(p: Paths): NodeJS.ProcessEnv {
  const { NODE_OPTIONS: _options, NODE_EXTRA_CA_CERTS: _certs, ...rest } = process.env;
  return { ...rest, MINIDOCK_ROOT: p.root, MINIDOCK_RUN: p.run };
}

// #region start-detached
/** How the shim starts: for `run -t`, holding the output for the cli that attaches next. */
export interface ShimOptions {
  /** keep the output for the first attach client (run -t: the cli connects just after the start) */
  hold?: boolean;
  /** -t: the terminal's size at start */
  windowSize?: WindowSize;
}

/** The cli's half: spawn the shim and wait until it reports the container started (or not). */
export function startDetached(p: Paths, id: string, opts: ShimOptions = {}): Promise<void> {
  const args = programArgs(SHIM_JS, [id, JSON.stringify(opts)]);
  trace(`$ node ${args.slice(0, -1).join(' ')}   # the shim`);
  const shim = spawn(process.execPath, args, {
    detached: true, // its own session: a Ctrl-C or a closed terminal does not reach it
    stdio: ['ignore', 'ignore', process.env.MINIDOCK_TRACE ? 'inherit' : 'ignore', 'pipe'],
    env: shimEnv(p),
  });
  const report = shim.stdio[3] as Socket;
  return new Promise((resolve, reject) => {
    let text = '';
    report.setEncoding('utf8');
    report.on('data', (chunk: string) => (text += chunk));
    report.on('close', () => {
      shim.unref();
      try {
        const msg = JSON.parse(text) as { ok: true } | { ok: false; message: string; exitCode: number };
        if (msg.ok) resolve();
        else reject(new EngineError(msg.message, msg.exitCode));
      } catch {
        // the shim died mid-start (killed?): set the container right now, so that nothing of a
        // start we report as failed keeps running (reconcile.ts)
        void reconcileLost(p, id).finally(() => reject(new EngineError('the shim exited before starting the container')));
      }
    });
  });
}
// #endregion

// #region restart-loop
/**
 * --restart: PID 1 exited with `status`; start it again while the policy says so (restart.ts),
 * with docker's growing pause between starts, State.Restarting set during the pause. A user's
 * stop/kill, or rm, during the pause ends it.
 */
async function restartWhilePolicySays(p: Paths, id: string, status: number, attach: AttachServer): Promise<void> {
  for (;;) {
    if (!existsSync(p.container(id))) return;
    const c = loadContainer(p, id);
    const count = c.RestartCount ?? 0;
    if (!shouldRestart(loadHostConfig(p, id).RestartPolicy, status, count, !!c.HasBeenManuallyStopped)) return;
    setRecord(p, id, (r) => ({ ...r, RestartCount: count + 1, State: { ...r.State, Restarting: true, Status: 'restarting' } }));
    await new Promise((r) => setTimeout(r, restartDelayMs(count)));
    const again = existsSync(p.container(id)) ? loadContainer(p, id) : null;
    if (!again || again.HasBeenManuallyStopped) {
      if (again) setRecord(p, id, (r) => ({ ...r, State: { ...r.State, Restarting: false, Status: 'exited' } }));
      return;
    }
    trace(`restart ${id.slice(0, 12)} (policy ${loadHostConfig(p, id).RestartPolicy?.Name}, restart ${count + 1})`);
    try {
      status = await runContainer(p, id, { output: 'log', stdin: false, attach, onStart: () => setRecord(p, id, (r) => ({ ...r, State: { ...r.State, Restarting: false } })) });
    } catch (e) {
      trace(`restart failed: ${oneLine(e)}`);
      setRecord(p, id, (r) => ({ ...r, State: { ...r.State, Restarting: false } }));
      return;
    }
  }
}
// #endregion

function setRecord(p: Paths, id: string, change: (c: Container) => Container): void {
  containerLock(p, id, () => {
    if (existsSync(p.container(id))) saveContainer(p, change(loadContainer(p, id)));
  });
}

async function reconcileLost(p: Paths, id: string): Promise<void> {
  try {
    const { reconcile } = await import('./reconcile.js');
    reconcile(p, await realSys(), loadContainer(p, id));
  } catch (e) {
    trace(`reconcile after a lost shim: ${oneLine(e)}`);
  }
}

// Run as a program: `node shim.js <id>`.
if (process.argv[1] && process.argv[1].endsWith('shim.js')) {
  process.title = 'minidock-shim';
  setRole('shim');
  const id = process.argv[2];
  let told = false; // the cli hears exactly one answer, then fd 3 is closed
  const tell = (msg: object) => {
    if (told) return;
    told = true;
    try {
      writeSync(3, JSON.stringify(msg));
    } catch {
      // the cli is gone
    }
  };
  // the signals that reach the cli's session must not kill the shim
  for (const sig of ['SIGINT', 'SIGHUP', 'SIGPIPE'] as const) process.on(sig, () => {});
  const opts = JSON.parse(process.argv[3] ?? '{}') as ShimOptions;
  const p = paths();
  // the attach socket first: a `run -t` cli connects as soon as we report the start
  AttachServer.listen(p.attachSocket(id), !!opts.hold).then((attach) => runContainer(p, id, {
    output: 'log',
    stdin: false,
    attach,
    windowSize: opts.windowSize,
    onStart: (err) => {
      tell(err ? { ok: false, message: err.message, exitCode: err.exitCode } : { ok: true });
      closeSync(3); // the cli reads until this close, then exits
    },
  }).then(async (status) => {
    attach.exit(status); // attached clients hear the status once it is recorded
    await attach.waitForFirstClient(10_000); // run -t: its cli gets the output even of a quick command
    await restartWhilePolicySays(p, id, status, attach);
  }).finally(() => attach.close())).then(
    () => process.exit(0),
    (e) => {
      // a failure before the start was reported (after it, onStart has already told the cli)
      tell({ ok: false, message: oneLine(e), exitCode: e instanceof EngineError ? e.exitCode : EXIT.ENGINE });
      process.exit(1);
    },
  );
}
