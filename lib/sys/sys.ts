// The Sys interface: every system call the engine makes, as one typed object.
//
// Code that makes system calls takes a `Sys` instead of importing libc, so that unit tests can
// pass the RecordingSys fake (lib/sys/fake.ts) and assert *which* calls happen in *which order*
// (init's steps) without root and without a kernel. The real implementation is lib/sys/libc.ts.

export interface Sys {
  /** unshare(2): move the calling thread into new namespaces (CLONE_* flags). */
  unshare(flags: number): void;
  /** setns(2): join the namespace that `fd` (an open /proc/<pid>/ns/<kind>) names. */
  setns(fd: number, nstype: number): void;
  /** mount(2). `data` is the filesystem's option string ("" for none). */
  mount(source: string, target: string, fstype: string, flags: number, data?: string): void;
  /** umount2(2). */
  umount2(target: string, flags: number): void;
  /** pivot_root(2): make `newRoot` the root and move the old root to `putOld`. */
  pivotRoot(newRoot: string, putOld: string): void;
  /** sethostname(2), in the UTS namespace of the caller. */
  sethostname(name: string): void;
  /** chdir(2) and chroot(2) of the calling thread. */
  chdir(path: string): void;
  chroot(path: string): void;
  /** execve(2): replace this process. Only returns by throwing. */
  execve(path: string, argv: readonly string[], envp: readonly string[]): never;
  /** fcntl(2) with an integer argument. */
  fcntl(fd: number, cmd: number, arg?: number): number;
  /** prctl(2) with one or two integer arguments. */
  prctl(option: number, arg2: number, arg3?: number): number;
  /** setrlimit(2): soft and hard limit of one resource (RLIMIT_* number). */
  setrlimit(resource: number, soft: bigint, hard: bigint): void;
  /** capset(2) for this thread: the effective, permitted and inheritable sets as 64-bit masks. */
  capset(effective: bigint, permitted: bigint, inheritable: bigint): void;
  /** mknod(2). */
  mknod(path: string, mode: number, dev: number): void;
  /** setxattr(2) / lsetxattr(2) and getxattr(2) / lgetxattr(2); get returns null when absent. */
  setxattr(path: string, name: string, value: Buffer): void;
  lsetxattr(path: string, name: string, value: Buffer): void;
  getxattr(path: string, name: string): Buffer | null;
  lgetxattr(path: string, name: string): Buffer | null;
  /** kill(2). */
  kill(pid: number, sig: number): void;
  /** The signals this process ignores (SigIgn in /proc/self/status, proc(5)). */
  ignoredSignals(): number[];
  /** signal(2) with SIG_DFL: the default disposition again for `sig` (an ignored signal stays ignored across execve). */
  resetSignal(sig: number): void;
  /** getpid(2): the caller's PID in its own PID namespace. */
  getpid(): number;
  /** ioctl(2) with an integer argument (TIOCSCTTY). */
  ioctl(fd: number, request: number, arg: number): number;
  /** ioctl(2) with a pointer to `data` (in and out): TIOCGPTN, TIOCSPTLCK, TIOCSWINSZ. Returns the bytes after the call. */
  ioctlBuffer(fd: number, request: number, data: Buffer): Buffer;
  /** dup2(2). */
  dup2(oldfd: number, newfd: number): void;
  /** pidfd_open(2) + pidfd_getfd(2): a copy, in this process, of file descriptor `fd` of process `pid`. */
  pidfdGetfd(pid: number, fd: number): number;
  /**
   * socket(AF_UNIX, SOCK_STREAM) + connect(2) to `path` + sendmsg(2) of `data` with `fd` attached
   * (SCM_RIGHTS, scm.ts) + close: the receiver gets its own copy of the open file (runc's
   * --console-socket).
   */
  sendFd(path: string, fd: number, data: Buffer): void;
  /** setgroups(2), setgid(2), setuid(2) of the calling thread only (raw system calls). */
  setgroups(gids: readonly number[]): void;
  setgid(gid: number): void;
  setuid(uid: number): void;
  /** seccomp(2) SECCOMP_SET_MODE_FILTER: install a classic BPF program (struct sock_filter[] bytes). */
  seccompFilter(program: Buffer): void;
  /** bpf(2) BPF_PROG_LOAD: load eBPF instructions (struct bpf_insn[] bytes) as a program of `type`; returns its fd. */
  bpfProgLoad(type: number, insns: Buffer, license: string): number;
  /** bpf(2) BPF_PROG_ATTACH: attach program `progFd` to `targetFd` (a cgroup directory's fd). */
  bpfProgAttach(targetFd: number, progFd: number, attachType: number, flags: number): void;
}
