// Layer tarballs: a layer travels as a tar archive of its files (often compressed: compression.ts),
// and is unpacked into a directory of the layer store. Unpacking also measures the DiffID, the
// sha256 of the *uncompressed* tar, because that is the name the image config gives the layer.
//
// Whiteouts travel as `.wh.<name>` files (OCI) and are stored as overlayfs spells them (a 0/0
// character device; an opaque directory carries trusted.overlay.opaque=y); packDir turns them back.
//
// tar(5) (ustar, pax), OCI image spec "layer.md" (changesets, whiteouts); path_resolution(7),
// open(2) O_NOFOLLOW/O_EXCL/O_DIRECTORY, fchmod(2), lchown(2), utimensat(2), mknod(2), xattr(7).
// Stage 6 notes, "layers are tarballs"; stage 3 notes, "whiteouts on disk and in a tar", "hostile
// layers" and "swaps".

import { createHash } from 'node:crypto';
import {
  closeSync,
  constants,
  fchmodSync,
  fchownSync,
  fstatSync,
  futimesSync,
  linkSync,
  lchownSync,
  lstatSync,
  lutimesSync,
  mkdirSync,
  openSync,
  promises as fsp,
  readdirSync,
  rmSync,
  symlinkSync,
  chmodSync,
  writeSync,
  type Stats,
} from 'node:fs';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar, { type Header } from 'tar-stream';
import { EngineError } from '../errors.js';
import { currentStage } from '../stage.js';
import { S_IF, makedev } from '../sys/constants.js';
import { realSys } from '../sys/index.js';
import type { Sys } from '../sys/sys.js';
import { trace } from '../sys/trace.js';
import { decompressStages } from './compression.js';
import { TarSplitter } from './tar-split.js';
import type { Digest } from './digest.js';

export interface AppliedLayer {
  /** sha256 of the uncompressed tar stream, every byte of it */
  diffId: Digest;
  /** bytes the layer's files take (regular files and symlinks, hard links counted once) */
  size: number;
  /** the tar's layout without file contents (tar-split.ts), to give the same tar back later */
  tarSplit: Buffer;
}

// #region whiteout-names
/** Whiteout files (OCI layer.md): `.wh.<name>` deletes <name> from the layers below. */
export const WHITEOUT_PREFIX = '.wh.';
/** `.wh..wh..opq` in a directory: hide everything the layers below have in that directory. */
export const WHITEOUT_OPAQUE = '.wh..wh..opq';
/** The same two facts as overlayfs keeps them on disk. */
export const OVERLAY_OPAQUE_XATTR = 'trusted.overlay.opaque';

/** On disk, in an overlay layer: a whiteout is a character device 0/0. */
export function isOverlayWhiteout(st: Stats): boolean {
  return st.isCharacterDevice() && st.rdev === 0;
}

/** On disk, in an overlay layer: an opaque directory carries trusted.overlay.opaque=y. */
export function isOverlayOpaque(sys: Pick<Sys, 'lgetxattr'>, dir: string): boolean {
  return sys.lgetxattr(dir, OVERLAY_OPAQUE_XATTR)?.toString() === 'y';
}
// #endregion

/** mknod(2) file type of a FIFO (S_IF in lib/sys/constants.ts has the device types). */
const S_IFIFO = 0o010000;

/** Extended attributes ride in PAX records named SCHILY.xattr.<attribute> (GNU tar, Go, Docker). */
const PAX_XATTR = 'SCHILY.xattr.';

export interface ApplyOptions {
  /** for mknod(2) and lsetxattr(2) (whiteouts, devices, xattrs); the real one when omitted */
  sys?: Sys;
  /** the stage gate (default: MINIDOCK_STAGE): whiteouts become overlay whiteouts from stage 3 */
  stage?: number;
}

// A regular file is created fresh: O_EXCL fails if anything (a symlink included) is already
// there, and O_NOFOLLOW refuses a symlink in the last component, so the write lands in the layer.
const CREATE_NEW_FILE = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

// A directory is opened again at the end (finishDirectories) only as itself: O_NOFOLLOW refuses a
// symlink put in its place, O_DIRECTORY anything else that is not a directory.
const OPEN_OWN_DIRECTORY = constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW;

/** A directory entry waiting for its mode and mtime, and the inode it was when it was written. */
interface PendingDirectory {
  header: Header;
  dev: number;
  ino: number;
}

