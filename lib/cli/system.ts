// minidock system prune [-a] [-f] [--volumes] — docker system prune: remove what nothing uses.
//
// In docker's order: stopped containers, networks no container uses, dangling images (-a: every
// image no container uses), with --volumes anonymous volumes no container uses. Then, what docker's
// daemon does when it starts: the layer directories a crash left behind (lib/image/layerdb.ts
// collectGarbage) — staging directories of dead imports, directories no layer record names,
// dangling short links — and layers no image and no container uses. minidock has no build cache, so docker's fourth line has nothing to do.

import { readSync } from 'node:fs';
import { removeContainer } from '../container/lifecycle.js';
import { listContainers } from '../container/state.js';
import { EngineError } from '../errors.js';
import { pruneImages } from '../image/delete.js';
import { ImageStore, OPEN_GC_MIN_AGE_MS } from '../image/store.js';
import { pruneNetworks } from '../network/remove.js';
import { paths } from '../paths.js';
import { stageOn } from '../stage.js';
import { pruneVolumes } from '../volumes/store.js';
import { usersOf } from '../container/volumes.js';
import { parseFlags } from './args.js';
import { humanSize } from './human.js';

const USAGE = `usage: minidock system prune [-a] [-f] [--volumes]

Remove unused data: stopped containers, unused networks, dangling images (-a: all unused
images), with --volumes unused anonymous volumes, and layer directories left by a crash.`;

const OPTIONS = {
  all: { type: 'boolean', short: 'a' },
  force: { type: 'boolean', short: 'f' },
  volumes: { type: 'boolean' },
} as const;

async function prune(argv: string[]): Promise<number> {
  const { values } = parseFlags(argv, OPTIONS);
  if (!values.force && !confirm(values.all ? 'all images without at least one container associated to them' : 'all dangling images', !!values.volumes)) return 0;
  const p = paths();
  let reclaimed = 0;
  const out: string[] = [];
  const section = (title: string, lines: string[]) => {
    if (lines.length > 0) out.push(`${title}:\n${lines.join('\n')}\n`);
  };

  // 1. Stopped containers (removeContainer refuses a running one: skip it).
  const containers: string[] = [];
  for (const c of listContainers(p)) {
    if (c.State.Running) continue;
    try {
      await removeContainer(p, c.ID, false);
      containers.push(c.ID);
    } catch (err) {
      if (!(err instanceof EngineError)) throw err;
    }
  }
  section('Deleted Containers', containers);

  // 2. Networks (stage 5): custom bridges no container is attached to.
  if (stageOn(5)) section('Deleted Networks', pruneNetworks(p));

  // 3. Volumes, only when asked (docker leaves them unless --volumes): anonymous ones.
  if (values.volumes && stageOn(4)) {
    const v = pruneVolumes(p, false, usersOf(p));
    reclaimed += v.reclaimed;
    section('Deleted Volumes', v.deleted);
  }

  // 4. Images, then the layer directories no record names (stage 3: the layer store's garbage).
  const store = new ImageStore(p, { collectGarbage: false });
  const images = pruneImages(p, store, !!values.all);
  reclaimed += images.reclaimed;
  section('Deleted Images', images.lines);
  if (stageOn(3)) {
    const sizes = new Map(store.layers.chainIds().map((chainId) => [chainId, store.layer(chainId).size]));
    const layers = store.pruneLayers(OPEN_GC_MIN_AGE_MS);
    for (const chainId of layers) reclaimed += sizes.get(chainId) ?? 0;
    section('Deleted Layers', layers);
    section('Deleted Layer Directories', store.layers.collectGarbage({ minAgeMs: 0 }));
  }

  process.stdout.write(out.map((s) => s + '\n').join('') + `Total reclaimed space: ${humanSize(reclaimed)}\n`);
  return 0;
}

/** docker's question; anything but y/yes (or no stdin) is no. */
function confirm(images: string, volumes: boolean): boolean {
  process.stdout.write(
    'WARNING! This will remove:\n  - all stopped containers\n  - all networks not used by at least one container\n' +
      (volumes ? '  - all anonymous volumes not used by at least one container\n' : '') +
      `  - ${images}\n  - layer directories left behind by a crash\n\nAre you sure you want to continue? [y/N] `,
  );
  const buf = Buffer.alloc(16);
  try {
    return /^y(es)?$/i.test(buf.subarray(0, readSync(0, buf, 0, buf.length, null)).toString().trim());
  } catch {
    return false;
  }
}

export default async function system(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '-h' || sub === '--help') {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  if (sub === 'prune') return prune(rest);
  throw new EngineError(`'system ${sub}' is not a minidock command; see 'minidock system --help'`, 1);
}
