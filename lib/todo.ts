// todo(): what a learner's stub calls where an exercise is still to be written.
//
// `npm run learn -- start N` (scripts/learn/) copies the engine into learn/ and replaces each
// exercise region of stage N and above with a call to todo('<id>', '<where in the notes>').
// todo returns `never`, so every stub compiles whatever the function around it returns, and
// whichever process reaches it — the cli, the shim, or init inside the container — fails with
// one line that names the exercise; the checks print that line as their reason.

import { EngineError } from './errors.js';

/** Thrown by todo(); a check or the cli shows its message as it is. */
export class NotImplemented extends EngineError {
  constructor(readonly exercise: string, where: string) {
    super(`not implemented yet: exercise ${exercise} (${where})`);
    this.name = 'NotImplemented';
  }
}

export function todo(exercise: string, where: string): never {
  throw new NotImplemented(exercise, where);
}
