// Layer tarballs: a layer travels as a tar archive of its files (often gzipped), and is unpacked
// into a directory of the layer store. Unpacking also measures the DiffID, the sha256 of the
// *uncompressed* tar, because that is the name the image config gives the layer.
//
// tar(5) (ustar, pax), OCI image spec "layer.md" (changesets, whiteouts); path_resolution(7),
// open(2) O_NOFOLLOW/O_EXCL, lchown(2), utimensat(2). Stage 6 notes, "layers are tarballs";
// stage 3 notes show where the unpacked directory ends up (overlay2/<id>/diff).

import { createHash } from 'node:crypto';
import { constants, promises as fsp, type Stats } from 'node:fs';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import tar, { type Header } from 'tar-stream';
import { EngineError } from '../errors.js';
import { trace } from '../sys/trace.js';
import type { Digest } from './digest.js';

export interface AppliedLayer {
  /** sha256 of the uncompressed tar stream, every byte of it */
  diffId: Digest;
  /** bytes the layer's files take (regular files and symlinks, hard links counted once) */
  size: number;
}

/** Whiteout files (OCI layer.md): `.wh.<name>` deletes <name> from the layers below. */
const WHITEOUT_PREFIX = '.wh.';

// A regular file is created fresh: O_EXCL fails if anything (a symlink included) is already
// there, and O_NOFOLLOW refuses a symlink in the last component, so the write lands in the layer.
const CREATE_NEW_FILE = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

// #region apply-layer
/**
 * Unpack a layer tar (plain or gzip) into `dir`, which must exist, and return its DiffID and size.
 *
 * The bytes flow:  source → [gunzip] → sha256 → tar parser → one entry at a time onto the disk.
 * Entries are applied in archive order; a later entry with the same name replaces the earlier one.
 */
export async function applyLayerTar(source: Readable | Buffer, dir: string): Promise<AppliedLayer> {
  const input = source instanceof Readable ? source : Readable.from([source]);
  const hash = createHash('sha256');
  const hashing = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      done(null, chunk);
    },
  });
  const extract = tar.extract();

  // tar-stream's streams are streamx streams: Node's pipeline() takes them, only their TypeScript
  // types differ from Node's, hence the cast.
  const feeding = pipeline([...(await decompressed(input)), hashing, extract as unknown as NodeJS.WritableStream]);
  // `feeding` is awaited after the loop; this empty handler only keeps Node from reporting it as
  // an unhandled rejection while the loop is still busy writing an entry.
  feeding.catch(() => {});

  // Directories get their final mode and mtime last: writing their contents would change the
  // mtime again, and a read-only mode (0555) would stop us from writing into them.
  const directories = new Map<string, Header>();
  for await (const entry of extract) {
    await applyEntry(dir, entry.header, entry, directories);
  }
  await feeding;
  await finishDirectories(directories);

  const diffId: Digest = `sha256:${hash.digest('hex')}`;
  trace(`extract layer ${diffId} → ${dir}`);
  return { diffId, size: await diskUsage(dir) };
}
// #endregion

// #region gzip-detect
/**
 * A layer may come gzipped (registries send `tar+gzip`) or plain (`docker save`, rootfs tarballs).
 * gzip streams start with the two magic bytes 1f 8b (RFC 1952), so peek at them and add a gunzip
 * stage when they are there. The DiffID is always taken after this stage.
 */
