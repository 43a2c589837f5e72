// minidock commit [-a AUTHOR] [-c CHANGE]... [-m MESSAGE] CONTAINER [REPOSITORY[:TAG]] — docker
// commit: the container's writable layer becomes a new image layer. Prints the new image ID.
// Needs stage 3: before it, containers have a private copy (vfs), not a layer to pack.

import { findContainer } from '../container/state.js';
import { EngineError } from '../errors.js';
import { commitContainer } from '../image/commit.js';
import { ImageStore } from '../image/store.js';
import { paths } from '../paths.js';
import { currentStage } from '../stage.js';
import { realSys } from '../sys/index.js';
import { parseFlags } from './args.js';

const OPTIONS = {
  author: { type: 'string', short: 'a' },
  change: { type: 'string', short: 'c', multiple: true },
  message: { type: 'string', short: 'm' },
  // no -p/--pause: docker freezes a running container while it packs; minidock packs it as it is
} as const;

const USAGE = 'usage: minidock commit [-a AUTHOR] [-c CHANGE]... [-m MESSAGE] CONTAINER [REPOSITORY[:TAG]]';

export default async function commit(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(argv, OPTIONS);
  if (positionals.length < 1 || positionals.length > 2) {
    throw new EngineError(`"commit" requires at least 1 and at most 2 arguments; ${USAGE}`);
  }
  const stage = currentStage();
  if (stage < 3) throw new EngineError(`commit needs stage 3 (overlay2); this engine runs at stage ${stage}`);
  const p = paths();
  let c;
  try {
    c = findContainer(p, positionals[0]);
  } catch (e) {
    throw new EngineError((e as Error).message); // docker: a missing container is an engine error here
  }
  const id = await commitContainer(p, new ImageStore(p), c, {
    author: values.author,
    changes: values.change ?? [],
    message: values.message,
    reference: positionals[1],
    sys: await realSys(),
  });
  process.stdout.write(`${id}\n`);
  return 0;
}
