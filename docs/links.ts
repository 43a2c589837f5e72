// Cross-references that cannot go stale: the docs build fails on a link to a missing file or
// heading inside the repository, and on a quoted section title that no heading has.
//
// Three kinds of reference are checked:
//   - markdown links in the notes, `[text](../03-overlay2/README.md#why-short-links-exist)`: the
//     file must exist; a `#fragment` on a markdown file must be one of its headings' ids (GitHub's
//     rule, the one the site uses too: docs/anchors.ts, slugify); `#L10-L20` on another file must
//     stay inside it. Links that leave the repository (http:, mailto:) are not followed.
//   - section titles quoted after a path, as code comments and notes write them:
//     `stages/01-namespaces/README.md, "Why pivot_root, not chroot"`, or after `stage 1,`. The quote must begin a
//     heading of that file (case and backticks aside), so a renamed section shows up here;
//   - source paths the notes name in code spans, `lib/runtime/rootfs.ts`: they must exist.
//
// Pure functions over text; the caller reads the files (docs/build.ts).

import path from 'node:path';
import { slugify } from './anchors.js';

/** A broken reference, located in the file that holds it. */
export interface LinkError {
  file: string;
  /** 1-based */
  line: number;
  message: string;
}

/** What the checker may ask about the repository. */
export interface Repo {
  /** the file's text; undefined when there is no such file */
  read(rel: string): string | undefined;
  /** true for a directory (a link to a folder is fine) */
  isDir(rel: string): boolean;
  /** the README of stage n (`stages/NN-topic/README.md`), when there is one */
  stageReadme?(n: number): string | undefined;
}

/** Each line of a markdown text outside fenced code, with its 0-based index. */
function proseLines(markdown: string): Array<{ text: string; index: number }> {
  const out: Array<{ text: string; index: number }> = [];
  let fence: string | null = null;
  markdown.split('\n').forEach((text, index) => {
    const f = /^\s*(`{3,}|~{3,})/.exec(text);
    if (fence !== null) {
      if (f && f[1][0] === fence[0] && f[1].length >= fence.length && text.trim() === f[1]) fence = null;
      return;
    }
    if (f) {
      fence = f[1];
      return;
    }
    out.push({ text, index });
  });
  return out;
}

/** The visible text of a heading's markdown: link texts kept, code marks and tags dropped. */
export function headingText(raw: string): string {
  return raw
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/<[^>]*>/g, '')
    .replace(/`/g, '')
    .trim();
}

/** The headings of a markdown text (outside fenced code), as their visible text. */
export function headings(markdown: string): string[] {
  return proseLines(markdown).flatMap(({ text }) => {
    const m = /^#{1,6}\s+(.+?)\s*#*\s*$/.exec(text);
    return m ? [headingText(m[1])] : [];
  });
}

/** The ids the headings get, GitHub style: slugs, the second of a name suffixed -1, and so on. */
export function headingIds(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const ids = new Set<string>();
  for (const h of headings(markdown)) {
    const base = slugify(h) || 'section';
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    ids.add(n === 0 ? base : `${base}-${n}`);
  }
  return ids;
}

/** The inline links of a markdown text outside code: 0-based line and the href. */
export function markdownLinks(markdown: string): Array<{ index: number; href: string }> {
  const found: Array<{ index: number; href: string }> = [];
  for (const { text, index } of proseLines(markdown)) {
    const prose = text.replace(/(`+)[^`]*?\1/g, ''); // a link inside `code` is only text
    // `](href)`, `](href "title")`, or `](<href with spaces>)`
    for (const m of prose.matchAll(/\]\(\s*(?:<([^>]*)>|([^)\s]+))(?:\s+"[^"]*")?\s*\)/g)) found.push({ index, href: m[1] ?? m[2] });
  }
  return found;
}

/** True for an href that leaves the repository (a URL, mailto:, an absolute path). */
function external(href: string): boolean {
  return /^[a-z][a-z0-9+.-]*:/i.test(href) || href.startsWith('//') || href.startsWith('/');
}

/** Check one link of `file` (relative to the repository root); null when it is good. */
export function checkLink(file: string, href: string, repo: Repo): string | null {
  if (external(href)) return null;
  const hash = href.indexOf('#');
  const target = decodeURIComponent(hash < 0 ? href : href.slice(0, hash)).replace(/\?.*$/, '');
  const fragment = hash < 0 ? undefined : decodeURIComponent(href.slice(hash + 1));
  const rel = target === '' ? file : path.posix.normalize(path.posix.join(path.posix.dirname(file), target));
  if (rel.startsWith('../') || rel === '..') return `link ${href} leaves the repository`;
  if (repo.isDir(rel)) return null;
  const text = repo.read(rel);
  if (text === undefined) return `link to a missing file: ${href}`;
  if (fragment === undefined || fragment === '') return null;
  if (rel.endsWith('.md')) {
    return headingIds(text).has(fragment) ? null : `link to a missing heading: ${href} (${rel} has no "#${fragment}")`;
  }
  const lines = /^L(\d+)(?:-L(\d+))?$/.exec(fragment);
  if (lines) {
    const count = text.split('\n').length;
    const last = Number(lines[2] ?? lines[1]);
    return last <= count ? null : `link ${href}: ${rel} has only ${count} lines`;
  }
  return null;
}

/** Every broken link of a markdown file. */
export function checkMarkdownLinks(file: string, markdown: string, repo: Repo): LinkError[] {
  return markdownLinks(markdown).flatMap(({ index, href }) => {
    const why = checkLink(file, href, repo);
    return why === null ? [] : [{ file, line: index + 1, message: why }];
  });
}

// a notes path (stages/<NN-topic>/README.md, docs/<name>.md, README.md), then a comma, a colon
// or nothing, then the title in double quotes
const SECTION_REF = /\b((?:stages\/[\w.-]+\/README|docs\/[\w.-]+|README)\.md)[,:]?\s+"([^"]{2,100})"/g;

// the notes' own short form: stage 1, "The PID namespace is a tree"
const STAGE_REF = /\b[Ss]tage (\d+)[,:]?\s+"([^"]{2,100})"/g;

