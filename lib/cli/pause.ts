// minidock pause CONTAINER... — docker pause: freeze every process of the container (cgroup freezer).

import { ArgumentsError } from '../errors.js';
import { pauseContainer } from '../container/lifecycle.js';
import { paths } from '../paths.js';
import { parseFlags } from './args.js';
import { requireStage7 } from './exec.js';
import { eachContainer } from './stop.js';

/** pause and unpause share this: `on` says which. */
export async function freezeVerb(verb: string, argv: string[], on: boolean): Promise<number> {
  const { positionals } = parseFlags(argv, {});
  if (positionals.length === 0) throw new ArgumentsError(`'minidock ${verb}' requires at least 1 argument`);
  requireStage7(verb);
  return eachContainer(positionals, async (ref) => pauseContainer(paths(), ref, on));
}

export default function pause(argv: string[]): Promise<number> {
  return freezeVerb('pause', argv, true);
}
