// minidock load [-i FILE] [-q] — docker load: images from a tar made by `save` (ours or docker's)
// or by skopeo (docker-archive: or oci-archive:), plain or compressed, from FILE or stdin.

import { EngineError } from '../errors.js';
import { loadImages, openInput } from '../image/archive.js';
import { ImageStore } from '../image/store.js';
import { paths } from '../paths.js';
import { parseFlags } from './args.js';
import { TerminalProgress } from './progress.js';
import { requireImagesStage } from './stage6.js';

export default async function load(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(argv, { input: { type: 'string', short: 'i' }, quiet: { type: 'boolean', short: 'q' } });
  if (positionals.length > 0) throw new EngineError('"load" accepts no arguments; usage: minidock load [-i FILE] [-q]');
  requireImagesStage('load');
  if (!values.input && process.stdin.isTTY) throw new EngineError('requested load from stdin, but stdin is empty');
  const p = paths();
  // a bar per layer on a terminal, a line per finished step otherwise, nothing with -q
  const log = values.quiet ? () => {} : process.stdout.isTTY ? new TerminalProgress(process.stdout) : (line: string) => process.stdout.write(`${line}\n`);
  const lines = await loadImages(p, new ImageStore(p), openInput(values.input), log);
  process.stdout.write(lines.map((l) => `${l}\n`).join(''));
  return 0;
}