async function decompressed(input: Readable): Promise<Readable[]> {
  const chunks = input[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  let head = Buffer.alloc(0);
  while (head.length < 2) {
    const next = await chunks.next();
    if (next.done) break;
    head = Buffer.concat([head, Buffer.from(next.value)]);
  }
  // Hand on the peeked bytes first, then the rest of the input.
  const replay = Readable.from(
    (async function* () {
      try {
        if (head.length > 0) yield head;
        for (let next = await chunks.next(); !next.done; next = await chunks.next()) yield next.value;
      } finally {
        await chunks.return?.(); // stop reading the input if extraction stopped early
      }
    })(),
  );
  const gzipped = head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
  return gzipped ? [replay, createGunzip()] : [replay];
}
// #endregion

// #region safe-paths
function refuse(name: string, why: string): EngineError {
  return new EngineError(`refusing layer entry ${JSON.stringify(name)}: ${why}`);
}

/**
 * The path components of an entry name, relative to the layer. Like tar, a leading "/" is dropped
 * (`/etc/passwd` lands in <layer>/etc/passwd); unlike a lenient tar, any ".." is refused outright,
 * since no honest layer needs one.
 */
function entryParts(name: string): string[] {
  const parts = name.split('/').filter((c) => c !== '' && c !== '.');
  if (parts.includes('..')) throw refuse(name, 'a ".." component would leave the layer');
  return parts;
}

async function lstatOrNull(p: string): Promise<Stats | null> {
  try {
    return await fsp.lstat(p);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/**
 * Walk from the layer root to the entry's parent directory, one component at a time, with lstat
 * (which never follows a symlink). Every component must be a real directory: an archive that
 * first makes `etc -> /` and then writes `etc/passwd` would otherwise write the host's
 * /etc/passwd. Missing directories are created, as tar does. Returns the entry's full path.
 */
async function insideLayer(root: string, parts: string[], name: string): Promise<string> {
  let dir = root;
  for (const part of parts.slice(0, -1)) {
    dir = path.join(dir, part);
    const st = await lstatOrNull(dir);
    if (st === null) await fsp.mkdir(dir, 0o755);
    else if (st.isSymbolicLink()) throw refuse(name, `${path.relative(root, dir)} is a symlink`);
    else if (!st.isDirectory()) throw refuse(name, `${path.relative(root, dir)} is not a directory`);
  }
  return path.join(root, ...parts);
}
// #endregion

// #region apply-entry
const runningAsRoot = (): boolean => process.getuid?.() === 0;
const SUPPORTED_TYPES = new Set<Header['type']>(['file', 'contiguous-file', 'directory', 'symlink', 'link']);

async function applyEntry(
  root: string,
  header: Header,
  entry: AsyncIterable<unknown>,
  directories: Map<string, Header>,
): Promise<void> {
  const name = header.name;
  const parts = entryParts(name);

  // "./" is the layer root itself: its mode belongs to the diff directory the store made.
  if (parts.length === 0) return drain(entry);

  if (parts[parts.length - 1].startsWith(WHITEOUT_PREFIX)) {
    // A whiteout only means something on top of other layers; overlayfs spells it as a 0/0
    // character device, which needs mknod(2) (stage 3). A rootfs import has none.
    trace(`skip whiteout ${name} (stage 3 turns whiteouts into 0/0 character devices)`);
    return drain(entry);
  }
  if (!SUPPORTED_TYPES.has(header.type)) {
    // Devices and FIFOs need mknod(2), which lives in lib/sys; a rootfs import rarely has any.
    trace(`skip ${header.type} entry ${name} (layer import makes files, directories and links only)`);
    return drain(entry);
  }

  const target = await insideLayer(root, parts, name);
  const mode = (header.mode ?? (header.type === 'directory' ? 0o755 : 0o644)) & 0o7777;
  const mtime = header.mtime ?? new Date(0);
  const uid = header.uid ?? 0;
  const gid = header.gid ?? 0;

  // A hard link names a file that an earlier entry of this same layer created: check it before
  // anything is removed (a link to itself would otherwise delete its own target first).
  const linkSource = header.type === 'link' ? await hardLinkSource(root, name, header.linkname ?? '') : null;
  if (linkSource === target) throw refuse(name, 'hard link to itself');

  // Whatever is already at this name is replaced, except a directory by a directory (a later
  // entry for the same directory only updates its metadata). rm never follows symlinks.
  const existing = await lstatOrNull(target);
  if (existing && !(existing.isDirectory() && header.type === 'directory')) {
    await fsp.rm(target, { recursive: true, force: true });
  }

  switch (header.type) {
    case 'file':
    case 'contiguous-file': {
      const file = await fsp.open(target, CREATE_NEW_FILE, 0o600);
      try {
        for await (const chunk of entry) await file.write(chunk as Buffer);
        if (runningAsRoot()) await file.chown(uid, gid);
        await file.chmod(mode); // after chown: chown(2) clears the set-user-ID and set-group-ID bits
        await file.utimes(mtime, mtime);
      } finally {
        await file.close();
      }
      return;
    }
    case 'directory': {
      if (!existing?.isDirectory()) await fsp.mkdir(target, 0o700);
      if (runningAsRoot()) await fsp.lchown(target, uid, gid);
      directories.set(target, header); // mode and mtime come last (finishDirectories)
      return drain(entry);
    }
    case 'symlink': {
      // A symlink may point anywhere (`etc/mtab -> /proc/mounts`): it is only dangerous when
      // followed, and nothing here ever follows one.
      await fsp.symlink(header.linkname ?? '', target);
      if (runningAsRoot()) await fsp.lchown(target, uid, gid);
      await fsp.lutimes(target, mtime, mtime);
      return drain(entry);
    }
    case 'link': {
      await fsp.link(linkSource!, target); // link(2) does not follow a symlink source
      return drain(entry);
    }
    default:
      return drain(entry); // not reached: SUPPORTED_TYPES was checked above
  }
}

/** The file a hard link entry points at: inside the layer, reached without symlinks, not a directory. */
async function hardLinkSource(root: string, name: string, linkname: string): Promise<string> {
  const linkParts = entryParts(linkname);
  if (linkParts.length === 0) throw refuse(name, 'hard link to the layer root');
  const source = await insideLayer(root, linkParts, name);
  const st = await lstatOrNull(source);
  if (st === null) throw refuse(name, `hard link target ${linkname} is not in the layer`);
  if (st.isDirectory()) throw refuse(name, `hard link target ${linkname} is a directory`);
  return source;
}

/** Read and discard an entry's data so the parser can move on to the next header. */
async function drain(entry: AsyncIterable<unknown>): Promise<void> {
  for await (const _chunk of entry) {
    // nothing to keep
  }
}

/** Give directories their mode and mtime, deepest first (a 0555 parent would block a child). */
async function finishDirectories(directories: Map<string, Header>): Promise<void> {
  const deepestFirst = [...directories.keys()].sort((a, b) => b.split('/').length - a.split('/').length);
  for (const dir of deepestFirst) {
    const header = directories.get(dir)!;
    const mtime = header.mtime ?? new Date(0);
    await fsp.chmod(dir, (header.mode ?? 0o755) & 0o7777);
    await fsp.utimes(dir, mtime, mtime);
  }
}
// #endregion

// #region disk-usage
/**
 * The size Docker records for a layer (layerdb/…/size): the bytes of everything in the
 * directory that is not a directory, counting a file with several hard links once.
 */
export async function diskUsage(dir: string): Promise<number> {
  const seen = new Set<string>();
  let total = 0;
  const walk = async (d: string): Promise<void> => {
    for (const dirent of await fsp.readdir(d, { withFileTypes: true })) {
      const p = path.join(d, dirent.name);
      if (dirent.isDirectory()) {
        await walk(p);
        continue;
      }
      const st = await fsp.lstat(p);
      const inode = `${st.dev}:${st.ino}`;
      if (seen.has(inode)) continue;
      seen.add(inode);
      total += st.size;
    }
  };
  await walk(dir);
  return total;
}
// #endregion

// #region pack-dir
export interface PackOptions {
  /** clamp every mtime to this date, for reproducible tars (same files → same DiffID) */
  mtime?: Date;
}

/**
 * The inverse of applyLayerTar: a tar stream of everything under `dir`, names relative to it,
 * in sorted order, parents before children. Files with several hard links are stored once and
 * then as links to the first name. Devices and sockets are left out (and traced).
 */
export function packDir(dir: string, opts: PackOptions = {}): Readable {
  const pack = tar.pack();
  const firstNameOfInode = new Map<string, string>();

  const header = (name: string, st: Stats): Partial<Header> & { name: string } => ({
    name,
    mode: st.mode & 0o7777,
    uid: st.uid,
    gid: st.gid,
    mtime: opts.mtime ?? st.mtime,
  });

  const walk = async (rel: string): Promise<void> => {
    const names = (await fsp.readdir(path.join(dir, rel))).sort();
    for (const n of names) {
      const name = rel === '' ? n : `${rel}/${n}`;
      const full = path.join(dir, name);
      const st = await fsp.lstat(full);
      if (st.isDirectory()) {
        pack.entry({ ...header(`${name}/`, st), type: 'directory' });
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
        await pipeline((await fsp.open(full, 'r')).createReadStream(), pack.entry({ ...header(name, st), size: st.size }));
      } else {
        trace(`skip ${name} in ${dir} (not a file, directory or symlink)`);
      }
    }
  };

  walk('').then(
    () => pack.finalize(),
    (err: unknown) => pack.destroy(err as Error),
  );
  return Readable.from(pack);
}

/** packDir, collected into one Buffer (for small layers and tests). */
export async function packDirToBuffer(dir: string, opts: PackOptions = {}): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of packDir(dir, opts)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
// #endregion
