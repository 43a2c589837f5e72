// Stage 1 — namespaces and the container's root (pivot_root).
// Each check observes from the host unless it says "inside". See stages/01-namespaces/README.md.

import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { assert, assertEqual, assertFailures, CheckFailure, engine, exec, hostMountinfo, md, mdOk, nsLink, startDetached, type Context, type Stage } from './harness.js';
import { runtimeChecks } from './runtime.js';

const KINDS = ['mnt', 'uts', 'ipc', 'pid', 'net', 'cgroup'];
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Run a command in a fresh container and return its stdout. */
function inside(ctx: Context, script: string, flags: string[] = []): Promise<string> {
  return mdOk(ctx, ['run', '--rm', ...flags, 'busybox', 'sh', '-c', script]);
}

/** The msqid column of /proc/sysvipc/msg (the header line is skipped). */
function queueIds(table: string): string[] {
  return table.trim().split('\n').slice(1).map((l) => l.trim().split(/\s+/)[1]);
}

/**
 * The chroot-escape demo (stages/01-namespaces/chroot-escape.c), compiled static, as base64: the
 * check hands it to a busybox container on stdin. (Not as an image of its own: `import` writes
 * layers, stage 3's code, which a learner at stage 1 has not written yet.)
 */
function escapeProgram(): string {
  const dir = mkdtempSync('/tmp/mdcheck-escape-');
  try {
    execFileSync('cc', ['-static', '-O2', '-o', path.join(dir, 'chroot-escape'), path.join(repo, 'stages/01-namespaces/chroot-escape.c')]);
    return readFileSync(path.join(dir, 'chroot-escape')).toString('base64');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * `minidock ARGS` with `input` on its stdin. Not through zx: when the engine fails before the
 * container reads its stdin (a learner's stub), writing the rest of the program fails with
 * EPIPE, and that error must end this run, not the whole check runner.
 */
function mdWithInput(env: NodeJS.ProcessEnv, args: string[], input: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(engine(), args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.stdin.on('error', () => {}); // EPIPE: the engine stopped reading; its exit says why
    child.stdin.end(input);
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? 128 + (signal === 'SIGKILL' ? 9 : 15), stdout, stderr });
    });
  });
}

/** The script that unpacks the program from stdin inside the container and runs it. */
const runEscape = (marker: string) => `mkdir -p /tmp && base64 -d > /chroot-escape && chmod +x /chroot-escape && /chroot-escape ${marker}`;

