// minidock start [-a] [-i] [--detach-keys KEYS] CONTAINER... — docker start: run a created or
// exited container again, detached (same rw layer, same log; a new shim is its parent). With -a
// (and -i, which implies it) the cli then attaches as `minidock attach` does and exits with the
// container's status; the shim holds the first output until it connects (as for `run -t`).

import { ArgumentsError, EngineError } from '../errors.js';
import { attachedStatus, attachTo } from '../container/attach-client.js';
import { DEFAULT_DETACH_KEYS, parseDetachKeys } from '../container/detachkeys.js';
import { startContainer } from '../container/lifecycle.js';
import { proxySignals, toContainer } from '../container/sig-proxy.js';
import { paths } from '../paths.js';
import { stdoutWindowSize } from '../runtime/terminal.js';
import { parseFlags } from './args.js';
import { requireStage7 } from './exec.js';
import { eachContainer } from './stop.js';

const OPTIONS = {
  attach: { type: 'boolean', short: 'a' },
  interactive: { type: 'boolean', short: 'i' },
  'detach-keys': { type: 'string' },
} as const;

export default async function start(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(argv, OPTIONS);
  if (positionals.length === 0) throw new ArgumentsError(`'minidock start' requires at least 1 argument`);
  requireStage7('start');
  if (!values.attach && !values.interactive) return eachContainer(positionals, (ref) => startContainer(paths(), ref));
  if (positionals.length > 1) throw new EngineError('you cannot start and attach multiple containers at once', 1);
  return startAttached(positionals[0], !!values.interactive, values['detach-keys']);
}

// #region start-attach
/** start -a / -i: start, then be the container's screen (and, with -i, its keyboard). */
async function startAttached(ref: string, interactive: boolean, keys: string | undefined): Promise<number> {
  const detachKeys = parseDetachKeys(keys ?? DEFAULT_DETACH_KEYS); // a bad sequence fails before the start
  const p = paths();
  const c = await startContainer(p, ref, { hold: true, windowSize: stdoutWindowSize() });
  // stdin only where the container keeps one open (created with -i), as docker does
  // docker's start proxies signals while attached, as attach does (no flag to turn it off)
  const unproxy = c.Config.Tty ? () => {} : proxySignals(toContainer(p, c.ID));
  try {
    const end = await attachTo(p.attachSocket(c.ID), { stdin: interactive && c.Config.OpenStdin, tty: c.Config.Tty, detachKeys });
    return attachedStatus(end, c.ID);
  } finally {
    unproxy();
  }
}
// #endregion
