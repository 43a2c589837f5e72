// minidock inspect [-f FORMAT] NAME|ID... — docker inspect: the low-level JSON of containers
// (or, when no container has that name, of images).

import path from 'node:path';
import { EngineError } from '../errors.js';
import { findContainer, loadHostConfig, type Container } from '../container/state.js';
import { paths, type Paths } from '../paths.js';
import { emptySettings } from '../network/settings.js';
import { inspectMounts } from '../volumes/plan.js';
import { parseFlags } from './args.js';
import { formatTemplate } from './format.js';
import { inspectImage } from './image.js';

const OPTIONS = { format: { type: 'string', short: 'f' }, type: { type: 'string' } } as const;

/** The container as `docker inspect` shows it (the fields minidock has). */
export function inspectContainer(p: Paths, c: Container): Record<string, unknown> {
  const dir = p.container(c.ID);
  return {
    Id: c.ID,
    Created: c.Created,
    Path: c.Path,
    Args: c.Args,
    State: c.State,
    Image: c.Image,
    ResolvConfPath: path.join(dir, 'resolv.conf'),
    HostnamePath: path.join(dir, 'hostname'),
    HostsPath: path.join(dir, 'hosts'),
    LogPath: c.LogPath,
    Name: c.Name,
    RestartCount: c.RestartCount ?? 0,
    Driver: c.Driver,
    Platform: c.OS,
    HostConfig: loadHostConfig(p, c.ID),
    GraphDriver: c.GraphDriver,
    Mounts: inspectMounts(c.MountPoints ?? {}),
    Config: c.Config,
    NetworkSettings: c.NetworkSettings ?? emptySettings(), // stage 5
  };
}

export default async function inspect(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(argv, OPTIONS);
  if (positionals.length === 0) throw new EngineError(`'minidock inspect' requires at least 1 argument`);
  const p = paths();
  const found: unknown[] = [];
  let failed = false;
  for (const ref of positionals) {
    try {
      if (values.type === 'image') found.push(inspectImage(p, ref));
      else {
        try {
          found.push(inspectContainer(p, findContainer(p, ref)));
        } catch (e) {
          if (values.type === 'container') throw e;
          found.push(inspectImage(p, ref));
        }
      }
    } catch {
      process.stderr.write(`minidock: no such object: ${ref}\n`);
      failed = true;
    }
  }
  if (values.format !== undefined) {
    for (const obj of found) process.stdout.write(formatTemplate(values.format, obj) + '\n');
  } else {
    process.stdout.write(JSON.stringify(found, null, 4) + '\n');
  }
  return failed ? 1 : 0;
}
