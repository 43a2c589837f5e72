// Stage 8 — security: each check is an attack tried from inside a container, as an attacker
// with root in it would, and what the host sees afterwards. See stages/08-security/README.md.
// Every container here runs with --network none: the network is not the subject.

import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { assert, assertEqual, md, mdOk, startDetached, type Context, type Stage } from './harness.js';
import { cgroupDir, hostVersion, readCg } from './cgroupfs.js';

/** docker's 14 default capabilities as the mask /proc/<pid>/status shows. */
const DOCKER_CAPS = '00000000a80425fb';
const CAP_SYS_TIME = 25n;

/** Run a shell script in a fresh busybox container; stdout and stderr together, and the exit code. */
async function attack(ctx: Context, script: string, flags: string[] = []): Promise<{ code: number; out: string }> {
  const r = await md(ctx, ['run', '--rm', '--network', 'none', ...flags, 'busybox', 'sh', '-c', script]);
  return { code: r.code, out: r.stdout + r.stderr };
}

async function insideOk(ctx: Context, script: string, flags: string[] = []): Promise<string> {
  return mdOk(ctx, ['run', '--rm', '--network', 'none', ...flags, 'busybox', 'sh', '-c', script]);
}

const field = (status: string, name: string) => new RegExp(`^${name}:\\s*(\\S+)`, 'm').exec(status)?.[1];

/** The host's root filesystem's block device, major:minor (proc(5): mountinfo field 3), else the first disk in /proc/partitions. */
function hostRootDevice(): [number, number] {
  const line = readFileSync('/proc/1/mountinfo', 'utf8').split('\n').find((l) => l.split(' ')[4] === '/');
  const [major, minor] = (line?.split(' ')[2] ?? '0:0').split(':').map(Number);
  if (major > 0) return [major, minor];
  const first = readFileSync('/proc/partitions', 'utf8').split('\n').slice(2).find((l) => l.trim() !== '');
  const [maj, min] = (first ?? '0 0').trim().split(/\s+/).map(Number);
  return [maj, min];
}

