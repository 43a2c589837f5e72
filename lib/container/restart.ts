// --restart: what the shim does when a detached container's PID 1 exits. docker's restart
// policies (docs: "Start containers automatically"); the stage-9 daemon will take this job over.
// Stage 7 notes, "the states".
//
//   no               never
//   on-failure[:N]   when the exit status is not 0, at most N times (no N: without limit)
//   always           whatever the status, unless a user stopped it (stop, kill)
//   unless-stopped   the same while the engine runs; the difference is at daemon start-up,
//                    which minidock does not have yet

import { EngineError } from '../errors.js';
import type { RestartPolicy } from './records.js';

export function parseRestartPolicy(text: string): RestartPolicy {
  const [name, count, ...rest] = text.split(':');
  if (rest.length > 0) throw new EngineError(`invalid restart policy format: ${text}`);
  if (name === 'on-failure') {
    const n = count === undefined ? 0 : Number(count);
    if (!Number.isInteger(n) || n < 0) throw new EngineError(`invalid restart policy format: maximum retry count must be a positive integer: ${text}`);
    return { Name: 'on-failure', MaximumRetryCount: n };
  }
  if (name === 'no' || name === 'always' || name === 'unless-stopped') {
    if (count !== undefined) throw new EngineError(`invalid restart policy format: maximum retry count can only be used with 'on-failure'`);
    return { Name: name, MaximumRetryCount: 0 };
  }
  throw new EngineError(`invalid restart policy format: ${text}: want no, on-failure[:max-retries], always or unless-stopped`);
}

// #region should-restart
/** Whether the shim starts the container again after PID 1 exited with `status`. */
export function shouldRestart(policy: RestartPolicy | undefined, status: number, restartCount: number, manuallyStopped: boolean): boolean {
  if (!policy || policy.Name === 'no' || manuallyStopped) return false;
  if (policy.Name === 'on-failure') return status !== 0 && (policy.MaximumRetryCount === 0 || restartCount < policy.MaximumRetryCount);
  return true; // always, unless-stopped
}

/** docker's back-off between restarts: 100 ms, doubling, at most 1 minute (here: at most 5 s). */
export function restartDelayMs(restartCount: number): number {
  return Math.min(100 * 2 ** restartCount, 5000);
}
// #endregion
