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

/** strconv.ParseBool's words, which pflag accepts after a boolean flag's `=`. */
const BOOL_WORDS: Record<string, boolean> = { '1': true, t: true, T: true, true: true, TRUE: true, True: true, '0': false, f: false, F: false, false: false, FALSE: false, False: false };

/**
 * pflag's boolean flags also take a value after `=`: `--sig-proxy=false`, `--rm=true`. parseArgs
 * knows only the bare flag, so `--X=true` becomes `--X`, and `--X=false` is taken out and its
 * name returned in `off` — unless the flag is given again after it (`-d` too): the last one wins.
 */
export function settleBooleans(argv: readonly string[], options: Options): { args: string[]; off: string[] } {
  const dashDash = argv.indexOf('--');
  const end = dashDash < 0 ? argv.length : dashDash;
  const shortName = new Map(Object.entries(options).filter(([, o]) => o.short).map(([name, o]) => [o.short!, name]));
  const last = new Map<string, boolean>();
  const args: string[] = [];
  for (const [i, a] of argv.entries()) {
    const long = i < end ? /^--([^=]+)(?:=(.*))?$/.exec(a) : null;
    if (long && options[long[1]]?.type === 'boolean') {
      const [, name, value] = long;
      if (value !== undefined && !(value in BOOL_WORDS)) {
        const shown = options[name].short ? `-${options[name].short}, --${name}` : `--${name}`;
        throw new UsageError(`invalid argument "${value}" for "${shown}" flag: strconv.ParseBool: parsing "${value}": invalid syntax`);
      }
      const on = value === undefined || BOOL_WORDS[value];
      last.set(name, on);
      if (on) args.push(`--${name}`);
      continue;
    }
    if (i < end && /^-[^-]/.test(a)) {
      // a group of short flags (-dit): its booleans come before any letter that takes a value
      for (const letter of a.slice(1)) {
        const name = shortName.get(letter);
        if (name === undefined || options[name].type !== 'boolean') break;
        if (last.has(name)) last.set(name, true);
      }
    }
    args.push(a);
  }
  return { args, off: [...last].filter(([, on]) => !on).map(([name]) => name) };
}

/** parseArgs with docker's conventions and error wording: `unknown flag: --foo`. */
export function parseFlags<T extends Options>(argv: string[], options: T) {
  const { args, off } = settleBooleans(argv, options);
  try {
    const parsed = parseArgs({ args: attachValues(args, options), options, allowPositionals: true, strict: true });
    for (const name of off) (parsed.values as Record<string, unknown>)[name] = false;
    return parsed;
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
