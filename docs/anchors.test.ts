// docs/anchors.ts: `<<< file#region` anchors parsed, regions extracted and dedented, links and
// headings rewritten, broken anchors reported; on small in-memory sources and temporary files.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  checkAnchors,
  dedent,
  expandAnchors,
  extractRegion,
  firstHeading,
  formatAnchorError,
  listSources,
  parseAnchor,
  rewriteLink,
  slugify,
  type ReadSource,
} from './anchors.js';

const SOURCE = [
  '// a file with regions',
  'export function outer() {',
  '  // #region setup',
  '  const a = 1;',
  '  // #region inner',
  '  const b = 2;',
  '  // #endregion',
  '',
  '  const c = a + b;',
  '  // #endregion',
  '  return c;',
  '}',
  '',
].join('\n');

const files: Record<string, string> = { 'lib/demo.ts': SOURCE };
const read: ReadSource = (rel) => files[rel];

describe('parseAnchor', () => {
  it('reads the file and the region of an anchor line', () => {
    expect(parseAnchor('<<< lib/demo.ts#setup')).toEqual({ indent: '', file: 'lib/demo.ts', region: 'setup' });
  });

  it('reads an anchor without a region as the whole file', () => {
    expect(parseAnchor('<<< lib/errors.ts')).toEqual({ indent: '', file: 'lib/errors.ts' });
  });

  it('ignores lines that merely mention <<<', () => {
    expect(parseAnchor('see <<< lib/demo.ts')).toBeNull();
    expect(parseAnchor('<<<')).toBeNull();
  });
});

describe('extractRegion', () => {
  it('returns the lines of a region that is found', () => {
    expect(extractRegion(SOURCE, 'inner')).toBe('const b = 2;');
  });

  it('keeps a nested region inside the outer one but drops its marker lines', () => {
    expect(extractRegion(SOURCE, 'setup')).toBe(['const a = 1;', 'const b = 2;', '', 'const c = a + b;'].join('\n'));
  });

  it('dedents the region to its least indented line', () => {
    const src = ['class A {', '    // #region m', '    f() {', '      return 1;', '    }', '    // #endregion', '}'].join('\n');
    expect(extractRegion(src, 'm')).toBe(['f() {', '  return 1;', '}'].join('\n'));
  });

  it('returns the whole file without region markers when no region is named', () => {
    const whole = extractRegion(SOURCE);
    expect(whole).not.toContain('#region');
    expect(whole).not.toContain('#endregion');
    expect(whole.split('\n')[0]).toBe('// a file with regions');
  });

  it('throws when the region does not exist', () => {
    expect(() => extractRegion(SOURCE, 'nope')).toThrow('no region "nope"');
  });

  it('throws when a region is never closed', () => {
    expect(() => extractRegion('// #region open\nx\n', 'open')).toThrow('has no #endregion');
  });
});

describe('dedent', () => {
  it('removes the common indentation and blanks whitespace-only lines', () => {
    expect(dedent(['    a', '      b', '   ', '    c'])).toEqual(['a', '  b', '', 'c']);
  });
});

describe('expandAnchors', () => {
  it('replaces a found region with a captioned ts fence', () => {
    const { markdown, errors } = expandAnchors('# T\n\n<<< lib/demo.ts#inner\n', 'stages/01-x/README.md', read);
    expect(errors).toEqual([]);
    expect(markdown).toContain('<code>lib/demo.ts</code> — region <code>inner</code>');
    expect(markdown).toContain('```ts\nconst b = 2;\n```');
  });

  it('embeds the whole file when the anchor names no region', () => {
    const { markdown, errors } = expandAnchors('<<< lib/demo.ts', 'docs/a.md', read);
    expect(errors).toEqual([]);
    expect(markdown).toContain('(whole file)');
    expect(markdown).toContain('export function outer() {');
  });

  it('reports a missing file with the markdown file and line', () => {
    const { errors } = expandAnchors('# T\n\n<<< lib/missing.ts#x\n', 'stages/01-x/README.md', read);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ mdFile: 'stages/01-x/README.md', line: 3 });
    expect(formatAnchorError(errors[0])).toBe(
      'minidock: docs: stages/01-x/README.md:3: <<< lib/missing.ts#x: no such file lib/missing.ts',
    );
  });

  it('reports a missing region with the file it looked in', () => {
    const { errors } = expandAnchors('<<< lib/demo.ts#gone', 'docs/a.md', read);
    expect(errors.map(formatAnchorError)).toEqual([
      'minidock: docs: docs/a.md:1: <<< lib/demo.ts#gone: no region "gone" in lib/demo.ts',
    ]);
  });

  it('leaves anchors inside fenced code alone', () => {
    const text = '```md\n<<< lib/missing.ts#x\n```\n';
    expect(expandAnchors(text, 'docs/a.md', read)).toEqual({ markdown: text, errors: [] });
  });

  it('resolves ./ and ../ paths against the markdown file and refuses paths outside the repository', () => {
    const ok = expandAnchors('<<< ../../lib/demo.ts#inner', 'stages/01-x/README.md', read);
    expect(ok.errors).toEqual([]);
    const bad = expandAnchors('<<< ../../etc/passwd', 'docs/a.md', read);
    expect(bad.errors[0].message).toContain('leaves the repository');
  });
});

