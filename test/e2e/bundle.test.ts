/**
 * `upwork-doctor bundle` end to end, as a user runs it (the built CLI): the canary corpus planted
 * in logs, facts (paths) and a live process's command line never reaches the archive; ordinary
 * content survives; the archive passes `unzip -t` and Python's zipfile; the encrypted archive
 * decrypts with `openssl cms` and then passes `unzip -t`; `inspect` verifies and re-runs checks.
 */
import { execFileSync, spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../helpers/cli.js';
import { makeCert } from '../report/bundle/certs.js';
import {
  bulkLog,
  fingerprint,
  fixtureLines,
  haveBinary,
  makeTracker,
  pythonUnzip,
} from './bundle-helpers.js';

const tools = haveBinary('unzip') && haveBinary('openssl') && haveBinary('python3');
const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

interface BundleJson {
  path: string;
  size: number;
  sha256: string;
  encrypted: boolean;
  entries: number;
}

function bundleArgs(dataDir: string, out: string, extra: string[] = []): string[] {
  return ['bundle', '--data-dir', dataDir, '--out', out, '--yes', '--json', '--deadline', '20', ...extra];
}

describe.skipIf(!tools && !process.env.CI)('bundle (built CLI)', () => {
  it('leaves no canary secret in the archive and keeps ordinary content', async () => {
    const root = tempDir();
    const { dataDir, cacheDir } = makeTracker(root);
    const out = path.join(root, 'out');
    mkdirSync(out);
    const secrets = fixtureLines('secrets.txt');
    // A tracker process (named `upwork`) whose command line carries secrets, as a tracker started
    // with a proxy would: the bundle keeps the tracker's command lines, redacted.
    const bin = path.join(root, 'bin');
    mkdirSync(bin);
    symlinkSync(process.execPath, path.join(bin, 'upwork'));
    const child = spawn(
      path.join(bin, 'upwork'),
      [
        '-e',
        'setTimeout(() => {}, 60000)',
        '--',
        '--token',
        'ya29.a0AfB_byC8qQx7RkZ3LmN0pQ4sT6vW8yZ1aB3cD5eF7gH9iJ',
        '--proxy=http://corpuser:Winter2026!@proxy.internal.example:3128',
        '--user=dana.whitfield@example-mail.com',
        '--password=S3cr3tP4ss',
      ],
      { stdio: 'ignore' },
    );
    try {
      const before = fingerprint(cacheDir);
      const r = await runCli(bundleArgs(dataDir, out, ['--ticket', 'T-42']));
      expect(r.stderr).not.toMatch(/internal error/);
      expect(r.code, r.stderr).toBe(0);
      const res = JSON.parse(r.stdout) as BundleJson;
      expect(path.basename(res.path)).toMatch(/^upwork-doctor-T-42-[0-9a-f]{8}\.zip$/);
      expect(fingerprint(cacheDir)).toBe(before);

      execFileSync('unzip', ['-t', res.path]);
      const entries = pythonUnzip(res.path);
      const names = Object.keys(entries);
      expect(names).toEqual(
        expect.arrayContaining([
          'report.json',
          'report.txt',
          'report.html',
          'facts.json',
          'system/system.json',
          'system/processes.json',
          'cache/cache.json',
          'manifest.json',
          'logs/tracker/upwork.log',
          'logs/tracker/upwork.1.log',
        ]),
      );
      // Screenshots and the journal's contents stay out.
      expect(names.some((n) => n.includes('.png') || n.includes('.jrnl'))).toBe(false);
      const all = Buffer.concat([Buffer.from(names.join('\n')), ...Object.values(entries)]).toString('utf8');
      for (const s of secrets) expect(all.includes(s), `secret in archive: ${s}`).toBe(false);
      expect(all).not.toContain('secret memo');
      // Host and user names, as the redactor defines a whole word.
      // Host names are case-insensitive; user names (on Linux) are not.
      for (const [word, flags] of [
        [os.hostname(), 'i'],
        [os.userInfo().username, ''],
      ] as const) {
        const m = new RegExp(`(?<![A-Za-z0-9-])${esc(word)}(?![A-Za-z0-9-])`, flags).exec(all);
        expect(m && all.slice(Math.max(0, m.index - 80), m.index + 40)).toBeNull();
      }

      const logs =
        entries['logs/tracker/upwork.log']!.toString() + entries['logs/tracker/upwork.1.log']!.toString();
      for (const k of fixtureLines('keep.txt')) expect(logs, `lost: ${k}`).toContain(k);

      // The process list was collected (our child is in it) with its arguments redacted.
      const procs = JSON.parse(entries['system/processes.json']!.toString()) as {
        processes: { pid: number; cmd?: string }[];
      };
      const mine = procs.processes.find((p) => p.pid === child.pid);
      expect(mine?.cmd).toMatch(/--token <(?:token|secret)-(?:\d+|h[0-9a-f]{10})>/);
      // Facts are valid JSON with the user's home redacted.
      const facts = JSON.parse(entries['facts.json']!.toString()) as { target: { dataDir: string } };
      // Values first met in a log (by a log worker) get keyed-hash placeholders, the same everywhere.
      expect(facts.target.dataDir).toMatch(/\/home\/<user-(?:\d+|h[0-9a-f]{10})>\/\.Upwork$/);
      // The manifest accounts for every entry.
      const manifest = JSON.parse(entries['manifest.json']!.toString()) as {
        ticket: string;
        redaction: { rulesVersion: string };
        entries: { name?: string; sha256?: string; outcome: string; redactions?: Record<string, number> }[];
      };
      expect(manifest.ticket).toBe('T-42');
      expect(manifest.redaction.rulesVersion).toMatch(/^\d+\.\d+\.\d+$/);
      const log = manifest.entries.find((e) => e.name === 'logs/tracker/upwork.log');
      expect(log?.outcome).toBe('redacted');
      expect(log?.redactions?.jwt).toBeGreaterThan(0);

      const ins = await runCli(['inspect', res.path]);
      expect(ins.code, ins.stderr).toBe(0);
      expect(ins.stdout).toMatch(/Integrity: OK/);
      expect(ins.stdout).toMatch(/Tracker version: 5\.8\.0\.33/);
      expect(ins.stdout).toMatch(/Checks re-run now on the bundled facts/);
      expect(ins.stdout).toMatch(/ECONNRESET/);
      // With --json, no progress line on stderr (only the steps).
      expect(r.stderr).not.toMatch(/ read \(\d+ %\)/);

      // A modified copy fails verification with exit 1, naming the entry.
      const tampered = path.join(root, 'tampered.zip');
      execFileSync('python3', [
        '-c',
        [
          'import zipfile, sys',
          'with zipfile.ZipFile(sys.argv[1]) as a, zipfile.ZipFile(sys.argv[2], "w", zipfile.ZIP_DEFLATED) as b:',
          '  for i in a.infolist(): b.writestr(i, b"edited" if i.filename == "report.txt" else a.read(i))',
        ].join('\n'),
        res.path,
        tampered,
      ]);
      const bad = await runCli(['inspect', tampered]);
      expect(bad.code).toBe(1);
      expect(bad.stdout).toMatch(/Integrity: FAILED: 1 modified[\s\S]*modified: report\.txt/);
    } finally {
      child.kill('SIGKILL');
    }
  }, 90_000);

  it('encrypts to a certificate: openssl cms -decrypt, then unzip -t; inspect --key reads it', async () => {
    const root = tempDir();
    const { dataDir } = makeTracker(root);
    const out = path.join(root, 'out');
    mkdirSync(out);
    const { cert, key } = makeCert(root, 'support');
    const other = makeCert(root, 'other');
    const r = await runCli(bundleArgs(dataDir, out, ['--encrypt-to', cert]));
    expect(r.code, r.stderr).toBe(0);
    const res = JSON.parse(r.stdout) as BundleJson;
    expect(res.path).toMatch(/\.zip\.p7m$/);
    expect(res.encrypted).toBe(true);
    expect(readdirSync(out)).toEqual([path.basename(res.path)]); // no plaintext beside it
    const zip = path.join(root, 'B.zip');
    execFileSync('openssl', [
      'cms',
      '-decrypt',
      '-inform',
      'DER',
      '-in',
      res.path,
      '-inkey',
      key,
      '-out',
      zip,
    ]);
    execFileSync('unzip', ['-t', zip]);
    const all = Object.values(pythonUnzip(zip))
      .map((b) => b.toString())
      .join('\n');
    for (const s of fixtureLines('secrets.txt')) expect(all.includes(s), s).toBe(false);

    const ok = await runCli(['inspect', res.path, '--key', key, '--json']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(
      (JSON.parse(ok.stdout) as { encrypted: boolean; verification: { ok: boolean } }).verification.ok,
    ).toBe(true);
    const wrong = await runCli(['inspect', res.path, '--key', other.key]);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/wrong key/);
    expect(wrong.stderr).not.toMatch(/\n\s+at /);
    const nokey = await runCli(['inspect', res.path]);
    expect(nokey.code).toBe(2);
    expect(nokey.stderr).toMatch(/--key/);
  }, 90_000);

  it("a user whose name is one of the manifest's own words (home, cookie) still gets a bundle", async () => {
    for (const name of ['home', 'cookie']) {
      const root = tempDir();
      const { dataDir } = makeTracker(root);
      const home = path.join(root, 'users', name);
      mkdirSync(home, { recursive: true });
      const out = path.join(root, 'out');
      mkdirSync(out);
      const r = await runCli(bundleArgs(dataDir, out), { home });
      expect(r.stderr).not.toMatch(/internal error|survived|residual/i);
      expect(r.code, r.stderr).toBe(0);
      const res = JSON.parse(r.stdout) as BundleJson;
      // The rule ids stay in the manifest; the user's name as a value is still replaced.
      const manifest = execFileSync('unzip', ['-p', res.path, 'manifest.json'], { encoding: 'utf8' });
      expect(manifest).toMatch(/"home-path"|"cookie"|"redaction"/);
      expect(manifest).not.toContain(home);
    }
  }, 120_000);

  it('without a terminal and without --yes writes nothing and names --yes (exit 1)', async () => {
    const root = tempDir();
    const { dataDir } = makeTracker(root);
    const out = path.join(root, 'out');
    mkdirSync(out);
    const r = await runCli(['bundle', '--data-dir', dataDir, '--out', out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/--yes/);
    expect(readdirSync(out)).toEqual([]);
  });

  it('refuses bad options and output folders with one line', async () => {
    const root = tempDir();
    const { dataDir } = makeTracker(root);
    const cases: [string[], RegExp][] = [
      [['--out', path.join(dataDir, 'Upwork')], /inside the tracker's data folder/],
      [['--out', path.join(root, 'missing')], /does not exist/],
      [['--out', root, '--since', 'yesterday'], /--since must be a duration/],
      [['--out', root, '--ticket', '../../etc'], /--ticket must be/],
      [['--out', root, '--encrypt-to', path.join(FIXTURE_NOT_CERT)], /not an X\.509 certificate/],
    ];
    for (const [args, msg] of cases) {
      const r = await runCli(['bundle', '--data-dir', dataDir, '--yes', ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(msg);
      expect(r.stderr.split('\n').filter((l) => l.startsWith('upwork-doctor:'))).toHaveLength(1);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
    expect(readdirSync(root).filter((n) => n.endsWith('.zip'))).toEqual([]);
  }, 60_000);

  it('keeps the tail of a file over the budget, skips old, outside-symlinked files, removes stale partials', async () => {
    const root = tempDir();
    const { dataDir, logsDir } = makeTracker(root);
    const out = path.join(root, 'out');
    mkdirSync(out);
    // 6 MB of log with a 1 MB budget: it must be cut.
    writeFileSync(path.join(logsDir, 'big.log'), bulkLog(6_000_000, 3));
    writeFileSync(path.join(logsDir, 'old.log'), 'ancient\n');
    const old = new Date(Date.now() - 10 * 86400_000);
    utimesSync(path.join(logsDir, 'old.log'), old, old);
    writeFileSync(path.join(root, 'outside.txt'), 'not a log\n');
    symlinkSync(path.join(root, 'outside.txt'), path.join(logsDir, 'escape.log'));
    const stale = path.join(out, 'upwork-doctor-20260101-000000-deadbeef.zip.partial');
    writeFileSync(stale, 'half');
    const r = await runCli(bundleArgs(dataDir, out, ['--max-size', '1', '--since', '2d']));
    expect(r.code, r.stderr).toBe(0);
    const res = JSON.parse(r.stdout) as BundleJson;
    expect(existsSync(stale)).toBe(false);
    expect(res.size).toBeLessThan(1_000_000);
    const entries = pythonUnzip(res.path);
    const manifest = JSON.parse(entries['manifest.json']!.toString()) as {
      entries: { name?: string; source: string; outcome: string; reason?: string; bytesDropped?: number }[];
    };
    const big = manifest.entries.find((e) => e.source.endsWith('/big.log'));
    expect(big?.outcome).toBe('tailed');
    expect(big?.bytesDropped).toBeGreaterThan(0);
    const text = entries['logs/tracker/big.log']!.toString();
    const [note, first] = text.split('\n');
    expect(note).toMatch(new RegExp(`^\\[upwork-doctor\\] ${big?.bytesDropped} bytes were cut`));
    expect(first).toMatch(/^\[2026-11-10 \d\d:\d\d:\d\d\.\d{3}\] \[info\] {2}tracker: tick \d+ /);
    expect(manifest.entries.find((e) => e.source.endsWith('/old.log'))?.reason).toBe('older-than-since');
    expect(manifest.entries.find((e) => e.source.endsWith('/escape.log'))?.reason).toBe('symlink-outside');
    expect(Object.keys(entries).some((n) => n.includes('escape') || n.includes('old.log'))).toBe(false);
  }, 90_000);

  it('includes screenshots only with --include-screenshots', async () => {
    const root = tempDir();
    const { dataDir, cacheDir } = makeTracker(root);
    const out = path.join(root, 'out');
    mkdirSync(out);
    const r = await runCli(bundleArgs(dataDir, out, ['--include-screenshots']));
    expect(r.code, r.stderr).toBe(0);
    const entries = pythonUnzip((JSON.parse(r.stdout) as BundleJson).path);
    expect(
      entries['cache/screenshots/shot-1.png']?.equals(
        readFileSync(path.join(cacheDir, 'screenshots', 'shot-1.png')),
      ),
    ).toBe(true);
    expect(Object.keys(entries).some((n) => n.endsWith('.jrnl'))).toBe(false);
  }, 60_000);
});

const FIXTURE_NOT_CERT = path.join(import.meta.dirname, 'bundle.test.ts');
