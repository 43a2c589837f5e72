// The launcher (launch.cts): which file of a program it runs — the bundle only when it is newer
// than the modules tsc wrote — what the program sees as process.argv, and the code cache it
// leaves and reuses. The launcher is compiled with TypeScript's own transpiler into a scratch
// dist/ beside a made-up program, and started as bin/minidock starts it.

import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const here = path.dirname(fileURLToPath(import.meta.url));
const launcher = ts.transpileModule(readFileSync(path.join(here, 'launch.cts'), 'utf8'), {
  fileName: 'launch.cts', // a CommonJS file that keeps its import() as tsc does for dist/
  compilerOptions: { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
}).outputText;
let dist: string;

beforeEach(() => {
  dist = mkdtempSync(path.join(tmpdir(), 'launch-test-'));
  mkdirSync(path.join(dist, 'lib'));
  writeFileSync(path.join(dist, 'lib', 'launch.cjs'), launcher);
  // the program, as tsc would write it (an ES module: dist/ has "type": "module" above it)
  writeFileSync(path.join(dist, 'package.json'), '{"type": "module"}');
  writeFileSync(path.join(dist, 'lib', 'dep.js'), 'export const dep = 1;\n');
  writeFileSync(path.join(dist, 'lib', 'p.js'), 'import "./dep.js";\nconsole.log("modules", process.argv.slice(1).join(" "));\n');
});

afterEach(() => rmSync(dist, { recursive: true, force: true }));

/** `node dist/lib/launch.cjs dist/lib/p.js ARGS` with MINIDOCK_TRACE=1: stdout, and stderr (the launcher's trace line). */
function launch(...args: string[]): { out: string; trace: string } {
  const file = path.join(dist, 'stderr');
  const out = execFileSync('sh', ['-c', `"$0" "$@" 2>${file}`, process.execPath, path.join(dist, 'lib', 'launch.cjs'), path.join(dist, 'lib', 'p.js'), ...args], {
    env: { PATH: process.env.PATH, MINIDOCK_TRACE: '1' },
    encoding: 'utf8',
  });
  return { out: out.trim(), trace: readFileSync(file, 'utf8') };
}

/** A bundle of p.js and dep.js, as scripts/bundle.ts writes it: the file and its list of inputs. */
function writeBundle(text: string, mtime?: Date, inputs: string[] | null = ['p.js', 'dep.js']): void {
  const file = path.join(dist, 'lib', 'p.bundle.cjs');
  writeFileSync(file, text);
  if (mtime) utimesSync(file, mtime, mtime);
  if (inputs) writeFileSync(path.join(dist, 'lib', 'p.bundle.inputs.json'), JSON.stringify(inputs));
}

/** Set a file's mtime `ms` from now. */
function touch(file: string, ms: number): void {
  const t = new Date(Date.now() + ms);
  utimesSync(file, t, t);
}

describe('the launcher', () => {
  it('runs the modules when there is no bundle, with argv as `node PROGRAM ARGS`', () => {
    expect(launch('run', '--rm').out).toBe(`modules ${path.join(dist, 'lib', 'p.js')} run --rm`);
  });

  it('gives the program its real path as argv[1], also when started through a symbolic link', () => {
    // /usr/local/bin/minidock is a link; main.ts compares realpath(argv[1]) with its own file
    symlinkSync(path.join(dist, 'lib'), path.join(dist, 'via'));
    writeBundle('console.log("bundle", process.argv[1]);\n');
    const out = execFileSync(process.execPath, [path.join(dist, 'lib', 'launch.cjs'), path.join(dist, 'via', 'p.js')], { encoding: 'utf8' });
    expect(out.trim()).toBe(`bundle ${path.join(dist, 'lib', 'p.js')}`);
  });

  it('runs a bundle newer than the modules, as CommonJS, with the same argv, strict as it says', () => {
    // rolldown starts a bundle with "use strict": still the first statement inside Node's wrapper
    writeBundle('"use strict";\nconsole.log("bundle", process.argv.slice(1).join(" "), typeof require, (function () { return this; })() === undefined);\n');
    expect(launch('ps').out).toBe(`bundle ${path.join(dist, 'lib', 'p.js')} ps function true`);
  });

  it('runs the modules when tsc wrote them after the bundle (a bare tsc: the bundle is stale)', () => {
    writeBundle('console.log("bundle");\n', new Date(Date.now() - 60_000));
    expect(launch().out).toBe(`modules ${path.join(dist, 'lib', 'p.js')}`);
  });

  it('runs the modules when only a module the program imports changed (tsc --watch rewrote dep.js alone)', () => {
    writeBundle('console.log("bundle");\n');
    expect(launch().out).toBe('bundle');
    touch(path.join(dist, 'lib', 'dep.js'), 60_000);
    expect(launch().out).toBe(`modules ${path.join(dist, 'lib', 'p.js')}`);
  });

  it('runs the modules when the bundle has no list of inputs, or one of them is gone', () => {
    writeBundle('console.log("bundle");\n', undefined, null);
    expect(launch().out).toBe(`modules ${path.join(dist, 'lib', 'p.js')}`);
    writeBundle('console.log("bundle");\n', undefined, ['p.js', 'dep.js', 'gone.js']);
    expect(launch().out).toBe(`modules ${path.join(dist, 'lib', 'p.js')}`);
  });

  it('leaves a code cache per program and verb, uses it next time, and replaces one V8 refuses', () => {
    writeBundle('function f() { return 42; }\nconsole.log("bundle", f());\n');
    const cache = path.join(dist, 'compile-cache', 'p.run.bin');
    expect(launch('run').trace).toContain('code cache absent');
    expect(existsSync(cache)).toBe(true);
    const second = launch('run');
    expect(second.out).toBe('bundle 42');
    expect(second.trace).toContain('code cache used');
    expect(launch('ps').trace).toContain('code cache absent'); // another verb, another cache
    expect(existsSync(path.join(dist, 'compile-cache', 'p.ps.bin'))).toBe(true);
    // A rebuilt bundle of the same length: V8 alone would take the old cache and print 42 (it
    // checks the length only); the stamp makes the old cache count as none, and it is replaced.
    writeBundle('function f() { return 43; }\nconsole.log("bundle", f());\n', new Date(Date.now() + 1000));
    const before = readFileSync(cache);
    const third = launch('run');
    expect(third.out).toBe('bundle 43');
    expect(third.trace).toContain('code cache absent');
    expect(readFileSync(cache).equals(before)).toBe(false);
    expect(launch('run').trace).toContain('code cache used');
  });

  it('leaves no cache after a start that failed (a mistyped verb, exit status 1)', () => {
    writeBundle('process.exitCode = process.argv[2] === "run" ? 0 : 1;\n');
    expect(() => launch('rnu')).toThrow();
    expect(existsSync(path.join(dist, 'compile-cache', 'p.rnu.bin'))).toBe(false);
    launch('run');
    expect(existsSync(path.join(dist, 'compile-cache', 'p.run.bin'))).toBe(true);
  });
});

describe('bundleOf, cacheFileOf, bundleIsFresh', () => {
  /** The launcher's functions, required (not started: its start-up runs only as node's main module). */
  const api = () => createRequire(import.meta.url)(path.join(dist, 'lib', 'launch.cjs')) as typeof import('./launch.cjs');
  it('name the bundle beside the module and the cache by program and verb', () => {
    const { bundleOf, cacheFileOf } = api();
    expect(bundleOf('/r/dist/lib/cli/main.js')).toBe('/r/dist/lib/cli/main.bundle.cjs');
    expect(bundleOf('/dev/null')).toBeUndefined(); // not a module: never its own "bundle"
    expect(cacheFileOf('/r/dist/compile-cache', '/r/dist/lib/cli/main.js', ['run', '--rm'])).toBe('/r/dist/compile-cache/cli-main.run.bin');
    expect(cacheFileOf('/r/dist/compile-cache', '/r/dist/lib/cli/main.js', ['--help'])).toBe('/r/dist/compile-cache/cli-main.bin');
    // the shim's first argument is a container ID, not a verb
    expect(cacheFileOf('/r/dist/compile-cache', '/r/dist/lib/container/shim.js', ['4f3a9c', '{}'])).toBe('/r/dist/compile-cache/container-shim.bin');
    expect(cacheFileOf('/r/dist/compile-cache', '/r/dist/lib/runtime/init.js', [])).toBe('/r/dist/compile-cache/runtime-init.bin');
  });

  it('call a missing bundle stale', () => {
    expect(api().bundleIsFresh(path.join(dist, 'lib', 'p.bundle.cjs'))).toBe(false);
    expect(api().bundleIsFresh(undefined)).toBe(false);
  });
});
