// How every Node program of the engine starts: `node dist/lib/launch.cjs PROGRAM [ARGS...]`.
//
// The engine is five Node programs: the cli (bin/minidock), minidock-runtime, init, the shim and
// exec-enter. `minidock run` starts two or three of them, so their start-up is most of a
// container's start (stage 1, "Where the time goes"). tsc writes each program as ES modules —
// the cli is ~100 files, and Node resolves, reads and compiles each one, ~50 ms before the first
// line of `run` executes. So `npm run build` also writes each program as one CommonJS file, its
// bundle (scripts/bundle.ts: main.js → main.bundle.cjs), and this launcher starts the bundle:
//
//   1. the bundle, if none of the modules it was made from is newer (after a `tsc` alone they
//      are: then the modules run, as tsc wrote them, and nothing stale ever does);
//   2. compiled with V8's code cache: the bytecode of every function an earlier start of the
//      same program and verb compiled, so this start skips parsing and compiling them;
//   3. on a clean exit (status 0), if there was no usable cache, V8 writes one
//      (dist/compile-cache/) for the next start.
//      init never exits (it becomes the container's command, after pivot_root), so it has none.
//
// Measured here (stage 1's notes): `minidock ps -q` 82 → 50 ms, `run --rm busybox true` 300 →
// 200 ms. Either way the program sees what it would see if started as `node PROGRAM ARGS`:
// process.argv[1] is PROGRAM. This file is CommonJS (.cts), so Node starts it without loading its
// ES-module machinery, which a bundle does not need.
//
// Node's documentation: vm.Script (cachedData, cachedDataRejected, createCachedData), and "The
// module wrapper". (Node 22's module.enableCompileCache() does the same for ES modules.)

import { mkdirSync, readFileSync, realpathSync, renameSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Script } from 'node:vm';

/** Where npm run build writes the bundle of the program `file` (an ES module under dist/lib/). */
export function bundleOf(file: string): string | undefined {
  return file.endsWith('.js') ? `${file.slice(0, -'.js'.length)}.bundle.cjs` : undefined;
}

/**
 * The code-cache file for one start: per program and, when the first argument is a verb
 * (`run`, `ps`, `image`, …), per verb, since `run` and `ps` compile different functions.
 */
export function cacheFileOf(cacheDir: string, file: string, args: readonly string[]): string {
  const program = path.relative(path.join(cacheDir, '..', 'lib'), file).replace(/\.js$/, '').replaceAll(path.sep, '-');
  const verb = args[0] !== undefined && /^[a-z][a-z-]*$/.test(args[0]) ? `.${args[0]}` : '';
  return path.join(cacheDir, `${program}${verb}.bin`);
}

/** mtime in ms, or -1 when the file does not exist. */
function mtime(file: string): number {
  return statSync(file, { throwIfNoEntry: false })?.mtimeMs ?? -1;
}

/**
 * Whether the bundle may run: it exists, and none of the files it was made from (listed beside
 * it by scripts/bundle.ts, relative to it) is missing or newer. A bare `tsc` rewrites them all; a
 * `tsc --watch` only those it recompiled — either way the modules run until the next build.
 */
export function bundleIsFresh(bundle: string | undefined): bundle is string {
  if (bundle === undefined) return false;
  const made = mtime(bundle);
  if (made < 0) return false;
  let inputs: string[];
  try {
    inputs = JSON.parse(readFileSync(bundle.replace(/\.cjs$/, '.inputs.json'), 'utf8')) as string[];
  } catch {
    return false; // not made by scripts/bundle.ts
  }
  // ~170 stat(2)s for the cli: ~1.5 ms (path.resolve on each would triple it; the kernel reads ../)
  const dir = path.dirname(bundle);
  return inputs.every((rel) => {
    const t = mtime(`${dir}/${rel}`);
    return t >= 0 && t <= made;
  });
}

