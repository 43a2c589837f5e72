// minidock save [-o FILE] IMAGE... — docker save: images as one tar (docker-archive and OCI
// layout at once, as docker 25 writes it) to FILE or to stdout. Stage 6 notes, "save and load".

import { createWriteStream, renameSync, rmSync } from 'node:fs';
import { EngineError } from '../errors.js';
import { saveImages } from '../image/archive.js';
import { ImageStore } from '../image/store.js';
import { paths } from '../paths.js';
import { parseFlags } from './args.js';
import { requireImagesStage } from './stage6.js';

export default async function save(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(argv, { output: { type: 'string', short: 'o' } });
  if (positionals.length === 0) throw new EngineError('"save" requires at least 1 argument; usage: minidock save [-o FILE] IMAGE...');
  requireImagesStage('save');
  const p = paths();
  const store = new ImageStore(p);
  if (!values.output) {
    if (process.stdout.isTTY) throw new EngineError('cowardly refusing to save to a terminal. Use the -o flag or redirect');
    await saveImages(p, store, positionals, process.stdout);
    return 0;
  }
  // a file appears whole or not at all
  const tmp = `${values.output}.tmp-${process.pid}`;
  try {
    await saveImages(p, store, positionals, createWriteStream(tmp, { mode: 0o644 }));
    renameSync(tmp, values.output);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
  return 0;
}
