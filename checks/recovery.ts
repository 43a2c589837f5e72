// Stage 2, recovery: a container outlives the process that watched it, and its cgroup must not.
// When a monitor (the foreground cli, or the shim of `run -d`) is killed, the next minidock verb
// sets the container right — records the exit, removes the cgroup, honours --rm — and `rm -f`
// racing `--rm` removes a container exactly once. Black-box: the cli, /proc and cgroupfs.
// See stages/02-cgroups/README.md, "when the monitor dies".

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { cgroupDir } from './cgroupfs.js';
import { assert, assertEqual, engine, md, mdOk, sleep, type Check, type Context } from './harness.js';

/** The runtime state directory of this engine (MINIDOCK_RUN), where bundles and runtime records live. */
export function runDir(env: NodeJS.ProcessEnv): string {
  return path.resolve(env.MINIDOCK_RUN || (env.MINIDOCK_ROOT ? path.join(env.MINIDOCK_ROOT, 'run') : '/run/minidock'));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Wait (bounded, generously: under qemu's emulation a start takes seconds) until `inspect` shows the container running. */
async function waitRunning(ctx: Context, name: string): Promise<{ id: string; pid: number }> {
  for (const deadline = Date.now() + 90_000; Date.now() < deadline; await sleep(100)) {
    const r = await md(ctx, ['inspect', '-f', '{{.Id}} {{.State.Pid}} {{.State.Running}}', name]);
    const [id, pid, running] = r.stdout.trim().split(' ');
    if (r.code === 0 && running === 'true' && Number(pid) > 0) return { id, pid: Number(pid) };
  }
  throw new Error(`${name} never showed as running`);
}

async function gone(ctx: Context, name: string): Promise<boolean> {
  return !(await mdOk(ctx, ['ps', '-a', '--format', '{{.Names}}'])).split('\n').includes(name);
}

export const recoveryChecks: Check[] = [
  {
    name: 'a foreground run whose cli is killed -9 keeps its container in its cgroup; when that exits, the next verb records it, honours --rm, and the cgroup, bundle and runtime state are gone',
    hint: 'lib/container/reconcile.ts (reconcileAll, run first by every verb from lib/cli/main.ts): cleanUp then removeLocked; the monitor records MonitorPid before it starts',
    async run(ctx) {
      const name = ctx.name('lostcli');
      const cli = spawn(engine(), ['run', '--rm', '--name', name, 'busybox', 'sleep', '600'], { env: ctx.env, stdio: 'ignore', detached: true });
      try {
        const { id, pid } = await waitRunning(ctx, name);
        const cgroup = cgroupDir(pid, 'pids');
        assert(cgroup.endsWith(`/minidock/${id}`), `the container's cgroup is ${cgroup}, not …/minidock/${id}`);
        process.kill(cli.pid!, 'SIGKILL');
        await sleep(300);
        assert(alive(pid), 'the container died with its foreground cli (docker keeps it running)');
        assertEqual((await mdOk(ctx, ['inspect', '-f', '{{.State.Running}}', name])).trim(), 'true', 'Running while PID 1 lives, monitor or not');
        process.kill(pid, 'SIGKILL'); // the container ends, and nobody is watching
        let removed = false;
        for (const deadline = Date.now() + 5000; Date.now() < deadline && !removed; await sleep(100)) removed = await gone(ctx, name);
        assert(removed, `${name} is still listed after its exit: --rm was not honoured`);
        assert(!existsSync(cgroup), `${cgroup} is still there`);
        assert(!existsSync(path.join(runDir(ctx.env), 'bundles', id)), `its bundle ${runDir(ctx.env)}/bundles/${id} is still there`);
        assert(!existsSync(path.join(runDir(ctx.env), 'runtime', id)), `its runtime state ${runDir(ctx.env)}/runtime/${id} is still there`);
      } finally {
        try {
          process.kill(cli.pid!, 'SIGKILL');
        } catch {
          // gone
        }
        await md(ctx, ['rm', '-f', name]);
      }
    },
  },
  {
    name: '`rm -f` racing `--rm` removes the container once: exit 0, no error, the cgroup gone, the name free (4 tries)',
    hint: 'lib/container/remove.ts removeContainerFiles: under the container’s lock (containerLock), idempotent; lifecycle.ts waitStopped treats a removed container as stopped',
    async run(ctx) {
      for (let i = 0; i < 4; i++) {
        const name = ctx.name('race');
        const cli = spawn(engine(), ['run', '--rm', '--name', name, 'busybox', 'sleep', '600'], { env: ctx.env, stdio: 'ignore' });
        const exited = new Promise<void>((resolve) => cli.on('exit', () => resolve()));
        try {
          const { id, pid } = await waitRunning(ctx, name);
          const cgroup = cgroupDir(pid, 'pids');
          assert(cgroup.endsWith(`/minidock/${id}`), `the container's cgroup is ${cgroup}, not …/minidock/${id}`);
          const r = await md(ctx, ['rm', '-f', name]);
          assert(r.code === 0 && r.stderr.trim() === '', `try ${i + 1}: rm -f exited ${r.code}: ${r.stderr.trim()}`);
          await exited;
          assert(!existsSync(cgroup), `try ${i + 1}: ${cgroup} is still there`);
          assert(await gone(ctx, name), `try ${i + 1}: ${name} is still listed`);
        } finally {
          cli.kill('SIGKILL');
          await md(ctx, ['rm', '-f', name]);
        }
      }
    },
  },
];
