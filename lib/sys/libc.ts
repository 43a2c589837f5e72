// The real Sys: glibc's functions called through ffi-rs. This is the ONLY file that calls ffi-rs
// (docs/design.md, principle 2; ffi.ts loads it); everything else gets a `Sys`.
//
// Each call checks the C convention (-1 and errno), turns a failure into a SyscallError that
// names the errno, and, under MINIDOCK_TRACE=1, prints the call as C would show it.
// Man pages: unshare(2) setns(2) mount(2) umount2(2) pivot_root(2) execve(2) syscall(2).

import { readFileSync } from 'node:fs';
import { open, load, DataType, createExternalBuffer, type JsExternal } from './ffi.js';
import { SyscallError } from '../errors.js';
import { errnoName } from './errno.js';
import { syscallNumbers } from './arch.js';
import { Raw, renderCall, trace } from './trace.js';
import { CLONE, MS } from './constants.js';
import { scmRightsMessage, sockaddrUn } from './scm.js';
import type { Sys } from './sys.js';

const LIB = 'libc';
let opened = false;

function libc(): void {
  if (!opened) {
    open({ library: LIB, path: '' }); // '' = the symbols already loaded in this process (glibc)
    opened = true;
  }
}

type Param = DataType;

interface WithErrno {
  value: number | bigint;
  errnoCode: number;
}

/**
 * Call a libc function and read errno right after it (ffi-rs's `errno: true`). The return type
 * must match C's: an `int` is 32 bits, and reading it as 64 would see garbage in the upper half.
 */
function callRaw(func: string, types: Param[], values: unknown[], ret: typeof DataType.I32 | typeof DataType.I64 = DataType.I32): WithErrno {
  libc();
  return load({ library: LIB, funcName: func, retType: ret, paramsType: types, paramsValue: values, errno: true }) as unknown as WithErrno;
}

/** Call a libc function that returns int (-1 on failure, errno set). */
function callInt(op: string, func: string, types: Param[], values: unknown[], shown: unknown[] = values): number {
  const r = callRaw(func, types, values);
  const value = Number(r.value);
  if (value === -1) {
    const code = errnoName(r.errnoCode);
    trace(renderCall(op, shown, `-1 ${code}`));
    throw new SyscallError(op, shown, r.errnoCode, code);
  }
  trace(renderCall(op, shown, String(value)));
  return value;
}

function malloc(size: number): bigint {
  const addr = load({ library: LIB, funcName: 'malloc', retType: DataType.BigInt, paramsType: [DataType.U64], paramsValue: [size] }) as bigint;
  if (addr === 0n) throw new Error('malloc failed');
  return addr;
}

/** Copy a Node buffer into C memory at `addr`. */
function copyIn(addr: bigint, bytes: Buffer): void {
  load({ library: LIB, funcName: 'memcpy', retType: DataType.BigInt, paramsType: [DataType.BigInt, DataType.U8Array, DataType.U64], paramsValue: [addr, bytes, bytes.length] });
}

// #region string-array
/**
 * Lay out a NULL-terminated `char *[]` in C memory, the shape execve(2) wants for argv and envp:
 *
 *   addr → [ptr0][ptr1]…[ptrN-1][NULL] "arg0\0" "arg1\0" …
 *
 * ffi-rs's own StringArray type is not NULL-terminated, so we build the array ourselves: one
 * malloc'd block holding the pointer table followed by the strings the pointers point into.
 * The block is never freed: execve either replaces the whole process or we are about to exit.
 */
function cStringArray(strings: readonly string[]): bigint {
  const bodies = strings.map((s) => Buffer.from(s + '\0', 'utf8'));
  const tableBytes = (strings.length + 1) * 8; // 64-bit pointers on x86_64 and aarch64
  const block = Buffer.alloc(tableBytes + bodies.reduce((n, b) => n + b.length, 0));
  const addr = malloc(block.length);
  let offset = tableBytes;
  bodies.forEach((body, i) => {
    block.writeBigUInt64LE(addr + BigInt(offset), i * 8); // little-endian: both our architectures
    body.copy(block, offset);
    offset += body.length;
  });
  // the last table slot stays 0: the NULL that ends the array
  copyIn(addr, block);
  return addr;
}
// #endregion

