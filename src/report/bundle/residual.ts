/**
 * The residual scan of the finished archive: each log is read once, and a value learned while
 * the logs streamed (in a later line, or by another worker) may sit in a part already written.
 * Before the bundle is sealed, the entries that could hold such a value are read back from the
 * archive and searched for it. A hit fails closed: the caller throws the archive away.
 */
import { streamHolds } from '../redact/holds.js';
import { readZipEntries } from '../inspect/zip-reader.js';

export class LateSecretError extends Error {
  constructor(readonly entry: string) {
    super(`a value learned late survived in ${entry}`);
    this.name = 'LateSecretError';
  }
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
