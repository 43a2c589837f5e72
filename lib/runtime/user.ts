// Users: who the container's process is. setuid(2), setgid(2), setgroups(2), passwd(5), group(5);
// credentials(7). Stage 8 notes, "users".
//
// Two halves. The engine turns docker's --user (`1000`, `1000:1000`, `nobody`, `app:staff`),
// the image's USER and --group-add into numbers by reading the image's /etc/passwd and
// /etc/group — the container's names, never the host's — and writes them to config.json's
// process.user. The runtime's init then switches to those numbers before execve (switchUser).

import { EngineError } from '../errors.js';
import type { Sys } from '../sys/sys.js';

export interface PasswdEntry { name: string; uid: number; gid: number; home: string }
export interface GroupEntry { name: string; gid: number; members: string[] }

/** passwd(5): name:password:UID:GID:GECOS:directory:shell, one per line. */
export function parsePasswd(text: string): PasswdEntry[] {
  return lines(text).flatMap((f) => (f.length >= 4 && /^\d+$/.test(f[2]) && /^\d+$/.test(f[3]) ? [{ name: f[0], uid: Number(f[2]), gid: Number(f[3]), home: f[5] ?? '' }] : []));
}

/** group(5): name:password:GID:member,member… */
export function parseGroup(text: string): GroupEntry[] {
  return lines(text).flatMap((f) => (f.length >= 3 && /^\d+$/.test(f[2]) ? [{ name: f[0], gid: Number(f[2]), members: (f[3] ?? '').split(',').filter(Boolean) }] : []));
}

const lines = (text: string) => text.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#')).map((l) => l.split(':'));
const MAX_ID = 2 ** 31 - 1;

/** home: the passwd entry's directory, or / for a user the image does not know (as docker sets HOME) */
export interface ResolvedUser { uid: number; gid: number; additionalGids: number[]; home: string }

// #region resolve-user
/**
 * docker's user lookup (as moby/sys/user does it): `user[:group]`, each a name or a number.
 * A name must exist in the image's files; a number need not (`--user 4242` works in any image,
 * with gid 0 unless passwd says otherwise). Supplementary groups: every group that lists the
 * user by name, then --group-add (names looked up in /etc/group, numbers as they are).
 */
export function resolveUser(spec: string, passwdText: string, groupText: string, groupAdd: readonly string[] = []): ResolvedUser {
  const passwd = parsePasswd(passwdText);
  const groups = parseGroup(groupText);
  const [userPart, groupPart] = spec === '' ? ['0', undefined] : spec.split(':', 2);
  const numeric = (s: string) => /^\d+$/.test(s);

  let entry: PasswdEntry | undefined;
  let uid: number;
  if (numeric(userPart)) {
    uid = Number(userPart);
    entry = passwd.find((p) => p.uid === uid);
  } else {
    entry = passwd.find((p) => p.name === userPart);
    if (!entry) throw new EngineError(`unable to find user ${userPart}: no matching entries in passwd file`);
    uid = entry.uid;
  }
  let gid = entry?.gid ?? 0;
  if (groupPart !== undefined && groupPart !== '') {
    if (numeric(groupPart)) gid = Number(groupPart);
    else {
      const g = groups.find((x) => x.name === groupPart);
      if (!g) throw new EngineError(`unable to find group ${groupPart}: no matching entries in group file`);
      gid = g.gid;
    }
  }
  if (uid > MAX_ID || gid > MAX_ID) throw new EngineError(`uids and gids must be in range 0-${MAX_ID}`);

  const additional: number[] = [];
  if (entry) for (const g of groups) if (g.members.includes(entry.name) && g.gid !== gid) additional.push(g.gid);
  for (const name of groupAdd) {
    if (numeric(name)) additional.push(Number(name));
    else {
      const g = groups.find((x) => x.name === name);
      if (!g) throw new EngineError(`unable to find group ${name}: no matching entries in group file`);
      additional.push(g.gid);
    }
  }
  return { uid, gid, additionalGids: [...new Set(additional)], home: entry?.home || '/' };
}
// #endregion

// #region switch-user
/**
 * Become process.user: the supplementary groups, then the group, then the user — in that order
 * because each of the first two needs CAP_SETGID, which root loses (with every capability) the
 * moment setuid leaves uid 0. The caller set PR_SET_KEEPCAPS, so the permitted set survives
 * setuid and capset can still give the user its capabilities (execve will then clear them for
 * a non-root user anyway: see process-security.ts).
 */
export function switchUser(sys: Sys, user: { uid: number; gid: number; additionalGids?: number[] }): void {
  sys.setgroups(user.additionalGids ?? []);
  sys.setgid(user.gid);
  sys.setuid(user.uid);
}
// #endregion
