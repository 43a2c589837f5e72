// Removing a container: everything it made on the host goes, in reverse order of creation.
// Cleanup is part of every feature (docs/design.md, principle 9): no mount, cgroup, rootfs or state
// file may outlive `minidock rm`, nor a failed `minidock run`.

import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { oneLine } from '../errors.js';
import type { Paths } from '../paths.js';
import * as runtime from '../runtime/container.js';
import type { Sys } from '../sys/sys.js';
import { trace } from '../sys/trace.js';
import { unmountRootfs } from '../storage/index.js';
import { ImageStore } from '../image/store.js';
import { removeAnonymousVolumes } from '../volumes/plan.js';
import { usersOf } from './volumes.js';
import { unplug } from './network.js';
import { containerLock, loadContainer, type Container } from './state.js';

// #region remove
/**
 * Remove a stopped container's cgroup, root filesystem and state directory (and with
 * `removeVolumes`, rm -v, its anonymous volumes). Under the container's lock, and idempotent:
 * `rm -f` and `--rm` may both get here for one container, and the second finds nothing to do.
 */
export function removeContainerFiles(p: Paths, sys: Sys, id: string, removeVolumes = false, cleaned = false): void {
  containerLock(p, id, () => {
    if (!existsSync(path.join(p.container(id), 'config.v2.json'))) {
      rmSync(p.container(id), { recursive: true, force: true }); // a half-removed one: finish the job
      return;
    }
    removeLocked(p, sys, loadContainer(p, id), removeVolumes, cleaned);
  });
}

/** The same, for a caller that holds the container's lock already (reconcile.ts). */
export function removeLocked(p: Paths, sys: Sys, c: Container, removeVolumes = false, cleaned = false): void {
  trace(`remove container ${c.ID.slice(0, 12)}: runtime state, cgroup, network, rootfs, state`);
  // gone already unless its monitor died: then the runtime's part, the network, the mount remain
  // (`cleaned`: the monitor has just undone them itself, for --rm)
  if (!cleaned) {
    cleanUpWithoutMonitor(p, sys, c);
  }
  new ImageStore(p, { collectGarbage: false }).removeRootfs(c.ID, c.GraphDriver);
  // rm -v, and --rm (docker's AutoRemove removes them too): the anonymous volumes; named ones stay
  if (removeVolumes || autoRemove(p, c)) removeAnonymousVolumes(p, c.ID, c.MountPoints ?? {}, usersOf(p));
  // the state directory last: while it exists, `rm` can be run again to finish the job
  rmSync(p.container(c.ID), { recursive: true, force: true });
}
// #endregion

function autoRemove(p: Paths, c: Container): boolean {
  try {
    return (JSON.parse(readFileSync(path.join(p.container(c.ID), 'hostconfig.json'), 'utf8')) as { AutoRemove?: boolean }).AutoRemove === true;
  } catch {
    return false;
  }
}

// #region clean-up
/**
 * What a container that stopped (or never started) leaves to undo, in reverse order of making:
 * the runtime's part (processes left in the cgroup, the cgroup, its state), the network (veth,
 * address, DNAT rules), the rootfs mount, the bundle. Docker unmounts a container's layers when
 * it stops, too; `rm` removes the layers themselves.
 */
export function cleanUp(p: Paths, sys: Sys, c: Container, what: { runtime: boolean }): void {
  const id = c.ID;
  // the runtime's state may be gone already (the monitor finished): nothing of its to undo then
  if (what.runtime) attempt(() => runtime.remove(p.runtimeRoot, id, true), 'container does not exist');
  if (c.Minidock.Stage >= 5) attempt(() => unplug(p, id)); // veth, lease, ports, DNAT rules: idempotent
  attempt(() => unmountRootfs(p, c.GraphDriver, sys));
  attempt(() => rmSync(p.bundle(id), { recursive: true, force: true }));
}

/**
 * cleanUp by a verb, when the container's monitor is not there to do it (`rm`, reconcile.ts):
 * the runtime's part too, and the attach socket, which a shim that was killed could not remove
 * (a live one does, as it exits).
 */
export function cleanUpWithoutMonitor(p: Paths, sys: Sys, c: Container): void {
  cleanUp(p, sys, c, { runtime: true });
  rmSync(p.attachSocket(c.ID), { force: true });
}
// #endregion

/** Run one cleanup step; a failure is traced, not thrown (`expected`: a message that is no failure). */
function attempt(step: () => unknown, expected?: string): void {
  try {
    step();
  } catch (e) {
    if (!expected || !oneLine(e).startsWith(expected)) trace(`cleanup step failed: ${oneLine(e)}`);
  }
}
