// Stage 0 — preflight: the machine has every piece a container is made of.
// Each check looks at one piece the way a learner would (/proc, /sys, PATH, the minidock CLI) and
// its hint is the fix. Stage 0 has no control: there is no stage −1 to compare with.
// See stages/00-preflight/README.md.

import { accessSync, constants, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { assert, assertEqual, engine, exec, md, mdOk, type Context, type Stage } from './harness.js';

/** The namespaces minidock gives every container. */
const NAMESPACES = ['mnt', 'uts', 'ipc', 'pid', 'net', 'cgroup'];

/** Where `cmd` is on the PATH of the checks' environment, searched as execvp(3) does. */
function onPath(ctx: Context, cmd: string): string | undefined {
  for (const dir of (ctx.env.PATH ?? '').split(':')) {
    const file = path.join(dir || '.', cmd);
    try {
      accessSync(file, constants.X_OK);
      if (statSync(file).isFile()) return file;
    } catch {
      // not here: the next directory
    }
  }
  return undefined;
}

/** Run a command found on PATH, insisting that it exits 0; its first line of output. */
async function versionOf(ctx: Context, cmd: string, args: string[]): Promise<string> {
  const file = onPath(ctx, cmd);
  assert(file, `${cmd} is not on PATH (${ctx.env.PATH})`);
  const r = await exec(file, args, { env: ctx.env });
  assert(r.code === 0, `${file} ${args.join(' ')} exited ${r.code}: ${r.stderr.trim()}`);
  return r.stdout.trim().split('\n')[0];
}

/** The cgroup filesystems in the host's mount table: [mount point, fstype, super options]. */
function cgroupMounts(): { point: string; fstype: string; options: string[] }[] {
  return readFileSync('/proc/self/mountinfo', 'utf8').trim().split('\n').flatMap((line) => {
    const [left, right = ''] = line.split(' - ');
    const [fstype, , opts = ''] = right.split(' ');
    return fstype === 'cgroup' || fstype === 'cgroup2' ? [{ point: left.split(' ')[4], fstype, options: opts.split(',') }] : [];
  });
}

/** True when an ELF file names no program interpreter (PT_INTERP): it needs no ld.so, no libc. elf(5). */
function isStaticElf(elf: Buffer): boolean {
  assert(elf.length >= 64 && elf.readUInt32BE(0) === 0x7f454c46, 'not an ELF file');
  const is64 = elf[4] === 2;
  const le = elf[5] === 1;
  const u16 = (at: number) => (le ? elf.readUInt16LE(at) : elf.readUInt16BE(at));
  const u32 = (at: number) => (le ? elf.readUInt32LE(at) : elf.readUInt32BE(at));
  const phoff = is64 ? Number(le ? elf.readBigUInt64LE(0x20) : elf.readBigUInt64BE(0x20)) : u32(0x1c);
  const [size, count] = is64 ? [u16(0x36), u16(0x38)] : [u16(0x2a), u16(0x2c)];
  for (let i = 0; i < count; i++) if (u32(phoff + i * size) === 3 /* PT_INTERP */) return false;
  return true;
}

/**
 * A PATH with every command of `pathVar` except `hidden`: one directory of symlinks, first match
 * winning as in a PATH search. The caller removes the directory.
 */
export function pathWithout(pathVar: string, hidden: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), `mdcheck-no-${hidden}-`));
  const seen = new Set([hidden]);
  for (const d of pathVar.split(':').filter(Boolean)) {
    let names: string[];
    try {
      names = readdirSync(d);
    } catch {
      continue;
    }
    for (const name of names) {
      if (seen.has(name)) continue;
      seen.add(name);
      symlinkSync(path.join(d, name), path.join(dir, name));
    }
  }
  return dir;
}

