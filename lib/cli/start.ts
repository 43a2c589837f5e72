// minidock start CONTAINER... — docker start: run a created or exited container again, detached
// (same rw layer, same log; a new shim is its parent).

import { ArgumentsError } from '../errors.js';
import { startContainer } from '../container/lifecycle.js';
import { paths } from '../paths.js';
import { parseFlags } from './args.js';
import { requireStage7 } from './exec.js';
import { eachContainer } from './stop.js';

export default async function start(argv: string[]): Promise<number> {
  const { positionals } = parseFlags(argv, {});
  if (positionals.length === 0) throw new ArgumentsError(`'minidock start' requires at least 1 argument`);
  requireStage7('start');
  return eachContainer(positionals, (ref) => startContainer(paths(), ref));
}
