// Stage 7 — exec and the container's life: exec via setns, the runtime's exec under containerd,
// json-file logs, --init, stop signals, start/restart/wait, pause, top, and nothing left after rm.
// Observed from the host (/proc/<pid>/ns, /proc/<pid>/cgroup, cgroupfs, the log file). See
// stages/07-exec/README.md. Black-box: never imports lib/.

import { spawn } from 'node:child_process';
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { cgroupDir, cpuUsageUs, readCg } from './cgroupfs.js';
import { assert, assertEqual, assertFailures, engine, exec, hostMountinfo, md, mdOk, sleep, startDetached, type Stage } from './harness.js';
import { runDir } from './recovery.js';
import { cgroupDirs, makeBundle, runtimeBin, startContainerd, stopContainerd, type Containerd } from './runtime.js';

const KINDS = ['mnt', 'uts', 'ipc', 'net', 'pid', 'cgroup'];
const NONE = ['--network', 'none'];

/** Host PIDs whose command line is exactly `argv` (a marker command started by the check). */
function pidsRunning(argv: string[]): number[] {
  const want = argv.join('\0') + '\0';
  return readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map(Number).filter((p) => {
    try {
      return readFileSync(`/proc/${p}/cmdline`, 'utf8') === want;
    } catch {
      return false;
    }
  });
}

/** /proc/<pid>/stat's state and parent, for every process on the host. */
function children(ppid: number): { pid: number; state: string }[] {
  const out: { pid: number; state: string }[] = [];
  for (const d of readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const [state, parent] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(parent) === ppid) out.push({ pid: Number(d), state });
    } catch {
      // gone
    }
  }
  return out;
}

async function waitUntil(what: string, ok: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  for (const deadline = Date.now() + ms; Date.now() < deadline; await sleep(50)) if (await ok()) return;
  throw new Error(`timed out after ${ms} ms waiting for ${what}`);
}

/** Nothing of container `id` left on the host: mounts, cgroups, runtime state, bundle. */
function assertNothingLeft(id: string, run: string): void {
  assert(!hostMountinfo().includes(id), `a mount of ${id.slice(0, 12)} is still in the host's mountinfo`);
  for (const d of cgroupDirs(`minidock/${id}`)) assert(!existsSync(d), `${d} is still there`);
  assert(!existsSync(path.join(run, 'runtime', id)), `the runtime state of ${id.slice(0, 12)} is still there`);
  assert(!existsSync(path.join(run, 'bundles', id)), `the bundle of ${id.slice(0, 12)} is still there`);
  assert(!existsSync(path.join(run, 'attach', `${id}.sock`)), `the attach socket of ${id.slice(0, 12)} is still there`);
}

/** After a containerd check: the task and container `name`, containerd itself, its namespace's cgroups, the bundle. */
async function forgetCtr(ctr: (args: string[]) => Promise<unknown>, name: string, cd: Containerd, ns: string, bundle: string): Promise<void> {
  await ctr(['task', 'delete', '-f', name]);
  await ctr(['container', 'delete', name]);
  await stopContainerd(cd);
  for (const d of cgroupDirs(ns)) {
    try {
      rmdirSync(d);
    } catch {
      // not there
    }
  }
  rmSync(bundle, { recursive: true, force: true });
}

/** A shell loop that waits (at most 10 s) for `file`: the check's typing waits for the shell inside. */
function waitFor(file: string): string {
  return `for i in $(seq 100); do [ -e ${file} ] && break; sleep 0.1; done`;
}

