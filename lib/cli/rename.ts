// minidock rename CONTAINER NEW_NAME — docker rename: give a container, running or stopped,
// another name (lib/container/rename.ts).

import { ArgumentsError, EngineError } from '../errors.js';
import { renameContainer } from '../container/rename.js';
import { paths } from '../paths.js';
import { parseFlags } from './args.js';
import { requireStage7 } from './exec.js';

export default async function rename(argv: string[]): Promise<number> {
  const { positionals } = parseFlags(argv, {});
  if (positionals.length !== 2) throw new ArgumentsError(`'minidock rename' requires exactly 2 arguments: minidock rename CONTAINER NEW_NAME`);
  requireStage7('rename');
  const [ref, newName] = positionals.map((s) => s.trim());
  // docker's CLI refuses this before asking the daemon
  if (ref === '' || newName === '') throw new EngineError('Error: Neither old nor new names may be empty', 1);
  renameContainer(paths(), ref, newName);
  return 0;
}
