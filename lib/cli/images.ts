// minidock images [-a] [-q] [--no-trunc] [REPOSITORY[:TAG]] — docker images (also `image ls`):
// one line per name, and one <none> line per untagged image, newest first. Untagged images that
// are the parent of another (the steps of a chain of commits) are intermediate: shown with -a.

import type { Image } from '../image/store.js';
import { ImageStore } from '../image/store.js';
import { familiarName, parseReference } from '../image/reference.js';
import { hexOf } from '../image/digest.js';
import { paths } from '../paths.js';
import { parseFlags } from './args.js';
import { humanDuration, humanSize, table } from './human.js';

const OPTIONS = {
  all: { type: 'boolean', short: 'a' }, // also the intermediate images
  quiet: { type: 'boolean', short: 'q' },
  'no-trunc': { type: 'boolean' },
  digests: { type: 'boolean' }, // a DIGEST column: the manifest digest a registry knows the image by
} as const;

export default async function images(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(argv, OPTIONS);
  const store = new ImageStore(paths());
  const id = (img: Image) => (values['no-trunc'] ? img.id : hexOf(img.id).slice(0, 12));

  // One row per name: "busybox:latest" → [busybox, latest]; untagged → [<none>, <none>].
  let rows: { img: Image; repo: string; tag: string }[] = [];
  const all = store.list();
  const parents = new Set(all.map((img) => store.parentOf(img.id)));
  for (const img of all) {
    const intermediate = img.repoTags.length === 0 && parents.has(img.id);
    if (img.repoTags.length === 0 && (!intermediate || values.all)) rows.push({ img, repo: '<none>', tag: '<none>' });
    for (const name of img.repoTags) {
      const colon = name.lastIndexOf(':');
      rows.push({ img, repo: name.slice(0, colon), tag: name.slice(colon + 1) });
    }
  }
  if (positionals.length > 0) {
    // `images busybox` lists every tag of busybox; `images busybox:1.36` only that one
    const want = parseReference(positionals[0]);
    const tagGiven = /:[^/]*$/.test(positionals[0]);
    rows = rows.filter((r) => r.repo === familiarName(want) && (!tagGiven || r.tag === want.tag));
  }

  if (values.quiet) {
    const ids = [...new Set(rows.map((r) => id(r.img)))];
    process.stdout.write(ids.map((i) => `${i}\n`).join(''));
    return 0;
  }
  const now = Date.now();
  const created = (img: Image) => (img.config.created ? `${humanDuration(now - Date.parse(img.config.created))} ago` : 'N/A');
  if (values.digests) {
    const digest = (r: (typeof rows)[number]) => store.refs.digestsOf(r.img.id).find((d) => d.startsWith(`${r.repo}@`))?.split('@')[1] ?? '<none>';
    const lines = rows.map((r) => [r.repo, r.tag, digest(r), id(r.img), created(r.img), humanSize(store.imageSize(r.img))]);
    process.stdout.write(table(['REPOSITORY', 'TAG', 'DIGEST', 'IMAGE ID', 'CREATED', 'SIZE'], lines));
    return 0;
  }
  const lines = rows.map((r) => [r.repo, r.tag, id(r.img), created(r.img), humanSize(store.imageSize(r.img))]);
  process.stdout.write(table(['REPOSITORY', 'TAG', 'IMAGE ID', 'CREATED', 'SIZE'], lines));
  return 0;
}
