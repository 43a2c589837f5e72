// How the engine starts one of its own Node programs: init, the shim, exec-enter.
//
// Always through dist/lib/launch.cjs, as bin/minidock starts the cli: the launcher runs the
// program's bundle (one file, compiled with V8's code cache) when `npm run build` made one and no
// module it was made from changed since, and the modules otherwise. See launch.cts for why and
// what it saves.

import { fileURLToPath } from 'node:url';

const LAUNCH_CJS = fileURLToPath(new URL('./launch.cjs', import.meta.url));

/** node's arguments that start the program `file` (an engine module under dist/lib/) with `args`. */
export function programArgs(file: string, args: readonly string[] = []): string[] {
  return [LAUNCH_CJS, file, ...args];
}
