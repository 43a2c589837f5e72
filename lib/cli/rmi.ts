// minidock rmi [-f] [--no-prune] IMAGE... — docker rmi (also `image rm`): untag, and remove an
// image whose last name is gone along with the layers nothing else uses. One failure does not
// stop the others; any failure makes the exit status 1, as with docker.

import { EngineError } from '../errors.js';
import { removeImage } from '../image/delete.js';
import { ImageStore } from '../image/store.js';
import { paths } from '../paths.js';
import { parseFlags } from './args.js';

const OPTIONS = {
  force: { type: 'boolean', short: 'f' },
  'no-prune': { type: 'boolean' },
} as const;

export default async function rmi(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(argv, OPTIONS);
  if (positionals.length === 0) throw new EngineError(`"rmi" requires at least 1 argument; usage: minidock rmi [-f] [--no-prune] IMAGE...`);
  const p = paths();
  const store = new ImageStore(p);
  let failed = false;
  for (const name of positionals) {
    try {
      const lines = removeImage(p, store, name, { force: !!values.force, prune: !values['no-prune'] });
      process.stdout.write(lines.map((l) => `${l}\n`).join(''));
    } catch (err) {
      if (!(err instanceof EngineError)) throw err;
      process.stderr.write(`minidock: ${err.message}\n`);
      failed = true;
    }
  }
  return failed ? 1 : 0;
}
