// docker rename: a container gets another name — running or not, nothing else about it changes.
//
// The name is the one thing two minidock processes may fight over (a `run --name NEW` at the same
// moment), so the check "is NEW free?" and the write of the new record happen under the names lock
// that `run` reserves its names under (reserve.ts); the record itself is changed under the
// container's lock, as every other change to it (the shim may be writing its State meanwhile).

import { existsSync } from 'node:fs';
import { EngineError } from '../errors.js';
import { invalidName } from '../names.js';
import type { Paths } from '../paths.js';
import { whileNameFree } from './reserve.js';
import { containerLock, findContainer, loadContainer, saveContainer, type Container } from './state.js';

// #region rename
/** Rename container `ref` to `newName` (with or without the leading '/'); the renamed record. */
export function renameContainer(p: Paths, ref: string, newName: string): Container {
  // in docker's order: the container, then the same name, then the new name's form
  const wanted = newName.replace(/^\//, '');
  const c = findContainer(p, ref);
  const old = c.Name.slice(1);
  if (old === wanted) throw new EngineError('Renaming a container with the same name as its current name', 1);
  const bad = invalidName(wanted);
  if (bad) throw new EngineError(`Invalid container name (${wanted.slice(0, 140)}), ${bad}`, 1);
  return whileNameFree(p, wanted, () =>
    containerLock(p, c.ID, () => {
      if (!existsSync(p.container(c.ID))) throw new EngineError(`no such container: ${ref}`, 1); // rm won the race
      const now = loadContainer(p, c.ID);
      now.Name = `/${wanted}`;
      // on a user network the container answers to its name: the new one replaces the old
      for (const ep of Object.values(now.NetworkSettings?.Networks ?? {})) {
        if (ep.DNSNames) ep.DNSNames = ep.DNSNames.map((n) => (n === old ? wanted : n));
      }
      saveContainer(p, now);
      return now;
    }),
  );
}
// #endregion
