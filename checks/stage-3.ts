// Stage 3 — overlay2: layers, copy-on-write, whiteouts, the init layer, commit and rmi.
// Observed from the host: the state directory (overlay2/, layerdb/), a container's mount table
// (/proc/<pid>/mountinfo), and through its /proc/<pid>/root. See stages/03-overlay2/README.md.

import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { assert, assertEqual, engine, exec, md, mdOk, sleep, startDetached, type Context, type Stage } from './harness.js';
import { buildTar, hostileTars, plantVictims, swapTars, victimPrint } from './hostile-tars.js';
import { chainIdsOf, getXattr, hostPaths, layerDb, mountTable, overlay2Dir, overlayOptions, readText, sameFile, stateRoot, treeFingerprint, type MountLine } from './layerfs.js';

// ---------------------------------------------------------------------------------------------
// Helpers

async function inspectOne(ctx: Context, name: string, kind: 'container' | 'image' = 'container'): Promise<Record<string, any>> {
  const out = await mdOk(ctx, ['inspect', '--type', kind, name]);
  return (JSON.parse(out) as Record<string, any>[])[0];
}

interface ContainerLayers {
  id: string;
  mountId: string;
  upper: string;
  merged: string;
  lowerDirs: string[];
}

/** Where a container's layers are, from `inspect` and layerdb/mounts/<id>/mount-id. */
async function containerLayers(ctx: Context, name: string): Promise<ContainerLayers> {
  const c = await inspectOne(ctx, name);
  const gd = c.GraphDriver as { Name: string; Data: Record<string, string> };
  assertEqual(gd.Name, 'overlay2', `GraphDriver.Name of ${name}`);
  const mountId = readText(path.join(layerDb(ctx.env), 'mounts', c.Id, 'mount-id'));
  assert(mountId, `no layerdb/mounts/${c.Id}/mount-id`);
  return { id: c.Id, mountId, upper: gd.Data.UpperDir, merged: gd.Data.MergedDir, lowerDirs: (gd.Data.LowerDir ?? '').split(':').filter(Boolean) };
}

/** The image's layer directories, top first, as its layerdb records name them. */
async function imageLayerDirs(ctx: Context, image: string): Promise<{ chainIds: string[]; dirs: string[] }> {
  const img = await inspectOne(ctx, image, 'image');
  const chainIds = chainIdsOf(img.RootFS.Layers as string[]).reverse();
  const dirs = chainIds.map((c) => {
    const cacheId = readText(path.join(layerDb(ctx.env), 'sha256', c.slice('sha256:'.length), 'cache-id'));
    assert(cacheId, `layerdb has no cache-id for layer ${c}`);
    return path.join(overlay2Dir(ctx.env), cacheId);
  });
  return { chainIds, dirs };
}

/** The root mount of a running container, read from the host. */
function rootMount(pid: number): MountLine {
  const root = mountTable(pid).filter((m) => m.point === '/').pop();
  assert(root, `/proc/${pid}/mountinfo has no "/"`);
  return root;
}

/** Run a container to completion, keep it, and return its name. */
async function runKept(ctx: Context, what: string, script: string, image = 'busybox'): Promise<string> {
  const name = ctx.name(what);
  await mdOk(ctx, ['run', '--name', name, image, 'sh', '-c', script]);
  return name;
}

/** Commit a container; returns the new image ID. */
async function commit(ctx: Context, container: string, ...rest: string[]): Promise<string> {
  const id = (await mdOk(ctx, ['commit', container, ...rest], { timeoutMs: 120_000 })).trim();
  assert(/^sha256:[0-9a-f]{64}$/.test(id), `commit printed "${id}", not an image ID`);
  return id;
}

/** Remove check images, quietly (cleanup in finally blocks). */
async function rmiQuiet(ctx: Context, ...images: string[]): Promise<void> {
  if (images.length > 0) await md(ctx, ['rmi', '-f', ...images], { timeoutMs: 120_000 });
}

/**
 * Commit containers on busybox until an image has `layers` layers, run it, and check what the
 * container sees: lowerdir is the init layer and one short link per image layer (`l/<26>`),
 * / shows the bottom layer's /etc/passwd and the top layer's /layer.
 * Then `more(top)`, and everything made is removed (also containers named in `alsoRemove`).
 */
