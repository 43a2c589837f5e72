// minidock build [-t NAME]... [-f Dockerfile] [--no-cache] [--target STAGE] [-q] CONTEXT — docker build with the
// classic builder: `Step N/M : …` per instruction, `Using cache`, `Successfully built`.
// Stage 6 notes, "minidock build".

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { EngineError } from '../errors.js';
import { buildImage } from '../image/build.js';
import { ImageStore } from '../image/store.js';
import { paths } from '../paths.js';
import { parseFlags } from './args.js';
import { requireImagesStage } from './stage6.js';

const OPTIONS = {
  tag: { type: 'string', short: 't', multiple: true },
  file: { type: 'string', short: 'f' },
  'no-cache': { type: 'boolean' },
  'build-arg': { type: 'string', multiple: true },
  quiet: { type: 'boolean', short: 'q' },
  target: { type: 'string' },
} as const;

export default async function build(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(argv, OPTIONS);
  if (positionals.length !== 1) throw new EngineError('"build" requires exactly 1 argument; usage: minidock build [-t NAME] [-f Dockerfile] [--no-cache] [--target STAGE] CONTEXT');
  requireImagesStage('build');
  const context = positionals[0];
  const file = values.file ? path.resolve(values.file) : path.join(context, 'Dockerfile');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new EngineError(`unable to prepare context: cannot read the dockerfile ${file}`);
  }
  const buildArgs: Record<string, string> = {};
  for (const a of values['build-arg'] ?? []) {
    const eq = a.indexOf('=');
    if (eq <= 0) throw new EngineError(`invalid --build-arg ${JSON.stringify(a)}: want NAME=VALUE`);
    buildArgs[a.slice(0, eq)] = a.slice(eq + 1);
  }
  const p = paths();
  const log = values.quiet ? () => {} : (line: string) => process.stdout.write(`${line}\n`);
  const id = await buildImage(p, new ImageStore(p), { context, dockerfile: text, tags: values.tag ?? [], noCache: !!values['no-cache'], buildArgs, target: values.target, log });
  if (values.quiet) process.stdout.write(`${id}\n`);
  return 0;
}
