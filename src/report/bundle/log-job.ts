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
import { ValueSearch } from '../redact/holds.js';
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
  /**
   * Values that became known while this log was written (learned here or taught by another
   * worker) and that the part written before they were known is proven not to hold: they need no
   * search in the finished archive (see `clearedValues`).
   */
  cleared: string[];
}

/** Where the deflated bytes go; `read` is how many source bytes were read so far. */
export type LogSink = (chunk: Buffer, read: number) => void | Promise<void>;

/** Deflate's output buffer: larger than zlib's 16 KiB default, so fewer messages between threads. */
const OUT_CHUNK = 64 * 1024;
/** One read of the log. */
const READ_SIZE = 1024 * 1024;

/**
 * The redacted bytes on their way to deflate, in a buffer used again and again: fresh memory costs
 * a page fault per 4 KiB on first touch (on a virtual machine that returns freed pages to its
 * host, more than the redaction itself), so nothing on the per-byte path allocates.
 */
class Stage {
  buf = Buffer.allocUnsafeSlow(READ_SIZE * 2);
  len = 0;

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

/**
 * The start of each log's redacted output is kept (in a buffer used again and again): values a log
 * teaches (a user name, a proxy's password) are mostly learned in its first lines, and the part
 * written before them is then at hand to search, here, rather than in the finished archive.
 */
const RETAIN = 2 * 1024 * 1024;

/** The buffers of finished jobs, for the next job of this thread (warm memory). */
const spare: { stage: Stage; input: Buffer; retained: Buffer }[] = [];

/**
 * The values that became known while a log was written, each with the number of output bytes
 * written before it was known (a line boundary, rounded up to the end of the chunk it was learned
 * in), that need no search in the finished archive: the part before is all in `retained` and
 * holds none of them as a whole word. Any hit at all clears nothing (a value inside a longer one
 * is then not told apart), and a value known only past `retained` is not cleared: the archive's
 * read-back decides for those, as before.
 */
export function clearedValues(retained: Buffer, knownAt: readonly [string, number][]): string[] {
  const within = knownAt.filter(([, at]) => at <= retained.length);
  if (within.length === 0) return [];
  const upTo = Math.max(...within.map(([, at]) => at));
  const search = new ValueSearch(within.map(([v]) => v));
  return search.inBuffer(retained.subarray(0, upTo)) ? [] : within.map(([v]) => v);
}

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

/** Bytes of the previous stage that the next one may refer back to: deflate's whole window. */
const WINDOW = 32 * 1024;

/**
 * Deflate run on this thread, a stage at a time: redaction and deflate of one stage on the same
 * core while its bytes are still in that core's cache, rather than handed to zlib's thread pool
 * and back (more threads than cores, and every stage crossing between them). Node has no public
 * streaming deflate that runs synchronously, so each stage is its own `deflateRawSync` with the
 * previous 32 KiB as its dictionary, ended by a sync flush (byte-aligned, not final): the pieces
 * make one ordinary deflate stream (as pigz builds its), about 0.05 % larger than one pass.
 */
class StageDeflate {
  private readonly dict = Buffer.allocUnsafeSlow(WINDOW);
  private dictLen = 0;

  /** The deflated bytes of `bytes`; `last` ends the stream. */
  step(bytes: Buffer, last: boolean): Buffer {
    const out = zlib.deflateRawSync(bytes, {
      level: DEFLATE_LEVEL,
      memLevel: DEFLATE_MEM_LEVEL,
      chunkSize: OUT_CHUNK,
      finishFlush: last ? zlib.constants.Z_FINISH : zlib.constants.Z_SYNC_FLUSH,
      ...(this.dictLen > 0 ? { dictionary: this.dict.subarray(0, this.dictLen) } : {}),
    });
    this.keepWindow(bytes);
    return out;
  }

  private keepWindow(bytes: Buffer): void {
    if (bytes.length >= WINDOW) {
      bytes.copy(this.dict, 0, bytes.length - WINDOW);
      this.dictLen = WINDOW;
      return;
    }
    const keep = Math.min(this.dictLen, WINDOW - bytes.length);
    this.dict.copy(this.dict, 0, this.dictLen - keep, this.dictLen);
    bytes.copy(this.dict, keep);
    this.dictLen = keep + bytes.length;
  }
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
  const deflate = new StageDeflate();
  const buffers = spare.pop() ?? {
    stage: new Stage(),
    input: Buffer.allocUnsafeSlow(READ_SIZE),
    retained: Buffer.allocUnsafeSlow(RETAIN),
  };
  const { stage, input, retained } = buffers;
  stage.len = 0;
  let emitted = 0;
  let kept = 0;
  /** Values that became known during this log, with the output bytes written before. */
  const knownAt: [string, number][] = [];
  let known = redactor.literalCount;
  const noteKnown = () => {
    if (redactor.literalCount === known) return;
    for (const v of redactor.literalsFrom(known)) knownAt.push([v, emitted]);
    known = redactor.literalCount;
  };
  /** Deflate what the stage holds and hand the output on. */
  const deflateStage = async (last: boolean): Promise<void> => {
    const bytes = stage.buf.subarray(0, stage.len);
    totals.add(bytes);
    const out = deflate.step(bytes, last);
    stage.len = 0;
    if (out.length > 0) await sink(out, read);
  };
  const emit = (piece: Buffer) => {
    stage.put(piece);
    if (kept < RETAIN) kept += piece.copy(retained, kept, 0, Math.min(piece.length, RETAIN - kept));
    emitted += piece.length;
  };
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
      noteKnown(); // taught by another worker while this one waited for the read
      lines.feed(input.subarray(0, bytesRead), emit);
      noteKnown(); // learned in this chunk: known from its end on (a line boundary)
      if (stage.len >= READ_SIZE) await deflateStage(false);
    }
    lines.end(emit);
    noteKnown();
    signal?.throwIfAborted();
    await deflateStage(true);
  } finally {
    await fh.close().catch(() => undefined);
  }
  const result = {
    ...totals.done(),
    counts: redactor.takeCounts(),
    learned: redactor.learnedLiterals().slice(literalsBefore),
    fresh: redactor.takeFresh(),
    cleared: clearedValues(retained.subarray(0, kept), knownAt),
  };
  spare.push(buffers);
  return result;
}