/**
 * What applying one layer remembers from one entry to the next. Only this extraction writes into
 * the layer directory (the store gives it a fresh one), so these facts stay true as long as every
 * removal goes through removePath, which forgets what it removed.
 */
interface Extraction {
  root: string;
  /** paths below root already seen to be real directories (not symlinks): insideLayer's cache */
  verified: Set<string>;
  /** directory entries, for the mode/mtime pass at the end */
  directories: Map<string, PendingDirectory>;
  /** libc, loaded only when an entry needs it (most layers are files, directories and links) */
  getSys: () => Promise<Sys>;
  /** turn .wh. files into overlay whiteouts (stage 3 on) */
  whiteouts: boolean;
  /** chown only as root (asked once: it does not change during an extraction) */
  asRoot: boolean;
}

// #region apply-layer
/**
 * Unpack a layer tar (plain, gzip, xz, bzip2 or zstd) into `dir`, which must exist, and return
 * its DiffID and size.
 *
 * The bytes flow:  source → [decompress] → sha256 → tar parser → one entry at a time onto the disk.
 * Entries are applied in archive order; a later entry with the same name replaces the earlier one.
 * Directories get their mode and mtime last, once nothing more will be written into them.
 */
export async function applyLayerTar(source: Readable | Buffer, dir: string, opts: ApplyOptions = {}): Promise<AppliedLayer> {
  const input = source instanceof Readable ? source : Readable.from([source]);
  const hash = createHash('sha256');
  const splitter = new TarSplitter();
  const hashing = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      splitter.write(chunk);
      done(null, chunk);
    },
  });
  const extract = tar.extract();

  // tar-stream's streams are streamx streams: Node's pipeline() takes them, only their TypeScript
  // types differ from Node's, hence the cast.
  const stages = [...(await decompressStages(input)), hashing, extract] as unknown as [NodeJS.ReadableStream, NodeJS.WritableStream];
  const feeding = pipeline(stages);
  // `feeding` is awaited after the loop; this empty handler only keeps Node from reporting it as
  // an unhandled rejection while the loop is still busy writing an entry.
  feeding.catch(() => {});

  let sys: Sys | undefined = opts.sys;
  const x: Extraction = {
    root: path.resolve(dir), // one spelling, so the cache keys below compare as strings
    verified: new Set(),
    directories: new Map(),
    getSys: async () => (sys ??= await realSys()),
    whiteouts: (opts.stage ?? currentStage()) >= 3,
    asRoot: process.getuid?.() === 0,
  };
  try {
    for await (const entry of extract) await applyEntry(x, entry.header, entry);
  } catch (err) {
    // A refused entry stops here: tear the pipeline down, so a decompressor process stops too.
    extract.destroy(err as Error);
    throw truncatedOr(err);
  }
  await feeding.catch((err: unknown) => {
    throw truncatedOr(err);
  });
  finishDirectories(x);

  const diffId: Digest = `sha256:${hash.digest('hex')}`;
  trace(`extract layer ${diffId} → ${dir}`);
  return { diffId, size: await diskUsage(dir), tarSplit: splitter.finish() };
}
// #endregion

/** tar-stream says "Unexpected end of data" when the archive stops mid-entry: say it in our words. */
function truncatedOr(err: unknown): unknown {
  if (err instanceof Error && /^Unexpected end of data/.test(err.message)) return new EngineError('the layer tar is truncated (it ends inside an entry)');
  return err;
}

// #region safe-paths
function refuse(name: string, why: string): EngineError {
  return new EngineError(`refusing layer entry ${JSON.stringify(name)}: ${why}`);
}

/**
 * The path components of an entry name, relative to the layer. Honest layers name their files
 * relative to the root ("etc/passwd", "./etc/passwd"): an absolute name or a ".." component is
 * refused outright, since no honest layer needs one.
 */
function entryParts(name: string): string[] {
  if (name.startsWith('/')) throw refuse(name, 'an absolute name would leave the layer');
  const parts = name.split('/').filter((c) => c !== '' && c !== '.');
  if (parts.includes('..')) throw refuse(name, 'a ".." component would leave the layer');
  return parts;
}

