// Stage 1, "a container is a bundle": the runtime on its own, driven as runc is driven.
// A bundle by hand (minidock-runtime spec/create/start/state/kill/delete), and real containerd
// running containers through it (`ctr run --runc-binary bin/minidock-runtime`). Black-box: the
// checks run the commands and read the kernel's state; they never import lib/.
// See stages/01-namespaces/README.md, "a container is a bundle".

import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, rmdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { assert, assertEqual, CheckFailure, exec, nsLink, sleep, type Check, type Context } from './harness.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The runtime under test: MINIDOCK_RUNTIME_BIN, or this repository's bin/minidock-runtime. */
export function runtimeBin(): string {
  return process.env.MINIDOCK_RUNTIME_BIN || path.join(repo, 'bin', 'minidock-runtime');
}

/** A bundle directory with a busybox rootfs (from the host's busybox-static) and `minidock-runtime spec`'s config.json. */
export async function makeBundle(ctx: Context, args: string[]): Promise<string> {
  const dir = mkdtempSync('/tmp/mdcheck-bundle-');
  const bin = path.join(dir, 'rootfs', 'bin');
  mkdirSync(bin, { recursive: true });
  for (const d of ['proc', 'sys', 'dev', 'tmp', 'etc']) mkdirSync(path.join(dir, 'rootfs', d));
  copyFileSync('/bin/busybox', path.join(bin, 'busybox'));
  chmodSync(path.join(bin, 'busybox'), 0o755);
  for (const applet of ['sh', 'sleep', 'cat', 'echo', 'hostname']) symlinkSync('busybox', path.join(bin, applet));
  const r = await exec(runtimeBin(), ['spec', '--bundle', dir], { env: ctx.env });
  if (r.code !== 0) throw new CheckFailure(`minidock-runtime spec exited ${r.code}: ${r.stderr.trim()}`);
  const config = JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8'));
  config.process.args = args;
  writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config));
  return dir;
}

async function rt(ctx: Context, root: string, args: string[]): Promise<string> {
  const r = await exec(runtimeBin(), ['--root', root, ...args], { env: ctx.env, timeoutMs: 30_000 });
  if (r.code !== 0) throw new CheckFailure(`minidock-runtime ${args.join(' ')} exited ${r.code}: ${r.stderr.trim()}`);
  return r.stdout;
}

async function statusOf(ctx: Context, root: string, id: string): Promise<{ status: string; pid: number }> {
  return JSON.parse(await rt(ctx, root, ['state', id])) as { status: string; pid: number };
}

/** Wait (bounded) until `file` exists and holds something. */
async function waitForFile(file: string, ms = 5000): Promise<string> {
  for (const deadline = Date.now() + ms; Date.now() < deadline; await sleep(50)) {
    if (existsSync(file)) {
      const text = readFileSync(file, 'utf8');
      if (text.trim() !== '') return text.trim();
    }
  }
  throw new CheckFailure(`${file} never appeared`);
}

/** Every cgroup hierarchy's directory for `rel` (v1: one per hierarchy, v2: one). */
export function cgroupDirs(rel: string): string[] {
  const root = '/sys/fs/cgroup';
  if (existsSync(path.join(root, 'cgroup.controllers'))) return [path.join(root, rel)];
  return readdirSync(root).map((h) => path.join(root, h, rel));
}

// ---------------------------------------------------------------------------------------------
// containerd, started by the check with its own root, state dir and socket (never the system's)

export interface Containerd {
  dir: string;
  socket: string;
  proc: ChildProcess;
}

