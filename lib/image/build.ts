// `docker build`, the classic builder: each Dockerfile instruction turns the current image into
// the next one. RUN runs a real container of the current image (the engine's own `run`, with no
// network) and commits its writable layer; COPY makes a layer from the build context; every
// other instruction changes only the config and leaves a history entry with empty_layer.
//
// The cache is the classic builder's: a step is skipped when an image already exists whose
// parent is the current image and whose last history entry is this step's (for COPY, the entry
// names a checksum of the copied files, so changed files miss the cache).
//
// Dockerfile reference; docker-build(1). Stage 6 notes, "minidock build".

import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, createReadStream, createWriteStream, existsSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, readlinkSync, readSync, rmSync } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import tar from 'tar-stream';
import { EngineError } from '../errors.js';
import type { Paths } from '../paths.js';
import { tmpDir } from './archive.js';
import { hexOf, type Digest } from './digest.js';
import { dockerignore, expand, keyValuePairs, parseDockerfile, type Instruction } from './dockerfile.js';
import { shellWords } from './words.js';
import { copyOut, mergedPath } from './image-files.js';
import { parseCopyFlags, resolveStageRef, splitStages, stagesToBuild, type BuildStage, type StagePlan } from './stages.js';
import { realSys } from '../sys/index.js';
import type { Sys } from '../sys/sys.js';
import { parseGroup, parsePasswd } from '../runtime/user.js';
import { decompressStages, detectCompression, MAGIC_LENGTH } from './compression.js';
import { DEFAULT_PATH, goArch, rfc3339 } from './import.js';
import { applyLayerTar } from './layer-tar.js';
import { pullImage } from './pull.js';
import { parseReference } from './reference.js';
import type { ImageConfig, ImageStore, RunConfig } from './store.js';

export interface BuildOptions {
  /** the build context directory */
  context: string;
  /** the Dockerfile's text */
  dockerfile: string;
  tags: string[];
  noCache?: boolean;
  /** --build-arg NAME=VALUE: values for the Dockerfile's ARGs */
  buildArgs?: Record<string, string>;
  /** --target: build up to this stage (by name) instead of the last one */
  target?: string;
  /** the engine to run RUN steps with (default: this checkout's bin/minidock) */
  engine?: string;
  log?: (line: string) => void;
}

interface Current {
  /** null for `FROM scratch` before any step */
  id: Digest | null;
  config: ImageConfig;
}

const here = path.dirname(fileURLToPath(import.meta.url));
const DEFAULT_ENGINE = path.resolve(here, '..', '..', '..', 'bin', 'minidock');

// #region build
export async function buildImage(p: Paths, store: ImageStore, opts: BuildOptions): Promise<Digest> {
  const log = opts.log ?? (() => {});
  for (const t of opts.tags) parseReference(t); // a bad name fails before any step runs
  if (!existsSync(opts.context)) throw new EngineError(`unable to prepare context: path ${JSON.stringify(opts.context)} not found`);
  const plan = splitStages(parseDockerfile(opts.dockerfile));
  // only the stages the target needs (the last stage by default) are built, as BuildKit does
  const chosen = stagesToBuild(plan, opts.target);
  const ignoreFile = path.join(opts.context, '.dockerignore');
  const b: Builder = {
    p,
    store,
    opts,
    log,
    ignored: dockerignore(existsSync(ignoreFile) ? readFileSync(ignoreFile, 'utf8') : ''),
    plan,
    built: new Map(),
    globalArgs: {},
    step: 0,
    steps: plan.globalArgs.length + chosen.reduce((n, s) => n + 1 + s.body.length, 0),
  };
  // ARGs before the first FROM are global: seen by every FROM line, and inside a stage only
  // where that stage declares them again (a bare `ARG NAME`)
  for (const ins of plan.globalArgs) {
    log(`Step ${++b.step}/${b.steps} : ${ins.original}`);
    b.globalArgs = declareArg(ins, b.globalArgs, {}, opts.buildArgs);
  }
  for (const stage of chosen) b.built.set(stage.index, await buildStage(b, stage));

  const id = b.built.get(chosen.at(-1)!.index)!.id;
  if (id === null) throw new EngineError('the build made no image: a FROM scratch with no step after it');
  for (const t of opts.tags) store.tag(id, t);
  log(`Successfully built ${hexOf(id).slice(0, 12)}`);
  for (const t of opts.tags) log(`Successfully tagged ${t.includes(':') ? t : `${t}:latest`}`);
  return id;
}
// #endregion

