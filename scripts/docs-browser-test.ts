// The site in a real browser: build it, serve it (docs/serve.ts), and drive the distribution's
// chromium, headless, over the DevTools protocol (a WebSocket; Node's own, no dependency).
//
//   1. every page reachable from index.html loads (HTTP 200, in the browser), and so does every
//      same-site link on them (pages, pictures, the code browser's pages);
//   2. no broken link and no broken anchor: a link `page#id` needs an element with that id;
//   3. every picture on the pages is drawn (the browser decoded it: naturalWidth > 0);
//   4. a screenshot of one chapter (stage 3) shows its diagram and a code excerpt (a TypeScript
//      block, as the anchors embed the engine's code), both in view;
//      saved as .docs-test/chapter.png (gitignored) and checked to hold more than white: the
//      diagram's part of it must compress to much more than a blank area of the same size.
//
// Prints a line per step and ends with `N passed, N failed` (.ci/run counts it). Needs chromium:
// `MINIDOCK_DOCS=1 sudo bash vagrant/provision.sh` installs it (CI installs it always).
//
// Usage: npm run docs:browser-test   (node dist/scripts/docs-browser-test.js)

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatAnchorError } from '../docs/anchors.js';
import { buildSite } from '../docs/build.js';
import { serveSite } from '../docs/serve.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The chapter whose screenshot must show a diagram and a code excerpt. */
const CHAPTER = 'stages/03-overlay2/README.html';
const SHOT_DIR = path.join(repo, '.docs-test');

// Node 20 has WebSocket behind a flag (Node 22 has it by default): run again with the flag.
if (typeof (globalThis as { WebSocket?: unknown }).WebSocket === 'undefined') {
  const r = spawnSync(process.execPath, ['--experimental-websocket', '--no-warnings', ...process.argv.slice(1)], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}

// #region devtools
/** A DevTools protocol connection to one page: send a command, wait for an event. */
class Page {
  private next = 1;
  private pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private waiters: { method: string; resolve: (params: unknown) => void }[] = [];

  private constructor(private ws: WebSocket) {
    ws.addEventListener('message', (ev) => {
      const msg = JSON.parse(String(ev.data)) as { id?: number; result?: unknown; error?: { message: string }; method?: string; params?: unknown };
      if (msg.id !== undefined) {
        const p = this.pending.get(msg.id);
        this.pending.delete(msg.id);
        if (msg.error) p?.reject(new Error(msg.error.message));
        else p?.resolve(msg.result);
      } else if (msg.method) {
        const i = this.waiters.findIndex((w) => w.method === msg.method);
        if (i !== -1) this.waiters.splice(i, 1)[0].resolve(msg.params);
      }
    });
  }

  static open(url: string): Promise<Page> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      ws.addEventListener('open', () => resolve(new Page(ws)));
      ws.addEventListener('error', () => reject(new Error(`cannot connect to ${url}`)));
    });
  }

  send<T = Record<string, unknown>>(method: string, params: Record<string, unknown> = {}): Promise<T> {
    const id = this.next++;
    this.ws.send(JSON.stringify({ id, method, params }));
    return new Promise((resolve, reject) => this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject }));
  }

  /** Resolves at the next `method` event, or rejects after `ms`. */
  event(method: string, ms = 15_000): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const w = { method, resolve };
      this.waiters.push(w);
      setTimeout(() => {
        const i = this.waiters.indexOf(w);
        if (i !== -1) {
          this.waiters.splice(i, 1);
          reject(new Error(`no ${method} within ${ms} ms`));
        }
      }, ms);
    });
  }

  /** Load `url` and wait for its load event; the navigation's HTTP status. */
  async goto(url: string): Promise<number> {
    const loaded = this.event('Page.loadEventFired');
    const r = await this.send<{ errorText?: string }>('Page.navigate', { url });
    if (r.errorText) throw new Error(`${url}: ${r.errorText}`);
    await loaded;
    return this.eval<number>(`performance.getEntriesByType('navigation')[0]?.responseStatus ?? 0`);
  }

  async eval<T>(expression: string): Promise<T> {
    const r = await this.send<{ result: { value: T }; exceptionDetails?: { text: string } }>('Runtime.evaluate', { expression, returnByValue: true, awaitPromise: true });
    if (r.exceptionDetails) throw new Error(`in the page: ${r.exceptionDetails.text}`);
    return r.result.value;
  }

  close(): void {
    this.ws.close();
  }
}
// #endregion

