// minidock rm [-f] [-v] CONTAINER... — docker rm: remove containers (-f kills a running one first;
// -v removes their anonymous volumes too).

import { EngineError } from '../errors.js';
import { removeContainer } from '../container/lifecycle.js';
import { paths } from '../paths.js';
import { parseFlags } from './args.js';
import { eachContainer } from './stop.js';

const OPTIONS = { force: { type: 'boolean', short: 'f' }, volumes: { type: 'boolean', short: 'v' } } as const;

export default async function rm(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(argv, OPTIONS);
  if (positionals.length === 0) throw new EngineError(`'minidock rm' requires at least 1 argument`);
  return eachContainer(positionals, (ref) => removeContainer(paths(), ref, !!values.force, !!values.volumes));
}