/** What a build carries from one stage to the next. */
interface Builder {
  p: Paths;
  store: ImageStore;
  opts: BuildOptions;
  log: (line: string) => void;
  ignored: (rel: string) => boolean;
  plan: StagePlan;
  /** the image each stage built so far ended with, by stage index */
  built: Map<number, Current>;
  globalArgs: Record<string, string>;
  step: number;
  steps: number;
}

/**
 * `ARG NAME[=default]`: its value in scope from here on — a --build-arg wins, then the default,
 * then (for a bare `ARG NAME` inside a stage) the global ARG of that name.
 */
function declareArg(ins: Instruction, args: Record<string, string>, globalArgs: Record<string, string>, buildArgs: Record<string, string> = {}): Record<string, string> {
  const [name, ...rest] = ins.args.split('=');
  const key = name.trim();
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) throw new EngineError(`dockerfile line ${ins.line}: invalid ARG name ${JSON.stringify(name)}`);
  const value = buildArgs[key] ?? (rest.length > 0 ? expand(rest.join('='), args).replace(/^"(.*)"$/, '$1') : globalArgs[key]);
  return value === undefined ? args : { ...args, [key]: value };
}

// #region build-stage
/** One stage: its FROM (an image, scratch, or an earlier stage's result), then each instruction. */
async function buildStage(b: Builder, stage: BuildStage): Promise<Current> {
  const { store, opts, log } = b;
  log(`Step ${++b.step}/${b.steps} : ${stage.from.original}`);
  const baseName = expand(stage.base, b.globalArgs);
  const baseStage = resolveStageRef(b.plan.stages, baseName, stage, stage.from.line);
  let cur: Current = baseStage ? b.built.get(baseStage.index)! : await from(b.p, store, baseName, stage.from.line, log);
  log(` ---> ${cur.id ? hexOf(cur.id).slice(0, 12) : 'scratch'}`);
  let args: Record<string, string> = {};
  let cmdSetHere = false;

  for (const raw of stage.body) {
    const started = Date.now();
    log(`Step ${++b.step}/${b.steps} : ${raw.original}`);
    if (raw.keyword === 'ARG') args = declareArg(raw, args, b.globalArgs, opts.buildArgs);
    const base: Current = cur;
    // $NAME in the arguments: the image's Env wins over ARGs; the shell expands RUN/CMD/ENTRYPOINT
    const ins = SHELL_EXPANDS.has(raw.keyword) ? raw : expandInstruction(raw, { ...args, ...envMap(base.config.config?.Env ?? []) });
    let createdBy: string;
    let copyTar: string | null = null;
    let work: string | null = null;
    try {
      if (ins.keyword === 'COPY' || ins.keyword === 'ADD') {
        work = tmpDir(b.p, 'build');
        const copy = await prepareCopy(b, stage, base, ins, work);
        copyTar = copy.file;
        createdBy = `/bin/sh -c #(nop) ${ins.keyword} ${copy.chown ? `--chown=${copy.chown} ` : ''}${copy.checksum} in ${copy.dest} `;
      } else if (ins.keyword === 'RUN') {
        // the ARG values are part of the step (docker's "|N K=V …" prefix), so they key the cache
        const pairs = Object.entries(args).map(([k, v]) => `${k}=${v}`);
        createdBy = `${pairs.length > 0 ? `|${pairs.length} ${pairs.join(' ')} ` : ''}${ins.json ? ins.json.join(' ') : `/bin/sh -c ${ins.args}`}`;
      } else {
        createdBy = `/bin/sh -c #(nop)  ${ins.keyword} ${ins.args}`; // expanded: ARG values key the cache
      }

      // The cache: a child of the current image made by the same step.
      const hit = opts.noCache ? undefined : cached(store, base.id, createdBy);
      if (hit) {
        log(' ---> Using cache');
        cur = { id: hit, config: store.get(hit).config };
      } else if (ins.keyword === 'RUN') {
        cur = await runStep(store, base, ins, createdBy, opts.engine ?? DEFAULT_ENGINE, args);
      } else if (ins.keyword === 'COPY' || ins.keyword === 'ADD') {
        cur = await copyStep(store, base, copyTar!, createdBy);
      } else {
        const config = configStep(base.config, ins, cmdSetHere);
        cur = commitConfig(store, base, config, createdBy, true);
      }
    } finally {
      if (work) rmSync(work, { recursive: true, force: true });
    }
    if (ins.keyword === 'CMD') cmdSetHere = true;
    log(` ---> ${hexOf(cur.id!).slice(0, 12)} (${((Date.now() - started) / 1000).toFixed(1)}s)`);
  }
  return cur;
}
// #endregion

