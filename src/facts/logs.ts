/**
 * The one reader of tracker logs: the real Upwork app's and the reference engine's (which writes the
 * same names and format). Used by the log-evidence collector, the bundle (`--since` by the date in
 * the file name) and `inspect`'s timeline.
 *
 * File names (research/real-app-facts.md): the app rotates daily, `upwork..YYYYMMDD.log` (main),
 * `upwork.cmon.YYYYMMDD.log` (connection monitor), `dash..upwork.YYYYMMDD.log`, and older builds
 * `upwork.YYYYMMDD.log`. What the app does when one day's file grows large is not verified; the
 * reader also accepts a rotation suffix (`….log.1`, `….1.log`) and undated `upwork.log*`.
 *
 * Line format (log4js default layout): `[2025-04-10T12:30:45.123] [INFO] category - message`, in
 * local time without an offset (inference from log4js' default; not verified on the app), followed
 * by zero or more lines of a multi-line JSON payload that belongs to the line above. Anything else
 * is kept as plain text. The reader never throws on content: lines and payloads are bounded, so a
 * huge or hostile file costs bounded memory per entry. Files are streamed, never read whole.
 */
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { classifyLogFile, localDayEndMs, type LogFileName } from '../core/log-names.js';

export {
  classifyLogFile,
  localDayEndMs,
  logFileName,
  type LogFileKind,
  type LogFileName,
} from '../core/log-names.js';

export interface LogFile extends LogFileName {
  path: string;
  name: string;
  size: number;
  mtimeMs: number;
}

/**
 * The log files in `dir`, newest first: by the date in the name (else the modification time), the
 * live file before its rotated copies. A folder that cannot be listed gives an empty list and the
 * error, so callers can say "could not read" rather than "no logs".
 */
export async function listLogFiles(dir: string): Promise<{ files: LogFile[]; error?: string }> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return { files: [], error: code === 'ENOENT' ? undefined : String((e as Error).message) };
  }
  const files: LogFile[] = [];
  for (const name of names) {
    const kind = classifyLogFile(name);
    if (!kind) continue;
    const p = path.join(dir, name);
    const st = await stat(p).catch(() => undefined);
    if (!st?.isFile()) continue;
    files.push({ ...kind, path: p, name, size: st.size, mtimeMs: st.mtimeMs });
  }
  return { files: sortNewestFirst(files) };
}

export function sortNewestFirst<T extends LogFileName & { mtimeMs: number; name: string }>(files: T[]): T[] {
  const key = (f: T) => (f.date ? localDayEndMs(f.date) : f.mtimeMs);
  return [...files].sort(
    (a, b) =>
      key(b) - key(a) || a.rotation - b.rotation || b.mtimeMs - a.mtimeMs || a.name.localeCompare(b.name),
  );
}

/**
 * The newest moment a file can hold: the end of the day in its name (a daily file is written until
 * midnight), else its modification time. `--since` keeps a file when this is within the window;
 * a dated file touched later (copied, restored) still counts by its name's day.
 */
export function logFileNewestMs(f: Pick<LogFile, 'date' | 'mtimeMs'>): number {
  return f.date ? Math.min(localDayEndMs(f.date), Math.max(f.mtimeMs, 0) || Infinity) : f.mtimeMs;
}

// ---------- lines ----------

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'mark';
const LEVELS: ReadonlyMap<string, LogLevel> = new Map([
  ['trace', 'trace'],
  ['debug', 'debug'],
  ['info', 'info'],
  ['warn', 'warn'],
  ['warning', 'warn'],
  ['error', 'error'],
  ['fatal', 'fatal'],
  ['mark', 'mark'],
]);

export interface LogPayload {
  /** The continuation lines as written (bounded). */
  text: string;
  /** The payload's `"type"` (e.g. `TRACKER_UPLOAD_STARTED`), when it has one. */
  type: string | null;
  /** The parsed JSON when the payload is JSON. */
  json?: unknown;
  /** Lines or characters were dropped to stay within the bounds. */
  truncated: boolean;
}

export interface LogEvent {
  kind: 'event';
  /** 1-based line number of the header line. */
  line: number;
  /** The timestamp as written (`2025-04-10T12:30:45.123`, local time). */
  time: string;
  /** The same moment in epoch ms (local time as this machine's zone; the offset when written), or null. */
  at: number | null;
  level: LogLevel;
  category: string;
  message: string;
  payload?: LogPayload;
}

export interface LogText {
  kind: 'text';
  line: number;
  text: string;
}

export type LogEntry = LogEvent | LogText;

/** Bounds that keep memory flat on hostile input. */
export const MAX_LINE_CHARS = 8_192;
export const MAX_PAYLOAD_CHARS = 64 * 1024;

const HEADER =
  /^\[(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?)(Z|[+-]\d{2}:?\d{2})?\]\s+\[([A-Za-z]+)\]\s+(\S+?)(?: - |: | -$|:$)(.*)$/;

