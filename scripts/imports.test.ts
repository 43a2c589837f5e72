// The house's rules, checked on the code itself (docs/design.md, "The house"): no import cycles in
// lib/ (madge reads the TypeScript imports, type-only ones included), and the runtime wing knows
// nothing of the engine — lib/runtime imports no code of containers, images, networks, volumes
// or storage, so it can run any OCI bundle, as runc does.

import madge from 'madge';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

// madge's TypeScript parser warns about its own use of a deprecated AST property, once per file
process.noDeprecation = true;

/** lib/'s import graph: file → the files it imports, type-only imports included. */
async function lib(): Promise<Awaited<ReturnType<typeof madge>>> {
  return madge(path.join(repo, 'lib'), {
    fileExtensions: ['ts'],
    excludeRegExp: [/\.test\.ts$/],
    tsConfig: path.join(repo, 'tsconfig.json'),
    detectiveOptions: { ts: { skipTypeImports: false } },
  });
}

async function graph(): Promise<Record<string, string[]>> {
  return (await lib()).obj();
}

describe('the import graph of lib/', () => {
  it('has no cycles', async () => {
    expect((await lib()).circular()).toEqual([]);
  }, 60_000);

  it('is read completely: madge sees the runtime wing and its imports, type-only ones too', async () => {
    const g = await graph();
    expect(g['runtime/container.ts']).toContain('runtime/spec.ts');
    expect(g['runtime/cgroups/cgroup.ts']).toContain('runtime/spec.ts'); // `import type` only
    expect(Object.keys(g).filter((f) => f.startsWith('runtime/')).length).toBeGreaterThan(10);
  }, 60_000);

  it('keeps lib/runtime free of engine code (container, image, network, volumes, storage)', async () => {
    const g = await graph();
    const engine = /^(container|image|network|volumes|storage)\//;
    const offending = Object.entries(g)
      .filter(([file]) => file.startsWith('runtime/'))
      .flatMap(([file, deps]) => deps.filter((d) => engine.test(d)).map((d) => `${file} -> ${d}`));
    expect(offending).toEqual([]);
  }, 60_000);
});

describe('the runtime wing by its source text', () => {
  it('names no engine module in any import line (a second look, independent of madge)', () => {
    const src = (f: string) => readFileSync(path.join(repo, 'lib/runtime', f), 'utf8');
    for (const f of ['container.ts', 'init.ts', 'rootfs.ts', 'spec.ts', 'state.ts', 'cli.ts', 'sync.ts', 'hooks.ts', 'capabilities.ts', 'namespaces.ts']) {
      const imports = src(f).split('\n').filter((l) => /^import /.test(l));
      for (const l of imports) expect(l, `${f}: ${l}`).not.toMatch(/'\.\.\/(container|image|network|volumes|storage)\//);
    }
  });
});
