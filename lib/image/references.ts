// Image names: image/overlay2/repositories.json, repository → (familiar reference → image ID).
//
//   {"Repositories": {"busybox": {"busybox:latest": "sha256:fbf6…"}}}
//
// One JSON file, rewritten whole (lib/atomic.ts) under a lock, so two `tag`s at once do not lose
// each other's names. moby's reference/store.go keeps the same file. Stage 6 notes, "names".

import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../atomic.js';
import { EngineError } from '../errors.js';
import { withLock } from '../lock.js';
import type { Paths } from '../paths.js';
import { trace } from '../sys/trace.js';
import type { Digest } from './digest.js';
import { familiarName, familiarString, type Reference } from './reference.js';

interface Repositories {
  Repositories: Record<string, Record<string, Digest>>;
}

export class References {
  constructor(readonly p: Paths) {}

  /** The image a reference names, or undefined. */
  lookup(ref: Reference): Digest | undefined {
    return this.read().Repositories[familiarName(ref)]?.[familiarString(ref)];
  }

  /** The names (not digests) that point at `id`, sorted: ["busybox:latest"]. */
  namesOf(id: Digest): string[] {
    const names: string[] = [];
    for (const refs of Object.values(this.read().Repositories)) {
      for (const [name, target] of Object.entries(refs)) if (target === id && !name.includes('@')) names.push(name);
    }
    return names.sort();
  }

  /** The digest references (`repo@sha256:…`, docker's RepoDigests) that point at `id`, sorted. */
  digestsOf(id: Digest): string[] {
    const names: string[] = [];
    for (const refs of Object.values(this.read().Repositories)) {
      for (const [name, target] of Object.entries(refs)) if (target === id && name.includes('@')) names.push(name);
    }
    return names.sort();
  }

  // #region tag
  /** Point a name at an image, taking it from any other image. */
  add(id: Digest, ref: Reference): void {
    this.update((repos) => {
      const repo = (repos.Repositories[familiarName(ref)] ??= {});
      repo[familiarString(ref)] = id;
    });
    trace(`tag ${familiarString(ref)} → ${id} (${this.p.repositories})`);
  }
  // #endregion

  /** Take a name away; returns the image it named. */
  remove(ref: Reference): Digest {
    let id: Digest | undefined;
    this.update((repos) => {
      const repo = repos.Repositories[familiarName(ref)];
      id = repo?.[familiarString(ref)];
      if (!repo || !id) throw new EngineError(`no such image: ${familiarString(ref)}`);
      delete repo[familiarString(ref)];
      if (Object.keys(repo).length === 0) delete repos.Repositories[familiarName(ref)];
    });
    trace(`untag ${familiarString(ref)} (${this.p.repositories})`);
    return id!;
  }

  /** Read, change, write back, all under the lock. */
  private update(change: (repos: Repositories) => void): void {
    withLock('references', () => {
      const repos = this.read();
      change(repos);
      mkdirSync(path.dirname(this.p.repositories), { recursive: true, mode: 0o700 });
      writeFileAtomic(this.p.repositories, JSON.stringify(repos), 0o600);
    }, this.p.locks);
  }

  private read(): Repositories {
    try {
      const parsed = JSON.parse(readFileSync(this.p.repositories, 'utf8')) as Partial<Repositories>;
      return { Repositories: parsed.Repositories ?? {} };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { Repositories: {} };
      throw new EngineError(`cannot read ${this.p.repositories}: ${(err as Error).message}`);
    }
  }
}
