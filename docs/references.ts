// What the docs build refuses besides a broken anchor (docs/anchors.ts): a stale or missing
// excerpt under an anchor and an anchor embedded twice (docs/excerpts.ts), a link to a missing
// file or heading, a quoted section title that no heading has, a source path that does not
// exist and a seed note cited by its file name instead of its title (docs/links.ts). One entry
// point for the build, so each rule lives in its module. A region too long to read as one
// listing is only a warning (oversizedWarnings).

import fs from 'node:fs';
import path from 'node:path';
import { fileReader, listSources, stageNumber, type AnchorError } from './anchors.js';
import { duplicateEmbeds, embedsOf, oversizedEmbeds, syncExcerpts } from './excerpts.js';
import { checkMarkdownLinks, checkPathMentions, checkSectionReferences, checkSeedCitations, type LinkError, type Repo } from './links.js';

// where code comments and notes quote section titles; tests are left out (their fixtures name
// made-up stages)
const SCANNED = ['lib', 'checks', 'scripts', 'docs', 'stages', 'vagrant', 'bin', '.ci'];
const TEXT = /\.(ts|md|c|sh|json|rb)$|^[^.]+$/;

/** The text files where section titles may be quoted, relative to the root. */
export function scannedFiles(rootDir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    const abs = path.join(rootDir, rel);
    if (!fs.existsSync(abs)) return;
    for (const e of fs.readdirSync(abs, { withFileTypes: true })) {
      const child = `${rel}/${e.name}`;
      if (e.isDirectory()) {
        if (e.name !== 'node_modules' && !e.name.startsWith('.')) walk(child);
      } else if (e.isFile() && TEXT.test(e.name) && !e.name.endsWith('.test.ts')) out.push(child);
    }
  };
  SCANNED.forEach(walk);
  return out.sort();
}

function asAnchorError(e: LinkError): AnchorError {
  return { mdFile: e.file, line: e.line, message: e.message };
}

/** Every refusal over the site's pages (raw markdown as written, relative paths). */
export function checkReferences(
  rootDir: string,
  pages: Array<{ mdFile: string; markdown: string }>,
  exerciseWhere?: (id: string) => string,
): AnchorError[] {
  const read = fileReader(rootDir);
  const stageReadmes = new Map(listSources(rootDir).stages.map((md) => [stageNumber(md.split('/')[1]), md]));
  const repo: Repo = {
    read,
    stageReadme: (n) => stageReadmes.get(n),
    isDir: (rel) => {
      try {
        return fs.statSync(path.join(rootDir, rel)).isDirectory();
      } catch {
        return false;
      }
    },
  };
  const errors: AnchorError[] = [];
  for (const p of pages) {
    errors.push(...syncExcerpts(p.markdown, p.mdFile, read, exerciseWhere).stale);
    errors.push(...checkMarkdownLinks(p.mdFile, p.markdown, repo).map(asAnchorError));
    errors.push(...checkPathMentions(p.mdFile, p.markdown, repo).map(asAnchorError));
    errors.push(...checkSeedCitations(p.mdFile, p.markdown).map(asAnchorError));
  }
  errors.push(...duplicateEmbeds(embedsOf(pages)));
  for (const file of scannedFiles(rootDir)) {
    errors.push(...checkSectionReferences(file, read(file) ?? '', repo).map(asAnchorError));
  }
  return errors;
}

/**
 * Regions the notes embed that are longer than a teaching-sized listing: warnings, printed by the
 * build, until each is split into named parts (as layer-tar.ts' pack-dir was: pack-options, pack-dir, pack-walk).
 */
export function oversizedWarnings(rootDir: string, pages: Array<{ mdFile: string; markdown: string }>): AnchorError[] {
  return oversizedEmbeds(embedsOf(pages), fileReader(rootDir));
}
