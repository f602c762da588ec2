import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { EngineLog, engineLogFile, engineLogsDir, formatCacheLevel, formatLogLine } from '../../src/engine/logs.js';
import { parseLogText } from '../../src/facts/logs.js';
import { tempDir } from '../helpers/cli.js';

const T = Date.UTC(2026, 10, 16, 9, 0, 1, 104);
const LINE = /^\[\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\] \[(DEBUG|INFO|WARN|ERROR)\] [a-z]+ - .+$/;

describe('engine logs', () => {
  it('formats lines as log4js does (local time, no offset; TZ=UTC here), payloads below the line', () => {
    expect(formatLogLine(T, 'info', 'tracker', 'contract 1 started')).toBe(
      '[2026-11-16T09:00:01.104] [INFO] tracker - contract 1 started\n',
    );
    expect(formatLogLine(T, 'error', 'upload', 'x')).toBe('[2026-11-16T09:00:01.104] [ERROR] upload - x\n');
    expect(formatLogLine(T, 'info', 'a', 'two\nlines').split('\n').length).toBe(2);
    const withPayload = formatLogLine(T, 'info', 'upload', 'start', { type: 'TRACKER_UPLOAD_STARTED', n: 1 });
    const [e] = parseLogText(withPayload);
    expect(e).toMatchObject({ kind: 'event', at: T, level: 'info', category: 'upload', message: 'start' });
    expect(e?.kind === 'event' && e.payload?.json).toEqual({ type: 'TRACKER_UPLOAD_STARTED', n: 1 });
  });

  it('writes in local time: the same moment reads back through the reader in another zone', () => {
    const before = process.env.TZ;
    process.env.TZ = 'Asia/Kolkata';
    try {
      const line = formatLogLine(T, 'info', 'tracker', 'x');
      expect(line.startsWith('[2026-11-16T14:30:01.104] [INFO]')).toBe(true);
      expect(parseLogText(line)[0]).toMatchObject({ at: T });
      expect(path.basename(engineLogFile('/d', Date.UTC(2026, 10, 16, 20, 0)))).toBe('upwork..20261117.log');
    } finally {
      process.env.TZ = before;
    }
  });

  it('says the cache level the way support reads it', () => {
    expect(formatCacheLevel(192, 1440)).toBe('cache 3.2 h of 24 h (13 %)');
    expect(formatCacheLevel(1440, 1440)).toBe('cache 24 h of 24 h (100 %)');
    expect(formatCacheLevel(0, 720)).toBe('cache 0 h of 12 h (0 %)');
  });

  it('writes the events support needs into <data>/Upwork/Logs/upwork..YYYYMMDD.log', () => {
    const dir = tempDir();
    let t = T;
    const log = new EngineLog(dir, { now: () => (t += 1000) });
    log.appStarted('5.8.0-ref', 'linux', 'x64');
    log.statusChanged('Online', 'Offline (caching)', 'ECONNREFUSED');
    log.segmentSealed(
      Date.UTC(2026, 10, 16, 9, 0),
      8,
      { pendingMinutes: 192, capacityMinutes: 1440 },
      'ab12',
    );
    log.uploadAttempt(3, 2, 'https://127.0.0.1:4431/v1/diary/segments:batch');
    log.uploadFailed('https://127.0.0.1:4431/v1/diary/segments:batch', 'maintenance', 2, 503, 4200);
    log.segmentRejected('c-1', Date.UTC(2026, 10, 9, 9, 0), 'WEEK_LOCKED', 423);
    log.cacheLevel(1440, 1440, 144);
    log.debug('x', 'not written at info level');
    const text = readFileSync(engineLogFile(dir, T), 'utf8');
    expect(path.basename(engineLogFile(dir, T))).toBe('upwork..20261116.log');
    const lines = text.trimEnd().split('\n').filter((l) => l.startsWith('['));
    expect(lines).toHaveLength(8);
    expect(parseLogText(text).filter((e) => e.kind === 'event' && e.payload?.type).length).toBe(2);
    for (const l of lines) expect(l).toMatch(LINE);
    expect(text).toContain('[INFO] app - starting Upwork 5.8.0-ref');
    expect(text).toContain('status "Online" -> "Offline (caching)" (ECONNREFUSED)');
    expect(text).toContain(
      'segment 2026-11-16T09:00Z sealed, activity 8/10, screenshot sha256=ab12, cache 3.2 h of 24 h',
    );
    expect(text).toContain(
      '[ERROR] upload - POST https://127.0.0.1:4431/v1/diary/segments:batch failed: HTTP 503 maintenance (attempt 2), retry in 4.2 s',
    );
    expect(text).toContain('rejected: WEEK_LOCKED (HTTP 423)');
    expect(text).toContain('[WARN] cache - cache 24 h of 24 h (100 %), 144 segment(s) waiting: cache full');
    expect(text).not.toContain('not written');
  });

  it('rotates at the size cap and keeps only the newest files', () => {
    const dir = tempDir();
    const maxBytes = 4096;
    const keep = 3;
    let t = T;
    const log = new EngineLog(dir, { maxBytes, keep, now: () => (t += 10) });
    const total = 400;
    for (let i = 0; i < total; i++)
      log.info('tracker', `line ${String(i).padStart(5, '0')} ${'x'.repeat(40)}`);
    const logs = engineLogsDir(dir);
    const files = readdirSync(logs).sort();
    const day = 'upwork..20261116.log';
    expect(files).toEqual([day, `${day}.1`, `${day}.2`, `${day}.3`]);
    for (const f of files) expect(statSync(path.join(logs, f)).size).toBeLessThanOrEqual(maxBytes);
    // Newest lines in upwork.log, older in .1, .2, .3, in order and without gaps or duplicates.
    const all = [...files]
      .reverse()
      .flatMap((f) => readFileSync(path.join(logs, f), 'utf8').trimEnd().split('\n'))
      .map((l) => Number(/line (\d+)/.exec(l)![1]));
    expect(all[all.length - 1]).toBe(total - 1);
    for (let i = 1; i < all.length; i++) expect(all[i]).toBe(all[i - 1]! + 1);
    // Only what fits in keep + 1 files survived: the oldest lines were dropped.
    expect(all[0]).toBeGreaterThan(0);
    expect(all.length * 60).toBeLessThanOrEqual((keep + 1) * maxBytes);
  });

  it('continues an existing log across restarts, rotating by its real size', () => {
    const dir = tempDir();
    const a = new EngineLog(dir, { maxBytes: 1000, now: () => T });
    for (let i = 0; i < 10; i++) a.info('app', `first run ${i} ${'y'.repeat(30)}`);
    const b = new EngineLog(dir, { maxBytes: 1000, now: () => T });
    for (let i = 0; i < 10; i++) b.info('app', `second run ${i} ${'y'.repeat(30)}`);
    expect(statSync(engineLogFile(dir, T)).size).toBeLessThanOrEqual(1000);
    expect(readFileSync(`${engineLogFile(dir, T)}.1`, 'utf8')).toContain('first run 0');
  });
});

describe('engine logs by day', () => {
  it('starts a new file at local midnight and drops days past keepDays', () => {
    const dir = tempDir();
    let t = Date.UTC(2026, 10, 1, 23, 59, 59);
    const log = new EngineLog(dir, { keepDays: 3, now: () => t });
    for (let day = 0; day < 6; day++) {
      log.info('app', `day ${day}`);
      t += 86_400_000;
    }
    expect(readdirSync(engineLogsDir(dir)).sort()).toEqual([
      'upwork..20261104.log',
      'upwork..20261105.log',
      'upwork..20261106.log',
    ]);
    expect(readFileSync(path.join(engineLogsDir(dir), 'upwork..20261106.log'), 'utf8')).toContain('day 5');
  });
});
