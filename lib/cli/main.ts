// The `minidock` command: look up the verb, hand it the rest of the arguments.
//
// Each verb lives in its own file (lib/cli/<verb>.ts) and is thin: it parses its flags, calls the
// engine in lib/, prints, and returns an exit code. Errors become one line on stderr,
// `minidock: <what failed>: <why>`, with docker's exit code (125 for engine errors).

import { EngineError, EXIT, oneLine } from '../errors.js';

type Verb = (argv: string[]) => Promise<number>;

// Verbs are imported lazily so that `minidock ps` does not pay for loading `run`'s code.
const VERBS: Record<string, () => Promise<{ default: Verb }>> = {
  run: () => import('./run.js'),
  ps: () => import('./ps.js'),
  stop: () => import('./stop.js'),
  kill: () => import('./kill.js'),
  rm: () => import('./rm.js'),
  inspect: () => import('./inspect.js'),
  import: () => import('./import.js'),
  images: () => import('./images.js'),
  image: () => import('./image.js'),
  commit: () => import('./commit.js'),
  rmi: () => import('./rmi.js'),
  history: () => import('./history.js'),
  doctor: () => import('./doctor.js'),
  stats: () => import('./stats.js'),
  volume: () => import('./volume.js'),
  network: () => import('./network.js'),
  system: () => import('./system.js'),
};

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
  volume    manage volumes: create, ls, inspect, rm, prune (stage 4)
  network   manage networks: create, ls, inspect, rm, connect, disconnect, prune (stage 5)
  system    prune: remove stopped containers, unused networks and images, crash leftovers
  doctor    check that this machine can run containers (stage 0)

Environment: MINIDOCK_ROOT (state dir), MINIDOCK_STAGE (stage gate), MINIDOCK_TRACE=1 (x-ray).`;

export async function main(argv: string[]): Promise<number> {
  // Global flags come before the verb, as with docker.
  while (argv.length > 0 && argv[0].startsWith('-')) {
    const flag = argv.shift()!;
    if (flag === '--stage') {
      process.env.MINIDOCK_STAGE = argv.shift() ?? '';
    } else if (flag.startsWith('--stage=')) {
      process.env.MINIDOCK_STAGE = flag.slice('--stage='.length);
    } else if (flag === '-h' || flag === '--help') {
      process.stdout.write(USAGE + '\n');
      return 0;
    } else {
      throw new EngineError(`unknown flag: ${flag}`);
    }
  }
  let verb = argv.shift();
  if (verb === undefined) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  // `minidock container ls` is docker's long spelling of `ps`
  if (verb === 'container' && argv[0] === 'ls') {
    argv.shift();
    verb = 'ps';
  }
  const load = VERBS[verb];
  if (!load) throw new EngineError(`'${verb}' is not a minidock command; see 'minidock --help'`);
  const mod = await load();
  return mod.default(argv);
}

// Run when executed directly (bin/minidock).
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`minidock: ${oneLine(err)}\n`);
    if (process.env.MINIDOCK_TRACE && err instanceof Error && err.stack) process.stderr.write(err.stack + '\n');
    process.exitCode = err instanceof EngineError ? err.exitCode : EXIT.ENGINE;
  },
);
