// Exercise regions: how one marked tree is both the finished engine and the learner's skeleton.
//
// In lib/, the code a learner writes for a stage sits between two marker lines:
//
//     // #region exercise 3.lowerdir
//     //> const lower: string[] = [];        ← a starter line: a comment here, code in the stub
//     const lower = layers.map(…);            ← the reference solution
//     // #endregion
//
// stubRegion() keeps the markers (so a solution can be put back, and the learner sees where to
// write), turns the `//>` starter lines into code, and ends with todo('<id>', '<where>'), which
// returns `never`: every stub compiles. A region holds whole statements of one function body and
// must not declare anything used after it (the stubbed tree's typecheck proves that).
// Where the region ends its block, the stub is `todo(…);`: the block's end is unreachable, so a
// function that returns a value still compiles. Where code follows it, the stub is
// `void todo(…);` — it throws just the same, but TypeScript does not take the code after it for
// unreachable (in unreachable code every narrowed variable has type `never`, and `sys.fcntl(…)`
// after a bare todo() would not compile).
// Plain text, line by line, like docs/anchors.ts: no parser needed for a marker comment.

/** `// #region exercise 3.lowerdir` — the id is "<stage>.<name>". */
const EXERCISE_START = /^(\s*)\/\/\s*#region\s+exercise\s+(\d+)\.([a-z0-9][a-z0-9-]*)\s*$/;
const REGION_START = /^\s*(?:\/\/|#|\/\*)\s*#region\b/;
const REGION_END = /^\s*(?:\/\/|#|\/\*)\s*#endregion\b/;
const STARTER = /^(\s*)\/\/> ?(.*)$/;

export interface Region {
  /** "<stage>.<name>" */
  id: string;
  stage: number;
  /** 0-based line numbers of the two marker lines */
  start: number;
  end: number;
  /** the indentation of the start marker, which the stub's lines take */
  indent: string;
}

/** Every exercise region of a file's text, in order; a region left open is an error. */
export function findRegions(text: string, file = '<text>'): Region[] {
  const lines = text.split('\n');
  const regions: Region[] = [];
  for (let i = 0; i < lines.length; i++) {
    const m = EXERCISE_START.exec(lines[i]);
    if (!m) continue;
    let depth = 1;
    let j = i + 1;
    for (; j < lines.length; j++) {
      if (EXERCISE_START.test(lines[j])) throw new Error(`${file}:${j + 1}: exercise region inside exercise ${m[2]}.${m[3]} (line ${i + 1})`);
      if (REGION_START.test(lines[j])) depth++;
      else if (REGION_END.test(lines[j]) && --depth === 0) break;
    }
    if (j === lines.length) throw new Error(`${file}:${i + 1}: exercise ${m[2]}.${m[3]} has no #endregion`);
    regions.push({ id: `${m[2]}.${m[3]}`, stage: Number(m[2]), start: i, end: j, indent: m[1] });
    i = j;
  }
  return regions;
}

/** What the learner finds in a region: its starter lines as code, then todo() (`void todo()` when code follows). */
export function stubLines(body: string[], region: Region, where: string, endsBlock = true): string[] {
  const starters = body.flatMap((l) => {
    const m = STARTER.exec(l);
    return m ? [m[1] + m[2]] : [];
  });
  return [...starters, `${region.indent}${endsBlock ? '' : 'void '}todo(${JSON.stringify(region.id)}, ${JSON.stringify(where)});`];
}

/** True when the first line of code after the region closes the block the region is in. */
export function endsBlock(lines: string[], region: Region): boolean {
  for (let i = region.end + 1; i < lines.length; i++) {
    const t = lines[i].trim();
    if (t === '' || t.startsWith('//') || t.startsWith('/*') || t.startsWith('*')) continue;
    const indent = /^\s*/.exec(lines[i])![0].length;
    return t.startsWith('}') && indent < region.indent.length;
  }
  return true;
}

/**
 * The file with the chosen regions stubbed. `where(id)` says where the notes teach it (it goes
 * into todo's message). Adds the import of todo when a region was stubbed; `todoImport` is the
 * module specifier relative to the file (e.g. '../todo.js').
 */
export function stubFile(text: string, stub: (r: Region) => boolean, where: (id: string) => string, todoImport: string, file = '<text>'): { text: string; stubbed: string[] } {
  const lines = text.split('\n');
  const stubbed: string[] = [];
  // from the last region to the first, so earlier line numbers stay right
  for (const r of findRegions(text, file).reverse()) {
    if (!stub(r)) continue;
    lines.splice(r.start + 1, r.end - r.start - 1, ...stubLines(lines.slice(r.start + 1, r.end), r, where(r.id), endsBlock(lines, r)));
    stubbed.unshift(r.id);
  }
  if (stubbed.length > 0) {
    // after the file's imports (a multi-line import ends at its `;`), or at the top
    let last = -1;
    let inImport = false;
    for (let i = 0; i < lines.length; i++) {
      if (/^import /.test(lines[i])) inImport = true;
      else if (!inImport && lines[i].trim() !== '' && !/^\s*\/\//.test(lines[i])) break;
      if (inImport && /;\s*$/.test(lines[i])) {
        last = i;
        inImport = false;
      }
    }
    lines.splice(last + 1, 0, `import { todo } from '${todoImport}';`);
  }
  return { text: lines.join('\n'), stubbed };
}

/** The lines between the markers of region `id` (the solution, or the learner's work). */
export function regionBody(text: string, id: string): string[] {
  const r = findRegions(text).find((x) => x.id === id);
  if (!r) throw new Error(`no exercise region ${id}`);
  return text.split('\n').slice(r.start + 1, r.end);
}

/** `text` with the body of region `id` replaced by `body`. */
export function replaceRegionBody(text: string, id: string, body: string[]): string {
  const lines = text.split('\n');
  const r = findRegions(text).find((x) => x.id === id);
  if (!r) throw new Error(`no exercise region ${id}`);
  lines.splice(r.start + 1, r.end - r.start - 1, ...body);
  return lines.join('\n');
}