async function withDeepImage(ctx: Context, layers: number, more: (top: string) => Promise<void>, alsoRemove: string[] = []): Promise<void> {
  const base = await inspectOne(ctx, 'busybox', 'image');
  let image = base.Id as string;
  const made: string[] = [];
  const layerContainers: string[] = [];
  const top = `${ctx.name('deep')}:${layers}`;
  const deep = ctx.name('deep-run');
  try {
    // ~1 s a layer: no network to plug in for each container, and their removal batched into
    // one `rm` once the chain is built
    for (let n = (base.RootFS.Layers as string[]).length + 1; n <= layers; n++) {
      const c = ctx.name(`deep${n}`);
      await mdOk(ctx, ['run', '--network', 'none', '--name', c, image, 'sh', '-c', `echo ${n} > /layer`]);
      layerContainers.push(c);
      image = await commit(ctx, c, ...(n === layers ? [top] : []));
      made.push(image);
    }
    await mdOk(ctx, ['rm', ...layerContainers.splice(0)], { timeoutMs: 120_000 });
    const img = await inspectOne(ctx, top, 'image');
    const diffIds = img.RootFS.Layers as string[];
    assertEqual(diffIds.length, layers, 'layers of the image');
    await mdOk(ctx, ['run', '-d', '--name', deep, top, 'sleep', '600']);
    const pid = Number((await mdOk(ctx, ['inspect', '-f', '{{.State.Pid}}', deep])).trim());
    const lowers = (overlayOptions(rootMount(pid)).lowerdir ?? '').split(':');
    assertEqual(lowers.length, layers + 1, `lowerdir entries (-init + ${layers} image layers)`);
    // short links, relative to overlay2/ as minidock mounts them (or absolute, as Docker does while they fit)
    const long = lowers.filter((l) => !/^(?:\/.*\/)?l\/[A-Z2-7]{26}$/.test(l));
    assert(long.length === 0, `lowerdir entries that are not short links l/<26>: ${long.slice(0, 2).join(', ')}`);
    const bottomCache = readText(path.join(layerDb(ctx.env), 'sha256', diffIds[0].slice('sha256:'.length), 'cache-id'));
    const bottom = readFileSync(path.join(overlay2Dir(ctx.env), bottomCache ?? '', 'diff/etc/passwd'), 'utf8');
    assertEqual(readFileSync(`/proc/${pid}/root/etc/passwd`, 'utf8'), bottom, '/etc/passwd inside (from the bottom layer)');
    assertEqual(readText(`/proc/${pid}/root/layer`), String(layers), '/layer inside (from the top layer)');
    await more(top);
  } finally {
    await md(ctx, ['rm', '-f', deep, ...alsoRemove, ...layerContainers], { timeoutMs: 120_000 });
    // the top's untagged parents go with it (rmi prunes them); the list catches a half-built chain
    await rmiQuiet(ctx, top, ...made.reverse());
  }
}

/** The directory names under overlay2/ (layers) and the links under overlay2/l/. */
function layerDirsNow(env: NodeJS.ProcessEnv): { dirs: string[]; links: string[] } {
  const home = overlay2Dir(env);
  const list = (d: string) => (existsSync(d) ? readdirSync(d).sort() : []);
  return { dirs: list(home).filter((d) => d !== 'l'), links: list(path.join(home, 'l')) };
}

/**
 * Start `minidock import FILE TAG`, and kill -9 it once it has made something new under
 * overlay2/ (or after 5 s if it makes nothing there); returns what was new at the kill.
 */
async function killImportHalfway(ctx: Context, file: string, tag: string, before: string[]): Promise<string[]> {
  const child = spawn(engine(), ['import', file, tag], { env: ctx.env, stdio: 'ignore' });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  let ended = false;
  void exited.then(() => (ended = true));
  const started = Date.now();
  let killAt = started + 5000; // nothing new under overlay2/ (a learner's engine may stage elsewhere): kill anyway
  let fresh: string[] = [];
  while (!ended && Date.now() < killAt) {
    fresh = layerDirsNow(ctx.env).dirs.filter((d) => !before.includes(d));
    if (fresh.length > 0) killAt = Math.min(killAt, Date.now() + 300); // let it write for 300 ms more
    await sleep(25);
  }
  assert(!ended, `import finished in ${Date.now() - started} ms, before it could be killed halfway (make the tar bigger)`);
  child.kill('SIGKILL');
  await exited;
  return fresh;
}

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

// ---------------------------------------------------------------------------------------------

