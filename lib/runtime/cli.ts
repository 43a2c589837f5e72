// `minidock-runtime`: the runtime with runc's command line, so that containerd (`ctr run
// --runc-binary`), the OCI runtime tools and a learner at a shell can drive it. runc(8):
// runc-spec, runc-create, runc-start, runc-run, runc-state, runc-kill, runc-delete, runc-list,
// runc-ps. Stage 1 notes, "a container is a bundle".
//
// Each command is a separate process, as with runc: `create` leaves init waiting and exits (init
// is then adopted by whoever is the nearest subreaper: containerd's shim, or the host's init),
// `start` releases it. Errors: one line on stderr, exit status 1 — and, with --log-format json,
// a JSON line in the --log file, which is where containerd's shim looks for runc's reason.

import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { EngineError, oneLine } from '../errors.js';
import { realSys } from '../sys/index.js';
import { setRole } from '../sys/trace.js';
import { create, kill, processes, remove, start } from './container.js';
import { execProcess, parseProcess } from './exec.js';
import { sendConsole } from './terminal.js';
import { pause } from './pause.js';
import { defaultSpec, parseSpec } from './spec.js';
import { listIds, loadState, ociState } from './state.js';

const USAGE = `usage: minidock-runtime [global options] COMMAND [options] ID

An OCI runtime (runc's command line). Commands:
  spec      write a default config.json for a rootfs/ in the current directory
  create    create a container from a bundle; its process waits for start
  start     run the created container's process
  run       create and start, then wait for the container to exit
  state     print a container's state as JSON
  kill      send a signal (default SIGTERM) to the container's process
  delete    delete a stopped container (--force: a running one too)
  list      list containers
  ps        list the processes of a container
  exec      run a process in a running container (--process FILE, or ID COMMAND [ARG...])
  pause     freeze every process of a container (the cgroup freezer); resume thaws them

Global options: --root DIR (default /run/minidock/runtime), --log FILE, --log-format text|json,
--debug, --systemd-cgroup (not supported).`;

interface Globals {
  root: string;
  log?: string;
  logFormat: 'text' | 'json';
}

export async function main(argv: string[]): Promise<number> {
  const g: Globals = { root: '/run/minidock/runtime', logFormat: 'text' };
  // Global options come before the command, as with runc.
  while (argv.length > 0 && argv[0].startsWith('-')) {
    const [flag, inline] = argv.shift()!.split(/=(.*)/s, 2);
    const value = () => inline ?? argv.shift() ?? '';
    if (flag === '--root') g.root = path.resolve(value());
    else if (flag === '--log') g.log = value();
    else if (flag === '--log-format') {
      const f = value();
      if (f !== 'text' && f !== 'json') throw new EngineError(`invalid log format: ${f}`);
      g.logFormat = f;
    } else if (flag === '--debug') process.env.MINIDOCK_TRACE ||= '1';
    else if (flag === '--systemd-cgroup') throw new EngineError('--systemd-cgroup: systemd cgroup management is not supported; minidock-runtime writes cgroupfs itself');
    else if (flag === '-h' || flag === '--help') {
      process.stdout.write(USAGE + '\n');
      return 0;
    } else if (flag === '-v' || flag === '--version') {
      process.stdout.write('minidock-runtime version 0.1.0\nspec: 1.0.2\n');
      return 0;
    } else throw new EngineError(`flag provided but not defined: ${flag}`);
  }
  logTo = g;
  const command = argv.shift();
  if (command === undefined) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  const verb = COMMANDS[command];
  if (!verb) throw new EngineError(`no such command: ${command}`);
  return verb(argv, g);
}

type Command = (argv: string[], g: Globals) => Promise<number> | number;

const bundleOptions = {
  bundle: { type: 'string', short: 'b', default: '.' },
  'pid-file': { type: 'string' },
  'console-socket': { type: 'string' },
  'no-pivot': { type: 'boolean', default: false },
  'no-new-keyring': { type: 'boolean', default: false },
  detach: { type: 'boolean', short: 'd', default: false },
} as const;

/** One container ID, as the last argument. */
function oneId(positionals: string[], command: string): string {
  if (positionals.length !== 1) throw new EngineError(`"${command}" requires exactly 1 argument (the container id)`);
  return positionals[0];
}

