/** DESIGN.md rule 6: no shell strings. External commands run with argument arrays (execFile/spawn). */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? sources(path.join(dir, e.name))
      : e.name.endsWith('.ts')
        ? [path.join(dir, e.name)]
        : [],
  );
}

describe('no shell strings in src/', () => {
  const files = sources(path.join(ROOT, 'src'));
  it('finds the sources', () => expect(files.length).toBeGreaterThan(50));
  it.each([
    ['shell: true', /\bshell\s*:\s*true/],
    // ctx.exec(file, args[]) is the argument-array seam; a bare exec("cmd ...") would be a shell string.
    ['child_process exec / execSync', /(?<![.\w])(?:execSync|exec)\s*\(\s*[`'"]/],
    [
      'importing exec or execSync',
      /import\s*\{[^}]*\b(?:exec|execSync)\b[^}]*\}\s*from\s*'node:child_process'/,
    ],
  ])('%s is never used', (_name, re) => {
    expect(files.filter((f) => re.test(readFileSync(f, 'utf8'))).map((f) => path.relative(ROOT, f))).toEqual(
      [],
    );
  });
});