/** Instructions whose arguments the shell expands at run time, not the builder. */
const SHELL_EXPANDS = new Set(['RUN', 'CMD', 'ENTRYPOINT']);

function expandInstruction(ins: Instruction, vars: Record<string, string>): Instruction {
  return { ...ins, args: expand(ins.args, vars), json: ins.json?.map((a) => expand(a, vars)) };
}

/** ["K=v", …] → {K: "v"} */
function envMap(env: readonly string[]): Record<string, string> {
  return Object.fromEntries(env.map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));
}

/** FROM (or COPY --from) an image: pulled first when the store lacks it (as docker build does). */
async function from(p: Paths, store: ImageStore, name: string, line: number, log: (line: string) => void, what = 'FROM'): Promise<Current> {
  if (name === 'scratch') {
    return { id: null, config: { architecture: goArch(), os: 'linux', config: { Env: [DEFAULT_PATH] }, rootfs: { type: 'layers', diff_ids: [] }, history: [] } };
  }
  try {
    if (!store.has(name)) await pullImage(p, store, name, log);
    const img = store.resolve(name);
    return { id: img.id, config: img.config };
  } catch (err) {
    throw new EngineError(`dockerfile line ${line}: ${what} ${name}: ${(err as Error).message}`);
  }
}

// #region build-cache
/**
 * The image whose parent is `parent` and whose last history entry is `createdBy`, if any. After
 * `FROM scratch` there is no parent: then the image must also be the first step of its own
 * history (a pulled image has no parent either, but a longer history).
 */
function cached(store: ImageStore, parent: Digest | null, createdBy: string): Digest | undefined {
  for (const id of store.images.ids()) {
    if (store.parentOf(id) !== parent) continue;
    const history = store.get(id).config.history ?? [];
    if (parent === null && history.length !== 1) continue;
    if (history.at(-1)?.created_by === createdBy) return id;
  }
  return undefined;
}
// #endregion

/** Store a new config as the next image: its history grows by one, its parent is the base. */
function commitConfig(store: ImageStore, base: Current, config: ImageConfig, createdBy: string, emptyLayer: boolean): Current {
  const created = rfc3339(new Date());
  const next: ImageConfig = {
    ...config,
    created,
    history: [...(config.history ?? []), { created, created_by: createdBy, ...(emptyLayer ? { empty_layer: true } : {}) }],
  };
  const id = store.addImage(next);
  if (base.id) store.setParent(id, base.id);
  return { id, config: store.get(id).config };
}

// #region config-step
/** ENV, WORKDIR, CMD, ENTRYPOINT, LABEL, EXPOSE, USER: a new config, no layer. */
function configStep(config: ImageConfig, ins: Instruction, cmdSetHere: boolean): ImageConfig {
  const run: RunConfig = { ...config.config, Env: [...(config.config?.Env ?? [])] };
  const command = () => ins.json ?? ['/bin/sh', '-c', ins.args];
  switch (ins.keyword) {
    case 'ENV':
      for (const [k, v] of keyValuePairs(ins.args, ins.line)) {
        const i = run.Env!.findIndex((e) => e.startsWith(`${k}=`));
        if (i >= 0) run.Env![i] = `${k}=${v}`;
        else run.Env!.push(`${k}=${v}`);
      }
      break;
    case 'WORKDIR':
      run.WorkingDir = path.posix.resolve(run.WorkingDir || '/', ins.args);
      break;
    case 'CMD':
      run.Cmd = command();
      break;
    case 'ENTRYPOINT':
      run.Entrypoint = command();
      // docker's rule: an ENTRYPOINT resets a CMD inherited from the base image
      if (!cmdSetHere) run.Cmd = null;
      break;
    case 'LABEL':
      run.Labels = { ...run.Labels, ...Object.fromEntries(keyValuePairs(ins.args, ins.line)) };
      break;
    case 'EXPOSE':
      run.ExposedPorts = { ...run.ExposedPorts };
      for (const port of shellWords(ins.args)) {
        if (!/^\d+(\/(tcp|udp|sctp))?$/.test(port)) throw new EngineError(`dockerfile line ${ins.line}: invalid port ${JSON.stringify(port)}`);
        run.ExposedPorts[port.includes('/') ? port : `${port}/tcp`] = {};
      }
      break;
    case 'USER':
      run.User = ins.args;
      break;
    case 'ARG':
      break; // a history entry only: the value lives in the builder, not in the image
    default:
      throw new EngineError(`dockerfile line ${ins.line}: ${ins.keyword} is not supported`);
  }
  return { ...config, config: run };
}
// #endregion

