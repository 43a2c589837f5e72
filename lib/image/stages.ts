// The stages of a multi-stage Dockerfile: every FROM starts a stage, `FROM image AS name` names
// it, and a stage can use an earlier one as its base (`FROM name`) or copy files out of it
// (`COPY --from=name|index`). `--target NAME` builds up to that stage. Which stages must be built
// is a small graph problem: the target, and whatever it uses, transitively. The rest is skipped,
// as BuildKit does (the classic builder built every stage before the target).
//
// Dockerfile reference, "FROM", "COPY --from", "Understand how ARG and FROM interact"; Stage 6
// notes, "multi-stage builds".

import { EngineError } from '../errors.js';
import type { Instruction } from './dockerfile.js';
import { shellWords } from './words.js';

export interface BuildStage {
  /** 0-based, in file order: what `COPY --from=0` names */
  index: number;
  /** the `AS` name, lower case (stage names are case-insensitive), if any */
  name?: string;
  /** the FROM instruction itself */
  from: Instruction;
  /** the base as written (before ARG expansion): an image reference, `scratch`, or a stage name */
  base: string;
  /** the instructions after FROM, up to the next FROM */
  body: Instruction[];
}

export interface StagePlan {
  /** ARGs before the first FROM: global, usable in FROM lines */
  globalArgs: Instruction[];
  stages: BuildStage[];
}

// #region split-stages
/** Split a parsed Dockerfile into its global ARGs and its stages. */
export function splitStages(instructions: readonly Instruction[]): StagePlan {
  const plan: StagePlan = { globalArgs: [], stages: [] };
  for (const ins of instructions) {
    if (ins.keyword === 'FROM') {
      const { base, name } = parseFrom(ins);
      if (name !== undefined && plan.stages.some((s) => s.name === name)) {
        throw new EngineError(`dockerfile line ${ins.line}: duplicate stage name ${JSON.stringify(name)}`);
      }
      plan.stages.push({ index: plan.stages.length, name, from: ins, base, body: [] });
    } else if (plan.stages.length === 0) {
      plan.globalArgs.push(ins); // parseDockerfile let only ARGs come before the first FROM
    } else {
      plan.stages.at(-1)!.body.push(ins);
    }
  }
  return plan;
}
// #endregion

/** `FROM [--platform=P] base [AS name]`. */
export function parseFrom(ins: Instruction): { base: string; name?: string } {
  const words = shellWords(ins.args).filter((w) => !w.startsWith('--platform='));
  if (words.length === 1) return { base: words[0] };
  if (words.length === 3 && words[1].toLowerCase() === 'as') {
    const name = words[2].toLowerCase();
    if (!/^[a-z][a-z0-9._-]*$/.test(name)) throw new EngineError(`dockerfile line ${ins.line}: invalid stage name ${JSON.stringify(words[2])}: a letter, then letters, digits, '.', '_' or '-'`);
    return { base: words[0], name };
  }
  throw new EngineError(`dockerfile line ${ins.line}: FROM wants "image" or "image AS name", not ${JSON.stringify(ins.args)}`);
}

/** COPY's flags (`--from=…`, `--chown=…`) and the words after them. */
export interface CopyFlags {
  from?: string;
  chown?: string;
  words: string[];
}

// #region copy-flags
export function parseCopyFlags(ins: Instruction): CopyFlags {
  // the flags come first, then the sources and the destination in the shell or the exec form
  const m = /^((?:--\S+\s+)*)([\s\S]*)$/.exec(ins.args)!;
  const rest = m[2];
  let words: string[] | undefined = m[1] === '' ? ins.json : undefined;
  if (words === undefined && rest.startsWith('[')) {
    try {
      const parsed: unknown = JSON.parse(rest);
      if (Array.isArray(parsed) && parsed.every((a) => typeof a === 'string')) words = parsed as string[];
    } catch {
      // the shell form, as for any instruction
    }
  }
  const out: CopyFlags = { words: words ?? shellWords(rest) };
  for (const flag of shellWords(m[1])) {
    const eq = flag.indexOf('=');
    const key = eq < 0 ? flag.slice(2) : flag.slice(2, eq);
    const value = eq < 0 ? '' : flag.slice(eq + 1);
    if (key === 'from' && ins.keyword === 'COPY' && value !== '') out.from = value;
    else if (key === 'chown' && value !== '') out.chown = value;
    else throw new EngineError(`dockerfile line ${ins.line}: ${ins.keyword} flag ${flag} is not supported (minidock knows --chown=USER[:GROUP]${ins.keyword === 'COPY' ? ' and --from=STAGE|IMAGE' : ''})`);
  }
  return out;
}
// #endregion

/**
 * What a `--from=` (or a `FROM` base) names: an earlier stage by name or by index, or else an
 * image reference. A stage can only use stages before it.
 */
export function resolveStageRef(stages: readonly BuildStage[], ref: string, user: BuildStage, line: number): BuildStage | null {
  const byIndex = /^\d+$/.test(ref) ? stages[Number(ref)] : undefined;
  const found = byIndex ?? stages.find((s) => s.name === ref.toLowerCase());
  if (!found) {
    if (/^\d+$/.test(ref)) throw new EngineError(`dockerfile line ${line}: stage ${ref} does not exist (this Dockerfile has ${stages.length})`);
    return null;
  }
  if (found.index >= user.index) throw new EngineError(`dockerfile line ${line}: stage ${JSON.stringify(ref)} is not before this one: a stage can only use earlier stages`);
  return found;
}

// #region stages-to-build
/**
 * The stages `target` needs, in file order: itself, its base when that is a stage, and every
 * stage it copies from, transitively. `target` is a stage name, or undefined for the last stage.
 */
export function stagesToBuild(plan: StagePlan, target?: string): BuildStage[] {
  if (plan.stages.length === 0) throw new EngineError('the dockerfile has no FROM');
  const last = target === undefined ? plan.stages.at(-1)! : plan.stages.find((s) => s.name === target.toLowerCase());
  if (!last) throw new EngineError(`target stage ${JSON.stringify(target)} could not be found`);
  const needed = new Set<number>();
  const visit = (s: BuildStage) => {
    if (needed.has(s.index)) return;
    needed.add(s.index);
    for (const dep of usedStages(plan.stages, s)) visit(dep);
  };
  visit(last);
  return plan.stages.filter((s) => needed.has(s.index));
}
// #endregion

/** The earlier stages one stage uses: its base, and the sources of its `COPY --from`. */
export function usedStages(stages: readonly BuildStage[], s: BuildStage): BuildStage[] {
  const out: BuildStage[] = [];
  const base = resolveStageRef(stages, s.base, s, s.from.line);
  if (base) out.push(base);
  for (const ins of s.body) {
    if (ins.keyword !== 'COPY') continue;
    const from = parseCopyFlags(ins).from;
    const dep = from === undefined ? null : resolveStageRef(stages, from, s, ins.line);
    if (dep) out.push(dep);
  }
  return out;
}
