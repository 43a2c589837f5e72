// minidock exec [-d] [-i] [-t] [-e K=V] [-w DIR] [-u USER[:GROUP]] CONTAINER COMMAND [ARG...] — docker exec: run one more
// process in a running container (setns into its namespaces; lib/runtime/exec.ts).

import { ArgumentsError, EngineError } from '../errors.js';
import { parseEnv } from '../container/create.js';
import { execInContainer } from '../container/exec.js';
import { paths } from '../paths.js';
import { currentStage } from '../stage.js';
import { parseFlags, splitAtPositional } from './args.js';

const OPTIONS = {
  detach: { type: 'boolean', short: 'd' },
  interactive: { type: 'boolean', short: 'i' },
  tty: { type: 'boolean', short: 't' },
  env: { type: 'string', short: 'e', multiple: true },
  workdir: { type: 'string', short: 'w' },
  user: { type: 'string', short: 'u' },
} as const;

/** The verbs of stage 7 refuse to run below it, with one line that says so. */
export function requireStage7(verb: string): void {
  const stage = currentStage();
  if (stage < 7) throw new EngineError(`${verb} needs stage 7 (exec & lifecycle); this engine runs at stage ${stage}`, 1);
}

export default async function exec(argv: string[]): Promise<number> {
  const { flags, rest } = splitAtPositional(argv, OPTIONS);
  const { values } = parseFlags(flags, OPTIONS);
  if (rest.length < 2) throw new ArgumentsError(`'minidock exec' requires at least 2 arguments: minidock exec [OPTIONS] CONTAINER COMMAND [ARG...]`);
  requireStage7('exec');
  if (values.user !== undefined && currentStage() < 8) throw new EngineError(`-u/--user needs stage 8 (security); this engine runs at stage ${currentStage()}`, 1);
  return execInContainer(paths(), rest[0], {
    cmd: rest.slice(1),
    env: parseEnv(values.env ?? []),
    workdir: values.workdir,
    detach: !!values.detach,
    interactive: !!values.interactive,
    tty: !!values.tty,
    user: values.user,
  });
}
