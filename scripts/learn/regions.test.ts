// scripts/learn/regions.ts: exercise regions found, stubbed with todo() and put back, on small
// literal sources.

import { describe, expect, it } from 'vitest';
import { findRegions, regionBody, replaceRegionBody, stubFile } from './regions.js';

const FILE = [
  "import { a } from './a.js';",
  'import {',
  '  b,',
  "} from './b.js';",
  '',
  '// a comment',
  'export function lower(layers: string[]): string {',
  '  // #region lowerdir-doc',
  '  // #region exercise 3.lowerdir',
  '  //> const parts: string[] = [];',
  '  const parts = layers.map((l) => `l/${l}`);',
  '  // #region inner',
  '  const joined = parts.join(":");',
  '  // #endregion',
  '  return joined;',
  '  // #endregion',
  '  // #endregion',
  '}',
].join('\n');

describe('exercise regions', () => {
  it('finds a region by its id and stage, past nested anchor regions', () => {
    const [r] = findRegions(FILE);
    expect(r).toMatchObject({ id: '3.lowerdir', stage: 3, start: 8, end: 15, indent: '  ' });
  });

  it('stubs a region: markers kept, starter lines become code, todo() last, todo imported after the imports', () => {
    const { text, stubbed } = stubFile(FILE, () => true, () => 'stages/03-overlay2/README.md', '../todo.js');
    expect(stubbed).toEqual(['3.lowerdir']);
    const lines = text.split('\n');
    expect(lines[4]).toBe("import { todo } from '../todo.js';");
    expect(lines.slice(9, 13)).toEqual([
      '  // #region exercise 3.lowerdir',
      '  const parts: string[] = [];',
      '  todo("3.lowerdir", "stages/03-overlay2/README.md");',
      '  // #endregion',
    ]);
    expect(text).not.toContain('l/${l}');
  });

  it('stubs a region followed by more code as `void todo()`, so the code after it stays reachable for the typechecker', () => {
    const mid = ['function f(sys: { go(): void }): number {', '  // #region exercise 1.mid', '  sys.go();', '  // #endregion', '  sys.go();', '  return 1;', '}'].join('\n');
    const lines = stubFile(mid, () => true, () => 'w', './todo.js').text.split('\n');
    expect(lines[3]).toBe('  void todo("1.mid", "w");');
  });

  it('leaves a file alone when no region is chosen (no import added)', () => {
    expect(stubFile(FILE, () => false, () => '', '../todo.js').text).toBe(FILE);
  });

  it('takes a region body out and puts one back (learn solution --apply)', () => {
    const body = regionBody(FILE, '3.lowerdir');
    const { text } = stubFile(FILE, () => true, () => 'x', '../todo.js');
    expect(replaceRegionBody(text, '3.lowerdir', body)).toBe(stubFile(FILE, () => false, () => '', '').text.replace("} from './b.js';\n", "} from './b.js';\nimport { todo } from '../todo.js';\n"));
  });

  it('refuses a region without its #endregion, and one exercise inside another', () => {
    expect(() => findRegions('// #region exercise 1.a\nx();\n', 'f.ts')).toThrow(/f.ts:1: exercise 1.a has no #endregion/);
    expect(() => findRegions('// #region exercise 1.a\n// #region exercise 1.b\n// #endregion\n// #endregion\n', 'f.ts')).toThrow(/f.ts:2: exercise region inside exercise 1.a/);
  });
});
