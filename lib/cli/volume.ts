// minidock volume COMMAND — docker volume: create, ls, inspect, rm, prune. The volumes live in
// volumes/<name>/_data, their metadata in volumes/<name>/metadata.json (lib/volumes/store.ts).
// docker-volume(1). Stage 4 notes: stages/04-volumes/README.md.

import { createInterface } from 'node:readline/promises';
import { EngineError, oneLine } from '../errors.js';
import { paths } from '../paths.js';
import { currentStage } from '../stage.js';
import { usersOf } from '../container/volumes.js';
import { createVolume, findVolume, listVolumes, pruneVolumes, removeVolume, type Volume } from '../volumes/store.js';
import { keyValues, parseFlags } from './args.js';
import { formatTemplate } from './format.js';
import { humanSize, table } from './human.js';

const USAGE = `usage: minidock volume COMMAND

Commands:
  create    create a volume
  ls        list volumes
  inspect   show detailed information on one or more volumes
  rm        remove one or more volumes (not while a container uses them)
  prune     remove unused anonymous volumes (-a: all unused volumes)`;

export default async function volume(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '-h' || sub === '--help') {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  const stage = currentStage();
  if (stage < 4) throw new EngineError(`volume needs stage 4 (volumes); this engine runs at stage ${stage}`);
  switch (sub) {
    case 'create':
      return create(rest);
    case 'ls':
    case 'list':
      return ls(rest);
    case 'inspect':
      return inspect(rest);
    case 'rm':
    case 'remove':
      return rm(rest);
    case 'prune':
      return prune(rest);
    default:
      throw new EngineError(`'volume ${sub}' is not a minidock command; see 'minidock volume --help'`);
  }
}

async function create(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(argv, {
    driver: { type: 'string', short: 'd' },
    label: { type: 'string', multiple: true },
    opt: { type: 'string', short: 'o', multiple: true },
  });
  if (positionals.length > 1) throw new EngineError(`'minidock volume create' requires at most 1 argument`);
  const driver = values.driver ?? 'local';
  const name = positionals[0];
  if (driver !== 'local') throw new EngineError(`create ${name ?? ''}: error looking up volume plugin ${driver}: plugin "${driver}" not found`);
  // docker's local driver can mount a filesystem at _data (--opt type=tmpfs,device=…,o=…)
  if (values.opt && values.opt.length > 0) {
    throw new EngineError(`create ${name ?? ''}: --opt is not built in minidock: its local driver keeps plain directories (docker's mounts type/device/o at _data)`);
  }
  const v = createVolume(paths(), name, keyValues(values.label ?? []), {});
  process.stdout.write(v.Name + '\n');
  return 0;
}

async function ls(argv: string[]): Promise<number> {
  const { values } = parseFlags(argv, {
    quiet: { type: 'boolean', short: 'q' },
    format: { type: 'string' },
    filter: { type: 'string', short: 'f', multiple: true },
  });
  const p = paths();
  let volumes = listVolumes(p);
  for (const f of values.filter ?? []) {
    const eq = f.indexOf('=');
    const [key, val] = [f.slice(0, eq), f.slice(eq + 1)];
    if (key === 'dangling' && (val === 'true' || val === '1' || val === 'false' || val === '0')) {
      const dangling = val === 'true' || val === '1';
      volumes = volumes.filter((v) => (usersOf(p)(v.Name).length === 0) === dangling);
    } else if (key === 'name') volumes = volumes.filter((v) => v.Name.includes(val));
    else if (key === 'driver') volumes = volumes.filter((v) => v.Driver === val);
    else if (key === 'label') {
      const [k, ...rest] = val.split('=');
      volumes = volumes.filter((v) => v.Labels !== null && k in v.Labels && (rest.length === 0 || v.Labels[k] === rest.join('=')));
    } else throw new EngineError(`invalid filter '${f}'`);
  }
  if (values.quiet) process.stdout.write(volumes.map((v) => v.Name + '\n').join(''));
  else if (values.format !== undefined) process.stdout.write(volumes.map((v) => formatTemplate(values.format!, v) + '\n').join(''));
  else process.stdout.write(table(['DRIVER', 'VOLUME NAME'], volumes.map((v) => [v.Driver, v.Name])));
  return 0;
}

async function inspect(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(argv, { format: { type: 'string', short: 'f' } });
  if (positionals.length === 0) throw new EngineError(`'minidock volume inspect' requires at least 1 argument`);
  const p = paths();
  const found: Volume[] = [];
  let failed = false;
  for (const name of positionals) {
    const v = findVolume(p, name);
    if (v) found.push(v);
    else {
      process.stderr.write(`minidock: no such volume: ${name}\n`);
      failed = true;
    }
  }
  if (values.format !== undefined) process.stdout.write(found.map((v) => formatTemplate(values.format!, v) + '\n').join(''));
  else process.stdout.write(JSON.stringify(found, null, 4) + '\n');
  return failed ? 1 : 0;
}

async function rm(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(argv, { force: { type: 'boolean', short: 'f' } });
  if (positionals.length === 0) throw new EngineError(`'minidock volume rm' requires at least 1 argument`);
  const p = paths();
  let failed = false;
  for (const name of positionals) {
    try {
      // -f: a volume that does not exist is not an error (one in use still is, as with docker)
      removeVolume(p, name, usersOf(p), { ignoreMissing: !!values.force });
      process.stdout.write(name + '\n');
    } catch (e) {
      process.stderr.write(`minidock: ${oneLine(e)}\n`);
      failed = true;
    }
  }
  return failed ? 1 : 0;
}

async function prune(argv: string[]): Promise<number> {
  const { values } = parseFlags(argv, { all: { type: 'boolean', short: 'a' }, force: { type: 'boolean', short: 'f' } });
  if (!values.force) {
    const what = values.all ? 'all local volumes' : 'anonymous local volumes';
    const rl = createInterface({ input: process.stdin, output: process.stdout });
    const answer = await rl.question(`WARNING! This will remove ${what} not used by at least one container.\nAre you sure you want to continue? [y/N] `);
    rl.close();
    if (!/^y(es)?$/i.test(answer.trim())) return 0;
  }
  const { deleted, reclaimed } = pruneVolumes(paths(), !!values.all, usersOf(paths()));
  if (deleted.length > 0) process.stdout.write(`Deleted Volumes:\n${deleted.map((n) => n + '\n').join('')}\n`);
  process.stdout.write(`Total reclaimed space: ${humanSize(reclaimed)}\n`);
  return 0;
}
