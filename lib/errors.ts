// Errors: the engine's one error idiom.
//
// Every failure that reaches the user is one line, lower case, `minidock: <what failed>: <why>`,
// and carries the exit code docker would use: 125 when the engine itself failed (bad flag, unknown
// image, a syscall that said no), 126 when the command exists but cannot be invoked, 127 when it
// does not exist. A failed system call is a SyscallError that names the errno, e.g.
// `mount(overlay, /var/lib/minidock/overlay2/…/merged): EINVAL`.

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

/** Turn any thrown value into the one-line message the CLI prints. */
export function oneLine(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return msg.split('\n').map((s) => s.trim()).filter(Boolean).join('; ');
}
