// Reserving a container name: the only work done under the names lock (lib/lock.ts).
//
// docker's daemon keeps its names in memory (a registrar: reserve name → ID, release on failure).
// minidock has no daemon, so a reservation is a small file, /run/minidock/names/<name>, holding
// the ID and the reserving process (PID + start time). Under the lock: is the name free (no
// container's config.v2.json has it, no live reservation holds it)? then write the reservation
// and let go. The container's files are written after the lock is released; once config.v2.json
// carries the name, the reservation is dropped. A reservation whose process died is void.

import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { writeJsonAtomic } from '../atomic.js';
import { EngineError } from '../errors.js';
import { holderAlive, withLock } from '../lock.js';
import type { Paths } from '../paths.js';
import { processStartTime } from '../proc.js';
import { containerName } from './names.js';
import { listContainers, type Container } from './state.js';

interface Reservation {
  ID: string;
  Pid: number;
  Start: string;
}

function reservationsDir(p: Paths): string {
  return path.join(p.run, 'names');
}

/** The live reservations by name ("/web" → its record); void ones are removed on the way. */
function liveReservations(p: Paths): Map<string, Reservation> {
  const out = new Map<string, Reservation>();
  let names: string[] = [];
  try {
    names = readdirSync(reservationsDir(p)).filter((n) => !n.startsWith('.'));
  } catch {
    return out; // no reservation was ever made
  }
  for (const n of names) {
    const file = path.join(reservationsDir(p), n);
    try {
      const r = JSON.parse(readFileSync(file, 'utf8')) as Reservation;
      if (holderAlive({ pid: r.Pid, start: r.Start, tag: '' })) out.set(`/${n}`, r);
      else rmSync(file, { force: true }); // its `run` died before writing the container: void
    } catch {
      // half gone: not a reservation
    }
  }
  return out;
}

/** docker's Conflict error when a container or a live reservation holds `name` (no leading '/'). */
function refuseTaken(containers: readonly Container[], reserved: Map<string, Reservation>, name: string): void {
  const holder = containers.find((x) => x.Name === `/${name}`)?.ID ?? reserved.get(`/${name}`)?.ID;
  if (holder) {
    throw new EngineError(`Conflict. The container name "/${name}" is already in use by container "${holder}". You have to remove (or rename) that container to be able to reuse that name.`);
  }
}

// #region reserve-name
/**
 * Reserve `wanted` (or a generated name) for container `id` and return it, without the leading
 * '/'. Fails with docker's Conflict error when a container or a live reservation has it.
 */
export function reserveName(p: Paths, wanted: string | undefined, id: string): string {
  return withLock('names', () => {
    const containers = listContainers(p);
    const reserved = liveReservations(p);
    const name = (wanted ?? containerName(new Set([...containers.map((x) => x.Name), ...reserved.keys()]))).replace(/^\//, '');
    refuseTaken(containers, reserved, name);
    mkdirSync(reservationsDir(p), { recursive: true, mode: 0o700 });
    const r: Reservation = { ID: id, Pid: process.pid, Start: processStartTime(process.pid) ?? '' };
    writeJsonAtomic(path.join(reservationsDir(p), name), r, 0o600);
    return name;
  }, p.locks);
}
// #endregion

/** Drop our reservation: the container's config.v2.json now carries the name, or create failed. */
export function releaseName(p: Paths, name: string, id: string): void {
  const file = path.join(reservationsDir(p), name);
  try {
    if ((JSON.parse(readFileSync(file, 'utf8')) as Reservation).ID !== id) return; // not ours
  } catch {
    return;
  }
  rmSync(file, { force: true });
}

// #region claim-name
/**
 * `rename`'s half of the registrar: under the names lock, refuse `name` if it is taken, else run
 * `fn` (which writes the name into the container's record) before the lock is let go. A `run`
 * asking for the same name waits for the lock and then finds it in config.v2.json.
 */
export function whileNameFree<T>(p: Paths, name: string, fn: () => T): T {
  return withLock('names', () => {
    refuseTaken(listContainers(p), liveReservations(p), name);
    return fn();
  }, p.locks);
}
// #endregion