/** Start chromium headless with a DevTools port; resolves with its first page's WebSocket URL. */
async function startChromium(profile: string): Promise<{ child: ChildProcess; pageUrl: string }> {
  const bin = ['chromium', 'chromium-browser', 'google-chrome'].find((b) => spawnSync('sh', ['-c', `command -v ${b}`]).status === 0);
  if (!bin) throw new Error('chromium is not installed: MINIDOCK_DOCS=1 sudo bash vagrant/provision.sh');
  const args = ['--headless', '--disable-gpu', '--no-first-run', '--hide-scrollbars', '--remote-debugging-port=0', `--user-data-dir=${profile}`, '--window-size=1280,1600', 'about:blank'];
  // as root, chromium refuses to start with its sandbox (it needs an unprivileged user for it)
  if (process.getuid?.() === 0) args.unshift('--no-sandbox');
  const child = spawn(bin, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const browserUrl = await new Promise<string>((resolve, reject) => {
    let err = '';
    const timer = setTimeout(() => reject(new Error(`chromium did not start:\n${err}`)), 30_000);
    child.stderr!.on('data', (d) => {
      err += d;
      const m = /DevTools listening on (ws:\/\/\S+)/.exec(err);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.on('exit', (code) => reject(new Error(`chromium exited ${code}:\n${err}`)));
  });
  const port = new URL(browserUrl).port;
  const targets = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as { type: string; webSocketDebuggerUrl: string }[];
  const page = targets.find((t) => t.type === 'page');
  if (!page) throw new Error('chromium has no page to drive');
  return { child, pageUrl: page.webSocketDebuggerUrl };
}

interface Seen {
  status: number;
  ids: Set<string>;
}

type Result = { name: string; ok: boolean; detail: string };

async function main(): Promise<number> {
  const started = Date.now();
  const results: Result[] = [];
  const record = (name: string, problems: string[], detail: string) => results.push({ name, ok: problems.length === 0, detail: problems.length ? problems.slice(0, 20).join('\n      ') : detail });

  const work = fs.mkdtempSync(path.join(tmpdir(), 'minidock-docs-'));
  const siteDir = path.join(work, 'site');
  const built = buildSite(repo, siteDir);
  if (built.errors.length) {
    for (const e of built.errors) console.error(formatAnchorError(e));
    console.log('0 passed, 1 failed');
    return 1;
  }
  const server = await serveSite(siteDir, repo, 0, '127.0.0.1');
  const addr = server.address();
  const base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  const { child, pageUrl } = await startChromium(path.join(work, 'profile'));
  const page = await Page.open(pageUrl);
  try {
    await page.send('Page.enable');

    // 1–3: crawl from index.html. Built pages are followed; every same-site link they hold is
    // loaded too (a code page, a folder, a picture), but links on those are not followed further.
    const seen = new Map<string, Seen>();
    const links: { from: string; href: string }[] = [];
    const loadProblems: string[] = [];
    const pictureProblems: string[] = [];
    const isSitePage = (u: URL) => fs.existsSync(path.join(siteDir, u.pathname)) && u.pathname.endsWith('.html');
    const queue = [`${base}/index.html`];
    let pictures = 0;
    while (queue.length) {
      const url = queue.shift()!;
      if (seen.has(url)) continue;
      const u = new URL(url);
      if (/\.(svg|png)$/.test(u.pathname)) {
        // a picture: the server must have it (whether it draws is checked where a page shows it)
        const res = await fetch(url);
        seen.set(url, { status: res.status, ids: new Set() });
        if (res.status !== 200) loadProblems.push(`${u.pathname}: HTTP ${res.status}`);
        continue;
      }
      const status = await page.goto(url);
      const facts = await page.eval<{ links: string[]; ids: string[]; images: { src: string; ok: boolean }[] }>(`({
        links: [...document.querySelectorAll('a[href]')].map((a) => a.href),
        ids: [...document.querySelectorAll('[id]')].map((e) => e.id),
        images: [...document.images].map((i) => ({ src: i.getAttribute('src'), ok: i.complete && i.naturalWidth > 0 })),
      })`);
      seen.set(url, { status, ids: new Set(facts.ids) });
      if (status !== 200) loadProblems.push(`${u.pathname}: HTTP ${status}`);
      if (!isSitePage(u)) continue;
      for (const img of facts.images) {
        pictures++;
        if (!img.ok) pictureProblems.push(`${u.pathname}: the picture ${img.src} is not drawn`);
      }
      for (const href of facts.links) {
        const target = new URL(href);
        if (target.origin !== base) continue; // outside: not reachable from a lab without network
        links.push({ from: u.pathname, href });
        target.hash = '';
        queue.push(target.href);
      }
    }
    const pages = [...seen.keys()].filter((k) => isSitePage(new URL(k))).length;
    record('every page loads in the browser', loadProblems, `${pages} pages of the site and ${seen.size - pages} files they link to, HTTP 200`);

    const linkProblems: string[] = [];
    let anchors = 0;
    for (const { from, href } of links) {
      const t = new URL(href);
      const hash = decodeURIComponent(t.hash.slice(1));
      t.hash = '';
      const s = seen.get(t.href);
      if (!s || s.status !== 200) linkProblems.push(`${from}: link to ${href}: not found`);
      else if (hash) {
        anchors++;
        // a line range #L10-L20 (GitHub's form) lands on its first line
        const id = /^L\d+-L\d+$/.test(hash) ? hash.split('-')[0] : hash;
        if (!s.ids.has(id)) linkProblems.push(`${from}: link to ${href}: no element with id "${id}" there`);
      }
    }
    record('no broken link or anchor', linkProblems, `${links.length} links, ${anchors} of them to an anchor`);
    record('every picture on the pages is drawn', pictureProblems, `${pictures} pictures`);

    // 4: the chapter's screenshot
    const shotProblems: string[] = [];
    await page.send('Emulation.setDeviceMetricsOverride', { width: 1280, height: 1600, deviceScaleFactor: 1, mobile: false });
    await page.goto(`${base}/${CHAPTER}`);
    const view = await page.eval<{ img?: { x: number; y: number; width: number; height: number; drawn: boolean }; codeInView: boolean; scrollY: number }>(`(() => {
      const img = [...document.images].find((i) => i.getAttribute('src').endsWith('.svg'));
      if (!img) return { codeInView: false, scrollY };
      img.scrollIntoView({ block: 'start' });
      const r = img.getBoundingClientRect();
      const inView = (e) => { const b = e.getBoundingClientRect(); return b.top >= 0 && b.bottom <= innerHeight && b.height > 0; };
      return {
        img: { x: r.x, y: r.y, width: r.width, height: r.height, drawn: img.complete && img.naturalWidth > 0 },
        codeInView: [...document.querySelectorAll('pre > code.language-ts')].some(inView),
        scrollY,
      };
    })()`);
    if (!view.img) shotProblems.push(`${CHAPTER} shows no diagram`);
    else {
      if (!view.img.drawn) shotProblems.push(`${CHAPTER}: the diagram is not drawn`);
      if (!view.codeInView) shotProblems.push(`${CHAPTER}: no code excerpt in the same screenful as the diagram`);
      const shot = await page.send<{ data: string }>('Page.captureScreenshot', { format: 'png' });
      fs.mkdirSync(SHOT_DIR, { recursive: true });
      const file = path.join(SHOT_DIR, 'chapter.png');
      fs.writeFileSync(file, Buffer.from(shot.data, 'base64'));
      // "more than white": the diagram's area against a blank page's area of the same size
      // (a clip is in the document's coordinates, not the window's: add how far it is scrolled)
      const clip = { x: view.img.x, y: view.img.y + view.scrollY, width: view.img.width, height: view.img.height, scale: 1 };
      const diagram = Buffer.from((await page.send<{ data: string }>('Page.captureScreenshot', { format: 'png', clip })).data, 'base64').length;
      await page.goto('about:blank');
      const blank = Buffer.from((await page.send<{ data: string }>('Page.captureScreenshot', { format: 'png', clip: { ...clip, y: 0 } })).data, 'base64').length;
      if (diagram < 5 * blank) shotProblems.push(`the diagram's area is ${diagram} bytes of PNG, a blank one ${blank}: nothing drawn there`);
      results.push({
        name: `a screenshot of ${CHAPTER} shows its diagram and a code excerpt`,
        ok: shotProblems.length === 0,
        detail: shotProblems.length ? shotProblems.join('\n      ') : `${path.relative(process.cwd(), file)}: ${fs.statSync(file).size} bytes; the diagram's area ${diagram} bytes against ${blank} blank`,
      });
    }
    if (!view.img) results.push({ name: `a screenshot of ${CHAPTER}`, ok: false, detail: shotProblems.join('; ') });
  } finally {
    page.close();
    // chromium writes its profile until it has exited: wait for that before removing it
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
    server.close();
    fs.rmSync(work, { recursive: true, force: true, maxRetries: 5 });
  }

  for (const r of results) console.log(`  ${r.ok ? '✔' : '✘'} ${r.name}\n      ${r.detail}`);
  const passed = results.filter((r) => r.ok).length;
  console.log(`docs in the browser: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  console.log(`${passed} passed, ${results.length - passed} failed`);
  return passed === results.length ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(`minidock: docs browser test: ${(e as Error).message}`);
    console.log('0 passed, 1 failed');
    process.exit(1);
  },
);