/**
 * Quoted section titles after a path (or after "stage N", which `stageReadme` turns into that
 * stage's README), in any text file: 0-based line, path and title.
 */
export function sectionReferences(
  text: string,
  stageReadme: (n: number) => string | undefined = () => undefined,
): Array<{ index: number; target: string; title: string }> {
  const found: Array<{ index: number; target: string; title: string }> = [];
  const template = (title: string) => /[${}<>]/.test(title); // `"${e.section}"`, `"<section>"`: not a title
  text.split('\n').forEach((line, index) => {
    for (const m of line.matchAll(SECTION_REF)) {
      if (!template(m[2])) found.push({ index, target: m[1], title: m[2] });
    }
    for (const m of line.matchAll(STAGE_REF)) {
      const target = stageReadme(Number(m[1]));
      if (target !== undefined && !template(m[2])) found.push({ index, target, title: m[2] });
    }
  });
  return found;
}

/** Every quoted section title of `file` that begins no heading of the file it names. */
export function checkSectionReferences(file: string, text: string, repo: Repo): LinkError[] {
  const errors: LinkError[] = [];
  for (const ref of sectionReferences(text, repo.stageReadme)) {
    const target = repo.read(ref.target);
    if (target === undefined) {
      errors.push({ file, line: ref.index + 1, message: `names a missing file: ${ref.target}` });
      continue;
    }
    const want = headingText(ref.title).toLowerCase();
    if (!headings(target).some((h) => h.toLowerCase().startsWith(want))) {
      errors.push({ file, line: ref.index + 1, message: `${ref.target} has no section "${ref.title}"` });
    }
  }
  return errors;
}

// a code span that is a path of this repository's own source: `lib/runtime/rootfs.ts`, `lib/volumes/`
const PATH_SPAN = /`((?:lib|checks|scripts|docs|stages|vagrant|bin)\/[\w./-]*(?:\.(?:ts|js|md|sh|c|json)|\/))`/g;

/**
 * Every source path a markdown text names in a code span (outside fenced code) that does not
 * exist: a file moved or renamed under the notes. `dist/…/x.js` names the built `x.ts`.
 */
export function checkPathMentions(file: string, markdown: string, repo: Repo): LinkError[] {
  const errors: LinkError[] = [];
  for (const { text, index } of proseLines(markdown)) {
    for (const m of text.matchAll(PATH_SPAN)) {
      if (/\bNN\b/.test(m[1])) continue; // a pattern (`stages/NN-topic/`), not a path
      const rel = m[1].replace(/\/$/, '');
      const exists = repo.isDir(rel) || repo.read(rel) !== undefined || (rel.endsWith('.js') && repo.read(rel.replace(/\.js$/, '.ts')) !== undefined);
      if (!exists) errors.push({ file, line: index + 1, message: `names a missing file: ${m[1]}` });
    }
  }
  return errors;
}

// A seed note's file name in the lab's own copy (`001_2e303550d17bd9fe.txt`): a learner's copy
// of the notes does not carry these names, so the notes cite them by title (README.md, "The seed notes").
const SEED_FILE_NAME = /\b\d{3}_[0-9a-f]{16}(?:\.txt)?\b/g;

/** Every place a markdown text (outside fenced code) cites a seed note by file name instead of title. */
export function checkSeedCitations(file: string, markdown: string): LinkError[] {
  const errors: LinkError[] = [];
  for (const { text, index } of proseLines(markdown)) {
    for (const m of text.matchAll(SEED_FILE_NAME)) {
      errors.push({ file, line: index + 1, message: `cites the seed note ${m[0]} by file name: cite it by its title (README.md, "The seed notes")` });
    }
  }
  return errors;
}

/** One line per broken reference, in the CLI's error idiom. */
export function formatLinkError(e: LinkError): string {
  return `minidock: docs: ${e.file}:${e.line}: ${e.message}`;
}
