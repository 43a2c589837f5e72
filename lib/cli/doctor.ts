// minidock doctor [--json] — stage 0: does this machine have what containers need? One line per
// piece (✔ found, ⚠ works but not recommended, ✘ missing — with the fix); exit 0 when every
// required piece is there, 1 otherwise. --json prints the findings as a JSON array instead.
// See lib/doctor.ts and stages/00-preflight.

import chalk from 'chalk';
import { EngineError } from '../errors.js';
import { doctor, exitCode, type Finding } from '../doctor.js';
import { parseFlags } from './args.js';

const OPTIONS = {
  json: { type: 'boolean' },
} as const;

export default async function doctorVerb(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(argv, OPTIONS);
  if (positionals.length > 0) throw new EngineError(`'minidock doctor' accepts no arguments: minidock doctor [--json]`);
  const findings = doctor();
  process.stdout.write(values.json ? JSON.stringify(findings, null, 2) + '\n' : findings.map(line).join(''));
  return exitCode(findings);
}

/** `✔ cgroups: v1 (hybrid), controllers …` or `✘ overlayfs: not in /proc/filesystems — fix: modprobe overlay` */
function line(f: Finding): string {
  const mark = f.ok ? chalk.green('✔') : f.required ? chalk.red('✘') : chalk.yellow('⚠');
  const fix = !f.ok && f.fix ? ` — fix: ${f.fix}` : '';
  return `${mark} ${f.name}: ${f.detail}${fix}\n`;
}
