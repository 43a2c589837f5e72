// Progress bars on a terminal, as docker draws them: one line per layer, rewritten in place.
//
//   3f4d90098f5b: Downloading [=========>                                         ]  1.05MB/5.52MB
//   b1c9a2e4e1d7: Download complete
//
// A layer seen for the first time gets a new line at the bottom. To rewrite layer k of n, the
// cursor goes up n-k lines (ESC[<n>A), the line is cleared (ESC[2K) and written, and the cursor
// comes back down (ESC[<n>B) to where the next line starts. A line that is not a layer's ends the
// table: layers after it start new lines under it. Bars are redrawn at most every 100 ms per
// layer (a 50 MB layer arrives in ~800 chunks); a change of state is always drawn.
//
// console_codes(4) ("ECMA-48 CSI sequences"). Stage 6 notes, "progress on a terminal".

import type { Bytes, Progress } from '../image/progress.js';
import { humanSize } from './human.js';

const BAR_WIDTH = 50;

// #region progress-bar
/** `[=====>     ]  1.2MB/3.4MB`, or just the count when the total is unknown. */
export function progressBar(bytes: Bytes): string {
  if (bytes.total === undefined || bytes.total <= 0) return humanSize(bytes.current);
  const filled = Math.min(BAR_WIDTH, Math.floor((BAR_WIDTH * bytes.current) / bytes.total));
  const bar = filled >= BAR_WIDTH ? '='.repeat(BAR_WIDTH) : `${'='.repeat(filled)}>${' '.repeat(BAR_WIDTH - filled - 1)}`;
  return `[${bar}] ${humanSize(bytes.current).padStart(8)}/${humanSize(bytes.total)}`;
}
// #endregion

// #region terminal-progress
export class TerminalProgress implements Progress {
  /** the layers' lines on screen, top to bottom, since the last plain line */
  private rows: string[] = [];
  /** per layer: the state last drawn and when */
  private drawn = new Map<string, { status: string; at: number }>();

  constructor(
    private readonly out: { write(text: string): unknown },
    private readonly now: () => number = Date.now,
    private readonly intervalMs = 100,
  ) {}

  line(text: string): void {
    this.out.write(`${text}\n`);
    this.rows = [];
  }

  layer(id: string, status: string, bytes?: Bytes): void {
    const last = this.drawn.get(id);
    const finished = bytes?.total !== undefined && bytes.current >= bytes.total;
    if (last && last.status === status && bytes && !finished && this.now() - last.at < this.intervalMs) return;
    this.drawn.set(id, { status, at: this.now() });
    const text = `${id}: ${status}${bytes ? ` ${progressBar(bytes)}` : ''}`;
    const row = this.rows.indexOf(id);
    if (row < 0) {
      this.rows.push(id);
      this.out.write(`${text}\n`);
      return;
    }
    const up = this.rows.length - row;
    this.out.write(`\x1b[${up}A\r\x1b[2K${text}\r\x1b[${up}B`);
  }
}
// #endregion
