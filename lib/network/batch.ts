// Many `ip` commands as one process: `ip -batch -` reads commands from stdin, one a line, and
// runs them in order in one process, stopping at the first that fails. ip(8) "-batch". Stage 5
// notes, "where the time goes".
//
// Plugging a container in types about six `ip` commands, on the host and (through nsenter)
// inside the container's namespace; each is a fork and exec of its own, a few milliseconds
// apiece. An IpBatch collects them as they are typed, through the same `Run` every network
// function takes, and runs each stretch of commands for one namespace as one process:
//
//   ip -batch - <<EOF                                  nsenter --net=/proc/<pid>/ns/net ip -batch - <<EOF
//   link add veth1a2b3c4 type veth peer name eth0 …     addr add 172.17.0.2/16 dev eth0
//   link set veth1a2b3c4 master minidock0 up            link set eth0 up
//   EOF                                                 route add default via 172.17.0.1
//                                                       EOF
//
// The order is kept: a command for another namespace, or any other command, first runs what
// was collected. MINIDOCK_TRACE=1 shows each batch with its lines, so it can still be retyped.

import { EngineError } from '../errors.js';
import { sh, type CommandResult } from '../sys/exec.js';
import type { Run } from './netns.js';

/** What runs `ip` lines in one namespace: ['ip'] on the host, ['nsenter', '--net=…', 'ip'] inside. */
type Target = string[];

const DONE: CommandResult = { status: 0, stdout: '', stderr: '' };

export class IpBatch {
  private target: Target | null = null;
  private lines: string[] = [];

  constructor(private readonly exec: Run = sh) {}

  /** A `Run` that collects `ip …` and `nsenter --net=… ip …` and runs anything else at once. */
  readonly run: Run = (cmd, args, opts = {}) => {
    const target = targetOf(cmd, args);
    // a command whose failure is allowed, or whose output is read, cannot wait in a batch
    if (!target || opts.allowFail || opts.input !== undefined) {
      this.flush();
      return this.exec(cmd, args, opts);
    }
    if (this.target && this.target.join(' ') !== target.join(' ')) this.flush();
    this.target = target;
    this.lines.push(args.slice(target.length - 1).join(' '));
    return DONE;
  };

  /** Run what was collected: one process. A failure names the command that failed. */
  flush(): void {
    const { target, lines } = this;
    this.target = null;
    this.lines = [];
    if (!target || lines.length === 0) return;
    const [cmd, ...args] = target;
    const r = this.exec(cmd, [...args, '-batch', '-'], { input: lines.join('\n') + '\n', allowFail: true });
    if (r.status === 0) return;
    // ip says "Command failed -:<line>" after the kernel's reason
    const at = Number(r.stderr.match(/Command failed -:(\d+)/)?.[1] ?? 0);
    const why = r.stderr.split('\n').find((l) => l.trim() !== '' && !l.startsWith('Command failed')) ?? `exit status ${r.status}`;
    throw new EngineError(`${[...target, lines[at - 1] ?? '-batch -'].join(' ')}: ${why.trim()}`);
  }
}

/** The namespace an `ip` command runs in, or null for a command that is not `ip`. */
function targetOf(cmd: string, args: readonly string[]): Target | null {
  // a batch line is split at blanks: an argument holding one cannot travel in it
  if (args.some((a) => /\s/.test(a) || a === '')) return null;
  if (cmd === 'ip' && args[0] !== '-j') return ['ip'];
  if (cmd === 'nsenter' && args.length > 2 && args[0].startsWith('--net=') && args[1] === 'ip' && args[2] !== '-j') return ['nsenter', args[0], 'ip'];
  return null;
}