describe('links and headings', () => {
  it('rewrites relative links to markdown files into links to pages', () => {
    expect(rewriteLink('../03-overlay2/README.md')).toBe('../03-overlay2/README.html');
    expect(rewriteLink('glossary.md#whiteout')).toBe('glossary.html#whiteout');
  });

  it('leaves absolute urls, fragments and other files alone', () => {
    expect(rewriteLink('https://example.com/a.md')).toBe('https://example.com/a.md');
    expect(rewriteLink('#section')).toBe('#section');
    expect(rewriteLink('../../lib/errors.ts')).toBe('../../lib/errors.ts');
  });

  it('takes the title from the first level-one heading outside code', () => {
    expect(firstHeading('```\n# not this\n```\n\n# Stage 3: overlay2\n## sub')).toBe('Stage 3: overlay2');
  });

  it('makes GitHub-style heading ids', () => {
    expect(slugify('Whiteout & opaque dir')).toBe('whiteout--opaque-dir');
    expect(slugify('DiffID, ChainID')).toBe('diffid-chainid');
  });
});

describe('checkAnchors', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  function tree(entries: Record<string, string>): string {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'minidock-docs-'));
    for (const [rel, text] of Object.entries(entries)) {
      fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
      fs.writeFileSync(path.join(dir, rel), text);
    }
    return dir;
  }

  it('finds no errors when every anchor resolves', () => {
    const root = tree({
      'lib/demo.ts': SOURCE,
      'stages/01-ns/README.md': '# One\n\n<<< lib/demo.ts#setup\n',
      'docs/glossary.md': '# Glossary\n\n<<< lib/demo.ts\n',
    });
    expect(checkAnchors(root)).toEqual([]);
  });

  it('names each broken anchor across stages and docs', () => {
    const root = tree({
      'lib/demo.ts': SOURCE,
      'stages/02-cg/README.md': '# Two\n<<< lib/demo.ts#missing\n',
      'docs/vm.md': '# VM\n\n\n<<< lib/nothing.ts\n',
    });
    expect(checkAnchors(root).map(formatAnchorError)).toEqual([
      'minidock: docs: stages/02-cg/README.md:2: <<< lib/demo.ts#missing: no region "missing" in lib/demo.ts',
      'minidock: docs: docs/vm.md:4: <<< lib/nothing.ts: no such file lib/nothing.ts',
    ]);
  });

  it('lists stage folders in numeric order and skips folders that are not stages', () => {
    const root = tree({
      'stages/10-engine/README.md': '# Ten',
      'stages/2-cgroups/README.md': '# Two',
      'stages/00-preflight/README.md': '# Zero',
      'stages/notes/README.md': '# Not a stage',
    });
    expect(listSources(root).stages).toEqual([
      'stages/00-preflight/README.md',
      'stages/2-cgroups/README.md',
      'stages/10-engine/README.md',
    ]);
  });
});

describe('exercise regions in the notes', () => {
  const EXERCISE = [
    'export function pivot(sys: Sys): void {',
    '  // #region exercise 1.pivot-root',
    '  //> // pivot_root(".", "."), then detach the old root',
    '  sys.pivotRoot(".", ".");',
    '  sys.umount2(".", MNT_DETACH);',
    '  // #endregion',
    '}',
    '',
  ].join('\n');
  const ex: ReadSource = (rel) => (rel === 'lib/rootfs.ts' ? EXERCISE : files[rel]);

  it('finds an exercise region by its id, not by the word "exercise"', () => {
    expect(extractRegion(EXERCISE, '1.pivot-root')).toContain('sys.pivotRoot(".", ".");');
    expect(() => extractRegion(EXERCISE, 'exercise')).toThrow(/no region "exercise"/);
  });

  it('shows the stub (starter lines, then todo) and folds the solution into a <details> block', () => {
    const { markdown, errors } = expandAnchors('<<< lib/rootfs.ts#1.pivot-root', 'stages/01-x/README.md', ex, () => 'stages/01-x/README.md, "pivot_root"');
    expect(errors).toEqual([]);
    const [stubPart, solutionPart] = markdown.split('<details><summary>Reveal the reference solution</summary>');
    expect(stubPart).toContain('// pivot_root(".", "."), then detach the old root\ntodo("1.pivot-root", "stages/01-x/README.md, \\"pivot_root\\"");');
    expect(stubPart).not.toContain('sys.pivotRoot');
    expect(solutionPart).toContain('sys.pivotRoot(".", ".");\nsys.umount2(".", MNT_DETACH);');
    expect(solutionPart).not.toContain('//>');
    expect(solutionPart.trim().endsWith('</details>')).toBe(true);
  });

  it('renders the folded solution and an answer written as raw <details> into HTML (markdown-it html: true)', async () => {
    const { default: MarkdownIt } = await import('markdown-it');
    const { markdown } = expandAnchors('<<< lib/rootfs.ts#1.pivot-root\n\n<details><summary>Answer</summary>\n\nIt is **42**.\n\n</details>\n', 'stages/01-x/README.md', ex);
    const html = new MarkdownIt({ html: true }).render(markdown);
    expect(html).toMatch(/<details><summary>Reveal the reference solution<\/summary>\s*<pre><code class="language-ts">sys\.pivotRoot/);
    expect(html).toContain('<p>It is <strong>42</strong>.</p>');
  });

  it('keeps plain regions as they were: an anchor to a normal region shows its code, no <details>', () => {
    const { markdown } = expandAnchors('<<< lib/demo.ts#inner', 'docs/a.md', read);
    expect(markdown).toContain('const b = 2;');
    expect(markdown).not.toContain('<details>');
  });
});
