// minidock unpause CONTAINER... — docker unpause: thaw what pause froze.

import { freezeVerb } from './pause.js';

export default function unpause(argv: string[]): Promise<number> {
  return freezeVerb('unpause', argv, false);
}
