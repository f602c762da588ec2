/**
 * inspect on the folder an unzipped bundle makes (read by the real `unzip`), names that would
 * rewrite the terminal printed escaped, and mutated bundles (property): never an internal error,
 * and a bundle that was changed never reads as intact.
 */
import { execFileSync } from 'node:child_process';
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inspectExitCode } from '../../../src/cli/run-inspect.js';
import { createTestContext } from '../../../src/core/context.js';
import { UserError } from '../../../src/core/errors.js';
import { inspectBundle } from '../../../src/report/inspect/inspect.js';
import type { InspectResult } from '../../../src/report/inspect/inspect.js';
import { renderInspect } from '../../../src/report/inspect/render-text.js';
import { haveBinary } from '../../e2e/bundle-helpers.js';
import { runCli, tempDir } from '../../helpers/cli.js';
import { makeBundle } from '../bundle/make-bundle.js';

const inspect = (file: string) => inspectBundle(file, { hours: 48, ctx: createTestContext() });
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

/** A folder for a whole describe block (tempDir() is per test). */
function suiteDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'uwd-inspect-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function unzipTo(zip: string, dir: string): string {
  mkdirSync(dir, { recursive: true });
  execFileSync('unzip', ['-q', zip, '-d', dir]);
  return dir;
}

/** Every file of a folder, relative, `/`-separated. */
function files(dir: string, rel = ''): string[] {
  return readdirSync(path.join(dir, rel)).flatMap((n) => {
    const r = rel ? `${rel}/${n}` : n;
    return statSync(path.join(dir, r)).isDirectory() ? files(dir, r) : [r];
  });
}

describe.skipIf(!haveBinary('unzip') && !process.env.CI)('inspect on an unzipped bundle', () => {
  let zip: string;
  let unzipped: string;
  const root = suiteDir();
  beforeAll(async () => {
    zip = (await makeBundle(root)).path;
    unzipped = unzipTo(zip, path.join(root, 'unzipped'));
  });

  it('reads the folder as the bundle: same entries, same verdict, same re-run', async () => {
    const fromZip = await inspect(zip);
    const fromFolder = await inspect(unzipped);
    expect(fromFolder.folder).toBe(true);
    expect(fromFolder.verification).toEqual(fromZip.verification);
    expect(fromFolder.verification.ok).toBe(true);
    expect(fromFolder.rerun?.summary).toEqual(fromZip.rerun?.summary);
    expect(renderInspect(fromFolder, 48)).toMatch(
      /^Bundle unzipped \(unzipped folder\)\nticket|Integrity: OK/m,
    );
  });

  it('the CLI reads a folder (no EISDIR), exit 0', async () => {
    const r = await runCli(['inspect', unzipped]);
    expect(r.stderr).not.toMatch(/EISDIR|internal error/);
    expect(r.stdout).toMatch(/Integrity: OK/);
    expect(r.code).toBe(0);
  });

  it('refuses a symlink inside the folder instead of following it', async () => {
    const copy = path.join(tempDir(), 'b');
    cpSync(unzipped, copy, { recursive: true });
    symlinkSync('/etc/passwd', path.join(copy, 'logs', 'passwd.log'));
    await expect(inspect(copy)).rejects.toThrow(/symlink \(logs\/passwd\.log\); refusing/);
  });

  it('prints names with control characters and direction overrides escaped', async () => {
    const copy = path.join(tempDir(), 'b');
    cpSync(unzipped, copy, { recursive: true });
    writeFileSync(path.join(copy, 'logs', 'invoice\u202egpj.exe'), 'x');
    writeFileSync(path.join(copy, 'evil\u001b[2J\u0007'), 'x');
    writeFileSync(path.join(copy, '.'.repeat(3)), 'x');
    const text = renderInspect(await inspect(copy), 48);
    expect(text).toContain('not in the manifest: "logs/invoice\\u202egpj.exe"');
    expect(text).toContain('not in the manifest: "evil\\x1b[2J\\x07"');
    expect(text).not.toMatch(RAW_CONTROL);
  });

  it('a NUL and a "." entry in a zip are printed escaped', async () => {
    const dir = tempDir();
    const out = path.join(dir, 'nul.zip');
    // Python's zipfile cuts names at NUL, so write a placeholder of the same length and patch it.
    execFileSync('python3', [
      '-c',
      'import zipfile,shutil,sys\nshutil.copy(sys.argv[1], sys.argv[2])\nz=zipfile.ZipFile(sys.argv[2], "a")\nz.writestr("logs/aQQQb.log", "x")\nz.writestr(".", "y")\nz.close()',
      zip,
      out,
    ]);
    writeFileSync(
      out,
      Buffer.from(readFileSync(out).toString('latin1').replaceAll('aQQQb', 'a\u0000\u001bxb'), 'latin1'),
    );
    const r = await inspect(out).then(
      (x) => renderInspect(x, 48),
      (e: Error) => e.message,
    );
    expect(r).not.toMatch(RAW_CONTROL);
    expect(r).toMatch(/\\x00|"\."/);
  });
});

