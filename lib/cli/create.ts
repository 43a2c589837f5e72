// minidock create [run's OPTIONS] IMAGE [COMMAND] [ARG...] — docker create: the container is made
// (record, rw layer, volumes) and left "created"; `minidock start` runs it.

import { createFromArgs } from './run.js';
import { requireStage7 } from './exec.js';

export default async function create(argv: string[]): Promise<number> {
  requireStage7('create');
  const { c } = await createFromArgs(argv);
  process.stdout.write(c.ID + '\n');
  return 0;
}