export const stage: Stage = {
  n: 0,
  title: 'preflight',
  checks: [
    {
      name: 'the checks run as root (namespaces, mounts and cgroups need it)',
      hint: 'sudo npm run check:stage-0',
      async run() {
        assertEqual(process.getuid?.(), 0, 'uid');
      },
    },
    {
      name: 'the kernel is Linux 4.0 or later (5.10 or later recommended)',
      hint: 'cat /proc/sys/kernel/osrelease; upgrade the kernel (5.10+: Debian 11+, Ubuntu 22.04+) or use the lab VM (vagrant up)',
      async run() {
        const release = readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim();
        const major = Number(/^(\d+)\./.exec(release)?.[1]);
        assert(major >= 4, `the kernel is ${release}`);
      },
    },
    {
      name: `the kernel offers the namespaces a container gets: ${NAMESPACES.join(' ')}`,
      hint: 'ls -l /proc/self/ns; a kernel built with CONFIG_UTS_NS CONFIG_IPC_NS CONFIG_PID_NS CONFIG_NET_NS CONFIG_CGROUPS (=y)',
      async run() {
        const have = readdirSync('/proc/self/ns');
        const missing = NAMESPACES.filter((k) => !have.includes(k));
        assertEqual(missing, [], 'namespaces missing from /proc/self/ns');
      },
    },
    {
      name: 'a cgroup filesystem is mounted: v2 on /sys/fs/cgroup, or v1 hierarchies (hybrid or legacy)',
      hint: 'stat -fc %T /sys/fs/cgroup (cgroup2fs = v2, tmpfs = v1); grep cgroup /proc/self/mountinfo; fix: mount -t cgroup2 none /sys/fs/cgroup',
      async run() {
        const mounts = cgroupMounts();
        assert(mounts.length > 0, 'no cgroup or cgroup2 filesystem in /proc/self/mountinfo');
      },
    },
    {
      name: 'the cgroup controllers minidock uses are there: cpu cpuacct cpuset memory pids (v1) or cpu cpuset memory pids (v2)',
      hint: 'v1: ls /sys/fs/cgroup (fix: mkdir -p /sys/fs/cgroup/X && mount -t cgroup -o X cgroup /sys/fs/cgroup/X); v2: cat /sys/fs/cgroup/cgroup.controllers (fix: boot without cgroup_disable=X)',
      async run() {
        const mounts = cgroupMounts();
        const v2 = mounts.some((m) => m.fstype === 'cgroup2' && m.point === '/sys/fs/cgroup');
        const have = v2
          ? readFileSync('/sys/fs/cgroup/cgroup.controllers', 'utf8').trim().split(/\s+/)
          : mounts.filter((m) => m.fstype === 'cgroup').flatMap((m) => m.options);
        const wanted = v2 ? ['cpu', 'cpuset', 'memory', 'pids'] : ['cpu', 'cpuacct', 'cpuset', 'memory', 'pids'];
        assertEqual(wanted.filter((c) => !have.includes(c)), [], `cgroup v${v2 ? 2 : 1} controllers missing`);
      },
    },
    {
      name: 'overlayfs is registered with the kernel (/proc/filesystems)',
      hint: 'grep overlay /proc/filesystems; fix: modprobe overlay',
      async run() {
        const types = readFileSync('/proc/filesystems', 'utf8').split('\n').map((l) => l.trim().split(/\s+/).pop());
        assert(types.includes('overlay'), 'overlay is not in /proc/filesystems');
      },
    },
    {
      name: 'netfilter can be driven: nft (or iptables) is on PATH and answers --version',
      hint: 'nft --version; fix: apt-get install nftables',
      async run(ctx) {
        const tool = onPath(ctx, 'nft') ? 'nft' : 'iptables';
        await versionOf(ctx, tool, ['--version']);
      },
    },
    {
      name: 'iproute2 is there: ip is on PATH and answers ip -V',
      hint: 'ip -V; fix: apt-get install iproute2',
      async run(ctx) {
        const v = await versionOf(ctx, 'ip', ['-V']);
        assert(/iproute2/.test(v), `ip -V printed "${v}"`);
      },
    },
    {
      name: '/bin/busybox is there and statically linked (it runs in an image without libc)',
      hint: 'ls -l /bin/busybox; readelf -l /bin/busybox | grep INTERP (nothing: static); fix: apt-get install busybox-static',
      async run() {
        const file = process.env.MINIDOCK_BUSYBOX || '/bin/busybox';
        assert(existsSync(file), `${file} does not exist`);
        assert(isStaticElf(readFileSync(file)), `${file} is dynamically linked (it names a program interpreter)`);
      },
    },
    {
      name: 'the base image busybox:latest is in the store (minidock images, minidock inspect busybox)',
      hint: 'minidock images; fix: npm run setup (with the same MINIDOCK_ROOT)',
      async run(ctx) {
        const listed = await mdOk(ctx, ['images', 'busybox']);
        const root = ctx.env.MINIDOCK_ROOT || '/var/lib/minidock';
        assert(/^busybox\s+latest\s+[0-9a-f]{12}\s/m.test(listed), `minidock images busybox lists no busybox:latest (state dir ${root})`);
        const [image] = JSON.parse(await mdOk(ctx, ['inspect', 'busybox'])) as { Id: string; RepoTags: string[]; RootFS?: { Layers?: string[] } }[];
        assert(image?.RepoTags?.includes('busybox:latest'), 'minidock inspect busybox shows no busybox:latest tag');
        assert(/^sha256:[0-9a-f]{64}$/.test(image.Id), `minidock inspect busybox: Id is "${image.Id}"`);
        assert((image.RootFS?.Layers?.length ?? 0) > 0, 'minidock inspect busybox: the image has no layers');
      },
    },
    {
      name: 'node on PATH is version 20 or later (bin/minidock runs it)',
      hint: 'node --version; fix: install Node 20+ (MINIDOCK_VM=1 bash vagrant/provision.sh)',
      async run(ctx) {
        const v = await versionOf(ctx, 'node', ['--version']);
        assert(Number(/^v(\d+)\./.exec(v)?.[1]) >= 20, `node --version is ${v}`);
      },
    },
    {
      name: 'the machine is x86_64 or aarch64 (lib/sys knows those system call numbers)',
      hint: 'uname -m; use an x86_64 or aarch64 machine or VM',
      async run(ctx) {
        const arch = (await versionOf(ctx, 'uname', ['-m'])).trim();
        assert(arch === 'x86_64' || arch === 'aarch64', `uname -m is ${arch}`);
      },
    },
    {
      name: 'cc -static builds a C program that runs (stage 1 compiles its chroot-escape demo so)',
      hint: 'echo "int main(){return 0;}" | cc -static -x c - -o /tmp/a; fix: apt-get install gcc libc6-dev',
      async run(ctx) {
        const cc = onPath(ctx, 'cc');
        assert(cc, 'cc is not on PATH');
        const dir = mkdtempSync(path.join(tmpdir(), 'mdcheck-cc-'));
        try {
          writeFileSync(path.join(dir, 'hello.c'), '#include <stdio.h>\nint main(void) { puts("static"); return 0; }\n');
          const built = await exec(cc, ['-static', '-o', path.join(dir, 'hello'), path.join(dir, 'hello.c')], { env: ctx.env });
          assert(built.code === 0, `cc -static failed: ${built.stderr.trim().split('\n').pop()}`);
          assert(isStaticElf(readFileSync(path.join(dir, 'hello'))), 'cc -static produced a dynamically linked program');
          const ran = await exec(path.join(dir, 'hello'), [], { env: ctx.env });
          assertEqual(ran.stdout.trim(), 'static', 'the program’s output');
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      },
    },
    {
      name: 'minidock doctor finds every required piece here: exit 0, no ✘',
      hint: 'minidock doctor; lib/doctor.ts diagnose()',
      async run(ctx) {
        const r = await md(ctx, ['doctor']);
        assert(!r.stdout.includes('✘'), `minidock doctor reports: ${r.stdout.split('\n').filter((l) => l.includes('✘')).join('; ')}`);
        assertEqual(r.code, 0, 'minidock doctor exit status');
      },
    },
    {
      name: 'minidock doctor --json gives one finding per piece, {name, ok, detail}, with a fix for each failing one',
      hint: 'minidock doctor --json; lib/doctor.ts Finding',
      async run(ctx) {
        // exit 1 (a piece missing) still owes the same list: this check is about its shape
        const r = await md(ctx, ['doctor', '--json']);
        assert(r.code === 0 || r.code === 1, `minidock doctor --json exited ${r.code}: ${r.stderr.trim()}`);
        const findings = JSON.parse(r.stdout) as { name: unknown; ok: unknown; detail: unknown; fix?: unknown }[];
        assert(Array.isArray(findings) && findings.length >= 10, `expected a list of at least 10 findings, got ${JSON.stringify(findings).slice(0, 80)}`);
        for (const f of findings) {
          assert(typeof f.name === 'string' && typeof f.ok === 'boolean' && typeof f.detail === 'string', `a finding without name/ok/detail: ${JSON.stringify(f)}`);
          assert(f.ok || (typeof f.fix === 'string' && f.fix !== ''), `finding "${f.name}" fails without a fix`);
        }
      },
    },
    {
      name: 'minidock doctor notices a missing piece: with ip hidden from PATH it exits 1 and names apt-get install iproute2',
      hint: 'PATH=<a directory without ip> minidock doctor; lib/doctor.ts gatherFacts() searches PATH as the engine’s commands do',
      async run(ctx) {
        const dir = pathWithout(ctx.env.PATH ?? '', 'ip');
        try {
          const r = await exec(engine(), ['doctor'], { env: { ...ctx.env, PATH: dir } });
          const line = r.stdout.split('\n').find((l) => l.includes('iproute2')) ?? '';
          assert(/apt-get install iproute2/.test(line), `no iproute2 line with its fix in:\n${r.stdout.trim()}`);
          assertEqual(r.code, 1, 'minidock doctor exit status without ip');
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      },
    },
  ],
};