const COMMANDS: Record<string, Command> = {
  // #region runtime-spec-command
  spec(argv) {
    const { values } = parseArgs({ args: argv, options: { bundle: { type: 'string', short: 'b', default: '.' } } });
    const file = path.join(values.bundle, 'config.json');
    if (existsSync(file)) throw new EngineError(`File ${file} exists. Remove it first`);
    writeFileSync(file, JSON.stringify(defaultSpec(), null, '\t') + '\n');
    return 0;
  },
  // #endregion

  async create(argv, g) {
    const { values, positionals } = parseArgs({ args: argv, options: bundleOptions, allowPositionals: true });
    const id = oneId(positionals, 'create');
    await createFromBundle(g, id, values);
    return 0;
  },

  start(argv, g) {
    const { positionals } = parseArgs({ args: argv, options: {}, allowPositionals: true });
    start(g.root, oneId(positionals, 'start'));
    return 0;
  },

  async run(argv, g) {
    const { values, positionals } = parseArgs({ args: argv, options: bundleOptions, allowPositionals: true });
    const id = oneId(positionals, 'run');
    const created = await createFromBundle(g, id, values, true);
    start(g.root, id);
    await created.execed();
    if (values.detach) return 0;
    // runc run: signals sent to us go to the container; its exit status is ours
    for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'] as const) process.on(sig, () => created.child.kill(sig));
    const status = await created.exited;
    remove(g.root, id, true);
    return status;
  },

  state(argv, g) {
    const { positionals } = parseArgs({ args: argv, options: {}, allowPositionals: true });
    const id = oneId(positionals, 'state');
    process.stdout.write(JSON.stringify(ociState(g.root, loadState(g.root, id)), null, '  ') + '\n');
    return 0;
  },

  kill(argv, g) {
    const { values, positionals } = parseArgs({ args: argv, options: { all: { type: 'boolean', short: 'a', default: false } }, allowPositionals: true });
    if (positionals.length < 1 || positionals.length > 2) throw new EngineError('"kill" requires a minimum of 1 and a maximum of 2 arguments');
    kill(g.root, positionals[0], parseSignal(positionals[1] ?? 'SIGTERM'), values.all);
    return 0;
  },

  delete(argv, g) {
    const { values, positionals } = parseArgs({ args: argv, options: { force: { type: 'boolean', short: 'f', default: false } }, allowPositionals: true });
    const id = oneId(positionals, 'delete');
    try {
      remove(g.root, id, values.force);
    } catch (e) {
      // runc: deleting a container that does not exist is fine with --force
      if (values.force && e instanceof EngineError && e.message.startsWith('container does not exist')) return 0;
      throw e;
    }
    return 0;
  },

  list(argv, g) {
    const { values } = parseArgs({ args: argv, options: { format: { type: 'string', short: 'f', default: 'table' }, quiet: { type: 'boolean', short: 'q', default: false } } });
    const states = listIds(g.root).map((id) => ociState(g.root, loadState(g.root, id)));
    if (values.quiet) process.stdout.write(states.map((s) => s.id + '\n').join(''));
    else if (values.format === 'json') process.stdout.write(JSON.stringify(states) + '\n');
    else {
      const rows = [['ID', 'PID', 'STATUS', 'BUNDLE', 'CREATED', 'OWNER'], ...states.map((s) => [s.id, String(s.pid), s.status, s.bundle, s.created, 'root'])];
      const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
      process.stdout.write(rows.map((r) => r.map((c, i) => c.padEnd(widths[i])).join('   ').trimEnd() + '\n').join(''));
    }
    return 0;
  },

  ps(argv, g) {
    const { values, positionals } = parseArgs({ args: argv, options: { format: { type: 'string', short: 'f', default: 'table' } }, allowPositionals: true });
    const pids = processes(g.root, oneId(positionals.slice(0, 1), 'ps'));
    if (values.format === 'json') process.stdout.write(JSON.stringify(pids) + '\n');
    else process.stdout.write(['PID', ...pids.map(String)].join('\n') + '\n');
    return 0;
  },
};

// #region runtime-exec-command
/**
 * runc exec: the process comes from --process FILE (an OCI process object: what containerd
 * writes for `ctr task exec`), or is config.json's process with the command line given after
 * the ID, -e and --cwd applied. With --detach we exit once it runs (containerd's shim, a
 * subreaper, adopts and reaps it); without, its exit status is ours.
 */
