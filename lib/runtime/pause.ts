// pause and resume: every process of a container stopped where it stands, without a signal it
// could see — the cgroup freezer (v1 freezer.state, v2 cgroup.freeze). runc pause / runc resume.
// Stage 7 notes, "the states".

import { EngineError } from '../errors.js';
import { trace } from '../sys/trace.js';
import { openCgroup } from './cgroups/index.js';
import { loadState, statusOf } from './state.js';

// #region pause
export function pause(root: string, id: string, on: boolean): void {
  const s = loadState(root, id);
  if (statusOf(root, s) !== 'running') throw new EngineError(`container ${id} is not running`);
  if (!s.cgroupPath) throw new EngineError(`container ${id} has no cgroup to freeze (the course's stage 2 adds it)`);
  trace(`# ${on ? 'freeze' : 'thaw'} the cgroup ${s.cgroupPath}`);
  openCgroup(s.cgroupPath).freeze(on);
}
// #endregion
