// minidock wait CONTAINER... — docker wait: block until each container stops, print its exit status.

import { ArgumentsError, oneLine } from '../errors.js';
import { waitContainer } from '../container/lifecycle.js';
import { paths } from '../paths.js';
import { parseFlags } from './args.js';
import { requireStage7 } from './exec.js';

export default async function wait(argv: string[]): Promise<number> {
  const { positionals } = parseFlags(argv, {});
  if (positionals.length === 0) throw new ArgumentsError(`'minidock wait' requires at least 1 argument`);
  requireStage7('wait');
  let failed = false;
  for (const ref of positionals) {
    try {
      process.stdout.write(`${await waitContainer(paths(), ref)}\n`);
    } catch (e) {
      process.stderr.write(`minidock: ${oneLine(e)}\n`);
      failed = true;
    }
  }
  return failed ? 1 : 0;
}
