// Command-line parsing shared by the verbs: node's util.parseArgs, with docker's conventions.
//
// docker stops reading its own flags at the first positional argument of `run` (the image):
// in `minidock run busybox ls -l`, `-l` belongs to ls. parseArgs would read on, so we cut the
// argument list at the image first.

import { parseArgs, type ParseArgsConfig } from 'node:util';
import { EngineError } from '../errors.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/** Split `[flags…] FIRST rest…` at the first argument that is not a flag or a flag's value. */
export function splitAtPositional(argv: readonly string[], options: Options): { flags: string[]; rest: string[] } {
  const takesValue = new Set<string>();
  for (const [name, o] of Object.entries(options)) {
    if (o.type === 'string') {
      takesValue.add(`--${name}`);
      if (o.short) takesValue.add(`-${o.short}`);
    }
  }
  let i = 0;
  while (i < argv.length) {
    const a = argv[i];
    if (a === '--') return { flags: argv.slice(0, i), rest: argv.slice(i + 1) };
    if (!a.startsWith('-') || a === '-') break;
    // "--name web" and "-e K=V" take the next argument; "--name=web" and "-eK=V" do not.
    const grouped = !a.startsWith('--') && a.length > 2;
    const valueFlag = grouped ? `-${a[a.length - 1]}` : a;
    i += takesValue.has(valueFlag) && !a.includes('=') && !(grouped && takesValue.has(a.slice(0, 2))) ? 2 : 1;
  }
  return { flags: argv.slice(0, i), rest: argv.slice(i) };
}

/** parseArgs with docker's error wording: `unknown flag: --foo`. */
export function parseFlags<T extends Options>(args: string[], options: T) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (e) {
    const err = e as { code?: string; message: string };
    // node quotes the flag as declared ('--name <value>', '-e, --env <value>'): keep the names
    const flag = /'(-[^']*)'/.exec(err.message)?.[1]?.replace(/ <value>$/, '');
    if (err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') throw new EngineError(`unknown flag: ${flag ?? err.message}`);
    if (/does not take an argument/.test(err.message)) throw new EngineError(`flag does not take a value: ${flag ?? err.message}`);
    if (err.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') throw new EngineError(`flag needs an argument: ${flag ?? err.message}`);
    throw new EngineError(err.message.split('\n')[0]);
  }
}
