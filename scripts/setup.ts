// npm run setup: get this machine ready to run containers, idempotently.
//   1. the state directories (/var/lib/minidock, /run/minidock)
//   2. the base image busybox:latest, built offline from the host's busybox-static
//   3. `minidock` and `minidock-runtime` on the PATH (/usr/local/bin/… → bin/…), when we may write there
// Run by vagrant/provision.sh, `npm start` and `npm test`; safe to run again.

import { existsSync, lstatSync, mkdirSync, readlinkSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureBusyboxImage } from '../lib/image/busybox.js';
import { paths } from '../lib/paths.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export async function setup(): Promise<void> {
  const p = paths();
  mkdirSync(p.root, { recursive: true, mode: 0o711 });
  mkdirSync(p.run, { recursive: true, mode: 0o700 });
  const id = await ensureBusyboxImage(p);
  console.log(`setup: busybox:latest is ${id.slice(0, 19)} in ${p.root}`);
  linkCommand('minidock');
  linkCommand('minidock-runtime');
}

function linkCommand(name: string): void {
  const link = `/usr/local/bin/${name}`;
  const target = path.join(repo, 'bin', name);
  if (process.getuid?.() !== 0) return;
  try {
    if (lstatSync(link).isSymbolicLink() && readlinkSync(link) === target) return;
    console.log(`setup: ${link} exists and is not ours; leaving it`);
    return;
  } catch {
    // absent: make it
  }
  if (existsSync(path.dirname(link))) {
    symlinkSync(target, link);
    console.log(`setup: ${link} → ${target}`);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  setup().catch((e: Error) => {
    console.error(`setup: ${e.message}`);
    process.exit(1);
  });
}
