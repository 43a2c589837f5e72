// Stage 6 — images: tag, save/load (docker-archive and OCI layout) read and written by skopeo and
// umoci, push and pull against a real local registry (Debian's docker-registry, started here with
// our own config on a free 127.0.0.1 port, stopped afterwards), digests agreeing with skopeo's, a
// corrupted blob refused. See stages/06-images.

import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { networkInterfaces } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { assert, assertEqual, assertFailures, CheckFailure, engine, eventually, exec, md, mdOk, sleep, type Context, type Stage } from './harness.js';

const here = path.dirname(fileURLToPath(import.meta.url));

function root(ctx: Context): string {
  return ctx.env.MINIDOCK_ROOT || '/var/lib/minidock';
}

function sha256File(file: string): string {
  return `sha256:${createHash('sha256').update(readFileSync(file)).digest('hex')}`;
}

async function ok(cmd: string, args: string[]): Promise<string> {
  const r = await exec(cmd, args);
  if (r.code !== 0) throw new CheckFailure(`${cmd} ${args.join(' ')} exited ${r.code}: ${(r.stderr || r.stdout).trim().split('\n').pop()}`);
  return r.stdout;
}

async function imageId(ctx: Context, name: string): Promise<string> {
  return (await mdOk(ctx, ['inspect', '--type', 'image', '-f', '{{.Id}}', name])).trim();
}

async function diffIds(ctx: Context, name: string): Promise<string[]> {
  return JSON.parse(await mdOk(ctx, ['inspect', '--type', 'image', '-f', '{{json .RootFS.Layers}}', name])) as string[];
}

/** The layer records of the store (layerdb/sha256/*), to see that a failure added none. */
function layerRecords(ctx: Context): string[] {
  const dir = path.join(root(ctx), 'image', 'overlay2', 'layerdb', 'sha256');
  return existsSync(dir) ? readdirSync(dir).sort() : [];
}

/** An unused TCP port on 127.0.0.1. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

/** GET a URL, its body as text; a status other than 200 is an error. */
async function httpText(url: string): Promise<string> {
  const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
  if (res.status !== 200) throw new CheckFailure(`${url} answered ${res.status}`);
  return res.text();
}

/** The host's first IPv4 address outside loopback and our bridges (where -p PORT:80 answers too). */
function hostAddress(): string {
  for (const [name, addrs] of Object.entries(networkInterfaces())) {
    if (name.startsWith('minidock') || name.startsWith('veth')) continue;
    const v4 = addrs?.find((a) => a.family === 'IPv4' && !a.internal);
    if (v4) return v4.address;
  }
  throw new CheckFailure('this host has no IPv4 address outside loopback to fetch a published port at');
}

interface Registry {
  host: string;
  dir: string;
  proc: ChildProcess;
}

/**
 * docker-registry with a config of our own: filesystem storage in a temp dir, no auth, or (with
 * `htpasswd`, a line `user:bcrypt hash`) basic authentication.
 */
async function startRegistry(htpasswd?: string): Promise<Registry> {
  const dir = mkdtempSync('/tmp/mdcheck-registry-');
  const port = await freePort();
  const config = path.join(dir, 'config.yml');
  let auth = '';
  if (htpasswd) {
    writeFileSync(path.join(dir, 'htpasswd'), `${htpasswd}\n`);
    auth = `auth:\n  htpasswd:\n    realm: minidock-check\n    path: ${dir}/htpasswd\n`;
  }
  writeFileSync(config, `version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: ${dir}/data\n${auth}http:\n  addr: 127.0.0.1:${port}\n`);
  const proc = spawn('docker-registry', ['serve', config], { stdio: 'ignore' });
  const host = `127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    try {
      const res = await fetch(`http://${host}/v2/`);
      if (res.ok || res.status === 401) return { host, dir, proc };
    } catch {
      // not listening yet
    }
    await sleep(50);
  }
  proc.kill();
  rmSync(dir, { recursive: true, force: true });
  throw new CheckFailure('docker-registry did not start (is the docker-registry package installed?)');
}

async function stopRegistry(r: Registry): Promise<void> {
  r.proc.kill();
  await new Promise((res) => (r.proc.exitCode !== null ? res(null) : r.proc.once('exit', res)));
  rmSync(r.dir, { recursive: true, force: true });
}

