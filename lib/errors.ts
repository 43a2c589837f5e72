// Errors: the engine's one error idiom.
//
// Every failure that reaches the user is one line, lower case, `minidock: <what failed>: <why>`,
// and carries the exit code docker would use: 125 when the engine itself failed (bad flag, unknown
// image, a syscall that said no), 126 when the command exists but cannot be invoked, 127 when it
// does not exist. A failed system call is a SyscallError that names the errno, e.g.
// `mount(overlay, /var/lib/minidock/overlay2/…/merged): EINVAL`.
// Those codes are what `run` exits with; every other verb exits 1 when it fails (docker's CLI
// rule, applied once in lib/cli/main.ts), except for a command line it cannot parse (UsageError).

/** docker's exit codes for failures that are not the container's own status. */
export const EXIT = {
  /** the engine failed: bad input, missing image, a syscall or command that failed */
  ENGINE: 125,
  /** the command was found but could not be invoked (permission, not executable) */
  CANNOT_INVOKE: 126,
  /** the command was not found */
  NOT_FOUND: 127,
} as const;

/** A failure with a message for the user and docker's exit code. */
export class EngineError extends Error {
  constructor(message: string, readonly exitCode: number = EXIT.ENGINE) {
    super(message);
    this.name = 'EngineError';
  }
}

/**
 * A command line the flag parser refuses: an unknown flag, a flag without its value, a value of
 * the wrong type. docker's CLI exits 125 for these whatever the verb (cobra's flag-error hook).
 */
export class UsageError extends EngineError {
  constructor(message: string) {
    super(message, EXIT.ENGINE);
    this.name = 'UsageError';
  }
}

/**
 * Too few or too many arguments for a verb. docker's CLI exits 1 for these, even for `run`: the
 * command line was read, but it does not say what to do.
 */
export class ArgumentsError extends EngineError {
  constructor(message: string) {
    super(message, 1);
    this.name = 'ArgumentsError';
  }
}

/** A system call that returned -1: which call, on what, and the errno name. */
export class SyscallError extends EngineError {
  constructor(
    readonly op: string,
    readonly args: readonly unknown[],
    readonly errno: number,
    readonly code: string,
  ) {
    super(`${op}(${args.map(formatArg).join(', ')}): ${code}`);
    this.name = 'SyscallError';
  }
}

function formatArg(a: unknown): string {
  if (typeof a === 'string') return a === '' ? '""' : a;
  if (typeof a === 'bigint') return `0x${a.toString(16)}`;
  if (Array.isArray(a)) return `[${a.map(formatArg).join(' ')}]`;
  return String(a);
}

/** What Node's fs and child_process functions throw: `EEXIST: file already exists, mkdir '/x'`. */
interface NodeSystemError extends Error {
  code: string;
  syscall: string;
  path?: string;
  dest?: string;
}

function isNodeSystemError(err: unknown): err is NodeSystemError {
  const e = err as Partial<NodeSystemError>;
  return err instanceof Error && typeof e.code === 'string' && /^E[A-Z0-9]+$/.test(e.code) && typeof e.syscall === 'string';
}

/**
 * Turn any thrown value into the one-line message the CLI prints. A Node system error that got
 * this far is written as a SyscallError would be, `mkdir(/etc/passwd): EEXIST`, not in Node's own
 * words; several lines become one.
 */
export function oneLine(err: unknown): string {
  let msg = err instanceof Error ? err.message : String(err);
  if (isNodeSystemError(err)) {
    const args = [err.path, err.dest].filter((a): a is string => a !== undefined);
    msg = `${err.syscall}(${args.map(formatArg).join(', ')}): ${err.code}`;
  }
  return msg.split('\n').map((s) => s.trim()).filter(Boolean).join('; ');
}
