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
  /** Learn only (first pass): output nothing. */
  learnOnly?: boolean;
  /** Drop everything up to and including the first newline (the tail of a cut file). */
  dropFirstPartialLine?: boolean;
}

export class RedactStream extends Transform {
  private carry = '';
  private inKey = 0;
  private lineNo = 0;
  private dropping: boolean;

  constructor(
    private readonly redactor: Redactor,
    private readonly opts: RedactStreamOptions,
  ) {
    super();
    this.dropping = Boolean(opts.dropFirstPartialLine);
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    try {
      let text = this.carry + chunk.toString('latin1');
      if (this.dropping) {
        const nl = text.indexOf('\n');
        if (nl === -1) {
          this.carry = '';
          cb();
          return;
        }
        text = text.slice(nl + 1);
        this.dropping = false;
      }
      const out: string[] = [];
      let start = 0;
      // Lines that need nothing pass through as one slice (most of a log): no per-line strings.
      let run = 0;
      for (let nl = text.indexOf('\n', start); nl !== -1; nl = text.indexOf('\n', start)) {
        if (this.inKey === 0 && !this.redactor.needsWork(text, start, nl)) {
          this.lineNo++;
          start = nl + 1;
          continue;
        }
        if (run < start && !this.opts.learnOnly) out.push(text.slice(run, start));
        this.line(text.slice(start, nl), true, out);
        start = nl + 1;
        run = start;
      }
      if (run < start && !this.opts.learnOnly) out.push(text.slice(run, start));
      this.carry = text.slice(start);
      while (this.carry.length > MAX_LINE) {
        this.line(this.carry.slice(0, MAX_LINE), false, out);
        this.carry = this.carry.slice(MAX_LINE);
      }
      if (out.length > 0 && !this.opts.learnOnly) this.push(Buffer.from(out.join(''), 'latin1'));
      cb();
    } catch (e) {
      cb(e as Error);
    }
  }

  override _flush(cb: TransformCallback): void {
    try {
      const out: string[] = [];
      if (this.carry.length > 0 && !this.dropping) this.line(this.carry, false, out);
      this.carry = '';
      if (out.length > 0 && !this.opts.learnOnly) this.push(Buffer.from(out.join(''), 'latin1'));
      cb();
    } catch (e) {
      cb(e as Error);
    }
  }

  private line(raw: string, newline: boolean, out: string[]): void {
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
      if (!this.opts.learnOnly) out.push(this.redactor.privateKeyLine() + end);
      return;
    }
    if (this.opts.learnOnly) {
      this.redactor.learnLine(text);
      return;
    }
    const red = this.redactor.redactLine(text);
    const hit = this.redactor.residual(red);
    if (hit) throw new ResidualSecretError(this.opts.entry, hit.rule, this.lineNo);
    out.push(red + end);
  }
}