/** A trace line (MINIDOCK_TRACE=1) in lib/sys/trace.ts's format, which this file does not import. */
function say(line: string): void {
  const v = process.env.MINIDOCK_TRACE;
  if (v === undefined || v === '' || v === '0' || v === 'phases') return;
  const now = new Date().toISOString().slice(17, 23);
  try {
    writeSync(2, `\x1b[2m${now} [launch]\x1b[0m ${line}\n`);
  } catch {
    // stderr closed
  }
}

/**
 * Which bundle a cache was made from: its size and modification time. V8 checks a cache against
 * the source's length only — a rebuilt bundle of the same length would run the old bundle's
 * compiled functions — so the cache file starts with this line, and a cache of another bundle
 * counts as none.
 */
export function bundleStamp(bundle: string): string {
  const { size, mtimeMs } = statSync(bundle);
  return `${size} ${mtimeMs}`;
}

/** The V8 data in a cache file made from the bundle with this stamp, or undefined. */
export function cachedDataFor(cacheFile: string, stamp: string): Buffer | undefined {
  let content: Buffer;
  try {
    content = readFileSync(cacheFile);
  } catch {
    return undefined; // no cache yet
  }
  const eol = content.indexOf(0x0a);
  return eol > 0 && content.subarray(0, eol).toString() === stamp ? content.subarray(eol + 1) : undefined;
}

// #region run-bundle
/** Run a CommonJS bundle as Node's own loader would, but compiled with a code cache. */
function runBundle(bundle: string, cacheFile: string): void {
  const stamp = bundleStamp(bundle);
  const cachedData = cachedDataFor(cacheFile, stamp);
  // The same wrapper Node puts around a CommonJS file: the bundle's free names are its parameters.
  const source = `(function (exports, require, module, __filename, __dirname) {${readFileSync(bundle, 'utf8')}\n})`;
  const script = new Script(source, { filename: bundle, cachedData });
  // V8 also refuses a cache made by another V8 or with other flags. Without a usable cache this
  // start compiles every function it calls, and if it ends well (exit status 0: not a mistyped
  // verb) it leaves them all behind for the next.
  const usable = cachedData !== undefined && !script.cachedDataRejected;
  say(`${path.basename(bundle)}, code cache ${usable ? 'used' : cachedData ? 'refused by V8 (replaced on a clean exit)' : 'absent (made on a clean exit)'}: ${cacheFile}`);
  if (!usable) process.once('exit', (code) => code === 0 && saveCache(cacheFile, stamp, script.createCachedData()));
  const module = { exports: {} };
  script.runInThisContext()(module.exports, createRequire(bundle), module, bundle, path.dirname(bundle));
}
// #endregion

/** Write the cache whole or not at all (two programs may exit at once); a read-only dist/ keeps none. */
function saveCache(cacheFile: string, stamp: string, data: Buffer): void {
  const partial = `${cacheFile}.${process.pid}`;
  try {
    mkdirSync(path.dirname(cacheFile), { recursive: true });
    writeFileSync(partial, Buffer.concat([Buffer.from(`${stamp}\n`), data]));
    renameSync(partial, cacheFile);
  } catch {
    // not ours to write: the next start compiles again
  }
}

// Started as `node launch.cjs PROGRAM ARGS...`: become `node PROGRAM ARGS...`.
if (require.main === module) {
  const [given, ...args] = process.argv.slice(2);
  if (given === undefined) {
    process.stderr.write('usage: node launch.cjs PROGRAM [ARGS...]\n');
    process.exit(2);
  }
  // realpath: a program compares process.argv[1] with its own file to know it is the one started
  const file = realpathSync(given);
  process.argv.splice(1, process.argv.length, file, ...args);
  const bundle = bundleOf(file);
  if (bundleIsFresh(bundle)) {
    runBundle(bundle, cacheFileOf(path.join(__dirname, '..', 'compile-cache'), file, args));
  } else {
    say(`${path.basename(file)} from its modules (no bundle made after them: npm run build makes one)`);
    import(pathToFileURL(file).href).catch((e: unknown) => {
      process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exit(1);
    });
  }
}