// #region run-step
/**
 * RUN: the engine's own `run` (no network, the step's Env and WorkingDir, the shell as the
 * entrypoint so the image's ENTRYPOINT does not wrap it), then `commit` of that container; the
 * committed layer goes under a config of ours (commit would keep the RUN command as Cmd).
 */
async function runStep(store: ImageStore, base: Current, ins: Instruction, createdBy: string, engine: string, buildArgs: Record<string, string>): Promise<Current> {
  if (base.id === null) throw new EngineError(`dockerfile line ${ins.line}: RUN needs a base image with a shell, not scratch`);
  const name = `minidock-build-${randomBytes(6).toString('hex')}`;
  const rc = base.config.config ?? {};
  const [entry, ...args] = ins.json ?? ['/bin/sh', '-c', ins.args];
  const flags = ['run', '--name', name, '--network', 'none', '--entrypoint', entry];
  // ARGs are in the environment of RUN only, under the image's Env (which wins)
  const env = { ...buildArgs, ...envMap(rc.Env ?? []) };
  for (const [k, v] of Object.entries(env)) flags.push('-e', `${k}=${v}`);
  if (rc.WorkingDir) flags.push('-w', rc.WorkingDir);
  const run = spawnSync(engine, [...flags, base.id, ...args], { stdio: ['ignore', 'inherit', 'inherit'] });
  try {
    if (run.status !== 0) throw new EngineError(`dockerfile line ${ins.line}: the command '${[entry, ...args].join(' ')}' returned a non-zero code: ${run.status ?? 'killed'}`);
    const commit = spawnSync(engine, ['commit', name], { encoding: 'utf8' });
    if (commit.status !== 0) throw new EngineError(`dockerfile line ${ins.line}: commit of the RUN container failed: ${commit.stderr.trim()}`);
    const committed = store.get(commit.stdout.trim() as Digest);
    const diffIds = committed.config.rootfs.diff_ids;
    const emptyLayer = diffIds.length === base.config.rootfs.diff_ids.length;
    const next = commitConfig(store, base, { ...base.config, rootfs: { type: 'layers', diff_ids: diffIds } }, createdBy, emptyLayer);
    spawnSync(engine, ['rmi', '--no-prune', committed.id], { stdio: 'ignore' }); // its layers stay: ours uses them
    return next;
  } finally {
    spawnSync(engine, ['rm', '-f', name], { stdio: 'ignore' });
  }
}
// #endregion

// #region copy-from
/**
 * COPY and ADD before their tar is packed: the flags read, `--chown` turned into numbers (names
 * looked up in the base image's /etc/passwd and /etc/group), and for `COPY --from` the sources
 * copied out of that stage's (or image's) layers into `work`, which then serves as the context.
 * The tar's checksum covers what is copied, so a changed artifact in the builder stage misses the
 * cache of this step even though the instruction's text is the same.
 */
async function prepareCopy(b: Builder, stage: BuildStage, base: Current, ins: Instruction, work: string): Promise<{ file: string; checksum: string; dest: string; chown?: string }> {
  const flags = parseCopyFlags(ins);
  if (flags.words.length < 2) throw new EngineError(`dockerfile line ${ins.line}: ${ins.keyword} requires at least two arguments`);
  const sources = flags.words.slice(0, -1);
  const dest = flags.words.at(-1)!;
  const sys = await realSys();
  const owner = flags.chown === undefined ? undefined : resolveChown(flags.chown, base.id ? b.store.layerDirsTopDown(b.store.get(base.id)) : [], ins.line, sys);
  const workdir = base.config.config?.WorkingDir || '/';
  const into = { keyword: ins.keyword, line: ins.line, dest, workdir, owner };
  if (flags.from === undefined) return { ...(await copyLayerTar(b.opts.context, sources, into, work, b.ignored)), chown: owner && `${owner.uid}:${owner.gid}` };

  // --from: an earlier stage, or any image (pulled if need be)
  const fromStage = resolveStageRef(b.plan.stages, flags.from, stage, ins.line);
  const source = fromStage ? b.built.get(fromStage.index)! : await from(b.p, b.store, flags.from, ins.line, b.log, 'COPY --from');
  const layers = source.id ? b.store.layerDirsTopDown(b.store.get(source.id)) : [];
  const context = path.join(work, 'from');
  mkdirSync(context);
  const copied = sources.map((src, i) => {
    // a source is a path in that image; relative ones start at its root, as docker reads them
    const rel = path.posix.resolve('/', src).slice(1);
    const local = path.join(String(i), path.posix.basename(rel) || 'root');
    mkdirSync(path.join(context, String(i)));
    if (!copyOut(layers, rel, path.join(context, local), sys)) throw new EngineError(`dockerfile line ${ins.line}: COPY --from=${flags.from} failed: ${src}: no such file or directory in that ${fromStage ? 'stage' : 'image'}`);
    return local;
  });
  return { ...(await copyLayerTar(context, copied, into, work, () => false)), chown: owner && `${owner.uid}:${owner.gid}` };
}

