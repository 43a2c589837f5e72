// scripts/bundle.ts: the one rewrite that makes a bundle behave like its modules — each module's
// import.meta.url becomes that module's own address under dist/, computed from the bundle's.

import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { inputsOf, moduleUrlIn, PROGRAMS } from './bundle.js';

/** Evaluate moduleUrlIn's expression the way the bundle does, with its own __bundleUrl. */
function evaluate(expression: string, bundle: string): string {
  return new Function('__bundleUrl', `return ${expression};`)(pathToFileURL(bundle)) as string;
}

describe('moduleUrlIn', () => {
  it("gives each module its own address: container.js's, not the cli bundle's", () => {
    const bundle = '/repo/dist/lib/cli/main.bundle.cjs';
    for (const id of ['/repo/dist/lib/runtime/container.js', '/repo/dist/lib/cli/main.js', '/repo/dist/lib/sys/ffi.js']) {
      expect(evaluate(moduleUrlIn(bundle, id), bundle)).toBe(pathToFileURL(id).href);
    }
  });

  it('moves with the repository: only relative paths are written into the bundle', () => {
    const expression = moduleUrlIn('/repo/dist/lib/cli/main.bundle.cjs', '/repo/dist/lib/runtime/init.js');
    expect(expression).not.toContain('/repo');
    expect(evaluate(expression, '/elsewhere/dist/lib/cli/main.bundle.cjs')).toBe(pathToFileURL('/elsewhere/dist/lib/runtime/init.js').href);
  });

  it('escapes what a URL path cannot hold', () => {
    const bundle = '/my repo/dist/lib/cli/main.bundle.cjs';
    const id = '/my repo/dist/lib/odd #name%.js';
    expect(evaluate(moduleUrlIn(bundle, id), bundle)).toBe(pathToFileURL(id).href);
  });
});

describe('PROGRAMS', () => {
  it('are the files the engine starts with node: the two bin/ commands and each programArgs() caller\'s', () => {
    const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
    const started = new Set<string>();
    for (const bin of ['bin/minidock', 'bin/minidock-runtime']) {
      for (const m of readFileSync(path.join(repo, bin), 'utf8').matchAll(/dist\/(lib\/[\w/-]+\.js)/g)) started.add(m[1]);
    }
    for (const file of readdirSync(path.join(repo, 'lib'), { recursive: true }) as string[]) {
      if (!file.endsWith('.ts') || file.endsWith('.test.ts') || file === 'program.ts') continue;
      const text = readFileSync(path.join(repo, 'lib', file), 'utf8');
      if (!text.includes('programArgs(')) continue;
      const js = `lib/${file.replace(/\.ts$/, '.js')}`;
      for (const m of text.matchAll(/new URL\('\.\/([\w-]+\.js)', import\.meta\.url\)/g)) started.add(path.posix.join(path.posix.dirname(js), m[1]));
      if (/= fileURLToPath\(import\.meta\.url\)/.test(text)) started.add(js); // the shim starts its own file
    }
    expect([...started].sort()).toEqual([...PROGRAMS].sort());
  });
});

describe('inputsOf', () => {
  it('names the list of a bundle\'s files beside it, where launch.cts looks for it', () => {
    expect(inputsOf('/r/dist/lib/cli/main.bundle.cjs')).toBe('/r/dist/lib/cli/main.bundle.inputs.json');
    const launcher = readFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'lib', 'launch.cts'), 'utf8');
    expect(launcher).toContain(".replace(/\\.cjs$/, '.inputs.json')");
  });
});
