// Reading overlay2 layers from the host, black-box: the state directory's files (overlay2/,
// image/overlay2/layerdb/), a container's mount table (/proc/<pid>/mountinfo), and fingerprints
// of directory trees. overlayfs (Documentation/filesystems/overlayfs.rst), proc(5).

import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { lstatSync, readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import path from 'node:path';

/** The engine's state directory (the checks honor MINIDOCK_ROOT, as the engine does). */
export function stateRoot(env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(env.MINIDOCK_ROOT || '/var/lib/minidock');
}

export function overlay2Dir(env?: NodeJS.ProcessEnv): string {
  return path.join(stateRoot(env), 'overlay2');
}

export function layerDb(env?: NodeJS.ProcessEnv): string {
  return path.join(stateRoot(env), 'image', 'overlay2', 'layerdb');
}

/** The text of a small file, trimmed; null when it is missing. */
export function readText(file: string): string | null {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return null;
  }
}

export interface MountLine {
  point: string;
  /**
   * the path INSIDE the source filesystem (for bind mounts: the file or directory bound). It is
   * a host path only when that filesystem is mounted at "/": with /var/lib on its own disk, a
   * bind of /var/lib/minidock/x shows root "/minidock/x". hostPaths() turns it into host paths.
   */
  root: string;
  /** major:minor of the source filesystem (st_dev): which filesystem `root` is relative to */
  device: string;
  fstype: string;
  source: string;
  superOptions: string;
}

/** mountinfo writes blanks, tabs, newlines and backslashes in paths as \ooo octal escapes. */
function unescape(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** One process's mount table, parsed (proc(5): /proc/<pid>/mountinfo). */
export function mountTable(pid: number | 'self'): MountLine[] {
  return readFileSync(`/proc/${pid}/mountinfo`, 'utf8').trim().split('\n').map((line) => {
    const [left, right] = line.split(' - ');
    const f = left.split(' ');
    const [fstype, source, superOptions] = right.split(' ');
    return { device: f[2], root: unescape(f[3]), point: unescape(f[4]), fstype, source, superOptions };
  });
}

/**
 * Where the host sees the file or directory that a mount (of any process) shows: for every host
 * mount of the same filesystem (same major:minor) whose root contains `m.root`, its mount point
 * plus the rest of `m.root`. Usually one path; more when the host mounts that filesystem twice.
 * Empty when the host does not see that part of the filesystem at all.
 */
export function hostPaths(m: MountLine, host: MountLine[] = mountTable('self')): string[] {
  const out: string[] = [];
  for (const h of host) {
    if (h.device !== m.device) continue;
    const rel = path.relative(h.root, m.root);
    if (rel.startsWith('..') || path.isAbsolute(rel)) continue; // m.root is outside what h shows
    out.push(path.join(h.point, rel));
  }
  return out;
}

/** Are a and b the same file (device and inode, stat(2))? The test that needs no mount table. */
export function sameFile(a: string, b: string): boolean {
  const x = statSync(a);
  const y = statSync(b);
  return x.dev === y.dev && x.ino === y.ino;
}

/** The options of an overlay mount as a map: lowerdir, upperdir, workdir, … */
export function overlayOptions(m: MountLine): Record<string, string> {
  return Object.fromEntries(m.superOptions.split(',').map((o) => {
    const eq = o.indexOf('=');
    return eq < 0 ? [o, ''] : [o.slice(0, eq), o.slice(eq + 1)];
  }));
}

/**
 * A fingerprint of everything under `dir`: per entry its relative path, type, mode, owner, size,
 * mtime, and the sha256 of a file's bytes or a symlink's target. Equal fingerprints: nothing
 * was written, created, deleted or re-timed.
 */
export function treeFingerprint(dir: string): string {
  const h = createHash('sha256');
  const walk = (rel: string): void => {
    for (const name of readdirSync(path.join(dir, rel)).sort()) {
      const r = path.join(rel, name);
      const full = path.join(dir, r);
      const st = lstatSync(full);
      h.update(`${r}\0${st.mode}\0${st.uid}:${st.gid}\0${st.size}\0${st.mtimeMs}\0${st.rdev}\0`);
      if (st.isFile()) h.update(readFileSync(full));
      else if (st.isSymbolicLink()) h.update(readlinkSync(full));
      else if (st.isDirectory()) walk(r);
    }
  };
  walk('');
  return h.digest('hex');
}

/** An extended attribute, read with getfattr(1) (Debian: apt-get install attr); null when absent. */
export function getXattr(file: string, name: string): string | null {
  try {
    return execFileSync('getfattr', ['--absolute-names', '--only-values', '-n', name, file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new Error('getfattr is missing: apt-get install attr');
    return null;
  }
}

/** The ChainIDs of a stack of DiffIDs, bottom first (OCI image spec, config.md). */
export function chainIdsOf(diffIds: readonly string[]): string[] {
  const out: string[] = [];
  for (const d of diffIds) {
    const prev = out[out.length - 1];
    out.push(prev === undefined ? d : `sha256:${createHash('sha256').update(`${prev} ${d}`).digest('hex')}`);
  }
  return out;
}
