// Recovery: what happens when a container's monitor dies. Docker's daemon reconciles its records
// with containerd every time it starts; minidock has no daemon, so every verb does it first
// (lib/cli/main.ts): whoever first sees a dead monitor reconciles. Stage 7 notes, "the shim".
//
// The monitor is the one process that waits for the container's PID 1, so when it is killed
// (kill -9, a closed terminal, a reboot) nobody records the exit or undoes what the container
// had: its cgroup, its network (veth, IP lease, DNAT rules), its rootfs mount, its bundle. A
// container in that state is set right here:
//
//   running, PID 1 gone      it exited unseen: record it (the status, if we know it: 137 when
//                            `stop` or `rm -f` sent the SIGKILL it died of; else 255 and
//                            "monitor lost"), undo, and honour --rm
//   created, start begun     the monitor died while starting it (or right after execve, before
//                            the record said "running"): the start failed, so nothing may run —
//                            the runtime kills what it made, everything is undone
//   monitor alive            it is in charge: leave it alone
//
// All of it under the container's lock, so two verbs never undo the same container twice.

import { existsSync } from 'node:fs';
import type { Paths } from '../paths.js';
import { realSys, type Sys } from '../sys/index.js';
import { trace } from '../sys/trace.js';
import { cleanUpWithoutMonitor, removeLocked } from './remove.js';
import { containerLock, initAlive, listContainers, loadContainer, loadHostConfig, monitorAlive, saveContainer, type Container } from './state.js';

/** Whether this container's record must be set right: its monitor is gone, and it ran or was starting. */
function needs(c: Container): boolean {
  return monitorLost(c) && ((c.State.Running && !initAlive(c)) || (!c.State.Running && c.State.Status === 'created'));
}

/** Whether a start of this container was begun by a monitor that is not alive any more. */
function monitorLost(c: Container): boolean {
  const m = c.Minidock.MonitorPid;
  return m > 0 && m !== process.pid && !monitorAlive(c);
}

// #region reconcile
/**
 * Set right one container whose monitor is gone (see above). `killedWith`: the signal this
 * process just sent and saw PID 1 die of, so the exit status is known (128 + signal).
 */
export function reconcile(p: Paths, sys: Sys, ref: Container, killedWith?: number): Container {
  if (!needs(ref)) return ref;
  return containerLock(p, ref.ID, () => {
    if (!existsSync(p.container(ref.ID))) return ref; // removed meanwhile
    const c = loadContainer(p, ref.ID);
    if (!needs(c)) return c; // another verb set it right while we waited for the lock
    const wasRunning = c.State.Running;
    trace(`reconcile ${c.ID.slice(0, 12)}: its monitor (pid ${c.Minidock.MonitorPid}) is gone`);
    cleanUpWithoutMonitor(p, sys, c); // kills what still runs of a half-started container, removes the dead shim's socket
    Object.assign(c, loadContainer(p, c.ID)); // the network's undo records its part too
    const now = new Date().toISOString();
    if (wasRunning) {
      const known = killedWith !== undefined;
      c.State = { ...c.State, Status: 'exited', Running: false, Pid: 0, ExitCode: known ? 128 + killedWith : 255, Error: known ? '' : 'monitor lost: exit status unknown', FinishedAt: now };
    } else {
      c.State = { ...c.State, Status: 'created', Running: false, Pid: 0, ExitCode: 125, Error: 'start interrupted: the monitor was lost before the container ran' };
    }
    c.Minidock = { ...c.Minidock, MonitorPid: 0 };
    saveContainer(p, c);
    if (loadHostConfig(p, c.ID).AutoRemove) removeLocked(p, sys, c);
    return c;
  });
}
// #endregion

/** Reconcile every container: what each verb does before its own work. Cheap when all is well. */
export async function reconcileAll(p: Paths): Promise<void> {
  const lost = listContainers(p).filter(needs);
  if (lost.length === 0) return;
  const sys = await realSys(); // ffi-rs is loaded only when there is something to undo
  for (const c of lost) reconcile(p, sys, c);
}
