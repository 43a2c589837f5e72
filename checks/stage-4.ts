// Stage 4 — volumes: bind mounts (rw, ro), named and anonymous volumes under volumes/<name>/_data,
// copyData, --volumes-from, rm -v, and what commit leaves out. Observed from the host (the
// volume directories, /proc/<pid>/mountinfo, /proc/<pid>/root) and inside. See stages/04-volumes.

import { chownSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { assert, assertEqual, assertFailures, CheckFailure, engine, exec, hostMountinfo, md, mdOk, startDetached, type Context, type Stage } from './harness.js';
import { hostPaths, mountTable } from './layerfs.js';

/** The engine's state directory, where volumes live: <root>/volumes/<name>/_data. */
function root(ctx: Context): string {
  return ctx.env.MINIDOCK_ROOT || '/var/lib/minidock';
}

function dataDir(ctx: Context, name: string): string {
  return path.join(root(ctx), 'volumes', name, '_data');
}

interface InspectMount {
  Type: string;
  Name?: string;
  Source: string;
  Destination: string;
  RW: boolean;
}

async function mountsOf(ctx: Context, container: string): Promise<InspectMount[]> {
  return JSON.parse(await mdOk(ctx, ['inspect', '-f', '{{json .Mounts}}', container])) as InspectMount[];
}

async function volumeNames(ctx: Context): Promise<string[]> {
  return (await mdOk(ctx, ['volume', 'ls', '-q'])).split('\n').filter(Boolean);
}

/** A fresh host directory for bind mounts, removed by `finish`. */
function hostDir(what: string): string {
  return mkdtempSync(`/tmp/mdcheck-${what}-`);
}

/** Remove what a check made: containers first (with their anonymous volumes), then volumes, then dirs. */
async function finish(ctx: Context, made: { containers?: string[]; volumes?: string[]; dirs?: string[]; images?: string[] }): Promise<void> {
  if (made.containers?.length) await md(ctx, ['rm', '-f', '-v', ...made.containers]);
  if (made.volumes?.length) await md(ctx, ['volume', 'rm', '-f', ...made.volumes]);
  if (made.images?.length) await md(ctx, ['rmi', ...made.images]);
  for (const d of made.dirs ?? []) rmSync(d, { recursive: true, force: true });
}

/** The container's mount for `dest` in /proc/<pid>/mountinfo: [root, options] or undefined. */
function containerMount(pid: number, dest: string): { root: string; options: string; from: string[] } | undefined {
  const line = readFileSync(`/proc/${pid}/mountinfo`, 'utf8').split('\n').find((l) => l.split(' ')[4] === dest);
  if (!line) return undefined;
  const m = mountTable(pid).find((x) => x.point === dest);
  // the root field is a path inside its own filesystem (/mdcheck-… when /tmp is a tmpfs): the
  // host paths it stands for come from the host's mounts of the same device
  return { root: line.split(' ')[3], options: line.split(' ')[5], from: m ? hostPaths(m) : [] };
}

const SEEDED = 'mdcheck-seeded:latest';

/**
 * busybox plus /seed: a file owned 1234:5678 with mode 0640, a directory, a symlink — an image
 * directory for copyData to copy. Built once from busybox's layer; a deterministic tar, so the
 * same image every time.
 */
async function seededImage(ctx: Context): Promise<string> {
  const diff = (await mdOk(ctx, ['inspect', '--type', 'image', '-f', '{{.GraphDriver.Data.UpperDir}}', 'busybox'])).trim();
  const dir = mkdtempSync('/tmp/mdcheck-seeded-');
  try {
    cpSync(diff, dir, { recursive: true, verbatimSymlinks: true });
    mkdirSync(path.join(dir, 'seed', 'sub'), { recursive: true, mode: 0o755 });
    writeFileSync(path.join(dir, 'seed', 'owned.txt'), 'from the image\n', { mode: 0o640 });
    chownSync(path.join(dir, 'seed', 'owned.txt'), 1234, 5678);
    writeFileSync(path.join(dir, 'seed', 'sub', 'deep.txt'), 'deep\n');
    symlinkSync('sub/deep.txt', path.join(dir, 'seed', 'link'));
    const r = await exec('sh', ['-c', `tar -C ${dir} --sort=name --mtime=@0 --numeric-owner -cf - . | ${engine()} import - ${SEEDED}`], { env: ctx.env });
    if (r.code !== 0) throw new CheckFailure(`minidock import of ${SEEDED} failed: ${r.stderr.trim()}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return SEEDED;
}

export const stage: Stage = {
  n: 4,
  title: 'volumes',
  checks: [
    {
      name: 'a file written inside a bind-mounted directory appears on the host, and a host file appears inside',
      hint: 'lib/volumes/grammar.ts parseVolumeSpec (-v /host:/dest is a bind) and lib/runtime/rootfs.ts mountInto: mount(src, dest, MS_BIND|MS_REC) before pivot_root',
      async run(ctx) {
        const dir = hostDir('bind');
        try {
          writeFileSync(path.join(dir, 'from-host.txt'), 'host wrote this\n');
          const out = await mdOk(ctx, ['run', '--rm', '-v', `${dir}:/mnt/shared`, 'busybox', 'sh', '-c', 'cat /mnt/shared/from-host.txt; echo container wrote this > /mnt/shared/from-container.txt']);
          assertEqual(out.trim(), 'host wrote this', 'the host file read inside');
          const back = path.join(dir, 'from-container.txt');
          assert(existsSync(back), `the file written inside is not in the host directory ${dir}`);
          assertEqual(readFileSync(back, 'utf8').trim(), 'container wrote this', 'the file on the host');
        } finally {
          await finish(ctx, { dirs: [dir] });
        }
      },
    },
    {
      name: ':ro refuses writes inside with EROFS, while the host still writes and the container sees it',
      hint: 'a bind mount ignores MS_RDONLY on the first mount(2): read-only takes a second call, MS_BIND|MS_REMOUNT|MS_RDONLY (lib/runtime/rootfs.ts mountInto)',
      async run(ctx) {
        const dir = hostDir('ro');
        const name = ctx.name('ro');
        try {
          const r = await md(ctx, ['run', '--rm', '-v', `${dir}:/data:ro`, 'busybox', 'sh', '-c', 'echo x > /data/nope']);
          assert(r.code !== 0, 'writing into a :ro bind mount succeeded');
          assert(/Read-only file system/.test(r.stderr), `the write failed, but not with EROFS: "${r.stderr.trim()}"`);
          assert(!existsSync(path.join(dir, 'nope')), 'the file written into the :ro mount is on the host');
          const { pid } = await startDetached(ctx, name, ['sleep', '600'], ['-v', `${dir}:/data:ro`]);
          const m = containerMount(pid, '/data');
          assert(m, 'the container has no mount at /data');
          assert(m.options.split(',').includes('ro'), `the container's /data is mounted "${m.options}", not ro`);
          writeFileSync(path.join(dir, 'late.txt'), 'written by the host while the container runs\n');
          assertEqual(readFileSync(`/proc/${pid}/root/data/late.txt`, 'utf8').trim(), 'written by the host while the container runs', 'the host’s new file, read through the container’s root');
        } finally {
          await finish(ctx, { containers: [name], dirs: [dir] });
        }
      },
    },
    {
      name: 'the bind mount is in the container’s mount table and not in the host’s',
      hint: 'mount after unshare(CLONE_NEWNS) and after "/" is made rprivate (lib/runtime/rootfs.ts steps 1 and 3): the host never sees the volume mounts',
      async run(ctx) {
        const dir = hostDir('hidden');
        const name = ctx.name('hidden');
        try {
          const { pid } = await startDetached(ctx, name, ['sleep', '600'], ['-v', `${dir}:/hidden`]);
          const m = containerMount(pid, '/hidden');
          assert(m, 'the container has no mount at /hidden in /proc/<pid>/mountinfo');
          assert(m.from.includes(dir), `the container’s /hidden mount is of ${m.from.join(' or ') || m.root}, not the bound host directory ${dir}`);
          const leaked = hostMountinfo().split('\n').filter((l) => l.includes(path.basename(dir)));
          assert(leaked.length === 0, `the host's mount table shows the volume: ${leaked[0]}`);
        } finally {
          await finish(ctx, { containers: [name], dirs: [dir] });
        }
      },
    },
    {
      name: '-v /data makes an anonymous volume at volumes/<64 hex>/_data that survives rm and a later container can mount',
      hint: 'lib/volumes/plan.ts planMounts (Config.Volumes) and attachVolumes → lib/volumes/store.ts createVolume: volumes/<name>/_data; rm without -v keeps volumes',
      async run(ctx) {
        const name = ctx.name('anon');
        const volumes: string[] = [];
        try {
          await mdOk(ctx, ['run', '--name', name, '-v', '/data', 'busybox', 'sh', '-c', 'echo kept > /data/f']);
          const mounts = await mountsOf(ctx, name);
          assertEqual(mounts.length, 1, 'mounts in inspect');
          const [m] = mounts;
          if (m.Name) volumes.push(m.Name);
          assertEqual([m.Type, m.Destination, m.RW], ['volume', '/data', true], 'Type, Destination, RW of the mount');
          assert(/^[0-9a-f]{64}$/.test(m.Name ?? ''), `the anonymous volume is named "${m.Name}", not 64 hex digits`);
          assertEqual(m.Source, dataDir(ctx, m.Name!), 'Source of the volume');
          assertEqual(readFileSync(path.join(m.Source, 'f'), 'utf8').trim(), 'kept', 'the file in the volume, on the host');
          await mdOk(ctx, ['rm', name]);
          assert(existsSync(path.join(m.Source, 'f')), '`rm` (without -v) removed the anonymous volume');
          assert((await volumeNames(ctx)).includes(m.Name!), '`volume ls` no longer lists the volume after rm');
          const again = await mdOk(ctx, ['run', '--rm', '-v', `${m.Name}:/again`, 'busybox', 'cat', '/again/f']);
          assertEqual(again.trim(), 'kept', 'the volume mounted by name in the next container');
        } finally {
          await finish(ctx, { containers: [name], volumes });
        }
      },
    },
    {
      name: '-v NAME:/data makes a named volume at volumes/NAME/_data that the next container finds again',
      hint: 'lib/volumes/grammar.ts: a -v source that is not an absolute path is a volume name; createVolume if missing, reuse if not',
      async run(ctx) {
        const vol = ctx.name('named');
        try {
          await mdOk(ctx, ['run', '--rm', '-v', `${vol}:/data`, 'busybox', 'sh', '-c', 'echo one > /data/f']);
          assertEqual(readFileSync(path.join(dataDir(ctx, vol), 'f'), 'utf8').trim(), 'one', `volumes/${vol}/_data/f on the host`);
          const info = JSON.parse(await mdOk(ctx, ['volume', 'inspect', vol]))[0] as Record<string, unknown>;
          assertEqual([info.Name, info.Driver, info.Mountpoint, info.Scope], [vol, 'local', dataDir(ctx, vol), 'local'], 'volume inspect: Name, Driver, Mountpoint, Scope');
          const out = await mdOk(ctx, ['run', '--rm', '-v', `${vol}:/other`, 'busybox', 'sh', '-c', 'cat /other/f; echo two >> /other/f']);
          assertEqual(out.trim(), 'one', 'the second container reads the first one’s file');
          assertEqual(readFileSync(path.join(dataDir(ctx, vol), 'f'), 'utf8'), 'one\ntwo\n', 'the volume after both');
        } finally {
          await finish(ctx, { volumes: [vol] });
        }
      },
    },
    {
      name: 'rm -v removes the container’s anonymous volume and keeps its named one',
      hint: 'lib/volumes/plan.ts removeAnonymousVolumes: only volumes with no source in their Spec go (docker’s rule)',
      async run(ctx) {
        const name = ctx.name('rmv');
        const vol = ctx.name('keep');
        try {
          await mdOk(ctx, ['run', '--name', name, '-v', '/anon', '-v', `${vol}:/named`, 'busybox', 'true']);
          const anon = (await mountsOf(ctx, name)).find((m) => m.Destination === '/anon');
          assert(anon?.Name, 'inspect shows no volume at /anon');
          assert(existsSync(dataDir(ctx, anon.Name)), 'the anonymous volume’s directory does not exist');
          await mdOk(ctx, ['rm', '-v', name]);
          assert(!existsSync(path.join(root(ctx), 'volumes', anon.Name)), `rm -v left volumes/${anon.Name}`);
          assert(!(await volumeNames(ctx)).includes(anon.Name), '`volume ls` still lists the anonymous volume after rm -v');
          assert(existsSync(dataDir(ctx, vol)), 'rm -v removed the named volume too');
        } finally {
          await finish(ctx, { containers: [name], volumes: [vol] });
        }
      },
    },
    {
      name: 'a volume that a stopped container still names cannot be removed (exit 1), and can once the container is gone',
      hint: 'lib/volumes/store.ts removeVolume, asking lib/container/volumes.ts usersOf: any container, running or not, holds a reference (docker: "volume is in use - [ids]")',
      async run(ctx) {
        const name = ctx.name('user');
        const vol = ctx.name('busy');
        try {
          const id = (await mdOk(ctx, ['run', '-d', '--name', name, '-v', `${vol}:/d`, 'busybox', 'true'])).trim();
          await mdOk(ctx, ['stop', name]);
          const r = await md(ctx, ['volume', 'rm', vol]);
          assertEqual(r.code, 1, 'exit status of `volume rm` on a volume in use');
          assert(r.stderr.includes('volume is in use') && r.stderr.includes(id), `the error does not say in use by ${id.slice(0, 12)}: "${r.stderr.trim()}"`);
          assert(existsSync(dataDir(ctx, vol)), 'the volume in use was removed anyway');
          await mdOk(ctx, ['rm', name]);
          await mdOk(ctx, ['volume', 'rm', vol]);
          assert(!existsSync(path.join(root(ctx), 'volumes', vol)), `volume rm left volumes/${vol}`);
        } finally {
          await finish(ctx, { containers: [name], volumes: [vol] });
        }
      },
    },
    {
      name: 'copyData: an empty volume over a non-empty image directory starts with the image’s files, owners and modes — and never overwrites',
      hint: 'lib/volumes/copydata.ts copyDataIfEmpty, called by lib/runtime/rootfs.ts mountInto before the bind when MountSpec.copyData is set (first start, volumes only)',
      async run(ctx) {
        const image = await seededImage(ctx);
        const vol = ctx.name('filled');
        const full = ctx.name('full');
        const anonName = ctx.name('anoncopy');
        try {
          const inside = await mdOk(ctx, ['run', '--rm', '-v', `${vol}:/seed`, image, 'cat', '/seed/owned.txt', '/seed/link']);
          assertEqual(inside, 'from the image\ndeep\n', 'the volume’s files, read inside');
          const owned = statSync(path.join(dataDir(ctx, vol), 'owned.txt'));
          assertEqual([owned.uid, owned.gid, owned.mode & 0o7777], [1234, 5678, 0o640], 'uid, gid, mode of owned.txt in the volume');
          assertEqual(readlinkSync(path.join(dataDir(ctx, vol), 'link')), 'sub/deep.txt', 'the symlink, copied as a symlink');
          // anonymous volumes are filled too
          await mdOk(ctx, ['run', '--name', anonName, '-v', '/seed', image, 'true']);
          const [anon] = await mountsOf(ctx, anonName);
          assert(existsSync(path.join(anon.Source, 'sub', 'deep.txt')), 'the anonymous volume over /seed was not filled');
          // a volume that holds anything is left as it is
          await mdOk(ctx, ['run', '--rm', '-v', `${full}:/x`, 'busybox', 'touch', '/x/mine']);
          const listed = await mdOk(ctx, ['run', '--rm', '-v', `${full}:/seed`, image, 'ls', '-A', '/seed']);
          assertEqual(listed.trim(), 'mine', 'ls of a non-empty volume over /seed');
        } finally {
          await finish(ctx, { containers: [anonName], volumes: [vol, full] });
        }
      },
    },
    {
      name: 'a bind mount over a non-empty image directory is not filled: the host directory stays empty',
      hint: 'copyData is for volumes only (docker’s rule): volumeMounts sets copyData for Type "volume" only',
      async run(ctx) {
        const image = await seededImage(ctx);
        const dir = hostDir('empty');
        try {
          const listed = await mdOk(ctx, ['run', '--rm', '-v', `${dir}:/seed`, image, 'ls', '-A', '/seed']);
          assertEqual(listed.trim(), '', 'ls -A /seed inside, over an empty bind mount');
          assertEqual(readdirSync(dir), [], 'the host directory after the run');
        } finally {
          await finish(ctx, { dirs: [dir] });
        }
      },
    },
    {
      name: '--volumes-from gives a second container the same volumes and binds (and :ro makes them read-only)',
      hint: 'lib/volumes/plan.ts planMounts step 1: the other container’s MountPoints, same Source, RW && mode',
      async run(ctx) {
        const dir = hostDir('from');
        const donor = ctx.name('donor');
        try {
          writeFileSync(path.join(dir, 'h.txt'), 'host file\n');
          const { pid } = await startDetached(ctx, donor, ['sleep', '600'], ['-v', '/shared', '-v', `${dir}:/bind`]);
          const out = await mdOk(ctx, ['run', '--rm', '--volumes-from', donor, 'busybox', 'sh', '-c', 'echo from the second > /shared/b; cat /bind/h.txt']);
          assertEqual(out.trim(), 'host file', 'the bind mount, through --volumes-from');
          const shared = (await mountsOf(ctx, donor)).find((m) => m.Destination === '/shared');
          assert(shared, 'the donor has no /shared volume');
          assertEqual(readFileSync(path.join(shared.Source, 'b'), 'utf8').trim(), 'from the second', 'the file in the donor’s volume, on the host');
          assertEqual(readFileSync(`/proc/${pid}/root/shared/b`, 'utf8').trim(), 'from the second', 'the file seen by the donor');
          const r = await md(ctx, ['run', '--rm', '--volumes-from', `${donor}:ro`, 'busybox', 'sh', '-c', 'echo x > /shared/c']);
          assert(r.code !== 0 && /Read-only file system/.test(r.stderr), `--volumes-from ${donor}:ro let the write through (exit ${r.code})`);
        } finally {
          await finish(ctx, { containers: [donor], dirs: [dir] });
        }
      },
    },
    {
      name: 'commit of a container with a volume: the new image has the empty mount point, not the data',
      hint: 'the mount point is made in the writable layer (mkdir in mountInto); the volume’s files never are — the host’s view of the layer has no bind mount',
      async run(ctx) {
        const name = ctx.name('commit');
        const image = `${ctx.name('committed')}:latest`;
        const volumes: string[] = [];
        try {
          await mdOk(ctx, ['run', '--name', name, '-v', '/data', 'busybox', 'sh', '-c', 'echo secret > /data/s; echo layer > /in-layer.txt']);
          const [m] = await mountsOf(ctx, name);
          if (m?.Name) volumes.push(m.Name);
          assert(m && existsSync(path.join(m.Source, 's')), 'the volume does not hold the file written into it');
          await mdOk(ctx, ['commit', name, image]);
          const out = await mdOk(ctx, ['run', '--rm', image, 'sh', '-c', 'cat /in-layer.txt; test -d /data && echo dir; ls -A /data | wc -l']);
          assertEqual(out.trim().split(/\s+/), ['layer', 'dir', '0'], 'in the committed image: the layer file, /data a directory, entries in /data');
        } finally {
          await finish(ctx, { containers: [name], volumes, images: [image] });
        }
      },
    },
    {
      name: 'bad -v/--mount/--volumes-from fail with exit 125 and docker’s message, and leave nothing behind',
      hint: 'lib/volumes/grammar.ts parses and lib/volumes/plan.ts plans (planMounts) before createContainer takes a name or makes a volume, a rootfs or a bind source',
      async run(ctx) {
        const missing = `/tmp/${ctx.name('never-made')}`;
        const [a, b] = [ctx.name('dup-a'), ctx.name('dup-b')];
        const cases: [string[], RegExp][] = [
          [['-v', 'relative/path'], /invalid volume specification: 'relative\/path'.*mount path must be absolute/],
          [['-v', `${missing}:rel`], /mount path must be absolute/],
          [['-v', '/data:ro'], /invalid volume specification: '\/data:ro'/],
          [['-v', `${missing}:/d:bogus`], /invalid mode: bogus/],
          [['-v', `${a}:/d`, '-v', `${b}:/d`], /Duplicate mount point: \/d/],
          [['-v', 'bad!name:/d'], /includes invalid characters for a local volume name/],
          [['-v', `${missing}:/`], /destination can't be '\/'/],
          [['--mount', `type=bind,src=${missing},dst=/d`], /bind mount source path does not exist/],
          [['--mount', 'type=volume,dst=/d,foo=bar'], /unexpected key 'foo'/],
          [['--volumes-from', ctx.name('nobody')], /no such container/i],
          // runc refuses a mount over /proc, or inside it but for a few files (this engine: when the flag is read)
          [['-v', '/tmp:/proc'], /"\/proc" cannot be mounted because it is not of type proc/],
          [['--mount', `type=bind,src=/tmp,dst=/proc/sys`], /"\/proc\/sys" cannot be mounted because it is inside \/proc/],
          [['-v', `${'v'.repeat(300)}:/d`], /volume name is too long/],
        ];
        // a good spec is accepted first: the errors below are about the specs, not the flags
        await mdOk(ctx, ['run', '--rm', '-v', '/tmp:/host-tmp:ro', 'busybox', 'true']);
        const volumesDir = path.join(root(ctx), 'volumes');
        const containersDir = path.join(root(ctx), 'containers');
        const list = (d: string) => (existsSync(d) ? readdirSync(d).sort() : []);
        const [volumesBefore, containersBefore] = [list(volumesDir), list(containersDir)];
        for (const [flags, message] of cases) {
          const name = ctx.name('bad');
          const r = await md(ctx, ['run', '--rm', '--name', name, ...flags, 'busybox', 'true']);
          assertEqual(r.code, 125, `exit status of run ${flags.join(' ')}`);
          assert(message.test(r.stderr), `run ${flags.join(' ')}: the error "${r.stderr.trim()}" does not match ${message}`);
          assert(r.stderr.trim().split('\n').length === 1, `run ${flags.join(' ')}: the error is more than one line`);
        }
        assertEqual(list(volumesDir), volumesBefore, 'volumes/ after the bad runs');
        assertEqual(list(containersDir), containersBefore, 'containers/ after the bad runs');
        assert(!existsSync(missing), `a bad run created the bind source ${missing}`);
        const leftover = (await mdOk(ctx, ['ps', '-a', '--format', '{{.Names}}'])).split('\n').filter((n) => n.includes('-bad-'));
        assertEqual(leftover, [], 'containers left by the bad runs');
      },
    },
    {
      name: 'failing volume verbs exit 1 as docker’s do, with one line of error',
      hint: 'lib/cli/main.ts exitCodeFor: only verbs that start a container use 125; lib/names.ts for the name rule',
      async run(ctx) {
        const missing = ctx.name('novol');
        await assertFailures(ctx, [
          { argv: ['volume', 'create', 'bad/name'], code: 1, says: /invalid characters|only \[a-zA-Z0-9\]/ },
          { argv: ['volume', 'create', 'v'.repeat(300)], code: 1, says: /too long/i },
          { argv: ['volume', 'inspect', missing], code: 1, says: /no such volume/i },
          { argv: ['volume', 'rm', missing], code: 1, says: /no such volume/i },
          { argv: ['volume', 'create', '--bogus'], code: 125, says: /unknown flag: --bogus/ },
        ]);
      },
    },
  ],
};
