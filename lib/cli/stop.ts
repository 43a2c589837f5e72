// minidock stop [-s SIGNAL] [-t SECONDS] CONTAINER... — docker stop: the stop signal (SIGTERM
// unless -s, --stop-signal or the image's STOPSIGNAL say otherwise), then SIGKILL after the
// timeout (10 s unless -t or --stop-timeout).

import { EngineError, oneLine, UsageError } from '../errors.js';
import { signalNumber, stopContainer } from '../container/lifecycle.js';
import { paths } from '../paths.js';
import { parseFlags } from './args.js';

export const STOP_OPTIONS = { time: { type: 'string', short: 't' }, timeout: { type: 'string' }, signal: { type: 'string', short: 's' } } as const;

/** -t and -s as `stop` and `restart` take them; undefined = the container's own settings. */
export function stopArgs(values: { time?: string; timeout?: string; signal?: string }): { seconds?: number; signal?: string } {
  const raw = values.time ?? values.timeout;
  const seconds = raw === undefined ? undefined : Number(raw);
  if (seconds !== undefined && (!Number.isInteger(seconds) || seconds < 0)) throw new UsageError(`invalid argument "${raw}" for "-t, --time" flag`);
  if (values.signal !== undefined) signalNumber(values.signal);
  return { seconds, signal: values.signal };
}

export default async function stop(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(argv, STOP_OPTIONS);
  const { seconds, signal } = stopArgs(values);
  if (positionals.length === 0) throw new EngineError(`'minidock stop' requires at least 1 argument`);
  return eachContainer(positionals, (ref) => stopContainer(paths(), ref, seconds, signal));
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
