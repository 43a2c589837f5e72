// minidock push [-q] NAME[:TAG] — docker push: upload an image to the registry its name names
// (`minidock tag busybox 127.0.0.1:5000/busybox` first). Stage 6 notes, "pull and push".

import { EngineError } from '../errors.js';
import { pushImage } from '../image/push.js';
import { ImageStore } from '../image/store.js';
import { paths } from '../paths.js';
import { parseFlags } from './args.js';
import { TerminalProgress } from './progress.js';
import { requireImagesStage } from './stage6.js';

export default async function push(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(argv, { quiet: { type: 'boolean', short: 'q' } });
  if (positionals.length !== 1) throw new EngineError('"push" requires exactly 1 argument; usage: minidock push [-q] NAME[:TAG]');
  requireImagesStage('push');
  const p = paths();
  // a bar per layer on a terminal, a line per finished step otherwise, nothing with -q
  const log = values.quiet ? () => {} : process.stdout.isTTY ? new TerminalProgress(process.stdout) : (line: string) => process.stdout.write(`${line}\n`);
  const res = await pushImage(p, new ImageStore(p), positionals[0], log);
  if (values.quiet) process.stdout.write(`${res.digest}\n`);
  return 0;
}