async function withRegistry(fn: (r: Registry) => Promise<void>, htpasswd?: string): Promise<void> {
  const r = await startRegistry(htpasswd);
  try {
    await fn(r);
  } finally {
    await stopRegistry(r);
  }
}

/**
 * An image made without minidock: an OCI layout whose two layers are GNU tar archives (another
 * header style than ours): busybox's files, then one more file. skopeo copies it wherever asked.
 */
async function foreignLayout(ctx: Context, dir: string): Promise<{ layout: string; diffIds: string[] }> {
  const upper = (await mdOk(ctx, ['inspect', '--type', 'image', '-f', '{{.GraphDriver.Data.UpperDir}}', 'busybox'])).trim();
  const l1 = path.join(dir, 'l1');
  const l2 = path.join(dir, 'l2');
  cpSync(upper, l1, { recursive: true, verbatimSymlinks: true });
  mkdirSync(path.join(l2, 'etc'), { recursive: true });
  writeFileSync(path.join(l2, 'etc', 'greeting'), `made by GNU tar ${Date.now()}\n`);
  const layout = path.join(dir, 'oci');
  const blobs = path.join(layout, 'blobs', 'sha256');
  mkdirSync(blobs, { recursive: true });
  const put = (file: string) => {
    const d = sha256File(file);
    cpSync(file, path.join(blobs, d.slice(7)));
    return { digest: d, size: statSync(file).size };
  };
  const layers = [];
  const ids = [];
  for (const [i, src] of [l1, l2].entries()) {
    const t = path.join(dir, `layer${i}.tar`);
    await ok('tar', ['-C', src, '-cf', t, '.']);
    ids.push(sha256File(t));
    await ok('gzip', ['-n', t]);
    layers.push({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...put(`${t}.gz`) });
  }
  const config = { architecture: process.arch === 'arm64' ? 'arm64' : 'amd64', os: 'linux', config: { Cmd: ['cat', '/etc/greeting'] }, rootfs: { type: 'layers', diff_ids: ids } };
  writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config));
  const manifest = { schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...put(path.join(dir, 'config.json')) }, layers };
  writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest));
  const m = put(path.join(dir, 'manifest.json'));
  writeFileSync(path.join(layout, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: manifest.mediaType, ...m, annotations: { 'org.opencontainers.image.ref.name': 'v1' } }] }));
  writeFileSync(path.join(layout, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  return { layout, diffIds: ids };
}

/** skopeo inspect … as JSON. */
async function skopeoInspect(args: string[]): Promise<{ Digest: string; Layers: string[] }> {
  return JSON.parse(await ok('skopeo', ['inspect', ...args])) as { Digest: string; Layers: string[] };
}

export const stage: Stage = {
  n: 6,
  title: 'images',
  checks: [
    {
      name: 'save → rmi → load round-trips the image ID, and skopeo and umoci read the archive both ways (docker-archive and OCI layout)',
      hint: 'lib/image/archive.ts saveImages/loadImages; lib/image/tar-split.ts gives each layer back byte for byte; stages/06-images "save and load"',
      async run(ctx) {
        const name = `${ctx.name('saved')}:v1`;
        const dir = mkdtempSync('/tmp/mdcheck-save-');
        try {
          await mdOk(ctx, ['tag', 'busybox', name]);
          const id = await imageId(ctx, name);
          const layers = await diffIds(ctx, name);
          const file = path.join(dir, 'img.tar');
          await mdOk(ctx, ['save', '-o', file, name]);
          const entries = (await ok('tar', ['-tf', file])).split('\n');
          for (const f of ['manifest.json', 'index.json', 'oci-layout', `blobs/sha256/${id.slice(7)}`]) assert(entries.includes(f), `the saved archive lacks ${f}`);
          const da = await skopeoInspect([`docker-archive:${file}`]);
          assertEqual(da.Layers, layers, 'the DiffIDs skopeo reads from our docker-archive');
          const oci = await skopeoInspect([`oci-archive:${file}`]);
          assertEqual(oci.Layers, layers, 'the layers skopeo reads from our OCI layout (uncompressed: digest = DiffID)');
          // umoci unpacks the OCI layout into a runtime bundle
          mkdirSync(path.join(dir, 'layout'));
          await ok('tar', ['-C', path.join(dir, 'layout'), '-xf', file]);
          await ok('umoci', ['unpack', '--image', `${path.join(dir, 'layout')}:v1`, path.join(dir, 'bundle')]);
          assert(existsSync(path.join(dir, 'bundle', 'rootfs', 'bin', 'busybox')), 'umoci unpacked no bin/busybox from our layout');

          await mdOk(ctx, ['rmi', name]);
          const out = await mdOk(ctx, ['load', '-i', file]);
          assert(out.includes(`Loaded image: ${name}`), `load printed ${JSON.stringify(out.trim())}, not "Loaded image: ${name}"`);
          assertEqual(await imageId(ctx, name), id, 'the image ID after save → rmi → load');

          // what skopeo writes loads too, gzip-compressed included
          await ok('skopeo', ['copy', '-q', `docker-archive:${file}`, `docker-archive:${path.join(dir, 'sk.tar')}:${ctx.name('skopeo')}:da`]);
          await ok('gzip', [path.join(dir, 'sk.tar')]);
          const skOut = await mdOk(ctx, ['load', '-i', path.join(dir, 'sk.tar.gz')]);
          assert(/Loaded image: mdcheck-skopeo-\S+:da/.test(skOut), `load of skopeo's docker-archive printed ${JSON.stringify(skOut.trim())}`);
          const skName = /Loaded image: (\S+)/.exec(skOut)![1];
          assertEqual(await imageId(ctx, skName), id, "the image ID of skopeo's docker-archive copy");
          await mdOk(ctx, ['rmi', skName]);
          await ok('skopeo', ['copy', '-q', `docker-archive:${file}`, `oci-archive:${path.join(dir, 'sk-oci.tar')}:x`]);
          const ociOut = await mdOk(ctx, ['load', '-i', path.join(dir, 'sk-oci.tar')]);
          const loadedId = /Loaded image ID: (sha256:[0-9a-f]{64})/.exec(ociOut)?.[1];
          assert(loadedId, `load of skopeo's oci-archive printed ${JSON.stringify(ociOut.trim())}`);
          assertEqual(await diffIds(ctx, loadedId), layers, "the DiffIDs of skopeo's oci-archive copy");
          await md(ctx, ['rmi', loadedId]);
        } finally {
          await md(ctx, ['rmi', name]);
          rmSync(dir, { recursive: true, force: true });
        }
      },
    },
    {
      name: 'push to a local registry: skopeo sees our digest and DiffIDs; rmi then pull gives the same image ID; a second pull fetches nothing; pull by digest',
      hint: 'lib/image/push.ts and pull.ts, lib/image/registry.ts (uploads, Location with a query), lib/image/manifest.ts; stages/06-images "pull and push"',
      async run(ctx) {
        await withRegistry(async (reg) => {
          const repo = `${reg.host}/${ctx.name('bb')}`;
          const name = `${repo}:latest`;
          try {
            await mdOk(ctx, ['tag', 'busybox', name]);
            const id = await imageId(ctx, name);
            const layers = await diffIds(ctx, name);
            const pushed = await mdOk(ctx, ['push', name]);
            const digest = /latest: digest: (sha256:[0-9a-f]{64}) size: \d+/.exec(pushed)?.[1];
            assert(digest, `push did not print "latest: digest: sha256:… size: N": ${JSON.stringify(pushed)}`);
            const sk = await skopeoInspect(['--tls-verify=false', `docker://${name}`]);
            assertEqual(sk.Digest, digest, 'the manifest digest skopeo reads from the registry');
            const cfg = JSON.parse(await ok('skopeo', ['inspect', '--config', '--tls-verify=false', `docker://${name}`])) as { rootfs: { diff_ids: string[] } };
            assertEqual(cfg.rootfs.diff_ids, layers, 'the DiffIDs in the config skopeo reads');
            const blob = await fetch(`http://${reg.host}/v2/${repo.slice(reg.host.length + 1)}/blobs/${id}`);
            assert(blob.ok, `the registry has no blob ${id} (the config, named by the image ID): ${blob.status}`);
            assertEqual(`sha256:${createHash('sha256').update(Buffer.from(await blob.arrayBuffer())).digest('hex')}`, id, 'the sha256 of the config blob in the registry');

            await mdOk(ctx, ['rmi', name]);
            const pulled = await mdOk(ctx, ['pull', name]);
            assert(pulled.includes(`Digest: ${digest}`), `pull did not print "Digest: ${digest}": ${JSON.stringify(pulled)}`);
            assertEqual(await imageId(ctx, name), id, 'the image ID after push → rmi → pull');
            const again = await mdOk(ctx, ['pull', name]);
            assert(!/Download complete|Pull complete/.test(again) && /Image is up to date/.test(again), `a second pull fetched again: ${JSON.stringify(again)}`);
            const byDigest = await mdOk(ctx, ['pull', `${repo}@${digest}`]);
            assert(byDigest.includes(`Digest: ${digest}`), `pull by digest printed ${JSON.stringify(byDigest)}`);
            const shown = await mdOk(ctx, ['images', '--digests', repo]);
            assert(shown.includes(digest), `images --digests does not show ${digest}: ${shown}`);
          } finally {
            await md(ctx, ['rmi', '-f', name]);
          }
        });
      },
    },
    {
      name: 'pull on a terminal (a pty made by script(1)) redraws each layer\'s line in place with a bar; piped it prints plain lines; -q prints only the name',
      hint: 'lib/cli/progress.ts TerminalProgress (ESC[nA up, ESC[2K clear, ESC[nB down), lib/image/progress.ts plainProgress, lib/image/pull.ts progress events; stages/06-images "progress on a terminal"',
      async run(ctx) {
        const dir = mkdtempSync('/tmp/mdcheck-tty-');
        await withRegistry(async (reg) => {
          const name = `${reg.host}/${ctx.name('tty')}:v1`;
          try {
            // layers the store does not have (busybox's own would be "Already exists")
            const { layout } = await foreignLayout(ctx, dir);
            await ok('skopeo', ['copy', '-q', '--dest-tls-verify=false', `oci:${layout}:v1`, `docker://${name}`]);
            // script -qec CMD /dev/null: CMD runs with a pty as its stdout; we read what it drew
            const quoted = [engine(), 'pull', name].map((w) => `'${w.replace(/'/g, "'\\''")}'`).join(' ');
            const tty = await exec('script', ['-qec', quoted, '/dev/null'], { env: ctx.env, timeoutMs: 30_000 });
            assertEqual(tty.code, 0, `pull under script(1) exit status (output ${JSON.stringify(tty.stdout.slice(-300))})`);
            const id = /([0-9a-f]{12}): Pulling fs layer/.exec(tty.stdout)?.[1];
            assert(id, `no "<id>: Pulling fs layer" line on the terminal: ${JSON.stringify(tty.stdout.slice(0, 400))}`);
            const inPlace = (status: string) => new RegExp(`\\x1b\\[\\d+A\\r\\x1b\\[2K${id}: ${status}`).test(tty.stdout);
            assert(inPlace('(Downloading|Extracting) \\[[=> ]{50}\\] +[\\d.]+[kM]?B/[\\d.]+[kM]?B'), `no bar redrawn in place (ESC[nA ESC[2K "${id}: Downloading [===>  ] 1.2MB/2.1MB"): ${JSON.stringify(tty.stdout.slice(0, 600))}`);
            assert(inPlace('Pull complete'), `"${id}: Pull complete" was not drawn over the layer's line: ${JSON.stringify(tty.stdout.slice(0, 600))}`);

            await mdOk(ctx, ['rmi', name]);
            const piped = await mdOk(ctx, ['pull', name]);
            assert(!piped.includes('\x1b'), `pull into a pipe wrote escape sequences: ${JSON.stringify(piped.slice(0, 300))}`);
            assert(piped.includes(`${id}: Pull complete\n`) && !piped.includes('Downloading'), `pull into a pipe printed ${JSON.stringify(piped)}`);
            await mdOk(ctx, ['rmi', name]);
            assertEqual(await mdOk(ctx, ['pull', '-q', name]), `${name}\n`, 'pull -q output');
          } finally {
            await md(ctx, ['rmi', '-f', name]);
          }
        });
        rmSync(dir, { recursive: true, force: true });
      },
    },
    {
      name: 'an image pushed by skopeo (GNU tar layers) is pulled and run, and saved again with the DiffIDs its config names',
      hint: 'lib/image/pull.ts; lib/image/tar-split.ts (the tar comes back byte for byte, whatever wrote it); stages/06-images "giving a layer back"',
      async run(ctx) {
        const dir = mkdtempSync('/tmp/mdcheck-foreign-');
        await withRegistry(async (reg) => {
          const name = `${reg.host}/${ctx.name('foreign')}:v1`;
          try {
            const { layout, diffIds: ids } = await foreignLayout(ctx, dir);
            await ok('skopeo', ['copy', '-q', '--dest-tls-verify=false', `oci:${layout}:v1`, `docker://${name}`]);
            await mdOk(ctx, ['pull', name]);
            assertEqual(await diffIds(ctx, name), ids, 'the DiffIDs of the pulled image');
            const out = await mdOk(ctx, ['run', '--rm', '--network', 'none', name]);
            assert(out.startsWith('made by GNU tar'), `the pulled image ran and printed ${JSON.stringify(out)}`);
            const file = path.join(dir, 'again.tar');
            await mdOk(ctx, ['save', '-o', file, name]);
            assertEqual((await skopeoInspect([`docker-archive:${file}`])).Layers, ids, 'the DiffIDs skopeo reads from our save of a foreign image');
          } finally {
            await md(ctx, ['rmi', '-f', name]);
          }
        });
        rmSync(dir, { recursive: true, force: true });
      },
    },
    {
      name: 'a corrupted blob in the registry is refused with a digest error, and the pull leaves nothing behind',
      hint: 'lib/image/verify.ts DigestStream checks every blob while it streams; lib/image/pull.ts stores the config last',
      async run(ctx) {
        const dir = mkdtempSync('/tmp/mdcheck-corrupt-');
        await withRegistry(async (reg) => {
          const name = `${reg.host}/${ctx.name('corrupt')}:v1`;
          const { layout } = await foreignLayout(ctx, dir);
          await ok('skopeo', ['copy', '-q', '--dest-tls-verify=false', `oci:${layout}:v1`, `docker://${name}`]);
          // flip one byte of the top layer's blob where the registry keeps it
          const manifest = JSON.parse(await ok('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${name}`])) as { layers: { digest: string }[] };
          const hex = manifest.layers[1].digest.slice(7);
          const blob = path.join(reg.dir, 'data', 'docker', 'registry', 'v2', 'blobs', 'sha256', hex.slice(0, 2), hex, 'data');
          const bytes = readFileSync(blob);
          bytes[bytes.length >> 1] ^= 0xff;
          writeFileSync(blob, bytes);
          const before = layerRecords(ctx);
          const imagesBefore = await mdOk(ctx, ['images', '-q', '--no-trunc']);
          await assertFailures(ctx, [{ argv: ['pull', name], code: 1, says: /digest mismatch/ }]);
          assertEqual(layerRecords(ctx), before, 'layer records after the refused pull');
          assertEqual(await mdOk(ctx, ['images', '-q', '--no-trunc']), imagesBefore, 'images after the refused pull');
          const tmp = path.join(root(ctx), 'tmp');
          const left = existsSync(tmp) ? readdirSync(tmp).filter((f) => f.startsWith('pull-')) : [];
          assertEqual(left, [], 'temporary files of the refused pull');
        });
        rmSync(dir, { recursive: true, force: true });
      },
    },
    {
      name: 'build of the example app: history shows each step, a rebuild is all cache hits with the same ID, a changed file rebuilds from its COPY on, and the app answers the host through -p',
      hint: 'lib/image/build.ts (cache: parent image + history entry; COPY checksum), lib/image/dockerfile.ts; stages/06-images "minidock build"',
      async run(ctx) {
        const dir = mkdtempSync('/tmp/mdcheck-build-');
        const name = `${ctx.name('app')}:v1`;
        const made: string[] = [];
        try {
          cpSync(path.join(here, '..', '..', 'stages', '06-images', 'app'), dir, { recursive: true });
          const first = await mdOk(ctx, ['build', '-t', name, dir], { timeoutMs: 60_000 });
          const stepIds = (out: string) => [...out.matchAll(/^ ---> ([0-9a-f]{12})(?: \(|$)/gm)].slice(1).map((m) => m[1]);
          made.push(...stepIds(first)); // every step's image: removed at the end, youngest first
          assert(/Step 1\/8 : FROM busybox/.test(first) && /Successfully built [0-9a-f]{12}/.test(first), `build printed ${JSON.stringify(first.slice(0, 300))}`);
          const id = await imageId(ctx, name);
          // the config as the engine stored it (imagedb/content/sha256/<id>)
          const history = JSON.parse(readFileSync(path.join(root(ctx), 'image', 'overlay2', 'imagedb', 'content', 'sha256', id.slice(7)), 'utf8')) as { history: { created_by: string; empty_layer?: boolean }[]; rootfs: { diff_ids: string[] } };
          const steps = history.history.slice(-7).map((h) => [h.created_by.replace(/^\/bin\/sh -c (#\(nop\)\s+)?/, '').split(' ')[0], !!h.empty_layer]);
          assertEqual(steps, [['LABEL', true], ['ENV', true], ['WORKDIR', true], ['COPY', false], ['chmod', false], ['EXPOSE', true], ['CMD', true]], 'the history entries (instruction, empty_layer) of the built image');
          assertEqual(history.rootfs.diff_ids.length, 3, 'layers of the built image (busybox, COPY, RUN)');

          const again = await mdOk(ctx, ['build', '-t', name, dir], { timeoutMs: 60_000 });
          assertEqual((again.match(/Using cache/g) ?? []).length, 7, 'cache hits of an unchanged rebuild');
          assertEqual(await imageId(ctx, name), id, 'the image ID of an unchanged rebuild');

          writeFileSync(path.join(dir, 'www', 'index.html'), '<p>changed</p>\n');
          const changed = await mdOk(ctx, ['build', '-t', name, dir], { timeoutMs: 60_000 });
          made.push(...stepIds(changed));
          assertEqual((changed.match(/Using cache/g) ?? []).length, 3, 'cache hits after changing a copied file (LABEL, ENV, WORKDIR only)');
          assert((await imageId(ctx, name)) !== id, 'a changed copied file gave the same image ID');

          // the app as its CMD runs it, published on a free port, fetched at the host's own address
          // (not 127.0.0.1: that needs route_localnet on the bridge, which every engine sharing
          // this machine's bridge switches off when its own last loopback-published container goes)
          const port = await freePort();
          const web = ctx.name('app-web');
          const url = `http://${hostAddress()}:${port}`;
          try {
            await mdOk(ctx, ['run', '-d', '--name', web, '-p', `${port}:80`, name]);
            const hello = await eventually(`${url}/cgi-bin/hello`, () => httpText(`${url}/cgi-bin/hello`));
            const hostname = (await mdOk(ctx, ['inspect', '-f', '{{.Config.Hostname}}', web])).trim();
            assertEqual(hello, `Hello from minidock, I am ${hostname}\n`, 'the CGI page the app serves through -p');
            assertEqual(await httpText(`${url}/index.html`), '<p>changed</p>\n', 'the changed index.html served through -p');
          } finally {
            await md(ctx, ['rm', '-f', web]);
          }

          writeFileSync(path.join(dir, 'Dockerfile'), 'FROM busybox\nFROOM x\n');
          await assertFailures(ctx, [
            { argv: ['build', dir], code: 1, says: /line 2: unknown instruction: FROOM/ },
          ]);
          writeFileSync(path.join(dir, 'Dockerfile'), 'FROM busybox\nCOPY missing.txt /x\n');
          await assertFailures(ctx, [{ argv: ['build', dir], code: 1, says: /line 2: COPY failed: file not found in build context: missing.txt/ }]);
          writeFileSync(path.join(dir, 'Dockerfile'), 'FROM busybox\nRUN exit 3\n');
          await assertFailures(ctx, [{ argv: ['build', dir], code: 1, says: /line 2: the command .* returned a non-zero code: 3/ }]);
        } finally {
          await md(ctx, ['rmi', name]);
          if (made.length > 0) await md(ctx, ['rmi', ...[...new Set(made)].reverse()]);
          rmSync(dir, { recursive: true, force: true });
        }
      },
    },
    {
      name: 'multi-stage build: the final image holds only the artifact copied --from the builder stage; --target builds the builder; unused stages are skipped; a rebuild is all cache hits; a changed artifact misses the cache',
      hint: 'lib/image/stages.ts (splitStages, stagesToBuild), lib/image/image-files.ts (copyOut reads a stage\'s layers), lib/image/build.ts prepareCopy; stages/06-images "multi-stage builds"',
      async run(ctx) {
        const dir = mkdtempSync('/tmp/mdcheck-multi-');
        const name = `${ctx.name('multi')}:v1`;
        const builder = `${ctx.name('multi')}:builder`;
        const made: string[] = [];
        const dockerfile = (word: string) =>
          [
            'ARG BASE=busybox', // a global ARG, used by the FROM lines
            'FROM ${BASE} AS builder',
            'WORKDIR /src',
            `RUN echo "artifact ${word}" > /src/artifact && echo junk > /src/builder-only`,
            'FROM ${BASE} AS unused',
            'RUN exit 7', // built, it would fail the build: it must be skipped
            'FROM scratch',
            'COPY --from=builder --chown=1000:1000 /src/artifact /artifact',
            '',
          ].join('\n');
        const topFiles = async (image: string) => {
          const upper = (await mdOk(ctx, ['inspect', '--type', 'image', '-f', '{{.GraphDriver.Data.UpperDir}}', image])).trim();
          return (await ok('find', [upper, '-mindepth', '1', '-printf', '%P %U\n'])).trim().split('\n').sort();
        };
        try {
          writeFileSync(path.join(dir, 'Dockerfile'), dockerfile('one'));
          const first = await mdOk(ctx, ['build', '-t', name, dir], { timeoutMs: 60_000 });
          made.push(...[...first.matchAll(/^ ---> ([0-9a-f]{12}) \(/gm)].map((m) => m[1]));
          assert(!first.includes('RUN exit 7'), `the unused stage was built: ${JSON.stringify(first)}`);
          assertEqual(await diffIds(ctx, name).then((l) => l.length), 1, 'layers of the final image (FROM scratch + one COPY)');
          assertEqual(await topFiles(name), ['artifact 1000'], 'the files (and owner) of the final image: the artifact only, not the builder\'s /src');
          const upper = (await mdOk(ctx, ['inspect', '--type', 'image', '-f', '{{.GraphDriver.Data.UpperDir}}', name])).trim();
          assertEqual(readFileSync(path.join(upper, 'artifact'), 'utf8'), 'artifact one\n', 'the artifact the builder stage made');

          const target = await mdOk(ctx, ['build', '--target', 'builder', '-t', builder, dir], { timeoutMs: 60_000 });
          assert(!/COPY --from/.test(target), `--target builder went on past the builder stage: ${JSON.stringify(target)}`);
          assertEqual(await topFiles(builder), ['src 0', 'src/artifact 0', 'src/builder-only 0'], 'the top layer of --target builder (its RUN)');

          const again = await mdOk(ctx, ['build', '-t', name, dir], { timeoutMs: 60_000 });
          assertEqual((again.match(/Using cache/g) ?? []).length, 3, 'cache hits of an unchanged rebuild (WORKDIR, RUN, COPY --from)');
          const id = await imageId(ctx, name);

          // the same COPY --from line, but the builder makes another artifact: that COPY misses the cache
          writeFileSync(path.join(dir, 'Dockerfile'), dockerfile('two'));
          const changed = await mdOk(ctx, ['build', '-t', name, dir], { timeoutMs: 60_000 });
          made.push(...[...changed.matchAll(/^ ---> ([0-9a-f]{12}) \(/gm)].map((m) => m[1]));
          assertEqual((changed.match(/Using cache/g) ?? []).length, 1, 'cache hits when the artifact changed (WORKDIR only)');
          assert((await imageId(ctx, name)) !== id, 'a changed artifact gave the same final image');

          await assertFailures(ctx, [
            { argv: ['build', '--target', 'nope', dir], code: 1, says: /target stage "nope" could not be found/ },
          ]);
          writeFileSync(path.join(dir, 'Dockerfile'), 'FROM busybox AS b\nFROM scratch\nCOPY --from=b /no/such /x\n');
          await assertFailures(ctx, [{ argv: ['build', dir], code: 1, says: /line 3: COPY --from=b failed: \/no\/such: no such file/ }]);
        } finally {
          await md(ctx, ['rmi', name, builder]);
          if (made.length > 0) await md(ctx, ['rmi', ...[...new Set(made)].reverse()]);
          rmSync(dir, { recursive: true, force: true });
        }
      },
    },
    {
      name: 'a registry that wants a password answers 401 until login; login keeps the credentials in a 0600 config.json; logout forgets them',
      hint: 'lib/image/auth.ts (challenges, config.json), lib/image/registry.ts authenticate and checkLogin, lib/cli/login.ts',
      async run(ctx) {
        // a bcrypt hash (cost 4: each request checks it) made once, of "secret"; htpasswd wants bcrypt
        const hash = '$2b$04$pABZoovd8KfgwZzs8fFzKuKYJLzVkigRKUqlLr7FqrCiIMd1hiTAS';
        const cfg = mkdtempSync('/tmp/mdcheck-dockercfg-');
        const c: Context = { ...ctx, env: { ...ctx.env, DOCKER_CONFIG: cfg } };
        await withRegistry(async (reg) => {
          const name = `${reg.host}/${ctx.name('auth')}:v1`;
          try {
            await mdOk(c, ['tag', 'busybox', name]);
            await assertFailures(c, [
              { argv: ['push', name], code: 1, says: /unauthorized: authentication required/ },
              { argv: ['login', '-u', 'learner', '-p', 'wrong', reg.host], code: 1, says: /login to 127\.0\.0\.1:\d+: unauthorized/ },
            ]);
            const out = await mdOk(c, ['login', '-u', 'learner', '-p', 'secret', reg.host]);
            assert(out.includes('Login Succeeded'), `login printed ${JSON.stringify(out)}`);
            const file = path.join(cfg, 'config.json');
            assertEqual(statSync(file).mode & 0o777, 0o600, 'mode of config.json');
            const auths = (JSON.parse(readFileSync(file, 'utf8')) as { auths: Record<string, { auth: string }> }).auths;
            assertEqual(Buffer.from(auths[reg.host]?.auth ?? '', 'base64').toString(), 'learner:secret', `config.json's auth for ${reg.host}`);
            await mdOk(c, ['push', name]);
            await mdOk(c, ['logout', reg.host]);
            await mdOk(c, ['rmi', name]);
            await assertFailures(c, [{ argv: ['pull', name], code: 1, says: /unauthorized/ }]);
          } finally {
            await md(c, ['rmi', name]);
            rmSync(cfg, { recursive: true, force: true });
          }
        }, `learner:${hash}`);
      },
    },
    {
      name: 'bad references, a registry that is down, a missing image and a bad archive fail with one line and exit 1',
      hint: 'lib/image/reference.ts parseReference; lib/image/registry.ts errors; lib/image/archive.ts',
      async run(ctx) {
        const port = await freePort();
        const junk = path.join(mkdtempSync('/tmp/mdcheck-junk-'), 'junk.tar');
        writeFileSync(junk, 'not a tar at all\n'.repeat(100));
        try {
          await assertFailures(ctx, [
            { argv: ['tag', 'busybox', 'Bad/Name'], code: 1, says: /invalid reference format/ },
            { argv: ['tag', 'busybox', 'a:b:c'], code: 1, says: /invalid reference format/ },
            { argv: ['pull', 'UPPER'], code: 1, says: /invalid reference format: repository name must be lowercase/ },
            { argv: ['pull', `127.0.0.1:${port}/nothing:here`], code: 1, says: /127\.0\.0\.1:\d+.*(ECONNREFUSED|connect)/ },
            { argv: ['push', `127.0.0.1:${port}/${ctx.name('none')}`], code: 1, says: /no such image/ },
            { argv: ['save', '-o', `${junk}.out`, ctx.name('missing')], code: 1, says: /no such image/ },
            { argv: ['load', '-i', junk], code: 1, says: /invalid archive|neither manifest\.json nor index\.json/ },
          ]);
          assert(!existsSync(`${junk}.out`), 'a failed save left its output file');
        } finally {
          rmSync(path.dirname(junk), { recursive: true, force: true });
        }
      },
    },
  ],
};
