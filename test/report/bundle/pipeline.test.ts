/**
 * The bundle's write path: names that never collide, the dry run, the consent screen per part,
 * progress on stderr, and the one-read pipeline's residual scan of the finished archive (a value
 * learned late in one log that an earlier log holds is still replaced, or nothing is sealed).
 */
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { planOnly } from '../../../src/report/bundle/bundle.js';
import { Progress } from '../../../src/report/bundle/progress.js';
import { scanFinishedArchive, LateSecretError } from '../../../src/report/bundle/residual.js';
import { toBinary } from '../../../src/report/redact/redactor.js';
import { createTestContext } from '../../../src/core/context.js';
import { tempDir } from '../../helpers/cli.js';
import { haveBinary, makeTracker, pythonUnzip } from '../../e2e/bundle-helpers.js';
import { makeBundle, testFacts } from './make-bundle.js';

const sha = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');

describe('bundle names', () => {
  it('bundles made at once with one ticket each get their own file, and each sha256 matches its file', async () => {
    const root = tempDir();
    await makeBundle(root, { ticket: 'T-7' });
    const runs = await Promise.all([1, 2, 3].map(() => makeBundle(root, { ticket: 'T-7' })));
    const names = readdirSync(path.join(root, 'out')).sort();
    expect(names).toHaveLength(4);
    expect(names.every((n) => /^upwork-doctor-T-7-[0-9a-f]{8}(?:-\d)?\.zip$/.test(n))).toBe(true);
    for (const r of runs) expect(sha(r.path)).toBe(r.sha256);
    expect(new Set(runs.map((r) => r.path)).size).toBe(3);
  });
});

describe('bundle --dry-run', () => {
  it('lists each part, what it holds and every file, and writes nothing', async () => {
    const root = tempDir();
    const { dataDir } = makeTracker(root);
    const out = path.join(root, 'out');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(out);
    const facts = testFacts(dataDir);
    const dry = await planOnly({
      ctx: createTestContext({ hostname: 'ws-dana-01', username: 'dwhitfield', homedir: '/home/dwhitfield' }),
      target: facts.target,
      facts,
      report: {},
      reportText: 'report\n',
      outDir: out,
      maxSizeMB: 50,
      includeScreenshots: false,
      confirm: false,
      system: {},
      processes: { processes: [] },
    });
    expect(readdirSync(out)).toEqual([]);
    expect(dry.parts.map((p) => p.category)).toEqual([
      'report',
      'facts',
      'system',
      'processes',
      'cache',
      'logs',
    ]);
    expect(dry.text).toMatch(
      /processes[\s\S]*full command lines \(redacted\) only for the tracker's own processes/,
    );
    expect(dry.text).toMatch(/cache[\s\S]*never its contents/);
    expect(dry.text).toMatch(/\+ logs\/tracker\/upwork\.log/);
    // Paths in the listing are redacted like the bundle's.
    expect(dry.text).not.toContain('dana.whitfield');
  });
});

describe('consent screen', () => {
  it('says what each part holds', async () => {
    const root = tempDir();
    const b = await makeBundle(
      root,
      { confirm: true },
      { isTTY: true, prompts: { confirm: async () => true } },
    );
    const screen = b.ctx.err.join('');
    expect(screen).toMatch(/processes\s+1 file[\s\S]*by name[\s\S]*command lines/);
    expect(screen).toMatch(/logs\s+3 files[\s\S]*redacted/);
  });
});

describe('progress', () => {
  const run = (tty: boolean) => {
    let now = 0;
    const out: string[] = [];
    const p = new Progress({ enabled: true, tty, now: () => now, write: (t) => out.push(t) });
    p.setTotal(100 * 2 ** 20);
    for (let i = 1; i <= 40; i++) {
      now = i * 250;
      p.read(i % 2, i * 2 ** 20, `logs/tracker/upwork..202504${10 + (i % 2)}.log`);
    }
    p.finish();
    return out;
  };

  it('says nothing in the first second, then one updating line on a terminal', () => {
    const out = run(true);
    expect(out.length).toBeGreaterThan(5);
    expect(out[0]).toMatch(
      /^\rbundle: [\d.]+ MiB of 100 MiB read \(\d+ %\), about \d+ s left: logs\/tracker\/upwork\.\.2025041[01]\.log\u001b\[K$/,
    );
    expect(out.at(-1)).toBe('\n');
  });

  it('prints plain lines, every few seconds, without a terminal', () => {
    const out = run(false);
    expect(out.length).toBeGreaterThan(0);
    expect(out.length).toBeLessThanOrEqual(3);
    for (const l of out) expect(l).toMatch(/^bundle: .* read \(\d+ %\).*\n$/);
  });

  it('says nothing when disabled (--json)', () => {
    const out: string[] = [];
    const p = new Progress({ enabled: false, tty: true, now: () => 5000, write: (t) => out.push(t) });
    p.setTotal(10);
    p.read(0, 5, 'x');
    p.finish();
    expect(out).toEqual([]);
  });
});

describe.skipIf(!haveBinary('python3'))('one read of each log', () => {
  it('a value learned in a later log is replaced in an earlier one (residual scan, then a rewrite)', async () => {
    const root = tempDir();
    const first = await makeBundle(root);
    // The newer log (read first) names the proxy password bare; only the older one says what it is.
    writeFileSync(
      path.join(first.logsDir, 'upwork..20261117.log'),
      '[2026-11-17T09:00:00.000] [INFO] net - retrying with Quokka-Lantern-42 after a 407\n',
    );
    writeFileSync(
      path.join(first.logsDir, 'upwork..20261110.log'),
      '[2026-11-10T09:00:00.000] [INFO] net - proxy http://corp:Quokka-Lantern-42@proxy.example:3128\n',
    );
    const b = await makeBundle(root);
    const all = Object.values(pythonUnzip(b.path))
      .map((x) => x.toString())
      .join('\n');
    expect(all).not.toContain('Quokka-Lantern-42');
    expect(all).toMatch(/retrying with <password-(?:\d+|h[0-9a-f]{10})> after a 407/);
  });

  it('the residual scan of a finished archive fails closed on a survivor', async () => {
    const root = tempDir();
    const b = await makeBundle(root);
    const log = 'logs/tracker/upwork.log';
    // A value that is in that log as written (the tracker version) stands in for a late secret.
    await expect(
      scanFinishedArchive(b.path, new Map([[log, [toBinary('5.8.0.33')]]])),
    ).rejects.toBeInstanceOf(LateSecretError);
    await expect(
      scanFinishedArchive(b.path, new Map([[log, ['Never-In-This-Log-77']]])),
    ).resolves.toBeUndefined();
  });
});
