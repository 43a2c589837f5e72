// SCM_RIGHTS: passing an open file descriptor to another process over a unix socket.
// unix(7) "Ancillary messages", cmsg(3), sendmsg(2). Stage 7 notes, "the console socket".
//
// A file descriptor is a number that only means something in its own process; to give another
// process the *open file* behind it, the kernel must copy it into that process's table. sendmsg(2)
// does that when the message carries a control ("ancillary") part of type SCM_RIGHTS listing fds.
// The C structures involved hold pointers, so they are laid out here, byte by byte, in one block
// of C memory whose address `base` the caller already has (libc.ts mallocs it):
//
//   base → struct msghdr (56)   msg_name=NULL, msg_iov → iovec, msg_iovlen=1,
//                               msg_control → cmsg, msg_controllen=CMSG_SPACE(4·n)
//          struct iovec  (16)   iov_base → data, iov_len
//          struct cmsghdr       cmsg_len=CMSG_LEN(4·n), SOL_SOCKET, SCM_RIGHTS, then the fds (int each)
//          data                 the ordinary bytes (a stream socket carries the fds with >= 1 byte)
//
// Sizes are those of x86_64 and aarch64 (64-bit pointers and size_t), the lab's machines.

export const SOL_SOCKET = 1;
export const SCM_RIGHTS = 1;
export const MSGHDR_SIZE = 56;
export const IOVEC_SIZE = 16;
const CMSGHDR_SIZE = 16;

/** CMSG_ALIGN: control messages are padded to the size of a long. */
const align = (n: number) => (n + 7) & ~7;
/** CMSG_LEN(len): the header and `len` bytes of data, unpadded — what cmsg_len says. */
export const cmsgLen = (len: number) => CMSGHDR_SIZE + len;
/** CMSG_SPACE(len): the header and `len` bytes, padded — what the buffer takes. */
export const cmsgSpace = (len: number) => CMSGHDR_SIZE + align(len);

// #region scm-rights-layout
/** The bytes of msghdr + iovec + cmsghdr(SCM_RIGHTS, fds) + data, to be copied to address `base`. */
export function scmRightsMessage(base: bigint, data: Buffer, fds: readonly number[]): Buffer {
  if (data.length === 0) throw new Error('SCM_RIGHTS over a stream socket needs at least one byte of data');
  const iovAt = MSGHDR_SIZE;
  const cmsgAt = iovAt + IOVEC_SIZE;
  const space = cmsgSpace(4 * fds.length);
  const dataAt = cmsgAt + space;
  const b = Buffer.alloc(dataAt + data.length);
  // struct msghdr
  b.writeBigUInt64LE(0n, 0); // msg_name: none, the socket is connected
  b.writeUInt32LE(0, 8); // msg_namelen
  b.writeBigUInt64LE(base + BigInt(iovAt), 16); // msg_iov
  b.writeBigUInt64LE(1n, 24); // msg_iovlen
  b.writeBigUInt64LE(base + BigInt(cmsgAt), 32); // msg_control
  b.writeBigUInt64LE(BigInt(space), 40); // msg_controllen
  b.writeInt32LE(0, 48); // msg_flags (unused by sendmsg)
  // struct iovec: the ordinary bytes
  b.writeBigUInt64LE(base + BigInt(dataAt), iovAt);
  b.writeBigUInt64LE(BigInt(data.length), iovAt + 8);
  // struct cmsghdr, then the fds
  b.writeBigUInt64LE(BigInt(cmsgLen(4 * fds.length)), cmsgAt);
  b.writeInt32LE(SOL_SOCKET, cmsgAt + 8);
  b.writeInt32LE(SCM_RIGHTS, cmsgAt + 12);
  fds.forEach((fd, i) => b.writeInt32LE(fd, cmsgAt + CMSGHDR_SIZE + 4 * i));
  data.copy(b, dataAt);
  return b;
}
// #endregion

/** struct sockaddr_un for `path`: sa_family AF_UNIX, then the NUL-terminated path (at most 107 bytes). */
export function sockaddrUn(path: string): Buffer {
  const bytes = Buffer.from(path, 'utf8');
  if (bytes.length > 107) throw new Error(`unix socket path too long (${bytes.length} bytes, at most 107): ${path}`);
  const b = Buffer.alloc(2 + 108);
  b.writeUInt16LE(1, 0); // AF_UNIX
  bytes.copy(b, 2);
  return b;
}
