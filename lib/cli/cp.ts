// minidock cp SRC DEST — docker cp: CONTAINER:PATH on one side, a host path on the other.

import { ArgumentsError } from '../errors.js';
import { copy, parseCpEnd } from '../container/cp.js';
import { paths } from '../paths.js';
import { parseFlags } from './args.js';
import { requireStage7 } from './exec.js';

export default async function cp(argv: string[]): Promise<number> {
  const { positionals } = parseFlags(argv, { archive: { type: 'boolean', short: 'a' } });
  if (positionals.length !== 2) throw new ArgumentsError(`'minidock cp' requires exactly 2 arguments: minidock cp CONTAINER:SRC_PATH DEST_PATH | SRC_PATH CONTAINER:DEST_PATH`);
  requireStage7('cp');
  await copy(paths(), parseCpEnd(positionals[0]), parseCpEnd(positionals[1]));
  return 0;
}
