// The site server's answers, asked without a server (resolveRequest) and once over HTTP.

import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { codePage, resolveRequest, serveSite } from './serve.js';

let root = '';
let site = '';
beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), 'serve-'));
  site = path.join(root, 'site');
  mkdirSync(path.join(site, 'stages/01-x'), { recursive: true });
  writeFileSync(path.join(site, 'index.html'), '<h1>index</h1>');
  writeFileSync(path.join(site, 'stages/01-x/README.html'), '<h1>one</h1>');
  mkdirSync(path.join(root, 'lib/cli'), { recursive: true });
  writeFileSync(path.join(root, 'lib/cli/x.ts'), 'const a = 1 < 2;\nexport {};\n');
  writeFileSync(path.join(root, 'secret.txt'), 'no');
  symlinkSync('../secret.txt', path.join(root, 'lib/out'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const body = (r: { body: string | Buffer }) => String(r.body);

describe('resolveRequest', () => {
  it('serves the built site, index.html for /', () => {
    expect(body(resolveRequest(site, root, '/'))).toBe('<h1>index</h1>');
    const r = resolveRequest(site, root, '/stages/01-x/README.html');
    expect([r.status, r.type, body(r)]).toEqual([200, 'text/html; charset=utf-8', '<h1>one</h1>']);
  });

  it('shows a code file as a page with an anchor per line, its text escaped', () => {
    const r = resolveRequest(site, root, '/lib/cli/x.ts');
    expect(r.status).toBe(200);
    expect(body(r)).toContain('<tr id="L1">');
    expect(body(r)).toContain('<tr id="L2">');
    expect(body(r)).not.toContain('<tr id="L3">');
    expect(body(r)).toContain('const a = 1 &lt; 2;');
  });

  it('lists a code folder (folders first), after redirecting to its trailing slash', () => {
    expect(resolveRequest(site, root, '/lib')).toMatchObject({ status: 301, body: '/lib/' });
    const r = body(resolveRequest(site, root, '/lib/'));
    expect(r.indexOf('href="cli/"')).toBeGreaterThan(0);
    expect(body(resolveRequest(site, root, '/code/'))).toContain('href="/lib/"');
  });

  it.each(['/../secret.txt', '/lib/../secret.txt', '/lib/%2e%2e/secret.txt', '/lib/out', '/secret.txt', '/node_modules/x', '/lib/%00'])(
    'answers 404 to %s: nothing outside the site and the code folders',
    (url) => {
      expect(resolveRequest(site, root, url).status).toBe(404);
    },
  );
});

describe('codePage', () => {
  it('numbers the lines from 1 and ignores the final newline', () => {
    const html = codePage('a.ts', 'x\ny\n');
    expect(html.match(/<tr id="L\d+">/g)).toEqual(['<tr id="L1">', '<tr id="L2">']);
  });
});

describe('serveSite', () => {
  it('answers over HTTP on the port it was given (0: any free one)', async () => {
    const server = await serveSite(site, root, 0, '127.0.0.1');
    try {
      const addr = server.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      const res = await fetch(`http://127.0.0.1:${port}/stages/01-x/README.html`);
      expect([res.status, await res.text()]).toEqual([200, '<h1>one</h1>']);
      expect((await fetch(`http://127.0.0.1:${port}/nope`)).status).toBe(404);
      expect((await fetch(`http://127.0.0.1:${port}/`, { method: 'POST' })).status).toBe(405);
    } finally {
      server.close();
    }
  });
});
