// A corpus of hostile layer tars: archives that try to write outside the layer they are unpacked
// into, or to smuggle in what a layer must not carry. Generated, never stored: each names its
// target from `outside`, a directory the caller watches (it must stay empty).
//
// Used by checks/stage-3.ts (through `minidock import`, black-box) and lib/image/layer-tar.test.ts.
// tar(5); Stage 3 notes, "hostile layers". Only tar-stream here: checks never import lib/.

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

// #region corpus
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
      name: 'overlay-xattr',
      attack: "overlayfs' own attribute (trusted.overlay.opaque) carried in a PAX record",
      entries: [{ name: 'etc/', type: 'directory', mode: 0o755, pax: { 'SCHILY.xattr.trusted.overlay.opaque': 'y' } }],
    },
  ];
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
