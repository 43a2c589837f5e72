// The built site, served: `npm run docs -- --serve [--port N]` builds site/ and serves it over
// HTTP (node:http, no dependency), so the notes read in a browser on the host while the lab runs
// in the VM (the Vagrantfile forwards the port).
//
//   /                      site/index.html
//   /stages/…, /docs/…     the built pages and the pictures (site/)
//   /code/                 the repository's code folders
//   /lib/x.ts, /checks/…   a code file as a page, one anchor per line (#L12), so a note's link
//                          `../../lib/x.ts#L12` lands on the line, here as on GitHub
//
// Only GET and HEAD, only files under the site or under the code folders below: a path that
// leaves them ("..", a symlink out) is a 404.

import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';

/** The port `--serve` listens on unless `--port` says otherwise; the Vagrantfile forwards it. */
export const DOCS_PORT = 8000;

/** The repository folders the code browser shows. */
export const CODE_DIRS = ['lib', 'checks', 'scripts', 'docs', 'stages', 'bin', 'vagrant'] as const;

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
};

/** Files shown as code pages rather than sent as they are. */
const CODE_EXT = new Set(['.ts', '.c', '.sh', '.json', '.md', '.go', '.py', '']);

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const CODE_CSS = `
  body { margin: 0; font: 14px/1.5 system-ui, sans-serif; color: #1f2328; }
  nav { padding: .6rem 1.5rem; border-bottom: 1px solid #d0d7de; display: flex; gap: 1.2rem; }
  a { color: #0969da; text-decoration: none; } a:hover { text-decoration: underline; }
  main { padding: .5rem 1.5rem 3rem; }
  table.code { border-collapse: collapse; font: 13px/1.45 ui-monospace, Menlo, Consolas, monospace; }
  table.code td { padding: 0 .8rem; white-space: pre; vertical-align: top; }
  table.code td.n { color: #8c959f; text-align: right; user-select: none; }
  table.code tr:target { background: #fff8c5; }
  ul.files { list-style: none; padding: 0; font-family: ui-monospace, Menlo, monospace; }
`;

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>${escapeHtml(title)} · minidock</title><style>${CODE_CSS}</style></head>
<body>
<nav><a href="/index.html"><strong>minidock</strong></a><a href="/code/">code</a><span>${escapeHtml(title)}</span></nav>
<main>
${body}
</main>
</body>
</html>
`;
}

// #region code-page
/** A code file as a page: a table of numbered lines, row N has id "LN" (GitHub's anchors). */
export function codePage(rel: string, text: string): string {
  const lines = text.replace(/\n$/, '').split('\n');
  const rows = lines.map((l, i) => `<tr id="L${i + 1}"><td class="n"><a href="#L${i + 1}">${i + 1}</a></td><td>${escapeHtml(l)}</td></tr>`);
  return page(rel, `<h1>${escapeHtml(rel)}</h1>\n<p><a href="./">the folder</a></p>\n<table class="code">\n${rows.join('\n')}\n</table>`);
}
// #endregion

/** A folder of the repository as a list of links (folders first). */
export function folderPage(rel: string, entries: { name: string; dir: boolean; href?: string }[]): string {
  const sorted = [...entries].sort((a, b) => Number(b.dir) - Number(a.dir) || a.name.localeCompare(b.name));
  const href = (e: { name: string; dir: boolean; href?: string }) => e.href ?? `${encodeURIComponent(e.name)}${e.dir ? '/' : ''}`;
  const items = sorted.map((e) => `<li><a href="${href(e)}">${escapeHtml(e.name)}${e.dir ? '/' : ''}</a></li>`);
  const up = rel === '' ? '' : '<li><a href="../">../</a></li>';
  return page(rel === '' ? 'code' : `${rel}/`, `<h1>${escapeHtml(rel === '' ? 'the code' : `${rel}/`)}</h1>\n<ul class="files">\n${up}${items.join('\n')}\n</ul>`);
}

/** `child` is `parent` or inside it, after following symlinks. */
function inside(parent: string, child: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

function realOrNull(p: string): string | null {
  try {
    return fs.realpathSync(p);
  } catch {
    return null;
  }
}

export interface Reply {
  status: number;
  type: string;
  body: string | Buffer;
}

// #region resolve
/**
 * What to answer for URL path `urlPath`: a file of the site, a code page or folder of the
 * repository, or a 404. Pure apart from reading files, so tests call it without a server.
 */
export function resolveRequest(siteDir: string, rootDir: string, urlPath: string): Reply {
  const notFound: Reply = { status: 404, type: TYPES['.html'], body: page('not found', `<h1>404</h1><p>${escapeHtml(urlPath)} is not here.</p>`) };
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath.split('?')[0]);
  } catch {
    return notFound;
  }
  if (decoded.includes('\0')) return notFound;
  const rel = path.posix.normalize(decoded).replace(/^\/+/, '');
  // 1. the built site
  const site = realOrNull(siteDir);
  const inSite = site && realOrNull(path.join(siteDir, rel));
  if (site && inSite && inside(site, inSite)) {
    const st = fs.statSync(inSite);
    const file = st.isDirectory() ? path.join(inSite, 'index.html') : inSite;
    if (fs.existsSync(file)) {
      return { status: 200, type: TYPES[path.extname(file)] ?? 'application/octet-stream', body: fs.readFileSync(file) };
    }
  }
  // 2. the code browser: /code/ lists the code folders; /lib/… is the repository's lib/
  const root = realOrNull(rootDir);
  if (!root) return notFound;
  if (rel === 'code' || rel === 'code/') {
    return { status: 200, type: TYPES['.html'], body: folderPage('', CODE_DIRS.filter((d) => fs.existsSync(path.join(root, d))).map((name) => ({ name, dir: true, href: `/${name}/` }))) };
  }
  const top = rel.split('/')[0];
  if (!(CODE_DIRS as readonly string[]).includes(top)) return notFound;
  const target = realOrNull(path.join(root, rel));
  if (!target || !inside(path.join(root, top), target)) return notFound;
  const relClean = path.relative(root, target).split(path.sep).join('/');
  if (fs.statSync(target).isDirectory()) {
    // a folder's links are relative: it must be asked for with its trailing slash
    if (!decoded.endsWith('/')) return { status: 301, type: 'text/plain', body: `/${relClean}/` };
    const entries = fs.readdirSync(target, { withFileTypes: true })
      .filter((e) => !e.name.startsWith('.') && e.name !== 'node_modules')
      .map((e) => ({ name: e.name, dir: e.isDirectory() }));
    return { status: 200, type: TYPES['.html'], body: folderPage(relClean, entries) };
  }
  const ext = path.extname(target);
  if (TYPES[ext] && ext !== '.json') return { status: 200, type: TYPES[ext], body: fs.readFileSync(target) };
  if (!CODE_EXT.has(ext)) return { status: 200, type: 'application/octet-stream', body: fs.readFileSync(target) };
  return { status: 200, type: TYPES['.html'], body: codePage(relClean, fs.readFileSync(target, 'utf8')) };
}
// #endregion

/** Serve until the process ends. Resolves with the server once it listens (port 0: any free port). */
export function serveSite(siteDir: string, rootDir: string, port: number, host = '0.0.0.0'): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD' }).end();
      return;
    }
    let reply: Reply;
    try {
      reply = resolveRequest(siteDir, rootDir, new URL(req.url ?? '/', 'http://x').pathname);
    } catch (e) {
      reply = { status: 500, type: 'text/plain', body: (e as Error).message };
    }
    const headers: Record<string, string> = { 'Content-Type': reply.type, 'Cache-Control': 'no-cache' };
    if (reply.status === 301) headers.Location = String(reply.body);
    res.writeHead(reply.status, headers);
    res.end(req.method === 'HEAD' ? undefined : reply.body);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}
