// npm run build, second half: each Node program of the engine as one CommonJS file, its bundle.
//
// tsc (the first half) writes every lib/ file as an ES module under dist/. That is what learners
// read and what the tests import, and each program runs from it as it is. But Node pays per module
// at every start (resolve, read, compile: ~50 ms for the cli's ~100), and `minidock run` starts
// two or three programs. So each program is also bundled here — all its modules in one file,
// next to its entry: dist/lib/cli/main.js → dist/lib/cli/main.bundle.cjs, with the list of the
// files it was made from in main.bundle.inputs.json — and lib/launch.cts starts the bundle,
// with V8's code cache, whenever none of those files is newer than it.
//
// One rewrite makes a bundle behave like its modules: `import.meta.url` (a module's own address,
// used to find init.js beside container.js, or ffi-rs from ffi.js) becomes the address that
// module has under dist/, computed from where the bundle is. Nothing else changes: the bundle
// runs the same code, and `lazy` imports (the cli's verbs) stay lazy inside it.

import { renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'rolldown';

const dist = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The engine's programs: every file started as `node FILE` (through dist/lib/launch.cjs). */
export const PROGRAMS = [
  'lib/cli/main.js', // bin/minidock
  'lib/runtime/cli.js', // bin/minidock-runtime
  'lib/runtime/init.js', // the container's first process (runtime/container.ts starts it)
  'lib/container/shim.js', // the parent of a detached container (container/shim.ts)
  'lib/runtime/exec-enter.js', // the process exec starts in a container's PID namespace (runtime/exec.ts)
];

/** Beside each bundle, the list of the files it was made from (launch.cts reads it too). */
export function inputsOf(bundle: string): string {
  return bundle.replace(/\.cjs$/, '.inputs.json');
}

/** Bundled into the program: every module but ffi-rs, whose native binary Node must load itself. */
const EXTERNAL = [/^ffi-rs$/, /^@yuuang\//, /\.node$/];

/** The expression a bundle uses instead of `import.meta.url` in the module `id`. */
export function moduleUrlIn(bundle: string, id: string): string {
  const rel = path.relative(path.dirname(bundle), id).split(path.sep).map(encodeURIComponent).join('/');
  return `new URL(${JSON.stringify(rel)}, __bundleUrl).href`;
}

/** Rewrite import.meta.url, module by module, as it is read into the bundle. */
function moduleUrls(bundle: string): Plugin {
  return {
    name: 'minidock-module-urls',
    transform(code, id) {
      if (!code.includes('import.meta.url')) return null;
      return code.replaceAll('import.meta.url', moduleUrlIn(bundle, id));
    },
  };
}

/** Write a file under another name, then rename it: a reader sees the old file or the new one. */
function writeWhole(file: string, text: string): void {
  writeFileSync(`${file}.${process.pid}`, text);
  renameSync(`${file}.${process.pid}`, file);
}

export async function bundleAll(root: string): Promise<string[]> {
  const written: string[] = [];
  for (const program of PROGRAMS) {
    const input = path.join(root, program);
    const file = input.replace(/\.js$/, '.bundle.cjs');
    const { output } = await build({
      input,
      platform: 'node',
      external: EXTERNAL,
      plugins: [moduleUrls(file)],
      logLevel: 'warn',
      write: false, // written below, whole, so that a start during a build never reads half a bundle
      output: {
        file,
        format: 'cjs',
        codeSplitting: false,
        // ES modules are strict mode; a CommonJS file is only if it says so
        strict: true,
        // the bundle's own address, for moduleUrlIn's expressions (a name no module uses)
        intro: "const __bundleUrl = require('node:url').pathToFileURL(__filename);",
      },
    });
    // The modules of dist/ it was made from, for launch.cts to tell whether tsc rewrote any since
    // (a `tsc --watch` rewrites only the files it recompiled, seldom the entry itself). Not the
    // packages from node_modules: only npm changes them, and vagrant/provision.sh follows every
    // `npm ci` with `npm run build`; their times are npm's, from whenever — and by whatever clock —
    // they were unpacked (on a machine whose clock was set back, all of them look newer).
    const [chunk] = output;
    const inputs = chunk.moduleIds.filter((id) => path.isAbsolute(id) && !path.relative(root, id).startsWith('..')).map((id) => path.relative(path.dirname(file), id));
    // the list first: until the new bundle is in place, the old one is older than tsc's modules
    writeWhole(inputsOf(file), `${JSON.stringify(inputs, null, 1)}\n`);
    writeWhole(file, chunk.code);
    written.push(file);
  }
  // Caches made from the previous bundles no longer count (launch.cts checks each one's stamp);
  // remove them if we may (a build as a user after root's runs may not: they just stay unused).
  try {
    rmSync(path.join(root, 'compile-cache'), { recursive: true, force: true });
  } catch {
    // root's files in a user's dist/
  }
  return written;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const files = await bundleAll(dist);
  console.log(`bundled ${files.length} programs: ${files.map((f) => path.relative(dist, f)).join(', ')}`);
}
