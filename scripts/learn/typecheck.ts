// learn:verify, part (b): for each stage N, the tree with the stubs of stages ≥ N typechecks.
//
// The cheap way: the TypeScript compiler API with an in-memory overlay over the real files — the
// stubbed files are strings, every other file is read from the repository — one Program per stage
// (noEmit). Each is a "semantic diagnostics builder program", the one `tsc --watch` uses: it
// re-checks only the files that changed since the previous stage's program and the files whose
// imports' types changed, and reuses the rest. No tree is copied and no tsc runs eight times.

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { stubFile, type Region } from './regions.js';
import { engineSources, loadExercises, todoImportFrom, whereTaught } from './tree.js';

/** The stubbed text of each file that has a region for which stub(region) is true, by absolute path. */
export function stubOverlay(repo: string, stub: (r: Region) => boolean): Map<string, string> {
  const stages = loadExercises(repo);
  const overlay = new Map<string, string>();
  for (const file of engineSources(repo)) {
    const text = readFileSync(path.join(repo, file), 'utf8');
    if (!text.includes('#region exercise')) continue;
    const out = stubFile(text, stub, (id) => whereTaught(stages, id), todoImportFrom(file), file);
    if (out.stubbed.length > 0) overlay.set(path.join(repo, file), out.text);
  }
  return overlay;
}

export interface Typechecker {
  /** tsc's messages for the repository with these files' texts replaced (empty: it compiles) */
  check(overlay: Map<string, string>): string[];
}

/** A typechecker for the project of repo/tsconfig.json that keeps parsed files between checks. */
export function typechecker(repo: string): Typechecker {
  const configFile = path.join(repo, 'tsconfig.json');
  const config = ts.readConfigFile(configFile, ts.sys.readFile);
  if (config.error) throw new Error(ts.flattenDiagnosticMessageText(config.error.messageText, '\n'));
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, repo);
  const options = { ...parsed.options, noEmit: true, incremental: false };
  const cache = new Map<string, { text: string; sf: ts.SourceFile }>();
  let previous: ts.SemanticDiagnosticsBuilderProgram | undefined;
  const format: ts.FormatDiagnosticsHost = { getCanonicalFileName: (f) => f, getCurrentDirectory: () => repo, getNewLine: () => '\n' };
  return {
    check(overlay) {
      const host = ts.createCompilerHost(options);
      const readFile = host.readFile.bind(host);
      host.readFile = (f) => overlay.get(path.resolve(f)) ?? readFile(f);
      host.getSourceFile = (fileName, lang) => {
        const text = host.readFile(fileName);
        if (text === undefined) return undefined;
        const hit = cache.get(fileName);
        if (hit && hit.text === text) return hit.sf;
        const sf = ts.createSourceFile(fileName, text, lang, true);
        // the builder program tells a changed file by its version
        (sf as ts.SourceFile & { version: string }).version = createHash('sha1').update(text).digest('hex');
        cache.set(fileName, { text, sf });
        return sf;
      };
      const program = ts.createSemanticDiagnosticsBuilderProgram(parsed.fileNames, options, host, previous);
      previous = program;
      const diags = [...program.getConfigFileParsingDiagnostics(), ...program.getOptionsDiagnostics(), ...program.getGlobalDiagnostics(), ...program.getSyntacticDiagnostics(), ...program.getSemanticDiagnostics()];
      return diags.length ? ts.formatDiagnostics(diags, format).trim().split('\n') : [];
    },
  };
}

export interface StageTypecheck {
  stage: number;
  stubbed: number;
  errors: string[];
  ms: number;
}

/** For each stage that has exercises, typecheck the tree with the stubs of stages ≥ N. */
export function typecheckStages(repo: string, stages: number[]): StageTypecheck[] {
  const tc = typechecker(repo);
  return stages.map((n) => {
    const start = Date.now();
    const overlay = stubOverlay(repo, (r) => r.stage >= n);
    const errors = tc.check(overlay);
    return { stage: n, stubbed: overlay.size, errors, ms: Date.now() - start };
  });
}
