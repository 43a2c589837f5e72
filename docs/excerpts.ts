// Excerpts: the notes read whole without the docs build.
//
// A `<<< lib/x.ts#region` line shows nothing on GitHub or in an editor: only the site expands it.
// So under each anchor line the markdown carries a generated copy of what the site would show —
// a link to the file and the lines the region spans (GitHub highlights them), then the code; for an
// exercise region the learner's stub, with the reference solution folded in a <details> block as
// on the site. The copy sits between two marker comments (docs/anchors.ts, EXCERPT_BEGIN/END):
//
//   <<< lib/storage/overlay2.ts#mount-options
//   <!-- excerpt: generated from the <<< line above by `npm run docs -- --write`; … -->
//   [`lib/storage/overlay2.ts`, lines 240–261](../../lib/storage/overlay2.ts#L240-L261)
//   ```ts
//   …
//   ```
//   <!-- /excerpt -->
//
// Why a copy and not only a link: the point is a chapter one can read top to bottom in the raw
// file, and a link makes the reader leave it for every listing. The copy cannot drift: the docs
// build compares every excerpt with the code and fails on a stale or missing one (a region that
// moved by one line is stale too, since its link names the lines); `npm run docs -- --write`
// rewrites them all. The anchor line stays the source of truth, and the site ignores the copy.
//
// Also here, because they are rules about embeds: an anchor embedded twice in the site is an
// error (one place teaches it, the others link there), and a region longer than a teaching-sized
// excerpt is a warning (split it into named regions).
//
// Pure functions over text, except updateExcerptFiles, which rewrites the notes in place.

import fs from 'node:fs';
import path from 'node:path';
import {
  EXCERPT_BEGIN,
  EXCERPT_END,
  excerptAfter,
  extractRegion,
  fenceFor,
  fileReader,
  isExercise,
  languageOf,
  listSources,
  parseAnchor,
  regionBounds,
  resolveAnchorPath,
  splitExercise,
  type AnchorError,
  type ReadSource,
} from './anchors.js';

/** The longest region the notes may embed, in lines of code: a listing one reads in one go. */
export const MAX_EXCERPT_LINES = 60;

function fenced(code: string, lang: string): string[] {
  const fence = fenceFor(code);
  return [`${fence}${lang}`, ...code.split('\n'), fence];
}

/**
 * The excerpt block for one anchor (marker lines included), as it must stand under the anchor
 * line; throws, like extractRegion, when the anchor does not resolve.
 */
export function renderExcerpt(
  mdFile: string,
  anchorFile: string,
  region: string | undefined,
  read: ReadSource,
  exerciseWhere: (id: string) => string = () => mdFile,
): string[] {
  const rel = resolveAnchorPath(anchorFile, mdFile);
  if (rel === null) throw new Error('path leaves the repository');
  const source = read(rel);
  if (source === undefined) throw new Error(`no such file ${rel}`);
  const code = extractRegion(source, region);
  const href = path.posix.relative(path.posix.dirname(mdFile), rel);
  let caption: string;
  if (region === undefined) {
    caption = `[\`${rel}\`](${href}) (the whole file)`;
  } else {
    const { start, end } = regionBounds(source, region);
    // the lines between the markers, 1-based: what GitHub's #Lx-Ly highlights
    caption = `[\`${rel}\`, lines ${start + 2}–${end}](${href}#L${start + 2}-L${end})`;
  }
  const lang = languageOf(rel);
  let body: string[];
  if (region !== undefined && isExercise(source, region)) {
    const { stub, solution } = splitExercise(code, region, exerciseWhere(region));
    body = [
      `Exercise \`${region}\`: you write this in \`learn/${rel}\` — ${caption}`, '',
      ...fenced(stub, lang), '',
      '<details><summary>Reveal the reference solution</summary>', '',
      ...fenced(solution, lang), '',
      '</details>',
    ];
  } else {
    body = [caption, '', ...fenced(code, lang)];
  }
  return [EXCERPT_BEGIN, ...body, EXCERPT_END];
}

/** One anchor line of a markdown text, outside fenced code. */
export interface AnchorLine {
  /** 0-based line index */
  index: number;
  file: string;
  region?: string;
}

