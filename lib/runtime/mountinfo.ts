// /proc/<pid>/mountinfo: the mounts a process sees, one per line (proc(5)). The cgroup code reads
// the host's to find the cgroup filesystems (cgroups/index.ts, cgroupMounts), overlay2 to ask
// whether a rootfs is mounted (lib/storage/overlay2.ts, mountedOnHost); explain reads a running
// container's to show its `/` and its volumes (lib/container/explain.ts).

/** One line of mountinfo, the parts we need. */
export interface MountInfo {
  /** where it is mounted, e.g. /sys/fs/cgroup/memory, in the reading process's namespace */
  mountPoint: string;
  /** the filesystem type: cgroup (v1), cgroup2, overlay, tmpfs… */
  fsType: string;
  /** what is mounted: a device, or the filesystem's name (overlay, tmpfs) */
  source: string;
  /** the filesystem's own options: for v1 cgroups these name the controllers, e.g. rw,cpu,cpuacct */
  superOptions: string[];
}

export function parseMountinfo(text: string): MountInfo[] {
  const mounts: MountInfo[] = [];
  for (const line of text.split('\n')) {
    // "36 31 0:32 / /sys/fs/cgroup/memory rw,relatime shared:17 - cgroup cgroup rw,memory"
    // Optional fields (shared:17) vary in number, so split at the " - " that ends them.
    const [left, right] = line.split(' - ');
    if (right === undefined) continue;
    const [fsType, source = '', superOptions = ''] = right.split(' ');
    mounts.push({ mountPoint: unescapeMountField(left.split(' ')[4] ?? ''), fsType, source, superOptions: superOptions.split(',') });
  }
  return mounts;
}

/** mountinfo writes a blank, tab, newline or backslash in a path as \ooo, in octal. */
function unescapeMountField(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}