export const stage: Stage = {
  n: 1,
  title: 'namespaces + rootfs',
  checks: [
    {
      name: "each of the 6 namespaces of the container's PID 1 differs from the host's",
      hint: 'lib/runtime/namespaces.ts and lib/runtime/init.ts step 3 (unshare); compare `readlink /proc/<pid>/ns/*` with /proc/self/ns/*',
      async run(ctx) {
        const { pid } = await startDetached(ctx, ctx.name('ns'));
        for (const kind of KINDS) {
          const theirs = nsLink(pid, kind);
          assert(theirs !== nsLink('self', kind), `${kind}: the container is in the host's namespace ${theirs}`);
        }
      },
    },
    {
      name: 'a namespace lives while something holds it: bind-mount /proc/<pid>/ns/net to a file, the container exits, nsenter --net=FILE still enters it',
      hint: 'a namespace is freed when its last reference goes: a process in it, an open fd, or a bind mount of its /proc/<pid>/ns file (what `ip netns add` makes under /run/netns); the container must have a network namespace of its own (lib/runtime/init.ts step 3)',
      async run(ctx) {
        const name = ctx.name('nshold');
        const { pid } = await startDetached(ctx, name);
        const theirs = nsLink(pid, 'net');
        assert(theirs !== nsLink('self', 'net'), `the container is in the host's network namespace ${theirs}`);
        const dir = mkdtempSync('/tmp/mdcheck-nshold-');
        const holder = path.join(dir, 'net');
        writeFileSync(holder, '');
        try {
          // what `ip netns add` does: a bind mount of the namespace file keeps the namespace alive
          execFileSync('mount', ['--bind', `/proc/${pid}/ns/net`, holder]);
          await mdOk(ctx, ['rm', '-f', name]);
          for (let i = 0; i < 50 && existsSync(`/proc/${pid}`); i++) await new Promise((r) => setTimeout(r, 100));
          assert(!existsSync(`/proc/${pid}`), `the container's PID 1 (${pid}) is still running after rm -f`);
          const entered = execFileSync('nsenter', [`--net=${holder}`, 'readlink', '/proc/self/ns/net'], { encoding: 'utf8' }).trim();
          assertEqual(entered, theirs, 'the namespace nsenter --net=FILE enters, after every process in it is gone');
        } finally {
          try {
            execFileSync('umount', [holder], { stdio: 'ignore' });
          } catch {
            // not mounted: the bind failed
          }
          rmSync(dir, { recursive: true, force: true });
        }
      },
    },
    {
      name: "minidock explain (minidock's own verb) draws the namespaces of the container's PID 1 as /proc/<pid>/ns links them",
      hint: 'lib/container/explain.ts reads readlink /proc/<pid>/ns/<kind> beside /proc/self/ns/<kind>; lib/cli/explain-picture.ts draws one line per kind',
      async run(ctx) {
        const name = ctx.name('explain');
        const { pid } = await startDetached(ctx, name);
        const out = await mdOk(ctx, ['explain', name]);
        for (const kind of KINDS) {
          // "│ net    net:[4026532181]     net:[4026531833]     ≠ its own │"
          const m = new RegExp(`^│ ${kind} +(\\S+) +(\\S+) +(.+?) +│$`, 'm').exec(out);
          assert(m, `explain prints no line for the ${kind} namespace:\n${out}`);
          assertEqual(m[1], nsLink(pid, kind), `explain's ${kind} namespace of the container`);
          assertEqual(m[2], nsLink('self', kind), `explain's ${kind} namespace of the host`);
          assertEqual(m[3], '≠ its own', `explain's verdict on the ${kind} namespace`);
        }
      },
    },
    {
      name: '--pid/--ipc/--uts/--network host keep exactly that namespace of the host',
      hint: 'planNamespaces in lib/container/namespaces.ts: "host" means no entry for that kind in config.json’s linux.namespaces',
      async run(ctx) {
        const optOuts: [string, string][] = [['--pid', 'pid'], ['--ipc', 'ipc'], ['--uts', 'uts'], ['--network', 'net']];
        for (const [flag, kind] of optOuts) {
          const { pid } = await startDetached(ctx, ctx.name(kind), ['sleep', '600'], [`${flag}=host`]);
          for (const other of KINDS) {
            const same = nsLink(pid, other) === nsLink('self', other);
            assert(other === kind ? same : !same, `${flag}=host: the ${other} namespace is ${same ? 'the host’s' : 'a new one'}`);
          }
        }
      },
    },
    {
      name: 'inside, the shell is PID 1 and ps lists only the container’s processes',
      hint: 'the PID namespace: unshare(CLONE_NEWPID) before spawning init (lib/container/monitor.ts), and /proc mounted inside',
      async run(ctx) {
        const out = await inside(ctx, 'echo $$; ps -o pid');
        const [self, , ...pids] = out.trim().split('\n').map((l) => Number(l.trim())); // skip ps's header
        assertEqual(self, 1, '$$ inside');
        // the shell and ps at most (sh may exec its last command, making ps PID 1 itself)
        assert(pids.length >= 1 && pids.length <= 2 && pids[0] === 1, `ps inside lists PIDs ${pids.join(',')}: expected only PID 1 and ps itself`);
      },
    },
    {
      name: 'from the host, the container’s PID 1 has another PID, and NSpid shows both',
      hint: '/proc/<host pid>/status: the NSpid line lists the PID in each namespace, outermost first',
      async run(ctx) {
        const { pid } = await startDetached(ctx, ctx.name('nspid'));
        const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('NSpid:'));
        const ids = line?.split(/\s+/).slice(1).map(Number) ?? [];
        assert(ids.length >= 2, `NSpid is "${line}": the process is in one PID namespace only`);
        assertEqual(ids[0], pid, 'NSpid, host side');
        assertEqual(ids[ids.length - 1], 1, 'NSpid, container side');
      },
    },
    {
      name: 'the hostname inside is the container’s (the short ID by default, or --hostname), and the host’s is unchanged',
      hint: 'sethostname(2) in init step 7, after unshare(CLONE_NEWUTS)',
      async run(ctx) {
        const before = hostname();
        const named = await inside(ctx, 'hostname', ['--hostname', 'mdcheck-box']);
        assertEqual(named.trim(), 'mdcheck-box', 'hostname with --hostname');
        const name = ctx.name('host');
        const out = await mdOk(ctx, ['run', '--name', name, 'busybox', 'hostname']);
        const id = (await mdOk(ctx, ['inspect', '-f', '{{.Id}}', name])).trim();
        assertEqual(out.trim(), id.slice(0, 12), 'default hostname');
        assertEqual(hostname(), before, "the host's hostname afterwards");
      },
    },
    {
      name: 'a mount made inside is in the container’s mount table and not in the host’s',
      hint: 'the mount namespace, and "/" made MS_REC|MS_PRIVATE first (lib/runtime/rootfs.ts enterRootfs step 1) so nothing propagates back',
      async run(ctx) {
        const source = ctx.name('tmpfs');
        // from stage 8 on, root in a container may not mount (no CAP_SYS_ADMIN, seccomp): ask for the capability
        const stage = Number(ctx.env.MINIDOCK_STAGE || 99);
        const { pid } = await startDetached(ctx, ctx.name('mnt'), ['sh', '-c', `mkdir -p /mnt && mount -t tmpfs ${source} /mnt && sleep 600`], stage >= 8 ? ['--cap-add', 'SYS_ADMIN'] : []);
        let leaked = false;
        try {
          for (let i = 0; i < 50 && !readFileSync(`/proc/${pid}/mountinfo`, 'utf8').includes(source); i++) await new Promise((r) => setTimeout(r, 50));
          assert(readFileSync(`/proc/${pid}/mountinfo`, 'utf8').includes(source), 'the mount did not appear in the container’s own mountinfo');
          leaked = hostMountinfo().includes(source);
          assert(!leaked, `the container's tmpfs "${source}" shows in the host's /proc/self/mountinfo`);
        } finally {
          // without a mount namespace (stage 0) the mount really is on the host: take it away
          for (const line of hostMountinfo().split('\n').filter((l) => l.includes(source))) {
            execFileSync('umount', ['-l', line.split(' ')[4]]);
          }
        }
      },
    },
    {
      name: 'inside, the old root is gone: one "/" mount, no pivot directory, no way to the host’s files',
      hint: 'pivot_root then umount2(MNT_DETACH) of the old root (lib/runtime/rootfs.ts pivotRoot)',
      async run(ctx) {
        const marker = `/tmp/${ctx.name('marker')}`;
        writeFileSync(marker, 'host\n');
        try {
          const out = await inside(ctx, `cat /proc/1/mountinfo | awk '{print $5}'; echo ---; ls -a /; echo ---; find / -path /proc -prune -o -path /sys -prune -o -name ${path.basename(marker)} -print`);
          const [mounts, rootList, found] = out.split('---\n');
          const points = mounts.trim().split('\n');
          assert(points.length > 1, 'the container has no mount table of its own (/proc/1/mountinfo is empty or missing)');
          assertEqual(points.filter((m) => m === '/').length, 1, 'mounts at "/"');
          assert(!/pivot/.test(rootList), `ls -a / shows a leftover: ${rootList.trim().split('\n').join(' ')}`);
          assertEqual(found.trim(), '', `a host file found from inside`);
        } finally {
          rmSync(marker, { force: true });
        }
      },
    },
    {
      name: 'the chroot-escape program gets out of a plain chroot (stage 0) and stays in under pivot_root',
      hint: 'stages/01-namespaces/chroot-escape.c; pivot_root leaves no "outside" for `cd ..` to reach',
      async run(ctx) {
        const program = escapeProgram();
        const marker = `/tmp/${ctx.name('marker')}`;
        writeFileSync(marker, 'the host\n');
        try {
          const args = ['run', '--rm', '-i', 'busybox', 'sh', '-c', runEscape(marker)];
          const jail = await mdWithInput({ ...ctx.env, MINIDOCK_STAGE: '0' }, args, program);
          assertEqual(jail.stdout.trim(), 'escaped: the host', `under chroot (MINIDOCK_STAGE=0) the demo must escape (${jail.stderr.trim()})`);
          const inside = await mdWithInput(ctx.env, args, program);
          if (inside.code !== 0) throw new CheckFailure(`minidock ${args.slice(0, 5).join(' ')} … exited ${inside.code}: ${inside.stderr.trim().split('\n').pop()}`);
          const contained = inside.stdout;
          assert(contained.startsWith('contained:'), `under pivot_root the program printed "${contained.trim()}"`);
        } finally {
          rmSync(marker, { force: true });
        }
      },
    },
    {
      name: 'inside, /proc lists the container’s PIDs only, and /sys is read-only',
      hint: 'proc is mounted by init, PID 1 of the new PID namespace; sysfs with "ro" (config.json mounts: lib/runtime/spec.ts defaultMounts, lib/runtime/rootfs.ts mountInto)',
      async run(ctx) {
        const out = await inside(ctx, 'ls /proc | grep -E "^[0-9]+$" | tr "\\n" " "; echo; touch /sys/mdcheck 2>&1; grep " /sys " /proc/self/mountinfo');
        const [pidLine, ...rest] = out.split('\n');
        const pids = pidLine.trim().split(' ').filter(Boolean).map(Number);
        assert(pids.includes(1), `/proc inside does not list PID 1 (got "${pidLine.trim()}")`);
        assert(pids.every((p) => p < 20), `/proc inside lists host-looking PIDs: ${pids.join(' ')}`);
        const tail = rest.join('\n');
        assert(/Read-only file system/.test(tail), `touching a file in /sys did not fail with EROFS: "${tail.trim()}"`);
        assert(/\sro[,\s]/.test(tail), '/sys is not mounted ro');
      },
    },
    {
      name: 'inside, /dev is the container’s own: null, zero, full, random, urandom and tty are the right character devices, usable by anyone (0666)',
      hint: 'init makes the default devices in a fresh /dev tmpfs with mknod, under umask 0 (lib/runtime/rootfs.ts createDevices); a 0644 /dev/null cannot be written by a non-root user',
      async run(ctx) {
        const want: Record<string, string> = { null: '1,3', zero: '1,5', full: '1,7', random: '1,8', urandom: '1,9', tty: '5,0' };
        const out = await inside(ctx, `for d in ${Object.keys(want).join(' ')}; do stat -c "%n %F %a %t,%T" /dev/$d 2>&1; done; grep " /dev " /proc/self/mountinfo`);
        const lines = out.trim().split('\n');
        for (const [name, dev] of Object.entries(want)) {
          const line = lines.find((l) => l.startsWith(`/dev/${name} `) || l.includes(`'/dev/${name}'`)) ?? '(nothing)';
          const [, kind, mode, numbers] = /^\S+ (.+) (\d+) ([0-9a-f]+,[0-9a-f]+)$/.exec(line) ?? [];
          assertEqual(kind, 'character special file', `/dev/${name}'s type (stat said "${line}")`);
          assertEqual(mode, '666', `/dev/${name}'s mode`);
          // stat prints major,minor in hex
          assertEqual(numbers.split(',').map((h) => parseInt(h, 16)).join(','), dev, `/dev/${name}'s major,minor`);
        }
        assert(lines.some((l) => l.split(' ')[4] === '/dev' && l.split(' - ')[1]?.startsWith('tmpfs ')), 'the container’s /dev is not a tmpfs of its own (the host’s /dev would hand it every disk)');
      },
    },
    {
      name: 'a System V message queue made on the host is invisible inside (and visible with --ipc host)',
      hint: 'the IPC namespace: CLONE_NEWIPC; compare /proc/sysvipc/msg on the host and inside',
      async run(ctx) {
        const made = execFileSync('ipcmk', ['-Q'], { encoding: 'utf8' });
        const qid = /(\d+)\s*$/.exec(made.trim())?.[1];
        assert(qid, `ipcmk -Q printed "${made.trim()}"`);
        try {
          const own = await inside(ctx, 'cat /proc/sysvipc/msg');
          assert(!queueIds(own).includes(qid), `the host's queue ${qid} is listed inside`);
          const shared = await inside(ctx, 'cat /proc/sysvipc/msg', ['--ipc', 'host']);
          assert(queueIds(shared).includes(qid), `with --ipc host the host's queue ${qid} should be listed`);
        } finally {
          execFileSync('ipcrm', ['-q', qid]);
        }
      },
    },
    {
      name: '50 containers in a row each run as PID 1 and leave no mount, state or process behind',
      hint: 'lib/container/remove.ts and the monitor: `--rm` removes rootfs, cgroup and state; mounts die with the mount namespace',
      async run(ctx) {
        const root = process.env.MINIDOCK_ROOT || '/var/lib/minidock';
        const countDir = (d: string) => (existsSync(d) ? readdirSync(d).length : 0);
        const ours = () => execFileSync('ps', ['-eo', 'comm'], { encoding: 'utf8' }).split('\n').filter((c) => c.startsWith('minidock-')).length;
        const processesBefore = ours();
        const mountsBefore = hostMountinfo().split('\n').length;
        const containersBefore = countDir(path.join(root, 'containers'));
        for (let i = 0; i < 50; i++) {
          const r = await md(ctx, ['run', '--rm', 'busybox', 'sh', '-c', 'echo $$']);
          assert(r.code === 0 && r.stdout.trim() === '1', `run ${i + 1}: exit ${r.code}, $$ = "${r.stdout.trim()}" ${r.stderr.trim()}`);
        }
        assertEqual(hostMountinfo().split('\n').length, mountsBefore, 'host mounts after 50 runs');
        assertEqual(countDir(path.join(root, 'containers')), containersBefore, 'container state dirs after 50 runs');
        assertEqual(ours(), processesBefore, 'minidock processes (init, shim) running');
      },
    },
    {
      name: 'failing verbs exit 1, a failing run exits 125 / 126 / 127 as docker’s do, each with one line of error',
      hint: 'lib/cli/main.ts exitCodeFor: only verbs that start a container use 125/126/127; lib/container/validate.ts checkWorkdir; lib/names.ts',
      async run(ctx) {
        const root = process.env.MINIDOCK_ROOT || '/var/lib/minidock';
        const countDir = (d: string) => (existsSync(d) ? readdirSync(d).length : 0);
        const containersBefore = countDir(path.join(root, 'containers'));
        const missing = ctx.name('missing');
        await assertFailures(ctx, [
          // every verb but run: 1
          { argv: ['rm', missing], code: 1, says: /no such container/i },
          { argv: ['stop', missing], code: 1, says: /no such container/i },
          { argv: ['kill', missing], code: 1, says: /no such container/i },
          { argv: ['kill', '-s', 'BOGUS', missing], code: 1, says: /invalid signal/i },
          { argv: ['inspect', missing], code: 1, says: /no such/i },
          { argv: ['import', `/nonexistent/${missing}.tar`], code: 1, says: /no such file/i },
          // a flag the parser refuses: 125 whatever the verb (docker's flag-error rule)
          { argv: ['ps', '--bogus'], code: 125, says: /unknown flag: --bogus/ },
          // run: 125 when the engine fails, 126 when the command cannot be invoked, 127 when it is not there
          { argv: ['run', '--rm', `${missing}-image`], code: 125, says: /no such image/i },
          { argv: ['run', '--rm', '--pid', 'bogus', 'busybox', 'true'], code: 125, says: /invalid --pid mode/i },
          { argv: ['run', '--rm', '-w', 'rel', 'busybox', 'true'], code: 125, says: /the working directory 'rel' is invalid, it needs to be an absolute path/ },
          { argv: ['run', '--rm', '--name', 'a'.repeat(5000), 'busybox', 'true'], code: 125, says: /invalid container name/i },
          { argv: ['run', '--rm', 'busybox', '/etc/passwd'], code: 126, says: /permission denied/i },
          { argv: ['run', '--rm', 'busybox', `${missing}-command`], code: 127, says: /not found/i },
        ]);
        assertEqual(countDir(path.join(root, 'containers')), containersBefore, 'container state dirs after the failed commands');
      },
    },
    // a container is a bundle: the runtime alone, by hand and under containerd
    ...runtimeChecks,
  ],
};