/** getxattr(2)/lgetxattr(2): ask for the size first, then read into C memory and copy out. */
function readXattr(func: 'getxattr' | 'lgetxattr', path: string, name: string): Buffer | null {
  // ssize_t getxattr(...): a 64-bit result
  const size = callRaw(func, [DataType.String, DataType.String, DataType.BigInt, DataType.U64], [path, name, 0n, 0], DataType.I64);
  if (Number(size.value) === -1) {
    if (errnoName(size.errnoCode) === 'ENODATA') {
      trace(renderCall(func, [path, name], '-1 ENODATA'));
      return null;
    }
    throw new SyscallError(func, [path, name], size.errnoCode, errnoName(size.errnoCode));
  }
  const n = Number(size.value);
  const ext = load({ library: LIB, funcName: 'malloc', retType: DataType.External, paramsType: [DataType.U64], paramsValue: [Math.max(n, 1)] }) as JsExternal;
  try {
    const got = callRaw(func, [DataType.String, DataType.String, DataType.External, DataType.U64], [path, name, ext, n], DataType.I64);
    if (Number(got.value) === -1) throw new SyscallError(func, [path, name], got.errnoCode, errnoName(got.errnoCode));
    trace(renderCall(func, [path, name], String(got.value)));
    return Buffer.from(createExternalBuffer(ext, Number(got.value)));
  } finally {
    load({ library: LIB, funcName: 'free', retType: DataType.Void, paramsType: [DataType.External], paramsValue: [ext] });
  }
}

const S = DataType.String;
const I = DataType.I32;
const L = DataType.U64;

