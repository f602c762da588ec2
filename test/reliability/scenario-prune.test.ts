/**
 * Scenario folders do not pile up, and a folder something still runs on is never pulled away.
 * `--scenario NAME` builds a fresh engine folder under `<doctor home>/scenarios/NAME-<8 hex>` and
 * first prunes that name's older folders (`pruneScenarioDirs`, keeping the newest 2): newest by the
 * scenario marker's builtAt, else by the folder's mtime. A folder whose cache LOCK, Helper pidfile
 * or server.json names a live process is kept. The CLI part uses real scenario folders and a real
 * `engine track` holding the lock. Needs `npm run build`.
 */
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isPidAlive } from '../../src/core/pid.js';
import { pruneScenarioDirs } from '../../src/engine/scenarios.js';
import { BIN, ROOT, runCli, tempDir } from '../helpers/cli.js';
import { pidIn, waitFor } from '../helpers/procs.js';

const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 10, 20, 9, 0, 0);

/** A scenario folder as the builder leaves it (marker, cache folder, a log), built at `builtAt`. */
function fakeScenarioDir(home: string, name: string, hex: string, builtAt?: number): string {
  const dir = path.join(home, 'scenarios', `${name}-${hex}`);
  mkdirSync(path.join(dir, 'engine'), { recursive: true });
  mkdirSync(path.join(dir, 'Upwork', 'Cache'), { recursive: true });
  mkdirSync(path.join(dir, 'Upwork', 'Logs'), { recursive: true });
  writeFileSync(path.join(dir, 'Upwork', 'Logs', 'upwork.log'), 'log\n');
  if (builtAt !== undefined)
    writeFileSync(
      path.join(dir, 'engine', 'scenario.json'),
      JSON.stringify({ name, builtAt, referenceNow: builtAt, clockOffsetMs: 0, faults: {} }),
    );
  const t = new Date(builtAt ?? T0);
  utimesSync(dir, t, t);
  return dir;
}

const names = (home: string) => readdirSync(path.join(home, 'scenarios')).sort();

describe('pruneScenarioDirs', () => {
  it('keeps the newest N of one scenario by builtAt and leaves other scenarios alone', async () => {
    const home = tempDir('uwd-prune-');
    for (const [i, hex] of ['0000000a', '0000000b', '0000000c', '0000000d', '0000000e'].entries())
      fakeScenarioDir(home, 'healthy', hex, T0 + i * HOUR);
    // Built out of name order: builtAt decides, not the name.
    fakeScenarioDir(home, 'healthy', '00000001', T0 + 10 * HOUR);
    fakeScenarioDir(home, 'cache-full', '0000000f', T0 - 100 * HOUR);
    // Not a scenario folder of "healthy" (another name that starts the same), never touched.
    mkdirSync(path.join(home, 'scenarios', 'healthy-notes'));
    await pruneScenarioDirs(home, 'healthy', 2);
    expect(names(home)).toEqual([
      'cache-full-0000000f',
      'healthy-00000001',
      'healthy-0000000e',
      'healthy-notes',
    ]);
    await pruneScenarioDirs(home, 'healthy', 2);
    expect(names(home)).toHaveLength(4);
  });

  it('a folder without a readable marker counts by its mtime (one still being built is the newest)', async () => {
    const home = tempDir('uwd-prune-');
    fakeScenarioDir(home, 'healthy', '0000000a', T0);
    fakeScenarioDir(home, 'healthy', '0000000b', T0 + HOUR);
    const damaged = fakeScenarioDir(home, 'healthy', '0000000c', T0 + 2 * HOUR);
    writeFileSync(path.join(damaged, 'engine', 'scenario.json'), '{"builtAt":');
    utimesSync(damaged, new Date(T0 - HOUR), new Date(T0 - HOUR));
    const building = path.join(home, 'scenarios', 'healthy-0000000d');
    mkdirSync(building); // mtime: now, no marker yet
    await pruneScenarioDirs(home, 'healthy', 2);
    expect(names(home)).toEqual(['healthy-0000000b', 'healthy-0000000d']);
  });

  it('never removes a folder a live process holds (cache LOCK, Helper pidfile, server.json); a dead pid does not count', async () => {
    const home = tempDir('uwd-prune-');
    const host = os.hostname();
    const locked = fakeScenarioDir(home, 'healthy', '0000000a', T0);
    writeFileSync(
      path.join(locked, 'Upwork', 'Cache', 'LOCK'),
      JSON.stringify({ pid: process.pid, startedAt: T0, host }),
    );
    const helper = fakeScenarioDir(home, 'healthy', '0000000b', T0 + HOUR);
    writeFileSync(path.join(helper, 'engine', 'helper.json'), JSON.stringify({ pid: process.pid }));
    const served = fakeScenarioDir(home, 'healthy', '0000000c', T0 + 2 * HOUR);
    writeFileSync(
      path.join(served, 'engine', 'server.json'),
      JSON.stringify({ pid: process.pid, url: 'https://127.0.0.1:1/' }),
    );
    const foreign = fakeScenarioDir(home, 'healthy', '0000000d', T0 + 3 * HOUR);
    writeFileSync(
      path.join(foreign, 'Upwork', 'Cache', 'LOCK'),
      JSON.stringify({ pid: 1, startedAt: T0, host: `not-${host}` }),
    );
    const stale = fakeScenarioDir(home, 'healthy', '0000000e', T0 + 4 * HOUR);
    writeFileSync(
      path.join(stale, 'Upwork', 'Cache', 'LOCK'),
      JSON.stringify({ pid: 2 ** 22 + 12345, startedAt: T0, host }),
    );
    fakeScenarioDir(home, 'healthy', '00000010', T0 + 5 * HOUR);
    fakeScenarioDir(home, 'healthy', '00000011', T0 + 6 * HOUR);
    await pruneScenarioDirs(home, 'healthy', 2);
    expect(names(home)).toEqual([
      'healthy-0000000a',
      'healthy-0000000b',
      'healthy-0000000c',
      'healthy-0000000d',
      'healthy-00000010',
      'healthy-00000011',
    ]);
  });
});

