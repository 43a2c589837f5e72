// Code anchors: how the notes embed engine code without pasting it (docs/design.md, principle 7).
//
// A line `<<< lib/storage/overlay2.ts#mount` in a markdown file is replaced by a fenced code
// block holding the lines between `// #region mount` and `// #endregion` in that file (the
// VitePress syntax). `<<< lib/errors.ts` without `#region` embeds the whole file. A missing file
// or region is an error that names the markdown file and line, so the docs build fails instead of
// publishing notes that drifted from the code.
//
// An exercise region (`// #region exercise 1.pivot-root`, scripts/learn/regions.ts) is named by
// its id: `<<< lib/runtime/rootfs.ts#1.pivot-root`. The page shows what the learner's stub holds
// (the `//>` starter lines and todo()), then the reference solution folded away in a
// `<details>` block, so reading the notes spoils nothing by accident.
//
// Everything here is pure (file access comes in as a function) except `checkAnchors` and
// `listSources`, which read the repository so tests and the builder share one list of pages.

import fs from 'node:fs';
import path from 'node:path';

/** One `<<<` line: which file, and which region of it (none: the whole file). */
export interface Anchor {
  file: string;
  region?: string;
}

/** A broken anchor, located in the markdown that holds it. */
export interface AnchorError {
  /** the markdown file, relative to the repository root */
  mdFile: string;
  /** 1-based line number of the `<<<` line */
  line: number;
  message: string;
}

/** Returns the file's text, or undefined when there is no such file. */
export type ReadSource = (relPath: string) => string | undefined;

