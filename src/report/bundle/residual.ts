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

/** Whether any of `values` occurs (as a whole word) in the stream. */
async function streamHolds(stream: Readable, values: readonly string[]): Promise<boolean> {
  const set = new LiteralSet();
  let longest = 0;
  for (const v of values) {
    set.add(v, '');
    longest = Math.max(longest, v.length);
  }
  let carry = '';
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    const text = carry + chunk.toString('latin1');
    if (set.find(text, 1).length > 0) {
      stream.destroy();
      return true;
    }
    // Keep enough of the end to see a value cut by the chunk boundary, with the byte before it.
    carry = text.slice(Math.max(0, text.length - longest - 1));
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
  await readZipEntries(file, async (entry, stream) => {
    const values = late.get(entry.name);
    if (!values || hit) {
      // Not inflated: this entry cannot hold a late value (or one was found already).
      stream.destroy();
      return;
    }
    if (await streamHolds(stream, values)) hit = entry.name;
  });
  if (hit) throw new LateSecretError(hit);
}