/**
 * Walk from the layer root to the entry's parent directory, one component at a time, with lstat
 * (which never follows a symlink). Every component must be a real directory: an archive that
 * first makes `etc -> /` and then writes `etc/passwd` would otherwise write the host's
 * /etc/passwd. (Docker resolves such a name inside the layer root instead; refusing is stricter,
 * and no honest layer writes through its own symlinks.) Missing directories are created, as tar
 * does, unless `create` is false (then null means "not there").
 *
 * A directory seen once is remembered in x.verified, so 100k files in one directory cost one
 * lstat of it, not 100k; removePath forgets a directory when an entry removes it.
 * Returns the entry's full path.
 */
function insideLayer(x: Extraction, parts: string[], name: string, create = true): string | null {
  let dir = x.root;
  for (const part of parts.slice(0, -1)) {
    dir = `${dir}/${part}`; // parts hold no "", "." or ".." (entryParts), so no path.join needed
    if (x.verified.has(dir)) continue;
    const st = lstatSync(dir, { throwIfNoEntry: false });
    if (st === undefined) {
      if (!create) return null;
      mkdirSync(dir, 0o755);
    } else if (st.isSymbolicLink()) throw refuse(name, `${path.relative(x.root, dir)} is a symlink`);
    else if (!st.isDirectory()) throw refuse(name, `${path.relative(x.root, dir)} is not a directory`);
    x.verified.add(dir);
  }
  return `${dir}/${parts[parts.length - 1]}`;
}

/**
 * Remove what is at `target` (rm never follows a symlink), and forget every fact remembered
 * about it and, for a directory, about everything below it: the directory pass must not later
 * chmod a path that now means something else (the bug this guards: a directory `d`, then a
 * symlink `d` -> a host file, and the pass made the host file 6777).
 */
function removePath(x: Extraction, target: string, was: Stats): void {
  rmSync(target, { recursive: true, force: true });
  x.verified.delete(target);
  x.directories.delete(target);
  if (!was.isDirectory()) return; // only a directory has anything below it
  const below = `${target}/`;
  for (const p of x.verified) if (p.startsWith(below)) x.verified.delete(p);
  for (const p of x.directories.keys()) if (p.startsWith(below)) x.directories.delete(p);
}
// #endregion

// #region apply-entry
const SUPPORTED_TYPES = new Set<Header['type']>(['file', 'contiguous-file', 'directory', 'symlink', 'link', 'character-device', 'block-device', 'fifo']);

/**
 * Apply one entry, in this order: check its name, check a hard link's target, remove whatever
 * is already at the name, write the new thing, then its owner, xattrs, mode and times.
 * Everything after the write acts on the new thing itself (its fd, or l* calls that do not
 * follow a symlink), never on whatever its path might lead to.
 */
async function applyEntry(x: Extraction, header: Header, entry: AsyncIterable<unknown>): Promise<void> {
  const name = header.name;
  const parts = entryParts(name);

  // "./" is the layer root itself: its mode belongs to the diff directory the store made.
  if (parts.length === 0) return drain(entry);

  const base = parts[parts.length - 1];
  if (base.startsWith(WHITEOUT_PREFIX)) {
    const hidden = base.slice(WHITEOUT_PREFIX.length);
    if (hidden === '' || hidden === '.' || hidden === '..') throw refuse(name, 'a whiteout must name a file');
    if (x.whiteouts) await applyWhiteout(x, parts, header);
    else trace(`skip whiteout ${name} (stage 3 turns whiteouts into overlay whiteouts)`);
    return drain(entry);
  }
  if (!SUPPORTED_TYPES.has(header.type)) {
    trace(`skip ${header.type} entry ${name} (not a file, directory, link, device or fifo)`);
    return drain(entry);
  }
  if (header.type === 'character-device' || header.type === 'block-device') checkDevice(name, parts, header);

  const target = insideLayer(x, parts, name)!;
  const xattrs = xattrsOf(header);

  // A hard link names a file that an earlier entry of this same layer created: check it before
  // anything is removed (a link to itself, or into a directory it replaces, would otherwise
  // delete its own target first).
  const linkSource = header.type === 'link' ? hardLinkSource(x, name, header.linkname ?? '') : null;
  if (linkSource === target) throw refuse(name, 'hard link to itself');
  if (linkSource?.startsWith(`${target}/`)) throw refuse(name, `hard link target ${header.linkname} is inside ${name}`);

  // Whatever is already at this name is replaced, except a directory by a directory (a later
  // entry for the same directory only updates its metadata). Docker's rule too: a directory
  // replaced by anything else is removed first, contents and all.
  const existing = lstatSync(target, { throwIfNoEntry: false });
  if (existing && !(existing.isDirectory() && header.type === 'directory')) removePath(x, target, existing);

  // Extended attributes go on after chown(2), which clears security.capability.
  const setXattrs = async () => {
    if (xattrs.length === 0) return;
    const sys = await x.getSys();
    for (const [key, value] of xattrs) sys.lsetxattr(target, key, value);
  };

  switch (header.type) {
    case 'file':
    case 'contiguous-file':
      return writeFile(x, target, header, entry, setXattrs);
    case 'directory':
      await makeDirectory(x, target, header, existing, setXattrs);
      return drain(entry);
    case 'symlink': {
      // A symlink may point anywhere (`etc/mtab -> /proc/mounts`): it is only dangerous when
      // followed, and nothing here ever follows one. It has no mode of its own to set.
      symlinkSync(header.linkname ?? '', target);
      if (x.asRoot) lchownSync(target, header.uid ?? 0, header.gid ?? 0);
      lutimesSync(target, header.mtime ?? new Date(0), header.mtime ?? new Date(0));
      return drain(entry);
    }
    case 'link':
      linkSync(linkSource!, target); // link(2) does not follow a symlink source: it links the symlink
      return drain(entry);
    default:
      // character-device, block-device, fifo (SUPPORTED_TYPES was checked above)
      await makeNode(x, target, header, setXattrs);
      return drain(entry);
  }
}

