// docs/excerpts.ts: the generated code excerpts under the anchors of the notes — rendered, found
// stale and rewritten; on an in-memory source with nested regions and temporary notes files.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EXCERPT_BEGIN, EXCERPT_END, expandAnchors, regionBounds, type ReadSource } from './anchors.js';
import { anchorLines, duplicateEmbeds, embedsOf, oversizedEmbeds, renderExcerpt, syncExcerpts, updateExcerptFiles } from './excerpts.js';
import { manifestGoals, withGoals } from './goals.js';

const SOURCE = [
  '// a file with regions', //           line 1
  'export function outer() {', //        2
  '  // #region setup', //               3
  '  const a = 1;', //                   4
  '  // #region inner', //               5
  '  const b = 2;', //                   6
  '  // #endregion', //                  7
  '  return a + b;', //                  8
  '  // #endregion', //                  9
  '}', //                                10
  '',
].join('\n');
const EXERCISE = [
  'export function pivot(sys: Sys): void {',
  '  // #region exercise 1.pivot-root',
  '  //> // pivot_root(".", "."), then detach the old root',
  '  sys.pivotRoot(".", ".");',
  '  // #endregion',
  '}',
  '',
].join('\n');

const files: Record<string, string> = { 'lib/demo.ts': SOURCE, 'lib/rootfs.ts': EXERCISE };
const read: ReadSource = (rel) => files[rel];

describe('regionBounds', () => {
  it('gives the 0-based lines of a region and of the #endregion that closes it, nested ones counted', () => {
    expect(regionBounds(SOURCE, 'setup')).toEqual({ start: 2, end: 8 });
    expect(regionBounds(SOURCE, 'inner')).toEqual({ start: 4, end: 6 });
    expect(() => regionBounds(SOURCE, 'gone')).toThrow(/no region "gone"/);
  });
});

describe('renderExcerpt', () => {
  it('links the file and the lines between the markers, relative to the notes, then the code', () => {
    const block = renderExcerpt('stages/01-x/README.md', 'lib/demo.ts', 'setup', read);
    expect(block[0]).toBe(EXCERPT_BEGIN);
    expect(block[block.length - 1]).toBe(EXCERPT_END);
    expect(block[1]).toBe('[`lib/demo.ts`, lines 4–8](../../lib/demo.ts#L4-L8)');
    expect(block.slice(2).join('\n')).toBe('\n```ts\nconst a = 1;\nconst b = 2;\nreturn a + b;\n```\n' + EXCERPT_END);
  });

  it('shows an exercise as its stub, with the solution folded in <details>', () => {
    const text = renderExcerpt('docs/a.md', 'lib/rootfs.ts', '1.pivot-root', read, () => 'docs/a.md, "pivot"').join('\n');
    const [stub, solution] = text.split('<details><summary>Reveal the reference solution</summary>');
    expect(stub).toContain('Exercise `1.pivot-root`: you write this in `learn/lib/rootfs.ts`');
    expect(stub).toContain('todo("1.pivot-root", "docs/a.md, \\"pivot\\"");');
    expect(stub).not.toContain('sys.pivotRoot');
    expect(solution).toContain('sys.pivotRoot(".", ".");');
  });

  it('throws for an anchor that does not resolve', () => {
    expect(() => renderExcerpt('docs/a.md', 'lib/none.ts', 'x', read)).toThrow(/no such file lib\/none\.ts/);
    expect(() => renderExcerpt('docs/a.md', 'lib/demo.ts', 'x', read)).toThrow(/no region "x"/);
  });
});

describe('syncExcerpts: staleness', () => {
  const notes = '# T\n\nText.\n\n<<< lib/demo.ts#inner\n\nMore.\n';

  it('adds a missing excerpt under the anchor and reports the anchor', () => {
    const { markdown, stale } = syncExcerpts(notes, 'docs/a.md', read);
    expect(stale).toEqual([{ mdFile: 'docs/a.md', line: 5, message: '<<< lib/demo.ts#inner: it has no excerpt under it (npm run docs -- --write)' }]);
    expect(markdown).toContain(`<<< lib/demo.ts#inner\n${EXCERPT_BEGIN}\n[\`lib/demo.ts\`, lines 6–6](../lib/demo.ts#L6-L6)\n\n\`\`\`ts\nconst b = 2;\n\`\`\`\n${EXCERPT_END}\n\nMore.`);
  });

  it('is silent, and changes nothing, once the excerpt is current', () => {
    const current = syncExcerpts(notes, 'docs/a.md', read).markdown;
    expect(syncExcerpts(current, 'docs/a.md', read)).toEqual({ markdown: current, stale: [] });
  });

  it('reports an excerpt whose code changed, and one whose region moved (its line range is wrong)', () => {
    const current = syncExcerpts(notes, 'docs/a.md', read).markdown;
    const edited: ReadSource = (rel) => (rel === 'lib/demo.ts' ? SOURCE.replace('const b = 2;', 'const b = 3;') : read(rel));
    expect(syncExcerpts(current, 'docs/a.md', edited).stale.map((s) => s.message)).toEqual(['<<< lib/demo.ts#inner: its excerpt is stale (npm run docs -- --write)']);
    const moved: ReadSource = (rel) => (rel === 'lib/demo.ts' ? `// one more line\n${SOURCE}` : read(rel));
    const r = syncExcerpts(current, 'docs/a.md', moved);
    expect(r.stale).toHaveLength(1);
    expect(r.markdown).toContain('lines 7–7](../lib/demo.ts#L7-L7)');
  });

  it('leaves a broken anchor to expandAnchors, and anchors inside fenced code alone', () => {
    const text = '<<< lib/none.ts#x\n\n```md\n<<< lib/demo.ts#inner\n```\n';
    expect(syncExcerpts(text, 'docs/a.md', read)).toEqual({ markdown: text, stale: [] });
  });

  it('keeps an indented anchor (in a list item) indented with its excerpt', () => {
    const { markdown } = syncExcerpts('1. Step:\n\n   <<< lib/demo.ts#inner\n', 'docs/a.md', read);
    expect(markdown.split('\n').slice(3, 5)).toEqual([`   ${EXCERPT_BEGIN}`, '   [`lib/demo.ts`, lines 6–6](../lib/demo.ts#L6-L6)']);
  });
});

