// Command-line parsing shared by the verbs: node's util.parseArgs, with docker's conventions.
//
// docker stops reading its own flags at the first positional argument of `run` (the image):
// in `minidock run busybox ls -l`, `-l` belongs to ls. parseArgs would read on, so we cut the
// argument list at the image first. And like docker's flag parser (pflag), a flag that takes a
// value takes the next argument whatever it looks like: `--pids-limit -1`, `-m -1`, `--name -x`
// (parseArgs would refuse a value that starts with a dash; attachValues glues it on first).

import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from '../errors.js';

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

/**
 * Glue each value-taking flag to its value: `--memory -1` → `--memory=-1`, `-m -1` → `-m-1`,
 * `-dm -1` → `-d -m-1`. Arguments after `--` and flags already written with a value stay as
 * they are.
 */
export function attachValues(argv: readonly string[], options: Options): string[] {
  const takesValue = (name: string) => options[name]?.type === 'string';
  const shortName = new Map(Object.entries(options).filter(([, o]) => o.short).map(([name, o]) => [o.short!, name]));
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const hasNext = i + 1 < argv.length;
    if (a === '--') {
      out.push(...argv.slice(i));
      break;
    }
    if (a.startsWith('--') && !a.includes('=') && takesValue(a.slice(2)) && hasNext) {
      out.push(`${a}=${argv[++i]}`);
    } else if (/^-[^-]/.test(a)) {
      // a group of short flags: the first one that takes a value takes the rest of the group,
      // or, when it is the group's last letter, the next argument
      const letters = a.slice(1);
      const at = [...letters].findIndex((l) => takesValue(shortName.get(l) ?? ''));
      if (at === letters.length - 1 && hasNext) {
        if (at > 0) out.push(`-${letters.slice(0, at)}`);
        out.push(`-${letters[at]}${argv[++i]}`);
      } else {
        out.push(a);
      }
    } else {
      out.push(a);
    }
  }
  return out;
}

/** parseArgs with docker's conventions and error wording: `unknown flag: --foo`. */
export function parseFlags<T extends Options>(args: string[], options: T) {
  try {
    return parseArgs({ args: attachValues(args, options), options, allowPositionals: true, strict: true });
  } catch (e) {
    const err = e as { code?: string; message: string };
    // node quotes the flag as declared ('--name <value>', '-e, --env <value>'): keep the names
    const flag = /'(-[^']*)'/.exec(err.message)?.[1]?.replace(/ <value>$/, '');
    if (err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') throw new UsageError(`unknown flag: ${flag ?? err.message}`);
    if (/does not take an argument/.test(err.message)) throw new UsageError(`flag does not take a value: ${flag ?? err.message}`);
    if (err.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') throw new UsageError(`flag needs an argument: ${flag ?? err.message}`);
    throw new UsageError(err.message.split('\n')[0]);
  }
}

/**
 * KEY=VALUE flags, repeated (--label, --log-opt), into a map, as docker's CLI reads them: a bare
 * KEY is kept with "", and the last of a repeated KEY wins.
 */
export function keyValues(flags: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const flag of flags) {
    const eq = flag.indexOf('=');
    if (eq < 0) out[flag] = '';
    else out[flag.slice(0, eq)] = flag.slice(eq + 1);
  }
  return out;
}