/**
 * A regular file: created new (CREATE_NEW_FILE), then everything else is done through the open
 * fd, so it reaches this file and nothing else. Synchronous calls on purpose: each is one short
 * syscall, and the promise forms cost a thread-pool round trip apiece (a 100k-file layer spent
 * most of its 65 s waiting on those).
 */
async function writeFile(x: Extraction, target: string, header: Header, entry: AsyncIterable<unknown>, setXattrs: () => Promise<void>): Promise<void> {
  const fd = openSync(target, CREATE_NEW_FILE, 0o600);
  try {
    for await (const chunk of entry) writeAll(fd, chunk as Buffer);
    if (x.asRoot) fchownSync(fd, header.uid ?? 0, header.gid ?? 0);
    await setXattrs();
    fchmodSync(fd, (header.mode ?? 0o644) & 0o7777); // after chown: chown(2) clears set-user-ID and set-group-ID
    futimesSync(fd, header.mtime ?? new Date(0), header.mtime ?? new Date(0));
  } finally {
    closeSync(fd);
  }
}

/** write(2) may write less than asked; loop until the whole chunk is on disk. */
function writeAll(fd: number, chunk: Buffer): void {
  for (let done = 0; done < chunk.length; ) done += writeSync(fd, chunk, done);
}

/**
 * A directory: made (or kept, when an earlier entry made it), owned, and remembered with its
 * inode; its mode and mtime wait for finishDirectories.
 */
async function makeDirectory(x: Extraction, target: string, header: Header, existing: Stats | undefined, setXattrs: () => Promise<void>): Promise<void> {
  if (!existing?.isDirectory()) mkdirSync(target, 0o700);
  const st = existing?.isDirectory() ? existing : lstatSync(target);
  if (x.asRoot) lchownSync(target, header.uid ?? 0, header.gid ?? 0);
  await setXattrs();
  x.verified.add(target);
  x.directories.set(target, { header, dev: st.dev, ino: st.ino });
}

/** A device node or FIFO, made with mknod(2); its mode is set again because mknod's passed the umask. */
async function makeNode(x: Extraction, target: string, header: Header, setXattrs: () => Promise<void>): Promise<void> {
  const mode = (header.mode ?? 0o644) & 0o7777;
  const type = header.type === 'fifo' ? S_IFIFO : header.type === 'block-device' ? S_IF.BLK : S_IF.CHR;
  (await x.getSys()).mknod(target, type | mode, makedev(header.devmajor ?? 0, header.devminor ?? 0));
  if (x.asRoot) lchownSync(target, header.uid ?? 0, header.gid ?? 0);
  await setXattrs();
  // Linux has no lchmod: chmod(2) of a symlink changes its target. What mknod just made is no
  // symlink; say so in code, so "never chmod through a symlink" holds for every chmod here.
  // (Opening the node to fchmod it is no option: opening a FIFO blocks, a device wakes a driver.)
  if (lstatSync(target).isSymbolicLink()) throw refuse(header.name, 'became a symlink while it was written');
  chmodSync(target, mode);
  lutimesSync(target, header.mtime ?? new Date(0), header.mtime ?? new Date(0));
}

