// `docker import`: a root filesystem tarball becomes a one-layer image.
//
// The tarball is unpacked as the image's only layer (its DiffID is measured on the way), then an
// image config is written that lists that DiffID and carries the run defaults (Env, Cmd, …) that
// `--change` asks for. docker-import(1); OCI image spec "config.md". Stage 6 notes, "docker import".

import path from 'node:path';
import type { Readable } from 'node:stream';
import { EngineError } from '../errors.js';
import { shellWords } from './words.js';
import type { Digest } from './digest.js';
import { applyLayerTar } from './layer-tar.js';
import { parseReference } from './reference.js';
import type { ImageConfig, ImageStore, RunConfig } from './store.js';

/** The PATH every image gets unless a change says otherwise (the same as docker's default). */
export const DEFAULT_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface ImportOptions {
  /** Dockerfile instructions to apply to the config: `CMD ["sh"]`, `ENV A=b`, `WORKDIR /app` */
  changes?: readonly string[];
  /** the history comment (`-m`); default "Imported from <source>" */
  message?: string;
  /** REPOSITORY[:TAG] to name the new image; none leaves it untagged (<none>:<none>) */
  reference?: string;
  /** the creation time; default now (busybox.ts fixes it to make a reproducible image) */
  created?: Date;
  /** where the tarball came from, for the default comment: a path, or "-" for stdin */
  sourceName?: string;
}

// #region import
/** Import a rootfs tarball (plain or gzip) as a new image; returns its ID. */
export async function importImage(store: ImageStore, tarball: Readable | Buffer, opts: ImportOptions = {}): Promise<Digest> {
  // Everything that can be wrong with the request is checked before the disk is touched.
  const tags = opts.reference ? [opts.reference] : [];
  for (const t of tags) parseReference(t);
  const runConfig = applyChanges({ Env: [DEFAULT_PATH] }, opts.changes ?? []);

  // 1. The tarball becomes the bottom (and only) layer.
  const layer = await store.createLayer(null, (diffDir) => applyLayerTar(tarball, diffDir));

  // 2. The config names that layer by DiffID. Keys are written in one fixed order, so the same
  //    inputs give the same bytes, and so the same image ID.
  const created = rfc3339(opts.created ?? new Date());
  const comment = opts.message || `Imported from ${opts.sourceName ?? '-'}`;
  const config: ImageConfig = {
    architecture: goArch(),
    comment,
    config: runConfig,
    created,
    history: [{ created, created_by: 'minidock import', comment }],
    os: 'linux',
    rootfs: { type: 'layers', diff_ids: [layer.diffId] },
  };

  // 3. Store the config (its sha256 is the image ID) and the name.
  return store.addImage(config, tags);
}
// #endregion

/** Node's process.arch in Go's spelling, which is what image configs use (GOARCH). */
export function goArch(nodeArch: string = process.arch): string {
  const names: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };
  return names[nodeArch] ?? nodeArch;
}

/** RFC 3339 in UTC, without the ".000" when there are no milliseconds: 1970-01-01T00:00:00Z. */
export function rfc3339(date: Date): string {
  return date.toISOString().replace('.000Z', 'Z');
}

// #region import-changes
/**
 * Apply `--change` instructions, a subset of the Dockerfile: CMD and ENTRYPOINT (JSON or shell
 * form), ENV, WORKDIR, USER, LABEL. Returns a new config with its keys in one fixed order.
 */
export function applyChanges(base: RunConfig, changes: readonly string[]): RunConfig {
  const config: RunConfig = { ...base, Env: [...(base.Env ?? [])] };
  for (const change of changes) {
    const m = /^\s*([A-Za-z]+)\s+(\S[\s\S]*?)\s*$/.exec(change);
    if (!m) throw new EngineError(`invalid change ${JSON.stringify(change)}: want INSTRUCTION ARGUMENTS`);
    const [, instruction, args] = m;
    switch (instruction.toUpperCase()) {
      case 'CMD':
        config.Cmd = commandForm(args);
        break;
      case 'ENTRYPOINT':
        config.Entrypoint = commandForm(args);
        break;
      case 'ENV':
        for (const [key, value] of keyValues(args, change)) setEnv(config.Env!, key, value);
        break;
      case 'WORKDIR':
        // a relative WORKDIR is relative to the previous one, as in a Dockerfile
        config.WorkingDir = path.posix.resolve(config.WorkingDir || '/', args);
        break;
      case 'USER':
        config.User = args;
        break;
      case 'LABEL':
        config.Labels = { ...config.Labels, ...Object.fromEntries(keyValues(args, change)) };
        break;
      default:
        throw new EngineError(`unsupported change ${instruction}: minidock import knows CMD, ENTRYPOINT, ENV, LABEL, USER, WORKDIR`);
    }
  }
  const ordered: RunConfig = {};
  for (const key of ['User', 'Env', 'Entrypoint', 'Cmd', 'WorkingDir', 'Labels'] as const) {
    if (config[key] !== undefined) (ordered as Record<string, unknown>)[key] = config[key];
  }
  return ordered;
}

/**
 * CMD/ENTRYPOINT arguments: the exec form is a JSON array of strings (`["sh", "-c", "x"]`) and
 * runs as is; anything else is the shell form and runs through `/bin/sh -c`.
 */
function commandForm(args: string): string[] {
  if (args.startsWith('[')) {
    try {
      const parsed: unknown = JSON.parse(args);
      if (Array.isArray(parsed) && parsed.every((a) => typeof a === 'string')) return parsed as string[];
    } catch {
      // not JSON: docker falls back to the shell form too
    }
  }
  return ['/bin/sh', '-c', args];
}

/** ENV/LABEL arguments: `K=v K2="two words"`, or the old one-pair form `K value with spaces`. */
function keyValues(args: string, change: string): [string, string][] {
  let tokens: string[];
  try {
    tokens = shellWords(args);
  } catch (e) {
    throw new EngineError(`invalid change ${JSON.stringify(change)}: ${(e as Error).message}`);
  }
  if (!tokens[0].includes('=')) {
    const [key, ...rest] = args.split(/\s+/);
    if (rest.length === 0) throw new EngineError(`invalid change ${JSON.stringify(change)}: want KEY=VALUE or KEY VALUE`);
    return [[key, args.slice(key.length).trim()]];
  }
  return tokens.map((t) => {
    const eq = t.indexOf('=');
    if (eq <= 0) throw new EngineError(`invalid change ${JSON.stringify(change)}: ${JSON.stringify(t)} is not KEY=VALUE`);
    return [t.slice(0, eq), t.slice(eq + 1)];
  });
}


/** Set KEY=value in an Env list, replacing an earlier value of the same key. */
function setEnv(env: string[], key: string, value: string): void {
  const i = env.findIndex((e) => e.startsWith(`${key}=`));
  if (i >= 0) env[i] = `${key}=${value}`;
  else env.push(`${key}=${value}`);
}
// #endregion
