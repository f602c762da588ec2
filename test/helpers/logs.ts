import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { classifyLogFile } from '../../src/core/log-names.js';

/** Every tracker log under `<data>/Upwork/Logs`, oldest file first, as one text (the engine rotates daily). */
export function trackerLogText(dataDir: string): string {
  const dir = path.join(dataDir, 'Upwork', 'Logs');
  return readdirSync(dir)
    .filter((n) => classifyLogFile(n))
    .sort()
    .map((n) => readFileSync(path.join(dir, n), 'utf8'))
    .join('');
}
