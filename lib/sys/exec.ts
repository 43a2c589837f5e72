// External commands: `ip`, `nft`, `cp`, `mount` … run the way a learner would type them.
//
// The engine shells out where a standard tool already does the job (docs/design.md, principle 10), so
// that every step can be repeated by hand. Under MINIDOCK_TRACE=1 each command is printed as a
// shell line first.

import { spawnSync } from 'node:child_process';
import { EngineError } from '../errors.js';
import { renderCommand, trace } from './trace.js';

export interface CommandResult {
  status: number;
  stdout: string;
  stderr: string;
}

/**
 * Run a command to completion; throw a one-line EngineError if it fails. What goes to its stdin
 * (`nft -f -`, `ip -batch -`) is traced as a here-document, so the line can be retyped.
 */
export function sh(cmd: string, args: readonly string[], opts: { input?: string; allowFail?: boolean } = {}): CommandResult {
  const input = opts.input === undefined ? '' : ` <<EOF\n${opts.input}${opts.input.endsWith('\n') ? '' : '\n'}EOF`;
  trace(`$ ${renderCommand(cmd, args)}${input}`);
  const r = spawnSync(cmd, args, { encoding: 'utf8', input: opts.input, stdio: ['pipe', 'pipe', 'pipe'] });
  if (r.error) {
    const code = (r.error as NodeJS.ErrnoException).code;
    throw new EngineError(code === 'ENOENT' ? `${cmd}: command not found` : `${cmd}: ${r.error.message}`);
  }
  const result = { status: r.status ?? 128 + 9, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
  if (result.status !== 0 && !opts.allowFail) {
    const why = result.stderr.trim().split('\n').pop() || `exit status ${result.status}`;
    throw new EngineError(`${renderCommand(cmd, args)}: ${why}`);
  }
  return result;
}