export async function startContainerd(ctx: Context): Promise<Containerd> {
  const dir = mkdtempSync('/tmp/mdcheck-containerd-');
  const socket = path.join(dir, 'containerd.sock');
  writeFileSync(
    path.join(dir, 'config.toml'),
    [
      'version = 2',
      `root = "${dir}/root"`,
      `state = "${dir}/state"`,
      'disabled_plugins = ["io.containerd.grpc.v1.cri"]',
      '[grpc]',
      `  address = "${socket}"`,
      '[ttrpc]',
      `  address = "${socket}.ttrpc"`,
      '',
    ].join('\n'),
  );
  const proc = spawn('containerd', ['--config', path.join(dir, 'config.toml')], { env: ctx.env, stdio: 'ignore', detached: true });
  for (const deadline = Date.now() + 15_000; Date.now() < deadline; await sleep(100)) {
    if ((await exec('ctr', ['-a', socket, 'version'], { timeoutMs: 5000 })).code === 0) return { dir, socket, proc };
  }
  await stopContainerd({ dir, socket, proc });
  throw new CheckFailure('containerd did not answer on its socket within 15 s (is the containerd package installed? vagrant/provision.sh installs it)');
}

export async function stopContainerd(c: Containerd): Promise<void> {
  try {
    process.kill(-c.proc.pid!, 'SIGTERM');
  } catch {
    // gone
  }
  await sleep(300);
  await exec('sh', ['-c', `grep -l ${c.dir} /proc/*/cmdline 2>/dev/null | cut -d/ -f3 | xargs -r kill -9`]);
  await exec('sh', ['-c', `grep ' ${c.dir}' /proc/self/mountinfo | cut -d' ' -f5 | sort -r | xargs -r -n1 umount -l`]);
  rmSync(c.dir, { recursive: true, force: true });
}

