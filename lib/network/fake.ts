// RecordingRun: a fake `Run` for unit tests of the network code. It runs nothing and records
// every command line, so a test can assert the exact `ip`/`nft` commands the engine would type,
// in order, without root. Answers can be scripted per command prefix.

import type { CommandResult } from '../sys/exec.js';
import type { Run } from './netns.js';

export interface RecordedCommand {
  line: string;
  input?: string;
}

export class RecordingRun {
  readonly commands: RecordedCommand[] = [];
  /** command-line prefix → the answer (default: status 0, empty output) */
  answers: [string, Partial<CommandResult>][] = [];

  readonly run: Run = (cmd, args, opts = {}) => {
    const line = [cmd, ...args].join(' ');
    this.commands.push({ line, input: opts.input });
    const answer = this.answers.find(([prefix]) => line.startsWith(prefix))?.[1] ?? {};
    const result = { status: 0, stdout: '', stderr: '', ...answer };
    if (result.status !== 0 && !opts.allowFail) throw new Error(`${line}: exit ${result.status}`);
    return result;
  };

  /** The command lines, in order. */
  lines(): string[] {
    return this.commands.map((c) => c.line);
  }
}
