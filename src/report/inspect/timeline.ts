/**
 * What inspect reads from a bundle's logs besides their hashes: the tracker's version (the first
 * `Upwork x.y.z` in the logs, in archive order) and the timeline of the newest events.
 *
 * Verifying a bundle must run at the speed of inflate + sha256, so log lines are not parsed while
 * they stream. Each log keeps only its last TAIL_BYTES; when the log is done, its tail is parsed
 * (by the one log reader, src/facts/logs.ts) only if it can hold one of the newest MAX_EVENTS
 * events met so far: a log whose last event is older than all of those is left unparsed. The
 * version is found with Buffer.indexOf (native) and only the line holding a hit is decoded.
 * Logs are written in time order, so the newest events of a log are in its tail.
 */
import type { LogEntry, LogEvent } from '../../facts/logs.js';
import { LogParser, parseLogHeader } from '../../facts/logs.js';

export interface TimelineEvent {
  time: string;
  /** The same moment in epoch ms as the log reader reads it (null when the stamp is unusable). */
  at: number | null;
  level: string;
  /** The log4js category (`upload`, `tracker`, `network`, …). */
  category: string;
  text: string;
  entry: string;
}

/** How much of the end of each log is kept for the timeline. */
export const TAIL_BYTES = 4 * 1024 * 1024;
/** The newest events kept, over all logs (the timeline and the event list are cut from these). */
export const MAX_EVENTS = 5_000;
/** A line longer than this is not searched for a version (as the log reader bounds lines). */
const MAX_LINE = 64 * 1024;

const VERSION_RE = /\bUpwork (\d+\.\d+\.\d+(?:\.\d+)?)/;
const NEEDLE = Buffer.from('Upwork ', 'latin1');
const PROBLEM_LEVELS = new Set(['warn', 'error', 'fatal']);

interface Ordered extends TimelineEvent {
  /** Archive position of the log and line in it: the order of events with one time stamp. */
  index: number;
  line: number;
}

/** The first version in one log, looked for line by line without decoding the other lines. */
class VersionScan {
  version: string | undefined;
  private carry = Buffer.alloc(0);

  push(chunk: Buffer): void {
    if (this.version) return;
    const first = chunk.indexOf(10);
    if (first === -1) {
      this.carry = Buffer.concat([this.carry, chunk]).subarray(0, MAX_LINE);
      return;
    }
    if (this.test(Buffer.concat([this.carry, chunk.subarray(0, first)]))) return;
    const last = chunk.lastIndexOf(10);
    for (let at = chunk.indexOf(NEEDLE, first); at !== -1 && at < last;) {
      const start = chunk.lastIndexOf(10, at) + 1;
      const end = chunk.indexOf(10, at);
      if (this.test(chunk.subarray(start, end))) return;
      at = chunk.indexOf(NEEDLE, end);
    }
    this.carry = Buffer.from(chunk.subarray(last + 1, last + 1 + MAX_LINE));
  }

  end(): void {
    if (this.carry.length) this.test(this.carry);
    this.carry = Buffer.alloc(0);
  }

  private test(line: Buffer): boolean {
    if (line.indexOf(NEEDLE) === -1) return false;
    const m = VERSION_RE.exec(line.toString('utf8'));
    if (m?.[1]) this.version = m[1];
    return Boolean(this.version);
  }
}

/** One log as it streams: its version scan and its last TAIL_BYTES. */
export class LogTail {
  private readonly chunks: Buffer[] = [];
  private kept = 0;
  private cut = false;
  private readonly versions = new VersionScan();

  constructor(
    readonly entry: string,
    readonly index: number,
  ) {}

  push(chunk: Buffer): void {
    this.versions.push(chunk);
    this.chunks.push(chunk);
    this.kept += chunk.length;
    while (this.chunks.length > 1 && this.kept - this.chunks[0]!.length >= TAIL_BYTES) {
      this.kept -= this.chunks.shift()!.length;
      this.cut = true;
    }
  }

