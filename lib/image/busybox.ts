// The base image, built offline: `busybox:latest` from the host's statically linked busybox.
//
// One binary is a whole userland: busybox looks at the name it was called by (argv[0]) and acts
// as that applet, so a symlink per applet (bin/sh, bin/ls, usr/bin/env → busybox) makes a usable
// root filesystem. busybox(1), elf(5) (PT_INTERP). Stage 0 notes ("preflight") build it; stage 1
// notes use it as the first container's rootfs.

import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import tar, { type Header } from 'tar-stream';
import { EngineError } from '../errors.js';
import type { Paths } from '../paths.js';
import { sh } from '../sys/exec.js';
import { trace } from '../sys/trace.js';
import type { Digest } from './digest.js';
import { importImage } from './import.js';
import { ImageStore } from './store.js';

export const BUSYBOX_IMAGE = 'busybox:latest';
/** Where Debian's busybox-static puts it (MINIDOCK_BUSYBOX overrides, e.g. on a machine without it). */
export const BUSYBOX_BIN = '/bin/busybox';
const FIX = 'apt-get install busybox-static';

/**
 * Every file and the image itself carry this date, the Unix epoch, as reproducible builds do
 * (SOURCE_DATE_EPOCH=0): with fixed dates and a fixed entry order, the same busybox binary gives
 * the same tar bytes, so the same DiffID and image ID on every machine. (`minidock images` shows
 * it as created "56 years ago", as it does for images built by Nix or ko.)
 */
const EPOCH = new Date(0);

// #region ensure-busybox
/** Make sure `busybox:latest` exists, building it from the host's busybox if needed. */
export async function ensureBusyboxImage(p: Paths, binary: string = process.env.MINIDOCK_BUSYBOX || BUSYBOX_BIN): Promise<Digest> {
  const store = new ImageStore(p);
  if (store.has(BUSYBOX_IMAGE)) return store.resolve(BUSYBOX_IMAGE).id;

  const tarball = await busyboxRootfsTar(binary);
  const id = await importImage(store, tarball, {
    changes: ['CMD ["sh"]'],
    reference: BUSYBOX_IMAGE,
    created: EPOCH,
    // a fixed message (not the binary's path) so the config, and so the ID, is the same everywhere
    message: 'busybox base image built by minidock from the host busybox-static',
  });
  trace(`built ${BUSYBOX_IMAGE} ${id} from ${binary}`);
  return id;
}
// #endregion

// #region busybox-rootfs
/**
 * The root filesystem as a tar, in memory (busybox is about 2 MB):
 *
 *   bin/busybox                          the binary, 0755
 *   bin/sh, usr/bin/env, sbin/ip, …      one relative symlink per applet (`busybox --list-full`)
 *   etc/passwd, etc/group                root and nobody
 *   dev proc sys tmp root home var …     empty directories for the runtime to mount on or use
 */
export async function busyboxRootfsTar(binary: string = BUSYBOX_BIN): Promise<Buffer> {
  if (!existsSync(binary)) throw new EngineError(`busybox base image: ${binary} not found; install it with: ${FIX}`);
  const elf = readFileSync(binary);
  checkStaticElf(binary, elf);

  // The applet list names where each applet lives: "bin/sh", "usr/bin/env", "sbin/ifconfig".
  const applets = sh(binary, ['--list-full'])
    .stdout.split('\n')
    .map((line) => line.trim())
    // "linuxrc" is for initramfs images only; "bin/busybox" is the binary itself
    .filter((a) => a.includes('/') && a !== 'bin/busybox' && !a.startsWith('/') && !a.split('/').includes('..'));

  type Entry = Partial<Header> & { name: string; data?: Buffer };
  const entries = new Map<string, Entry>();
  const dir = (name: string, mode = 0o755): void => void entries.set(name, { name: `${name}/`, type: 'directory', mode });
  const file = (name: string, data: Buffer, mode: number): void => void entries.set(name, { name, type: 'file', mode, size: data.length, data });

  for (const d of ['bin', 'dev', 'etc', 'home', 'proc', 'sys', 'usr', 'var']) dir(d);
  dir('root', 0o700);
  dir('tmp', 0o1777); // sticky and world-writable: anyone may create, only owners may delete
  file('bin/busybox', elf, 0o755);
  file('etc/passwd', Buffer.from('root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n'), 0o644);
  file('etc/group', Buffer.from('root:x:0:\nnogroup:x:65534:\n'), 0o644);
  for (const applet of applets) {
    // every directory on the way, then a link relative to it: usr/bin/env → ../../bin/busybox
    const parent = path.posix.dirname(applet);
    parent.split('/').forEach((_, i, parts) => {
      const d = parts.slice(0, i + 1).join('/');
      if (!entries.has(d)) dir(d);
    });
    const linkname = path.posix.relative(parent, 'bin/busybox');
    entries.set(applet, { name: applet, type: 'symlink', mode: 0o777, linkname });
  }

  // Sorted names put each directory before its contents ("usr" < "usr/bin" < "usr/bin/env").
  const pack = tar.pack();
  for (const name of [...entries.keys()].sort()) {
    const { data, ...header } = entries.get(name)!;
    const fixed = { ...header, uid: 0, gid: 0, uname: 'root', gname: 'root', mtime: EPOCH };
    if (data) pack.entry(fixed, data);
    else pack.entry(fixed);
  }
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of pack) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
// #endregion

// #region static-check
/**
 * A dynamically linked program names its loader (e.g. /lib64/ld-linux-x86-64.so.2) in a PT_INTERP
 * program header, and the kernel runs that loader first. The image has no loader and no libc, so
 * only a binary without PT_INTERP (statically linked) can run in it. elf(5) gives the offsets.
 */
export function checkStaticElf(file: string, elf: Buffer): void {
  if (elf.length < 64 || elf.readUInt32BE(0) !== 0x7f454c46) throw new EngineError(`busybox base image: ${file} is not an ELF executable; ${FIX}`);
  const is64 = elf[4] === 2; // EI_CLASS: 1 = 32-bit, 2 = 64-bit
  const le = elf[5] === 1; // EI_DATA: 1 = little-endian, 2 = big-endian
  const u16 = (at: number): number => (le ? elf.readUInt16LE(at) : elf.readUInt16BE(at));
  const u32 = (at: number): number => (le ? elf.readUInt32LE(at) : elf.readUInt32BE(at));
  const u64 = (at: number): number => Number(le ? elf.readBigUInt64LE(at) : elf.readBigUInt64BE(at));

  const phoff = is64 ? u64(0x20) : u32(0x1c); // where the program headers start
  const phentsize = is64 ? u16(0x36) : u16(0x2a); // the size of one
  const phnum = is64 ? u16(0x38) : u16(0x2c); // how many
  const PT_INTERP = 3;
  for (let i = 0; i < phnum; i++) {
    const at = phoff + i * phentsize;
    if (at + 4 > elf.length) break;
    if (u32(at) === PT_INTERP) {
      throw new EngineError(`busybox base image: ${file} is dynamically linked and cannot run alone in an image; ${FIX}`);
    }
  }
}
// #endregion
