// Flag values from the kernel's UAPI headers, the same on x86_64 and aarch64.
//
// <linux/sched.h> CLONE_*, <linux/mount.h> MS_* and MNT_*, <fcntl.h> F_*, <linux/prctl.h> PR_*.
// Named exactly as in C so a learner can grep the man pages for them.

// #region clone-flags
/** clone(2)/unshare(2)/setns(2): which namespace to create or join. */
export const CLONE = {
  NEWNS: 0x00020000, //     mount namespace (the first one, hence the generic name)
  NEWCGROUP: 0x02000000, // cgroup namespace (Linux 4.6)
  NEWUTS: 0x04000000, //    hostname and domain name
  NEWIPC: 0x08000000, //    System V IPC and POSIX message queues
  NEWUSER: 0x10000000, //   user and group IDs
  NEWPID: 0x20000000, //    process IDs
  NEWNET: 0x40000000, //    network devices, addresses, routes, ports
  NEWTIME: 0x00000080, //   CLOCK_MONOTONIC / CLOCK_BOOTTIME offsets (Linux 5.6)
  FS: 0x00000200, //        the thread's root, cwd and umask (setns into a mount ns needs its own)
} as const;
// #endregion

/** mount(2) flags. */
export const MS = {
  RDONLY: 0x1,
  NOSUID: 0x2,
  NODEV: 0x4,
  NOEXEC: 0x8,
  REMOUNT: 0x20,
  SYNCHRONOUS: 0x10,
  MANDLOCK: 0x40,
  DIRSYNC: 0x80,
  NOATIME: 0x400,
  NODIRATIME: 0x800,
  BIND: 0x1000,
  MOVE: 0x2000,
  REC: 0x4000,
  UNBINDABLE: 1 << 17,
  PRIVATE: 1 << 18,
  SLAVE: 1 << 19,
  SHARED: 1 << 20,
  RELATIME: 1 << 21,
  STRICTATIME: 1 << 24,
} as const;

/** umount2(2) flags. */
export const MNT = {
  FORCE: 0x1,
  DETACH: 0x2,
} as const;

/** fcntl(2) commands. */
export const F = {
  GETFD: 1,
  SETFD: 2,
  GETFL: 3,
  SETFL: 4,
  FD_CLOEXEC: 1,
  O_NONBLOCK: 0o4000,
} as const;

/** prctl(2) options. */
export const PR = {
  SET_PDEATHSIG: 1,
  SET_KEEPCAPS: 8,
  SET_NAME: 15,
  CAPBSET_READ: 23,
  CAPBSET_DROP: 24,
  SET_NO_NEW_PRIVS: 38,
  GET_NO_NEW_PRIVS: 39,
  CAP_AMBIENT: 47,
  CAP_AMBIENT_RAISE: 2,
  CAP_AMBIENT_CLEAR_ALL: 4,
} as const;

/** mknod(2) file types (st_mode high bits). */
export const S_IF = {
  FIFO: 0o010000,
  CHR: 0o020000,
  BLK: 0o060000,
} as const;

/** makedev(3): a device number from major and minor, as glibc encodes it. */
export function makedev(major: number, minor: number): number {
  return ((major & 0xfff) << 8) | (minor & 0xff) | ((minor & ~0xff) << 12);
}

/** ioctl(2) requests on terminals, <asm-generic/ioctls.h> (the same on x86_64 and aarch64). */
export const TIOC = {
  /** make this terminal the caller's controlling terminal (the caller leads a session without one) */
  SCTTY: 0x540e,
  /** struct winsize {rows, cols, xpixel, ypixel}: set / get */
  SWINSZ: 0x5414,
  GWINSZ: 0x5413,
  /** a pty master's slave number (ptsname(3) = /dev/pts/<n>) */
  GPTN: 0x80045430,
  /** lock or unlock the slave (unlockpt(3) writes 0) */
  SPTLCK: 0x40045431,
} as const;
