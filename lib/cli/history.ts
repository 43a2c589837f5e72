// minidock history [-q] [--no-trunc] [--format T] IMAGE — docker history (also `image history`):
// one line per history entry of the image config, newest first. Entries that made a layer show
// its size; the IMAGE column follows the chain of parent images (commit records them), and
// shows <missing> where no local image stands for that step.

import { EngineError } from '../errors.js';
import { hexOf, type Digest } from '../image/digest.js';
import { ImageStore, type Image } from '../image/store.js';
import { paths } from '../paths.js';
import { parseFlags } from './args.js';
import { formatTemplate } from './format.js';
import { humanDuration, humanSize, table } from './human.js';

const OPTIONS = {
  quiet: { type: 'boolean', short: 'q' },
  'no-trunc': { type: 'boolean' },
  format: { type: 'string' },
} as const;

export interface HistoryRow {
  ID: string;
  Created: string;
  CreatedBy: string;
  Size: number;
  Comment: string;
  Tags: string[];
}

// #region history
/** The rows of `docker history`, newest first. */
export function imageHistory(store: ImageStore, img: Image): HistoryRow[] {
  const rows: HistoryRow[] = [];
  let layer = 0;
  for (const h of img.config.history ?? []) {
    // a history entry that made a layer owns the next layer of rootfs, bottom up
    const size = h.empty_layer ? 0 : store.layer(img.layers[layer++]).size;
    rows.unshift({ ID: '<missing>', Created: h.created ?? '', CreatedBy: h.created_by ?? '', Size: size, Comment: h.comment ?? '', Tags: [] });
  }
  // the top row is this image; each row below it, its parent, as long as the parents are known
  let current: Image | null = img;
  for (const row of rows) {
    if (current === null) break;
    row.ID = current.id;
    row.Tags = current.repoTags;
    const parent: Digest | null = store.parentOf(current.id);
    current = parent && store.has(parent) ? store.get(parent) : null;
  }
  return rows;
}
// #endregion

export default async function history(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(argv, OPTIONS);
  if (positionals.length !== 1) throw new EngineError(`"history" requires exactly 1 argument; usage: minidock history [OPTIONS] IMAGE`);
  const store = new ImageStore(paths());
  const rows = imageHistory(store, store.resolve(positionals[0]));
  const noTrunc = !!values['no-trunc'];
  const id = (r: HistoryRow) => (r.ID === '<missing>' || noTrunc ? r.ID : hexOf(r.ID).slice(0, 12));

  if (values.quiet) {
    process.stdout.write(rows.map((r) => `${id(r)}\n`).join(''));
    return 0;
  }
  if (values.format !== undefined) {
    for (const r of rows) process.stdout.write(formatTemplate(values.format, { ...r, ID: id(r) }) + '\n');
    return 0;
  }
  const now = Date.now();
  const created = (r: HistoryRow) => (r.Created ? `${humanDuration(now - Date.parse(r.Created))} ago` : 'N/A');
  // docker shortens CREATED BY to 45 characters, the last one an ellipsis
  const createdBy = (r: HistoryRow) => (noTrunc || r.CreatedBy.length <= 45 ? r.CreatedBy : `${r.CreatedBy.slice(0, 44)}…`);
  const lines = rows.map((r) => [id(r), created(r), createdBy(r), humanSize(r.Size), r.Comment]);
  process.stdout.write(table(['IMAGE', 'CREATED', 'CREATED BY', 'SIZE', 'COMMENT'], lines));
  return 0;
}
