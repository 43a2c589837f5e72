// minidock import [-c CHANGE]... [-m MESSAGE] FILE|- [REPOSITORY[:TAG]] — docker import: a rootfs
// tarball (a path, or "-" for stdin; plain, gzip, xz, bzip2 or zstd) becomes a one-layer image.
// Prints its ID.

import { createReadStream, statSync } from 'node:fs';
import { EngineError } from '../errors.js';
import { importImage } from '../image/import.js';
import { ImageStore } from '../image/store.js';
import { paths } from '../paths.js';
import { parseFlags } from './args.js';

const OPTIONS = {
  change: { type: 'string', short: 'c', multiple: true },
  message: { type: 'string', short: 'm' },
} as const;

const USAGE = 'usage: minidock import [-c CHANGE]... [-m MESSAGE] FILE|- [REPOSITORY[:TAG]]';

export default async function importVerb(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(argv, OPTIONS);
  if (positionals.length < 1 || positionals.length > 2) {
    throw new EngineError(`"import" requires at least 1 and at most 2 arguments; ${USAGE}`);
  }
  const [source, reference] = positionals;
  if (/^https?:\/\//.test(source)) throw new EngineError('import from a url is not supported: download the file first');
  if (source !== '-') {
    try {
      statSync(source);
    } catch {
      throw new EngineError(`import ${source}: no such file or directory`);
    }
  }

  const tarball = source === '-' ? process.stdin : createReadStream(source);
  const id = await importImage(new ImageStore(paths()), tarball, {
    changes: values.change ?? [],
    message: values.message,
    reference,
    sourceName: source,
  });
  process.stdout.write(`${id}\n`);
  return 0;
}
