// The lab's static site: `npm run docs` renders the stages' notes and docs/*.md into site/.
//
//   stages/NN-topic/README.md  →  site/stages/NN-topic/README.html
//   docs/<name>.md             →  site/docs/<name>.html  (and docs/*.svg copied beside them)
//   README.md (when present)   →  site/README.html
//   the stages in order        →  site/index.html
//   each page's `code` link    →  /code/, the code browser that `--serve` adds (docs/serve.ts)
//
// Code anchors (`<<< lib/file.ts#region`) are expanded first (docs/anchors.ts); one that names a
// missing file or region fails the build with exit status 1 and a line per broken anchor, e.g.
// `minidock: docs: stages/03-overlay2/README.md:42: <<< lib/storage/overlay2.ts#mount: no region "mount" in …`.
//
// Every anchor carries a generated copy of its code under it, so the raw markdown reads whole
// (docs/excerpts.ts); the build fails when one is stale, and `--write` rewrites them first. It
// also fails on an anchor embedded twice, an oversized region, a link to a missing file or heading,
// and a quoted section title no heading has (docs/references.ts).
//
// Usage: node dist/docs/build.js [--root DIR] [--out DIR] [--write] [--serve [--port N]]
//        (npm run docs -- --serve: build, then serve on http://localhost:8000/, docs/serve.ts)

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import MarkdownIt from 'markdown-it';
import {
  expandAnchors,
  fileReader,
  firstHeading,
  formatAnchorError,
  listSources,
  rewriteLink,
  slugify,
  stageNumber,
  type AnchorError,
} from './anchors.js';

import { loadExercises, whereTaught } from '../scripts/learn/tree.js';
import { updateExcerptFiles } from './excerpts.js';
import { manifestGoals, withGoals } from './goals.js';
import { checkReferences, oversizedWarnings } from './references.js';
import { checkDiagrams } from './diagrams.js';
import { DOCS_PORT, serveSite } from './serve.js';

export { checkAnchors } from './anchors.js';

const CSS = `
  body { margin: 0; font: 16px/1.6 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1f2328; background: #fff; }
  nav { padding: .6rem 1.5rem; border-bottom: 1px solid #d0d7de; font-size: .9rem; display: flex; gap: 1.2rem; }
  nav .spacer { flex: 1; }
  main { max-width: 52rem; margin: 0 auto; padding: 1rem 1.5rem 4rem; }
  a { color: #0969da; text-decoration: none; } a:hover { text-decoration: underline; }
  h1, h2, h3 { line-height: 1.25; } h2 { border-bottom: 1px solid #d8dee4; padding-bottom: .3rem; margin-top: 2rem; }
  code { font: .875em/1.45 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background: #f6f8fa; padding: .1em .3em; border-radius: 4px; }
  pre { background: #f6f8fa; padding: .9rem 1rem; overflow-x: auto; border-radius: 6px; border: 1px solid #d0d7de; }
  pre code { background: none; padding: 0; }
  p.code-caption { margin: 1rem 0 -.6rem; font-size: .85rem; color: #57606a; }
  details { margin: .6rem 0 1rem; } details > summary { cursor: pointer; color: #0969da; }
  table { border-collapse: collapse; } th, td { border: 1px solid #d0d7de; padding: .3rem .7rem; text-align: left; }
  blockquote { margin: 0; padding: 0 1rem; color: #57606a; border-left: .25rem solid #d0d7de; }
  ol.stages li { margin: .3rem 0; } .muted { color: #57606a; }
  div.goals { background: #f6f8fa; border: 1px solid #d0d7de; border-radius: 6px; padding: 0 1rem; }
  img { max-width: 100%; height: auto; }
`;

