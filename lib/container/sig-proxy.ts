// docker's --sig-proxy (run, attach, start -a; on by default): the signals a user sends to the
// client — Ctrl-C's SIGINT, a `kill` from another shell — go on to the container's PID 1, and
// the client stays until the container's exit ends it. Off (`--sig-proxy=false`), the client
// takes them itself and dies of them, and the container runs on. With a terminal (-t) docker
// turns it off whatever the flag says: Ctrl-C is then a byte the container's own terminal turns
// into SIGINT for its foreground job (attach-client.ts, raw mode). Stage 7 notes, "--sig-proxy";
// man pages: signal(7) (which signals a process may catch), kill(2).

import type { Paths } from '../paths.js';
import { signalIfAlive } from '../proc.js';
import { trace } from '../sys/trace.js';
import { initAlive, loadIfThere } from './state.js';

/** What is proxied: the signals a user sends by hand. Not SIGCHLD, SIGPIPE, SIGWINCH (the client's own business). */
export const PROXIED_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'];

/** Pass each proxied signal to `send` instead of dying of it; returns what undoes that. */
export function proxySignals(send: (sig: NodeJS.Signals) => void): () => void {
  const handlers = PROXIED_SIGNALS.map((sig) => {
    const handler = () => send(sig);
    process.on(sig, handler);
    return [sig, handler] as const;
  });
  return () => handlers.forEach(([sig, handler]) => process.off(sig, handler));
}

/** A foreground run: each signal to its own child, PID 1 (the run is its monitor). */
export function toProcess(pid: number): (sig: NodeJS.Signals) => void {
  return (sig) => {
    trace(`$ kill -${sig} ${pid}   # --sig-proxy: to PID 1`);
    signalIfAlive(pid, sig);
  };
}

/**
 * attach and start -a: each signal to the container's PID 1, as its record names it at that
 * moment (a restart policy may have started another). A container that no longer runs gets none.
 */
export function toContainer(p: Paths, id: string): (sig: NodeJS.Signals) => void {
  return (sig) => {
    const c = loadIfThere(p, id);
    if (c === undefined || !c.State.Running || !initAlive(c)) return; // removed, or not running
    trace(`$ kill -${sig} ${c.State.Pid}   # --sig-proxy: PID 1 of container ${id.slice(0, 12)}`);
    signalIfAlive(c.State.Pid, sig); // it may have exited between our look and our signal
  };
}