/** `--chown=USER[:GROUP]`: numbers as they are, names from the image's /etc/passwd and /etc/group. */
function resolveChown(spec: string, layersTopDown: readonly string[], line: number, sys: Sys): { uid: number; gid: number } {
  const [user, group] = spec.split(':');
  const isNumber = (value: string) => /^\d+$/.test(value);
  const read = (file: string): string => {
    const found = mergedPath(layersTopDown, file, sys);
    return found.length === 1 ? readFileSync(found[0], 'utf8') : '';
  };
  const find = <T extends { name: string }>(entries: T[], name: string, what: string, file: string): T => {
    const entry = entries.find((e) => e.name === name);
    if (!entry) throw new EngineError(`dockerfile line ${line}: --chown=${spec}: unable to find ${what} ${name}: no matching entries in ${file}`);
    return entry;
  };
  const named = isNumber(user) ? undefined : find(parsePasswd(read('etc/passwd')), user, 'user', 'etc/passwd');
  const uid = named ? named.uid : Number(user);
  if (group === undefined) return { uid, gid: named ? named.gid : uid }; // the user's primary group; a numeric user alone keeps its number
  const gid = isNumber(group) ? Number(group) : find(parseGroup(read('etc/group')), group, 'group', 'etc/group').gid;
  return { uid, gid };
}
// #endregion

// #region copy-sources
/** Where and how a COPY or ADD puts what it copies. */
interface CopyInto {
  keyword: string;
  line: number;
  /** the destination as written (relative ones start at the WORKDIR) */
  dest: string;
  workdir: string;
  /** --chown, as numbers; root otherwise */
  owner?: { uid: number; gid: number };
}

/**
 * COPY SRC... DEST: the sources (files or directories of the context, never outside it) packed as
 * a tar at DEST, owned by root (or --chown's owner). The checksum covers names, modes, owners and
 * contents, not times, so an unchanged file hits the cache.
 */
