/**
 * One log into the bundle, read once: bytes → redaction (learning as it goes) → CRC-32, sha256
 * and size of the redacted bytes → raw deflate → `send`. Runs inside a log worker thread (see
 * log-worker.ts), or on the main thread when no worker can be started. The file is opened
 * read-only and only the bytes planned are read, even if the log grows meanwhile.
 */
import crypto from 'node:crypto';
import { open } from 'node:fs/promises';
import zlib from 'node:zlib';
import type { RedactionCounts, Redactor } from '../redact/redactor.js';
import { LineRedaction } from '../redact/stream.js';
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
/** One read of the log. */
const READ_SIZE = 256 * 1024;

/**
 * The redacted bytes on their way to deflate, in buffers that are used again and again: fresh
 * memory costs a page fault per 4 KiB on first touch (on a virtual machine that returns freed
 * pages to its host, more than the redaction itself), so nothing on the per-byte path allocates.
 * Two stages take turns: one fills while deflate (on zlib's thread pool) reads the other.
 */
class Stage {
  buf = Buffer.allocUnsafeSlow(READ_SIZE * 2);
  len = 0;
  /** Settles when deflate has taken what was last handed to it from here. */
  taken: Promise<void> = Promise.resolve();

  put(piece: Buffer): void {
    if (this.len + piece.length > this.buf.length) {
      const bigger = Buffer.allocUnsafeSlow(Math.max(this.buf.length * 2, this.len + piece.length));
      this.buf.copy(bigger, 0, 0, this.len);
      this.buf = bigger;
    }
    piece.copy(this.buf, this.len);
    this.len += piece.length;
  }
}

/** The buffers of finished jobs, for the next job of this thread (warm memory). */
const spare: { stages: Stage[]; input: Buffer }[] = [];

/** CRC-32, sha256 and size of the bytes that go into the entry (the redacted ones). */
class Totals {
  private readonly sha = crypto.createHash('sha256');
  private crc = 0;
  private size = 0;
  add(b: Buffer): void {
    this.crc = zlib.crc32(b, this.crc);
    this.sha.update(b);
    this.size += b.length;
  }
  done(): DeflatedTotals {
    return { crc: this.crc, size: this.size, sha256: this.sha.digest('hex') };
  }
}

/** Deflate's output, handed to `sink` in order; its backpressure holds deflate back. */
async function drain(deflate: zlib.DeflateRaw, sink: LogSink, read: () => number): Promise<void> {
  for await (const chunk of deflate as AsyncIterable<Buffer>) await sink(chunk, read());
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
  let read = 0;
  const totals = new Totals();
  const deflate = zlib.createDeflateRaw({
    level: DEFLATE_LEVEL,
    memLevel: DEFLATE_MEM_LEVEL,
    chunkSize: OUT_CHUNK,
  });
  const drained = drain(deflate, sink, () => read);
  drained.catch(() => undefined);
  const buffers = spare.pop() ?? {
    stages: [new Stage(), new Stage()],
    input: Buffer.allocUnsafeSlow(READ_SIZE),
  };
  const { stages, input } = buffers;
  for (const st of stages) {
    st.len = 0;
    st.taken = Promise.resolve();
  }
  let stage = stages[0]!;
  /** Hand the filled stage to deflate and switch to the other once deflate is done with it. */
  const handOver = async (): Promise<void> => {
    if (stage.len > 0) {
      const bytes = stage.buf.subarray(0, stage.len);
      totals.add(bytes);
      stage.taken = new Promise<void>((resolve, reject) =>
        deflate.write(bytes, (e) => (e ? reject(e) : resolve())),
      );
      stage.taken.catch(() => undefined);
    }
    stage = stage === stages[0] ? stages[1]! : stages[0]!;
    await Promise.race([stage.taken, drained]);
    stage.len = 0;
  };
  const emit = (piece: Buffer) => stage.put(piece);
  const fh = await open(job.file, 'r');
  try {
    if (job.note !== undefined) emit(Buffer.from(job.note, 'utf8'));
    const lines = new LineRedaction(redactor, { entry: job.entry, dropFirstPartialLine: job.start > 0 });
    // Start one byte early: if that byte is a newline, the tail starts on a whole line.
    const from = job.start > 0 ? job.start - 1 : 0;
    // Only the bytes planned are read, even if the log grows meanwhile.
    for (let pos = from; pos < job.size;) {
      signal?.throwIfAborted();
      const { bytesRead } = await fh.read(input, 0, Math.min(READ_SIZE, job.size - pos), pos);
      if (bytesRead === 0) break;
      pos += bytesRead;
      read = pos - from;
      lines.feed(input.subarray(0, bytesRead), emit);
      if (stage.len >= READ_SIZE) await handOver();
    }
    lines.end(emit);
    await handOver();
    signal?.throwIfAborted();
    deflate.end();
    await drained;
  } catch (e) {
    deflate.destroy();
    throw e;
  } finally {
    await fh.close().catch(() => undefined);
  }
  // Only once deflate is done with them (a failed job's buffers are left to the collector).
  spare.push(buffers);
  return {
    ...totals.done(),
    counts: redactor.takeCounts(),
    learned: redactor.learnedLiterals().slice(literalsBefore),
    fresh: redactor.takeFresh(),
  };
}
