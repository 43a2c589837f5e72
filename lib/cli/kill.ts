// minidock kill [-s SIGNAL] CONTAINER... — docker kill: send a signal (default SIGKILL).

import { EngineError } from '../errors.js';
import { killContainer, signalNumber } from '../container/lifecycle.js';
import { paths } from '../paths.js';
import { parseFlags } from './args.js';
import { eachContainer } from './stop.js';

const OPTIONS = { signal: { type: 'string', short: 's' } } as const;

export default async function kill(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(argv, OPTIONS);
  const sig = values.signal ?? 'KILL';
  signalNumber(sig); // a bad signal name fails before anything is sent
  if (positionals.length === 0) throw new EngineError(`'minidock kill' requires at least 1 argument`);
  return eachContainer(positionals, async (ref) => killContainer(paths(), ref, sig));
}
