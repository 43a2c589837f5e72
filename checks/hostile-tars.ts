// A corpus of hostile layer tars: archives that try to write outside the layer they are unpacked
// into, or to smuggle in what a layer must not carry. Generated, never stored: each names its
// target from `outside`, a directory the caller watches (it must stay empty).
//
// Used by checks/stage-3.ts (through `minidock import`, black-box) and lib/image/layer-tar.test.ts.
// tar(5); Stage 3 notes, "hostile layers". Only tar-stream here: checks never import lib/.

import { lstatSync, mkdirSync, readFileSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import tar, { type Header } from 'tar-stream';

export type TarEntry = Partial<Header> & { name: string; data?: string };

export interface HostileTar {
  /** a file-name-friendly label */
  name: string;
  /** what the archive tries */
  attack: string;
  entries: TarEntry[];
}

/** Enough "../" to climb from any layer directory to "/". */
const CLIMB = '../'.repeat(24);

// #region corpus-names
/** The corpus. `outside` is an absolute directory; every attack aims at a name inside it. */
export function hostileTars(outside: string): HostileTar[] {
  const rel = outside.replace(/^\/+/, ''); // the same place, written relative to "/"
  return [
    { name: 'dotdot', attack: 'a name that climbs out with ../', entries: [{ name: `${CLIMB}${rel}/dotdot`, data: 'x' }] },
    { name: 'dotdot-inner', attack: 'a ".." hidden in the middle of a name', entries: [{ name: `a/b/../../${CLIMB}${rel}/inner`, data: 'x' }] },
    {
      name: 'dotdot-pax',
      attack: 'a long name (stored in a PAX record) that climbs out',
      entries: [{ name: `${'d/'.repeat(60)}${CLIMB}${CLIMB}${rel}/pax`, data: 'x' }],
    },
    { name: 'absolute', attack: 'an absolute name', entries: [{ name: `${outside}/absolute`, data: 'x' }] },
    {
      name: 'symlink-write',
      attack: 'a symlink planted by the same tar, then a file written through it (etc -> /, then etc/passwd)',
      entries: [
        { name: 'etc', type: 'symlink', linkname: outside },
        { name: 'etc/passwd', data: 'root::0:0::/:/bin/sh\n' },
      ],
    },
    {
      name: 'symlink-relative',
      attack: 'a relative symlink that points up and out, then a file through it',
      entries: [
        { name: 'up', type: 'symlink', linkname: `${CLIMB}${rel}` },
        { name: 'up/file', data: 'x' },
      ],
    },
    {
      name: 'symlink-chain',
      attack: 'a symlink to a symlink to the outside, then a file through the first',
      entries: [
        { name: 'b', type: 'symlink', linkname: outside },
        { name: 'a', type: 'symlink', linkname: 'b' },
        { name: 'a/file', data: 'x' },
      ],
    },
    {
      name: 'symlink-over-dir',
      attack: 'a directory replaced by a symlink to the outside, then a file in "the directory"',
      entries: [
        { name: 'd/', type: 'directory', mode: 0o755 },
        { name: 'd', type: 'symlink', linkname: outside },
        { name: 'd/file', data: 'x' },
      ],
    },
    // #endregion

    // #region corpus-kinds
    { name: 'hardlink-dotdot', attack: 'a hard link to a host file by ../', entries: [{ name: 'h', type: 'link', linkname: `${CLIMB}etc/passwd` }] },
    { name: 'hardlink-absolute', attack: 'a hard link to a host file by absolute name', entries: [{ name: 'h', type: 'link', linkname: '/etc/passwd' }] },
    {
      name: 'hardlink-symlink',
      attack: 'a hard link through a symlink planted by the same tar',
      entries: [
        { name: 'o', type: 'symlink', linkname: '/etc' },
        { name: 'h', type: 'link', linkname: 'o/passwd' },
      ],
    },
    { name: 'blockdev', attack: 'a block device outside /dev (the host disk as tmp/disk)', entries: [{ name: 'tmp/disk', type: 'block-device', devmajor: 8, devminor: 0, mode: 0o666 }] },
    { name: 'chardev', attack: 'a character device outside /dev (/dev/mem as mem)', entries: [{ name: 'mem', type: 'character-device', devmajor: 1, devminor: 1, mode: 0o666 }] },
    {
      name: 'fake-whiteout',
      attack: "a 0/0 character device: overlayfs' on-disk whiteout, smuggled in as a device",
      entries: [{ name: 'dev/sh', type: 'character-device', devmajor: 0, devminor: 0, mode: 0 }],
    },
    { name: 'whiteout-dotdot', attack: 'a whiteout that names ".."', entries: [{ name: 'etc/.wh...', data: '' }] },
    {
      name: 'whiteout-symlink-parent',
      attack: 'a whiteout written through a symlinked parent (w -> outside, then w/.wh.victim)',
      entries: [
        { name: 'w', type: 'symlink', linkname: outside },
        { name: 'w/.wh.victim', data: '' },
      ],
    },
    {
      name: 'opaque-symlink-parent',
      attack: 'an opaque marker written through a symlinked parent (w -> outside, then w/.wh..wh..opq)',
      entries: [
        { name: 'w', type: 'symlink', linkname: outside },
        { name: 'w/.wh..wh..opq', data: '' },
      ],
    },
    // #endregion

    // #region corpus-subtle
    {
      name: 'hardlink-symlink-dir',
      attack: 'a hard link to a file outside, reached through a symlinked directory',
      entries: [
        { name: 'o', type: 'symlink', linkname: outside },
        { name: 'h', type: 'link', linkname: 'o/victim' },
      ],
    },
    { name: 'dotdot-dir', attack: 'a directory entry named ".." with mode 0777 (the layer\'s parent)', entries: [{ name: '../', type: 'directory', mode: 0o777 }] },
    { name: 'dotdot-dot', attack: 'a directory entry named "./.."', entries: [{ name: './../', type: 'directory', mode: 0o777 }] },
    {
      name: 'swap-then-write',
      attack: 'a directory written, replaced by a symlink to the outside, then a file "inside the directory"',
      entries: [
        { name: 'd/', type: 'directory', mode: 0o755 },
        { name: 'd/a', data: 'a' },
        { name: 'd', type: 'symlink', linkname: outside },
        { name: 'd/victim', data: 'overwritten' },
      ],
    },
    {
      name: 'overlay-xattr',
      attack: "overlayfs' own attribute (trusted.overlay.opaque) carried in a PAX record",
      entries: [{ name: 'etc/', type: 'directory', mode: 0o755, pax: { 'SCHILY.xattr.trusted.overlay.opaque': 'y' } }],
    },
  ];
}
// #endregion

// #region swap-corpus-dirs
/**
 * Archives that may be imported (their entries are legal one by one) but must not touch the host:
 * each replaces a path it already wrote with a symlink to a victim outside, hoping that a later
 * step (the directory mode/mtime pass, a chmod, a whiteout, a hard link) follows the new symlink.
 * `plantVictims(outside)` makes the victims; `victimPrint(outside)` must be the same afterwards.
 */
export function swapTars(outside: string): HostileTar[] {
  const victim = `${outside}/victim`;
  const vdir = `${outside}/vdir`;
  const t = new Date('2001-01-01T00:00:00Z');
  return [
    {
      name: 'dir-then-symlink',
      attack: 'directory d (mode 06777), then a symlink d -> a host file: the directory pass would chmod the file',
      entries: [
        { name: 'd/', type: 'directory', mode: 0o6777, mtime: t },
        { name: 'd', type: 'symlink', linkname: victim },
      ],
    },
    {
      name: 'dir-then-symlink-dir',
      attack: 'd/ and d/sub/ (0777), then d -> a host directory that has sub/: the pass would chmod the host sub/',
      entries: [
        { name: 'd/', type: 'directory', mode: 0o777, mtime: t },
        { name: 'd/sub/', type: 'directory', mode: 0o777, mtime: t },
        { name: 'd', type: 'symlink', linkname: vdir },
      ],
    },
    {
      name: 'nested-swap-relative',
      attack: 'a/b/ (06777), then a/b -> a relative climb to a host directory',
      entries: [
        { name: 'a/', type: 'directory', mode: 0o755 },
        { name: 'a/b/', type: 'directory', mode: 0o6777, mtime: t },
        { name: 'a/b', type: 'symlink', linkname: `${CLIMB}${vdir.replace(/^\/+/, '')}` },
      ],
    },
    {
      name: 'dir-again-after-swap',
      attack: 'd/, then d -> a host directory, then d/ again (0777): the second directory entry must not chmod the host one',
      entries: [
        { name: 'd/', type: 'directory', mode: 0o755 },
        { name: 'd', type: 'symlink', linkname: vdir },
        { name: 'd/', type: 'directory', mode: 0o777, mtime: t },
      ],
    },
    // #endregion

    // #region swap-corpus-steps
    {
      name: 'symlink-with-mode',
      attack: 'a symlink to a host file carrying mode 06777 and an mtime: neither belongs to the target',
      entries: [{ name: 's', type: 'symlink', linkname: victim, mode: 0o6777, mtime: t }],
    },
    {
      name: 'whiteout-of-symlink',
      attack: 'a symlink to a host file, then a whiteout of that name: the whiteout replaces the link, not the file',
      entries: [
        { name: 'w', type: 'symlink', linkname: victim },
        { name: '.wh.w', data: '' },
      ],
    },
    {
      name: 'hardlink-to-symlink',
      attack: 'a symlink to a host file, then a hard link to the symlink (link(2) must link the symlink itself)',
      entries: [
        { name: 's', type: 'symlink', linkname: victim },
        { name: 'h', type: 'link', linkname: 's' },
      ],
    },
    {
      name: 'dir-replaced-by-file',
      attack: 'a directory with contents, then a file of the same name (the directory goes first)',
      entries: [
        { name: 'd/', type: 'directory', mode: 0o777, mtime: t },
        { name: 'd/inner', data: 'inner' },
        { name: 'd', data: 'now a file', mode: 0o600 },
      ],
    },
    {
      name: 'file-replaced-by-dir',
      attack: 'a file, then a directory of the same name, then a file inside it',
      entries: [
        { name: 'f', data: 'a file' },
        { name: 'f/', type: 'directory', mode: 0o750, mtime: t },
        { name: 'f/inner', data: 'inner' },
      ],
    },
  ];
}
// #endregion

// #region swap-victims
/** The victims swapTars aims at: a file and a directory with a subdirectory, with known modes and times. */
export function plantVictims(outside: string): void {
  const old = new Date('1999-09-09T09:09:09Z');
  mkdirSync(path.join(outside, 'vdir', 'sub'), { recursive: true, mode: 0o755 });
  writeFileSync(path.join(outside, 'victim'), 'victim\n', { mode: 0o644 });
  for (const p of ['victim', 'vdir/sub', 'vdir']) utimesSync(path.join(outside, p), old, old);
}

/** Everything a swap could change about the victims: names, types, modes, times, link counts, bytes. */
export function victimPrint(outside: string): string[] {
  const out: string[] = [];
  for (const rel of readdirSync(outside, { recursive: true }).map(String).sort()) {
    const p = path.join(outside, rel);
    const st = lstatSync(p);
    const bytes = st.isFile() ? readFileSync(p, 'utf8') : '';
    out.push(`${rel} mode=${st.mode.toString(8)} mtime=${st.mtimeMs} nlink=${st.nlink} uid=${st.uid} ${JSON.stringify(bytes)}`);
  }
  return out;
}
// #endregion

/** Build one archive in memory, entries in order. */
export async function buildTar(entries: readonly TarEntry[]): Promise<Buffer> {
  const pack = tar.pack();
  for (const { data, ...header } of entries) {
    if (data !== undefined) pack.entry({ type: 'file', mode: 0o644, mtime: new Date(0), ...header }, data);
    else pack.entry({ mtime: new Date(0), ...header });
  }
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}
