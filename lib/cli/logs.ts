// minidock logs [-f] [-n|--tail N] [-t] [--since T] [--until T] CONTAINER — docker logs: what a
// container wrote to stdout and stderr, from its json-file log (lib/container/logs.ts), each line
// back on the stream it came from.

import { writeSync } from 'node:fs';
import { ArgumentsError } from '../errors.js';
import { followLog, formatTime, parseSince, parseTail, parseTime, readLog, selectEntries, type LogEntry } from '../container/logs.js';
import { findContainer, initAlive, loadIfThere, monitorAlive } from '../container/state.js';
import { paths } from '../paths.js';
import { parseFlags } from './args.js';
import { requireStage7 } from './exec.js';

const OPTIONS = {
  follow: { type: 'boolean', short: 'f' },
  tail: { type: 'string', short: 'n' },
  timestamps: { type: 'boolean', short: 't' },
  since: { type: 'string' },
  until: { type: 'string' },
} as const;

export default async function logs(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(argv, OPTIONS);
  if (positionals.length !== 1) throw new ArgumentsError(`'minidock logs' requires exactly 1 argument: minidock logs [OPTIONS] CONTAINER`);
  requireStage7('logs');
  const p = paths();
  const c = findContainer(p, positionals[0]);
  const filter = {
    tail: parseTail(values.tail ?? 'all'),
    since: values.since === undefined ? undefined : parseSince(values.since),
    until: values.until === undefined ? undefined : parseSince(values.until),
  };
  const show = (e: LogEntry) => {
    const prefix = values.timestamps ? formatTime(parseTime(e.time), true) + ' ' : '';
    writeSync(e.stream === 'stdout' ? 1 : 2, prefix + e.log);
  };
  const { entries, position } = readLog(c.LogPath); // the rotated files too (--log-opt max-file)
  selectEntries(entries, filter).forEach(show);
  if (values.follow) {
    const running = () => {
      const now = loadIfThere(p, c.ID); // undefined: removed
      // Exited once the monitor has recorded it, which it does after the last lines reached the
      // log (monitor.ts) — not as soon as PID 1 is gone, when the shim may still hold them; or
      // once PID 1 is gone and no monitor is left to record anything.
      return now !== undefined && now.State.Running && (initAlive(now) || monitorAlive(now));
    };
    await followLog(c.LogPath, position, running, show, filter.until);
  }
  return 0;
}
