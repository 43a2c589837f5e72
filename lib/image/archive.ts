// `docker save` and `docker load`: images as one tar file, to carry them without a registry.
//
// `save` writes what docker 25 writes, one tar that two kinds of readers understand:
//
//   manifest.json  repositories                  the docker-archive index (docker ≤ 24 readers)
//   oci-layout  index.json  blobs/sha256/<hex>   an OCI image layout (skopeo oci-archive:, umoci)
//
// The blobs are shared: the config (named by the image ID), one uncompressed tar per layer (named
// by its DiffID), and the OCI manifest. `load` reads either kind, also gzip-compressed and as
// skopeo writes them (compressed layers, nested indexes).
//
// docker-save(1), docker-load(1); OCI image spec "image-layout.md", "manifest.md",
// "image-index.md". Stage 6 notes, "save and load".

import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { EngineError } from '../errors.js';
import type { Paths } from '../paths.js';
import { pidAlive } from '../proc.js';
import { trace } from '../sys/trace.js';
import { decompressStages } from './compression.js';
import { hexOf, isDigest, nextChainId, sha256, type Digest } from './digest.js';
import { writeLayer } from './layer-export.js';
import { applyLayerTar } from './layer-tar.js';
import type { Progress } from './progress.js';
import { MEDIA, type Descriptor, type OciIndex, type OciManifest, choosePlatform } from './manifest.js';
import { familiarString, fullString, parseReference } from './reference.js';
import type { ImageStore } from './store.js';

/** One entry of docker-archive's manifest.json. */
export interface ArchiveManifestEntry {
  Config: string;
  RepoTags: string[] | null;
  Layers: string[];
}

// #region tmp-dir
/**
 * A working directory under the store's tmp/ (`<what>-<pid>-<random>`), removed by the caller.
 * A process killed mid-pull cannot remove its own: whoever makes the next one removes every
 * directory there whose process is dead, so a crash never leaves half a blob for long.
 */