interface Page {
  /** source markdown, relative to the root */
  src: string;
  /** output HTML, relative to the site folder */
  out: string;
  title: string;
  markdown: string;
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** markdown-it with .md links rewritten to .html and GitHub-style heading ids. */
function markdownRenderer(): MarkdownIt {
  const md = new MarkdownIt({ html: true, linkify: false, typographer: false });
  const defaultRender: NonNullable<MarkdownIt['renderer']['rules']['link_open']> = (tokens, idx, options, _env, self) =>
    self.renderToken(tokens, idx, options);
  const linkOpen = md.renderer.rules.link_open ?? defaultRender;
  md.renderer.rules.link_open = (tokens, idx, options, env, self) => {
    const href = tokens[idx].attrGet('href');
    if (href !== null) tokens[idx].attrSet('href', rewriteLink(href));
    return linkOpen(tokens, idx, options, env, self);
  };
  md.core.ruler.push('heading_ids', (state) => {
    const seen = new Map<string, number>();
    state.tokens.forEach((tok, i) => {
      if (tok.type !== 'heading_open') return;
      const text = state.tokens[i + 1]?.children?.map((c) => c.content).join('') ?? '';
      const base = slugify(text) || 'section';
      const n = seen.get(base) ?? 0;
      seen.set(base, n + 1);
      tok.attrSet('id', n === 0 ? base : `${base}-${n}`);
    });
  });
  return md;
}

function layout(page: Page, body: string, nav: { prev?: Page; next?: Page }): string {
  const up = path.posix.relative(path.posix.dirname(page.out), '.') || '.';
  const link = (p: Page) => path.posix.relative(path.posix.dirname(page.out), p.out);
  const prev = nav.prev ? `<a href="${link(nav.prev)}">← ${escapeHtml(nav.prev.title)}</a>` : '';
  const next = nav.next ? `<a href="${link(nav.next)}">${escapeHtml(nav.next.title)} →</a>` : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(page.title)} · minidock</title>
<style>${CSS}</style>
</head>
<body>
<nav><a href="${up}/index.html"><strong>minidock</strong></a><a href="${up}/code/">code</a>${prev}<span class="spacer"></span>${next}</nav>
<main>
${body}
</main>
</body>
</html>
`;
}

function indexPage(stages: Page[], docs: Page[], readme: Page | undefined): string {
  const item = (p: Page) => `<li><a href="${p.out}">${escapeHtml(p.title)}</a></li>`;
  const stageItem = (p: Page) => {
    const n = stageNumber(path.posix.basename(path.posix.dirname(p.src)));
    return `<li value="${n}"><a href="${p.out}">${escapeHtml(p.title)}</a></li>`;
  };
  const body = [
    '<h1>minidock</h1>',
    '<p class="muted">A container lab: build a Docker-like engine in TypeScript, one stage at a time, on a real Linux kernel.</p>',
    readme ? `<p><a href="${readme.out}">Read me first</a></p>` : '',
    '<h2 id="stages">Stages</h2>',
    stages.length ? `<ol class="stages" start="0">\n${stages.map(stageItem).join('\n')}\n</ol>` : '<p class="muted">No stages yet.</p>',
    '<h2 id="docs">Reference</h2>',
    docs.length ? `<ul>\n${docs.map(item).join('\n')}\n</ul>` : '<p class="muted">No docs yet.</p>',
  ].filter(Boolean).join('\n');
  return layout({ src: '', out: 'index.html', title: 'minidock', markdown: '' }, body, {});
}

export interface BuildResult {
  pages: string[];
  errors: AnchorError[];
}

/** Render the site from `rootDir` into `outDir` (emptied first). Writes nothing on anchor errors. */
export function buildSite(rootDir: string, outDir: string): BuildResult {
  const read = fileReader(rootDir);
  const sources = listSources(rootDir);
  const errors: AnchorError[] = [];
  // an exercise's stub names the notes section that teaches it, as the learner's stub does
  const exercises = fs.existsSync(path.join(rootDir, 'stages')) ? loadExercises(rootDir) : [];
  const where = (id: string) => whereTaught(exercises, id);

  const raws: Array<{ mdFile: string; markdown: string }> = [];
  const load = (src: string, out: string, fallbackTitle: string): Page => {
    const raw = read(src) ?? '';
    raws.push({ mdFile: src, markdown: raw });
    const expanded = expandAnchors(raw, src, read, where);
    errors.push(...expanded.errors);
    return { src, out, title: firstHeading(raw) ?? fallbackTitle, markdown: expanded.markdown };
  };
  const stages = sources.stages.map((src) =>
    load(src, src.replace(/\.md$/, '.html'), path.posix.basename(path.posix.dirname(src))));
  const docs = sources.docs.map((src) => load(src, src.replace(/\.md$/, '.html'), path.posix.basename(src, '.md')));
  const readme = sources.readme ? load(sources.readme, 'README.html', 'README') : undefined;
  errors.push(...checkReferences(rootDir, raws, where));
  for (const w of oversizedWarnings(rootDir, raws)) console.error(formatAnchorError(w).replace('docs: ', 'docs: warning: '));
  // the pictures: well-formed, each one shown, each one shown exists (docs/diagrams.ts)
  errors.push(...checkDiagrams(rootDir, [...sources.stages, ...sources.docs, ...(sources.readme ? [sources.readme] : [])]));
  if (errors.length) return { pages: [], errors };
  // a chapter opens with its manifest's goals
  for (const page of stages) page.markdown = withGoals(page.markdown, manifestGoals(read(path.posix.join(path.posix.dirname(page.src), 'manifest.json'))));

  const md = markdownRenderer();
  // empty site/ rather than remove it: in the lab VM it is a mount point (vagrant/provision.sh)
  fs.mkdirSync(outDir, { recursive: true });
  for (const entry of fs.readdirSync(outDir)) fs.rmSync(path.join(outDir, entry), { recursive: true, force: true });
  const write = (rel: string, html: string) => {
    const file = path.join(outDir, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, html);
  };
  const all: Array<{ page: Page; prev?: Page; next?: Page }> = [
    ...stages.map((page, i) => ({ page, prev: stages[i - 1], next: stages[i + 1] })),
    ...docs.map((page) => ({ page })),
    ...(readme ? [{ page: readme, next: stages[0] }] : []),
  ];
  for (const { page, prev, next } of all) {
    write(page.out, layout(page, md.render(page.markdown), { prev, next }));
  }
  write('index.html', indexPage(stages, docs, readme));
  // the pictures the pages link to (docs/*.svg), beside the pages
  for (const f of fs.readdirSync(path.join(rootDir, 'docs')).filter((f) => f.endsWith('.svg'))) {
    fs.mkdirSync(path.join(outDir, 'docs'), { recursive: true });
    fs.copyFileSync(path.join(rootDir, 'docs', f), path.join(outDir, 'docs', f));
  }
  return { pages: ['index.html', ...all.map((p) => p.page.out)], errors };
}

/** `--write`: bring the excerpts under the anchors up to date in the notes themselves. */
function writeExcerpts(rootDir: string): void {
  const exercises = fs.existsSync(path.join(rootDir, 'stages')) ? loadExercises(rootDir) : [];
  const changed = updateExcerptFiles(rootDir, (id) => whereTaught(exercises, id));
  for (const f of changed) console.log(`docs: excerpts rewritten in ${f}`);
}

/** The repository root: the nearest folder above this file that holds package.json. */
function findRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) return process.cwd();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      root: { type: 'string' }, out: { type: 'string' }, write: { type: 'boolean' },
      serve: { type: 'boolean' }, port: { type: 'string' },
    },
  });
  const rootDir = path.resolve(values.root ?? findRoot(path.dirname(fileURLToPath(import.meta.url))));
  const outDir = path.resolve(values.out ?? path.join(rootDir, 'site'));
  if (values.write) writeExcerpts(rootDir);
  const { pages, errors } = buildSite(rootDir, outDir);
  if (errors.length) {
    for (const e of errors) console.error(formatAnchorError(e));
    process.exit(1);
  }
  console.log(`docs: ${pages.length} pages → ${path.relative(process.cwd(), outDir) || '.'}/index.html`);
  // --serve [--port N]: then serve what was built, the code beside it (docs/serve.ts)
  if (values.serve) {
    const port = Number(values.port ?? DOCS_PORT);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`invalid --port ${JSON.stringify(values.port)}`);
    const server = await serveSite(outDir, rootDir, port);
    const address = server.address();
    console.log(`docs: serving on http://localhost:${typeof address === 'object' && address ? address.port : port}/ (Ctrl-C stops)`);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  main().catch((e) => {
    console.error(`minidock: docs: ${(e as Error).message}`);
    process.exit(1);
  });
}
