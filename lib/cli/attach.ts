// minidock attach [--detach-keys KEYS] [--no-stdin] [--sig-proxy=false] CONTAINER — docker
// attach: become the screen (and, for a container made with -i, the keyboard) of a running
// detached container, through its shim's socket (lib/container/attach-client.ts). The detach
// keys leave it running; its exit ends the attachment with its status; without a terminal, the
// signals we get go to its PID 1 (sig-proxy.ts).

import { ArgumentsError, EngineError } from '../errors.js';
import { attachedStatus, attachTo } from '../container/attach-client.js';
import { DEFAULT_DETACH_KEYS, parseDetachKeys } from '../container/detachkeys.js';
import { proxySignals, toContainer } from '../container/sig-proxy.js';
import { findContainer } from '../container/state.js';
import { paths } from '../paths.js';
import { parseFlags } from './args.js';
import { requireStage7 } from './exec.js';

const OPTIONS = {
  'detach-keys': { type: 'string' },
  'no-stdin': { type: 'boolean' },
  'sig-proxy': { type: 'boolean' },
} as const;

export default async function attach(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(argv, OPTIONS);
  if (positionals.length !== 1) throw new ArgumentsError(`'minidock attach' requires exactly 1 argument`);
  requireStage7('attach');
  const detachKeys = parseDetachKeys(values['detach-keys'] ?? DEFAULT_DETACH_KEYS);
  const p = paths();
  const c = findContainer(p, positionals[0]);
  // docker's refusals, word for word
  if (!c.State.Running) throw new EngineError('You cannot attach to a stopped container, start it first', 1);
  if (c.State.Paused) throw new EngineError('You cannot attach to a paused container, unpause it first', 1);
  // --sig-proxy (on by default): our signals go to PID 1; never with a terminal (sig-proxy.ts)
  const unproxy = !c.Config.Tty && values['sig-proxy'] !== false ? proxySignals(toContainer(p, c.ID)) : () => {};
  try {
    const end = await attachTo(p.attachSocket(c.ID), { stdin: c.Config.OpenStdin && !values['no-stdin'], tty: c.Config.Tty, detachKeys });
    return attachedStatus(end, c.ID);
  } finally {
    unproxy();
  }
}