describe('the site ignores the excerpt', () => {
  it('expands the anchor once, drops the copy, and keeps later line numbers right', () => {
    const current = syncExcerpts('<<< lib/demo.ts#inner\n\n<<< lib/gone.ts#x\n', 'docs/a.md', read).markdown;
    const { markdown, errors } = expandAnchors(current, 'docs/a.md', read);
    expect(markdown).not.toContain('excerpt');
    expect(markdown.match(/const b = 2;/g)).toHaveLength(1);
    const line = current.split('\n').indexOf('<<< lib/gone.ts#x') + 1;
    expect(errors).toEqual([{ mdFile: 'docs/a.md', line, message: '<<< lib/gone.ts#x: no such file lib/gone.ts' }]);
  });

  it('does not mistake the copy’s code fences for the notes’ own', () => {
    const current = syncExcerpts('<<< lib/demo.ts#inner\n\n<<< lib/demo.ts#setup\n', 'docs/a.md', read).markdown;
    expect(anchorLines(current).map((a) => a.region)).toEqual(['inner', 'setup']);
  });
});

describe('rules about embeds', () => {
  const pages = [
    { mdFile: 'stages/01-x/README.md', markdown: '<<< lib/demo.ts#setup\n\n<<< lib/demo.ts#inner\n' },
    { mdFile: 'stages/02-y/README.md', markdown: 'x\n<<< ../../lib/demo.ts#setup\n' },
  ];

  it('refuses an anchor embedded twice (by any spelling of its path), naming the first place', () => {
    expect(duplicateEmbeds(embedsOf(pages))).toEqual([{
      mdFile: 'stages/02-y/README.md', line: 2,
      message: '<<< lib/demo.ts#setup: already embedded at stages/01-x/README.md:1; link to that section instead',
    }]);
  });

  it('flags a plain region longer than the limit, never an exercise region', () => {
    const long = ['// #region long', ...Array.from({ length: 5 }, (_, i) => `x${i};`), '// #endregion', '// #region exercise 9.big', ...Array.from({ length: 5 }, () => 'y;'), '// #endregion'].join('\n');
    const src: ReadSource = (rel) => (rel === 'lib/long.ts' ? long : undefined);
    const embeds = embedsOf([{ mdFile: 'docs/a.md', markdown: '<<< lib/long.ts#long\n<<< lib/long.ts#9.big\n' }]);
    expect(oversizedEmbeds(embeds, src, 4).map((e) => e.message)).toEqual(['<<< lib/long.ts#long: 5 lines, more than 4: split the region into named parts']);
    expect(oversizedEmbeds(embeds, src, 5)).toEqual([]);
  });
});

describe('updateExcerptFiles (--write)', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('rewrites the stale pages only, and a second run changes nothing', () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'excerpts-'));
    const put = (rel: string, text: string) => {
      fs.mkdirSync(path.dirname(path.join(dir!, rel)), { recursive: true });
      fs.writeFileSync(path.join(dir!, rel), text);
    };
    put('lib/demo.ts', SOURCE);
    put('stages/01-x/README.md', '# One\n\n<<< lib/demo.ts#inner\n');
    put('docs/plain.md', '# Plain\n');
    expect(updateExcerptFiles(dir)).toEqual(['stages/01-x/README.md']);
    expect(fs.readFileSync(path.join(dir, 'stages/01-x/README.md'), 'utf8')).toContain('const b = 2;');
    expect(updateExcerptFiles(dir)).toEqual([]);
  });
});

describe('goals at the top of a chapter', () => {
  it('reads a manifest’s goals, and nothing from a manifest without them', () => {
    expect(manifestGoals('{"n":1,"goals":["mount an overlay","explain it"]}')).toEqual(['mount an overlay', 'explain it']);
    expect(manifestGoals('{"n":1}')).toEqual([]);
    expect(manifestGoals('not json')).toEqual([]);
    expect(manifestGoals(undefined)).toEqual([]);
  });

  it('puts them under the title, not inside a code block that looks like one', () => {
    const md = '```sh\n# not a title\n```\n# Stage 1\n\nText.';
    const out = withGoals(md, ['one']).split('\n');
    const title = out.indexOf('# Stage 1');
    expect(out.slice(title + 1, title + 8)).toEqual(['', '<div class="goals">', '', '**After this stage you can:**', '', '- one', '']);
    expect(withGoals(md, [])).toBe(md);
  });
});
