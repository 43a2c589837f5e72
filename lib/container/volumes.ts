// The engine's side of volumes (stage 4): what lib/volumes asks of Docker's records — who uses a
// volume, the mount points of a --volumes-from container — and the writing of the container's
// MountPoints into config.v2.json. Stage 4 notes, "planning".

import type { Paths } from '../paths.js';
import { attachVolumes, volumeUsers } from '../volumes/plan.js';
import type { UsersOf } from '../volumes/store.js';
import type { Container, MountPoint } from './records.js';
import { findContainer, listContainers, saveContainer } from './state.js';

/** "Who uses volume `name`?", answered from every container's record. */
export function usersOf(p: Paths): UsersOf {
  return (name) => volumeUsers(listContainers(p), name);
}

/** The mount points of container `ref` (for --volumes-from); throws when there is none. */
export function mountPointsOf(p: Paths): (ref: string) => Record<string, MountPoint> {
  return (ref) => findContainer(p, ref).MountPoints ?? {};
}

/** Make the planned volumes and record the container's MountPoints, under the volumes lock. */
export function createMounts(p: Paths, c: Container, plan: readonly MountPoint[]): void {
  attachVolumes(p, plan, (points) => {
    c.MountPoints = points;
    saveContainer(p, c);
  });
}
