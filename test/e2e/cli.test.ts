import { describe, expect, it } from 'vitest';
import AjvModule from 'ajv';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { reportSchema } from '../../src/report/schema.js';
import { runCli, tempDir, UTF8 } from '../helpers/cli.js';

// Only the foundation's checks: fast and machine-independent enough for exit-code tests.
const BASE = ['--only', 'disk-space,data-dir'];

describe('upwork-doctor CLI (spawned)', () => {
  it('exit 0 on a healthy data folder, text report with symbols', async () => {
    const dir = tempDir();
    const r = await runCli([...BASE, '--data-dir', dir], { env: UTF8 });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/✓ Tracker data folder/);
    expect(r.stdout).toMatch(/2 passed/);
  });

  it('exit 1 when a check fails (the data folder does not exist)', async () => {
    const r = await runCli([...BASE, '--data-dir', path.join(tempDir(), 'missing')], { env: UTF8 });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/✗ Tracker data folder: .*does not exist/);
    expect(r.stdout).toMatch(/→ Start the Upwork app/);
  });

  it('exit 2 and a one-line error on an unknown flag', async () => {
    const r = await runCli(['--bogus']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^upwork-doctor: error: unknown option '--bogus'/);
  });

  it('exit 2 on an unknown check id, a bad --deadline, or a bad --format', async () => {
    for (const args of [
      ['--only', 'nope'],
      ['--deadline', 'soon'],
      ['--format', 'yaml'],
    ]) {
      const r = await runCli(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });

  it('--json parses and validates against the report schema', async () => {
    const dir = tempDir();
    const r = await runCli([...BASE, '--data-dir', dir, '--json']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as {
      findings: { id: string }[];
      exitCode: number;
      target: { dataDir: string };
    };
    const Ajv = AjvModule as unknown as typeof AjvModule.default;
    const ajv = new Ajv({ strict: false });
    const valid = ajv.validate(reportSchema, report);
    expect(ajv.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
    expect(report.findings.map((f) => f.id)).toEqual(['data-dir', 'disk-space']);
    expect(report.exitCode).toBe(0);
    expect(report.target.dataDir).toBe(dir);
  });

  it('--format junit is well-formed XML with one testcase per check and failures as such', async () => {
    const r = await runCli([...BASE, '--data-dir', path.join(tempDir(), 'missing'), '--format', 'junit']);
    expect(r.code).toBe(1);
    expect(XMLValidator.validate(r.stdout)).toBe(true);
    const doc = new XMLParser({ ignoreAttributes: false }).parse(r.stdout) as {
      testsuites: {
        '@_tests': string;
        '@_failures': string;
        testsuite: { testcase: { '@_classname': string; failure?: unknown }[] };
      };
    };
    expect(doc.testsuites['@_tests']).toBe('2');
    expect(doc.testsuites['@_failures']).toBe('1');
    const cases = doc.testsuites.testsuite.testcase;
    expect(cases.map((c) => c['@_classname'])).toEqual([
      'upwork-doctor.data-dir',
      'upwork-doctor.disk-space',
    ]);
    expect(cases[0]!.failure).toBeDefined();
  });

  it('machine formats and --no-color hold no escape codes, even with FORCE_COLOR', async () => {
    const dir = path.join(tempDir(), 'missing');
    for (const args of [['--json'], ['--format', 'junit'], ['--no-color']]) {
      const r = await runCli([...BASE, '--data-dir', dir, ...args], {
        env: { NO_COLOR: undefined, FORCE_COLOR: '3' },
      });
      expect(r.stdout, args.join(' ')).not.toMatch(/\u001b\[/);
    }
  });

  it('FORCE_COLOR colours the text report; NO_COLOR turns it off', async () => {
    const dir = tempDir();
    const coloured = await runCli([...BASE, '--data-dir', dir], {
      env: { NO_COLOR: undefined, FORCE_COLOR: '1' },
    });
    expect(coloured.stdout).toMatch(/\u001b\[/);
    const plain = await runCli([...BASE, '--data-dir', dir], { env: { NO_COLOR: '1' } });
    expect(plain.stdout).not.toMatch(/\u001b\[/);
  });

  it('--output writes the report to a file, nothing on stdout', async () => {
    const dir = tempDir();
    const out = path.join(dir, 'r.json');
    const r = await runCli([...BASE, '--data-dir', dir, '--json', '--output', out]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(JSON.parse(readFileSync(out, 'utf8')).schemaVersion).toBe(1);
    const bad = await runCli([
      ...BASE,
      '--data-dir',
      dir,
      '--output',
      path.join(dir, 'no', 'such', 'dir', 'r.txt'),
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^upwork-doctor: error: Cannot write .*the folder does not exist/);
  });

  it('--list prints every check; --skip removes one', async () => {
    const r = await runCli(['--list']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^data-dir\s/m);
    expect(r.stdout).toMatch(/^disk-space\s/m);
    const s = await runCli([...BASE, '--skip', 'disk-space', '--data-dir', tempDir(), '--json']);
    expect(JSON.parse(s.stdout).findings.map((f: { id: string }) => f.id)).toEqual(['data-dir']);
  });

  it('--strict turns a warning into exit 1 (recorded facts with low disk space)', async () => {
    const dir = tempDir();
    const facts = {
      factsVersion: 1,
      collectedAt: '2026-11-18T10:00:00.000Z',
      platform: 'linux',
      target: { kind: 'installed', dataDir: '/home/u/.Upwork', found: true, reason: 'recorded' },
      host: { hostname: '<HOST>', os: 'linux', arch: 'x64', node: 'v20' },
      items: {
        disk: {
          state: 'collected',
          value: { path: '/home/u', freeBytes: 500 * 1024 * 1024, totalBytes: 10 * 1024 ** 3 },
          sources: [],
          durationMs: 1,
        },
      },
    };
    const file = path.join(dir, 'facts.json');
    writeFileSync(file, JSON.stringify(facts));
    const lax = await runCli(['--facts', file, '--only', 'disk-space']);
    expect(lax.code).toBe(0);
    expect(lax.stdout).toMatch(/\[warn\] Disk space: Only 500 MiB free/);
    const strict = await runCli(['--facts', file, '--only', 'disk-space', '--strict']);
    expect(strict.code).toBe(1);
  });

  it('bad facts files get a one-line error and exit 2', async () => {
    const dir = tempDir();
    mkdirSync(path.join(dir, 'd'));
    const cases: [string, string, RegExp][] = [
      ['garbage.json', '{not json', /is not valid JSON/],
      ['wrong.json', '{"hello":1}', /is not a facts file/],
      [
        'future.json',
        JSON.stringify({ factsVersion: 99, collectedAt: 'x', target: {}, items: {} }),
        /factsVersion 99/,
      ],
      [
        'shape.json',
        JSON.stringify({
          factsVersion: 1,
          collectedAt: '2026-11-18T10:00:00Z',
          target: { kind: 'installed', dataDir: 5, found: true, reason: 'r' },
          items: {},
        }),
        /target\.dataDir must be text \(got number 5\)/,
      ],
      ['deep.json', `{"items":${'['.repeat(20_000)}${']'.repeat(20_000)}}`, /nests deeper than 64 levels/],
    ];
    for (const [name, body, msg] of cases) {
      writeFileSync(path.join(dir, name), body);
      // --format junit: a number where the report prints text crashed the JUnit renderer before.
      const r = await runCli(['--facts', path.join(dir, name), '--format', 'junit']);
      expect(r.code, name).toBe(2);
      expect(r.stderr).toMatch(msg);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
    const missingFile = await runCli(['--facts', path.join(dir, 'absent.json')]);
    expect(missingFile.code).toBe(2);
    expect(missingFile.stderr).toMatch(/Cannot read facts file .*ENOENT/);
  });

  it('--version prints the package version', async () => {
    const r = await runCli(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(JSON.parse(readFileSync('package.json', 'utf8')).version);
  });

  it('with no install found, the default run targets the embedded engine under the doctor home', async () => {
    const home = tempDir();
    const r = await runCli(['--only', 'data-dir', '--json'], { home });
    const report = JSON.parse(r.stdout) as { target: { kind: string; dataDir: string } };
    expect(report.target.kind).toBe('embedded');
    expect(report.target.dataDir).toBe(path.join(home, 'doctor', 'reference'));
  });
});
