// minidock login [-u USER] [-p PASSWORD | --password-stdin] [SERVER] — docker login: check the
// credentials against the registry, then keep them in a docker-compatible config.json (0600).
// `minidock logout [SERVER]` is in logout.ts. Stage 6 notes, "the registry conversation".

import { readFileSync } from 'node:fs';
import { EngineError } from '../errors.js';
import { dockerConfigFile, storeCredentials } from '../image/auth.js';
import { checkLogin } from '../image/registry.js';
import { parseFlags } from './args.js';
import { requireImagesStage } from './stage6.js';

export default async function login(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(argv, {
    username: { type: 'string', short: 'u' },
    password: { type: 'string', short: 'p' },
    'password-stdin': { type: 'boolean' },
  });
  if (positionals.length > 1) throw new EngineError('"login" requires at most 1 argument; usage: minidock login [-u USER] [-p PASSWORD | --password-stdin] [SERVER]');
  requireImagesStage('login');
  const domain = positionals[0] ?? 'docker.io';
  const password = values['password-stdin'] ? readFileSync(0, 'utf8').replace(/\r?\n$/, '') : values.password;
  if (!values.username || !password) throw new EngineError('login needs -u USER and a password (-p or --password-stdin); minidock does not prompt');
  const credentials = { username: values.username, password };
  await checkLogin(domain, credentials);
  storeCredentials(domain, credentials);
  process.stdout.write(`WARNING! Your password will be stored unencrypted in ${dockerConfigFile()}.\nLogin Succeeded\n`);
  return 0;
}
