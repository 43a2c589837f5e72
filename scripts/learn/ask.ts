// A y/N question on the terminal. Without a terminal (CI, a pipe) there is no one to ask:
// the caller must have been given --yes, or it refuses.

import { createInterface } from 'node:readline/promises';

/** True when the learner answers y or yes; undefined when stdin is not a terminal. */
export async function confirm(question: string): Promise<boolean | undefined> {
  if (!process.stdin.isTTY) return undefined;
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
  } finally {
    rl.close();
  }
}
