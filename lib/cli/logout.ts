// minidock logout [SERVER] — docker logout: forget the credentials of a registry (config.json).

import { EngineError } from '../errors.js';
import { storeCredentials } from '../image/auth.js';
import { parseFlags } from './args.js';
import { requireImagesStage } from './stage6.js';

export default async function logout(argv: string[]): Promise<number> {
  const { positionals } = parseFlags(argv, {});
  if (positionals.length > 1) throw new EngineError('"logout" requires at most 1 argument; usage: minidock logout [SERVER]');
  requireImagesStage('logout');
  const domain = positionals[0] ?? 'docker.io';
  const had = storeCredentials(domain, null);
  process.stdout.write(had ? `Removing login credentials for ${domain}\n` : `Not logged in to ${domain}\n`);
  return 0;
}