/** Can the host itself read the device? (A sandboxed machine may refuse even the host.) */
function hostCanRead(major: number, minor: number): boolean {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mdcheck-dev-'));
  try {
    execFileSync('mknod', [path.join(dir, 'disk'), 'b', String(major), String(minor)]);
    execFileSync('head', ['-c', '1', path.join(dir, 'disk')], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const stage: Stage = {
  n: 8,
  title: 'security',
  checks: [
    {
      name: "PID 1 holds docker's 14 default capabilities (CapEff = CapBnd = 0xa80425fb), none inheritable or ambient; --cap-drop ALL leaves none",
      hint: 'lib/container/security.ts securitySpec step 1 → config.json process.capabilities; lib/runtime/process-security.ts (bounding via PR_CAPBSET_DROP, then capset); decode with `capsh --decode=a80425fb`',
      async run(ctx) {
        const status = await insideOk(ctx, 'cat /proc/1/status');
        for (const f of ['CapEff', 'CapPrm', 'CapBnd']) assertEqual(field(status, f), DOCKER_CAPS, `${f} of a default container`);
        for (const f of ['CapInh', 'CapAmb']) assertEqual(field(status, f), '0000000000000000', `${f} of a default container`);
        const none = await insideOk(ctx, 'cat /proc/1/status', ['--cap-drop', 'ALL']);
        for (const f of ['CapEff', 'CapBnd']) assertEqual(field(none, f), '0000000000000000', `${f} with --cap-drop ALL`);
      },
    },
    {
      name: 'the clock cannot be set from inside: date -s fails with EPERM and the host clock is unchanged',
      hint: 'no CAP_SYS_TIME, and seccomp answers clock_settime/settimeofday with EPERM (lib/runtime/seccomp/docker-default.ts; init steps 10 and 14)',
      async run(ctx) {
        // The date asked for is one the kernel refuses anyway (past 2232: timespec64_valid_settod,
        // checked before the capability): an engine WITHOUT the defence (the control at stage 7)
        // gets EINVAL and the host's clock, shared by everything on this machine, never moves.
        // With the defence, seccomp answers EPERM before the kernel even looks at the date.
        const before = Date.now();
        const r = await attack(ctx, 'date -s "2300-01-01 00:00:00"; grep Seccomp: /proc/self/status');
        const after = Date.now();
        assert(/Operation not permitted/.test(r.out), `date -s inside did not fail with EPERM: ${r.out.trim()}`);
        assertEqual(field(r.out, 'Seccomp'), '2', 'Seccomp mode of a process in the container (2 = filter)');
        assert(after >= before && after - before < 60_000 && new Date().getUTCFullYear() < 2300, 'the host clock moved');
      },
    },
    {
      name: 'mount -t tmpfs, unshare -U and dmesg are refused inside; a :ro volume and /sys cannot be remounted read-write',
      hint: 'no CAP_SYS_ADMIN/CAP_SYSLOG, and seccomp: mount, unshare, syslog are allowed only with those capabilities; clone/unshare with CLONE_NEWUSER never',
      async run(ctx) {
        const dir = mkdtempSync(path.join(os.tmpdir(), `${ctx.name('ro')}-`));
        try {
          writeFileSync(path.join(dir, 'file'), 'host\n');
          const r = await attack(ctx, [
            'mkdir -p /mnt; mount -t tmpfs none /mnt && echo MOUNTED',
            'unshare -U true && echo USERNS',
            'unshare -m true && echo MOUNTNS',
            'dmesg >/dev/null && echo DMESG',
            'mount -o remount,rw /data && echo REMOUNTED',
            'mount -o remount,rw,bind /data && echo REMOUNTED',
            'echo evil > /data/file && echo WROTE',
            'mount -o remount,rw /sys && echo SYSRW',
            'echo done',
          ].join('; '), ['-v', `${dir}:/data:ro`]);
          assert(r.out.includes('done'), `the attack script did not run: ${r.out.trim()}`);
          for (const word of ['MOUNTED', 'USERNS', 'MOUNTNS', 'DMESG', 'REMOUNTED', 'WROTE', 'SYSRW']) assert(!r.out.includes(word), `inside a default container, ${word.toLowerCase()} succeeded`);
          assertEqual(readFileSync(path.join(dir, 'file'), 'utf8'), 'host\n', 'the host file behind the :ro volume');
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      },
    },
    {
      name: '/proc/keys and /proc/timer_list read empty, /proc/kcore is absent or empty, /proc/sys and /proc/sysrq-trigger are read-only',
      hint: "docker's maskedPaths/readonlyPaths (lib/container/security.ts) → lib/runtime/rootfs.ts step 6: /dev/null bound over files, an empty tmpfs over directories, read-only binds",
      async run(ctx) {
        const r = await attack(ctx, [
          'for f in /proc/keys /proc/timer_list /proc/kcore; do [ -e $f ] && echo "$f $(wc -c < $f)"; done',
          // the machine's own knob, written with the value it already has: even an engine without
          // the defence (the control) changes nothing. sysrq-trigger is never written (one letter
          // reboots the host): its mount must be read-only.
          'cat /proc/sys/kernel/panic > /tmp/panic && cat /tmp/panic > /proc/sys/kernel/panic && echo SYSWROTE',
          '[ -e /proc/sysrq-trigger ] && echo SYSRQ-EXISTS',
          'grep -E " /proc/(sys|keys|sysrq-trigger) " /proc/self/mountinfo',
        ].join('; '));
        for (const f of ['/proc/keys', '/proc/timer_list', '/proc/kcore']) {
          const m = new RegExp(`^${f} (\\d+)$`, 'm').exec(r.out);
          if (m) assertEqual(m[1], '0', `bytes read from ${f}`);
        }
        assert(!r.out.includes('SYSWROTE'), 'a write to /proc/sys/kernel/panic succeeded inside');
        if (r.out.includes('SYSRQ-EXISTS')) assert(/ \/proc\/sysrq-trigger ro,/.test(r.out), `/proc/sysrq-trigger is not a read-only mount inside: ${r.out.trim()}`);
        assert(/ \/proc\/sys ro,/.test(r.out), `/proc/sys is not a read-only mount inside: ${r.out.trim()}`);
      },
    },
    {
      name: "with --pid host, a host process is visible but its environment and root are not readable",
      hint: 'ptrace access mode (ptrace(2) "Ptrace access mode checking"): /proc/<pid>/environ and /proc/<pid>/root need CAP_SYS_PTRACE, or permitted capabilities that include the target’s — docker’s 14 include neither',
      async run(ctx) {
        // the victim: a root process of the host with a secret in its environment, holding the
        // same capabilities as the engine (the host's own init may sit in another user namespace)
        const victim = spawn('sleep', ['120'], { env: { ...process.env, MDCHECK_SECRET: 'hunter2' }, stdio: 'ignore' });
        try {
          const pid = victim.pid!;
          const r = await attack(ctx, [
            `[ -d /proc/${pid} ] && echo VISIBLE`,
            `tr '\\0' '\\n' < /proc/${pid}/environ | grep -q hunter2 && echo ENVIRON`,
            `ls /proc/${pid}/root/ >/dev/null 2>&1 && echo ROOT`,
          ].join('; '), ['--pid', 'host']);
          assert(r.out.includes('VISIBLE'), `with --pid host, host process ${pid} is not visible inside: ${r.out.trim()}`);
          assert(!r.out.includes('ENVIRON'), 'the environment of a host process was readable from inside');
          assert(!r.out.includes('ROOT'), 'the root directory of a host process was listable from inside');
        } finally {
          victim.kill('SIGKILL');
        }
      },
    },
    {
      name: "mknod of the host's root block device works inside, but reading it fails; /dev/null, /dev/zero, /dev/urandom work",
      hint: 'the devices cgroup: docker’s rules (lib/container/security.ts DOCKER_DEVICE_RULES, "b *:* m" makes mknod work) → v1 devices.deny/devices.allow (lib/runtime/cgroups/v1.ts), v2 a BPF_PROG_TYPE_CGROUP_DEVICE program (lib/runtime/cgroups/devices-bpf.ts)',
      async run(ctx) {
        const [major, minor] = hostRootDevice();
        assert(major > 0, 'found no block device behind the host’s /');
        const r = await attack(ctx, [
          `mknod /tmp/disk b ${major} ${minor} && echo MADE`,
          'head -c 512 /tmp/disk | wc -c',
          'head -c 4 /dev/zero | wc -c; head -c 4 /dev/urandom | wc -c; echo x > /dev/null && echo NULLOK',
        ].join('; '));
        assert(r.out.includes('MADE'), `mknod ${major}:${minor} failed inside (CAP_MKNOD and "b *:* m" should allow it): ${r.out.trim()}`);
        assert(/Operation not permitted/.test(r.out), `reading the host's disk ${major}:${minor} from inside did not fail with EPERM: ${r.out.trim()}`);
        // On some machines (a sandboxed VM) even the host may not read its disk, so the EPERM alone
        // would prove nothing: then read the rules themselves (v1's devices.list; v2's program
        // cannot be listed without bpftool).
        if (!hostCanRead(major, minor)) {
          assert(hostVersion() === 1, `the host itself cannot read ${major}:${minor}, and on cgroup v2 there is no devices.list to read instead`);
          const { pid } = await startDetached(ctx, ctx.name('devices'), ['sleep', '600'], ['--network', 'none']);
          const list = readCg(cgroupDir(pid, 'devices'), 'devices.list').trim().split('\n');
          assert(!list.includes('a *:* rwm'), `the container's devices.list allows every device: ${list.join(', ')}`);
          for (const rule of ['b *:* m', 'c 1:3 rwm', 'c 1:9 rwm']) assert(list.includes(rule), `the container's devices.list lacks "${rule}": ${list.join(', ')}`);
        }
        const counts = r.out.split('\n').filter((l) => /^\s*\d+\s*$/.test(l)).map((l) => l.trim());
        assertEqual(counts, ['0', '4', '4'], 'bytes read from the disk, /dev/zero, /dev/urandom');
        assert(r.out.includes('NULLOK'), '/dev/null is not writable');
      },
    },
    {
      name: '--user 1000:1000 runs as that user with no capabilities; --user nobody is looked up in the image’s /etc/passwd',
      hint: 'lib/container/security.ts resolveImageUser → process.user; lib/runtime/process-security.ts: setgroups, setgid, setuid before capset; execve clears a non-root user’s capabilities (no inheritable set)',
      async run(ctx) {
        const out = await insideOk(ctx, 'id -u; id -g; grep -E "^Cap(Eff|Prm):" /proc/self/status; touch /x 2>&1 || true', ['--user', '1000:1000']);
        const [uid, gid] = out.split('\n');
        assertEqual([uid, gid], ['1000', '1000'], 'uid and gid inside with --user 1000:1000');
        assertEqual([field(out, 'CapEff'), field(out, 'CapPrm')], ['0000000000000000', '0000000000000000'], 'CapEff and CapPrm of user 1000');
        assert(/Permission denied/.test(out), `user 1000 could write to / : ${out.trim()}`);
        const nobody = await insideOk(ctx, 'id -u; id -g', ['--user', 'nobody']);
        assertEqual(nobody.trim().split('\n'), ['65534', '65534'], 'uid and gid of --user nobody (busybox’s /etc/passwd)');
      },
    },
    {
      name: '--read-only refuses writes to / and allows them in --tmpfs /tmp; --security-opt no-new-privileges sets NoNewPrivs',
      hint: 'root.readonly (lib/runtime/rootfs.ts step 7, MS_REMOUNT|MS_RDONLY last) and a tmpfs mount for --tmpfs; process.noNewPrivileges → prctl(PR_SET_NO_NEW_PRIVS) in init step 10',
      async run(ctx) {
        const out = await insideOk(ctx, 'touch /x 2>&1; touch /tmp/y && echo TMPOK; grep NoNewPrivs /proc/self/status', ['--read-only', '--tmpfs', '/tmp', '--security-opt', 'no-new-privileges']);
        assert(/Read-only file system/.test(out), `a write to / with --read-only was not refused with EROFS: ${out.trim()}`);
        assert(out.includes('TMPOK'), 'a write to /tmp (--tmpfs /tmp) failed');
        assertEqual(field(out, 'NoNewPrivs'), '1', 'NoNewPrivs with --security-opt no-new-privileges');
      },
    },
    {
      name: 'a process started by exec is as confined as PID 1: same capabilities, the seccomp filter, the user, no_new_privs; exec -u looks the user up in the container',
      hint: 'lib/runtime/exec-enter.ts step 4 takes the security steps of init (applyProcessSecurity) and the container’s linux.seccomp (lib/runtime/exec.ts containerSeccomp)',
      async run(ctx) {
        const name = ctx.name('exec-sec');
        await startDetached(ctx, name, ['sleep', '600'], ['--network', 'none', '--user', '1000:1000', '--security-opt', 'no-new-privileges']);
        try {
          const pid1 = await mdOk(ctx, ['exec', name, 'cat', '/proc/1/status']);
          const mine = await mdOk(ctx, ['exec', name, 'sh', '-c', 'id -u; cat /proc/self/status; echo DATE: $(date -s "2300-01-01 00:00:00" 2>&1 >/dev/null)']);
          assertEqual(mine.split('\n')[0], '1000', 'uid of an exec’d process in a --user 1000:1000 container');
          for (const f of ['CapEff', 'CapBnd', 'Seccomp', 'NoNewPrivs']) assertEqual(field(mine, f), field(pid1, f), `${f} of the exec’d process (PID 1 has ${field(pid1, f)})`);
          assertEqual(field(mine, 'Seccomp'), '2', 'Seccomp mode of the exec’d process (2: a filter)');
          // A date the kernel refuses anyway (past 2232, as in the clock check above): an exec that
          // escapes the filter and the capability bounds gets EINVAL, and the host clock, shared by
          // everything on this machine, never moves (this check used to ask for 2000-01-01, a date
          // a broken engine — or a learner's — would really have set). busybox's date exits 0 even
          // when it cannot set the clock: read its error instead.
          assert(/DATE: .*Operation not permitted/.test(mine), `date -s in an exec’d process was not refused with EPERM: ${mine.split('\n').find((l) => l.startsWith('DATE:'))}`);
          const nobody = await mdOk(ctx, ['exec', '-u', 'nobody', name, 'sh', '-c', 'id -u; id -g']);
          assertEqual(nobody.trim().split('\n'), ['65534', '65534'], 'uid and gid of exec -u nobody (the container’s /etc/passwd)');
        } finally {
          await md(ctx, ['rm', '-f', name]);
        }
      },
    },
    {
      name: '--cap-add SYS_TIME with seccomp=unconfined grants CAP_SYS_TIME and no filter; --privileged restores every capability and mounting (which is why it is dangerous)',
      hint: 'tweakCapabilities (lib/runtime/capabilities.ts); --privileged: all capabilities, no seccomp, no masked paths, every device (lib/container/security.ts)',
      async run(ctx) {
        const time = await insideOk(ctx, 'cat /proc/1/status', ['--cap-add', 'SYS_TIME', '--security-opt', 'seccomp=unconfined']);
        const eff = BigInt('0x' + (field(time, 'CapEff') ?? '0'));
        assert((eff >> CAP_SYS_TIME) & 1n, `CapEff ${field(time, 'CapEff')} lacks CAP_SYS_TIME with --cap-add SYS_TIME`);
        assertEqual(field(time, 'Seccomp'), '0', 'Seccomp with seccomp=unconfined');
        const host = field(readFileSync('/proc/self/status', 'utf8'), 'CapBnd');
        const priv = await insideOk(ctx, 'cat /proc/1/status; mkdir -p /mnt && mount -t tmpfs none /mnt && echo MOUNTED', ['--privileged']);
        assertEqual(field(priv, 'CapEff'), host, 'CapEff with --privileged (the host’s bounding set)');
        assert(priv.includes('MOUNTED'), 'mount inside a --privileged container failed');
      },
    },
  ],
};