async function copyLayerTar(context: string, sources: readonly string[], into: CopyInto, work: string, ignored: (rel: string) => boolean): Promise<{ file: string; checksum: string; dest: string }> {
  const what = into.keyword;
  const ins = { line: into.line };
  if (sources.some((w) => /^https?:\/\//.test(w))) throw new EngineError(`dockerfile line ${ins.line}: ${what} from a URL is not supported (the builder has no network)`);
  const rawDest = into.dest;
  const dest = path.posix.resolve(into.workdir, rawDest);
  const intoDir = rawDest.endsWith('/') || sources.length > 1;
  const { uid, gid } = into.owner ?? { uid: 0, gid: 0 };
  const root = path.resolve(context);
  // every source is checked before anything is written
  const resolved = sources.map((s) => {
    const src = path.resolve(root, s);
    if (src !== root && !src.startsWith(root + path.sep)) throw new EngineError(`dockerfile line ${ins.line}: ${what} failed: forbidden path outside the build context: ${s}`);
    if (!existsSync(src) || (src !== root && ignored(path.relative(root, src)))) throw new EngineError(`dockerfile line ${ins.line}: ${what} failed: file not found in build context: ${s}`);
    return src;
  });
  const hash = createHash('sha256');
  const pack = tar.pack();
  const file = path.join(work, 'copy.tar');
  const writing = pipeline(pack as unknown as NodeJS.ReadableStream, createWriteStream(file));
  // #endregion

  // #region copy-entries
  const dirs = new Set<string>();
  const ensureDir = (d: string) => {
    const parts = d.split('/').filter(Boolean);
    for (let i = 1; i <= parts.length; i++) {
      const name = parts.slice(0, i).join('/');
      if (!dirs.has(name)) {
        dirs.add(name);
        pack.entry({ name: `${name}/`, type: 'directory', mode: 0o755, mtime: new Date(0), uid, gid });
      }
    }
  };
  const add = async (src: string, target: string): Promise<void> => {
    if (src !== root && ignored(path.relative(root, src))) return; // .dockerignore
    const st = lstatSync(src);
    const name = target.replace(/^\/+/, '');
    hash.update(`${name}\0${st.mode}\0${uid}:${gid}\0`);
    if (st.isDirectory()) {
      ensureDir(name);
      for (const child of readdirSync(src).sort()) await add(path.join(src, child), `${target}/${child}`);
    } else if (st.isSymbolicLink()) {
      const link = readlinkSync(src);
      hash.update(link);
      pack.entry({ name, type: 'symlink', linkname: link, mode: st.mode & 0o7777, mtime: st.mtime, uid, gid });
    } else if (st.isFile() && what === 'ADD' && (await isArchive(src))) {
      hash.update(readFileSync(src));
      await addArchive(src);
    } else if (st.isFile()) {
      hash.update(readFileSync(src));
      const entry = pack.entry({ name, size: st.size, mode: st.mode & 0o7777, mtime: st.mtime, uid, gid });
      await pipeline(createReadStream(src), entry as unknown as NodeJS.WritableStream);
    }
  };
  // ADD of a local tar (plain or compressed): its entries, unpacked at DEST, instead of the file
  const addArchive = async (src: string): Promise<void> => {
    const destDir = dest.replace(/^\/+/, '');
    ensureDir(destDir);
    const extract = tar.extract();
    const feeding = pipeline([...(await decompressStages(createReadStream(src))), extract] as unknown as [NodeJS.ReadableStream, NodeJS.WritableStream]);
    feeding.catch(() => {});
    const under = (n: string) => {
      const parts = n.split('/').filter((c) => c !== '' && c !== '.');
      if (parts.includes('..')) throw new EngineError(`dockerfile line ${ins.line}: ADD: ${src} has an entry ${JSON.stringify(n)} that leaves its directory`);
      return [destDir, ...parts].filter(Boolean).join('/');
    };
    for await (const entry of extract) {
      const h = entry.header;
      const name = under(h.name);
      if (h.type === 'directory') dirs.add(name);
      const header = { ...h, name: h.type === 'directory' ? `${name}/` : name, ...(into.owner ? { uid, gid } : {}), ...(h.type === 'link' && h.linkname ? { linkname: under(h.linkname) } : {}) };
      await pipeline(entry as unknown as NodeJS.ReadableStream, pack.entry(header) as unknown as NodeJS.WritableStream);
    }
    await feeding;
  };
  // #endregion

  // #region copy-layer
  try {
    for (const src of resolved) {
      const isDir = lstatSync(src).isDirectory();
      const archive = !isDir && what === 'ADD' && (await isArchive(src));
      const target = isDir || archive ? dest : intoDir ? `${dest}/${path.basename(src)}` : dest;
      ensureDir(path.posix.dirname(target).replace(/^\/+/, ''));
      await add(src, target);
    }
    pack.finalize();
  } catch (err) {
    pack.destroy(err as Error);
    await writing.catch(() => {});
    throw err;
  }
  await writing;
  return { file, checksum: `${sources.length > 1 ? 'multi' : 'file'}:${hash.digest('hex')}`, dest };
}

/** ADD unpacks a local file whose content is a tar (plain or compressed), as docker does. */
async function isArchive(file: string): Promise<boolean> {
  const head = Buffer.alloc(512);
  const fd = openSync(file, 'r');
  let n: number;
  try {
    n = readSync(fd, head, 0, 512, 0);
  } finally {
    closeSync(fd);
  }
  if (detectCompression(head.subarray(0, MAGIC_LENGTH)) !== 'none') return true;
  return n >= 262 && head.subarray(257, 262).toString('ascii') === 'ustar';
}

async function copyStep(store: ImageStore, base: Current, file: string, createdBy: string): Promise<Current> {
  const img = base.id ? store.get(base.id) : null;
  const parent = img && img.layers.length > 0 ? img.layers[img.layers.length - 1] : null;
  const layer = await store.createLayer(parent, (dir) => applyLayerTar(createReadStream(file), dir));
  return commitConfig(store, base, { ...base.config, rootfs: { type: 'layers', diff_ids: [...base.config.rootfs.diff_ids, layer.diffId] } }, createdBy, false);
}
// #endregion