export const stage: Stage = {
  n: 3,
  title: 'overlay2',
  checks: [
    {
      name: "a container's layers are laid out as Docker's overlay2 driver lays them out",
      hint: 'lib/storage/overlay2.ts makeLayerDir/createContainerLayers: overlay2/<id>/{diff,link,lower,work,merged}, <id>-init, l/<short> → ../<id>/diff, layerdb/mounts/<container>/{mount-id,init-id,parent}',
      async run(ctx) {
        const name = ctx.name('layout');
        const { id } = await startDetached(ctx, name);
        const home = overlay2Dir(ctx.env);
        const mounts = path.join(layerDb(ctx.env), 'mounts', id);
        const mountId = readText(path.join(mounts, 'mount-id'));
        assert(mountId && /^[0-9a-f]{64}$/.test(mountId), `layerdb/mounts/${id}/mount-id is "${mountId}": want 64 hex digits`);
        assertEqual(readText(path.join(mounts, 'init-id')), `${mountId}-init`, 'init-id');
        const image = await imageLayerDirs(ctx, 'busybox');
        assertEqual(readText(path.join(mounts, 'parent')), image.chainIds[0], "parent (the image's top ChainID)");

        const linkOf = (dir: string) => {
          const link = readText(path.join(dir, 'link'));
          assert(link && /^[A-Z2-7]{26}$/.test(link), `${dir}/link is "${link}": want 26 base32 characters`);
          assertEqual(readlinkSync(path.join(home, 'l', link)), `../${path.basename(dir)}/diff`, `l/${link}`);
          return link;
        };
        const rw = path.join(home, mountId);
        const init = path.join(home, `${mountId}-init`);
        for (const f of ['diff', 'work', 'merged']) assert(statSync(path.join(rw, f)).isDirectory(), `${rw}/${f}/ is missing`);
        for (const f of ['diff', 'work']) assert(statSync(path.join(init, f)).isDirectory(), `${init}/${f}/ is missing`);
        // lower: nearest first — the rw layer sees -init, then the image's layers top to bottom
        const imageLinks = image.dirs.map((d) => `l/${linkOf(d)}`);
        assertEqual(readText(path.join(init, 'lower')), imageLinks.join(':'), `${init}/lower`);
        assertEqual(readText(path.join(rw, 'lower')), [`l/${linkOf(init)}`, ...imageLinks].join(':'), `${rw}/lower`);
        linkOf(rw);
        const bottom = image.dirs[image.dirs.length - 1];
        assert(!existsSync(path.join(bottom, 'lower')), `the bottom layer ${bottom} has a lower file`);
        assert(existsSync(path.join(image.dirs[0], 'committed')), `${image.dirs[0]}/committed is missing (it has a child layer now)`);
        // every short link resolves to a diff/ directory
        for (const link of readdirSync(path.join(home, 'l'))) {
          const target = path.resolve(home, 'l', readlinkSync(path.join(home, 'l', link)));
          assert(existsSync(target) && path.basename(target) === 'diff', `l/${link} → ${target}: not a layer's diff/`);
        }
      },
    },
    {
      name: "the container's / is an overlay: upperdir its rw layer, lowerdir -init then the image's layers, mounted on the host at <mount-id>/merged as Docker's, and unmounted when the container stops",
      hint: 'mountRootfs in lib/storage/index.ts (overlayMountData in overlay2.ts) before the runtime runs, unmountRootfs in cleanUp (lib/container/remove.ts); compare /proc/<pid>/mountinfo with the host’s',
      async run(ctx) {
        const name = ctx.name('mount');
        const { pid } = await startDetached(ctx, name);
        const layers = await containerLayers(ctx, name);
        const home = overlay2Dir(ctx.env);
        const root = rootMount(pid);
        assertEqual(root.fstype, 'overlay', 'filesystem type of "/" inside');
        const o = overlayOptions(root);
        const resolve = (dir: string) => path.resolve(home, path.dirname(dir), readlinkSync(path.join(home, dir)));
        const lowers = (o.lowerdir ?? '').split(':').map((l) => (l.startsWith('l/') ? resolve(l) : path.resolve(home, l)));
        const image = await imageLayerDirs(ctx, 'busybox');
        assertEqual(lowers, [path.join(home, `${layers.mountId}-init`, 'diff'), ...image.dirs.map((d) => path.join(d, 'diff'))], 'lowerdir, resolved, top first');
        assertEqual(path.resolve(home, o.upperdir ?? ''), layers.upper, 'upperdir');
        assertEqual(path.resolve(home, o.workdir ?? ''), path.join(home, layers.mountId, 'work'), 'workdir');
        // Docker's daemon mounts the container's layers on the host, at overlay2/<mount-id>/merged,
        // and the bundle's root.path points there; the runtime binds it onto itself in the
        // container's mount namespace. When the container stops, the host's mount goes.
        const merged = path.join(home, layers.mountId, 'merged');
        const onHost = () => mountTable('self').filter((m) => m.point.includes(layers.mountId)).map((m) => m.point);
        assertEqual(onHost(), [merged], "the container's overlay in the host's mount table");
        await mdOk(ctx, ['stop', '-t', '0', name]);
        assertEqual(onHost(), [], "the container's overlay in the host's mount table after stop");
      },
    },
    {
      name: 'a write inside lands in the rw layer’s diff/ and the image layer stays byte-identical (copy-up)',
      hint: 'overlayfs copies a lower file up to upperdir on first write; nothing may write into overlay2/<image layer>/diff',
      async run(ctx) {
        const image = await imageLayerDirs(ctx, 'busybox');
        const before = image.dirs.map((d) => treeFingerprint(path.join(d, 'diff')));
        const name = await runKept(ctx, 'cow', 'echo appended >> /etc/passwd && echo new > /newfile && touch /bin/busybox');
        const { upper } = await containerLayers(ctx, name);
        const passwd = readFileSync(path.join(upper, 'etc/passwd'), 'utf8');
        assert(passwd.endsWith('appended\n'), 'etc/passwd in the rw layer does not hold the appended line');
        const original = readFileSync(path.join(image.dirs[image.dirs.length - 1], 'diff/etc/passwd'), 'utf8');
        assertEqual(passwd, `${original}appended\n`, 'the copied-up etc/passwd (the whole file, then the write)');
        assertEqual(readFileSync(path.join(upper, 'newfile'), 'utf8'), 'new\n', 'newfile in the rw layer');
        assert(existsSync(path.join(upper, 'bin/busybox')), 'a metadata change (touch) did not copy bin/busybox up');
        assertEqual(image.dirs.map((d) => treeFingerprint(path.join(d, 'diff'))), before, 'fingerprint of the image layers after the writes');
      },
    },
    {
      name: "two containers of one image each write to their own rw layer and don't see each other's files",
      hint: 'each container has its own <mount-id>/diff as upperdir; the image layers are shared read-only',
      async run(ctx) {
        const a = await startDetached(ctx, ctx.name('twin-a'), ['sh', '-c', 'echo A > /mine; echo A > /only-a; sleep 600']);
        const b = await startDetached(ctx, ctx.name('twin-b'), ['sh', '-c', 'echo B > /mine; sleep 600']);
        const la = await containerLayers(ctx, a.id);
        const lb = await containerLayers(ctx, b.id);
        assert(la.upper !== lb.upper, 'both containers have the same UpperDir');
        for (let i = 0; i < 50 && !(existsSync(path.join(la.upper, 'only-a')) && existsSync(path.join(lb.upper, 'mine'))); i++) await new Promise((r) => setTimeout(r, 50));
        assertEqual(readText(path.join(la.upper, 'mine')), 'A', "/mine in A's rw layer");
        assertEqual(readText(path.join(lb.upper, 'mine')), 'B', "/mine in B's rw layer");
        assertEqual(readText(`/proc/${b.pid}/root/mine`), 'B', '/mine as B sees it');
        assert(!existsSync(`/proc/${b.pid}/root/only-a`), "B sees A's /only-a");
        assert(!existsSync(path.join(lb.upper, 'only-a')), "A's file is in B's rw layer");
      },
    },
    {
      name: 'deleting a file of the image leaves a whiteout: a 0/0 character device in the rw layer',
      hint: 'overlayfs marks a deleted lower file with a character device 0:0 in upperdir (ls -l shows "c--------- 0, 0")',
      async run(ctx) {
        const name = await runKept(ctx, 'whiteout', 'rm /etc/group && test ! -e /etc/group');
        const { upper } = await containerLayers(ctx, name);
        const st = lstatSync(path.join(upper, 'etc/group'));
        assert(st.isCharacterDevice(), 'etc/group in the rw layer is not a character device');
        assertEqual(st.rdev, 0, 'device number of the whiteout');
      },
    },
    {
      name: 'deleting a directory of the image and making it again leaves an opaque directory (trusted.overlay.opaque=y)',
      hint: 'overlayfs: a directory made where a lower one was deleted gets the xattr trusted.overlay.opaque=y, so the lower one stays hidden; getfattr -n trusted.overlay.opaque',
      async run(ctx) {
        const name = ctx.name('opaque');
        const out = await mdOk(ctx, ['run', '--name', name, 'busybox', 'sh', '-c', 'rm -rf /usr && mkdir /usr && echo x > /usr/new && ls /usr']);
        assertEqual(out.trim(), 'new', 'ls /usr after rm -rf and mkdir');
        const { upper } = await containerLayers(ctx, name);
        assert(statSync(path.join(upper, 'usr')).isDirectory(), 'usr is not a directory in the rw layer');
        assertEqual(getXattr(path.join(upper, 'usr'), 'trusted.overlay.opaque'), 'y', 'trusted.overlay.opaque of usr/');
      },
    },
    {
      name: '/etc/hosts, /etc/hostname and /etc/resolv.conf come from the init layer and stay out of a commit',
      hint: 'lib/storage/initlayer.ts (empty placeholders) + lib/container/etcfiles.ts (containers/<id>/{hosts,hostname,resolv.conf} bind-mounted over them); commit packs the rw diff/ only',
      async run(ctx) {
        const name = ctx.name('etc');
        const { id, pid } = await startDetached(ctx, name, ['sh', '-c', 'echo 10.9.9.9 extra >> /etc/hosts; echo x > /kept; sleep 600']);
        const layers = await containerLayers(ctx, name);
        const init = path.join(overlay2Dir(ctx.env), `${layers.mountId}-init`, 'diff');
        const dir = path.join(stateRoot(ctx.env), 'containers', id);
        const table = mountTable(pid);
        const host = mountTable('self');
        for (const f of ['hosts', 'hostname', 'resolv.conf']) {
          assertEqual(statSync(path.join(init, 'etc', f)).size, 0, `size of the placeholder ${f} in the init layer`);
          const m = table.find((x) => x.point === `/etc/${f}`);
          assert(m, `/etc/${f} is not a mount point inside the container`);
          // m.root is relative to its filesystem (/containers/<id>/hosts when the state directory
          // is a mount of its own): resolve it through the host's mounts of that filesystem
          const from = hostPaths(m, host);
          assert(from.includes(path.join(dir, f)), `/etc/${f} is bound from ${from.join(' or ') || `${m.root} on ${m.device}`}, not ${path.join(dir, f)}`);
          assert(sameFile(`/proc/${pid}/root/etc/${f}`, path.join(dir, f)), `/etc/${f} inside is not the same inode as ${path.join(dir, f)}`);
        }
        assertEqual(readText(path.join(dir, 'hostname')), id.slice(0, 12), 'containers/<id>/hostname');
        assert(!/nameserver\s+127\./.test(readText(path.join(dir, 'resolv.conf')) ?? ''), 'resolv.conf keeps a loopback nameserver');
        for (let i = 0; i < 50 && !existsSync(path.join(layers.upper, 'kept')); i++) await new Promise((r) => setTimeout(r, 50));
        assert(/10\.9\.9\.9 extra/.test(readFileSync(path.join(dir, 'hosts'), 'utf8')), 'a write to /etc/hosts did not reach containers/<id>/hosts');

        const image = await commit(ctx, name);
        try {
          const top = (await imageLayerDirs(ctx, image)).dirs[0];
          assert(existsSync(path.join(top, 'diff/kept')), 'the committed layer lacks /kept');
          for (const f of ['etc/hosts', 'etc/hostname', 'etc/resolv.conf', '.dockerenv']) {
            assert(!existsSync(path.join(top, 'diff', f)), `the committed layer holds ${f}`);
          }
        } finally {
          await rmiQuiet(ctx, image);
        }
      },
    },
    {
      name: 'a file deleted in an upper layer still takes space: the image keeps its bytes in the layer below (Size, du), and the file is gone in its containers',
      hint: 'layers are only ever added: `rm` in a container writes a whiteout (a 0/0 character device) in the new layer and leaves the lower layer’s file where it is; image inspect Size is the sum of the layers (lib/image/store.ts imageSize)',
      async run(ctx) {
        const MiB = 1024 * 1024;
        const fat = `${ctx.name('fat')}:v1`;
        const slim = `${ctx.name('slim')}:v1`;
        try {
          // random bytes: a layer of zeros could be stored sparse or compressed and prove nothing
          await commit(ctx, await runKept(ctx, 'fat', `head -c ${8 * MiB} /dev/urandom > /big`), fat);
          await commit(ctx, await runKept(ctx, 'slim', 'rm /big', fat), slim);
          const size = async (image: string) => Number((await inspectOne(ctx, image, 'image')).Size);
          const [base, fatSize, slimSize] = [await size('busybox'), await size(fat), await size(slim)];
          const sizes = `busybox ${base}, with /big ${fatSize}, after rm /big ${slimSize} bytes`;
          assert(fatSize - base >= 8 * MiB, `${sizes}: the layer with /big adds less than 8 MiB`);
          assert(slimSize >= fatSize, `${sizes}: deleting /big made the image smaller`);
          // on disk: the layer below still holds all of /big; the top layer holds only a whiteout
          const [top, below] = (await imageLayerDirs(ctx, slim)).dirs;
          const du = (dir: string) => Number(execFileSync('du', ['-sb', path.join(dir, 'diff')], { encoding: 'utf8' }).split('\t')[0]);
          assert(du(below) >= 8 * MiB, `du -sb of the layer below: ${du(below)} bytes, not the 8 MiB of /big`);
          assert(du(top) < 64 * 1024, `du -sb of the top layer: ${du(top)} bytes, more than a whiteout`);
          assert(lstatSync(path.join(top, 'diff/big')).isCharacterDevice(), 'the top layer has no whiteout for /big');
          const r = await md(ctx, ['run', '--rm', slim, 'ls', '/big']);
          assert(r.code !== 0, 'a container of the slim image still sees /big');
        } finally {
          await rmiQuiet(ctx, slim, fat);
        }
      },
    },
    {
      name: 'commit makes a correct image (DiffID, ChainID, image ID, history), and a deleted file stays deleted in its containers',
      hint: 'lib/image/commit.ts: pack diff/ with .wh. whiteouts (packDir), apply as a layer on the image top, config with diff_ids + history; image ID = sha256 of the config file',
      async run(ctx) {
        const name = await runKept(ctx, 'commit', 'rm /etc/group && echo kept > /kept');
        const tag = `${ctx.name('img')}:v1`;
        const id = await commit(ctx, name, '-m', 'the check', tag);
        try {
          const img = await inspectOne(ctx, tag, 'image');
          const base = await inspectOne(ctx, 'busybox', 'image');
          assertEqual(img.Id, id, 'Id of the tag');
          const configFile = path.join(stateRoot(ctx.env), 'image/overlay2/imagedb/content/sha256', id.slice('sha256:'.length));
          assertEqual(`sha256:${sha256(readFileSync(configFile))}`, id, 'sha256 of the stored config (the image ID)');
          const layers = img.RootFS.Layers as string[];
          assertEqual(layers.slice(0, -1), base.RootFS.Layers, 'the base image’s DiffIDs, then one more');
          const chains = chainIdsOf(layers);
          const record = path.join(layerDb(ctx.env), 'sha256', chains[chains.length - 1].slice('sha256:'.length));
          assertEqual(readText(path.join(record, 'diff')), layers[layers.length - 1], 'layerdb/<ChainID>/diff (the DiffID)');
          assertEqual(readText(path.join(record, 'parent')), chains[chains.length - 2], 'layerdb/<ChainID>/parent');
          assertEqual(img.Parent, base.Id, 'Parent');
          const history = (await mdOk(ctx, ['history', '--no-trunc', '--format', '{{.CreatedBy}}|{{.Comment}}', tag])).trim().split('\n');
          assertEqual(history[0], 'sh -c rm /etc/group && echo kept > /kept|the check', 'the newest history entry');
          const top = (await imageLayerDirs(ctx, tag)).dirs[0];
          assert(lstatSync(path.join(top, 'diff/etc/group')).isCharacterDevice(), 'the new layer holds no whiteout for etc/group');

          const out = await mdOk(ctx, ['run', '--rm', tag, 'sh', '-c', 'test -e /etc/group && echo present || echo gone; cat /kept']);
          assertEqual(out.trim().split('\n'), ['gone', 'kept'], 'in a container of the new image: /etc/group, /kept');
        } finally {
          await md(ctx, ['rm', '-f', name]);
          await rmiQuiet(ctx, tag);
        }
      },
    },
    {
      name: 'a 125-layer image built by 125 commits runs and reads a file from its bottom layer; a 126th layer is refused',
      hint: 'short links keep lowerdir in one page (overlayMount); the layer limit is MAX_IMAGE_LAYERS = 125 (Docker: maxLayerDepth), lib/image/commit.ts',
      async run(ctx) {
        const over = ctx.name('deep126');
        await withDeepImage(ctx, 125, async (top) => {
          await mdOk(ctx, ['run', '--name', over, top, 'sh', '-c', 'echo 126 > /layer']);
          const r = await md(ctx, ['commit', over]);
          assert(r.code !== 0 && /max depth exceeded/.test(r.stderr), `commit of a 126th layer: exit ${r.code}, ${r.stderr.trim()}`);
        }, [over]);
      },
      // the slowest check of the course (~84 s); a later stage's cumulative run takes this instead
      quick: {
        name: 'a 3-layer image built by commits runs with a lowerdir of short links and reads its bottom and top layers (quick variant of the 125-layer check)',
        async run(ctx) {
          await withDeepImage(ctx, 3, async () => {});
        },
      },
    },
    {
      name: 'each tar of the hostile corpus is refused with nothing written outside; an honest layer’s whiteouts land in overlay form',
      hint: 'lib/image/layer-tar.ts (entryParts, insideLayer, checkDevice, applyWhiteout); corpus in checks/hostile-tars.ts',
      async run(ctx) {
        const work = mkdtempSync(path.join(os.tmpdir(), 'mdcheck-hostile-'));
        const outside = path.join(work, 'outside');
        mkdirSync(outside);
        const passwd = sha256(readFileSync('/etc/passwd'));
        const layersBefore = layerDirsNow(ctx.env);
        const honest = `${ctx.name('honest')}:latest`;
        try {
          for (const t of hostileTars(outside)) {
            const file = path.join(work, `${t.name}.tar`);
            writeFileSync(file, await buildTar(t.entries));
            const tag = `${ctx.name(t.name)}:latest`;
            const r = await md(ctx, ['import', file, tag]);
            if (r.code === 0) await rmiQuiet(ctx, tag);
            assert(r.code !== 0, `${t.name} (${t.attack}) was imported`);
            assert(/refusing layer entry/.test(r.stderr), `${t.name}: exit ${r.code} without "refusing layer entry": ${r.stderr.trim()}`);
          }
          assertEqual(readdirSync(outside), [], 'files written outside by the hostile tars');
          assertEqual(sha256(readFileSync('/etc/passwd')), passwd, "sha256 of the host's /etc/passwd");
          assertEqual(layerDirsNow(ctx.env), layersBefore, 'overlay2/ and overlay2/l/ after the refused imports');

          // an honest layer with a whiteout, an opaque directory, and a device node under /dev
          const file = path.join(work, 'honest.tar');
          writeFileSync(file, await buildTar([
            { name: 'etc/', type: 'directory', mode: 0o755 },
            { name: 'etc/.wh.group', data: '' },
            { name: 'var/', type: 'directory', mode: 0o755 },
            { name: 'var/.wh..wh..opq', data: '' },
            { name: 'dev/', type: 'directory', mode: 0o755 },
            { name: 'dev/null', type: 'character-device', devmajor: 1, devminor: 3, mode: 0o666 },
          ]));
          await mdOk(ctx, ['import', file, honest]);
          const dir = path.join((await imageLayerDirs(ctx, honest)).dirs[0], 'diff');
          const wh = lstatSync(path.join(dir, 'etc/group'));
          assert(wh.isCharacterDevice() && wh.rdev === 0, 'etc/.wh.group did not become a 0/0 character device');
          assert(!existsSync(path.join(dir, 'etc/.wh.group')), 'the .wh. file itself was written');
          assertEqual(getXattr(path.join(dir, 'var'), 'trusted.overlay.opaque'), 'y', 'trusted.overlay.opaque of var/');
          assert(lstatSync(path.join(dir, 'dev/null')).isCharacterDevice(), 'dev/null is not a character device');
        } finally {
          await rmiQuiet(ctx, honest);
          rmSync(work, { recursive: true, force: true });
        }
      },
    },
    {
      name: 'after rm, no overlay mount and no container layer, short link or layerdb record remains',
      hint: 'removeContainerLayers in lib/storage/overlay2.ts: <mount-id>, <mount-id>-init, their l/ links, layerdb/mounts/<id>',
      async run(ctx) {
        const before = layerDirsNow(ctx.env);
        const name = ctx.name('cleanup');
        const { id, pid } = await startDetached(ctx, name);
        const { mountId } = await containerLayers(ctx, name);
        assertEqual(rootMount(pid).fstype, 'overlay', 'filesystem of "/" while it runs');
        await mdOk(ctx, ['rm', '-f', name]);
        const home = overlay2Dir(ctx.env);
        assert(!existsSync(path.join(home, mountId)), `overlay2/${mountId} is still there`);
        assert(!existsSync(path.join(home, `${mountId}-init`)), `overlay2/${mountId}-init is still there`);
        assert(!existsSync(path.join(layerDb(ctx.env), 'mounts', id)), `layerdb/mounts/${id} is still there`);
        assert(!readFileSync('/proc/self/mountinfo', 'utf8').includes(mountId), 'a mount of the container is still in the host’s table');
        assertEqual(layerDirsNow(ctx.env), before, 'overlay2/ and overlay2/l/ after rm');
      },
    },
    {
      name: 'rmi refuses an image a container uses, and removing one of two images that share a layer keeps the layer',
      hint: 'lib/image/delete.ts: conflicts, layersInUse (every ChainID of every image and container); two commits of the same changes give the same layer',
      async run(ctx) {
        const name = await runKept(ctx, 'shared', 'echo shared > /shared');
        const a = `${ctx.name('share-a')}:latest`;
        const b = `${ctx.name('share-b')}:latest`;
        try {
          await commit(ctx, name, '-m', 'one', a);
          await commit(ctx, name, '-m', 'two', b);
          const la = await imageLayerDirs(ctx, a);
          const lb = await imageLayerDirs(ctx, b);
          assertEqual(la.chainIds, lb.chainIds, 'ChainIDs of the two images (same changes, same layers)');
          const user = await runKept(ctx, 'user', 'true', a);
          const refused = await md(ctx, ['rmi', a]);
          assert(refused.code === 1 && /conflict/.test(refused.stderr), `rmi of an image a container uses: exit ${refused.code}, ${refused.stderr.trim()}`);
          await mdOk(ctx, ['rm', user]);

          const out = await mdOk(ctx, ['rmi', a]);
          assert(!out.includes(la.chainIds[0]), `rmi ${a} deleted the shared layer:\n${out}`);
          assert(existsSync(path.join(la.dirs[0], 'diff/shared')), 'the shared layer’s directory is gone');
          assertEqual((await mdOk(ctx, ['run', '--rm', b, 'cat', '/shared'])).trim(), 'shared', `/shared in a container of ${b}`);
          const last = await mdOk(ctx, ['rmi', b]);
          assert(last.includes(`Deleted: ${la.chainIds[0]}`), `rmi of the last image did not delete its own layer:\n${last}`);
          assert(!existsSync(la.dirs[0]), `${la.dirs[0]} is still there`);
          assert(existsSync(la.dirs[1]), 'the busybox layer below was deleted');
        } finally {
          await md(ctx, ['rm', '-f', name]);
          await rmiQuiet(ctx, a, b);
        }
      },
    },
    {
      name: 'an import killed with -9 halfway leaves no layer directory and no dangling short link after the next store open or `system prune`',
      hint: 'lib/image/layerdb.ts create (unpack into overlay2/staging-<pid>-<id>, publish by rename under the layer lock) and collectGarbage (run by new ImageStore and lib/cli/system.ts)',
      async run(ctx) {
        const home = overlay2Dir(ctx.env);
        const work = mkdtempSync(path.join(os.tmpdir(), 'mdcheck-orphan-'));
        try {
          // 8000 small files: seconds to unpack, so a kill lands in the middle
          const entries = Array.from({ length: 80 }, (_, d) => [
            { name: `d${d}/`, type: 'directory' as const, mode: 0o755 },
            ...Array.from({ length: 100 }, (_, f) => ({ name: `d${d}/f${f}`, data: 'x'.repeat(64) })),
          ]).flat();
          const file = path.join(work, 'big.tar');
          writeFileSync(file, await buildTar(entries));
          for (const cleanup of [['images'], ['system', 'prune', '-f']]) {
            const before = layerDirsNow(ctx.env);
            const tag = `${ctx.name('orphan')}:latest`;
            const left = await killImportHalfway(ctx, file, tag, before.dirs);
            await mdOk(ctx, cleanup);
            const after = layerDirsNow(ctx.env);
            const orphans = after.dirs.filter((d) => !before.dirs.includes(d));
            assertEqual(orphans, [], `overlay2/ entries left after kill -9 of import (it had made ${JSON.stringify(left)}) and \`minidock ${cleanup.join(' ')}\``);
            const dangling = after.links.filter((l) => !existsSync(path.join(home, 'l', l)));
            assertEqual(dangling, [], `short links under l/ that resolve to nothing after \`minidock ${cleanup.join(' ')}\``);
            await rmiQuiet(ctx, tag);
          }
        } finally {
          rmSync(work, { recursive: true, force: true });
        }
      },
    },
    {
      name: 'a tar that swaps a path it already wrote for a symlink changes nothing outside (mode, time, links of the victims)',
      hint: 'lib/image/layer-tar.ts (removePath, finishDirectory: the directory pass must open each directory O_NOFOLLOW and check its inode); corpus swapTars in checks/hostile-tars.ts',
      async run(ctx) {
        const work = mkdtempSync(path.join(os.tmpdir(), 'mdcheck-swap-'));
        const outside = path.join(work, 'outside');
        mkdirSync(outside);
        plantVictims(outside);
        const before = victimPrint(outside);
        const layersBefore = layerDirsNow(ctx.env);
        try {
          for (const t of swapTars(outside)) {
            const file = path.join(work, `${t.name}.tar`);
            writeFileSync(file, await buildTar(t.entries));
            const tag = `${ctx.name(t.name)}:latest`;
            const r = await md(ctx, ['import', file, tag]);
            try {
              assert(r.code === 0 || /refusing layer entry/.test(r.stderr), `${t.name}: exit ${r.code}: ${r.stderr.trim()}`);
              assertEqual(victimPrint(outside), before, `the victims outside after ${t.name} (${t.attack})`);
              if (r.code === 0 && t.name === 'whiteout-of-symlink') {
                // the whiteout replaced the symlink itself, in overlay form (stage 3)
                const wh = lstatSync(path.join((await imageLayerDirs(ctx, tag)).dirs[0], 'diff', 'w'));
                assert(wh.isCharacterDevice() && wh.rdev === 0, 'w (a symlink, then .wh.w) is not a 0/0 character device');
              }
            } finally {
              if (r.code === 0) await rmiQuiet(ctx, tag);
            }
          }
          assertEqual(layerDirsNow(ctx.env), layersBefore, 'overlay2/ and overlay2/l/ after the swap imports and their rmi');
        } finally {
          rmSync(work, { recursive: true, force: true });
        }
      },
    },
    {
      name: 'import detects xz and zstd tars by their magic bytes, with the DiffID of the plain tar and whiteouts in overlay form',
      hint: 'lib/image/compression.ts (detectCompression, throughTool: xz -dc / zstd -dc); provision installs xz-utils, bzip2, zstd',
      async run(ctx) {
        const work = mkdtempSync(path.join(os.tmpdir(), 'mdcheck-compressed-'));
        const plain = await buildTar([
          { name: 'etc/', type: 'directory', mode: 0o755 },
          { name: 'etc/hello', data: 'hello\n' },
          { name: 'etc/.wh.gone', data: '' },
        ]);
        const made: string[] = [];
        try {
          for (const tool of ['xz', 'zstd']) {
            const which = await exec('sh', ['-c', `command -v ${tool}`]);
            assert(which.code === 0, `${tool} is not installed (apt-get install ${tool === 'xz' ? 'xz-utils' : tool})`);
            const file = path.join(work, `layer.tar.${tool}`);
            writeFileSync(file, execFileSync(tool, ['-c'], { input: plain }));
            const tag = `${ctx.name(`compressed-${tool}`)}:latest`;
            made.push(tag);
            await mdOk(ctx, ['import', file, tag]);
            const img = await inspectOne(ctx, tag, 'image');
            assertEqual(img.RootFS.Layers, [`sha256:${sha256(plain)}`], `RootFS.Layers of the ${tool} import (the DiffID is the uncompressed tar's)`);
            const diff = path.join((await imageLayerDirs(ctx, tag)).dirs[0], 'diff');
            assertEqual(readText(path.join(diff, 'etc/hello')), 'hello', `etc/hello of the ${tool} import`);
            const wh = lstatSync(path.join(diff, 'etc/gone'));
            assert(wh.isCharacterDevice() && wh.rdev === 0, `etc/.wh.gone of the ${tool} import is not a 0/0 character device`);
          }
        } finally {
          await rmiQuiet(ctx, ...made);
          rmSync(work, { recursive: true, force: true });
        }
      },
    },
  ],
};