/** Mutations a bundle meets: a JSON part replaced, cut short, nested deep, a byte flipped, a file dropped or planted. */
type Mutation =
  | { kind: 'json' | 'truncate' | 'flip' | 'drop' | 'deep'; entry: number; value?: unknown; at?: number }
  | { kind: 'plant'; name: string };

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('json' as const), entry: fc.nat(), value: fc.jsonValue({ maxDepth: 3 }) }),
  fc.record({
    kind: fc.constantFrom('truncate' as const, 'flip' as const, 'drop' as const, 'deep' as const),
    entry: fc.nat(),
    at: fc.nat(),
  }),
  fc.record({
    kind: fc.constant('plant' as const),
    name: fc
      .string({ minLength: 1, maxLength: 12 })
      .filter((n) => !n.includes('/') && !n.includes('\u0000') && n !== '.' && n !== '..'),
  }),
);

function apply(dir: string, m: Mutation): void {
  if (m.kind === 'plant') {
    writeFileSync(path.join(dir, `planted-${m.name}`), 'x');
    return;
  }
  const all = files(dir).sort();
  const name =
    m.kind === 'json' || m.kind === 'deep'
      ? (all.filter((f) => f.endsWith('.json'))[m.entry % 4] ?? all[0]!)
      : all[m.entry % all.length]!;
  const file = path.join(dir, name);
  const before = readFileSync(file);
  if (m.kind === 'drop') rmSync(file);
  else if (m.kind === 'json') writeFileSync(file, JSON.stringify(m.value) ?? 'null');
  else if (m.kind === 'deep') writeFileSync(file, `{"tool":${'['.repeat(20_000)}${']'.repeat(20_000)}}`);
  else if (m.kind === 'truncate')
    writeFileSync(file, before.subarray(0, (m.at ?? 0) % Math.max(1, before.length)));
  else if (before.length > 0) {
    const b = Buffer.from(before);
    const i = (m.at ?? 0) % b.length;
    b[i] = b[i]! ^ 0x55;
    writeFileSync(file, b);
  }
}

/**
 * Whether a mutated folder differs from the pristine one in anything but the manifest: the manifest
 * holds the hashes of the others, not its own, so a change to its free text (a source path) that
 * keeps its shape cannot be seen without the zip's sha256 printed when it was made.
 */
function differsFrom(pristine: string, dir: string): boolean {
  const names = (d: string) =>
    files(d)
      .filter((f) => f !== 'manifest.json')
      .sort();
  const a = names(pristine);
  const b = names(dir);
  if (a.join('\0') !== b.join('\0')) return true;
  return a.some((f) => !readFileSync(path.join(pristine, f)).equals(readFileSync(path.join(dir, f))));
}

describe.skipIf(!haveBinary('unzip') && !process.env.CI)('mutated bundles (property)', () => {
  let pristine: string;
  const root = suiteDir();
  beforeAll(async () => {
    pristine = unzipTo((await makeBundle(root)).path, path.join(root, 'pristine'));
  });

  it('never an internal error; a changed bundle never reads as intact', async () => {
    const work = tempDir();
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(mutationArb, { minLength: 1, maxLength: 3 }), async (mutations) => {
        const dir = path.join(work, String(n++));
        cpSync(pristine, dir, { recursive: true });
        mutations.forEach((m) => apply(dir, m));
        // Judged on the result, not on each step: a planted file that a later step drops leaves
        // the bundle as it was.
        const changed = differsFrom(pristine, dir);
        let r: InspectResult;
        try {
          r = await inspect(dir);
        } catch (e) {
          expect(e, String(e)).toBeInstanceOf(UserError);
          expect((e as Error).message).not.toMatch(/\n/);
          expect((e as Error).message).not.toMatch(RAW_CONTROL);
          return;
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
        const text = renderInspect(r, 48);
        expect(text).not.toMatch(RAW_CONTROL);
        expect(() => JSON.stringify(r)).not.toThrow();
        if (changed) expect(inspectExitCode(r)).not.toBe(0);
      }),
      { numRuns: 300 },
    );
  }, 300_000);
});
