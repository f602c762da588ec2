/**
 * inspect's timeline reads only the end of each log (so verifying runs at inflate + sha256 speed):
 * the newest events must still be those a full parse finds, the version the first in archive
 * order, and a log whose events are all older than the newest kept must not displace them.
 */
import { describe, expect, it } from 'vitest';
import { parseLogText } from '../../../src/facts/logs.js';
import { LogTail, MAX_EVENTS, TAIL_BYTES, TimelineCollector } from '../../../src/report/inspect/timeline.js';

const pad = (n: number, w = 2) => String(n).padStart(w, '0');
/** A log of `n` events, one per second from `hour`:00 of `day`, every 7th a warning. */
function log(day: string, hour: number, n: number, extra = ''): string {
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    const s = hour * 3600 + i;
    const t = `${day}T${pad(Math.floor(s / 3600) % 24)}:${pad(Math.floor(s / 60) % 60)}:${pad(s % 60)}.000`;
    lines.push(`[${t}] [${i % 7 === 0 ? 'WARN' : 'INFO'}] uploader - event ${i} ${'x'.repeat(60)}`);
    if (i % 50 === 0) lines.push('{', `  "type": "TRACKER_UPLOAD_STARTED", "i": ${i}`, '}');
  }
  return `${extra}${lines.join('\n')}\n`;
}

/** Feed a log to a tail in chunks of odd sizes, as an inflate stream would. */
function tailOf(name: string, index: number, text: string): LogTail {
  const tail = new LogTail(name, index);
  const buf = Buffer.from(text, 'utf8');
  for (let at = 0, k = 0; at < buf.length; k++) {
    const n = [65_536, 1, 200_003, 7][k % 4]!;
    tail.push(buf.subarray(at, at + n));
    at += n;
  }
  return tail;
}

describe('inspect timeline from the tails of the logs', () => {
  it('a log much longer than the tail gives the same newest events as parsing all of it', () => {
    const text = log('2025-04-30', 0, 80_000);
    expect(text.length).toBeGreaterThan(TAIL_BYTES);
    const c = new TimelineCollector();
    c.add(tailOf('logs/tracker/upwork..20250430.log', 0, text));
    const full = parseLogText(text).flatMap((e) => (e.kind === 'event' ? [e] : []));
    const want = full.slice(-MAX_EVENTS);
    const got = c.recent(1e6, { max: MAX_EVENTS });
    expect(got.map((e) => e.time)).toEqual(want.map((e) => e.time));
    expect(got.at(-1)?.text).toBe(want.at(-1)?.message);
    const problems = c.recent(1, { problems: true });
    expect(problems.length).toBe(60);
    expect(problems.every((e) => e.level === 'warn')).toBe(true);
  });

  it('takes the version from the first log in archive order, wherever a chunk cut its line', () => {
    const c = new TimelineCollector();
    // The later log finishes first (entries stream in parallel).
    c.add(
      tailOf(
        'logs/b.log',
        1,
        log('2025-04-29', 0, 10, '[2025-04-29T00:00:00.000] [INFO] main - Upwork 5.8.0.40 started\n'),
      ),
    );
    const first = `${'filler line\n'.repeat(30_000)}[2025-04-30T00:00:00.000] [INFO] main - Upwork 5.8.0.33 started\n`;
    c.add(tailOf('logs/a.log', 0, first + log('2025-04-30', 1, 10)));
    expect(c.version).toBe('5.8.0.33');
  });

  it('an older log does not displace the newest events, and events of one second keep archive order', () => {
    const c = new TimelineCollector();
    c.add(tailOf('logs/new.log', 0, log('2025-04-30', 0, MAX_EVENTS + 10)));
    c.add(tailOf('logs/old.log', 1, log('2025-04-20', 0, 100)));
    const events = c.recent(1e6, { max: MAX_EVENTS });
    expect(events).toHaveLength(MAX_EVENTS);
    expect(events.every((e) => e.entry === 'logs/new.log')).toBe(true);
    const d = new TimelineCollector();
    d.add(tailOf('logs/y.log', 1, log('2025-04-30', 0, 3)));
    d.add(tailOf('logs/x.log', 0, log('2025-04-30', 0, 3)));
    const seconds = ['logs/x.log', 'logs/y.log'];
    expect(d.recent(1e6).map((e) => e.entry)).toEqual([...seconds, ...seconds, ...seconds]);
  });
});
