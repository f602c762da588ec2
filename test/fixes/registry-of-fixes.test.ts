import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { fixes } from '../../src/fixes/index.js';
import { ROOT } from '../helpers/cli.js';

/** The machinery; every other file in src/fixes/ is one fix. */
const MACHINERY = [
  'actions',
  'apply',
  'engine-ops',
  'fix',
  'index',
  'journal',
  'plan',
  'registry',
  'render',
  'undo',
];
const files = readdirSync(path.join(ROOT, 'src/fixes'))
  .filter((f) => f.endsWith('.ts'))
  .map((f) => f.replace(/\.ts$/, ''))
  .filter((f) => !MACHINERY.includes(f));
const KNOWN_IDS = [
  'antivirus-exclusion',
  'cache-upload',
  'clock-sync',
  'data-dir-permissions',
  'duplicates',
  'helper-restart-gpu',
  'refresh-contracts',
  'screen-recording',
  'tls-protocols',
];

describe('fix registry', () => {
  it('registers every fix file once, sorted by id, with a known id', () => {
    const ids = fixes.map((f) => f.id);
    expect([...ids].sort()).toEqual([...files].sort());
    expect(ids).toEqual([...ids].sort());
    for (const id of ids) expect(KNOWN_IDS).toContain(id);
  });

  it.each(files)('%s: exported from its file, documented in docs/fixes.md, tested', async (file) => {
    const mod = (await import(
      /* @vite-ignore */ pathToFileURL(path.join(ROOT, 'src/fixes', `${file}.ts`)).href
    )) as Record<string, unknown>;
    const exported = Object.values(mod).filter(
      (v) => v && typeof v === 'object' && 'plan' in v && 'fixes' in v,
    ) as { id: string }[];
    expect(exported.map((f) => f.id)).toEqual([file]);
    expect(readFileSync(path.join(ROOT, 'docs/fixes.md'), 'utf8')).toContain(`## ${file}`);
    const tests = readdirSync(path.join(ROOT, 'test/fixes'))
      .filter((t) => t.endsWith('.ts'))
      .map((t) => readFileSync(path.join(ROOT, 'test/fixes', t), 'utf8'))
      .join('\n');
    expect(tests).toContain(`src/fixes/${file}.js`);
  });

  it('each fix repairs checks that exist', async () => {
    const { checks } = await import('../../src/checks/index.js');
    const ids = new Set(checks.map((c) => c.id));
    for (const f of fixes) for (const c of f.fixes) expect(ids.has(c), `${f.id} → ${c}`).toBe(true);
    expect(existsSync(path.join(ROOT, 'docs/fixes.md'))).toBe(true);
  });
});
