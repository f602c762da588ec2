import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { EngineLog, engineLogsDir, formatCacheLevel, formatLogLine } from '../../src/engine/logs.js';
import { tempDir } from '../helpers/cli.js';

const T = Date.UTC(2026, 10, 16, 9, 0, 1, 104);
const LINE = /^\[\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}\] \[(debug|info|warn|error)\] {1,2}[a-z]+: .+$/;

describe('engine logs', () => {
  it('formats lines like the real app, in UTC whatever TZ says', () => {
    expect(formatLogLine(T, 'info', 'tracker', 'contract 1 started')).toBe(
      '[2026-11-16 09:00:01.104] [info]  tracker: contract 1 started\n',
    );
    expect(formatLogLine(T, 'error', 'upload', 'x')).toBe('[2026-11-16 09:00:01.104] [error] upload: x\n');
    expect(formatLogLine(T, 'info', 'a', 'two\nlines').split('\n').length).toBe(2);
  });

  it('says the cache level the way support reads it', () => {
    expect(formatCacheLevel(192, 1440)).toBe('cache 3.2 h of 24 h (13 %)');
    expect(formatCacheLevel(1440, 1440)).toBe('cache 24 h of 24 h (100 %)');
    expect(formatCacheLevel(0, 720)).toBe('cache 0 h of 12 h (0 %)');
  });

  it('writes the events support needs into <data>/Upwork/Logs/upwork.log', () => {
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
    const text = readFileSync(path.join(engineLogsDir(dir), 'upwork.log'), 'utf8');
    const lines = text.trimEnd().split('\n');
    expect(lines).toHaveLength(7);
    for (const l of lines) expect(l).toMatch(LINE);
    expect(text).toContain('[info]  app: starting Upwork 5.8.0-ref');
    expect(text).toContain('status "Online" -> "Offline (caching)" (ECONNREFUSED)');
    expect(text).toContain(
      'segment 2026-11-16T09:00Z sealed, activity 8/10, screenshot sha256=ab12, cache 3.2 h of 24 h',
    );
    expect(text).toContain(
      '[error] upload: POST https://127.0.0.1:4431/v1/diary/segments:batch failed: HTTP 503 maintenance (attempt 2), retry in 4.2 s',
    );
    expect(text).toContain('rejected: WEEK_LOCKED (HTTP 423)');
    expect(text).toContain('[warn]  cache: cache 24 h of 24 h (100 %), 144 segment(s) waiting: cache full');
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
    expect(files).toEqual(['upwork.log', 'upwork.log.1', 'upwork.log.2', 'upwork.log.3']);
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
    const logs = engineLogsDir(dir);
    expect(statSync(path.join(logs, 'upwork.log')).size).toBeLessThanOrEqual(1000);
    expect(readFileSync(path.join(logs, 'upwork.log.1'), 'utf8')).toContain('first run 0');
  });
});
