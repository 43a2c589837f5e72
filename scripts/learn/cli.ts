// `npm run learn -- <verb>`: the learner's side of the lab.
//
//   start N        learn/ = the engine with every exercise of stage N and above as a stub
//   status         each exercise: to do, written, passed; hints used; what to do next
//   hint [ID]      the next rung of an exercise's hint ladder
//   solution ID    the reference code [--apply: into your file] [--yes: without asking]
//   reset ID       make one exercise a stub again
//   next           on to the next stage, once this one's checks pass
//   watch          on each save: compile, then the current stage's checks
// Errors are one line, `learn: <what>`, exit status 1.

import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { hint } from './hint.js';
import { next } from './next.js';
import { reset } from './reset.js';
import { solution } from './solution.js';
import { start } from './start.js';
import { lab, LearnError } from './state.js';
import { status } from './status.js';
import { watch } from './watch.js';

const USAGE = 'usage: npm run learn -- start N [--force] | status | hint [ID] | solution ID [--apply] [--yes] | reset ID | next | watch';

/** dist/scripts/learn/cli.js → the repository. */
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { force: { type: 'boolean', default: false }, apply: { type: 'boolean', default: false }, yes: { type: 'boolean', default: false } },
  });
  const [verb, arg, ...rest] = positionals;
  if (rest.length > 0) throw new LearnError(`too many arguments: ${rest.join(' ')}. ${USAGE}`);
  const l = lab(repo);
  const need = (what: string) => {
    if (!arg) throw new LearnError(`${verb} needs ${what}. ${USAGE}`);
    return arg;
  };
  switch (verb) {
    case 'start': {
      const n = need('a stage number');
      if (!/^\d+$/.test(n)) throw new LearnError(`not a stage number: ${n}`);
      start(l, Number(n), { force: values.force });
      return;
    }
    case 'status':
      return status(l);
    case 'hint':
      return hint(l, arg);
    case 'solution':
      return solution(l, need('an exercise id (npm run learn -- status lists them)'), { apply: values.apply, yes: values.yes });
    case 'reset':
      return reset(l, need('an exercise id'));
    case 'next':
      await next(l);
      return;
    case 'watch':
      await watch(l);
      return;
    default:
      throw new LearnError(verb ? `no verb ${verb}. ${USAGE}` : USAGE);
  }
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (e) => {
    // a LearnError is the learner's to fix; anything else is one line too, with the stack under LEARN_DEBUG=1
    const msg = e instanceof LearnError || !process.env.LEARN_DEBUG ? (e as Error).message.split('\n')[0] : (e as Error).stack;
    console.error(`learn: ${msg}`);
    process.exit(1);
  },
);
