// minidock tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG] — docker tag: one more name for an image
// (a name held by another image moves to this one). Stage 6 notes, "names".

import { EngineError } from '../errors.js';
import { ImageStore } from '../image/store.js';
import { paths } from '../paths.js';
import { parseFlags } from './args.js';
import { requireImagesStage } from './stage6.js';

export default async function tag(argv: string[]): Promise<number> {
  const { positionals } = parseFlags(argv, {});
  if (positionals.length !== 2) throw new EngineError('"tag" requires exactly 2 arguments; usage: minidock tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]');
  requireImagesStage('tag');
  const store = new ImageStore(paths());
  const image = store.resolve(positionals[0]);
  store.tag(image.id, positionals[1]);
  return 0;
}
