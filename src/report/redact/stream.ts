/**
 * Streaming redaction: bytes in, redacted bytes out, one line at a time, so a log of any size flows
 * through with memory bounded by the longest line (and a cap on that). Multi-line PEM private keys
 * are removed whole. Every output line is checked by the residual scan before it leaves; a hit
 * fails the stream, so a secret that survived redaction never reaches the archive.
 */
import { Transform } from 'node:stream';
import type { TransformCallback } from 'node:stream';
import type { Redactor } from './redactor.js';
import { PEM_BEGIN_RE, PEM_END_RE } from './rules.js';

/** Lines longer than this are cut into pieces (a log is not supposed to hold megabyte lines). */
export const MAX_LINE = 1024 * 1024;
/** A PEM block without its END line stops being swallowed after this many lines. */
const MAX_KEY_LINES = 200;

export class ResidualSecretError extends Error {
  constructor(
    readonly entry: string,
    readonly rule: string,
    readonly line: number,
  ) {
    super(`a secret survived redaction in ${entry} (line ${line}, rule ${rule}); the bundle was not sealed`);
    this.name = 'ResidualSecretError';
  }
}

export interface RedactStreamOptions {
  /** The entry's name, for error messages. */
  entry: string;
  /** Drop everything up to and including the first newline (the tail of a cut file). */
  dropFirstPartialLine?: boolean;
}

/** Where redacted bytes go: a piece may be a slice of the input, valid only during the call. */
export type Emit = (piece: Buffer) => void;

/**
 * The line-by-line redaction of a byte stream, without a stream around it: `feed` each chunk in
 * order, then `end`. Works on bytes: a line that needs nothing (most of a log) is never turned
 * into a string; runs of such lines are emitted as slices of the input. Nothing emitted refers to
 * an earlier chunk, so the caller may reuse its read buffer as soon as `feed` returns.
 */
export class LineRedaction {
  /** The start of a line whose end has not come yet (a copy: the input may be reused). */
  private carry: Buffer = Buffer.alloc(0);
  private inKey = 0;
  private lineNo = 0;
  private dropping: boolean;

  constructor(
    private readonly redactor: Redactor,
    private readonly opts: RedactStreamOptions,
  ) {
    this.dropping = Boolean(opts.dropFirstPartialLine);
  }

  feed(chunk: Buffer, emit: Emit): void {
    let buf = chunk;
    if (this.dropping) {
      const nl = buf.indexOf(10);
      if (nl === -1) return;
      buf = buf.subarray(nl + 1);
      this.dropping = false;
    }
    let from = 0;
    if (this.carry.length > 0) {
      const nl = buf.indexOf(10);
      if (nl === -1) {
        this.carry = Buffer.concat([this.carry, buf]);
        this.cutLongLine(emit);
        return;
      }
      this.scan(Buffer.concat([this.carry, buf.subarray(0, nl + 1)]), emit);
      from = nl + 1;
    }
    const rest = buf.subarray(from);
    const end = this.scan(rest, emit);
    this.carry = Buffer.from(rest.subarray(end));
    this.cutLongLine(emit);
  }

  /** The last line, if the input did not end with a newline. */
  end(emit: Emit): void {
    if (this.carry.length > 0 && !this.dropping) this.line(this.carry.toString('latin1'), false, emit);
    this.carry = Buffer.alloc(0);
  }

  /** The whole lines of `buf`; returns where the unfinished last line starts. */
  private scan(buf: Buffer, emit: Emit): number {
    const end = buf.lastIndexOf(10) + 1;
    let start = 0;
    let run = 0;
    while (start < end) {
      if (this.inKey === 0) {
        // Lines that need nothing pass through as one slice.
        const at = this.redactor.firstLineNeedingWork(buf, start, end);
        this.lineNo += this.redactor.linesPassed();
        if (at === -1) {
          start = end;
          break;
        }
        start = at;
      }
      const nl = buf.indexOf(10, start);
      if (run < start) emit(buf.subarray(run, start));
      this.line(buf.toString('latin1', start, nl), true, emit);
      start = nl + 1;
      run = start;
    }
    if (run < start) emit(buf.subarray(run, start));
    return start;
  }

  /** A line longer than MAX_LINE is cut into pieces. */
  private cutLongLine(emit: Emit): void {
    while (this.carry.length > MAX_LINE) {
      this.line(this.carry.toString('latin1', 0, MAX_LINE), false, emit);
      this.carry = Buffer.from(this.carry.subarray(MAX_LINE));
    }
  }

  private line(raw: string, newline: boolean, emit: Emit): void {
    this.lineNo++;
    const eol = newline ? '\n' : '';
    // Keep a CR with its line ending so rules never see it as part of a value.
    const cr = raw.endsWith('\r');
    const text = cr ? raw.slice(0, -1) : raw;
    const end = (cr ? '\r' : '') + eol;
    if (this.inKey > 0) {
      this.inKey = PEM_END_RE.test(text) || this.inKey >= MAX_KEY_LINES ? 0 : this.inKey + 1;
      return;
    }
    if (PEM_BEGIN_RE.test(text) && !PEM_END_RE.test(text)) {
      this.inKey = 1;
      emit(Buffer.from(this.redactor.privateKeyLine() + end, 'latin1'));
      return;
    }
    const red = this.redactor.redactLine(text);
    const hit = this.redactor.residual(red);
    if (hit) throw new ResidualSecretError(this.opts.entry, hit.rule, this.lineNo);
    emit(Buffer.from(red + end, 'latin1'));
  }
}

/** LineRedaction as a Transform stream. */
export class RedactStream extends Transform {
  private readonly lines: LineRedaction;

  constructor(redactor: Redactor, opts: RedactStreamOptions) {
    super();
    this.lines = new LineRedaction(redactor, opts);
  }

  private run(step: (emit: Emit) => void, cb: TransformCallback): void {
    try {
      const out: Buffer[] = [];
      step((b) => out.push(b));
      if (out.length > 0) this.push(out.length === 1 ? out[0] : Buffer.concat(out));
      cb();
    } catch (e) {
      cb(e as Error);
    }
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.run((emit) => this.lines.feed(chunk, emit), cb);
  }

  override _flush(cb: TransformCallback): void {
    this.run((emit) => this.lines.end(emit), cb);
  }
}
