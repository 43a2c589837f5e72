// Reading a container's cgroup from the host, black-box: /proc/<pid>/cgroup says which cgroup
// the process is in (per hierarchy on v1, one line "0::/path" on v2), /proc/self/mountinfo
// says where each hierarchy is mounted. cgroups(7).

import { readFileSync } from 'node:fs';
import path from 'node:path';

export type Version = 1 | 2;

interface Mount {
  point: string;
  fstype: string;
  options: string[];
}

function cgroupMounts(): Mount[] {
  return readFileSync('/proc/self/mountinfo', 'utf8').trim().split('\n').map((line) => {
    const [left, right] = line.split(' - ');
    const fields = left.split(' ');
    const [fstype, , superOpts] = right.split(' ');
    return { point: fields[4], fstype, options: (superOpts ?? '').split(',') };
  }).filter((m) => m.fstype === 'cgroup' || m.fstype === 'cgroup2');
}

/** v2 when /sys/fs/cgroup itself is cgroup2; hybrid hosts (a cgroup2 under unified/) are v1. */
export function hostVersion(): Version {
  return cgroupMounts().some((m) => m.fstype === 'cgroup2' && m.point === '/sys/fs/cgroup') ? 2 : 1;
}

/** The host directory of the cgroup `pid` is in, for one controller (v1) or the only tree (v2). */
export function cgroupDir(pid: number, controller: string): string {
  const lines = readFileSync(`/proc/${pid}/cgroup`, 'utf8').trim().split('\n').map((l) => {
    const [id, ctrls, ...rest] = l.split(':');
    return { id, ctrls: ctrls.split(','), path: rest.join(':') };
  });
  if (hostVersion() === 2) {
    const unified = lines.find((l) => l.id === '0')!;
    return path.join('/sys/fs/cgroup', unified.path);
  }
  const line = lines.find((l) => l.ctrls.includes(controller));
  const mount = cgroupMounts().find((m) => m.fstype === 'cgroup' && m.options.includes(controller));
  if (!line || !mount) throw new Error(`no v1 hierarchy for ${controller}`);
  return path.join(mount.point, line.path);
}

export function readCg(dir: string, file: string): string {
  return readFileSync(path.join(dir, file), 'utf8').trim();
}

/** CPU time the cgroup has used so far, in microseconds. */
export function cpuUsageUs(pid: number): number {
  if (hostVersion() === 2) {
    const stat = readCg(cgroupDir(pid, 'cpu'), 'cpu.stat');
    return Number(/usage_usec (\d+)/.exec(stat)?.[1] ?? NaN);
  }
  return Number(readCg(cgroupDir(pid, 'cpuacct'), 'cpuacct.usage')) / 1000;
}
