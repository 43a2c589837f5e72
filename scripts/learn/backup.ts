// learn/.backup/: a learner's region is copied here before `learn solution --apply` or
// `learn reset` replaces it, so no work is ever lost to a command.

import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Lab } from './state.js';

/** Save the lines of a region; returns the backup's path relative to the repository. */
export function backupRegion(l: Lab, id: string, body: string[], now = new Date()): string {
  const dir = path.join(l.dir, '.backup');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${id}-${now.toISOString().replace(/[:.]/g, '-')}.ts.txt`);
  writeFileSync(file, body.join('\n') + '\n');
  return path.relative(l.repo, file);
}