const lockPid = (dir: string) => pidIn(path.join(dir, 'Upwork', 'Cache', 'LOCK'));

describe('--scenario prunes through the CLI', () => {
  it('keeps the 2 newest older folders plus the new one, and skips a folder engine track is running on', async () => {
    const home = tempDir('uwd-prune-cli-');
    const doctor = path.join(home, 'doctor');
    const env = { UPWORK_DOCTOR_HOME: doctor };
    const scenario = () =>
      runCli(['--scenario', 'healthy', '--only', 'clock-skew', '--format', 'json'], { home, env });
    const first = await scenario();
    expect(first.code, first.stderr).toBe(0);
    const [real] = names(doctor);
    // Three older copies of the real folder, built 3, 2 and 1 hours before it.
    const realDir = path.join(doctor, 'scenarios', real!);
    const builtAt = (
      JSON.parse(readFileSync(path.join(realDir, 'engine', 'scenario.json'), 'utf8')) as { builtAt: number }
    ).builtAt;
    const copies = ['0000000a', '0000000b', '0000000c'].map((hex, i) => {
      const dir = path.join(doctor, 'scenarios', `healthy-${hex}`);
      cpSync(realDir, dir, { recursive: true });
      const marker = path.join(dir, 'engine', 'scenario.json');
      writeFileSync(
        marker,
        JSON.stringify({ ...JSON.parse(readFileSync(marker, 'utf8')), builtAt: builtAt - (3 - i) * HOUR }),
      );
      return dir;
    });
    const oldest = copies[0]!;
    // A real tracker works in the oldest folder: it holds the cache lock.
    const track = spawn(
      process.execPath,
      [
        BIN,
        'engine',
        'track',
        '--data-dir',
        oldest,
        '--contract',
        'c-1001',
        '--memo',
        'prune test',
        '--minutes',
        '600',
        '--speed',
        '2',
      ],
      {
        cwd: ROOT,
        env: { PATH: process.env.PATH, HOME: home, UPWORK_DOCTOR_HOME: doctor, TZ: 'UTC' },
        stdio: 'ignore',
      },
    );
    const trackExited = new Promise<void>((r) => track.once('exit', () => r()));
    try {
      expect(await waitFor(() => lockPid(oldest) === track.pid && isPidAlive(track.pid!), 30_000)).toBe(true);
      const second = await scenario();
      expect(second.code, second.stderr).toBe(0);
      // Newest two before the run: the real one and copy c; b is gone; a is in use and stays.
      const after = names(doctor);
      expect(after).toHaveLength(4);
      expect(after).toEqual(expect.arrayContaining([real, 'healthy-0000000a', 'healthy-0000000c']));
      expect(existsSync(copies[1]!)).toBe(false);
    } finally {
      track.kill('SIGTERM');
      const t = setTimeout(() => track.kill('SIGKILL'), 10_000);
      await trackExited;
      clearTimeout(t);
    }
    // Its Helper follows it out (a live Helper would keep the folder, rightly).
    expect(
      await waitFor(() => !isPidAlive(pidIn(path.join(oldest, 'engine', 'helper.json')) ?? -1), 10_000),
    ).toBe(true);
    const before = names(doctor);
    const third = await scenario();
    expect(third.code, third.stderr).toBe(0);
    // Once the tracker has stopped the old folder goes; the two newest and the new one remain.
    const final = names(doctor);
    expect(final, JSON.stringify({ before, final })).toHaveLength(3);
    expect(final).not.toContain('healthy-0000000a');
    expect(final).not.toContain('healthy-0000000c');
    expect(before.filter((n) => !final.includes(n)).sort()).toEqual(['healthy-0000000a', 'healthy-0000000c']);
  }, 180_000);
});
