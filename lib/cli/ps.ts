// minidock ps [-a] [-q] [--no-trunc] — docker ps: the containers, one line each.

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
} as const;

export function status(c: Container, now = Date.now()): string {
  const s = c.State;
  if (s.Running) return `Up ${humanDuration(now - Date.parse(s.StartedAt))}${s.Paused ? ' (Paused)' : ''}`;
  if (s.Status === 'exited') return `Exited (${s.ExitCode}) ${humanDuration(now - Date.parse(s.FinishedAt))} ago`;
  return s.Status[0].toUpperCase() + s.Status.slice(1);
}

export default async function ps(argv: string[]): Promise<number> {
  const { values } = parseFlags(argv, OPTIONS);
  const shown = listContainers(paths()).filter((c) => values.all || c.State.Running);
  const id = (c: Container) => (values['no-trunc'] ? c.ID : c.ID.slice(0, 12));
  if (values.quiet) {
    process.stdout.write(shown.map((c) => id(c) + '\n').join(''));
    return 0;
  }
  const command = (c: Container) => {
    const full = [c.Path, ...c.Args].join(' ');
    return JSON.stringify(values['no-trunc'] || full.length <= 20 ? full : full.slice(0, 19) + '…');
  };
  if (values.format !== undefined) {
    // the fields of docker ps --format: {{.ID}} {{.Names}} {{.Status}} …
    for (const c of shown) {
      const fields = { ID: id(c), Image: c.Config.Image, Command: command(c), CreatedAt: c.Created, RunningFor: humanDuration(Date.now() - Date.parse(c.Created)), Status: status(c), State: c.State.Status, Ports: portsColumn(c.NetworkSettings), Names: c.Name.slice(1) };
      process.stdout.write(formatTemplate(values.format, fields) + '\n');
    }
    return 0;
  }
  const rows = shown.map((c) => [id(c), c.Config.Image, command(c), `${humanDuration(Date.now() - Date.parse(c.Created))} ago`, status(c), portsColumn(c.NetworkSettings), c.Name.slice(1)]);
  process.stdout.write(table(['CONTAINER ID', 'IMAGE', 'COMMAND', 'CREATED', 'STATUS', 'PORTS', 'NAMES'], rows));
  return 0;
}
