// errno numbers → their names (ENOENT, EINVAL, …), so every failed call can say what went wrong
// in the words of the man pages. Node already ships the table (os.constants.errno); we invert it.

import { constants } from 'node:os';

const NAMES = new Map<number, string>();
for (const [name, num] of Object.entries(constants.errno)) {
  if (!NAMES.has(num)) NAMES.set(num, name);
}

export function errnoName(errno: number): string {
  return NAMES.get(errno) ?? `errno ${errno}`;
}
