import { mkdtempSync, mkdirSync, writeFileSync, utimesSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  MAX_LINE_CHARS,
  MAX_PAYLOAD_CHARS,
  classifyLogFile,
  listLogFiles,
  logFileName,
  logFileNewestMs,
  parseLogHeader,
  parseLogText,
  readLogFile,
  readLogStream,
  type LogEntry,
} from '../../src/facts/logs.js';

async function collect(it: AsyncIterable<LogEntry>): Promise<LogEntry[]> {
  const out: LogEntry[] = [];
  for await (const e of it) out.push(e);
  return out;
}

const REAL = [
  'Electron app starting',
  '[2025-04-10T12:30:45.123] [INFO] main.shell.os_services - Electron Screensnap succeeded.',
  '[2025-04-10T12:31:00.004] [INFO] main.tracker - dispatch {',
  '  "type": "TRACKER_UPLOAD_STARTED",',
  '  "minutesWorkedThisWeek": 310',
  '}',
  '[2025-04-10T12:31:02.500] [ERROR] main.idle - DBUS IdleTime org.gnome.Mutter.IdleMonitor not activatable',
  '',
].join('\n');

describe('log file names', () => {
  it.each([
    ['upwork..20250410.log', { kind: 'main', date: '2025-04-10', rotation: 0 }],
    ['upwork.cmon.20250410.log', { kind: 'cmon', date: '2025-04-10', rotation: 0 }],
    ['dash..upwork.20250410.log', { kind: 'dash', date: '2025-04-10', rotation: 0 }],
    ['upwork.20230101.log', { kind: 'main', date: '2023-01-01', rotation: 0 }],
    ['upwork..20250410.log.2', { kind: 'main', date: '2025-04-10', rotation: 2 }],
    ['upwork..20250410.1.log', { kind: 'main', date: '2025-04-10', rotation: 1 }],
    ['upwork.log', { kind: 'other', date: null, rotation: 0 }],
    ['upwork.log.3', { kind: 'other', date: null, rotation: 3 }],
    ['upwork..20251340.log', { kind: 'other', date: null, rotation: 0 }],
  ])('%s', (name, want) => {
    expect(classifyLogFile(name)).toEqual(want);
  });

  it('ignores files that are not logs', () => {
    expect(classifyLogFile('Cache')).toBeUndefined();
    expect(classifyLogFile('screenshot.png')).toBeUndefined();
  });

  it('names files as the app does', () => {
    expect(logFileName('main', '2025-04-10')).toBe('upwork..20250410.log');
    expect(logFileName('cmon', '2025-04-10')).toBe('upwork.cmon.20250410.log');
    expect(logFileName('dash', '2025-04-10')).toBe('dash..upwork.20250410.log');
  });

  it('lists a folder newest first by the date in the name, and dates files for --since', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'uwd-logs-'));
    for (const n of ['upwork..20250408.log', 'upwork..20250410.log', 'upwork.cmon.20250409.log', 'notes.txt'])
      writeFileSync(path.join(dir, n), 'x\n');
    mkdirSync(path.join(dir, 'upwork..20250411.log'));
    // Touched later than its day (copied): still counts by the day in its name.
    utimesSync(path.join(dir, 'upwork..20250408.log'), new Date('2026-01-01'), new Date('2026-01-01'));
    const { files, error } = await listLogFiles(dir);
    expect(error).toBeUndefined();
    expect(files.map((f) => f.name)).toEqual([
      'upwork..20250410.log',
      'upwork.cmon.20250409.log',
      'upwork..20250408.log',
    ]);
    expect(logFileNewestMs(files[2]!)).toBe(Date.parse('2025-04-09T00:00:00Z'));
  });

  it('a missing folder is no logs; a file in its place is an error', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'uwd-logs-'));
    expect(await listLogFiles(path.join(dir, 'nope'))).toEqual({ files: [] });
    writeFileSync(path.join(dir, 'file'), '');
    expect((await listLogFiles(path.join(dir, 'file'))).error).toMatch(/ENOTDIR/);
  });
});

