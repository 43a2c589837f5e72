// Removing a container: everything it made on the host goes, in reverse order of creation.
// Cleanup is part of every feature (DESIGN.md, principle 9): no mount, cgroup, rootfs or state
// file may outlive `minidock rm`, nor a failed `minidock run`.

import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { openCgroup, type Cgroup } from '../cgroups/index.js';
import type { Paths } from '../paths.js';
import { trace } from '../sys/trace.js';
import { removeRootfs } from '../storage/index.js';
import { removeAnonymousVolumes } from '../volumes/plan.js';
import { usersOf } from './volumes.js';
import { unplug } from './network.js';
import type { Container } from './state.js';

// #region remove
/** Remove a stopped container's cgroup, root filesystem and state directory (and with
 *  `removeVolumes`, rm -v, its anonymous volumes). */
export function removeContainerFiles(p: Paths, c: Container, removeVolumes = false): void {
  trace(`remove container ${c.ID.slice(0, 12)}: cgroup, rootfs, state`);
  if (c.Minidock.Stage >= 2) {
    // gone already unless its monitor died; with a shared PID namespace, processes may remain
    const cgroup = openCgroup(c.ID);
    killRemaining(cgroup);
    cgroup.destroy();
  }
  if (c.Minidock.Stage >= 5) unplug(p, c.ID); // veth, lease, ports, DNAT rules: idempotent
  removeRootfs(p, c);
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

/**
 * SIGKILL whatever is still in the container's cgroup. In a PID namespace of its own, PID 1's
 * exit already killed every other process; with `--pid host` or `--pid container:X` it did not.
 */
export function killRemaining(cgroup: Cgroup | null): void {
  for (const pid of cgroup?.procs() ?? []) {
    trace(`$ kill -9 ${pid}   # left in the container's cgroup`);
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
}