/** Epoch ms of a local wall-clock time (`2025-04-10`, `12:30:45.123`), or null when it is not a real time. */
export function localTimeToEpoch(date: string, time: string, offset?: string): number | null {
  // Fixed positions (`YYYY-MM-DD`, `HH:MM:SS[.fff]`, as the header's pattern guarantees): this runs
  // for every line of every log inspect reads, so no splitting.
  const num = (t: string, from: number, len: number) => {
    let n = 0;
    for (let i = from; i < from + len; i++) n = n * 10 + (t.charCodeAt(i) - 48);
    return n;
  };
  const [y, mo, d] = [num(date, 0, 4), num(date, 5, 2), num(date, 8, 2)];
  const [h, mi, s] = [num(time, 0, 2), num(time, 3, 2), num(time, 6, 2)];
  // Milliseconds from the fraction's first three digits (`.5` is 500, `.123456` is 123).
  let ms = 0;
  for (let i = 9, scale = 100; i < time.length && scale >= 1; i++, scale /= 10)
    ms += (time.charCodeAt(i) - 48) * scale;
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return null;
  if (offset) {
    const sign = offset === 'Z' ? 0 : offset.startsWith('-') ? -1 : 1;
    const digits = offset.replace(/[^\d]/g, '');
    const off = sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || 0));
    return Date.UTC(y, mo - 1, d, h, mi, s, ms) - off * 60_000;
  }
  const base = localMinuteEpoch(date, time, y, mo, d, h, mi);
  return base === null ? null : base + s * 1000 + ms;
}

/**
 * Local time to epoch costs a time-zone lookup (about a microsecond); a log has many lines per
 * minute and zones change offset only on whole minutes, so it is done once per minute: the last
 * minute is remembered (consecutive lines share it), the others in a bounded map.
 */
const minuteEpochs = new Map<string, number | null>();
let lastMinute = { date: '', hm: '', epoch: null as number | null };
function localMinuteEpoch(
  date: string,
  time: string,
  y: number,
  mo: number,
  d: number,
  h: number,
  mi: number,
) {
  if (date === lastMinute.date && time.startsWith(lastMinute.hm)) return lastMinute.epoch;
  const hm = time.slice(0, 5);
  const key = `${date}T${hm}`;
  let t = minuteEpochs.get(key);
  if (t === undefined) {
    const v = new Date(y, mo - 1, d, h, mi, 0, 0).getTime();
    t = Number.isFinite(v) ? v : null;
    if (minuteEpochs.size > 50_000) minuteEpochs.clear();
    minuteEpochs.set(key, t);
  }
  lastMinute = { date, hm, epoch: t };
  return t;
}

/** The header of an event line, or undefined when the line is not one. */
export function parseLogHeader(line: string): Omit<LogEvent, 'kind' | 'line' | 'payload'> | undefined {
  const m = HEADER.exec(line);
  if (!m) return undefined;
  const [, date, time, offset, levelWord, category, message] = m;
  const level = LEVELS.get(levelWord!.toLowerCase());
  if (!level) return undefined;
  return {
    time: `${date}T${time}${offset ?? ''}`,
    at: localTimeToEpoch(date!, time!, offset),
    level,
    category: category!,
    message: message!.trim(),
  };
}

const TYPE_RE = /"type"\s*:\s*"([^"\\]{1,100})"/;