/** The file a hard link entry points at: inside the layer, reached without symlinks, not a directory. */
function hardLinkSource(x: Extraction, name: string, linkname: string): string {
  const linkParts = entryParts(linkname);
  if (linkParts.length === 0) throw refuse(name, 'hard link to the layer root');
  const source = insideLayer(x, linkParts, name, false);
  const st = source === null ? undefined : lstatSync(source, { throwIfNoEntry: false });
  if (source === null || st === undefined) throw refuse(name, `hard link target ${linkname} is not in the layer`);
  if (st.isDirectory()) throw refuse(name, `hard link target ${linkname} is a directory`);
  return source;
}

/** Read and discard an entry's data so the parser can move on to the next header. */
async function drain(entry: AsyncIterable<unknown>): Promise<void> {
  for await (const _chunk of entry) {
    // nothing to keep
  }
}

// #endregion

// #region directory-pass
/**
 * Give directories their mode and mtime, deepest first (a 0555 parent would block a child).
 * Each is opened as itself (OPEN_OWN_DIRECTORY) and must still be the inode its entry made:
 * then fchmod/futimens act on that inode, whatever its path has come to mean.
 */
function finishDirectories(x: Extraction): void {
  const deepestFirst = [...x.directories.keys()].sort((a, b) => b.split('/').length - a.split('/').length);
  for (const dir of deepestFirst) finishDirectory(dir, x.directories.get(dir)!);
}

function finishDirectory(dir: string, pending: PendingDirectory): void {
  const { header } = pending;
  let fd: number;
  try {
    fd = openSync(dir, OPEN_OWN_DIRECTORY);
  } catch (err) {
    // ELOOP: a symlink is there now; ENOTDIR: something else. removePath forgets what an entry
    // replaces, so this means the layer changed under us: refuse rather than guess.
    throw refuse(header.name, `is no longer the directory its entry made (${(err as NodeJS.ErrnoException).code})`);
  }
  try {
    const st = fstatSync(fd);
    if (st.dev !== pending.dev || st.ino !== pending.ino) throw refuse(header.name, 'is no longer the directory its entry made (another inode)');
    fchmodSync(fd, (header.mode ?? 0o755) & 0o7777);
    futimesSync(fd, header.mtime ?? new Date(0), header.mtime ?? new Date(0));
  } finally {
    closeSync(fd);
  }
}
// #endregion

// #region apply-whiteout
/**
 * A whiteout entry, stored the way overlayfs reads it (Documentation/filesystems/overlayfs.rst,
 * "whiteouts and opaque directories"):
 *   dir/.wh..wh..opq   → dir gets the xattr trusted.overlay.opaque=y: lower layers' dir is hidden
 *   dir/.wh.name       → dir/name becomes a character device 0/0: lower layers' name is hidden
 * Other `.wh..wh.` names are AUFS bookkeeping (.wh..wh.plnk, .wh..wh.aufs) and mean nothing here.
 * Both walk to `dir` with insideLayer, so a whiteout never acts through a symlinked parent.
 */
async function applyWhiteout(x: Extraction, parts: string[], header: Header): Promise<void> {
  // #region exercise 3.whiteout
  const name = header.name;
  const base = parts[parts.length - 1];
  const dirParts = parts.slice(0, -1);
  if (base === WHITEOUT_OPAQUE) {
    // insideLayer makes the directory if the archive has not yet, and refuses a symlink there
    const dir = path.dirname(insideLayer(x, parts, name)!);
    (await x.getSys()).lsetxattr(dir, OVERLAY_OPAQUE_XATTR, Buffer.from('y'));
    return;
  }
  if (base.startsWith(`${WHITEOUT_PREFIX}${WHITEOUT_PREFIX}`)) {
    trace(`skip ${name} (AUFS metadata)`);
    return;
  }
  const hidden = base.slice(WHITEOUT_PREFIX.length); // applyEntry checked it names a file
  const target = insideLayer(x, [...dirParts, hidden], name)!;
  const sys = await x.getSys();
  const existing = lstatSync(target, { throwIfNoEntry: false }); // an earlier entry of this layer, if any
  if (existing) removePath(x, target, existing);
  sys.mknod(target, S_IF.CHR, makedev(0, 0));
  if (x.asRoot) lchownSync(target, header.uid ?? 0, header.gid ?? 0);
  // the whiteout keeps the entry's time, so packing this layer again gives the same bytes
  lutimesSync(target, header.mtime ?? new Date(0), header.mtime ?? new Date(0));
  // #endregion
}
// #endregion