export const libcSys: Sys = {
  unshare: (flags) => void callInt('unshare', 'unshare', [I], [flags], [flagNames(flags)]),
  setns: (fd, nstype) => void callInt('setns', 'setns', [I, I], [fd, nstype], [fd, flagNames(nstype)]),
  mount: (source, target, fstype, flags, data = '') =>
    void callInt('mount', 'mount', [S, S, S, L, S], [source, target, fstype, flags, data], [source, target, fstype, mountFlagNames(flags), data]),
  umount2: (target, flags) => void callInt('umount2', 'umount2', [S, I], [target, flags], [target, flags === 2 ? new Raw('MNT_DETACH') : flags]),
  // #region pivot-root
  // pivot_root has no glibc wrapper: call syscall(2) with this architecture's number.
  pivotRoot: (newRoot, putOld) =>
    void callInt('pivot_root', 'syscall', [L, S, S], [syscallNumbers().pivot_root, newRoot, putOld], [newRoot, putOld]),
  // #endregion
  sethostname: (name) => void callInt('sethostname', 'sethostname', [S, L], [name, Buffer.byteLength(name)]),
  chdir: (path) => void callInt('chdir', 'chdir', [S], [path]),
  chroot: (path) => void callInt('chroot', 'chroot', [S], [path]),
  // #region execve
  execve(path, argv, envp) {
    const argvPtr = cStringArray(argv);
    const envpPtr = cStringArray(envp);
    trace(renderCall('execve', [path, argv, envp.map((e) => e.split('=')[0] + '=…')], '…'));
    const r = callRaw('execve', [S, DataType.BigInt, DataType.BigInt], [path, argvPtr, envpPtr]);
    // execve only returns when it failed.
    throw new SyscallError('execve', [path], r.errnoCode, errnoName(r.errnoCode));
  },
  // #endregion
  fcntl: (fd, cmd, arg = 0) => callInt('fcntl', 'fcntl', [I, I, L], [fd, cmd, arg]),
  prctl: (option, arg2, arg3 = 0) => callInt('prctl', 'prctl', [I, L, L, L, L], [option, arg2, arg3, 0, 0], arg3 ? [option, arg2, arg3] : [option, arg2]),
  // struct rlimit { rlim_t rlim_cur, rlim_max; }: two 64-bit numbers
  setrlimit(resource, soft, hard) {
    const limits = Buffer.alloc(16);
    limits.writeBigUInt64LE(soft, 0);
    limits.writeBigUInt64LE(hard, 8);
    callInt('setrlimit', 'setrlimit', [I, DataType.U8Array], [resource, limits], [resource, `{${soft}, ${hard}}`]);
  },
  // #region capset
  // capset(2) with _LINUX_CAPABILITY_VERSION_3: a header {version, pid} and two
  // {effective, permitted, inheritable} 32-bit triples, the low and high halves of each set.
  capset(effective, permitted, inheritable) {
    const header = Buffer.alloc(8);
    header.writeUInt32LE(0x20080522, 0);
    const data = Buffer.alloc(24);
    [effective, permitted, inheritable].forEach((set, i) => {
      data.writeUInt32LE(Number(set & 0xffffffffn), i * 4);
      data.writeUInt32LE(Number(set >> 32n), 12 + i * 4);
    });
    const shown = [`0x${effective.toString(16)}`, `0x${permitted.toString(16)}`, `0x${inheritable.toString(16)}`].map((x) => new Raw(x));
    callInt('capset', 'capset', [DataType.U8Array, DataType.U8Array], [header, data], shown);
  },
  // #endregion
  mknod: (path, mode, dev) => void callInt('mknod', 'mknod', [S, I, L], [path, mode, dev], [path, new Raw('0' + mode.toString(8)), dev]),
  setxattr: (path, name, value) => void callInt('setxattr', 'setxattr', [S, S, DataType.U8Array, L, I], [path, name, value, value.length, 0], [path, name, value.toString()]),
  lsetxattr: (path, name, value) => void callInt('lsetxattr', 'lsetxattr', [S, S, DataType.U8Array, L, I], [path, name, value, value.length, 0], [path, name, value.toString()]),
  getxattr: (path, name) => readXattr('getxattr', path, name),
  lgetxattr: (path, name) => readXattr('lgetxattr', path, name),
  kill: (pid, sig) => void callInt('kill', 'kill', [I, I], [pid, sig]),
  getpid: () => callInt('getpid', 'getpid', [], []),
  // SigIgn: a hex mask, bit n-1 for signal n. Without /proc (stage 0 has none), Node's own two
  // ignored signals, SIGPIPE and SIGXFSZ.
  ignoredSignals() {
    let hex: string | undefined;
    try {
      hex = /^SigIgn:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
    } catch {
      return [13, 25];
    }
    const mask = BigInt('0x' + (hex ?? '0'));
    return [...Array(64).keys()].map((n) => n + 1).filter((sig) => ((mask >> BigInt(sig - 1)) & 1n) === 1n);
  },
  // signal(sig, SIG_DFL); SIG_DFL is the null handler. It returns the old handler, a pointer:
  // read as 64 bits, SIG_ERR is -1.
  resetSignal(sig) {
    const r = callRaw('signal', [I, L], [sig, 0], DataType.I64);
    if (Number(r.value) === -1) throw new SyscallError('signal', [sig, new Raw('SIG_DFL')], r.errnoCode, errnoName(r.errnoCode));
    trace(renderCall('signal', [sig, new Raw('SIG_DFL')], '0'));
  },
  ioctl: (fd, request, arg) => callInt('ioctl', 'ioctl', [I, L, L], [fd, request, arg], [fd, new Raw('0x' + request.toString(16)), arg]),
  // #region ioctl-buffer
  // The argument is a pointer the kernel reads and writes: C memory, copied in before and out after.
  ioctlBuffer(fd, request, data) {
    const ext = load({ library: LIB, funcName: 'malloc', retType: DataType.External, paramsType: [DataType.U64], paramsValue: [Math.max(data.length, 1)] }) as JsExternal;
    try {
      load({ library: LIB, funcName: 'memcpy', retType: DataType.External, paramsType: [DataType.External, DataType.U8Array, DataType.U64], paramsValue: [ext, data, data.length] });
      callInt('ioctl', 'ioctl', [I, L, DataType.External], [fd, request, ext], [fd, new Raw('0x' + request.toString(16)), new Raw(`&{${data.toString('hex')}}`)]);
      return Buffer.from(createExternalBuffer(ext, data.length));
    } finally {
      load({ library: LIB, funcName: 'free', retType: DataType.Void, paramsType: [DataType.External], paramsValue: [ext] });
    }
  },
  // #endregion
  dup2: (oldfd, newfd) => void callInt('dup2', 'dup2', [I, I], [oldfd, newfd]),
  // pidfd_open(2) and pidfd_getfd(2) have no glibc wrapper either: syscall(2) by number
  pidfdGetfd(pid, fd) {
    const n = syscallNumbers();
    const pidfd = callInt('pidfd_open', 'syscall', [L, I, I], [n.pidfd_open, pid, 0], [pid, 0]);
    try {
      return callInt('pidfd_getfd', 'syscall', [L, I, I, I], [n.pidfd_getfd, pidfd, fd, 0], [pidfd, fd, 0]);
    } finally {
      callInt('close', 'close', [I], [pidfd]);
    }
  },
  // #region send-fd
  // Three calls and a close: the socket, its connection, and one message whose control part
  // carries the fd (the layout is scm.ts's; sendmsg needs it in C memory, with real addresses).
  sendFd(path, fd, data) {
    const AF_UNIX = 1;
    const SOCK_STREAM_CLOEXEC = 1 | 0o2000000;
    const sock = callInt('socket', 'socket', [I, I, I], [AF_UNIX, SOCK_STREAM_CLOEXEC, 0], [new Raw('AF_UNIX'), new Raw('SOCK_STREAM|SOCK_CLOEXEC'), 0]);
    try {
      const addr = sockaddrUn(path);
      callInt('connect', 'connect', [I, DataType.U8Array, I], [sock, addr, addr.length], [sock, `{AF_UNIX, ${JSON.stringify(path)}}`, addr.length]);
      const size = scmRightsMessage(0n, data, [fd]).length;
      const base = malloc(size);
      try {
        copyIn(base, scmRightsMessage(base, data, [fd]));
        const shown = [sock, new Raw(`{iov=${JSON.stringify(data.toString())}, SCM_RIGHTS=[${fd}]}`), 0];
        const r = callRaw('sendmsg', [I, DataType.BigInt, I], [sock, base, 0], DataType.I64);
        if (Number(r.value) === -1) {
          trace(renderCall('sendmsg', shown, `-1 ${errnoName(r.errnoCode)}`));
          throw new SyscallError('sendmsg', shown, r.errnoCode, errnoName(r.errnoCode));
        }
        trace(renderCall('sendmsg', shown, String(r.value)));
      } finally {
        load({ library: LIB, funcName: 'free', retType: DataType.Void, paramsType: [DataType.BigInt], paramsValue: [base] });
      }
    } finally {
      callInt('close', 'close', [I], [sock]);
    }
  },
  // #endregion
  // #region set-ids
  // Raw syscall(2), not glibc's setuid(3): see arch.ts. gid_t is 32 bits; the list is a u32 array.
  setgroups(gids) {
    const list = Buffer.alloc(Math.max(gids.length, 1) * 4);
    gids.forEach((g, i) => list.writeUInt32LE(g, i * 4));
    callInt('setgroups', 'syscall', [L, L, DataType.U8Array], [syscallNumbers().setgroups, gids.length, list], [gids.length, `[${gids.join(', ')}]`]);
  },
  setgid: (gid) => void callInt('setgid', 'syscall', [L, L], [syscallNumbers().setgid, gid], [gid]),
  setuid: (uid) => void callInt('setuid', 'syscall', [L, L], [syscallNumbers().setuid, uid], [uid]),
  // #endregion
  // #region seccomp-filter
  // seccomp(SECCOMP_SET_MODE_FILTER, 0, &prog) where prog is a struct sock_fprog:
  //   { unsigned short len; /* 6 bytes of padding */ struct sock_filter *filter; }
  // Both the program and the struct are laid out in C memory (as cStringArray does), because the
  // struct holds a pointer to the program. Never freed: execve comes next.
  seccompFilter(program) {
    const SECCOMP_SET_MODE_FILTER = 1;
    const filter = malloc(program.length);
    copyIn(filter, program);
    const fprog = Buffer.alloc(16);
    fprog.writeUInt16LE(program.length / 8, 0);
    fprog.writeBigUInt64LE(filter, 8);
    const fprogAddr = malloc(16);
    copyIn(fprogAddr, fprog);
    callInt('seccomp', 'syscall', [L, L, L, DataType.BigInt], [syscallNumbers().seccomp, SECCOMP_SET_MODE_FILTER, 0, fprogAddr],
      [new Raw('SECCOMP_SET_MODE_FILTER'), 0, new Raw(`{len=${program.length / 8}, filter=0x${filter.toString(16)}}`)]);
  },
  // #endregion
  // #region bpf
  // bpf(2) takes a command and a `union bpf_attr`; for BPF_PROG_LOAD the attr points to the
  // instructions and to the license string, so all three live in C memory. Never freed: a few
  // hundred bytes per container start.
  bpfProgLoad(type, insns, license) {
    const BPF_PROG_LOAD = 5;
    const code = malloc(insns.length);
    copyIn(code, insns);
    const lic = Buffer.from(license + '\0');
    const licAddr = malloc(lic.length);
    copyIn(licAddr, lic);
    const attr = Buffer.alloc(128);
    attr.writeUInt32LE(type, 0); //              prog_type
    attr.writeUInt32LE(insns.length / 8, 4); //  insn_cnt
    attr.writeBigUInt64LE(code, 8); //           insns
    attr.writeBigUInt64LE(licAddr, 16); //       license
    const attrAddr = malloc(attr.length);
    copyIn(attrAddr, attr);
    return callInt('bpf', 'syscall', [L, L, DataType.BigInt, L], [syscallNumbers().bpf, BPF_PROG_LOAD, attrAddr, attr.length],
      [new Raw('BPF_PROG_LOAD'), new Raw(`{prog_type=${type}, insn_cnt=${insns.length / 8}, license="${license}"}`), attr.length]);
  },
  bpfProgAttach(targetFd, progFd, attachType, flags) {
    const BPF_PROG_ATTACH = 8;
    const attr = Buffer.alloc(32);
    attr.writeUInt32LE(targetFd, 0);
    attr.writeUInt32LE(progFd, 4);
    attr.writeUInt32LE(attachType, 8);
    attr.writeUInt32LE(flags, 12);
    callInt('bpf', 'syscall', [L, L, DataType.U8Array, L], [syscallNumbers().bpf, BPF_PROG_ATTACH, attr, attr.length],
      [new Raw('BPF_PROG_ATTACH'), new Raw(`{target_fd=${targetFd}, attach_bpf_fd=${progFd}, attach_type=${attachType}, attach_flags=${flags}}`), attr.length]);
  },
  // #endregion
};

// Trace helpers: show flags by name, as a learner reads them in the man page.
function names(flags: number, table: Record<string, number>, prefix: string): Raw {
  if (flags === 0) return new Raw('0');
  const parts: string[] = [];
  let known = 0;
  for (const [name, bit] of Object.entries(table)) {
    known |= bit;
    if ((flags & bit) !== 0) parts.push(prefix + name);
  }
  const rest = flags & ~known;
  if (rest) parts.push('0x' + rest.toString(16));
  return new Raw(parts.join('|'));
}

export const flagNames = (flags: number): Raw => names(flags, CLONE, 'CLONE_');
export const mountFlagNames = (flags: number): Raw => names(flags, MS, 'MS_');
