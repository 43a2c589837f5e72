// minidock pull [-q] NAME[:TAG|@DIGEST] — docker pull: an image from a registry (Docker Hub when
// the name has no registry; plain HTTP only for a registry on this machine). Stage 6 notes.

import { EngineError } from '../errors.js';
import { pullImage } from '../image/pull.js';
import { ImageStore } from '../image/store.js';
import { paths } from '../paths.js';
import { parseFlags } from './args.js';
import { TerminalProgress } from './progress.js';
import { requireImagesStage } from './stage6.js';

export default async function pull(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(argv, { quiet: { type: 'boolean', short: 'q' } });
  if (positionals.length !== 1) throw new EngineError('"pull" requires exactly 1 argument; usage: minidock pull [-q] NAME[:TAG|@DIGEST]');
  requireImagesStage('pull');
  const p = paths();
  const lines: string[] = [];
  // a bar per layer on a terminal, a line per finished step otherwise, nothing but the name with -q
  const out = values.quiet ? (line: string) => lines.push(line) : process.stdout.isTTY ? new TerminalProgress(process.stdout) : (line: string) => process.stdout.write(`${line}\n`);
  await pullImage(p, new ImageStore(p), positionals[0], out);
  if (values.quiet) process.stdout.write(`${lines.at(-1)}\n`); // -q prints the full name only
  return 0;
}