// #region device-policy
/**
 * Which device nodes a layer may carry. A device node is a door into the kernel: `tmp/sda`,
 * block 8:0, would let the container open the host's disk. Images keep their few device nodes
 * under /dev, where the runtime mounts a fresh tmpfs over them anyway, so that is the only place
 * they are accepted. A character device 0/0 is refused everywhere: it is overlayfs' private
 * spelling of a whiteout, and a tar must say `.wh.<name>`.
 */
function checkDevice(name: string, parts: string[], header: Header): void {
  if (header.type === 'character-device' && (header.devmajor ?? 0) === 0 && (header.devminor ?? 0) === 0) {
    throw refuse(name, 'a 0/0 character device is an overlay whiteout in disguise (a layer spells whiteouts .wh.<name>)');
  }
  if (parts[0] !== 'dev' || parts.length < 2) {
    throw refuse(name, `a ${header.type} outside /dev (${header.devmajor}:${header.devminor}) would open a host device`);
  }
}
// #endregion

/**
 * The extended attributes of an entry (PAX SCHILY.xattr.*). overlayfs' own attributes
 * (trusted.overlay.*) are refused: they would redirect or hide files of the layers below.
 * tar-stream hands PAX values over as UTF-8 text, so binary values survive only when they are
 * valid UTF-8 (stage 3 notes, "what is left").
 */
function xattrsOf(header: Header): [string, Buffer][] {
  const out: [string, Buffer][] = [];
  for (const [key, value] of Object.entries(header.pax ?? {})) {
    if (!key.startsWith(PAX_XATTR)) continue;
    const attr = key.slice(PAX_XATTR.length);
    if (attr.startsWith('trusted.overlay.')) throw refuse(header.name, `xattr ${attr} belongs to overlayfs`);
    out.push([attr, Buffer.from(value, 'utf8')]);
  }
  return out;
}

// #region disk-usage
/**
 * The size Docker records for a layer (layerdb/…/size): the bytes of everything in the
 * directory that is not a directory, counting a file with several hard links once.
 */
export async function diskUsage(dir: string): Promise<number> {
  const seen = new Set<string>();
  let total = 0;
  // Synchronous calls: one lstat per file, and a thread-pool round trip each would cost more
  // than the lstat itself (see writeFile).
  const walk = (d: string): void => {
    for (const dirent of readdirSync(d, { withFileTypes: true })) {
      const p = `${d}/${dirent.name}`;
      if (dirent.isDirectory()) {
        walk(p);
        continue;
      }
      const st = lstatSync(p);
      if (st.nlink > 1) {
        // only a file with several names can be met twice; remembering just those keeps the set small
        const inode = `${st.dev}:${st.ino}`;
        if (seen.has(inode)) continue;
        seen.add(inode);
      }
      total += st.size;
    }
  };
  walk(dir);
  return total;
}
// #endregion

// #region pack-options
export interface PackOptions {
  /** clamp every mtime to this date, for reproducible tars (same files → same DiffID) */
  mtime?: Date;
  /**
   * lgetxattr(2), to find opaque directories (trusted.overlay.opaque) and file capabilities
   * (security.capability). Without it, neither is packed.
   */
  sys?: Sys;
}

/** A device number's major and minor halves: the inverse of makedev (lib/sys/constants.ts). */
function majorMinor(rdev: number): { devmajor: number; devminor: number } {
  return { devmajor: (rdev >> 8) & 0xfff, devminor: (rdev & 0xff) | ((rdev >> 12) & 0xfff00) };
}
// #endregion

