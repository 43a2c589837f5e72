// minidock restart [-s SIGNAL] [-t SECONDS] CONTAINER... — docker restart: stop, then start.

import { ArgumentsError } from '../errors.js';
import { restartContainer } from '../container/lifecycle.js';
import { paths } from '../paths.js';
import { parseFlags } from './args.js';
import { requireStage7 } from './exec.js';
import { eachContainer, STOP_OPTIONS, stopArgs } from './stop.js';

export default async function restart(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(argv, STOP_OPTIONS);
  const { seconds, signal } = stopArgs(values);
  if (positionals.length === 0) throw new ArgumentsError(`'minidock restart' requires at least 1 argument`);
  requireStage7('restart');
  return eachContainer(positionals, (ref) => restartContainer(paths(), ref, seconds, signal));
}