COMMANDS.exec = async (argv, g) => {
  const { values, positionals } = parseArgs({
    args: argv, allowPositionals: true, strict: true,
    options: {
      process: { type: 'string', short: 'p' }, detach: { type: 'boolean', short: 'd', default: false }, 'pid-file': { type: 'string' },
      'console-socket': { type: 'string' }, tty: { type: 'boolean', short: 't', default: false }, cwd: { type: 'string' },
      env: { type: 'string', short: 'e', multiple: true }, 'no-new-privs': { type: 'boolean', default: false },
    },
  });
  const [id, ...command] = positionals;
  if (id === undefined) throw new EngineError('"exec" requires a minimum of 1 argument (the container id)');
  let proc;
  if (values.process) {
    if (command.length > 0) throw new EngineError('exec: give the command in --process or after the id, not both');
    proc = parseProcess(readFileSync(values.process, 'utf8'));
  } else {
    if (command.length === 0) throw new EngineError('exec: args must not be empty');
    const spec = parseSpec(readFileSync(path.join(loadState(g.root, id).bundle, 'config.json'), 'utf8'));
    proc = { ...spec.process, args: command, env: [...spec.process.env, ...(values.env ?? [])], cwd: values.cwd ?? spec.process.cwd };
    if (values['no-new-privs']) proc.noNewPrivileges = true;
    if (values.tty) proc.terminal = true;
  }
  const consoleSocket = checkConsoleSocket(!!proc.terminal, values['console-socket']);
  const execed = await execProcess(await realSys(), {
    root: g.root, id, process: proc, stdio: ['inherit', 'inherit', 'inherit'], pidFile: values['pid-file'] && path.resolve(values['pid-file']),
  });
  if (consoleSocket && execed.terminal !== undefined) sendConsole(await realSys(), consoleSocket, execed.terminal);
  if (values.detach) {
    execed.child.unref();
    return 0;
  }
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'] as const) process.on(sig, () => execed.child.kill(sig));
  return execed.exited;
};
// #endregion

COMMANDS.pause = (argv, g) => {
  pause(g.root, oneId(parseArgs({ args: argv, allowPositionals: true, options: {} }).positionals, 'pause'), true);
  return 0;
};
COMMANDS.resume = (argv, g) => {
  pause(g.root, oneId(parseArgs({ args: argv, allowPositionals: true, options: {} }).positionals, 'resume'), false);
  return 0;
};

/** Not (yet) a runc command here: say so in one line. */
for (const name of ['checkpoint', 'restore', 'update', 'events', 'features']) {
  COMMANDS[name] = () => {
    throw new EngineError(`${name}: not supported by minidock-runtime`);
  };
}

async function createFromBundle(g: Globals, id: string, values: { bundle: string; 'pid-file'?: string; 'console-socket'?: string; 'no-pivot': boolean }, foreground = false) {
  const bundle = path.resolve(values.bundle);
  let text: string;
  try {
    text = readFileSync(path.join(bundle, 'config.json'), 'utf8');
  } catch {
    throw new EngineError(`JSON specification file config.json not found in ${bundle}`);
  }
  const spec = parseSpec(text);
  const consoleSocket = checkConsoleSocket(!!spec.process.terminal, values['console-socket']);
  const sys = await realSys();
  const created = await create(sys, {
    root: g.root, id, bundle, spec, noPivot: values['no-pivot'], pidFile: values['pid-file'] && path.resolve(values['pid-file']),
    stdio: ['inherit', 'inherit', 'inherit'],
  });
  // the terminal's master goes to whoever asked for it (containerd's shim), then it is theirs
  if (consoleSocket && created.terminal !== undefined) sendConsole(sys, consoleSocket, created.terminal);
  if (!foreground) {
    // `create` is done: init waits on its exec fifo and must not hold on to us
    created.detach();
    created.child.unref();
  }
  return created;
}

/**
 * runc's rule: a terminal needs a --console-socket to send its master to (the runtime does not
 * stay to relay it), and a console socket without a terminal is a mistake; both in runc's words.
 */
function checkConsoleSocket(terminal: boolean, socket: string | undefined): string | undefined {
  if (terminal && !socket) throw new EngineError('cannot allocate tty if runc will detach without setting console socket');
  if (!terminal && socket) throw new EngineError('cannot use console socket if runc will not detach or allocate tty');
  return socket && path.resolve(socket);
}

/** A signal by number (15), by name (TERM), or with SIG (SIGTERM), as runc's kill takes it. */
export function parseSignal(s: string): number {
  if (/^\d+$/.test(s)) return Number(s);
  const name = (s.toUpperCase().startsWith('SIG') ? s.toUpperCase() : `SIG${s.toUpperCase()}`) as keyof typeof osConstants.signals;
  const n = osConstants.signals[name];
  if (n === undefined) throw new EngineError(`unknown signal "${s}"`);
  return n;
}

let logTo: Globals | undefined;

/** Report a failure: stderr, and the --log file in runc's format (containerd's shim reads it). */
function report(err: unknown): void {
  const msg = oneLine(err);
  process.stderr.write(`minidock-runtime: ${msg}\n`);
  if (!logTo?.log) return;
  const line = logTo.logFormat === 'json' ? JSON.stringify({ level: 'error', msg, time: new Date().toISOString() }) : `time="${new Date().toISOString()}" level=error msg="${msg}"`;
  try {
    appendFileSync(logTo.log, line + '\n');
  } catch {
    // no log to write: stderr has it
  }
}

// Run as a program (bin/minidock-runtime).
if (process.argv[1] && process.argv[1].endsWith(path.join('runtime', 'cli.js'))) {
  process.title = 'minidock-runtime';
  setRole('runtime');
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      report(err);
      process.exit(1);
    },
  );
}