export const runtimeChecks: Check[] = [
  {
    name: 'a bundle by hand: minidock-runtime create leaves PID 1 waiting, start runs it, kill stops it, delete leaves nothing; run returns the status',
    hint: 'lib/runtime/container.ts (create, start, kill, remove) and the exec fifo in lib/runtime/init.ts step 11; state.json in lib/runtime/state.ts',
    async run(ctx) {
      const bundle = await makeBundle(ctx, ['sh', '-c', 'echo $$ > /tmp/pid; hostname > /tmp/hostname; exec sleep 600']);
      const root = mkdtempSync('/tmp/mdcheck-rtroot-');
      const id = ctx.name('bundle');
      try {
        // the container's stdio is create's: a file, so that nothing waits for a pipe PID 1 holds open
        const out = path.join(bundle, 'create.log');
        const made = await exec('sh', ['-c', `"$0" --root "$1" create --bundle "$2" --pid-file "$2/init.pid" "$3" </dev/null >"$4" 2>&1`, runtimeBin(), root, bundle, id, out], { env: ctx.env, timeoutMs: 30_000 });
        if (made.code !== 0) throw new CheckFailure(`minidock-runtime create exited ${made.code}: ${readFileSync(out, 'utf8').trim()}`);
        const created = await statusOf(ctx, root, id);
        assertEqual(created.status, 'created', 'state after create');
        assertEqual(Number(readFileSync(path.join(bundle, 'init.pid'), 'utf8')), created.pid, '--pid-file vs state.pid');
        assert(!existsSync(path.join(bundle, 'rootfs/tmp/pid')), 'the command ran before start');
        await rt(ctx, root, ['start', id]);
        assertEqual(await waitForFile(path.join(bundle, 'rootfs/tmp/pid')), '1', 'the command’s PID inside (echo $$)');
        assertEqual(await waitForFile(path.join(bundle, 'rootfs/tmp/hostname')), 'minidock', 'the hostname from config.json');
        assert(nsLink(created.pid, 'pid') !== nsLink('self', 'pid'), 'the container’s PID namespace is the host’s');
        assertEqual((await statusOf(ctx, root, id)).status, 'running', 'state after start');
        const refused = await exec(runtimeBin(), ['--root', root, 'delete', id], { env: ctx.env });
        assert(refused.code === 1 && /not stopped/.test(refused.stderr), `delete of a running container without --force: exit ${refused.code}, "${refused.stderr.trim()}"`);
        await rt(ctx, root, ['kill', id, 'KILL']);
        let status = '';
        for (const deadline = Date.now() + 5000; Date.now() < deadline && status !== 'stopped'; await sleep(50)) status = (await statusOf(ctx, root, id)).status;
        assertEqual(status, 'stopped', 'state after kill');
        await rt(ctx, root, ['delete', id]);
        assert(!existsSync(path.join(root, id)), `${root}/${id} is still there after delete`);
        for (const d of cgroupDirs(`minidock/${id}`)) assert(!existsSync(d), `${d} is still there after delete`);
        assertEqual((await rt(ctx, root, ['list', '-q'])).trim(), '', 'list after delete');
        // `run`: create, start and wait in one, with the container's status as its own
        const config = JSON.parse(readFileSync(path.join(bundle, 'config.json'), 'utf8'));
        config.process.args = ['sh', '-c', 'exit 3'];
        writeFileSync(path.join(bundle, 'config.json'), JSON.stringify(config));
        const ran = await exec('sh', ['-c', `"$0" --root "$1" run --bundle "$2" "$3" </dev/null >/dev/null 2>&1`, runtimeBin(), root, bundle, `${id}-run`], { env: ctx.env, timeoutMs: 30_000 });
        assertEqual(ran.code, 3, 'minidock-runtime run’s exit status (the container’s)');
        assertEqual((await rt(ctx, root, ['list', '-q'])).trim(), '', 'list after run (run deletes what it created)');
      } finally {
        await exec(runtimeBin(), ['--root', root, 'delete', '--force', id], { env: ctx.env });
        rmSync(root, { recursive: true, force: true });
        rmSync(bundle, { recursive: true, force: true });
      }
    },
  },
  {
    name: 'containerd drives minidock-runtime: ctr run --runc-binary runs busybox as PID 1, returns its exit code, ctr task kill stops it, nothing is left',
    hint: 'runc’s command line in lib/runtime/cli.ts (create --bundle --pid-file, start, state, kill, delete); containerd’s shim reads errors from the --log file',
    async run(ctx) {
      const bundle = await makeBundle(ctx, ['true']);
      const rootfs = path.join(bundle, 'rootfs');
      const cd = await startContainerd(ctx);
      const ns = ctx.name('ns');
      const runcRoot = path.join(cd.dir, 'runc');
      const ctr = (args: string[], timeoutMs = 30_000) => exec('ctr', ['-a', cd.socket, '-n', ns, ...args], { env: ctx.env, timeoutMs });
      const runArgs = ['--runc-binary', runtimeBin(), '--runc-root', runcRoot, '--rootfs'];
      try {
        // 1. foreground: the output, and the exit status of the container's PID 1
        const fg = await ctr(['run', '--rm', ...runArgs, rootfs, 'fg', 'sh', '-c', 'echo pid $$; exit 7']);
        assertEqual(fg.stdout.trim(), 'pid 1', 'the output of `sh -c "echo pid $$"` under ctr run');
        assertEqual(fg.code, 7, 'ctr run’s exit status (the container’s)');
        // 2. detached: running, then ctr task kill
        const bg = await ctr(['run', '-d', ...runArgs, rootfs, 'bg', 'sleep', '600']);
        assert(bg.code === 0, `ctr run -d exited ${bg.code}: ${bg.stderr.trim()}`);
        const tasks = (await ctr(['task', 'ls'])).stdout;
        assert(/bg\s+\d+\s+RUNNING/.test(tasks), `ctr task ls does not show bg RUNNING:\n${tasks}`);
        const kill = await ctr(['task', 'kill', '-s', 'SIGKILL', 'bg']);
        assert(kill.code === 0, `ctr task kill exited ${kill.code}: ${kill.stderr.trim()}`);
        let stopped = false;
        for (const deadline = Date.now() + 10_000; Date.now() < deadline && !stopped; await sleep(100)) {
          stopped = /bg\s+\d+\s+STOPPED/.test((await ctr(['task', 'ls'])).stdout);
        }
        assert(stopped, 'ctr task ls never showed bg STOPPED after ctr task kill');
        assert((await ctr(['task', 'delete', 'bg'])).code === 0, 'ctr task delete bg failed');
        assert((await ctr(['container', 'delete', 'bg'])).code === 0, 'ctr container delete bg failed');
        // 3. nothing left: the runtime's state, the cgroups containerd asked for
        const left = existsSync(path.join(runcRoot, ns)) ? readdirSync(path.join(runcRoot, ns)) : [];
        assertEqual(left, [], `containers left in the runtime root ${runcRoot}/${ns}`);
        for (const d of [...cgroupDirs(`${ns}/fg`), ...cgroupDirs(`${ns}/bg`)]) assert(!existsSync(d), `${d} is still there`);
      } finally {
        await ctr(['task', 'kill', '-s', 'SIGKILL', 'bg']);
        await sleep(200);
        await ctr(['task', 'delete', '-f', 'bg']);
        await ctr(['container', 'delete', 'bg']);
        await stopContainerd(cd);
        for (const d of cgroupDirs(ns)) {
          try {
            rmdirSync(d); // the namespace's parent cgroup containerd named: ours, and empty now
          } catch {
            // not there
          }
        }
        rmSync(bundle, { recursive: true, force: true });
      }
    },
  },
  {
    name: 'a bundle written by runc spec runs under minidock-runtime as under runc: same capabilities, a usable /dev/null despite its deny-all device rule',
    hint: 'runc spec denies every device and lists ambient capabilities without inheritable ones: the runtime appends its default device rules (lib/runtime/rootfs.ts withDefaultDeviceRules) and raises only ambient capabilities the kernel allows (lib/runtime/capabilities.ts setCapabilitySets)',
    async run(ctx) {
      if (!(await exec('sh', ['-c', 'command -v runc'])).stdout.trim()) throw new CheckFailure('runc is not installed (vagrant/provision.sh installs it)');
      const bundle = await makeBundle(ctx, []);
      const root = mkdtempSync('/tmp/mdcheck-rtroot-');
      const runcRoot = mkdtempSync('/tmp/mdcheck-runcroot-');
      try {
        rmSync(path.join(bundle, 'config.json'));
        const spec = await exec('runc', ['spec', '--bundle', bundle]);
        if (spec.code !== 0) throw new CheckFailure(`runc spec exited ${spec.code}: ${spec.stderr.trim()}`);
        const config = JSON.parse(readFileSync(path.join(bundle, 'config.json'), 'utf8'));
        config.process.terminal = false;
        config.process.args = ['sh', '-c', 'busybox grep Cap /proc/self/status; busybox stat -c "%n %a %t:%T" /dev/null; echo hi > /dev/null && echo written'];
        writeFileSync(path.join(bundle, 'config.json'), JSON.stringify(config));
        const run = (bin: string, rootDir: string) =>
          exec('sh', ['-c', `"$0" --root "$1" run --bundle "$2" "$3" </dev/null 2>&1`, bin, rootDir, bundle, ctx.name('runcspec')], { env: ctx.env, timeoutMs: 30_000 });
        const theirs = await run('runc', runcRoot);
        assertEqual(theirs.code, 0, `runc run's status (${theirs.stdout.trim()})`);
        const ours = await run(runtimeBin(), root);
        assertEqual(ours.code, 0, `minidock-runtime run's status (${ours.stdout.trim()})`);
        assertEqual(ours.stdout.trim(), theirs.stdout.trim(), 'what the container printed, minidock-runtime vs runc');
        assert(/\/dev\/null 666 1:3/.test(ours.stdout) && /written/.test(ours.stdout), `/dev/null is not a usable 1:3 with mode 666: ${ours.stdout.trim()}`);
      } finally {
        rmSync(root, { recursive: true, force: true });
        rmSync(runcRoot, { recursive: true, force: true });
        rmSync(bundle, { recursive: true, force: true });
      }
    },
  },
];
