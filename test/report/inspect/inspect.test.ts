/**
 * inspect against intact, modified, incomplete and hostile archives. Hostile archives are made
 * with Python's zipfile (a standard writer) so they are real zips, not hand-made bytes.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createTestContext } from '../../../src/core/context.js';
import { UserError } from '../../../src/core/errors.js';
import { inspectBundle } from '../../../src/report/inspect/inspect.js';
import { renderInspect } from '../../../src/report/inspect/render-text.js';
import { tempDir } from '../../helpers/cli.js';
import { haveBinary } from '../../e2e/bundle-helpers.js';
import { makeBundle } from '../bundle/make-bundle.js';

const python = (script: string, ...args: string[]) => execFileSync('python3', ['-c', script, ...args]);
const inspect = (file: string) => inspectBundle(file, { hours: 48, ctx: createTestContext() });

/** Copy a zip, replacing (or dropping) one entry's data. */
function rewrite(src: string, dst: string, name: string, data: string | null): void {
  python(
    [
      'import zipfile, sys',
      'src, dst, name, data = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]',
      'with zipfile.ZipFile(src) as a, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as b:',
      '  for i in a.infolist():',
      '    if i.filename == name:',
      '      if data != "<drop>": b.writestr(i, data)',
      '    else: b.writestr(i, a.read(i))',
    ].join('\n'),
    src,
    dst,
    name,
    data ?? '<drop>',
  );
}

describe.skipIf(!haveBinary('python3') && !process.env.CI)('inspect', () => {
  it('verifies an intact bundle and summarises it', async () => {
    const root = tempDir();
    const b = await makeBundle(root);
    const r = await inspect(b.path);
    expect(r.verification).toMatchObject({ ok: true, modified: [], missing: [], unexpected: [] });
    expect(r.verification.checked).toBeGreaterThanOrEqual(8);
    expect(r.trackerVersion).toBe('5.8.0.33');
    expect(r.timeline.map((e) => e.level)).toEqual(expect.arrayContaining(['warn', 'error']));
    expect(r.rerun).not.toBeNull();
    const text = renderInspect(r, 48);
    expect(text).toMatch(/Integrity: OK/);
    expect(text).toMatch(/ECONNRESET \(attempt 3\)/);
  });

  it('detects a modified entry, a missing entry and an entry not in the manifest', async () => {
    const root = tempDir();
    const b = await makeBundle(root);
    const mod = path.join(root, 'mod.zip');
    rewrite(b.path, mod, 'logs/tracker/upwork.log', 'all is fine, nothing to see\n');
    const r1 = await inspect(mod);
    expect(r1.verification.ok).toBe(false);
    expect(r1.verification.modified.map((m) => m.name)).toEqual(['logs/tracker/upwork.log']);
    expect(renderInspect(r1, 6)).toMatch(/modified: logs\/tracker\/upwork\.log/);

    const miss = path.join(root, 'miss.zip');
    rewrite(b.path, miss, 'facts.json', null);
    const r2 = await inspect(miss);
    expect(r2.verification.missing).toEqual(['facts.json']);
    expect(r2.rerunError).toMatch(/no facts\.json/);

    const extra = path.join(root, 'extra.zip');
    python(
      'import zipfile,sys,shutil\nshutil.copy(sys.argv[1], sys.argv[2])\nzipfile.ZipFile(sys.argv[2], "a").writestr("logs/tracker/planted.log", "x")',
      b.path,
      extra,
    );
    expect((await inspect(extra)).verification.unexpected).toEqual(['logs/tracker/planted.log']);
  });

  const hostile: [string, string, RegExp][] = [
    [
      'a path with ..',
      'import zipfile,sys\nz=zipfile.ZipFile(sys.argv[1],"w")\nz.writestr(zipfile.ZipInfo("../evil.txt"), "pwned")\nz.close()',
      /escapes the archive/,
    ],
    [
      'an absolute path',
      'import zipfile,sys\nz=zipfile.ZipFile(sys.argv[1],"w")\ni=zipfile.ZipInfo("x")\ni.filename="/tmp/evil-abs.txt"\nz.writestr(i, "pwned")\nz.close()',
      /escapes the archive/,
    ],
    [
      'a symlink entry',
      'import zipfile,sys\nz=zipfile.ZipFile(sys.argv[1],"w")\ni=zipfile.ZipInfo("link")\ni.create_system=3\ni.external_attr=(0o120777<<16)\nz.writestr(i, "/etc/passwd")\nz.close()',
      /symlink entry/,
    ],
    [
      'a zip bomb',
      'import zipfile,sys\nz=zipfile.ZipFile(sys.argv[1],"w",zipfile.ZIP_DEFLATED)\nz.writestr("logs/bomb.log", b"\\0"*(64*1024*1024))\nz.close()',
      /zip bomb/,
    ],
    [
      'two entries with one name',
      'import zipfile,sys,warnings\nwarnings.simplefilter("ignore")\nz=zipfile.ZipFile(sys.argv[1],"w")\nz.writestr("a.txt","1")\nz.writestr("a.txt","2")\nz.close()',
      /two entries named/,
    ],
  ];
  for (const [what, script, msg] of hostile) {
    it(`refuses ${what} with a clear error and writes nothing`, async () => {
      const root = tempDir();
      const file = path.join(root, 'evil.zip');
      python(script, file);
      const before = readdirSync(root);
      const err = await inspect(file).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UserError);
      expect((err as Error).message).toMatch(msg);
      expect((err as Error).message).not.toContain('\n');
      expect(readdirSync(root)).toEqual(before);
      expect(existsSync(path.join(root, '..', 'evil.txt'))).toBe(false);
      expect(existsSync('/tmp/evil-abs.txt')).toBe(false);
    });
  }

  it('refuses a truncated bundle and a file that is not a bundle', async () => {
    const root = tempDir();
    const b = await makeBundle(root);
    const full = readFileSync(b.path);
    const cut = path.join(root, 'cut.zip');
    writeFileSync(cut, full.subarray(0, full.length - 200));
    await expect(inspect(cut)).rejects.toThrow(/truncated or damaged/);
    const junk = path.join(root, 'junk.zip');
    writeFileSync(junk, 'hello, not a zip at all');
    await expect(inspect(junk)).rejects.toThrow(/neither a zip nor an encrypted/);
    await expect(inspect(path.join(root, 'missing.zip'))).rejects.toThrow(/no such file/);
    // A zip that is not a bundle: no manifest.
    const plain = path.join(root, 'plain.zip');
    python('import zipfile,sys\nzipfile.ZipFile(sys.argv[1],"w").writestr("a.txt","x")', plain);
    await expect(inspect(plain)).rejects.toThrow(/no manifest\.json/);
  });
});
