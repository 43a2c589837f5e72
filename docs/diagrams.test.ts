// The pictures' check: well-formed SVG, every picture shown, every shown picture there.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkDiagrams, imageRefs, svgProblem } from './diagrams.js';
import { listSources } from './anchors.js';

const GOOD = `<?xml version="1.0"?>
<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10">
<title>a box &amp; a line</title>
<!-- a comment -->
<rect x="1" y="1" width="8" height="8"/>
<text x='1' y="9">a &lt; b &#x2192; c</text>
</svg>
`;

describe('svgProblem', () => {
  it('accepts a well-formed SVG with a title', () => {
    expect(svgProblem(GOOD)).toBeNull();
  });

  it.each([
    ['an unclosed element', GOOD.replace('</svg>', ''), /<svg> is never closed/],
    ['crossed tags', GOOD.replace('</text>', '</rect>'), /<\/rect> closes <text>/],
    ['a bare ampersand', GOOD.replace('&amp;', '&'), /bare "&"/],
    ['an unquoted value', GOOD.replace('x="1" y="1"', 'x=1 y="1"'), /must be quoted/],
    ['a duplicate attribute', GOOD.replace('x="1" y="1"', 'x="1" x="2"'), /x given twice/],
    ['a "<" in text', GOOD.replace('a &lt; b', 'a < b'), /starts no tag/],
    ['no namespace', GOOD.replace(' xmlns="http://www.w3.org/2000/svg"', ''), /xmlns/],
    ['no title', GOOD.replace(/<title>.*<\/title>/, ''), /no <title>/],
    ['another root', '<html></html>', /not <svg>/],
  ])('refuses %s, saying where', (_what, text, message) => {
    const problem = svgProblem(text);
    expect(problem?.message).toMatch(message);
    expect(problem?.line).toBeGreaterThan(0);
  });

  it('accepts every picture in docs/', () => {
    const root = path.resolve(__dirname, '..');
    expect(checkDiagrams(root, [...listSources(root).stages, ...listSources(root).docs])).toEqual([]);
  });
});

describe('imageRefs', () => {
  it('finds markdown images and <img> tags with their lines, not plain links', () => {
    expect(imageRefs('x\n![a](../../docs/a.svg) and [link](b.svg)\n<img alt="" src="c.svg">')).toEqual([
      { src: '../../docs/a.svg', line: 2 },
      { src: 'c.svg', line: 3 },
    ]);
  });
});

describe('checkDiagrams', () => {
  let root = '';
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('names a missing picture, a picture nobody shows, and a stage without one', () => {
    root = mkdtempSync(path.join(tmpdir(), 'diagrams-'));
    mkdirSync(path.join(root, 'docs'));
    mkdirSync(path.join(root, 'stages/01-x'), { recursive: true });
    mkdirSync(path.join(root, 'stages/02-y'), { recursive: true });
    writeFileSync(path.join(root, 'docs/shown.svg'), GOOD);
    writeFileSync(path.join(root, 'docs/orphan.svg'), GOOD);
    writeFileSync(path.join(root, 'stages/01-x/README.md'), '# x\n\n![shown](../../docs/shown.svg)\n![gone](../../docs/gone.svg)\n');
    writeFileSync(path.join(root, 'stages/02-y/README.md'), '# y\n');
    const errors = checkDiagrams(root, ['stages/01-x/README.md', 'stages/02-y/README.md']);
    expect(errors).toEqual([
      { mdFile: 'stages/01-x/README.md', line: 4, message: 'picture ../../docs/gone.svg: no such file' },
      { mdFile: 'stages/02-y/README.md', line: 1, message: expect.stringMatching(/shows none/) },
      { mdFile: 'docs/orphan.svg', line: 1, message: expect.stringMatching(/no page shows this picture/) },
    ]);
  });
});
