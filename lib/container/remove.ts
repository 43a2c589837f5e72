// Removing a container: everything it made on the host goes, in reverse order of creation.
// Cleanup is part of every feature (DESIGN.md, principle 9): no mount, cgroup, rootfs or state
// file may outlive `minidock rm`, nor a failed `minidock run`.

import { rmSync } from 'node:fs';
import { openCgroup } from '../cgroups/index.js';
import type { Paths } from '../paths.js';
import { trace } from '../sys/trace.js';
import { removeRootfs } from '../storage/index.js';
import type { Container } from './state.js';

// #region remove
/** Remove a stopped container's cgroup, root filesystem and state directory. */
export function removeContainerFiles(p: Paths, c: Container): void {
  trace(`remove container ${c.ID.slice(0, 12)}: cgroup, rootfs, state`);
  if (c.Minidock.Stage >= 2) openCgroup(c.ID).destroy(); // gone already unless its monitor died
  removeRootfs(p, c);
  // the state directory last: while it exists, `rm` can be run again to finish the job
  rmSync(p.container(c.ID), { recursive: true, force: true });
}
// #endregion
