// The `minidock` command: look up the verb, hand it the rest of the arguments.
//
// Each verb lives in its own file (lib/cli/<verb>.ts) and is thin: it parses its flags, calls the
// engine in lib/, prints, and returns an exit code. A verb that fails throws; here the error
// becomes one line on stderr, `minidock: <what failed>: <why>`, and the exit code follows docker's
// rule for that verb (exitCodeFor below), so no call site has to pick one.

import { existsSync, readFileSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { paths } from '../paths.js';
import { EngineError, EXIT, oneLine, UsageError } from '../errors.js';

type Verb = (argv: string[]) => Promise<number>;

/**
 * One entry of the verb table: where the verb's code is (imported lazily, so that `minidock ps`
 * does not pay for loading `run`'s code), and whether it starts a container.
 */
export interface VerbEntry {
  load: () => Promise<{ default: Verb }>;
  /**
   * docker's exit-code rule: a verb that starts a container (docker's run, create, start) says
   * why it failed with 125 (the engine), 126 (cannot invoke) or 127 (not found), so that a script
   * can tell them from the container's own status; every other verb exits 1 when it fails.
   */
  startsContainer: boolean;
}

export const VERBS: Record<string, VerbEntry> = {
  run: { load: () => import('./run.js'), startsContainer: true },
  ps: { load: () => import('./ps.js'), startsContainer: false },
  stop: { load: () => import('./stop.js'), startsContainer: false },
  kill: { load: () => import('./kill.js'), startsContainer: false },
  rm: { load: () => import('./rm.js'), startsContainer: false },
  inspect: { load: () => import('./inspect.js'), startsContainer: false },
  import: { load: () => import('./import.js'), startsContainer: false },
  images: { load: () => import('./images.js'), startsContainer: false },
  image: { load: () => import('./image.js'), startsContainer: false },
  commit: { load: () => import('./commit.js'), startsContainer: false },
  rmi: { load: () => import('./rmi.js'), startsContainer: false },
  history: { load: () => import('./history.js'), startsContainer: false },
  doctor: { load: () => import('./doctor.js'), startsContainer: false },
  stats: { load: () => import('./stats.js'), startsContainer: false },
  volume: { load: () => import('./volume.js'), startsContainer: false },
  network: { load: () => import('./network.js'), startsContainer: false },
  system: { load: () => import('./system.js'), startsContainer: false },
  // stage 7: exec's own failures are 126/127 (cannot invoke, not found) as docker's; its other
  // errors carry 1 themselves (container not running) or 125 (the engine)
  exec: { load: () => import('./exec.js'), startsContainer: true },
  logs: { load: () => import('./logs.js'), startsContainer: false },
  attach: { load: () => import('./attach.js'), startsContainer: false },
  create: { load: () => import('./create.js'), startsContainer: true },
  start: { load: () => import('./start.js'), startsContainer: true },
  restart: { load: () => import('./restart.js'), startsContainer: false },
  wait: { load: () => import('./wait.js'), startsContainer: false },
  pause: { load: () => import('./pause.js'), startsContainer: false },
  unpause: { load: () => import('./unpause.js'), startsContainer: false },
  top: { load: () => import('./top.js'), startsContainer: false },
  rename: { load: () => import('./rename.js'), startsContainer: false },
  port: { load: () => import('./port.js'), startsContainer: false },
  cp: { load: () => import('./cp.js'), startsContainer: false },
  tag: { load: () => import('./tag.js'), startsContainer: false },
  save: { load: () => import('./save.js'), startsContainer: false },
  load: { load: () => import('./load.js'), startsContainer: false },
  pull: { load: () => import('./pull.js'), startsContainer: false },
  push: { load: () => import('./push.js'), startsContainer: false },
  build: { load: () => import('./build.js'), startsContainer: false },
  login: { load: () => import('./login.js'), startsContainer: false },
  logout: { load: () => import('./logout.js'), startsContainer: false },
  // minidock's own (docker has no such verb): the live container drawn from /proc and /sys
  explain: { load: () => import('./explain.js'), startsContainer: false },
};

/**
 * The exit status of a verb that threw `err`, by docker's rule, decided here once for every verb:
 *   - a command line the flag parser refused (UsageError): 125, whatever the verb;
 *   - a verb that starts a container: the error's own code (125, 126 or 127; 1 for too few
 *     arguments, an ArgumentsError, as docker's);
 *   - any other verb, and no verb at all (`minidock bogus`): 1.
 */
export function exitCodeFor(verb: string | undefined, err: unknown): number {
  if (err instanceof UsageError) return EXIT.ENGINE;
  if (verbEntry(verb)?.startsContainer) return err instanceof EngineError ? err.exitCode : EXIT.ENGINE;
  return 1;
}

/** The table's entry for `verb`, or undefined (also for names like "constructor" that every object has). */
function verbEntry(verb: string | undefined): VerbEntry | undefined {
  return verb !== undefined && Object.hasOwn(VERBS, verb) ? VERBS[verb] : undefined;
}

const USAGE = `usage: minidock [--stage N] COMMAND [ARG...]

A container lab engine. Commands:
  run       run a command in a new container
  ps        list containers
  stop      stop running containers (SIGTERM, then SIGKILL)
  kill      send a signal to running containers
  rm        remove containers
  inspect   show low-level information on containers or images
  stats     show live resource usage of containers
  import    create an image from a rootfs tarball
  images    list images (also: image ls)
  commit    create a new image from a container's changes (stage 3)
  rmi       remove images (also: image rm)
  history   show the history of an image (also: image history)
  tag       give an image another name (stage 6)
  save      write images to a tar archive (stage 6)
  load      read images from a tar archive (stage 6)
  pull      download an image from a registry (stage 6)
  push      upload an image to a registry (stage 6)
  build     build an image from a Dockerfile (stage 6)
  login     log in to a registry; logout to forget it (stage 6)
  volume    manage volumes: create, ls, inspect, rm, prune (stage 4)
  network   manage networks: create, ls, inspect, rm, connect, disconnect, prune (stage 5)
  system    prune: remove stopped containers, unused networks and images, crash leftovers
  exec      run a command in a running container (stage 7)
  logs      show a container's output: -f, --tail N, -t, --since, --until (stage 7)
  attach    connect to a detached container's terminal or output; ctrl-p ctrl-q detaches (stage 7)
  create    create a container without starting it (stage 7)
  start     start created or exited containers (stage 7)
  restart   stop, then start containers (stage 7)
  wait      block until containers stop, print their exit status (stage 7)
  pause     freeze every process of containers; unpause thaws them (stage 7)
  top       the processes of a container, as the host's ps shows them (stage 7)
  rename    give a container another name (stage 7)
  port      list a container's published ports (stage 7)
  cp        copy files between a container and the host (stage 7)
  doctor    check that this machine can run containers (stage 0)
  explain   draw a running container: namespaces, cgroup, layers, mounts, network (minidock's own)

Global flags: --stage N (run as the engine of stage N), -v/--version, -h/--help.

Environment: MINIDOCK_ROOT (state dir), MINIDOCK_STAGE (stage gate), MINIDOCK_TRACE=1 (x-ray),
MINIDOCK_TRACE=phases (where the time goes).`;

/** Global flags, then the verb: returns the exit status, having printed any error as one line. */
export async function main(argv: string[]): Promise<number> {
  let verb: string | undefined;
  try {
    ({ verb, argv } = dispatch(argv));
    if (verb === VERSION) {
      process.stdout.write(`minidock version ${engineVersion()}\n`);
      return 0;
    }
    if (verb === undefined) {
      process.stdout.write(USAGE + '\n');
      return 0;
    }
    const entry = verbEntry(verb);
    if (!entry) throw new EngineError(`'${verb}' is not a minidock command; see 'minidock --help'`);
    const mod = await entry.load();
    // No daemon: each verb first sets right the containers whose monitor died (reconcile.ts)
    if (verb !== 'doctor') await (await import('../container/reconcile.js')).reconcileAll(paths());
    return await mod.default(argv);
  } catch (err) {
    // `minidock logs web | head`: the reader is gone. docker dies of SIGPIPE there, silently
    // (status 141 = 128 + 13); Node ignores SIGPIPE and sees EPIPE instead — say nothing either.
    if (brokenPipe(err)) return 128 + SIGPIPE;
    process.stderr.write(`minidock: ${oneLine(err)}\n`);
    if (process.env.MINIDOCK_TRACE && err instanceof Error && err.stack) process.stderr.write(err.stack + '\n');
    return exitCodeFor(verb, err);
  }
}

const SIGPIPE = 13;

/** A write to a pipe whose reader has exited. */
function brokenPipe(err: unknown): boolean {
  return (err as NodeJS.ErrnoException | null)?.code === 'EPIPE';
}

/** `minidock --version` (docker's `-v, --version`): no verb starts with '-', dispatch sees to it. */
const VERSION = '--version';

/** The version in package.json, as `docker --version` prints its own ("Docker version 27.3.1"). */
function engineVersion(): string {
  // the nearest package.json above this file: the repository's, from lib/cli/ as from dist/lib/cli/
  for (let dir = path.dirname(fileURLToPath(import.meta.url)); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (existsSync(file)) return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
  }
  return 'unknown';
}

/** Read the global flags (they come before the verb, as with docker) and find the verb. */
function dispatch(argv: string[]): { verb: string | undefined; argv: string[] } {
  argv = [...argv];
  while (argv.length > 0 && argv[0].startsWith('-')) {
    const flag = argv.shift()!;
    if (flag === '--stage') {
      process.env.MINIDOCK_STAGE = argv.shift() ?? '';
    } else if (flag.startsWith('--stage=')) {
      process.env.MINIDOCK_STAGE = flag.slice('--stage='.length);
    } else if (flag === '-h' || flag === '--help') {
      return { verb: undefined, argv: [] };
    } else if (flag === '-v' || flag === '--version') {
      return { verb: VERSION, argv: [] };
    } else {
      throw new UsageError(`unknown flag: ${flag}`);
    }
  }
  const verb = argv.shift();
  // `minidock container ls` is docker's long spelling of `ps`
  if (verb === 'container' && argv[0] === 'ls') return { verb: 'ps', argv: argv.slice(1) };
  return { verb, argv };
}

// Run when executed as the program (bin/minidock runs this file), not when a test imports it.
if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
