// npm start: a guided run. For each finished stage, a real container shows that stage at work,
// and every command is printed before it runs, so you can type it yourself afterwards.
// (npm start runs vagrant/provision.sh first, so a fresh machine gets set up.)

import chalk from 'chalk';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { IMPLEMENTED, STAGES } from '../lib/stage.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const minidock = path.join(repo, 'bin', 'minidock');

interface Step {
  stage: number;
  say: string;
  /** shell lines; `minidock` is the engine of this repository */
  run: string[];
}

const STEPS: Step[] = [
  { stage: 0, say: 'Preflight: does this kernel have what containers are made of?', run: ['minidock doctor'] },
  {
    stage: 1,
    say: 'Namespaces: the shell below is PID 1, has its own hostname, and sees only its own root.',
    run: ["minidock run --rm --hostname tour busybox sh -c 'echo \"my PID: $$\"; hostname; ps; ls /'"],
  },
  {
    stage: 1,
    say: 'The same process seen from the host: another PID, and different namespace inodes.',
    run: [
      'minidock run -d --name tour-ns busybox sleep 60',
      'pid=$(minidock inspect -f "{{.State.Pid}}" tour-ns); grep NSpid /proc/$pid/status; readlink /proc/$pid/ns/uts /proc/self/ns/uts',
      'minidock rm -f tour-ns',
    ],
  },
  {
    stage: 2,
    say: 'cgroups: -m 32m sets memory.limit_in_bytes (v1) or memory.max (v2); going past it gets the process OOM-killed (exit 137).',
    run: [
      'minidock run --name tour-oom -m 32m --memory-swap 32m busybox dd if=/dev/zero of=/dev/null bs=64M count=1; echo "exit status: $?"',
      'minidock inspect -f "OOMKilled={{.State.OOMKilled}} ExitCode={{.State.ExitCode}}" tour-oom',
      'minidock rm tour-oom',
    ],
  },
  {
    stage: 2,
    say: '--cpus 0.2 lets a busy loop use a fifth of a CPU: watch the CPU % column.',
    run: [
      "minidock run -d --name tour-cpu --cpus 0.2 busybox sh -c 'while :; do :; done'",
      'sleep 2; minidock stats --no-stream tour-cpu',
      'minidock rm -f tour-cpu',
    ],
  },
  {
    stage: 3,
    say: 'overlay2: a write lands in the container layer (UpperDir); deleting an image file leaves a whiteout, a 0/0 character device.',
    run: [
      "minidock run --name tour-ovl busybox sh -c 'echo hello > /hello.txt; rm /bin/vi'",
      'upper=$(minidock inspect -f "{{.GraphDriver.Data.UpperDir}}" tour-ovl); ls -l $upper $upper/bin',
      'minidock rm tour-ovl',
    ],
  },
  {
    stage: 4,
    say: 'Volumes: data written to a named volume outlives the container that wrote it.',
    run: [
      'minidock volume create tour-vol',
      "minidock run --rm -v tour-vol:/data busybox sh -c 'echo kept > /data/note'",
      'minidock run --rm -v tour-vol:/data:ro busybox cat /data/note',
      'minidock volume rm tour-vol',
    ],
  },
  {
    stage: 5,
    say: 'Networking: eth0 on the minidock0 bridge, and -p publishes a container port on the host.',
    run: [
      'minidock run --rm busybox ip -4 addr show eth0',
      'minidock run -d --name tour-web -p 8080:80 busybox httpd -f -p 80 -h /etc',
      'sleep 1; curl -s --max-time 3 http://127.0.0.1:8080/hostname',
      'minidock rm -f tour-web',
    ],
  },
];

function main(): number {
  console.log(chalk.bold(`minidock tour — stages 0..${IMPLEMENTED} are built\n`));
  let failed = 0;
  let last = -1;
  for (const step of STEPS.filter((s) => s.stage <= IMPLEMENTED)) {
    if (step.stage !== last) {
      console.log(chalk.bold.cyan(`\n■ stage ${step.stage} — ${STAGES[step.stage].name}`));
      last = step.stage;
    }
    console.log(chalk.yellow(step.say));
    for (const line of step.run) {
      console.log(chalk.dim('$ ') + chalk.bold(line));
      const r = spawnSync('sh', ['-c', line], { stdio: 'inherit', env: { ...process.env, PATH: `${path.dirname(minidock)}:${process.env.PATH}` } });
      if (r.status !== 0 && !line.includes('echo "exit status')) failed++;
    }
  }
  console.log(chalk.bold(`\nNext: read stages/01-namespaces/README.md, and prove each stage with npm run check:stage-N.`));
  return failed === 0 ? 0 : 1;
}

process.exit(main());