function finishPayload(lines: string[], truncated: boolean, message: string): LogPayload {
  const text = lines.join('\n');
  let json: unknown;
  // A payload may open on the header line (`… - {`) and close below it.
  const opener = /[[{]\s*$/.exec(message);
  for (const candidate of [text, opener ? `${message.slice(opener.index)}\n${text}` : undefined]) {
    if (candidate === undefined || truncated) continue;
    try {
      json = JSON.parse(candidate);
      break;
    } catch {
      // not JSON: the text is kept as it is
    }
  }
  const fromJson =
    json && typeof json === 'object' && typeof (json as { type?: unknown }).type === 'string'
      ? (json as { type: string }).type
      : undefined;
  const type = fromJson ?? TYPE_RE.exec(text)?.[1] ?? TYPE_RE.exec(message)?.[1] ?? null;
  return { text, type, ...(json !== undefined ? { json } : {}), truncated };
}

/**
 * A line-at-a-time parser: feed lines, get entries once they are complete (an event is complete
 * when the next header or the end arrives, since its payload follows it).
 */
export class LogParser {
  private lineNo = 0;
  private pending: LogEvent | undefined;
  private payload: string[] = [];
  private payloadChars = 0;
  private truncated = false;

  push(raw: string): LogEntry[] {
    this.lineNo++;
    const line =
      raw.length > MAX_LINE_CHARS
        ? raw.slice(0, MAX_LINE_CHARS)
        : raw.charCodeAt(raw.length - 1) === 13
          ? raw.slice(0, -1)
          : raw;
    const header = parseLogHeader(line);
    if (header) {
      const done = this.flush();
      this.pending = { kind: 'event', line: this.lineNo, ...header };
      return done;
    }
    if (this.pending) {
      this.addPayloadLine(line, raw.length > MAX_LINE_CHARS);
      return [];
    }
    return line.trim() ? [{ kind: 'text', line: this.lineNo, text: line }] : [];
  }

  end(): LogEntry[] {
    return this.flush();
  }

  private addPayloadLine(line: string, cut: boolean): void {
    if (cut) this.truncated = true;
    if (this.payloadChars + line.length > MAX_PAYLOAD_CHARS) {
      this.truncated = true;
      return;
    }
    this.payload.push(line);
    this.payloadChars += line.length + 1;
  }

  private flush(): LogEntry[] {
    const e = this.pending;
    if (!e) return [];
    // Trailing blank lines are separators, not payload.
    while (this.payload.length && !this.payload.at(-1)!.trim()) this.payload.pop();
    if (this.payload.length) e.payload = finishPayload(this.payload, this.truncated, e.message);
    this.pending = undefined;
    this.payload = [];
    this.payloadChars = 0;
    this.truncated = false;
    return [e];
  }
}

/** Parse a whole text (a small log, a bundle entry already in memory). */
export function parseLogText(text: string): LogEntry[] {
  const p = new LogParser();
  const out: LogEntry[] = [];
  for (const line of text.split('\n')) out.push(...p.push(line));
  out.push(...p.end());
  return out;
}

/**
 * Splits chunked text into lines, each bounded (the rest of an over-long line is dropped). Works a
 * chunk at a time, synchronously: a generator step per line cost more than parsing the line.
 */
export class LineSplitter {
  private carry = '';
  private dropping = false;
  /** Native, and it keeps a character cut between two chunks whole. */
  private readonly decoder = new StringDecoder('utf8');

  /** The lines completed by this chunk. */
  feed(chunk: string | Buffer): string[] {
    const text = typeof chunk === 'string' ? chunk : this.decoder.write(chunk);
    const out: string[] = [];
    let start = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
      if (!this.dropping) {
        const room = Math.max(0, MAX_LINE_CHARS + 1 - this.carry.length);
        out.push(this.carry + text.slice(start, Math.min(nl, start + room)));
      }
      this.carry = '';
      this.dropping = false;
      start = nl + 1;
    }
    if (!this.dropping) {
      this.carry += text.slice(start);
      if (this.carry.length > MAX_LINE_CHARS) {
        out.push(this.carry.slice(0, MAX_LINE_CHARS + 1));
        this.carry = '';
        this.dropping = true;
      }
    }
    return out;
  }

  /** The last line, if the text did not end with a newline. */
  end(): string[] {
    const rest = this.carry + this.decoder.end();
    this.carry = '';
    return rest && !this.dropping ? [rest] : [];
  }
}

/** Lines of a chunked text stream, each bounded (the rest of an over-long line is dropped). */
export async function* streamLines(chunks: AsyncIterable<string | Buffer>): AsyncGenerator<string> {
  const lines = new LineSplitter();
  for await (const chunk of chunks) yield* lines.feed(chunk);
  yield* lines.end();
}

/** The entries of a stream of log text, in order, a chunk's worth at a time. */
export async function* readLogBatches(chunks: AsyncIterable<string | Buffer>): AsyncGenerator<LogEntry[]> {
  const lines = new LineSplitter();
  const p = new LogParser();
  const parse = (ls: string[]) => {
    const out: LogEntry[] = [];
    for (const l of ls) for (const e of p.push(l)) out.push(e);
    return out;
  };
  for await (const chunk of chunks) {
    const batch = parse(lines.feed(chunk));
    if (batch.length) yield batch;
  }
  const last = [...parse(lines.end()), ...p.end()];
  if (last.length) yield last;
}

/** The entries of a stream of log text, in order. */
export async function* readLogStream(chunks: AsyncIterable<string | Buffer>): AsyncGenerator<LogEntry> {
  for await (const batch of readLogBatches(chunks)) yield* batch;
}

/** The entries of one log file, a chunk's worth at a time (see readLogFile). */
export function readLogFileBatches(file: string, opts: { start?: number } = {}): AsyncGenerator<LogEntry[]> {
  return readLogBatches(createReadStream(file, { start: opts.start, highWaterMark: 64 * 1024 }));
}

/**
 * The entries of one log file, streamed. An unreadable file ends the iteration with an error the
 * caller catches; content never throws.
 */
export function readLogFile(file: string, opts: { start?: number } = {}): AsyncGenerator<LogEntry> {
  return readLogStream(createReadStream(file, { start: opts.start, highWaterMark: 64 * 1024 }));
}
