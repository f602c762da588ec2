/**
 * The residual scan of the finished archive: each log is read once, and a value learned while
 * the logs streamed (in a later line, or by another worker) may sit in a part already written.
 * Before the bundle is sealed, the entries that could hold such a value are read back from the
 * archive and searched for it. A hit fails closed: the caller throws the archive away.
 */
import type { Readable } from 'node:stream';
import { LiteralSet } from '../redact/literals.js';
import { WordFilter } from '../redact/prefilter.js';
import { readZipEntries } from '../inspect/zip-reader.js';

export class LateSecretError extends Error {
  constructor(readonly entry: string) {
    super(`a value learned late survived in ${entry}`);
    this.name = 'LateSecretError';
  }
}

/** A line this long without a newline is searched as it is and cut (a log without newlines). */
const MAX_CARRY = 2 * 1024 * 1024;

/**
 * Whether any of `values` occurs (as a whole word) in the stream. The values' word filter (the
 * redactor's first look, src/report/redact/prefilter.ts: one pass over the bytes, whatever the
 * number of values) picks the lines that may hold one; only those are searched word by word.
 */
async function streamHolds(stream: Readable, values: readonly string[]): Promise<boolean> {
  const set = new LiteralSet();
  const filter = new WordFilter();
  let longest = 0;
  for (const v of values) {
    set.add(v, '');
    filter.add(v);
    longest = Math.max(longest, v.length);
  }
  /** Whether a line of buf[start, end) holds a value; `end` is just after a newline. */
  const holds = (buf: Buffer, start: number, end: number): boolean => {
    for (let at = filter.firstLine(buf, start, end); at !== -1; at = filter.firstLine(buf, start, end)) {
      const nl = buf.indexOf(10, at);
      if (set.find(buf.toString('latin1', at, nl), 1).length > 0) return true;
      start = nl + 1;
    }
    return false;
  };
  let carry = Buffer.alloc(0);
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    let from = 0;
    if (carry.length > 0) {
      const nl = chunk.indexOf(10);
      if (nl === -1) {
        carry = Buffer.concat([carry, chunk]);
        if (carry.length > MAX_CARRY) {
          if (set.find(carry.toString('latin1'), 1).length > 0) return true;
          carry = Buffer.from(carry.subarray(carry.length - longest - 1));
        }
        continue;
      }
      const first = Buffer.concat([carry, chunk.subarray(0, nl + 1)]);
      if (holds(first, 0, first.length)) return true;
      from = nl + 1;
    }
    const end = chunk.lastIndexOf(10) + 1;
    if (end > from && holds(chunk, from, end)) return true;
    carry = Buffer.from(chunk.subarray(Math.max(from, end)));
  }
  return carry.length > 0 && set.find(carry.toString('latin1'), 1).length > 0;
}

/**
 * Read back the plain zip at `file` and search the named entries for their values (binary
 * strings). Throws LateSecretError on the first hit.
 */
export async function scanFinishedArchive(file: string, late: Map<string, string[]>): Promise<void> {
  if (late.size === 0) return;
  let hit: string | undefined;
  // Only the entries that could hold a late value are read (and inflated), two at a time.
  await readZipEntries(
    file,
    async (entry, stream) => {
      if (hit) {
        stream.destroy();
        return;
      }
      if (await streamHolds(stream, late.get(entry.name) ?? [])) {
        hit ??= entry.name;
        stream.destroy();
      }
    },
    { concurrency: 2, select: (entry) => late.has(entry.name) },
  );
  if (hit) throw new LateSecretError(hit);
}
