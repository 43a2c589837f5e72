// Hooks: programs config.json asks the runtime to run at fixed points of a container's life,
// each given the container's state as JSON on its stdin. runtime-spec config.md, "POSIX-platform
// Hooks". An engine plugs a container's network in at createRuntime: after the namespaces exist,
// before the rootfs is switched to and long before the user's command runs.

import { spawnSync } from 'node:child_process';
import { EngineError } from '../errors.js';
import { trace } from '../sys/trace.js';
import type { Hook } from './spec.js';
import type { OciState } from './state.js';

/** Run `hooks` in order; the first that fails (non-zero, or past its timeout) is an error. */
export function runHooks(kind: string, hooks: readonly Hook[] | undefined, state: OciState): void {
  for (const h of hooks ?? []) {
    const [argv0, ...args] = h.args && h.args.length > 0 ? h.args : [h.path];
    trace(`$ ${[h.path, ...args].join(' ')}   # ${kind} hook, state on stdin`);
    const r = spawnSync(h.path, args, {
      argv0,
      input: JSON.stringify(state),
      env: Object.fromEntries((h.env ?? []).map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)])),
      timeout: h.timeout ? h.timeout * 1000 : undefined,
      encoding: 'utf8',
    });
    // a hook that exits without reading its stdin leaves us an EPIPE: not a failure, its status says
    if (r.error && (r.error as NodeJS.ErrnoException).code !== 'EPIPE') throw new EngineError(`${kind} hook ${h.path}: ${r.error.message}`);
    if (r.status !== 0) {
      const why = r.signal ? `killed by ${r.signal}` : `exit status ${r.status}`;
      throw new EngineError(`${kind} hook ${h.path}: ${why}${r.stderr ? `: ${r.stderr.trim().split('\n')[0]}` : ''}`);
    }
  }
}

/** poststop hooks only warn: the container is gone either way (runtime-spec). */
export function runHooksWarning(kind: string, hooks: readonly Hook[] | undefined, state: OciState): void {
  try {
    runHooks(kind, hooks, state);
  } catch (e) {
    trace(`warning: ${(e as Error).message}`);
  }
}
