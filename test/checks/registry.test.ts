import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { checks } from '../../src/checks/index.js';
import { ROOT } from '../helpers/cli.js';

const files = readdirSync(path.join(ROOT, 'src/checks'))
  .filter((f) => f.endsWith('.ts') && f !== 'index.ts' && !f.startsWith('_'))
  .map((f) => f.replace(/\.ts$/, ''));

describe('check registry', () => {
  it('registers every file in src/checks/, once, sorted by id', () => {
    const ids = checks.map((c) => c.id);
    expect([...ids].sort()).toEqual([...files].sort());
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual([...ids].sort());
  });

  it.each(files)('%s: kebab-case id equal to its file name, exported from its file', async (file) => {
    const mod = (await import(
      /* @vite-ignore */ pathToFileURL(path.join(ROOT, 'src/checks', `${file}.ts`)).href
    )) as Record<string, unknown>;
    const exported = Object.values(mod).filter(
      (v) => v && typeof v === 'object' && 'id' in v && 'run' in v,
    ) as { id: string }[];
    expect(exported.map((c) => c.id)).toContain(file);
    expect(file).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
  });

  it.each(checks.map((c) => [c.id, c] as const))(
    '%s: docs page with the required sections, and a test',
    (id, check) => {
      expect(check.docs).toBe(`docs/checks/${id}.md`);
      const doc = path.join(ROOT, check.docs);
      expect(existsSync(doc), `${doc} is missing`).toBe(true);
      const text = readFileSync(doc, 'utf8');
      for (const h of ['What it detects', 'Why it matters', 'Finding codes', 'Fixes'])
        expect(text, `${id}: "${h}"`).toContain(`## ${h}`);
      expect(text).toContain(check.codePrefix);
      expect(
        existsSync(path.join(ROOT, 'test/checks', `${id}.test.ts`)),
        `test/checks/${id}.test.ts is missing`,
      ).toBe(true);
      expect(check.codePrefix).toMatch(/^UWD-[A-Z0-9]+$/);
      expect(check.title.length).toBeGreaterThan(2);
    },
  );
});