export function tmpDir(p: Paths, what: string): string {
  mkdirSync(p.tmp, { recursive: true, mode: 0o700 });
  for (const name of readdirSync(p.tmp)) {
    const m = /^[a-z]+-(\d+)-[0-9a-f]+$/.exec(name);
    if (m && Number(m[1]) !== process.pid && !pidAlive(Number(m[1]))) {
      trace(`remove ${path.join(p.tmp, name)}: left by dead process ${m[1]}`);
      rmSync(path.join(p.tmp, name), { recursive: true, force: true });
    }
  }
  const dir = path.join(p.tmp, `${what}-${process.pid}-${randomBytes(6).toString('hex')}`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return dir;
}
// #endregion

// #region save-blobs
/**
 * Write `names` (image names or IDs) as one tar to `out`. The layers are first written to a
 * temporary directory (a tar header needs the size before the bytes), checked against their
 * DiffIDs on the way, then packed with the other files.
 */
export async function saveImages(p: Paths, store: ImageStore, names: readonly string[], out: Writable): Promise<void> {
  const images = names.map((n) => ({ name: n, image: store.resolve(n) }));
  const work = tmpDir(p, 'save');
  try {
    const blobs = new Map<string, string>(); // "blobs/sha256/<hex>" → file holding it
    const addBlob = (bytes: Buffer): Descriptor['digest'] => {
      const digest = sha256(bytes);
      const file = path.join(work, hexOf(digest));
      if (!blobs.has(`blobs/sha256/${hexOf(digest)}`)) {
        writeFileSyncSafe(file, bytes);
        blobs.set(`blobs/sha256/${hexOf(digest)}`, file);
      }
      return digest;
    };
    const manifestJson: ArchiveManifestEntry[] = [];
    const repositories: Record<string, Record<string, string>> = {};
    const index: OciIndex = { schemaVersion: 2, mediaType: MEDIA.ociIndex, manifests: [] };

    for (const { name, image } of images) {
      const configBytes = store.images.bytes(image.id);
      addBlob(configBytes);
      const layers: Descriptor[] = [];
      for (const chainId of image.layers) {
        const diffId = store.layer(chainId).diffId;
        const key = `blobs/sha256/${hexOf(diffId)}`;
        if (!blobs.has(key)) {
          const file = path.join(work, hexOf(diffId));
          await writeLayer(store, chainId, file, false); // uncompressed: its digest is the DiffID
          blobs.set(key, file);
        }
        layers.push({ mediaType: MEDIA.ociLayer, digest: diffId, size: statSync(blobs.get(key)!).size });
      }
      const manifest: OciManifest = {
        schemaVersion: 2,
        mediaType: MEDIA.ociManifest,
        config: { mediaType: MEDIA.ociConfig, digest: image.id, size: configBytes.length },
        layers,
      };
      const manifestBytes = Buffer.from(JSON.stringify(manifest));
      const manifestDigest = addBlob(manifestBytes);
      // #endregion

      // #region save-names
      // The names saved: the one asked for if it is a name, else all the image's names.
      const asked = store.refs.lookup(safeRef(name)) === image.id ? [familiarString(parseReference(name))] : image.repoTags;
      manifestJson.push({ Config: `blobs/sha256/${hexOf(image.id)}`, RepoTags: asked.length > 0 ? asked : null, Layers: layers.map((l) => `blobs/sha256/${hexOf(l.digest)}`) });
      for (const tagged of asked) {
        const ref = parseReference(tagged);
        const repo = tagged.slice(0, tagged.lastIndexOf(':'));
        if (layers.length > 0) (repositories[repo] ??= {})[ref.tag!] = hexOf(layers[layers.length - 1].digest);
        index.manifests.push({
          mediaType: MEDIA.ociManifest,
          digest: manifestDigest,
          size: manifestBytes.length,
          annotations: { 'io.containerd.image.name': fullString(ref), 'org.opencontainers.image.ref.name': ref.tag! },
        });
      }
      if (asked.length === 0) index.manifests.push({ mediaType: MEDIA.ociManifest, digest: manifestDigest, size: manifestBytes.length });
    }
    // #endregion

    // #region save-pack
    // Pack: blobs first (directories before their files), then the small index files.
    const pack = tar.pack();
    const done = pipeline(pack as unknown as NodeJS.ReadableStream, out);
    const mtime = new Date(0);
    pack.entry({ name: 'blobs/', type: 'directory', mode: 0o755, mtime });
    pack.entry({ name: 'blobs/sha256/', type: 'directory', mode: 0o755, mtime });
    for (const [name, file] of [...blobs].sort()) {
      const entry = pack.entry({ name, size: statSync(file).size, mode: 0o644, mtime });
      await pipeline(createReadStream(file), entry as unknown as NodeJS.WritableStream);
    }
    const small: [string, unknown][] = [
      ['index.json', index],
      ['manifest.json', manifestJson],
      ['oci-layout', { imageLayoutVersion: '1.0.0' }],
    ];
    if (Object.keys(repositories).length > 0) small.push(['repositories', repositories]);
    for (const [name, value] of small) pack.entry({ name, mode: 0o644, mtime }, JSON.stringify(value) + (name === 'manifest.json' ? '\n' : ''));
    pack.finalize();
    await done;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
// #endregion

function safeRef(name: string) {
  try {
    return parseReference(name);
  } catch {
    return parseReference('invalid-name-never-stored');
  }
}

function writeFileSyncSafe(file: string, bytes: Buffer): void {
  writeFileSync(file, bytes, { mode: 0o600 }); // a blob file in our own temp dir, written once
}

// #region load
/** An image found in an archive, before it enters the store. */
interface FoundImage {
  configFile: string;
  layerFiles: string[];
  tags: string[];
}

/**
 * `load`: unpack the archive into a temporary directory, find its images (docker-archive's
 * manifest.json first, else the OCI layout's index.json), then store each layer (unless a layer
 * with the same ChainID is there already), check its DiffID against the config, and store the
 * config and names. Returns the lines docker prints.
 */
export async function loadImages(p: Paths, store: ImageStore, input: Readable, out: Progress | ((line: string) => void) = () => {}): Promise<string[]> {
  // a terminal gets a bar per layer; a log, the line docker's classic load printed
  const bars = typeof out === 'function' ? null : out;
  const work = tmpDir(p, 'load');
  try {
    await unpackArchive(input, work);
    const found = existsSync(path.join(work, 'manifest.json')) ? fromDockerArchive(work) : fromOciLayout(work);
    if (found.length === 0) throw new EngineError('the archive holds no image');
    const lines: string[] = [];
    for (const img of found) {
      const configBytes = readFileSync(img.configFile);
      const config = JSON.parse(configBytes.toString('utf8')) as { rootfs?: { diff_ids?: string[] } };
      const diffIds = config.rootfs?.diff_ids ?? [];
      if (diffIds.length !== img.layerFiles.length) throw new EngineError(`invalid archive: the config lists ${diffIds.length} layers, the manifest ${img.layerFiles.length}`);
      let parent: Digest | null = null;
      for (let i = 0; i < diffIds.length; i++) {
        const want = diffIds[i];
        if (!isDigest(want)) throw new EngineError(`invalid archive: bad diff id ${JSON.stringify(want)}`);
        const chain = nextChainId(parent, want);
        if (!store.hasLayer(chain)) {
          const id = hexOf(want).slice(0, 12);
          const file = img.layerFiles[i];
          if (typeof out === 'function') out(`Loading layer ${id}`);
          const layer = await store.createLayer(parent, async (dir) => {
            const stream = createReadStream(file);
            const total = statSync(file).size;
            let read = 0;
            if (bars) stream.on('data', (chunk) => bars.layer(id, 'Loading layer', { current: (read += chunk.length), total }));
            const applied = await applyLayerTar(stream, dir);
            if (applied.diffId !== want) throw new EngineError(`invalid archive: layer ${i + 1} has diff id ${applied.diffId}, the config says ${want}`);
            return applied;
          });
          trace(`loaded layer ${layer.chainId}`);
        }
        parent = chain;
      }
      const id = store.addImageBytes(configBytes, img.tags);
      if (img.tags.length === 0) lines.push(`Loaded image ID: ${id}`);
      for (const t of img.tags) lines.push(`Loaded image: ${familiarString(parseReference(t))}`);
    }
    return lines;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
// #endregion

/** Extract regular files and directories of an archive (plain or compressed); nothing else. */
async function unpackArchive(input: Readable, dir: string): Promise<void> {
  const extract = tar.extract();
  const stages = [...(await decompressStages(input)), extract] as unknown as [NodeJS.ReadableStream, NodeJS.WritableStream];
  const feeding = pipeline(stages);
  feeding.catch(() => {});
  const bad = (err: unknown) => (err instanceof EngineError ? err : new EngineError(`invalid archive: ${(err as Error).message.replace(/^./, (c) => c.toLowerCase())}`));
  try {
    for await (const entry of extract) {
      const name = entry.header.name;
      const parts = name.split('/').filter((c) => c !== '' && c !== '.');
      if (name.startsWith('/') || parts.includes('..')) throw new EngineError(`invalid archive: entry ${JSON.stringify(name)} leaves the archive`);
      const target = path.join(dir, ...parts);
      if (entry.header.type === 'directory') {
        mkdirSync(target, { recursive: true, mode: 0o700 });
        entry.resume();
      } else if (entry.header.type === 'file' && parts.length > 0) {
        mkdirSync(path.dirname(target), { recursive: true, mode: 0o700 });
        await pipeline(entry as unknown as NodeJS.ReadableStream, createWriteStream(target, { mode: 0o600 }));
      } else {
        entry.resume(); // links and the like: no image archive needs them
      }
    }
  } catch (err) {
    extract.destroy();
    throw bad(err);
  }
  await feeding.catch((err: unknown) => {
    throw bad(err);
  });
}

/** A path named inside the archive, which must stay inside it and exist. */
function inside(dir: string, name: string): string {
  const parts = name.split('/').filter((c) => c !== '' && c !== '.');
  if (name.startsWith('/') || parts.includes('..')) throw new EngineError(`invalid archive: ${JSON.stringify(name)} leaves the archive`);
  const file = path.join(dir, ...parts);
  if (!existsSync(file)) throw new EngineError(`invalid archive: ${name} is missing`);
  return file;
}

function readJson<T>(file: string): T {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch (err) {
    throw new EngineError(`invalid archive: ${path.basename(file)}: ${(err as Error).message}`);
  }
}

function fromDockerArchive(dir: string): FoundImage[] {
  const entries = readJson<ArchiveManifestEntry[]>(path.join(dir, 'manifest.json'));
  if (!Array.isArray(entries)) throw new EngineError('invalid archive: manifest.json is not a list');
  return entries.map((e) => ({
    configFile: inside(dir, e.Config),
    layerFiles: (e.Layers ?? []).map((l) => inside(dir, l)),
    tags: (e.RepoTags ?? []).map((t) => familiarString(parseReference(t))),
  }));
}

function fromOciLayout(dir: string): FoundImage[] {
  if (!existsSync(path.join(dir, 'index.json'))) throw new EngineError('invalid archive: neither manifest.json nor index.json found');
  const blob = (d: Descriptor) => {
    if (!isDigest(d.digest)) throw new EngineError(`invalid archive: bad digest ${JSON.stringify(d.digest)}`);
    return inside(dir, `blobs/sha256/${hexOf(d.digest)}`);
  };
  const index = readJson<OciIndex>(path.join(dir, 'index.json'));
  const found: FoundImage[] = [];
  for (const top of index.manifests ?? []) {
    let desc = top;
    // an index inside the index (skopeo writes one for a multi-platform copy): pick our platform
    while (desc.mediaType === MEDIA.ociIndex || desc.mediaType === MEDIA.dockerList) desc = choosePlatform(readJson<OciIndex>(blob(desc)).manifests);
    const manifest = readJson<OciManifest>(blob(desc));
    const tags: string[] = [];
    const full = top.annotations?.['io.containerd.image.name'];
    const refName = top.annotations?.['org.opencontainers.image.ref.name'];
    // docker names the image by containerd's annotation; a bare ref.name ("latest", what skopeo's
    // oci:DIR:TAG writes) is only a tag without a repository, so the image stays untagged
    if (full) tags.push(full);
    else if (refName && /[/:]/.test(refName)) tags.push(refName);
    found.push({ configFile: blob(manifest.config), layerFiles: manifest.layers.map(blob), tags: tags.map((t) => familiarString(parseReference(t))) });
  }
  return found;
}

/** Readable from a file path, or stdin for "-". */
export function openInput(file: string | undefined): Readable {
  if (file === undefined || file === '-') return process.stdin;
  if (!existsSync(file)) throw new EngineError(`open ${file}: no such file or directory`);
  return createReadStream(file);
}