export const stage: Stage = {
  n: 7,
  title: 'exec & lifecycle',
  checks: [
    {
      name: 'exec joins all six namespaces of PID 1 (same inodes from the host), its cgroup, its files, hostname and network; MINIDOCK_TRACE shows the setns calls',
      hint: 'lib/runtime/exec.ts (PID namespace via the parent’s pid_for_children, cgroup.procs) and exec-enter.ts (setns ipc, uts, net, cgroup, then unshare(CLONE_FS) + setns mnt)',
      async run(ctx) {
        const name = ctx.name('exec');
        const { pid } = await startDetached(ctx, name, ['sleep', '600'], [...NONE, '--hostname', 'inside']);
        const marker = ['sleep', `${3000 + (process.pid % 997)}`];
        await mdOk(ctx, ['exec', '-d', name, ...marker]);
        let joined: number[] = [];
        await waitUntil('the exec’d marker process', () => (joined = pidsRunning(marker)).length === 1);
        for (const kind of KINDS) {
          assertEqual(readlinkSync(`/proc/${joined[0]}/ns/${kind}`), readlinkSync(`/proc/${pid}/ns/${kind}`), `the exec’d process’s ${kind} namespace vs PID 1’s`);
        }
        assertEqual(readFileSync(`/proc/${joined[0]}/cgroup`, 'utf8'), readFileSync(`/proc/${pid}/cgroup`, 'utf8'), '/proc/<pid>/cgroup of the exec’d process vs PID 1’s');
        const inside = await mdOk(ctx, ['exec', '-e', 'X=1', '-w', '/etc', name, 'sh', '-c', 'echo $X $(pwd) $(hostname) $$; cat /proc/net/dev | tail -n +3 | cut -d: -f1 | tr -d " "; cat /proc/1/cmdline']);
        const [first, ifaces, pid1] = inside.split('\n');
        const [x, cwd, host, ownPid] = first.split(' ');
        assertEqual([x, cwd, host], ['1', '/etc', 'inside'], '-e X=1, -w /etc and the hostname, seen inside');
        assert(Number(ownPid) > 1 && Number(ownPid) < 1000, `the exec’d shell’s PID inside is ${ownPid}: not in the container’s PID namespace`);
        assertEqual(ifaces, 'lo', 'the network devices exec sees (--network none: lo only)');
        assertEqual(pid1, 'sleep\u0000600\u0000', 'what exec sees as PID 1 (/proc is the container’s)');
        const traced = await exec(engine(), ['exec', name, 'true'], { env: { ...ctx.env, MINIDOCK_TRACE: '1' } });
        for (const flag of ['CLONE_NEWPID', 'CLONE_NEWIPC', 'CLONE_NEWUTS', 'CLONE_NEWNET', 'CLONE_NEWCGROUP', 'CLONE_NEWNS']) {
          assert(new RegExp(`setns\\(\\d+, ${flag}\\) = 0`).test(traced.stderr), `MINIDOCK_TRACE=1 minidock exec does not show setns(…, ${flag})`);
        }
        assert(/unshare\(CLONE_FS\) = 0[\s\S]*setns\(\d+, CLONE_NEWNS\)/.test(traced.stderr), 'the trace does not show unshare(CLONE_FS) before setns(…, CLONE_NEWNS)');
      },
    },
    {
      name: 'exec’s exit status: the command’s own, 127 not found, 126 not executable, 1 with docker’s message for a stopped container',
      hint: 'lib/runtime/exec-enter.ts maps execve’s errno through init.ts lookPath; lib/container/exec.ts requireRunning; lib/cli/main.ts (exec starts a process: its own codes)',
      async run(ctx) {
        const name = ctx.name('codes');
        await startDetached(ctx, name, ['sleep', '600'], NONE);
        const seven = await md(ctx, ['exec', name, 'sh', '-c', 'exit 7']);
        assertEqual(seven.code, 7, `exit status of \`exec sh -c "exit 7"\`${seven.code === 7 ? '' : `; it said "${seven.stderr.trim()}"`}`);
        const stopped = ctx.name('stopped');
        await mdOk(ctx, ['run', '--name', stopped, ...NONE, 'busybox', 'true']);
        await assertFailures(ctx, [
          { argv: ['exec', name, 'no-such-command'], code: 127, says: /executable file not found in \$PATH/ },
          { argv: ['exec', name, '/etc'], code: 126, says: /is a directory|permission denied/ },
          { argv: ['exec', stopped, 'true'], code: 1, says: /container [0-9a-f]{64} is not running/ },
        ]);
      },
    },
    {
      name: 'exec works under --pids-limit 8: exec-enter’s Node threads (counted in the container’s pids limit) fit beside PID 1',
      hint: 'lib/runtime/exec.ts FEW_THREADS: node --v8-pool-size=1 with UV_THREADPOOL_SIZE=1 (5 threads, not 11); without them node aborts in pthread_create',
      async run(ctx) {
        const name = ctx.name('pids8');
        const { pid } = await startDetached(ctx, name, ['sleep', '600'], [...NONE, '--pids-limit', '8']);
        assertEqual(readCg(cgroupDir(pid, 'pids'), 'pids.max'), '8', 'pids.max of the container');
        const r = await md(ctx, ['exec', name, 'sh', '-c', 'echo in $(echo a subshell) && exit 4']);
        assertEqual(r.code, 4, `exec under --pids-limit 8: exit status${r.code === 4 ? '' : ` (it said "${r.stderr.trim().split('\n').pop()}")`}`);
        assertEqual(r.stdout, 'in a subshell\n', 'what the exec’d shell printed (it forks a subshell, also within the limit)');
      },
    },
    {
      name: 'PID 1 and an exec’d process start with no ignored signal (SigIgn 0): Node’s ignored SIGPIPE does not leak into the container',
      hint: 'an ignored signal survives execve: init and exec-enter reset them just before execve (lib/runtime/process-security.ts defaultIgnoredSignals, Sys.resetSignal)',
      async run(ctx) {
        const name = ctx.name('sigign');
        await startDetached(ctx, name, ['sleep', '600'], NONE);
        try {
          const pid1 = await mdOk(ctx, ['exec', name, 'grep', 'SigIgn', '/proc/1/status']);
          const mine = await mdOk(ctx, ['exec', name, 'grep', 'SigIgn', '/proc/self/status']);
          assertEqual(pid1.trim(), 'SigIgn:\t0000000000000000', 'ignored signals of PID 1 (sleep)');
          assertEqual(mine.trim(), 'SigIgn:\t0000000000000000', 'ignored signals of an exec’d grep');
          // what it changes: a pipeline's writer dies of SIGPIPE (141 in the shell), as on any host
          const out = await mdOk(ctx, ['exec', name, 'sh', '-c', '{ (yes; echo "yes exited $?" >&3) | head -c 1 >/dev/null; } 3>&1']);
          assertEqual(out.trim(), 'yes exited 141', 'status of `yes` whose reader went away (128 + SIGPIPE)');
        } finally {
          await md(ctx, ['rm', '-f', name]);
        }
      },
    },
    {
      name: 'exec -it under a real terminal: tty is /dev/pts/0 of the container, stty size is the size set outside, Ctrl-C interrupts the foreground process',
      hint: 'lib/runtime/exec-enter.ts openTerminal (ptmx in the container, unlockpt, ptsname, dup2, TIOCSCTTY), lib/runtime/exec.ts (pidfd_getfd, TIOCSWINSZ), lib/container/exec.ts relayTerminal (raw mode)',
      async run(ctx) {
        const name = ctx.name('tty');
        const { pid } = await startDetached(ctx, name, ['sleep', '600'], NONE);
        // util-linux script(1) runs the command under a pty of its own; its stdin is our pipe.
        // The shell inside touches a file once it has run a line, seen from the host through
        // /proc/<pid>/root: the keys after it meet an exec in raw mode, and Ctrl-C a running sleep
        const cmd = `stty cols 97 rows 31; ${engine()} exec -it ${name} sh`;
        const mark = (f: string) => `/proc/${pid}/root/${f}`;
        const typed = [
          `sleep 1; printf 'tty; stty size; touch /r1\\n'`, waitFor(mark('r1')),
          `printf 'touch /r2; sleep 100\\n'`, waitFor(mark('r2')),
          `sleep 0.5; printf '\\003'; sleep 0.5; printf 'echo after $?\\nexit 3\\n'; sleep 1`,
        ].join('; ');
        const r = await exec('sh', ['-c', `(${typed}) | script -qec "$0" /dev/null`, cmd], { env: ctx.env, timeoutMs: 20_000 });
        const out = r.stdout.replace(/\r/g, '');
        assert(/^\/dev\/pts\/0$/m.test(out), `tty inside did not print /dev/pts/0:\n${out.slice(0, 400)}`);
        assert(/^31 97$/m.test(out), `stty size inside did not print "31 97" (the size set outside):\n${out.slice(0, 400)}`);
        assert(/^after 130$/m.test(out), `Ctrl-C did not interrupt sleep 100 (want "after 130"):\n${out.slice(0, 600)}`);
        assertEqual(r.code, 3, 'the exit status of exec -it (the shell’s exit 3), through script');
      },
    },
    {
      name: 'run -it under a real terminal: tty is /dev/pts/0, stty size is the size set outside, a resize is seen inside, Ctrl-C interrupts the foreground sleep',
      hint: 'lib/runtime/init.ts step 9 + lib/runtime/terminal.ts (the pty inside), lib/container/shim-io.ts relayMaster (the shim holds the master), lib/container/attach-client.ts (raw mode, RESIZE frames on SIGWINCH)',
      async run(ctx) {
        const name = ctx.name('runtty');
        const marks = mkdtempSync('/tmp/mdcheck-tty-');
        try {
          // util-linux script(1) gives the cli a terminal of its own. The shell inside touches a file
          // in a bind mount once it has run a line (so the keys after it meet a cli in raw mode);
          // then a background stty resizes the outer terminal (the kernel sends the cli SIGWINCH)
          const cmd = `stty cols 97 rows 31; (${waitFor(`${marks}/r1`)}; stty cols 120 rows 40 </dev/tty) & ${engine()} run -it --rm --name ${name} --network none -v ${marks}:/m busybox sh`;
          const typed = [
            `sleep 1; printf 'tty; stty size; touch /m/r1\\n'`, waitFor(`${marks}/r1`),
            `sleep 1; printf 'stty size; touch /m/r2; sleep 100\\n'`, waitFor(`${marks}/r2`),
            `sleep 0.5; printf '\\003'; sleep 0.5; printf 'echo after $?\\nexit 3\\n'; sleep 1.5`,
          ].join('; ');
          const r = await exec('sh', ['-c', `(${typed}) | script -qec "$0" /dev/null`, cmd], { env: ctx.env, timeoutMs: 30_000 });
          const out = r.stdout.replace(/\r/g, '');
          assert(/^\/dev\/pts\/0$/m.test(out), `tty inside did not print /dev/pts/0:\n${out.slice(0, 400)}`);
          assert(/^31 97$/m.test(out), `stty size inside did not print "31 97" (the size set outside, at the start):\n${out.slice(0, 400)}`);
          assert(/^40 120$/m.test(out), `after the outside terminal was resized to 40x120, stty size inside did not print "40 120":\n${out.slice(0, 600)}`);
          assert(/^after 130$/m.test(out), `Ctrl-C did not interrupt sleep 100 (want "after 130"):\n${out.slice(0, 600)}`);
          assertEqual(r.code, 3, 'the exit status of run -it (the shell’s exit 3), through script');
          await waitUntil('--rm to remove the container', async () => (await md(ctx, ['inspect', name])).code !== 0);
        } finally {
          rmSync(marks, { recursive: true, force: true });
        }
      },
    },
    {
      name: 'detach keys leave the container running: run -it then ctrl-p ctrl-q, attach again and type, --detach-keys; a -t container’s output is in its log',
      hint: 'lib/container/detachkeys.ts (the matcher), lib/container/attach-client.ts, lib/container/attach-server.ts (the shim’s socket, attach/<id>.sock), lib/cli/attach.ts',
      async run(ctx) {
        const name = ctx.name('detach');
        const marks = mkdtempSync('/tmp/mdcheck-detach-');
        const underPty = (cmd: string, typed: string[]) => exec('sh', ['-c', `(${typed.join('; ')}) | script -qec "$0" /dev/null`, cmd], { env: ctx.env, timeoutMs: 30_000 });
        try {
          // the detach keys are typed once the shell has answered (it touches a file in a bind
          // mount): only a cli in raw mode lets them through — a cooked terminal eats Ctrl-Q (IXON)
          // 1. run -it, type a line, then Ctrl-P Ctrl-Q: the cli returns 0, the container runs on
          const first = await underPty(`${engine()} run -it --name ${name} --network none -v ${marks}:/m busybox sh`,
            [`sleep 1; printf 'echo one-$((40+2)); touch /m/one\\n'`, waitFor(`${marks}/one`), `sleep 0.3; printf '\\020\\021'; sleep 1`]);
          assert(/one-42/.test(first.stdout), `run -it: the shell’s answer did not come back:\n${first.stdout.slice(0, 400)}`);
          assertEqual(first.code, 0, 'the exit status of run -it left with ctrl-p ctrl-q');
          assertEqual((await mdOk(ctx, ['inspect', '-f', '{{.State.Running}}', name])).trim(), 'true', 'State.Running after detaching');
          // 2. attach with other detach keys (the default ones would now be typed into the shell)
          const second = await underPty(`${engine()} attach --detach-keys ctrl-x,x ${name}`,
            [`sleep 1; printf 'echo two-$((6*7)); touch /m/two\\n'`, waitFor(`${marks}/two`), `sleep 0.3; printf '\\030x'; sleep 1`]);
          assert(/two-42/.test(second.stdout), `attach: the shell’s answer did not come back:\n${second.stdout.slice(0, 400)}`);
          assertEqual(second.code, 0, 'the exit status of attach left with --detach-keys ctrl-x,x');
          assertEqual((await mdOk(ctx, ['inspect', '-f', '{{.State.Running}}', name])).trim(), 'true', 'State.Running after the second detach');
          // 3. attach once more and end the shell: attach returns its status, the record says exited
          const third = await underPty(`${engine()} attach ${name}`, [`sleep 1; printf 'exit 7\\n'; sleep 2`]);
          assertEqual(third.code, 7, 'the exit status of attach when the container’s shell exits 7');
          assertEqual((await mdOk(ctx, ['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', name])).trim(), 'exited 7', 'the container’s record after its exit');
          const logged = await mdOk(ctx, ['logs', name]);
          assert(/one-42/.test(logged) && /two-42/.test(logged), `logs of a -t container: the terminal’s output is not in its log:\n${logged.slice(0, 400)}`);
          const id = (await mdOk(ctx, ['inspect', '-f', '{{.Id}}', name])).trim();
          await mdOk(ctx, ['rm', name]);
          assertNothingLeft(id, runDir(ctx.env));
        } finally {
          rmSync(marks, { recursive: true, force: true });
        }
      },
    },
    {
      name: 'containerd drives the runtime’s exec: ctr task exec runs a process in a ctr run -d container (runc exec --process)',
      hint: 'lib/runtime/cli.ts exec (--process FILE --detach --pid-file), lib/runtime/exec.ts parseProcess',
      async run(ctx) {
        const bundle = await makeBundle(ctx, ['true']);
        const cd = await startContainerd(ctx);
        const ns = ctx.name('ns');
        const ctr = (args: string[]) => exec('ctr', ['-a', cd.socket, '-n', ns, ...args], { env: ctx.env, timeoutMs: 30_000 });
        try {
          const run = await ctr(['run', '-d', '--runc-binary', runtimeBin(), '--runc-root', path.join(cd.dir, 'runc'), '--rootfs', path.join(bundle, 'rootfs'), 'bg', 'sleep', '600']);
          assert(run.code === 0, `ctr run -d exited ${run.code}: ${run.stderr.trim()}`);
          const x = await ctr(['task', 'exec', '--exec-id', 'x1', 'bg', 'sh', '-c', 'echo pid $$ ppid-one $(cat /proc/1/cmdline | tr "\\0" " "); exit 5']);
          assertEqual(x.code, 5, `ctr task exec’s exit status (the exec’d command’s)${x.code === 5 ? '' : `; it said "${x.stderr.trim()}"`}`);
          assert(/^pid \d+ ppid-one sleep 600/.test(x.stdout.trim()), `ctr task exec’s output: ${JSON.stringify(x.stdout.trim() || x.stderr.trim())}`);
        } finally {
          await ctr(['task', 'kill', '-s', 'SIGKILL', 'bg']);
          await sleep(300);
          await forgetCtr(ctr, 'bg', cd, ns, bundle);
        }
      },
    },
    {
      name: 'containerd gets a terminal from the runtime: ctr run -t prints /dev/pts/0 and its stty size (--console-socket, SCM_RIGHTS)',
      hint: 'lib/runtime/cli.ts createFromBundle (--console-socket), lib/runtime/terminal.ts sendConsole, lib/sys/scm.ts (msghdr + SCM_RIGHTS), lib/runtime/init.ts step 9',
      async run(ctx) {
        const bundle = await makeBundle(ctx, ['true']);
        const cd = await startContainerd(ctx);
        const ns = ctx.name('ns');
        const ctr = ['ctr', '-a', cd.socket, '-n', ns];
        try {
          // ctr run -t wants its own stdin to be a terminal: script(1) gives it one, sized 27x83;
          // ctr resizes the console it received only after the task started, hence the wait
          // inside (at most 2 s, within the 3 s script's input stays open) before the size is shown
          const waitSized = 'for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do [ "$(/bin/busybox stty size)" = "27 83" ] && break; /bin/busybox sleep 0.1; done';
          const run = [...ctr, 'run', '-t', '--rm', '--runc-binary', runtimeBin(), '--runc-root', path.join(cd.dir, 'runc'), '--rootfs', path.join(bundle, 'rootfs'),
            'tt', '/bin/busybox', 'sh', '-c', `'/bin/busybox tty; ${waitSized}; /bin/busybox stty size; exit 4'`].join(' ');
          const r = await exec('sh', ['-c', 'sleep 3 | script -qec "$0" /dev/null', `stty rows 27 cols 83; ${run}`], { env: ctx.env, timeoutMs: 30_000 });
          const out = r.stdout.replace(/\r/g, '');
          assert(/^\/dev\/pts\/0$/m.test(out), `ctr run -t: tty inside did not print /dev/pts/0 (exit ${r.code}): ${JSON.stringify((out + r.stderr).slice(0, 400))}`);
          assert(/^27 83$/m.test(out), `ctr run -t: stty size inside did not print "27 83" (ctr sizes the console it received): ${JSON.stringify(out.slice(0, 400))}`);
          assertEqual(r.code, 4, 'the exit status of ctr run -t (the command’s exit 4), through script');
        } finally {
          await forgetCtr((args) => exec(ctr[0], [...ctr.slice(1), ...args]), 'tt', cd, ns, bundle);
        }
      },
    },
    {
      name: 'logs: the json-file log holds one valid entry per line with nanosecond times; logs gives back stdout and stderr apart, in order; --tail; -f ends when the container exits',
      hint: 'lib/container/logs.ts (pipeToLog, formatTime, readEntries, followLog), lib/cli/logs.ts',
      async run(ctx) {
        const name = ctx.name('logs');
        await mdOk(ctx, ['run', '-d', '--name', name, ...NONE, 'busybox', 'sh', '-c', 'echo o1; echo e1 >&2; sleep 0.2; echo o2; sleep 0.2; echo e2 >&2; sleep 1; echo last']);
        const followed = await md(ctx, ['logs', '-f', name], { timeoutMs: 15_000 });
        assertEqual(followed.code, 0, `logs -f exit status (it must end when the container exits)${followed.code === 0 ? '' : `; it said "${followed.stderr.trim()}"`}`);
        assertEqual(followed.stdout, 'o1\no2\nlast\n', 'logs -f: stdout');
        assertEqual(followed.stderr, 'e1\ne2\n', 'logs -f: stderr');
        const tail = await md(ctx, ['logs', '--tail', '2', name]);
        assertEqual([tail.stdout, tail.stderr], ['last\n', 'e2\n'], '--tail 2: the last two entries, each on its stream');
        const file = (await mdOk(ctx, ['inspect', '-f', '{{.LogPath}}', name])).trim();
        assert(file.endsWith('-json.log') && existsSync(file), `the log file ${file}`);
        const entries = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { log: string; stream: string; time: string });
        assertEqual(entries.map((e) => Object.keys(e).join()), entries.map(() => 'log,stream,time'), 'the keys of each json-file entry');
        assertEqual(entries.map((e) => `${e.stream}:${e.log}`), ['stdout:o1\n', 'stderr:e1\n', 'stdout:o2\n', 'stderr:e2\n', 'stdout:last\n'], 'the entries, in order');
        assert(entries.every((e) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$/.test(e.time)), 'every time is RFC 3339 in UTC');
        assert(entries.some((e) => /\.\d{7,9}Z$/.test(e.time)), 'no time has more than microsecond digits: docker writes nanoseconds');
      },
    },
    {
      name: 'logs rotate with --log-opt max-size/max-file: at most max-file files, none past max-size by more than one entry; logs, --tail and -f read across them in order',
      hint: 'lib/container/logrotate.ts (parseHumanSize: decimal, rotationOf, rotate, logWriter in the shim), lib/container/logs.ts readLog / readSince (the renamed file by its inode)',
      async run(ctx) {
        const name = ctx.name('rotate');
        await mdOk(ctx, ['run', '-d', '--name', name, ...NONE, '--log-opt', 'max-size=10k', '--log-opt', 'max-file=3', 'busybox', 'sh', '-c', 'seq 2000 | sed "s/^/line /"']);
        assertEqual((await mdOk(ctx, ['wait', name], { timeoutMs: 20_000 })).trim(), '0', 'exit status of the printing container');
        const file = (await mdOk(ctx, ['inspect', '-f', '{{.LogPath}}', name])).trim();
        const base = path.basename(file);
        const files = readdirSync(path.dirname(file)).filter((f) => f.startsWith(base)).sort();
        assertEqual(files, [base, `${base}.1`, `${base}.2`], 'the log files after 2000 lines with max-size=10k, max-file=3');
        const longest = Math.max(...files.flatMap((f) => readFileSync(path.join(path.dirname(file), f), 'utf8').split('\n').map((l) => l.length + 1)));
        for (const f of files) {
          const size = statSync(path.join(path.dirname(file), f)).size;
          assert(size <= 10_000 + longest, `${f} is ${size} bytes: more than max-size (10k = 10000 bytes, docker’s decimal units) plus one entry`);
        }
        const numbers = (text: string) => text.trim().split('\n').map((l) => Number(l.replace('line ', '')));
        const shown = numbers(await mdOk(ctx, ['logs', name]));
        assertEqual(shown[shown.length - 1], 2000, 'the last line logs shows');
        assertEqual(shown, shown.map((_, i) => 2001 - shown.length + i), 'logs: the kept lines, oldest file first, with no gap');
        assert(shown.length > 20_000 / longest, `logs shows ${shown.length} lines: fewer than the two rotated files alone hold`);
        assertEqual(numbers(await mdOk(ctx, ['logs', '--tail', '3', name])), [1998, 1999, 2000], '--tail 3');
        // -f while the files rotate under it (about 27 entries per 2k file, ten rotations)
        const slow = ctx.name('rotatef');
        await mdOk(ctx, ['run', '-d', '--name', slow, ...NONE, '--log-opt', 'max-size=2k', '--log-opt', 'max-file=2', 'busybox', 'sh', '-c', 'for i in $(seq 300); do echo "line $i"; [ $((i % 10)) = 0 ] && sleep 0.05; done; true']);
        const followed = await md(ctx, ['logs', '-f', slow], { timeoutMs: 20_000 });
        assertEqual(followed.code, 0, `logs -f exit status${followed.code === 0 ? '' : `; it said "${followed.stderr.trim()}"`}`);
        const got = numbers(followed.stdout);
        assertEqual(got[got.length - 1], 300, 'the last line logs -f shows');
        assertEqual(got, got.map((_, i) => 301 - got.length + i), 'logs -f across rotations: every line once, in order');
        assert(got.length >= 150, `logs -f showed only ${got.length} lines of 300: it did not follow the rotations`);
      },
    },
    {
      name: '--init: docker-init (tini) is PID 1 and reaps orphans; without it a plain PID 1 leaves them zombies',
      hint: 'lib/container/dockerinit.ts (bind-mount tini-static at /sbin/docker-init, args docker-init -- CMD), lib/container/bundle.ts; apt install tini',
      async run(ctx) {
        const zombieMaker = ['sh', '-c', '(sleep 0.1 &); (sleep 0.1 &); (sleep 0.1 &); exec sleep 600'];
        const plain = await startDetached(ctx, ctx.name('noinit'), zombieMaker, NONE);
        const tini = await startDetached(ctx, ctx.name('init'), zombieMaker, [...NONE, '--init']);
        await sleep(800);
        const zombies = (pid: number) => children(pid).filter((c) => c.state === 'Z').length;
        assertEqual(zombies(plain.pid), 3, 'zombies under a plain PID 1 (sleep, which never waits)');
        assertEqual(zombies(tini.pid), 0, 'zombies under docker-init');
        assert(readFileSync(`/proc/${tini.pid}/cmdline`, 'utf8').startsWith('/sbin/docker-init\0--\0'), 'PID 1 of the --init container is not /sbin/docker-init -- …');
      },
    },
    {
      name: 'stop: SIGTERM ignored → SIGKILL after -t 1 (137); a SIGTERM handler → 143; --stop-signal SIGINT is what the container receives',
      hint: 'lib/container/lifecycle.ts stopContainer (Config.StopSignal / StopTimeout, docker’s defaults), lib/cli/stop.ts -s/-t',
      async run(ctx) {
        const ignores = ctx.name('ignores');
        await startDetached(ctx, ignores, ['sleep', '600'], NONE);
        const t0 = Date.now();
        await mdOk(ctx, ['stop', '-t', '1', ignores]);
        const took = Date.now() - t0;
        assertEqual((await mdOk(ctx, ['inspect', '-f', '{{.State.ExitCode}}', ignores])).trim(), '137', 'exit status of a PID 1 that ignores SIGTERM');
        assert(took >= 900 && took < 5000, `stop -t 1 took ${took} ms: it must wait about 1 s before SIGKILL`);
        const handles = ctx.name('handles');
        await startDetached(ctx, handles, ['sh', '-c', 'trap "exit 143" TERM; while :; do sleep 0.1; done'], NONE);
        await sleep(300);
        await mdOk(ctx, ['stop', handles]);
        assertEqual((await mdOk(ctx, ['inspect', '-f', '{{.State.ExitCode}}', handles])).trim(), '143', 'exit status of a PID 1 that exits on SIGTERM');
        const int = ctx.name('sigint');
        await startDetached(ctx, int, ['sh', '-c', 'trap "echo got INT; exit 3" INT; trap "echo got TERM; exit 4" TERM; while :; do sleep 0.1; done'], [...NONE, '--stop-signal', 'SIGINT']);
        await sleep(300);
        await mdOk(ctx, ['stop', int]);
        assertEqual((await mdOk(ctx, ['logs', int])).trim(), 'got INT', 'what the --stop-signal SIGINT container says it received');
      },
    },
    {
      name: 'create, start, wait, restart: the same container runs again on the same rw layer; top lists its processes',
      hint: 'lib/container/lifecycle.ts startContainer / restartContainer / waitContainer / topContainer; lib/cli/create.ts',
      async run(ctx) {
        const name = ctx.name('again');
        const id = (await mdOk(ctx, ['create', '--name', name, ...NONE, 'busybox', 'sh', '-c', 'echo run >> /count; wc -l < /count; sleep 3'])).trim();
        assertEqual((await mdOk(ctx, ['inspect', '-f', '{{.State.Status}}', name])).trim(), 'created', 'state after create');
        await mdOk(ctx, ['start', name]);
        const top = await mdOk(ctx, ['top', name]);
        assert(/PID/.test(top) && /sleep 3/.test(top), `top does not list the container’s sleep:\n${top}`);
        assertEqual((await mdOk(ctx, ['wait', name], { timeoutMs: 10_000 })).trim(), '0', 'wait’s output: the exit status');
        await mdOk(ctx, ['restart', name]);
        await mdOk(ctx, ['wait', name], { timeoutMs: 10_000 });
        assertEqual((await mdOk(ctx, ['logs', name])).split('\n').map((l) => l.trim()).filter(Boolean), ['1', '2'], 'the line counts of /count over two starts (same rw layer)');
        assertEqual((await mdOk(ctx, ['inspect', '-f', '{{.Id}}', name])).trim(), id, 'the container’s ID after restart');
      },
    },
    {
      name: '--sig-proxy: a SIGTERM to attach or start -a goes on to PID 1, whose exit ends it with its status; with --sig-proxy=false it ends attach alone and the container runs on',
      hint: 'lib/container/sig-proxy.ts (proxySignals, toContainer), lib/cli/attach.ts and start.ts (never with -t), lib/cli/args.ts settleBooleans (--flag=false, as pflag reads it)',
      async run(ctx) {
        const name = ctx.name('sigproxy');
        const trapper = ['sh', '-c', 'trap "echo got-TERM; exit 7" TERM; while :; do echo tick; sleep 0.2; done'];
        // a client of the container, sent SIGTERM once it shows the container's output (so it is
        // attached); how it ended
        const signalled = async (args: string[]): Promise<{ code: number | null; signal: NodeJS.Signals | null }> => {
          const client = spawn(engine(), args, { env: ctx.env, stdio: ['ignore', 'pipe', 'ignore'] });
          const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => client.on('exit', (code, signal) => resolve({ code, signal })));
          const attached = await Promise.race([
            new Promise<boolean>((resolve) => client.stdout!.once('data', () => resolve(true))),
            ended.then(() => false),
            sleep(10_000).then(() => false),
          ]);
          client.kill('SIGTERM');
          assert(attached, `minidock ${args.join(' ')} showed no output of the container within 10 s`);
          return ended;
        };
        try {
          await startDetached(ctx, name, trapper, NONE);
          const attached = await signalled(['attach', name]);
          assertEqual(attached.code, 7, `attach's exit status after a SIGTERM (${attached.signal ?? 'no signal'}): PID 1's trap exits 7`);
          assertEqual((await mdOk(ctx, ['logs', name])).trim().split('\n').pop(), 'got-TERM', 'the container’s last line: its trap ran');

          const started = await signalled(['start', '-a', name]);
          assertEqual(started.code, 7, `start -a's exit status after a SIGTERM (${started.signal ?? 'no signal'})`);

          await mdOk(ctx, ['start', name]);
          const unproxied = await signalled(['attach', '--sig-proxy=false', name]);
          assertEqual(unproxied.signal, 'SIGTERM', `attach --sig-proxy=false must die of the SIGTERM itself (it exited ${unproxied.code})`);
          await sleep(300);
          assertEqual((await mdOk(ctx, ['inspect', '-f', '{{.State.Running}}', name])).trim(), 'true', 'the container after its attach --sig-proxy=false was killed');
        } finally {
          await md(ctx, ['rm', '-f', name]);
        }
      },
    },
    {
      name: 'rename (running and stopped; a taken, an invalid or the same name refused), port lists the published ports, start -a prints the output and exits with the status',
      hint: 'lib/container/rename.ts (under the names lock of lib/container/reserve.ts), lib/cli/port.ts portLines (NetworkSettings.Ports), lib/cli/start.ts startAttached (the shim holds the first output)',
      async run(ctx) {
        const web = ctx.name('web');
        const { id } = await startDetached(ctx, web, ['sleep', '600'], ['-p', '127.0.0.1::80']);
        const ports = (JSON.parse(await mdOk(ctx, ['inspect', web])) as { NetworkSettings: { Ports: Record<string, { HostPort: string }[]> } }[])[0].NetworkSettings.Ports;
        const hostPort = ports['80/tcp']?.[0]?.HostPort;
        assert(/^\d+$/.test(hostPort ?? ''), `inspect shows no host port for 80/tcp: ${JSON.stringify(ports)}`);
        assertEqual((await mdOk(ctx, ['port', web])).trim(), `80/tcp -> 127.0.0.1:${hostPort}`, 'port CONTAINER');
        assertEqual((await mdOk(ctx, ['port', web, '80/tcp'])).trim(), `127.0.0.1:${hostPort}`, 'port CONTAINER 80/tcp');
        const unpublished = await md(ctx, ['port', web, '81']);
        assert(unpublished.code === 1 && unpublished.stderr.includes(`No public port '81/tcp' published for ${web}`), `port of an unpublished port: exit ${unpublished.code}, ${unpublished.stderr.trim()}`);

        const other = ctx.name('other');
        await mdOk(ctx, ['create', '--name', other, ...NONE, 'busybox', 'true']);
        const taken = await md(ctx, ['rename', other, web]);
        assert(taken.code === 1 && taken.stderr.includes(`Conflict. The container name "/${web}" is already in use by container "${id}"`), `rename to a taken name: exit ${taken.code}, ${taken.stderr.trim()}`);
        for (const bad of [other, 'no spaces']) {
          const r = await md(ctx, ['rename', other, bad]);
          assert(r.code === 1, `rename ${other} to ${JSON.stringify(bad)} exited ${r.code}, not 1`);
        }
        const moved = ctx.name('moved');
        await mdOk(ctx, ['rename', web, moved]); // running
        assertEqual((await mdOk(ctx, ['inspect', '-f', '{{.Name}} {{.State.Status}}', id])).trim(), `/${moved} running`, 'the running container after rename');
        assert((await md(ctx, ['inspect', web])).code !== 0, `the old name ${web} still finds a container`);
        assertEqual((await mdOk(ctx, ['port', moved, '80'])).trim(), `127.0.0.1:${hostPort}`, 'port under the new name');
        await mdOk(ctx, ['rename', other, web]); // stopped, and the old name is free again

        const once = ctx.name('once');
        await mdOk(ctx, ['create', '--name', once, ...NONE, 'busybox', 'sh', '-c', 'echo out; echo err >&2; exit 3']);
        const attached = await md(ctx, ['start', '-a', once], { timeoutMs: 15_000 });
        assertEqual({ code: attached.code, stdout: attached.stdout, stderr: attached.stderr }, { code: 3, stdout: 'out\n', stderr: 'err\n' }, 'start -a: the output, apart, and the exit status');
      },
    },
    {
      name: '--restart on-failure:2 restarts a failing container exactly twice; --restart always ends with a user’s stop',
      hint: 'lib/container/restart.ts shouldRestart, the loop in lib/container/shim.ts (RestartCount, HasBeenManuallyStopped set by stop in lifecycle.ts)',
      async run(ctx) {
        const name = ctx.name('onfail');
        await mdOk(ctx, ['run', '-d', '--name', name, ...NONE, '--restart', 'on-failure:2', 'busybox', 'sh', '-c', 'echo run; exit 1']);
        const state = async (n: string) => (await mdOk(ctx, ['inspect', '-f', '{{.RestartCount}} {{.State.Status}} {{.State.ExitCode}}', n])).trim();
        await waitUntil('two restarts and the final exit', async () => (await state(name)) === '2 exited 1', 15_000).catch(() => undefined);
        assertEqual(await state(name), '2 exited 1', 'RestartCount, status and exit status after on-failure:2');
        await sleep(500);
        assertEqual((await mdOk(ctx, ['logs', name])).trim().split('\n'), ['run', 'run', 'run'], 'the runs of an on-failure:2 container (one start, two restarts)');
        const always = ctx.name('always');
        await mdOk(ctx, ['run', '-d', '--name', always, ...NONE, '--restart', 'always', 'busybox', 'sh', '-c', 'sleep 0.2']);
        await waitUntil('a restart under always', async () => Number((await state(always)).split(' ')[0]) >= 1, 10_000).catch(() => undefined);
        assert(Number((await state(always)).split(' ')[0]) >= 1, `--restart always never restarted: ${await state(always)}`);
        await mdOk(ctx, ['stop', '-t', '1', always]);
        const after = await state(always);
        await sleep(1500);
        assertEqual((await state(always)).split(' ')[1], 'exited', `the status 1.5 s after stop of an always container (was ${after})`);
      },
    },
    {
      name: 'pause freezes a busy loop (no CPU time in its cgroup), unpause resumes it; exec into a paused container is refused',
      hint: 'lib/runtime/cgroups Cgroup.freeze (v1 freezer.state FROZEN, v2 cgroup.freeze), lib/runtime/pause.ts, lib/container/lifecycle.ts pauseContainer',
      async run(ctx) {
        const name = ctx.name('busy');
        const { pid } = await startDetached(ctx, name, ['sh', '-c', 'while :; do :; done'], NONE);
        const usedIn = async (ms: number) => {
          const a = cpuUsageUs(pid);
          await sleep(ms);
          return cpuUsageUs(pid) - a;
        };
        assert((await usedIn(500)) > 100_000, 'the busy loop used under 0.1 s of CPU in 0.5 s before pause');
        await mdOk(ctx, ['pause', name]);
        assertEqual((await mdOk(ctx, ['inspect', '-f', '{{.State.Status}} {{.State.Paused}}', name])).trim(), 'paused true', 'state after pause');
        const paused = await usedIn(800);
        assert(paused < 5_000, `a paused busy loop used ${paused} µs of CPU in 0.8 s`);
        const r = await md(ctx, ['exec', name, 'true']);
        assert(r.code === 1 && /is paused, unpause the container before exec/.test(r.stderr), `exec into a paused container: exit ${r.code}, ${r.stderr.trim()}`);
        await mdOk(ctx, ['unpause', name]);
        assert((await usedIn(500)) > 100_000, 'the busy loop did not resume after unpause');
      },
    },
    {
      name: 'cp: a file copied in appears, a file copied out matches, a container’s symlink is never followed on the host (in or out), a stopped container works too',
      hint: 'lib/container/cp.ts (secureJoin for container paths, the stage-3 extractor, symlinks copied as links), lib/cli/cp.ts',
      async run(ctx) {
        const name = ctx.name('cp');
        const dir = mkdtempSync('/tmp/mdcheck-cp-');
        const hostFile = path.join(dir, `planted-${process.pid}`);
        try {
          writeFileSync(path.join(dir, 'in.txt'), 'from the host\n');
          // inside: a link to /etc (must mean the container's /etc) and one out to the host's /tmp
          await startDetached(ctx, name, ['sh', '-c', `ln -s /etc /tmp/etclink; ln -s ${hostFile} /evil; echo from the container > /out.txt; sleep 600`], NONE);
          await sleep(300);
          await mdOk(ctx, ['cp', path.join(dir, 'in.txt'), `${name}:/tmp/`]);
          assertEqual(await mdOk(ctx, ['exec', name, 'cat', '/tmp/in.txt']), 'from the host\n', 'the file copied in, read inside');
          await mdOk(ctx, ['cp', path.join(dir, 'in.txt'), `${name}:/tmp/etclink/`]);
          assert(!existsSync('/etc/in.txt'), 'cp through the container’s /tmp/etclink wrote the HOST’s /etc/in.txt');
          assertEqual(await mdOk(ctx, ['exec', name, 'cat', '/etc/in.txt']), 'from the host\n', 'the file copied through the link lands in the container’s /etc');
          await mdOk(ctx, ['cp', `${name}:/out.txt`, path.join(dir, 'out.txt')]);
          assertEqual(readFileSync(path.join(dir, 'out.txt'), 'utf8'), 'from the container\n', 'the file copied out');
          await mdOk(ctx, ['cp', `${name}:/evil`, path.join(dir, 'evil')]);
          assert(lstatSync(path.join(dir, 'evil')).isSymbolicLink(), 'a symlink copied out must stay a symlink');
          assert(!existsSync(hostFile), 'copying the container’s symlink created or wrote its host target');
          await mdOk(ctx, ['stop', '-t', '0', name]);
          await mdOk(ctx, ['cp', path.join(dir, 'in.txt'), `${name}:/stopped.txt`]);
          await mdOk(ctx, ['cp', `${name}:/stopped.txt`, path.join(dir, 'back.txt')]);
          assertEqual(readFileSync(path.join(dir, 'back.txt'), 'utf8'), 'from the host\n', 'a round trip through a stopped container');
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      },
    },
    {
      name: 'ps --filter and --format: status, label, name, exited; same key OR, different keys AND; a status filter lists stopped containers without -a',
      hint: 'lib/container/psfilter.ts (parseFilters, matchesFilters, impliesAll), lib/cli/ps.ts selectContainers and the table format',
      async run(ctx) {
        const mark = `mdcheck=${process.pid}`; // this check's containers only, whatever else the store holds
        const created = ctx.name('pscreated');
        const running = ctx.name('psrunning');
        const exited = ctx.name('psexited');
        await mdOk(ctx, ['create', '--name', created, ...NONE, '--label', mark, 'busybox', 'true']);
        await mdOk(ctx, ['run', '-d', '--name', running, ...NONE, '--label', mark, '--label', 'tier=front', 'busybox', 'sleep', '600']);
        const r = await md(ctx, ['run', '--name', exited, ...NONE, '--label', mark, 'busybox', 'sh', '-c', 'exit 3']);
        assertEqual(r.code, 3, 'exit status of the container that exits 3');
        const ps = async (...args: string[]) => (await mdOk(ctx, ['ps', '--filter', `label=${mark}`, ...args, '--format', '{{.Names}} {{.State}}'])).trim().split('\n').filter(Boolean);
        assertEqual(await ps(), [`${running} running`], 'ps (no -a): the running one');
        assertEqual(await ps('-a'), [`${exited} exited`, `${running} running`, `${created} created`], 'ps -a: all three, newest first');
        assertEqual(await ps('--filter', 'status=exited'), [`${exited} exited`], 'status=exited (without -a)');
        assertEqual(await ps('--filter', 'status=exited', '--filter', 'status=created'), [`${exited} exited`, `${created} created`], 'status=exited OR status=created');
        assertEqual(await ps('--filter', 'status=running', '--filter', 'label=tier=front'), [`${running} running`], 'status=running AND label=tier=front');
        assertEqual(await ps('--filter', 'status=created', '--filter', 'label=tier=front'), [], 'status=created AND label=tier=front');
        assertEqual(await ps('-a', '--filter', 'exited=3'), [`${exited} exited`], 'exited=3');
        assertEqual(await ps('-a', '--filter', `name=^/?${running}$`), [`${running} running`], 'name= as a regular expression');
        const q = (await mdOk(ctx, ['ps', '-aq', '--filter', `label=${mark}`])).trim().split('\n');
        assert(q.length === 3 && q.every((id) => /^[0-9a-f]{12}$/.test(id)), `ps -aq: three short IDs, got ${JSON.stringify(q)}`);
        const tableOut = (await mdOk(ctx, ['ps', '-a', '--filter', `label=${mark}`, '--filter', 'status=created', '--format', 'table {{.Names}}\\t{{.State}}'])).split('\n');
        assert(/^NAMES\s+STATE$/.test(tableOut[0]), `the header of --format 'table {{.Names}}\\t{{.State}}': ${JSON.stringify(tableOut[0])}`);
        assert(new RegExp(`^${created}\\s+created$`).test(tableOut[1]), `the row of --format table: ${JSON.stringify(tableOut[1])}`);
        await assertFailures(ctx, [{ argv: ['ps', '--filter', 'status=sleeping'], code: 1, says: /invalid filter 'status=sleeping'/ }]);
      },
    },
    {
      name: 'after exec, stop and rm nothing is left: no process of the container, no mount, cgroup, runtime state or bundle',
      hint: 'PID 1’s death kills its PID namespace (exec’d processes too); lib/container/remove.ts cleanUp; lib/runtime/container.ts remove',
      async run(ctx) {
        const name = ctx.name('left');
        const { id, pid } = await startDetached(ctx, name, ['sleep', '600'], NONE);
        const marker = ['sleep', `${4000 + (process.pid % 997)}`];
        await mdOk(ctx, ['exec', '-d', name, ...marker]);
        await waitUntil('the exec’d marker process', () => pidsRunning(marker).length === 1);
        const ns = readlinkSync(`/proc/${pid}/ns/pid`);
        await mdOk(ctx, ['stop', '-t', '1', name]);
        await mdOk(ctx, ['rm', name]);
        await waitUntil('the exec’d process to be gone', () => pidsRunning(marker).length === 0);
        const inNs = () => readdirSync('/proc').filter((d) => /^\d+$/.test(d)).filter((d) => {
          try {
            return readlinkSync(`/proc/${d}/ns/pid`) === ns;
          } catch {
            return false;
          }
        });
        // an exec'd process whose cli exited is the host init's child: give it a moment to be reaped
        await waitUntil('the container’s PID namespace to be empty', () => inNs().length === 0).catch(() => undefined);
        assertEqual(inNs(), [], 'processes left in the container’s PID namespace');
        assertNothingLeft(id, runDir(ctx.env));
      },
    },
  ],
};
