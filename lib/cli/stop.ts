// minidock stop [-t SECONDS] CONTAINER... — docker stop: SIGTERM, then SIGKILL after the timeout.

import { EngineError, oneLine, UsageError } from '../errors.js';
import { stopContainer } from '../container/lifecycle.js';
import { paths } from '../paths.js';
import { parseFlags } from './args.js';

const OPTIONS = { time: { type: 'string', short: 't' }, timeout: { type: 'string' } } as const;

export default async function stop(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(argv, OPTIONS);
  const raw = values.time ?? values.timeout ?? '10';
  const seconds = Number(raw);
  if (!Number.isInteger(seconds) || seconds < 0) throw new UsageError(`invalid argument "${raw}" for "-t, --time" flag`);
  if (positionals.length === 0) throw new EngineError(`'minidock stop' requires at least 1 argument`);
  return eachContainer(positionals, (ref) => stopContainer(paths(), ref, seconds));
}

/** Apply an action to each named container, as docker does: print each name that worked, one
 *  error line for each that did not, and exit 1 if any failed. */
export async function eachContainer(refs: string[], action: (ref: string) => Promise<unknown>): Promise<number> {
  let failed = false;
  for (const ref of refs) {
    try {
      await action(ref);
      process.stdout.write(ref + '\n');
    } catch (e) {
      process.stderr.write(`minidock: ${oneLine(e)}\n`);
      failed = true;
    }
  }
  return failed ? 1 : 0;
}
