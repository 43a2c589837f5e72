// The notes' pictures: hand-written SVG files in docs/, shown by the stage notes with an ordinary
// markdown image, `![what it shows](../../docs/namespaces.svg)` — a relative link that works in
// the built site (docs/build.ts copies docs/*.svg beside the pages) and on GitHub alike.
//
// Nothing draws them at build time, so nothing catches a broken one but this check, which the
// docs build runs and which fails it:
//   - each docs/*.svg is well-formed XML whose root is <svg xmlns="http://www.w3.org/2000/svg">
//     and which has a <title> (what a screen reader says);
//   - each picture a page shows exists;
//   - each docs/*.svg is shown by some page, and each stage's notes show at least one.
//
// Pure except `checkDiagrams`, which reads the repository.

import fs from 'node:fs';
import path from 'node:path';
import type { AnchorError } from './anchors.js';

const SVG_NS = 'http://www.w3.org/2000/svg';
const NAME = /^[A-Za-z_:][-A-Za-z0-9_:.]*/;
const ENTITY = /^&(?:lt|gt|amp|quot|apos|#[0-9]+|#x[0-9A-Fa-f]+);/;

/** Where a well-formedness error is: 1-based line. */
function lineAt(text: string, index: number): number {
  return text.slice(0, index).split('\n').length;
}

/** Entity references in text or an attribute value must be one of XML's five or a character reference. */
function badAmpersand(s: string): number {
  for (let i = s.indexOf('&'); i !== -1; i = s.indexOf('&', i + 1)) if (!ENTITY.test(s.slice(i))) return i;
  return -1;
}

// #region well-formed
/**
 * Why `text` is not well-formed XML (an SVG file's subset: elements, attributes, text, comments,
 * an XML declaration; no DTD), or null when it is. Also requires the root to be an svg element
 * in the SVG namespace with a <title>. A small checker instead of a dependency: what it accepts
 * any XML parser accepts.
 */
export function svgProblem(text: string): { line: number; message: string } | null {
  const stack: { name: string; at: number }[] = [];
  let root: string | undefined;
  let rootAttrs = new Map<string, string>();
  let hasTitle = false;
  let i = 0;
  const fail = (at: number, message: string) => ({ line: lineAt(text, at), message });
  while (i < text.length) {
    const lt = text.indexOf('<', i);
    const chunk = text.slice(i, lt === -1 ? text.length : lt);
    const amp = badAmpersand(chunk);
    if (amp !== -1) return fail(i + amp, 'a bare "&" in text: write &amp;amp;');
    if (stack.length === 0 && chunk.trim() !== '') return fail(i, 'text outside the root element');
    if (lt === -1) break;
    if (text.startsWith('<!--', lt)) {
      const end = text.indexOf('-->', lt + 4);
      if (end === -1) return fail(lt, 'an unclosed comment');
      i = end + 3;
      continue;
    }
    if (text.startsWith('<?', lt)) {
      if (root !== undefined || stack.length) return fail(lt, 'a processing instruction after the root started');
      const end = text.indexOf('?>', lt);
      if (end === -1) return fail(lt, 'an unclosed <?…?>');
      i = end + 2;
      continue;
    }
    if (text.startsWith('<!', lt)) return fail(lt, 'a DTD or CDATA section (not used in these pictures)');
    if (text[lt + 1] === '/') {
      const name = NAME.exec(text.slice(lt + 2))?.[0];
      const end = text.indexOf('>', lt);
      if (!name || end === -1 || text.slice(lt + 2 + name.length, end).trim() !== '') return fail(lt, 'a malformed end tag');
      const open = stack.pop();
      if (!open) return fail(lt, `</${name}> closes nothing`);
      if (open.name !== name) return fail(lt, `</${name}> closes <${open.name}> (line ${lineAt(text, open.at)})`);
      i = end + 1;
      continue;
    }
    // a start tag: <name (attr="value")* /?>
    const name = NAME.exec(text.slice(lt + 1))?.[0];
    if (!name) return fail(lt, 'a "<" that starts no tag: write &amp;lt;');
    if (stack.length === 0 && root !== undefined) return fail(lt, 'a second root element');
    let j = lt + 1 + name.length;
    const attrs = new Map<string, string>();
    for (;;) {
      const ws = /^\s*/.exec(text.slice(j))![0].length;
      j += ws;
      if (text.startsWith('/>', j) || text[j] === '>') break;
      if (ws === 0) return fail(j, `<${name}>: attributes need a space between them`);
      const attr = NAME.exec(text.slice(j))?.[0];
      if (!attr) return fail(j, `<${name}>: a malformed attribute`);
      j += attr.length;
      const m = /^\s*=\s*(["'])/.exec(text.slice(j));
      if (!m) return fail(j, `<${name} ${attr}>: the value must be quoted`);
      j += m[0].length;
      const close = text.indexOf(m[1], j);
      if (close === -1) return fail(j, `<${name} ${attr}>: an unterminated value`);
      const value = text.slice(j, close);
      if (value.includes('<')) return fail(j, `<${name} ${attr}>: "<" in a value`);
      if (badAmpersand(value) !== -1) return fail(j, `<${name} ${attr}>: a bare "&" in a value`);
      if (attrs.has(attr)) return fail(j, `<${name}>: ${attr} given twice`);
      attrs.set(attr, value);
      j = close + 1;
    }
    const selfClosing = text.startsWith('/>', j);
    if (root === undefined) {
      root = name;
      rootAttrs = attrs;
    }
    if (name === 'title' && stack.length === 1) hasTitle = true;
    if (!selfClosing) stack.push({ name, at: lt });
    i = j + (selfClosing ? 2 : 1);
  }
  if (stack.length) return fail(stack[stack.length - 1].at, `<${stack[stack.length - 1].name}> is never closed`);
  if (root !== 'svg') return { line: 1, message: `the root element is <${root ?? 'nothing'}>, not <svg>` };
  if (rootAttrs.get('xmlns') !== SVG_NS) return { line: 1, message: `<svg> needs xmlns="${SVG_NS}" (a browser shows it as text otherwise)` };
  if (!hasTitle) return { line: 1, message: '<svg> has no <title> child: say what the picture shows' };
  return null;
}
// #endregion

/** The pictures a markdown text shows: `![alt](src)` and `<img src="…">`, with their lines. */
export function imageRefs(markdown: string): { src: string; line: number }[] {
  const out: { src: string; line: number }[] = [];
  markdown.split('\n').forEach((text, i) => {
    for (const m of text.matchAll(/!\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) out.push({ src: m[1], line: i + 1 });
    for (const m of text.matchAll(/<img\b[^>]*\bsrc="([^"]+)"/g)) out.push({ src: m[1], line: i + 1 });
  });
  return out;
}

/**
 * Check docs/*.svg and the pictures that `pages` (markdown files, relative to `rootDir`) show.
 * Returns the problems, each located in the file that has it.
 */
export function checkDiagrams(rootDir: string, pages: string[]): AnchorError[] {
  const errors: AnchorError[] = [];
  const docsDir = path.join(rootDir, 'docs');
  const svgs = fs.existsSync(docsDir) ? fs.readdirSync(docsDir).filter((f) => f.endsWith('.svg')).sort() : [];
  for (const f of svgs) {
    const problem = svgProblem(fs.readFileSync(path.join(docsDir, f), 'utf8'));
    if (problem) errors.push({ mdFile: `docs/${f}`, line: problem.line, message: problem.message });
  }
  const shown = new Set<string>();
  for (const page of pages) {
    const refs = imageRefs(fs.readFileSync(path.join(rootDir, page), 'utf8'));
    for (const { src, line } of refs) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(src) || src.startsWith('/')) continue; // not ours to check
      const target = path.normalize(path.join(path.dirname(page), decodeURIComponent(src.split('#')[0])));
      if (!fs.existsSync(path.join(rootDir, target))) errors.push({ mdFile: page, line, message: `picture ${src}: no such file` });
      shown.add(target.split(path.sep).join('/'));
    }
    if (page.startsWith('stages/') && !refs.some((r) => r.src.endsWith('.svg'))) {
      errors.push({ mdFile: page, line: 1, message: 'a stage’s notes show at least one picture (docs/*.svg); this one shows none' });
    }
  }
  for (const f of svgs) {
    if (!shown.has(`docs/${f}`)) errors.push({ mdFile: `docs/${f}`, line: 1, message: 'no page shows this picture: link it from the notes or remove it' });
  }
  return errors;
}