  /** The version found, and the kept end of the log (a line cut by the start of the tail left out). */
  end(): { version: string | undefined; data: Buffer } {
    this.versions.end();
    let data = Buffer.concat(this.chunks);
    this.chunks.length = 0;
    if (this.cut) data = data.subarray(data.indexOf(10) + 1);
    return { version: this.versions.version, data };
  }
}

/** The lines of `data` from the first whole line at or after `from`. */
function linesFrom(data: Buffer, from: number): string[] {
  const start = from === 0 ? 0 : data.indexOf(10, from) + 1;
  if (from > 0 && start === 0) return [];
  const lines = data.toString('utf8', start).split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

/** The events of `lines`, by the one log reader. */
function parseEvents(lines: string[]): LogEvent[] {
  const parser = new LogParser();
  const out: LogEvent[] = [];
  const take = (es: LogEntry[]) => {
    for (const e of es) if (e.kind === 'event') out.push(e);
  };
  for (const l of lines) take(parser.push(l));
  take(parser.end());
  return out;
}

/**
 * The newest MAX_EVENTS events of a log's tail (or all it has): the end is parsed first, and more
 * of the tail only when the end holds fewer events (a log's lines are a hundred bytes or so).
 */
function newestEvents(data: Buffer): LogEvent[] {
  for (let window = 512 * 1024; ; window *= 4) {
    const from = Math.max(0, data.length - window);
    const events = parseEvents(linesFrom(data, from));
    if (events.length >= MAX_EVENTS || from === 0) return events.slice(-MAX_EVENTS);
  }
}

/** The time stamp of the last event line among `lines`, or undefined. */
function lastEventTime(lines: string[]): string | undefined {
  for (let i = lines.length - 1; i >= 0; i--) {
    const h = parseLogHeader((lines[i] ?? '').slice(0, MAX_LINE).replace(/\r$/, ''));
    if (h) return h.time;
  }
  return undefined;
}

const byTime = (a: Ordered, b: Ordered) =>
  a.time < b.time ? -1 : a.time > b.time ? 1 : a.index - b.index || a.line - b.line;

/** The timeline of the bundled logs and the tracker's version, from the tails of the logs. */
export class TimelineCollector {
  private events: Ordered[] = [];
  private versions: { index: number; version: string }[] = [];

  /** A log's tail, once the log has streamed to its end. */
  add(tail: LogTail): void {
    const { version, data } = tail.end();
    if (version) this.versions.push({ index: tail.index, version });
    const newest =
      lastEventTime(linesFrom(data, Math.max(0, data.length - MAX_LINE))) ??
      lastEventTime(linesFrom(data, 0));
    if (newest === undefined) return;
    // Older than every one of the newest events kept: nothing of this log would be shown.
    if (this.events.length >= MAX_EVENTS && newest < this.events[0]!.time) return;
    for (const e of newestEvents(data)) {
      const { time, at, level, category, line } = e;
      const text = e.message.slice(0, 300);
      this.events.push({ time, at, level, category, text, entry: tail.entry, index: tail.index, line });
    }
    this.events.sort(byTime);
    if (this.events.length > MAX_EVENTS) this.events = this.events.slice(-MAX_EVENTS);
  }

  /** The version in the log that comes first in the archive. */
  get version(): string | null {
    return (
      this.versions.reduce<{ index: number; version: string } | undefined>(
        (best, v) => (!best || v.index < best.index ? v : best),
        undefined,
      )?.version ?? null
    );
  }

  /** Events within `hours` of the newest one, oldest first, at most `max`; `problems` keeps warnings and errors only. */
  recent(hours: number, opts: { max?: number; problems?: boolean } = {}): TimelineEvent[] {
    const lastMs = this.events.reduce((m, e) => Math.max(m, e.at ?? -Infinity), -Infinity);
    if (!Number.isFinite(lastMs)) return [];
    const from = lastMs - hours * 3600_000;
    return this.events
      .filter((e) => e.at !== null && e.at >= from && (!opts.problems || PROBLEM_LEVELS.has(e.level)))
      .slice(-(opts.max ?? 60))
      .map(({ index: _i, line: _l, ...e }) => e);
  }
}
