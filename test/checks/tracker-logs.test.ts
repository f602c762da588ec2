import { cpSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { trackerLogs } from '../../src/checks/tracker-logs.js';
import { allZeroCounts, classifyEvent, readLogEvidence } from '../../src/facts/log-evidence.js';
import { parseLogText, type LogEvent } from '../../src/facts/logs.js';
import { ROOT, tempDir } from '../helpers/cli.js';
import { makeFacts, missing } from '../helpers/facts.js';
import { unknownCacheFacts } from '../helpers/engine-facts.js';

const NOW = '2026-12-01T09:00:00.000Z';
const home = (os: string) => {
  const dir = tempDir('uwd-logs-home-');
  cpSync(path.join(ROOT, 'fixtures', 'installed', os, 'home'), dir, { recursive: true });
  return dir;
};
const logs = (os: string, data: string) => path.join(home(os), data, 'Upwork', 'Logs');
const run = async (dir: string, h = '/nowhere') =>
  trackerLogs.run(makeFacts({ logEvidence: await readLogEvidence(dir, h) }, { collectedAt: NOW }));
const event = (text: string) => parseLogText(text)[0] as LogEvent;

describe('tracker-logs on the real layouts (fixtures/installed)', () => {
  it('linux on Wayland: failed uploads since the last success, quoted with their time', async () => {
    const f = await run(logs('linux', '.Upwork'));
    expect([f.status, f.code]).toEqual(['fail', 'UWD-LOG-002']);
    expect(f.summary).toMatch(
      /no successful upload since 2026-11-29T09:10:02\.930 \(\d+ h\); the last attempt, at 2026-11-30T09:10:31\.604, failed/,
    );
    const d = f.details!.join('\n');
    expect(d).toContain(
      'From the logs (upwork..20261130.log, 2026-11-30T09:10:31.604): [2026-11-30T09:10:31.604] [ERROR] main.tracker - upload failed',
    );
    expect(d).toMatch(/Screensnap failed: screenshots are only available on Xorg sessions/);
    expect(d).toMatch(/2 of 3 activity records .* zero keyboard and mouse counts/);
    expect(d).toMatch(/update checks failing/);
    expect(f.evidence).toMatchObject({ source: 'logs', idleErrors: { count: 1 } });
  });

  it('win32: a proxy refusing the upload, and the update check failing', async () => {
    const f = await run(logs('win32', 'AppData/Local/Upwork'));
    expect(f.code).toBe('UWD-LOG-002');
    expect(f.details!.join('\n')).toMatch(
      /HTTP 407 Proxy Authentication Required[\s\S]*HTTP 403 from https:\/\/upwork-usw2-desktopapp/,
    );
  });

  it('darwin: the last upload succeeded', async () => {
    const f = await run(logs('darwin', 'Library/Application Support/Upwork'));
    expect([f.status, f.code]).toEqual(['pass', 'UWD-LOG-001']);
    expect(f.summary).toMatch(/last upload succeeded at 2026-11-30T09:10:02\.930/);
  });

  it('no logs: skips and says what to look at in the app', async () => {
    const f = await run(path.join(tempDir(), 'none'));
    expect([f.status, f.code]).toEqual(['skip', 'UWD-LOG-005']);
    expect(f.details!.join(' ')).toMatch(/status line/);
  });

  it('not collected is never a pass', async () => {
    expect((await trackerLogs.run(makeFacts({ logEvidence: missing('error') }))).status).toBe('skip');
  });

  it('masks the home folder and e-mail addresses in quoted lines', async () => {
    const h = home('linux');
    const dir = path.join(h, 'x');
    const { writeFileSync, mkdirSync } = await import('node:fs');
    mkdirSync(dir);
    writeFileSync(
      path.join(dir, 'upwork..20261130.log'),
      `[2026-11-30T09:00:00.000] [ERROR] main.tracker - upload failed for dana@example.com reading ${h}/.Upwork/x\n`,
    );
    const f = await run(dir, h);
    expect(f.details!.join('\n')).toContain('upload failed for <email> reading ~/.Upwork/x');
  });
});

describe('log event classification', () => {
  it.each([
    [
      '[2026-11-30T09:00:00.000] [INFO] main.shell.os_services - Electron Screensnap succeeded.',
      ['screenshotsOk'],
    ],
    [
      '[2026-11-30T09:00:00.000] [ERROR] main.idle - DBUS IdleTime org.gnome.Mutter.IdleMonitor not activatable',
      ['idleErrors'],
    ],
    [
      '[2026-11-30T09:00:00.000] [INFO] upload - POST https://x/v1 with 3 segment(s) (attempt 1)',
      ['uploadAttempts'],
    ],
    [
      '[2026-11-30T09:00:00.000] [INFO] upload - done: HTTP 200, 3 accepted, 0 duplicate, 0 rejected',
      ['uploadSuccesses'],
    ],
    [
      '[2026-11-30T09:00:00.000] [ERROR] upload - POST https://x failed: HTTP 503 maintenance (attempt 2)',
      ['uploadAttempts', 'uploadFailures'],
    ],
    ['[2026-11-30T09:00:00.000] [INFO] main.updater - No update available', []],
  ])('%s', (line, kinds) => {
    expect(classifyEvent(event(line))).toEqual(kinds);
  });

  it('all-zero activity: only counters named like keys or mouse, and only when there are some', () => {
    expect(allZeroCounts({ type: 'T', keyboardEvents: 0, mouseEvents: 0, minutesWorkedThisWeek: 5 })).toBe(
      true,
    );
    expect(allZeroCounts({ type: 'T', keyboardEvents: 0, mouseEvents: 3 })).toBe(false);
    expect(allZeroCounts({ type: 'T', minutesWorkedThisWeek: 0 })).toBe(false);
    expect(allZeroCounts('x')).toBe(false);
  });
});

describe('cache-fullness on the installed app, from the logs', () => {
  it('unknown cache format + failing uploads: a warning quoted from the logs; no logs: the skip', async () => {
    const { cacheFullness } = await import('../../src/checks/cache-fullness.js');
    const cache = unknownCacheFacts();
    const logEvidence = await readLogEvidence(logs('linux', '.Upwork'), '/nowhere');
    const f = await cacheFullness.run(makeFacts({ cache, logEvidence }, { collectedAt: NOW }));
    expect([f.status, f.code]).toEqual(['warn', 'UWD-CACHE-011']);
    expect(f.details![0]).toMatch(/^From the logs \(upwork\.\.20261130\.log, 2026-11-30T09:10:31\.604\)/);
    const alone = await cacheFullness.run(makeFacts({ cache }, { collectedAt: NOW }));
    expect([alone.status, alone.code]).toEqual(['skip', 'UWD-CACHE-010']);
  });
});
