/**
 * The residual scan of the finished archive: each log is read once, and a value learned while
 * the logs streamed (in a later line, or by another worker) may sit in a part already written.
 * Before the bundle is sealed, the entries that could hold such a value are read back from the
 * archive and searched for it. A hit fails closed: the caller throws the archive away.
 */
import type { Readable } from 'node:stream';
import { LiteralSet } from '../redact/literals.js';
import { readZipEntries } from '../inspect/zip-reader.js';

export class LateSecretError extends Error {
  constructor(readonly entry: string) {
    super(`a value learned late survived in ${entry}`);
    this.name = 'LateSecretError';
  }
}

/**
 * Whether any of `values` occurs (as a whole word) in the stream. Each value is first looked for
 * with Buffer.indexOf (native, far faster than a scan in JavaScript); only a chunk where one is
 * seen, or the seam between two chunks, is searched word by word.
 */
async function streamHolds(stream: Readable, values: readonly string[]): Promise<boolean> {
  const set = new LiteralSet();
  let longest = 0;
  for (const v of values) {
    set.add(v, '');
    longest = Math.max(longest, v.length);
  }
  const needles = values.map((v) => Buffer.from(v, 'latin1'));
  let tail = '';
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    // The seam: a value cut by the chunk boundary, with the byte before it.
    const seam = tail + chunk.toString('latin1', 0, Math.min(chunk.length, longest + 1));
    const seen = needles.some((n) => chunk.indexOf(n) !== -1);
    if (set.find(seam, 1).length > 0 || (seen && set.find(tail + chunk.toString('latin1'), 1).length > 0)) {
      stream.destroy();
      return true;
    }
    tail =
      chunk.length > longest
        ? chunk.toString('latin1', chunk.length - longest - 1)
        : (tail + chunk.toString('latin1')).slice(-(longest + 1));
  }
  return false;
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
      if (await streamHolds(stream, late.get(entry.name) ?? [])) hit ??= entry.name;
    },
    { concurrency: 2, select: (entry) => late.has(entry.name) },
  );
  if (hit) throw new LateSecretError(hit);
}
