// The learner's tree: a working copy of the engine in which the exercises of chosen stages are
// stubs. `npm run learn -- start N` makes one at learn/ (stages ≥ N stubbed, everything below N
// solved); learn:verify makes one per stage in a temporary directory. Same files as the
// repository (lib, checks, scripts, docs, bin, stages), node_modules linked, its own dist/.

import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { findRegions, stubFile, type Region } from './regions.js';

/** What a stage's manifest.json says about one exercise. */
export interface Exercise {
  id: string;
  title: string;
  /** the file that holds its region, relative to the repository */
  file: string;
  /** the section of the stage's notes that teaches it */
  section: string;
  /** names of the stage's checks that grade it (exactly as in checks/stage-N.ts) */
  checks: string[];
  /** the hint ladder: the notes, then the calls and files, then pseudo code */
  hints: string[];
  /** its code runs only on a host with this cgroup version (stage 2's v1 and v2 twins) */
  cgroup?: 1 | 2;
}

export interface StageExercises {
  n: number;
  dir: string;
  exercises: Exercise[];
}

/** Every stage's exercises, from stages/NN-topic/manifest.json. */
export function loadExercises(repo: string): StageExercises[] {
  const stagesDir = path.join(repo, 'stages');
  return readdirSync(stagesDir)
    .filter((d) => existsSync(path.join(stagesDir, d, 'manifest.json')))
    .sort()
    .map((d) => {
      const m = JSON.parse(readFileSync(path.join(stagesDir, d, 'manifest.json'), 'utf8')) as { n: number; exercises?: Exercise[] };
      return { n: m.n, dir: `stages/${d}`, exercises: m.exercises ?? [] };
    });
}

/** Where the notes teach an exercise: todo()'s message points the learner there. */
export function whereTaught(stages: StageExercises[], id: string): string {
  for (const s of stages) {
    const e = s.exercises.find((x) => x.id === id);
    if (e) return `${s.dir}/README.md, "${e.section}"`;
  }
  return 'no manifest lists it';
}

/** Every .ts file under lib/ (tests excluded), relative to the repository. */
export function engineSources(repo: string, dir = 'lib'): string[] {
  return readdirSync(path.join(repo, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = `${dir}/${e.name}`;
    if (e.isDirectory()) return engineSources(repo, rel);
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? [rel] : [];
  });
}

/** Every exercise region in lib/, with its file. */
export function allRegions(repo: string): (Region & { file: string })[] {
  return engineSources(repo).flatMap((file) => findRegions(readFileSync(path.join(repo, file), 'utf8'), file).map((r) => ({ ...r, file })));
}

/** The module specifier of lib/todo.js as seen from `file` (both relative to the repository). */
export function todoImportFrom(file: string): string {
  const rel = path.posix.relative(path.posix.dirname(file), 'lib/todo.js');
  return rel.startsWith('.') ? rel : `./${rel}`;
}

const COPIED = ['lib', 'checks', 'scripts', 'docs', 'bin', 'stages', 'package.json', 'tsconfig.json'];

/**
 * Copy the repository to `dest` with the regions for which `stub(region)` is true stubbed.
 * Returns the ids stubbed. `dest` is replaced whole.
 */
export function makeTree(repo: string, dest: string, stub: (r: Region) => boolean): string[] {
  rmSync(dest, { recursive: true, force: true });
  for (const item of COPIED) cpSync(path.join(repo, item), path.join(dest, item), { recursive: true });
  // learn/ sits inside the repository, where Node and tsc find ../node_modules anyway; the link
  // is for trees elsewhere (learn:verify's). A VirtualBox share from a Windows host refuses links.
  try {
    symlinkSync(path.join(repo, 'node_modules'), path.join(dest, 'node_modules'));
  } catch (e) {
    if (path.dirname(path.resolve(dest)) !== path.resolve(repo)) throw e;
  }
  const stages = loadExercises(repo);
  const stubbed: string[] = [];
  for (const file of engineSources(repo)) {
    const text = readFileSync(path.join(repo, file), 'utf8');
    const out = stubFile(text, stub, (id) => whereTaught(stages, id), todoImportFrom(file), file);
    if (out.stubbed.length === 0) continue;
    writeFileSync(path.join(dest, file), out.text);
    stubbed.push(...out.stubbed);
  }
  return stubbed;
}

/** Compile a tree (its own dist/). Throws with tsc's output when it does not compile. */
export function buildTree(dest: string): void {
  // the tree's own link to node_modules, or (learn/ on a share that refused the link) ours
  const linked = path.join(dest, 'node_modules', 'typescript', 'bin', 'tsc');
  const tsc = existsSync(linked) ? linked : createRequire(import.meta.url).resolve('typescript/bin/tsc');
  try {
    execFileSync(process.execPath, [tsc, '-p', path.join(dest, 'tsconfig.json')], { cwd: dest, stdio: 'pipe' });
  } catch (e) {
    const out = (e as { stdout?: Buffer }).stdout?.toString() ?? String(e);
    throw new Error(`the tree at ${dest} does not compile:\n${out}`);
  }
}