// #region pack-dir
/**
 * The inverse of applyLayerTar: a tar stream of everything under `dir`, names relative to it,
 * in sorted order, parents before children. Files with several hard links are stored once and
 * then as links to the first name. Sockets are left out (and traced), as Docker leaves them out.
 *
 * Layer directories hold whiteouts in overlayfs' spelling; the tar gets them in the OCI one, as
 * Docker's overlay2 driver packs a container's writable layer for `commit`:
 *   character device 0/0                     → an empty file `.wh.<name>`, mode 0600
 *   directory with trusted.overlay.opaque=y  → the directory, then an empty `<dir>/.wh..wh..opq`
 *   security.capability                      → the PAX record SCHILY.xattr.security.capability
 * overlayfs' other attributes (origin, impure, …) describe one mount only and stay behind.
 */
export function packDir(dir: string, opts: PackOptions = {}): Readable {
  const pack = tar.pack();
  const firstNameOfInode = new Map<string, string>();
  const sys = opts.sys;

  const header = (name: string, st: Stats): Partial<Header> & { name: string } => ({
    name,
    mode: st.mode & 0o7777,
    uid: st.uid,
    gid: st.gid,
    mtime: opts.mtime ?? st.mtime,
  });

  /** PAX records for the one attribute Docker carries into layers, when present. */
  const capability = (full: string): Record<string, string> | undefined => {
    const value = sys?.lgetxattr(full, 'security.capability');
    if (!value) return undefined;
    const text = value.toString('utf8');
    if (!Buffer.from(text, 'utf8').equals(value)) {
      trace(`skip security.capability of ${full} (binary value; tar-stream writes PAX records as UTF-8)`);
      return undefined;
    }
    return { [`${PAX_XATTR}security.capability`]: text };
  };
  // #endregion

  // #region pack-walk
  // One entry per name, by the kind of file; the whiteout test comes first, because a 0/0
  // character device is a whiteout here, never a device the container made.
  const walk = async (rel: string): Promise<void> => {
    const names = (await fsp.readdir(path.join(dir, rel))).sort();
    for (const n of names) {
      const name = rel === '' ? n : `${rel}/${n}`;
      const full = path.join(dir, name);
      const st = await fsp.lstat(full);
      if (isOverlayWhiteout(st)) {
        // an overlay whiteout; overlayfs may hard-link whiteouts together, so this comes before links
        const wh = rel === '' ? `${WHITEOUT_PREFIX}${n}` : `${rel}/${WHITEOUT_PREFIX}${n}`;
        pack.entry({ ...header(wh, st), mode: 0o600, type: 'file' }, ''); // '': a file entry with no body
      } else if (st.isDirectory()) {
        pack.entry({ ...header(`${name}/`, st), type: 'directory' });
        if (sys !== undefined && isOverlayOpaque(sys, full)) {
          pack.entry({ ...header(`${name}/${WHITEOUT_OPAQUE}`, st), mode: st.mode & 0o777, type: 'file' }, '');
        }
        await walk(name);
      } else if (st.isSymbolicLink()) {
        pack.entry({ ...header(name, st), type: 'symlink', linkname: await fsp.readlink(full) });
      } else if (st.isFile()) {
        const inode = `${st.dev}:${st.ino}`;
        const first = firstNameOfInode.get(inode);
        if (st.nlink > 1 && first !== undefined) {
          pack.entry({ ...header(name, st), type: 'link', linkname: first });
          continue;
        }
        firstNameOfInode.set(inode, name);
        const pax = capability(full);
        await pipeline((await fsp.open(full, 'r')).createReadStream(), pack.entry({ ...header(name, st), size: st.size, ...(pax ? { pax } : {}) }));
      } else if (st.isCharacterDevice() || st.isBlockDevice()) {
        pack.entry({ ...header(name, st), type: st.isBlockDevice() ? 'block-device' : 'character-device', ...majorMinor(st.rdev) });
      } else if (st.isFIFO()) {
        pack.entry({ ...header(name, st), type: 'fifo' });
      } else {
        trace(`skip ${name} in ${dir} (a socket)`);
      }
    }
  };

  walk('').then(
    () => pack.finalize(),
    (err: unknown) => pack.destroy(err as Error),
  );
  return Readable.from(pack);
  // #endregion
}

/** packDir, collected into one Buffer (for small layers and tests). */
export async function packDirToBuffer(dir: string, opts: PackOptions = {}): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of packDir(dir, opts)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
// #endregion