const ANCHOR_LINE = /^(\s*)<<<\s+(\S+?)(?:#([^\s#]+))?\s*$/;

// `// #region name`, also `# #region name` (shell) and `/* #region name */`; an exercise region
// `// #region exercise 1.pivot-root` is named by its id.
const REGION_START = /^\s*(?:\/\/|#|\/\*)\s*#region\b[ \t]*(?:exercise[ \t]+)?([^\s*]*)/;
const EXERCISE_START = /^\s*\/\/\s*#region\s+exercise\s+(\S+)/;
const STARTER = /^(\s*)\/\/> ?(.*)$/;
const REGION_END = /^\s*(?:\/\/|#|\/\*)\s*#endregion\b/;

/** Parse an anchor line; null when the line is not one. */
export function parseAnchor(line: string): (Anchor & { indent: string }) | null {
  const m = ANCHOR_LINE.exec(line);
  if (!m) return null;
  const anchor: Anchor & { indent: string } = { indent: m[1], file: m[2] };
  if (m[3] !== undefined) anchor.region = m[3];
  return anchor;
}

/** True for a `#region` or `#endregion` marker line. */
export function isRegionMarker(line: string): boolean {
  return REGION_START.test(line) || REGION_END.test(line);
}

/** Remove the common leading whitespace of the non-blank lines. */
export function dedent(lines: string[]): string[] {
  let common: number | undefined;
  for (const line of lines) {
    if (line.trim() === '') continue;
    const indent = /^[ \t]*/.exec(line)![0].length;
    common = common === undefined ? indent : Math.min(common, indent);
  }
  if (!common) return lines.map((l) => (l.trim() === '' ? '' : l));
  return lines.map((l) => (l.trim() === '' ? '' : l.slice(common)));
}

function trimBlankEdges(lines: string[]): string[] {
  let start = 0;
  let end = lines.length;
  while (start < end && lines[start].trim() === '') start++;
  while (end > start && lines[end - 1].trim() === '') end--;
  return lines.slice(start, end);
}

/**
 * The code of one region (or of the whole file when `region` is undefined): marker lines of
 * regions nested inside are dropped, the result is dedented and trimmed of blank edge lines.
 * Throws an Error whose message says what is wrong (region missing or never closed).
 */
export function extractRegion(source: string, region?: string): string {
  const lines = source.replace(/\r\n?/g, '\n').split('\n');
  if (region === undefined) {
    return trimBlankEdges(dedent(lines.filter((l) => !isRegionMarker(l)))).join('\n');
  }
  const { start, end } = regionBounds(source, region);
  const body = lines.slice(start + 1, end).filter((l) => !isRegionMarker(l));
  return trimBlankEdges(dedent(body)).join('\n');
}

/**
 * Where a region sits in its file: the 0-based line numbers of its `#region` and of the
 * `#endregion` that closes it (regions nested inside are counted, so the right one closes it).
 * Throws as extractRegion does.
 */
export function regionBounds(source: string, region: string): { start: number; end: number } {
  const lines = source.replace(/\r\n?/g, '\n').split('\n');
  const start = lines.findIndex((l) => REGION_START.exec(l)?.[1] === region);
  if (start < 0) throw new Error(`no region "${region}"`);
  let depth = 0;
  for (let i = start + 1; i < lines.length; i++) {
    if (REGION_START.test(lines[i])) depth++;
    else if (REGION_END.test(lines[i])) {
      if (depth === 0) return { start, end: i };
      depth--;
    }
  }
  throw new Error(`region "${region}" has no #endregion`);
}

// Under each anchor line the notes carry a generated copy of what it embeds, between these two
// lines, so the markdown reads whole on GitHub or in an editor (docs/excerpts.ts writes and checks
// it). The site does not need it: expandAnchors drops it and embeds the code afresh.
export const EXCERPT_BEGIN = '<!-- excerpt: generated from the <<< line above by `npm run docs -- --write`; edit the code, not this copy -->';
export const EXCERPT_END = '<!-- /excerpt -->';

/**
 * The generated excerpt that follows the anchor at `lines[i]`: the index of its first and last
 * line, or null when the next line does not open one. An opened block that never closes runs to
 * the end of the text.
 */
export function excerptAfter(lines: readonly string[], i: number): { first: number; last: number } | null {
  if (lines[i + 1]?.trim() !== EXCERPT_BEGIN) return null;
  for (let j = i + 2; j < lines.length; j++) if (lines[j].trim() === EXCERPT_END) return { first: i + 1, last: j };
  return { first: i + 1, last: lines.length - 1 };
}

/** True when `region` names an exercise region of the source (`// #region exercise <id>`). */
export function isExercise(source: string, region: string): boolean {
  return source.split('\n').some((l) => EXERCISE_START.exec(l)?.[1] === region);
}

/**
 * An exercise region's code (as extractRegion returns it) split in two: the learner's stub (the
 * `//>` starter lines as code, then todo()), and the reference solution (the other lines).
 */
export function splitExercise(code: string, id: string, where: string): { stub: string; solution: string } {
  const lines = code.split('\n');
  const stub = lines.flatMap((l) => {
    const m = STARTER.exec(l);
    return m ? [m[1] + m[2]] : [];
  });
  stub.push(`todo(${JSON.stringify(id)}, ${JSON.stringify(where)});`);
  const solution = trimBlankEdges(dedent(lines.filter((l) => !STARTER.test(l))));
  return { stub: stub.join('\n'), solution: solution.join('\n') };
}

/** The markdown for an exercise anchor: the stub, then the solution inside a closed <details>. */
export function renderExercise(file: string, id: string, code: string, where: string): string[] {
  const { stub, solution } = splitExercise(code, id, where);
  const lang = languageOf(file);
  const caption = `<p class="code-caption">exercise <code>${escapeHtml(id)}</code>: you write this in <code>learn/${escapeHtml(file)}</code></p>`;
  return [
    caption, '', `${fenceFor(stub)}${lang}`, ...stub.split('\n'), fenceFor(stub), '',
    '<details><summary>Reveal the reference solution</summary>', '',
    `${fenceFor(solution)}${lang}`, ...solution.split('\n'), fenceFor(solution), '',
    '</details>',
  ];
}

/** The fence language for a file, from its extension. */
export function languageOf(file: string): string {
  const ext = path.extname(file).slice(1).toLowerCase();
  const map: Record<string, string> = {
    ts: 'ts', mts: 'ts', cts: 'ts', tsx: 'tsx', js: 'js', mjs: 'js', cjs: 'js',
    sh: 'bash', bash: 'bash', json: 'json', yml: 'yaml', yaml: 'yaml', md: 'md',
    c: 'c', h: 'c', go: 'go', rb: 'ruby', toml: 'toml',
  };
  if (path.basename(file) === 'Vagrantfile') return 'ruby';
  return map[ext] ?? '';
}

/** A fence long enough not to be closed by backticks inside the code. */
export function fenceFor(code: string): string {
  let longest = 0;
  for (const m of code.matchAll(/`{3,}/g)) longest = Math.max(longest, m[0].length);
  return '`'.repeat(Math.max(3, longest + 1));
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/**
 * Where an anchor's path points, relative to the repository root. Plain paths (`lib/x.ts`) and
 * `@/lib/x.ts` are relative to the root; `./x.ts` and `../x.ts` to the markdown file's folder.
 * Null when the path leaves the repository.
 */
export function resolveAnchorPath(anchorFile: string, mdFile: string): string | null {
  let rel: string;
  if (anchorFile.startsWith('@/')) rel = anchorFile.slice(2);
  else if (anchorFile.startsWith('./') || anchorFile.startsWith('../')) {
    rel = path.posix.join(path.posix.dirname(mdFile), anchorFile);
  } else rel = anchorFile;
  rel = path.posix.normalize(rel);
  if (rel.startsWith('../') || rel === '..' || path.posix.isAbsolute(rel)) return null;
  return rel;
}

/** The markdown that replaces one anchor: a caption, a blank line, the fenced code. */
export function renderAnchor(file: string, region: string | undefined, code: string): string[] {
  const caption = region === undefined
    ? `<p class="code-caption"><code>${escapeHtml(file)}</code> (whole file)</p>`
    : `<p class="code-caption"><code>${escapeHtml(file)}</code> — region <code>${escapeHtml(region)}</code></p>`;
  const fence = fenceFor(code);
  // The blank line ends the HTML block, or markdown-it would swallow the fence into it.
  return [caption, '', `${fence}${languageOf(file)}`, ...code.split('\n'), fence];
}

/**
 * Replace every anchor line of a markdown text (outside fenced code, where `<<<` is just text)
 * with the code it names. `mdFile` is the markdown's path relative to the root, for messages.
 */
export function expandAnchors(
  markdown: string,
  mdFile: string,
  readSource: ReadSource,
  /** where the notes teach an exercise, for its stub's todo() (default: this markdown file) */
  exerciseWhere: (id: string) => string = () => mdFile,
): { markdown: string; errors: AnchorError[] } {
  const out: string[] = [];
  const errors: AnchorError[] = [];
  let fence: { char: string; len: number } | null = null;
  const lines = markdown.split('\n');
  let skipTo = -1; // the last line of a generated excerpt being dropped
  lines.forEach((line, i) => {
    if (i <= skipTo) return;
    const f = /^\s*(`{3,}|~{3,})/.exec(line);
    if (fence) {
      if (f && f[1][0] === fence.char && f[1].length >= fence.len && line.trim() === f[1]) fence = null;
      out.push(line);
      return;
    }
    if (f) {
      fence = { char: f[1][0], len: f[1].length };
      out.push(line);
      return;
    }
    const anchor = parseAnchor(line);
    if (!anchor) {
      out.push(line);
      return;
    }
    skipTo = excerptAfter(lines, i)?.last ?? -1;
    const where = anchor.region === undefined ? anchor.file : `${anchor.file}#${anchor.region}`;
    const fail = (why: string) => {
      errors.push({ mdFile, line: i + 1, message: `<<< ${where}: ${why}` });
      out.push(line);
    };
    const rel = resolveAnchorPath(anchor.file, mdFile);
    if (rel === null) return fail('path leaves the repository');
    const source = readSource(rel);
    if (source === undefined) return fail(`no such file ${rel}`);
    let code: string;
    try {
      code = extractRegion(source, anchor.region);
    } catch (e) {
      return fail(`${(e as Error).message} in ${rel}`);
    }
    const rendered = anchor.region !== undefined && isExercise(source, anchor.region)
      ? renderExercise(rel, anchor.region, code, exerciseWhere(anchor.region))
      : renderAnchor(rel, anchor.region, code);
    for (const l of rendered) out.push(l === '' ? '' : anchor.indent + l);
  });
  return { markdown: out.join('\n'), errors };
}

/** One line per broken anchor, in the CLI's error idiom. */
export function formatAnchorError(e: AnchorError): string {
  return `minidock: docs: ${e.mdFile}:${e.line}: ${e.message}`;
}

/**
 * Rewrite a relative link to a markdown file into a link to its page: `../03-overlay2/README.md#x`
 * becomes `../03-overlay2/README.html#x`. Absolute URLs, root-relative paths, fragments and links
 * to other files are left alone.
 */
export function rewriteLink(href: string): string {
  if (href === '' || href.startsWith('#') || href.startsWith('/') || href.startsWith('//')) return href;
  if (/^[a-z][a-z0-9+.-]*:/i.test(href)) return href;
  const m = /^([^?#]*)(.*)$/.exec(href)!;
  if (!/\.md$/i.test(m[1])) return href;
  return m[1].replace(/\.md$/i, '.html') + m[2];
}

/** A heading's id, GitHub style: lower case, punctuation dropped, spaces as hyphens. */
export function slugify(text: string): string {
  return text
    .trim()
    .toLowerCase()
    .replace(/<[^>]*>/g, '')
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** The text of the first `# ` heading outside fenced code, or undefined. */
export function firstHeading(markdown: string): string | undefined {
  let inFence = false;
  for (const line of markdown.split('\n')) {
    if (/^\s*(`{3,}|~{3,})/.test(line)) inFence = !inFence;
    if (inFence) continue;
    const m = /^#\s+(.+?)\s*#*\s*$/.exec(line);
    if (m) return m[1];
  }
  return undefined;
}

/** A stage folder `NN-topic`: its number, or undefined for other names. */
export function stageNumber(dirName: string): number | undefined {
  const m = /^(\d+)-[\w.-]+$/.exec(dirName);
  return m ? Number(m[1]) : undefined;
}

/**
 * The markdown pages of the site, relative to the root, in reading order: the stages' READMEs by
 * stage number, then docs/*.md by name, then the root README.md when there is one.
 */
export function listSources(rootDir: string): { stages: string[]; docs: string[]; readme?: string } {
  const stagesDir = path.join(rootDir, 'stages');
  const stages = (fs.existsSync(stagesDir) ? fs.readdirSync(stagesDir, { withFileTypes: true }) : [])
    .filter((d) => d.isDirectory() && stageNumber(d.name) !== undefined)
    .filter((d) => fs.existsSync(path.join(stagesDir, d.name, 'README.md')))
    .sort((a, b) => stageNumber(a.name)! - stageNumber(b.name)! || a.name.localeCompare(b.name))
    .map((d) => `stages/${d.name}/README.md`);
  const docsDir = path.join(rootDir, 'docs');
  const docs = (fs.existsSync(docsDir) ? fs.readdirSync(docsDir, { withFileTypes: true }) : [])
    .filter((d) => d.isFile() && d.name.endsWith('.md'))
    .map((d) => `docs/${d.name}`)
    .sort();
  const readme = fs.existsSync(path.join(rootDir, 'README.md')) ? 'README.md' : undefined;
  return readme ? { stages, docs, readme } : { stages, docs };
}

/** A ReadSource over the files under `rootDir`. */
export function fileReader(rootDir: string): ReadSource {
  return (rel) => {
    try {
      return fs.readFileSync(path.join(rootDir, rel), 'utf8');
    } catch {
      return undefined;
    }
  };
}

/** Every broken anchor in the site's markdown under `rootDir` (empty when all resolve). */
export function checkAnchors(rootDir: string): AnchorError[] {
  const { stages, docs, readme } = listSources(rootDir);
  const read = fileReader(rootDir);
  const errors: AnchorError[] = [];
  for (const md of [...stages, ...docs, ...(readme ? [readme] : [])]) {
    errors.push(...expandAnchors(read(md) ?? '', md, read).errors);
  }
  return errors;
}
