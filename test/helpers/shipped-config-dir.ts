import { cpSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A fresh temporary directory holding the configuration this checkout ships (config/default.json
 * and config/clients.json): Sesame's working directory as an operator deploys it. The caller
 * removes it.
 */
export function makeShippedConfigDir(label: string): string {
  const dir = mkdtempSync(join(tmpdir(), `sesame-${label}-`));
  mkdirSync(join(dir, 'config'));
  for (const file of ['default.json', 'clients.json']) cpSync(join('config', file), join(dir, 'config', file));
  return dir;
}
