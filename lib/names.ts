// The one rule for the names a user gives to containers, volumes and networks: docker's
// "restricted name" pattern, [a-zA-Z0-9][a-zA-Z0-9_.-]+, and a length that still fits in one
// path component (a name becomes a directory or file name under the state dir: NAME_MAX is 255).

export const RESTRICTED_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;
export const RESTRICTED_CHARS = '[a-zA-Z0-9][a-zA-Z0-9_.-]';
/** Longer names would fail later with ENAMETOOLONG; refuse them up front, with a message. */
export const MAX_NAME_LENGTH = 128;

/** Why `name` is not a valid name, or null when it is. */
export function invalidName(name: string): string | null {
  if (!RESTRICTED_NAME.test(name)) return `only ${RESTRICTED_CHARS} are allowed`;
  if (name.length > MAX_NAME_LENGTH) return `a name may be at most ${MAX_NAME_LENGTH} characters long`;
  return null;
}
