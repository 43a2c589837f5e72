// Progress of a pull, a push or a load, as events: one line of its own ("Digest: …"), or the
// state of one layer ("Downloading" with bytes done and expected, "Pull complete"). The engine
// emits them; the command line decides how they look (lib/cli/progress.ts draws a bar per layer
// on a terminal). Without a terminal, plainProgress prints a line per finished state only, the
// lines these commands have always printed.
//
// Stage 6 notes, "progress on a terminal".

export interface Bytes {
  current: number;
  /** unknown for a stream whose length nobody announced */
  total?: number;
}

// #region progress-events
export interface Progress {
  /** a line of its own, printed under the layers' lines */
  line(text: string): void;
  /** the state of one layer (named by 12 hex digits), with a byte count while it moves */
  layer(id: string, status: string, bytes?: Bytes): void;
}
// #endregion

/** States a layer passes through on its way: a terminal shows them, a log does not. */
const IN_BETWEEN = new Set(['Pulling fs layer', 'Waiting', 'Downloading', 'Verifying Checksum', 'Extracting', 'Preparing', 'Pushing', 'Loading layer']);

/** Not a terminal: `<id>: <state>` for the states a layer ends a phase in, no bars. */
export function plainProgress(log: (line: string) => void): Progress {
  return {
    line: log,
    layer: (id, status, bytes) => {
      if (bytes === undefined && !IN_BETWEEN.has(status)) log(`${id}: ${status}`);
    },
  };
}