/** The anchor lines of a markdown text, skipping fenced code and the generated excerpts. */
export function anchorLines(markdown: string): AnchorLine[] {
  const lines = markdown.split('\n');
  const found: AnchorLine[] = [];
  let fence: string | null = null;
  for (let i = 0; i < lines.length; i++) {
    const f = /^\s*(`{3,}|~{3,})/.exec(lines[i]);
    if (fence !== null) {
      if (f && f[1][0] === fence[0] && f[1].length >= fence.length && lines[i].trim() === f[1]) fence = null;
      continue;
    }
    if (f) {
      fence = f[1];
      continue;
    }
    const anchor = parseAnchor(lines[i]);
    if (!anchor) continue;
    found.push(anchor.region === undefined ? { index: i, file: anchor.file } : { index: i, file: anchor.file, region: anchor.region });
    i = excerptAfter(lines, i)?.last ?? i; // the copy's fences are not the notes' own
  }
  return found;
}

/**
 * Bring every excerpt of a markdown text up to date. Returns the new text and one error per
 * anchor whose excerpt was stale or missing (so a check run can fail on them). Anchors that do not
 * resolve are left alone: expandAnchors reports those.
 */
export function syncExcerpts(
  markdown: string,
  mdFile: string,
  read: ReadSource,
  exerciseWhere?: (id: string) => string,
): { markdown: string; stale: AnchorError[] } {
  const lines = markdown.split('\n');
  const out: string[] = [];
  const stale: AnchorError[] = [];
  let from = 0;
  for (const a of anchorLines(markdown)) {
    let want: string[];
    try {
      want = renderExcerpt(mdFile, a.file, a.region, read, exerciseWhere);
    } catch {
      continue;
    }
    const have = excerptAfter(lines, a.index);
    const current = have ? lines.slice(have.first, have.last + 1) : [];
    out.push(...lines.slice(from, a.index + 1));
    const indent = /^\s*/.exec(lines[a.index])![0];
    const wanted = want.map((l) => (l === '' ? '' : indent + l));
    out.push(...wanted);
    from = have ? have.last + 1 : a.index + 1;
    if (current.join('\n') !== wanted.join('\n')) {
      const where = a.region === undefined ? a.file : `${a.file}#${a.region}`;
      const why = have ? 'its excerpt is stale' : 'it has no excerpt under it';
      stale.push({ mdFile, line: a.index + 1, message: `<<< ${where}: ${why} (npm run docs -- --write)` });
    }
  }
  out.push(...lines.slice(from));
  return { markdown: out.join('\n'), stale };
}

/** An embed seen on a page: where, and what. */
export interface Embed {
  mdFile: string;
  line: number;
  file: string;
  region?: string;
}

/** Every anchor of the pages, with the file it resolves to (for the rules below). */
export function embedsOf(pages: Array<{ mdFile: string; markdown: string }>): Embed[] {
  return pages.flatMap(({ mdFile, markdown }) => anchorLines(markdown).map((a) => {
    const file = resolveAnchorPath(a.file, mdFile) ?? a.file;
    const e: Embed = { mdFile, line: a.index + 1, file };
    if (a.region !== undefined) e.region = a.region;
    return e;
  }));
}

/** An anchor embedded a second time: one place teaches the code, the others link to it. */
export function duplicateEmbeds(embeds: Embed[]): AnchorError[] {
  const first = new Map<string, Embed>();
  const errors: AnchorError[] = [];
  for (const e of embeds) {
    const key = e.region === undefined ? e.file : `${e.file}#${e.region}`;
    const seen = first.get(key);
    if (!seen) first.set(key, e);
    else errors.push({ mdFile: e.mdFile, line: e.line, message: `<<< ${key}: already embedded at ${seen.mdFile}:${seen.line}; link to that section instead` });
  }
  return errors;
}

/**
 * A region too long to read as one listing. Exercise regions are exempt (their size is the
 * learner's task), and so are whole-file embeds (a file is a unit of its own).
 */
export function oversizedEmbeds(embeds: Embed[], read: ReadSource, max = MAX_EXCERPT_LINES): AnchorError[] {
  const errors: AnchorError[] = [];
  for (const e of embeds) {
    if (e.region === undefined) continue;
    const source = read(e.file);
    if (source === undefined || isExercise(source, e.region)) continue;
    let code: string;
    try {
      code = extractRegion(source, e.region);
    } catch {
      continue;
    }
    const n = code.split('\n').length;
    if (n > max) errors.push({ mdFile: e.mdFile, line: e.line, message: `<<< ${e.file}#${e.region}: ${n} lines, more than ${max}: split the region into named parts` });
  }
  return errors;
}

/** `npm run docs -- --write`: rewrite the excerpts of every page under `rootDir`; the files changed. */
export function updateExcerptFiles(rootDir: string, exerciseWhere?: (id: string) => string): string[] {
  const { stages, docs, readme } = listSources(rootDir);
  const read = fileReader(rootDir);
  const changed: string[] = [];
  for (const md of [...stages, ...docs, ...(readme ? [readme] : [])]) {
    const text = read(md) ?? '';
    const { markdown } = syncExcerpts(text, md, read, exerciseWhere);
    if (markdown !== text) {
      fs.writeFileSync(path.join(rootDir, md), markdown);
      changed.push(md);
    }
  }
  return changed;
}
