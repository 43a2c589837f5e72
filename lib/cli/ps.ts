// minidock ps [-a] [-q] [-n N] [-l] [--no-trunc] [-f KEY=VALUE]… [--format TEMPLATE] — docker ps:
// the containers, one line each, newest first; --filter picks them (lib/container/psfilter.ts),
// --format prints each through a template, `table …` in aligned columns with a header.

import { UsageError } from '../errors.js';
import { ImageStore } from '../image/store.js';
import { matchesFilters, parseFilters } from '../container/psfilter.js';
import { listContainers, type Container } from '../container/state.js';
import { paths } from '../paths.js';
import { portsColumn } from '../network/settings.js';
import { parseFlags } from './args.js';
import { formatTemplate } from './format.js';
import { humanDuration, table } from './human.js';

const OPTIONS = {
  all: { type: 'boolean', short: 'a' },
  quiet: { type: 'boolean', short: 'q' },
  'no-trunc': { type: 'boolean' },
  format: { type: 'string' },
  filter: { type: 'string', short: 'f', multiple: true },
  last: { type: 'string', short: 'n' },
  latest: { type: 'boolean', short: 'l' },
} as const;

/** The column titles docker prints for each field of a `table` format. */
const HEADERS = {
  ID: 'CONTAINER ID', Image: 'IMAGE', Command: 'COMMAND', CreatedAt: 'CREATED AT', RunningFor: 'CREATED',
  Status: 'STATUS', State: 'STATE', Ports: 'PORTS', Names: 'NAMES', Labels: 'LABELS',
};
const DEFAULT_TABLE = 'table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}';

export function status(c: Container, now = Date.now()): string {
  const s = c.State;
  if (s.Running) return `Up ${humanDuration(now - Date.parse(s.StartedAt))}${s.Paused ? ' (Paused)' : ''}`;
  if (s.Status === 'exited') return `Exited (${s.ExitCode}) ${humanDuration(now - Date.parse(s.FinishedAt))} ago`;
  return s.Status[0].toUpperCase() + s.Status.slice(1);
}

/** -n N: docker's int flag; -1 (its default) and 0 mean no limit. */
function parseLast(text: string): number {
  if (!/^[+-]?\d+$/.test(text)) throw new UsageError(`invalid argument "${text}" for "-n, --last" flag: strconv.ParseInt: parsing ${JSON.stringify(text)}: invalid syntax`);
  return Number(text);
}

// #region ps-select
/** Which containers ps lists: running ones (all with -a, -n, or a status filter), filtered, newest first. */
export function selectContainers(all: Container[], values: { all?: boolean; filter?: string[]; last?: string; latest?: boolean }, imageIdOf?: (ref: string) => string | undefined): Container[] {
  const filters = parseFilters(values.filter ?? []);
  const last = values.latest ? 1 : values.last !== undefined ? parseLast(values.last) : -1;
  // a status filter shows stopped containers too, as -a would
  const showAll = !!values.all || filters.has('status') || last > 0;
  const shown = all.filter((c) => (showAll || c.State.Running) && matchesFilters(c, filters, imageIdOf));
  return last > 0 ? shown.slice(0, last) : shown;
}
// #endregion

export default async function ps(argv: string[]): Promise<number> {
  const { values } = parseFlags(argv, OPTIONS);
  const p = paths();
  // ancestor=IMAGE: the image's ID, looked up once per value (one store, opened without its
  // garbage collection: ps only reads)
  let store: ImageStore | undefined;
  const ids = new Map<string, string | undefined>();
  const imageIdOf = (ref: string) => {
    if (!ids.has(ref)) {
      store ??= new ImageStore(p, { collectGarbage: false });
      try {
        ids.set(ref, store.resolve(ref).id);
      } catch {
        ids.set(ref, undefined); // no such image: no container descends from it
      }
    }
    return ids.get(ref);
  };
  const shown = selectContainers(listContainers(p), values, imageIdOf);
  const id = (c: Container) => (values['no-trunc'] ? c.ID : c.ID.slice(0, 12));
  if (values.quiet) {
    process.stdout.write(shown.map((c) => id(c) + '\n').join(''));
    return 0;
  }
  const command = (c: Container) => {
    const full = [c.Path, ...c.Args].join(' ');
    return JSON.stringify(values['no-trunc'] || full.length <= 20 ? full : full.slice(0, 19) + '…');
  };
  // the fields of docker ps --format: {{.ID}} {{.Names}} {{.Status}} …
  const fields = (c: Container) => ({
    ID: id(c), Image: c.Config.Image, Command: command(c), CreatedAt: c.Created, RunningFor: `${humanDuration(Date.now() - Date.parse(c.Created))} ago`,
    Status: status(c), State: c.State.Status, Ports: portsColumn(c.NetworkSettings), Names: c.Name.slice(1),
    Labels: Object.entries(c.Config.Labels ?? {}).sort().map(([k, v]) => `${k}=${v}`).join(','),
  });
  // as docker's formatter: "\t" and "\n" typed in the template are a tab and a newline
  const format = (values.format ?? DEFAULT_TABLE).replace(/\\t/g, '\t').replace(/\\n/g, '\n');
  if (format === 'table' || format.startsWith('table ')) {
    const body = format === 'table' ? DEFAULT_TABLE.slice(6) : format.slice(6).trim();
    const header = formatTemplate(body, HEADERS).split('\t');
    process.stdout.write(table(header, shown.map((c) => formatTemplate(body, fields(c)).split('\t'))));
    return 0;
  }
  for (const c of shown) process.stdout.write(formatTemplate(format, fields(c)) + '\n');
  return 0;
}
