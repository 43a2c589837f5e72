// What the container's process may do, applied by init just before execve — and by `exec` for
// a process that joins a running container: resource limits, no_new_privs, the user, the
// capabilities, the seccomp filter. prctl(2), capabilities(7), seccomp(2), setrlimit(2).
// Stage 8 notes, "why order matters in init".

import { writeFileSync } from 'node:fs';
import { stageOn } from '../stage.js';
import { PR } from '../sys/constants.js';
import type { Sys } from '../sys/sys.js';
import { trace } from '../sys/trace.js';
import { dropBoundingSet, lastCapability, setCapabilitySets } from './capabilities.js';
import { encode } from './seccomp/bpf.js';
import { compileFilter } from './seccomp/compile.js';
import { RLIMITS, type LinuxSeccomp, type Process } from './spec.js';
import { switchUser } from './user.js';

/** The compiled filter of linux.seccomp (or null): compile before the first step, so a bad profile changes nothing. */
export function seccompProgram(seccomp: LinuxSeccomp | undefined): Buffer | null {
  if (!seccomp || !stageOn(8)) return null; // the course's stage gate: see applyProcessSecurity
  const program = compileFilter(seccomp);
  trace(`# seccomp: ${program.length} BPF instructions compiled from linux.seccomp (default ${seccomp.defaultAction})`);
  return encode(program);
}

// #region process-security
/**
 * Everything but the late seccomp filter, in the only order that works:
 *  a. oom_score_adj and rlimits: lowering oom_score_adj and raising a hard limit both need
 *     CAP_SYS_RESOURCE, which is about to go;
 *  b. no_new_privs, when asked: from now on execve can never grant privileges (setuid bits,
 *     file capabilities are ignored) — and seccomp no longer needs CAP_SYS_ADMIN;
 *  c. without no_new_privs the filter goes in NOW, while we still hold CAP_SYS_ADMIN (the kernel
 *     refuses an unprivileged filter without no_new_privs); the steps below then run under it,
 *     which docker's profile allows (setuid, capset, prctl are on its list);
 *  d. PR_SET_KEEPCAPS, then the bounding set (dropping needs CAP_SETPCAP, still held);
 *  e. the user: setgroups, setgid (need CAP_SETGID), setuid (needs CAP_SETUID) — before capset,
 *     or `--cap-drop SETUID --user 1000` could not switch;
 *  f. capset: effective, permitted, inheritable; then the ambient set.
 * Returns whether the filter is still to be installed (seccompLast, just before execve).
 */
export function applyProcessSecurity(sys: Sys, process: Process, filter: Buffer | null, lastCap: number = lastCapability()): boolean {
  // lowering oom_score_adj needs CAP_SYS_RESOURCE too: first, with the rlimits
  if (process.oomScoreAdj !== undefined) writeOomScoreAdj(process.oomScoreAdj);
  for (const r of process.rlimits ?? []) sys.setrlimit(RLIMITS.get(r.type)!, BigInt(r.soft), BigInt(r.hard));
  // The course's stage gate (MINIDOCK_STAGE, lib/stage.ts): below stage 8 this runtime has no
  // security step yet — that is what a learner writes in stage 8 — so the process keeps root's
  // full power whatever config.json asks, as every container did at stage 7.
  if (!stageOn(8)) return false;
  noNewPrivsThenFilter(sys, process, filter);
  // #region exercise 8.capabilities
  // d., e. and f.: PR_SET_KEEPCAPS only when the user changes (setuid from 0 would empty the
  // permitted set), the bounding set while CAP_SETPCAP is held, the user while CAP_SETUID and
  // CAP_SETGID are held, capset last
  const switching = process.user.uid !== 0 || process.user.gid !== 0 || (process.user.additionalGids?.length ?? 0) > 0;
  if (process.capabilities) {
    if (switching) sys.prctl(PR.SET_KEEPCAPS, 1);
    dropBoundingSet(sys, process.capabilities, lastCap);
  }
  if (switching) switchUser(sys, process.user);
  if (process.capabilities) setCapabilitySets(sys, process.capabilities, lastCap);
  // #endregion
  return filter !== null && !!process.noNewPrivileges;
}

/** b. and c.: no_new_privs when asked; without it, the filter now (with it, seccompLast installs it). */
function noNewPrivsThenFilter(sys: Sys, process: Process, filter: Buffer | null): void {
  // #region exercise 8.no-new-privs
  if (process.noNewPrivileges) sys.prctl(PR.SET_NO_NEW_PRIVS, 1);
  if (filter && !process.noNewPrivileges) sys.seccompFilter(filter);
  // #endregion
}

/** proc(5) /proc/self/oom_score_adj: how willing the OOM killer is to pick this process (and its children). */
function writeOomScoreAdj(value: number): void {
  trace(`echo ${value} > /proc/self/oom_score_adj`);
  writeFileSync('/proc/self/oom_score_adj', String(value));
}
// #endregion

// #region process-security-last
/**
 * Signals 32 and 33 are glibc's own (threads' cancel and set-id), and signal() refuses them with
 * EINVAL. A parent may leave them ignored (hyperfine does): they stay so.
 */
const GLIBC_RESERVED = [32, 33];

/**
 * Signals this process ignores, back to their default action. An ignored signal stays ignored
 * across execve(2) (signal(7)), and Node ignores SIGPIPE and SIGXFSZ for itself: without this,
 * `yes | head -1` in a container would never end with SIGPIPE. Handlers need nothing: execve
 * resets them.
 */
export function defaultIgnoredSignals(sys: Sys): void {
  for (const sig of sys.ignoredSignals()) {
    if (GLIBC_RESERVED.includes(sig)) continue;
    sys.resetSignal(sig);
  }
}

/**
 * The filter, as the very last step before execve (with no_new_privs): every system call init
 * still makes (its last write to the parent, reading the exec fifo) happens before it, so even a
 * strict custom profile cannot break init — only the user's command lives under it.
 */
export function seccompLast(sys: Sys, filter: Buffer | null, pending: boolean): void {
  if (filter && pending) sys.seccompFilter(filter);
}
// #endregion
