// docs/links.ts: the docs build's link checks (files, headings and their GitHub ids, line ranges,
// quoted section titles, seed-note citations) on a small in-memory repository.

import { describe, expect, it } from 'vitest';
import {
  checkLink,
  checkMarkdownLinks,
  checkPathMentions,
  checkSectionReferences,
  checkSeedCitations,
  formatLinkError,
  headingIds,
  headings,
  markdownLinks,
  sectionReferences,
  type Repo,
} from './links.js';

const files: Record<string, string> = {
  'stages/01-ns/README.md': [
    '# Stage 1',
    '## Why `pivot_root`, not chroot',
    '```sh',
    '# a comment, not a heading',
    '```',
    '## The [sync](x.md) protocol',
    '## Exercises',
    '## Exercises',
  ].join('\n'),
  'lib/a.ts': 'one\ntwo\nthree',
};
const repo: Repo = { read: (rel) => files[rel], isDir: (rel) => rel === 'lib' };

describe('headings and their ids', () => {
  it('reads the visible text of headings outside fenced code', () => {
    expect(headings(files['stages/01-ns/README.md'])).toEqual(['Stage 1', 'Why pivot_root, not chroot', 'The sync protocol', 'Exercises', 'Exercises']);
  });

  it('gives GitHub’s ids, a repeated one suffixed', () => {
    expect([...headingIds(files['stages/01-ns/README.md'])]).toEqual(['stage-1', 'why-pivot_root-not-chroot', 'the-sync-protocol', 'exercises', 'exercises-1']);
  });
});

describe('markdownLinks', () => {
  it('finds inline links, not those in code spans or fenced code', () => {
    const md = 'See [a](../a.md#x) and `[b](b.md)`.\n```\n[c](c.md)\n```\n[d](<d e.md> "title")';
    expect(markdownLinks(md)).toEqual([{ index: 0, href: '../a.md#x' }, { index: 4, href: 'd e.md' }]);
  });
});

describe('checkLink', () => {
  const from = 'stages/02-cg/README.md';

  it('accepts a file, a heading of a markdown file, a folder, a line range inside a file, and URLs', () => {
    expect(checkLink(from, '../01-ns/README.md', repo)).toBeNull();
    expect(checkLink(from, '../01-ns/README.md#why-pivot_root-not-chroot', repo)).toBeNull();
    expect(checkLink(from, '../01-ns/README.md#exercises-1', repo)).toBeNull();
    expect(checkLink(from, '../../lib', repo)).toBeNull();
    expect(checkLink(from, '../../lib/a.ts#L2-L3', repo)).toBeNull();
    expect(checkLink(from, 'https://example.com/x.md', repo)).toBeNull();
  });

  it('refuses a missing file, a missing heading, a range past the end, a path out of the repository', () => {
    expect(checkLink(from, '../01-ns/READ.md', repo)).toBe('link to a missing file: ../01-ns/READ.md');
    expect(checkLink(from, '../01-ns/README.md#why-not-chroot', repo)).toBe('link to a missing heading: ../01-ns/README.md#why-not-chroot (stages/01-ns/README.md has no "#why-not-chroot")');
    expect(checkLink(from, '../../lib/a.ts#L2-L4', repo)).toBe('link ../../lib/a.ts#L2-L4: lib/a.ts has only 3 lines');
    expect(checkLink(from, '../../../etc/passwd', repo)).toBe('link ../../../etc/passwd leaves the repository');
  });

  it('checks a fragment on the page itself', () => {
    expect(checkLink('stages/01-ns/README.md', '#the-sync-protocol', repo)).toBeNull();
    expect(checkLink('stages/01-ns/README.md', '#gone', repo)).toMatch(/missing heading/);
  });

  it('reports with the file and line', () => {
    const errors = checkMarkdownLinks('stages/02-cg/README.md', 'x\n[y](../01-ns/README.md#nope)\n', repo);
    expect(errors.map(formatLinkError)).toEqual(['minidock: docs: stages/02-cg/README.md:2: link to a missing heading: ../01-ns/README.md#nope (stages/01-ns/README.md has no "#nope")']);
  });
});

describe('quoted section titles', () => {
  it('finds a title quoted after a notes path, not a template', () => {
    const text = '// Stage 1 notes: stages/01-ns/README.md, "Why pivot_root".\n// see `${dir}/README.md, "${e.section}"` and docs/x.md "<section>"';
    expect(sectionReferences(text)).toEqual([{ index: 0, target: 'stages/01-ns/README.md', title: 'Why pivot_root' }]);
  });

  it('accepts a title that begins a heading (case and backticks aside); refuses a renamed one and a missing file', () => {
    const text = [
      'stages/01-ns/README.md, "why `pivot_root`"',
      'stages/01-ns/README.md, "Why not chroot"',
      'stages/09-x/README.md, "Anything"',
    ].join('\n');
    expect(checkSectionReferences('lib/x.ts', text, repo)).toEqual([
      { file: 'lib/x.ts', line: 2, message: 'stages/01-ns/README.md has no section "Why not chroot"' },
      { file: 'lib/x.ts', line: 3, message: 'names a missing file: stages/09-x/README.md' },
    ]);
  });
});

describe('checkPathMentions', () => {
  it('refuses a source path in a code span that does not exist; accepts folders, built .js names and patterns', () => {
    const md = [
      'See `lib/a.ts`, `lib/`, `dist/lib/a.js` and `lib/a.js`.',
      'Moved: `lib/rootfs.ts`, and `stages/NN-topic/README.md` is a pattern.',
      '```',
      '`lib/in-a-fence.ts`',
      '```',
    ].join('\n');
    expect(checkPathMentions('docs/x.md', md, repo)).toEqual([{ file: 'docs/x.md', line: 2, message: 'names a missing file: lib/rootfs.ts' }]);
  });
});

describe('checkSeedCitations', () => {
  it('refuses a seed note named by its file name in prose, not in fenced code or by title', () => {
    const md = [
      'Read *Docker in depth* — "5. 容器安全".',
      '- `004_555c8b20fd6c7d18.txt` — "3. Docker 组件"; also 001_2e303550d17bd9fe.',
      '```',
      'ls ../shared/seeds/000_f1946756a374acd9.txt',
      '```',
    ].join('\n');
    expect(checkSeedCitations('stages/07/README.md', md).map((e) => [e.line, e.message.split(' by ')[0]])).toEqual([
      [2, 'cites the seed note 004_555c8b20fd6c7d18.txt'],
      [2, 'cites the seed note 001_2e303550d17bd9fe'],
    ]);
  });
});

describe('quoted titles after "stage N"', () => {
  const withStages: Repo = { ...repo, stageReadme: (n) => (n === 1 ? 'stages/01-ns/README.md' : undefined) };

  it('resolves the stage to its README and checks the title there', () => {
    const text = 'see stage 1, "The sync protocol" and stage 1 "Exercise list"; stage 7, "Whatever" has no README here';
    expect(sectionReferences(text, withStages.stageReadme)).toHaveLength(2);
    expect(checkSectionReferences('docs/x.md', text, withStages)).toEqual([
      { file: 'docs/x.md', line: 1, message: 'stages/01-ns/README.md has no section "Exercise list"' },
    ]);
  });
});
