/**
 * Whether bytes hold any of a set of values as a whole word, the way the residual scan means it
 * (LiteralSet: a value starts and ends at a word boundary, never inside one of our placeholders).
 * The values' word filter (the redactor's first look, prefilter.ts: one pass over the bytes,
 * whatever the number of values) picks the lines that may hold one; only those are searched word
 * by word. Used on the finished archive's entries (residual.ts) and, in a log worker, on the start
 * of a log it has just written (log-job.ts).
 */
import type { Readable } from 'node:stream';
import { LiteralSet } from './literals.js';
import { WordFilter } from './prefilter.js';

export class ValueSearch {
  private readonly set = new LiteralSet();
  private readonly filter = new WordFilter();
  /** The longest value's length: how much of an unfinished line must be kept between chunks. */
  readonly longest: number;

  constructor(values: readonly string[]) {
    let longest = 0;
    for (const v of values) {
      this.set.add(v, '');
      this.filter.add(v);
      longest = Math.max(longest, v.length);
    }
    this.longest = longest;
  }

  /** Whether a line of `buf[start, end)` holds a value; `end` is just after a newline. */
  inLines(buf: Buffer, start: number, end: number): boolean {
    for (
      let at = this.filter.firstLine(buf, start, end);
      at !== -1;
      at = this.filter.firstLine(buf, start, end)
    ) {
      const nl = buf.indexOf(10, at);
      if (this.inText(buf.toString('latin1', at, nl))) return true;
      start = nl + 1;
    }
    return false;
  }

  /** Whether a text (a binary string: a line, or the end of one) holds a value. */
  inText(text: string): boolean {
    return this.set.find(text, 1).length > 0;
  }

  /** Whether `buf` holds a value: its whole lines, then what follows the last newline. */
  inBuffer(buf: Buffer): boolean {
    const end = buf.lastIndexOf(10) + 1;
    if (end > 0 && this.inLines(buf, 0, end)) return true;
    return end < buf.length && this.inText(buf.toString('latin1', end));
  }
}

/** A line this long without a newline is searched as it is and cut (a log without newlines). */
const MAX_CARRY = 2 * 1024 * 1024;

/** Whether any of `values` occurs (as a whole word) in the stream (see redact/holds.ts). */
export async function streamHolds(stream: Readable, values: readonly string[]): Promise<boolean> {
  const search = new ValueSearch(values);
  let carry = Buffer.alloc(0);
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    let from = 0;
    if (carry.length > 0) {
      const nl = chunk.indexOf(10);
      if (nl === -1) {
        carry = Buffer.concat([carry, chunk]);
        if (carry.length > MAX_CARRY) {
          if (search.inText(carry.toString('latin1'))) return true;
          carry = Buffer.from(carry.subarray(carry.length - search.longest - 1));
        }
        continue;
      }
      const first = Buffer.concat([carry, chunk.subarray(0, nl + 1)]);
      if (search.inLines(first, 0, first.length)) return true;
      from = nl + 1;
    }
    const end = chunk.lastIndexOf(10) + 1;
    if (end > from && search.inLines(chunk, from, end)) return true;
    carry = Buffer.from(chunk.subarray(Math.max(from, end)));
  }
  return carry.length > 0 && search.inText(carry.toString('latin1'));
}
