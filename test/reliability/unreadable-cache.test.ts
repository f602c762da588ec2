/**
 * Damage that cannot be listed: parts of the offline cache the user cannot read (chmod 000: the
 * whole cache folder, the journal folder, the snapshot folder, the screenshot store, the newest
 * journal file, the MANIFEST). As root permissions never stop a read, so the CLI runs as `nobody`
 * on a folder it owns (see helpers/as-nobody.ts). The folder is a real engine cache with snapshots
 * and rotated journal files holding 18 h of waiting time (the cache-75 scenario).
 *
 * Asserted: cache-fullness is never a pass and never "nothing waits"; it names what could not be
 * read ("… cannot be read / listed (permission denied)"); `engine status` (text and --json) does
 * not crash, reports the same damage, and calls the folder an engine (not "no reference engine").
 * Needs `npm run build`.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import type { Finding } from '../../src/core/finding.js';
import { runCli, tempDir } from '../helpers/cli.js';
import { NOBODY, isRoot, runCliAs, useCliAsNobody } from '../helpers/as-nobody.js';

const cli = useCliAsNobody();
let built = '';

let srcHome = '';
afterAll(() => rmSync(srcHome, { recursive: true, force: true }));

beforeAll(async () => {
  const home = (srcHome = mkdtempSync(path.join(os.tmpdir(), 'uwd-unread-src-')));
  const r = await runCli(['check', '--scenario', 'cache-75', '--only', 'cache-fullness', '--json'], { home });
  expect(r.stderr).not.toMatch(/internal error/i);
  const [name] = readdirSync(path.join(home, 'doctor', 'scenarios'));
  built = path.join(home, 'doctor', 'scenarios', name!);
}, 120_000);

/** A copy of the built engine folder in a home `nobody` owns, with `part` made unreadable. */
function damagedCopy(part: (dataDir: string) => string) {
  const home = tempDir('uwd-unread-');
  const dataDir = path.join(home, 'engine-folder');
  cpSync(built, dataDir, { recursive: true });
  if (isRoot) spawnSync('chown', ['-R', `${NOBODY}:${NOBODY}`, home]);
  chmodSync(home, 0o755);
  const unreadable = part(dataDir);
  const mode = statSync(unreadable).mode & 0o777;
  chmodSync(unreadable, 0o000);
  // Put the mode back so the temporary folder can be removed when the tests do not run as root.
  onTestFinished(() => chmodSync(unreadable, mode));
  const env = {
    HOME: home,
    UPWORK_DOCTOR_HOME: path.join(home, 'doctor'),
    UPWORK_DOCTOR_UPWORK_URLS: 'https://www.upwork.invalid/',
    UPWORK_DOCTOR_CONTROL_HOST: 'control.invalid',
  };
  return { dataDir, env };
}

const CACHE = ['Upwork', 'Cache'];
const newestJournal = (d: string) => {
  const dir = path.join(d, ...CACHE, 'journal');
  return path.join(dir, readdirSync(dir).sort().at(-1)!);
};

const cases: { what: string; part: (d: string) => string; names: RegExp }[] = [
  {
    what: 'the whole cache folder',
    part: (d) => path.join(d, ...CACHE),
    names: /FORMAT: the file cannot be read/,
  },
  {
    what: 'the journal folder',
    part: (d) => path.join(d, ...CACHE, 'journal'),
    names: /journal: the folder cannot be listed/,
  },
  {
    what: 'the snapshot folder',
    part: (d) => path.join(d, ...CACHE, 'state'),
    names: /state: the folder cannot be listed/,
  },
  {
    what: 'the screenshot store',
    part: (d) => path.join(d, ...CACHE, 'blobs'),
    names: /blobs(\/sha256)?: the folder cannot be listed/,
  },
  {
    what: 'the newest journal file',
    part: newestJournal,
    names: /journal\/\d+\.jrnl: the file cannot be read/,
  },
  {
    what: 'the MANIFEST',
    part: (d) => path.join(d, ...CACHE, 'state', 'MANIFEST'),
    names: /MANIFEST: the file cannot be read/,
  },
];

describe('an offline cache the user cannot read is never reported as healthy', () => {
  for (const c of cases) {
    it(`${c.what} (chmod 000)`, async () => {
      const { dataDir, env } = damagedCopy(c.part);
      const check = await runCliAs(
        cli,
        ['check', '--data-dir', dataDir, '--only', 'cache-fullness', '--json'],
        env,
      );
      expect(check.stderr).not.toMatch(/internal error|\n\s+at /i);
      const report = JSON.parse(check.stdout) as { target: { kind: string }; findings: Finding[] };
      expect(report.target.kind).toBe('embedded');
      const f = report.findings.find((x) => x.id === 'cache-fullness')!;
      expect(['warn', 'fail', 'error']).toContain(f.status);
      expect(f.summary).not.toMatch(/nothing waits/i);
      expect(f.summary).toMatch(/could not be read|damaged/i);
      const details = f.details.join('\n');
      expect(details).toMatch(c.names);
      expect(details).toMatch(/permission denied/);
      expect(new Set(f.details).size, details).toBe(f.details.length); // each damage said once
      // Beside damage the counts are a lower bound, never a bare "0 h".
      expect(details).toMatch(/Cache, as far as it could be read: at least /);
      expect(check.code).toBe(1);

      const status = await runCliAs(cli, ['engine', 'status', '--data-dir', dataDir], env);
      expect(status.stderr).not.toMatch(/internal error|\n\s+at |does not hold a reference engine/i);
      expect(status.code).toBe(0);
      expect(status.stdout).toMatch(/Damage: .*permission denied/);
      expect(status.stdout).toMatch(/Cache: +as far as it could be read, at least /);
      const json = await runCliAs(cli, ['engine', 'status', '--data-dir', dataDir, '--json'], env);
      expect(json.code, json.stderr).toBe(0);
      const s = JSON.parse(json.stdout) as { cache: { damage: unknown[] } };
      expect(s.cache.damage.length).toBeGreaterThan(0);
    }, 90_000);
  }
});

describe.skipIf(!isRoot)('a reference folder this user may not write', () => {
  it('left by a run as root: one line naming the file and what to do, exit 2, no stack', async () => {
    const home = tempDir('uwd-rootowned-');
    const dataDir = path.join(home, 'engine-folder');
    cpSync(built, dataDir, { recursive: true });
    // Readable by everyone, writable by root only, as `sudo upwork-doctor` once leaves it.
    spawnSync('chmod', ['-R', 'a+rX,go-w', home]);
    const env = {
      HOME: home,
      UPWORK_DOCTOR_HOME: path.join(home, 'doctor'),
      UPWORK_DOCTOR_UPWORK_URLS: 'https://www.upwork.invalid/',
      UPWORK_DOCTOR_CONTROL_HOST: 'control.invalid',
    };
    const r = await runCliAs(cli, ['check', '--data-dir', dataDir, '--only', 'cache-fullness'], env);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).not.toMatch(/internal error|\n\s+at /i);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(
      /^upwork-doctor: error: Cannot use the reference tracker folder .*: \S+ cannot be opened \(permission denied\)\. Run as the folder's owner/,
    );
  }, 90_000);
});
