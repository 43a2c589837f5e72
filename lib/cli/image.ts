// minidock image COMMAND — docker image: `image ls` (= images), `image inspect`, `image import`
// (= import), `image history` (= history), `image rm` (= rmi). `image inspect` prints what
// `docker image inspect` prints, for the fields minidock has.

import { EngineError } from '../errors.js';
import { pruneImages } from '../image/delete.js';
import { ImageStore } from '../image/store.js';
import { humanSize } from './human.js';
import { paths, type Paths } from '../paths.js';
import { parseFlags } from './args.js';
import { formatTemplate } from './format.js';
import history from './history.js';
import images from './images.js';
import importVerb from './import.js';
import rmi from './rmi.js';

const USAGE = `usage: minidock image COMMAND

Commands:
  ls        list images (also: images)
  inspect   show low-level information on one or more images
  import    create an image from a rootfs tarball (also: import)
  history   show the history of an image (also: history)
  rm        remove images (also: rmi)
  tag       another name for an image (also: tag)
  save      images to a tar archive (also: save)
  load      images from a tar archive (also: load)
  pull      an image from a registry (also: pull)
  push      an image to a registry (also: push)
  build     an image from a Dockerfile (also: build)
  prune     remove dangling images (-a: every image no container uses)`;

export default async function image(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  switch (sub) {
    case 'ls':
    case 'list':
      return images(rest);
    case 'inspect':
      return inspect(rest);
    case 'import':
      return importVerb(rest);
    case 'history':
      return history(rest);
    case 'rm':
    case 'remove':
      return rmi(rest);
    case 'prune':
      return prune(rest);
    // stage 6's verbs, loaded only when used (each import named, so that a bundler sees them)
    case 'tag':
      return (await import('./tag.js')).default(rest);
    case 'save':
      return (await import('./save.js')).default(rest);
    case 'load':
      return (await import('./load.js')).default(rest);
    case 'pull':
      return (await import('./pull.js')).default(rest);
    case 'push':
      return (await import('./push.js')).default(rest);
    case 'build':
      return (await import('./build.js')).default(rest);
    case undefined:
    case '-h':
    case '--help':
      process.stdout.write(USAGE + '\n');
      return 0;
    default:
      throw new EngineError(`'image ${sub}' is not a minidock command; see 'minidock image --help'`);
  }
}

async function inspect(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(argv, { format: { type: 'string', short: 'f' } });
  if (positionals.length === 0) throw new EngineError(`'minidock image inspect' requires at least 1 argument`);
  const p = paths();
  const found: object[] = [];
  let failed = false;
  for (const name of positionals) {
    try {
      found.push(inspectImage(p, name));
    } catch (err) {
      if (!(err instanceof EngineError)) throw err;
      process.stderr.write(`minidock: ${err.message}\n`);
      failed = true;
    }
  }
  // like docker: print what was found, and exit 1 if anything was not
  if (values.format !== undefined) for (const obj of found) process.stdout.write(formatTemplate(values.format, obj) + '\n');
  else process.stdout.write(JSON.stringify(found, null, 4) + '\n');
  return failed ? 1 : 0;
}

// #region image-inspect
/**
 * The object `docker image inspect` prints for one image. GraphDriver.Data is where a container
 * of this image would live in overlay2 terms: the top layer's directory holds diff/ (UpperDir),
 * work/ and merged/, and the layers below are the LowerDir list, nearest first.
 */
export function inspectImage(p: Paths, name: string): Record<string, unknown> {
  const store = new ImageStore(p);
  const img = store.resolve(name);
  const [top, ...below] = store.layerDirsTopDown(img);
  const data: Record<string, string> = {};
  if (top !== undefined) {
    const topDir = top.replace(/\/diff$/, '');
    if (below.length > 0) data.LowerDir = below.join(':');
    data.MergedDir = `${topDir}/merged`;
    data.UpperDir = top;
    data.WorkDir = `${topDir}/work`;
  }
  return {
    Id: img.id,
    RepoTags: img.repoTags,
    RepoDigests: [],
    Parent: store.parentOf(img.id) ?? '',
    Comment: img.config.comment ?? '',
    Created: img.config.created ?? '',
    Author: img.config.author ?? '',
    Config: img.config.config ?? {},
    Architecture: img.config.architecture,
    Os: img.config.os,
    Size: store.imageSize(img),
    GraphDriver: { Data: data, Name: 'overlay2' },
    RootFS: { Type: img.config.rootfs.type, Layers: img.config.rootfs.diff_ids },
    Metadata: { LastTagTime: store.lastTagTime(img.id) ?? '0001-01-01T00:00:00Z' },
  };
}
// #endregion

/** `image prune [-a] [-f]`: dangling images (no name, no child, no container), or with -a all unused. */
async function prune(argv: string[]): Promise<number> {
  const { values } = parseFlags(argv, { all: { type: 'boolean', short: 'a' }, force: { type: 'boolean', short: 'f' } });
  const p = paths();
  const { lines, reclaimed } = pruneImages(p, new ImageStore(p), !!values.all);
  const head = lines.length > 0 ? 'Deleted Images:\n' + lines.map((l) => `${l}\n`).join('') + '\n' : '';
  process.stdout.write(`${head}Total reclaimed space: ${humanSize(reclaimed)}\n`);
  return 0;
}
