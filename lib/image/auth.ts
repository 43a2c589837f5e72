// Registry authentication: a registry answers 401 with a `WWW-Authenticate` challenge that says
// how to prove who we are. `Basic realm=…`: send user:password with every request. `Bearer
// realm=…,service=…,scope=…`: ask the token server at realm for a token for that scope (with
// user:password, or anonymously), then send `Authorization: Bearer <token>`. Docker Hub uses
// bearer tokens even for anonymous pulls.
//
// RFC 7235 (challenges), Docker "Token Authentication Specification". Credentials come from a
// docker-compatible config.json (`auths.<registry>.auth` = base64 user:password).
// Stage 6 notes, "the registry conversation".

import { mkdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeFileAtomic } from '../atomic.js';
import { EngineError } from '../errors.js';

export interface Challenge {
  scheme: string; // lower case: "bearer", "basic"
  params: Record<string, string>;
}

// #region parse-challenge
/**
 * Parse a WWW-Authenticate header: one or more `Scheme k=v, k="v"` challenges. Quoted values may
 * hold commas and backslash escapes.
 */
export function parseChallenges(header: string): Challenge[] {
  const out: Challenge[] = [];
  let i = 0;
  const s = header;
  const skipSpace = () => {
    while (i < s.length && /[\s,]/.test(s[i])) i++;
  };
  while (i < s.length) {
    skipSpace();
    const scheme = /^[A-Za-z][\w-]*/.exec(s.slice(i));
    if (!scheme) break;
    i += scheme[0].length;
    const ch: Challenge = { scheme: scheme[0].toLowerCase(), params: {} };
    out.push(ch);
    for (;;) {
      skipSpace();
      const key = /^([\w-]+)\s*=\s*/.exec(s.slice(i));
      if (!key) break; // the next scheme, or the end
      i += key[0].length;
      let value = '';
      if (s[i] === '"') {
        i++;
        while (i < s.length && s[i] !== '"') {
          if (s[i] === '\\' && i + 1 < s.length) i++;
          value += s[i++];
        }
        i++; // the closing quote
      } else {
        const m = /^[^\s,]*/.exec(s.slice(i))!;
        value = m[0];
        i += value.length;
      }
      ch.params[key[1].toLowerCase()] = value;
    }
  }
  return out;
}
// #endregion

export interface Credentials {
  username: string;
  password: string;
}

/** The docker-compatible config file: $DOCKER_CONFIG/config.json, else ~/.docker/config.json. */
export function dockerConfigFile(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(env.DOCKER_CONFIG || path.join(os.homedir(), '.docker'), 'config.json');
}

/** The key config.json files Docker Hub's credentials under (docker's historical choice). */
export function authKey(domain: string): string {
  return domain === 'docker.io' ? 'https://index.docker.io/v1/' : domain;
}

/** Credentials for a registry from config.json, or undefined. */
export function credentialsFor(domain: string, file = dockerConfigFile()): Credentials | undefined {
  let config: { auths?: Record<string, { auth?: string }> };
  try {
    config = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
  const entry = config.auths?.[authKey(domain)];
  if (!entry?.auth) return undefined;
  const text = Buffer.from(entry.auth, 'base64').toString('utf8');
  const colon = text.indexOf(':');
  if (colon < 0) throw new EngineError(`${file}: the auth of ${authKey(domain)} is not base64 of user:password`);
  return { username: text.slice(0, colon), password: text.slice(colon + 1) };
}

export function basicHeader(c: Credentials): string {
  return `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`;
}

// #region store-credentials
/**
 * `login`: remember credentials in config.json as docker does (`auths.<registry>.auth` = base64
 * user:password), keeping every other key of the file; the file is written whole, mode 0600,
 * since it holds passwords. `logout` takes the entry away.
 */
export function storeCredentials(domain: string, c: Credentials | null, file = dockerConfigFile()): boolean {
  let config: { auths?: Record<string, { auth?: string }> } & Record<string, unknown> = {};
  try {
    config = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new EngineError(`cannot read ${file}: ${(err as Error).message}`);
  }
  const auths = (config.auths ??= {});
  const had = authKey(domain) in auths;
  if (c) auths[authKey(domain)] = { auth: Buffer.from(`${c.username}:${c.password}`).toString('base64') };
  else delete auths[authKey(domain)];
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  writeFileAtomic(file, JSON.stringify(config, null, '\t') + '\n', 0o600);
  return had;
}
// #endregion
