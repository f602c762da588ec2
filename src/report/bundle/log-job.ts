/**
 * One log into the bundle, read once: bytes → redaction (learning as it goes) → CRC-32, sha256
 * and size of the redacted bytes → raw deflate → `send`. Runs inside a log worker thread (see
 * log-worker.ts), or on the main thread when no worker can be started. The file is opened
 * read-only and only the bytes planned are read, even if the log grows meanwhile.
 */
import crypto from 'node:crypto';
import { open } from 'node:fs/promises';
import { Readable, Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import type { RedactionCounts, Redactor } from '../redact/redactor.js';
import { RedactStream } from '../redact/stream.js';
import { DEFLATE_LEVEL, DEFLATE_MEM_LEVEL } from './zip.js';
import type { DeflatedTotals } from './zip.js';

export interface LogJob {
  id: number;
  /** Absolute path to read. */
  file: string;
  /** Entry name, for error messages. */
  entry: string;
  /** First byte to read (0 = whole file) and the size planned. */
  start: number;
  size: number;
  /** A line put before the content (the note on a tailed file). */
  note?: string;
}

export interface LogJobResult extends DeflatedTotals {
  counts: RedactionCounts;
  /** Values learned while reading this log (value, placeholder): for the other workers. */
  learned: [string, string][];
  /** Keys of the pseudonyms first made here (for counting distinct values). */
  fresh: string[];
}

/** Where the deflated bytes go; `read` is how many source bytes were read so far. */
export type LogSink = (chunk: Buffer, read: number) => void | Promise<void>;

/** Compressed output chunks: larger than zlib's 16 KiB default, so fewer messages between threads. */
const OUT_CHUNK = 128 * 1024;

function totalsTap(prefix: string | undefined, done: (t: DeflatedTotals) => void): Transform {
  const sha = crypto.createHash('sha256');
  let crc = 0;
  let size = 0;
  const add = (b: Buffer) => {
    crc = zlib.crc32(b, crc);
    sha.update(b);
    size += b.length;
  };
  let first = prefix !== undefined ? Buffer.from(prefix, 'utf8') : undefined;
  return new Transform({
    transform(chunk: Buffer, _e, cb) {
      if (first) {
        add(first);
        this.push(first);
        first = undefined;
      }
      add(chunk);
      cb(null, chunk);
    },
    flush(cb) {
      if (first) {
        add(first);
        this.push(first);
      }
      done({ crc, size, sha256: sha.digest('hex') });
      cb();
    },
  });
}

export async function runLogJob(
  job: LogJob,
  redactor: Redactor,
  sink: LogSink,
  signal?: AbortSignal,
): Promise<LogJobResult> {
  const literalsBefore = redactor.learnedLiterals().length;
  redactor.takeCounts();
  redactor.takeFresh();
  let totals: DeflatedTotals | undefined;
  let read = 0;
  const fh = await open(job.file, 'r');
  try {
    // Start one byte early: if that byte is a newline, the tail starts on a whole line.
    const from = job.start > 0 ? job.start - 1 : 0;
    const src =
      job.size === 0
        ? Readable.from([])
        : fh.createReadStream({
            start: from,
            end: job.size - 1,
            autoClose: false,
            highWaterMark: 256 * 1024,
          });
    src.on('data', (c: Buffer) => (read += c.length));
    const out = new Writable({
      write(chunk: Buffer, _e, cb) {
        Promise.resolve(sink(chunk, read)).then(() => cb(), cb);
      },
    });
    await pipeline(
      src,
      new RedactStream(redactor, { entry: job.entry, dropFirstPartialLine: job.start > 0 }),
      totalsTap(job.note, (t) => (totals = t)),
      zlib.createDeflateRaw({ level: DEFLATE_LEVEL, memLevel: DEFLATE_MEM_LEVEL, chunkSize: OUT_CHUNK }),
      out,
      ...(signal ? [{ signal }] : []),
    );
  } finally {
    await fh.close().catch(() => undefined);
  }
  if (!totals) throw new Error(`${job.entry}: no totals`);
  return {
    ...totals,
    counts: redactor.takeCounts(),
    learned: redactor.learnedLiterals().slice(literalsBefore),
    fresh: redactor.takeFresh(),
  };
}