describe('log lines', () => {
  it('reads log4js lines as typed events, payloads attached to the line above, other lines as text', () => {
    const entries = parseLogText(REAL);
    expect(entries).toHaveLength(4);
    expect(entries[0]).toEqual({ kind: 'text', line: 1, text: 'Electron app starting' });
    expect(entries[1]).toEqual({
      kind: 'event',
      line: 2,
      time: '2025-04-10T12:30:45.123',
      at: Date.parse('2025-04-10T12:30:45.123Z'), // TZ=UTC in tests: local time is UTC
      level: 'info',
      category: 'main.shell.os_services',
      message: 'Electron Screensnap succeeded.',
    });
    const upload = entries[2];
    expect(upload).toMatchObject({ kind: 'event', line: 3, category: 'main.tracker', message: 'dispatch {' });
    expect(upload?.kind === 'event' && upload.payload).toMatchObject({
      type: 'TRACKER_UPLOAD_STARTED',
      json: { type: 'TRACKER_UPLOAD_STARTED', minutesWorkedThisWeek: 310 },
      truncated: false,
    });
    expect(entries[3]).toMatchObject({ level: 'error', category: 'main.idle' });
  });

  it('reads a payload that is a whole JSON object below the line', () => {
    const [e] = parseLogText('[2025-04-10T12:31:00.004] [INFO] main - event\n{\n  "type": "TRACKER_SAVE_USER_ACTIVITY"\n}\n');
    expect(e?.kind === 'event' && e.payload?.json).toEqual({ type: 'TRACKER_SAVE_USER_ACTIVITY' });
  });

  it('honours an explicit offset and the older engine format', () => {
    expect(parseLogHeader('[2025-04-10T12:30:45.123+02:00] [WARN] a - b')?.at).toBe(
      Date.parse('2025-04-10T10:30:45.123Z'),
    );
    expect(parseLogHeader('[2026-11-16 09:00:01.104] [info]  tracker: contract 1 started')).toMatchObject({
      level: 'info',
      category: 'tracker',
      message: 'contract 1 started',
    });
    expect(parseLogHeader('[2025-04-10T12:30:45.123] [LOUD] a - b')).toBeUndefined();
    expect(parseLogHeader('[2025-13-10T12:30:45.123] [INFO] a - b')?.at).toBeNull();
  });

  it('bounds huge lines and payloads', () => {
    const big = 'x'.repeat(MAX_PAYLOAD_CHARS);
    const [e] = parseLogText(`[2025-04-10T12:30:45.123] [INFO] a - b\n${big}\n${big}\n`);
    expect(e?.kind === 'event' && e.payload?.truncated).toBe(true);
    expect(e?.kind === 'event' && e.payload!.text.length).toBeLessThanOrEqual(MAX_PAYLOAD_CHARS);
  });

  it('streams a file in small chunks with the same result as the whole text', async () => {
    const chunks: Buffer[] = [];
    const bytes = Buffer.from(`${REAL}é€\n`);
    for (let i = 0; i < bytes.length; i += 7) chunks.push(bytes.subarray(i, i + 7));
    expect(await collect(readLogStream(Readable.from(chunks)))).toEqual(parseLogText(`${REAL}é€\n`));
  });

  it('streams a line longer than the bound without holding it', async () => {
    const line = 'y'.repeat(MAX_LINE_CHARS * 5);
    const out = await collect(readLogStream(Readable.from([line.slice(0, 10_000), line.slice(10_000), '\nok\n'])));
    expect(out.map((e) => (e.kind === 'text' ? e.text.length : -1))).toEqual([MAX_LINE_CHARS, 2]);
  });

  it('reads a file from disk', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'uwd-logs-'));
    const f = path.join(dir, 'upwork..20250410.log');
    writeFileSync(f, REAL);
    expect(await collect(readLogFile(f))).toEqual(parseLogText(REAL));
  });

  it('never throws and keeps every non-blank line, whatever the input (property)', async () => {
    const lineArb = fc.oneof(
      fc.string(),
      fc.constantFrom(...REAL.split('\n'), '{', '}', '[', '"type": "X"', '\r', '[2025-04-10T12:30:45.123] [INFO] a -'),
      fc.tuple(fc.date({ noInvalidDate: true }), fc.constantFrom('INFO', 'warn', 'Error', 'BOGUS'), fc.string()).map(
        ([d, l, m]) => `[${d.toISOString().slice(0, 23)}] [${l}] cat - ${m}`,
      ),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(lineArb, { maxLength: 40 }), fc.integer({ min: 1, max: 50 }), async (lines, size) => {
        const text = lines.join('\n');
        const whole = parseLogText(text);
        // Each non-blank line is either an event's header, in a payload, or kept as text.
        const headers = whole.filter((e) => e.kind === 'event').length;
        const texts = whole.filter((e) => e.kind === 'text').length;
        const payloadLines = whole.reduce(
          (n, e) => n + (e.kind === 'event' && e.payload ? e.payload.text.split('\n').length : 0),
          0,
        );
        const nonBlank = lines.flatMap((l) => l.split('\n')).filter((l) => l.replace(/\r$/, '').trim()).length;
        expect(headers + texts + payloadLines).toBeGreaterThanOrEqual(nonBlank);
        const buf = Buffer.from(text);
        const chunks: Buffer[] = [];
        for (let i = 0; i < buf.length; i += size) chunks.push(buf.subarray(i, i + size));
        expect(await collect(readLogStream(Readable.from(chunks)))).toEqual(whole);
      }),
      { numRuns: 300 },
    );
  });
});
