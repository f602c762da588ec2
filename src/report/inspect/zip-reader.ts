/**
 * Reading a bundle that may be hostile: yauzl validates entry names (no absolute paths, no `..`,
 * no backslashes); on top of that the number of entries, the total uncompressed size and each
 * entry's compression ratio are limited (zip bombs), symlink and duplicate entries are refused,
 * and every entry's real size is checked against its header while it streams. Nothing is ever
 * extracted: entries are streamed to a consumer (hashing, parsing) in memory-bounded chunks.
 */
import type { Readable } from 'node:stream';
import type * as YauzlNs from 'yauzl';
import type { Entry, ZipFile } from 'yauzl';
import { UserError } from '../../core/errors.js';
import { escapeControl, printableName } from '../../core/format.js';

export interface ZipLimits {
  maxEntries: number;
  maxTotalBytes: number;
  /** Uncompressed/compressed above which an entry larger than `ratioMinBytes` is a bomb. */
  maxRatio: number;
  ratioMinBytes: number;
}

export const DEFAULT_LIMITS: ZipLimits = {
  maxEntries: 20_000,
  maxTotalBytes: 4 * 1024 ** 3,
  maxRatio: 400,
  ratioMinBytes: 8 * 1024 * 1024,
};

export interface ZipEntryInfo {
  name: string;
  compressedSize: number;
  uncompressedSize: number;
}

export class HostileArchiveError extends UserError {
  constructor(message: string) {
    super(message);
    this.name = 'HostileArchiveError';
  }
}

type Yauzl = typeof YauzlNs;

async function loadYauzl(): Promise<Yauzl> {
  const mod = (await import('yauzl')) as unknown as { default?: Yauzl } & Yauzl;
  return mod.default ?? mod;
}

/** Turn yauzl's messages into one clear line about the archive. */
function describeZipError(e: Error, fileName: string): UserError {
  const m = escapeControl(e.message);
  const file = escapeControl(fileName);
  if (
    /end of central directory record signature not found|unexpected EOF|truncated|not enough bytes|invalid (?:local|central) file header/i.test(
      m,
    )
  )
    return new HostileArchiveError(`${file} is not a complete zip archive (truncated or damaged): ${m}.`);
  if (/invalid relative path|absolute path|invalid characters in fileName/i.test(m))
    return new HostileArchiveError(
      `${file} has an entry whose path escapes the archive (${m}); refusing to read it.`,
    );
  if (/too many bytes|not enough bytes in the stream|invalid uncompressed size|compressed size/i.test(m))
    return new HostileArchiveError(`${file} has an entry whose size does not match its header (${m}).`);
  return new HostileArchiveError(`${file} cannot be read as a zip archive: ${m}.`);
}

/**
 * Stream every entry of the zip at `file` to `consume`, one at a time, in archive order.
 * Throws HostileArchiveError (a UserError) for anything hostile or broken.
 */
export async function readZipEntries(
  file: string,
  consume: (entry: ZipEntryInfo, stream: Readable) => Promise<void>,
  limits: ZipLimits = DEFAULT_LIMITS,
): Promise<number> {
  const yauzl = await loadYauzl();
  const zip = await new Promise<ZipFile>((resolve, reject) => {
    yauzl.open(
      file,
      {
        lazyEntries: true,
        autoClose: false,
        validateEntrySizes: true,
        strictFileNames: true,
        decodeStrings: true,
      },
      (err, z) => (err || !z ? reject(describeZipError(err ?? new Error('no zip'), file)) : resolve(z)),
    );
  });
  try {
    if (zip.entryCount > limits.maxEntries)
      throw new HostileArchiveError(
        `${escapeControl(file)} has ${zip.entryCount} entries (limit ${limits.maxEntries}); refusing to read it.`,
      );
    const seen = new Set<string>();
    let total = 0;
    let count = 0;
    await new Promise<void>((resolve, reject) => {
      let failed = false;
      const fail = (e: unknown) => {
        if (failed) return;
        failed = true;
        reject(e instanceof UserError ? e : describeZipError(e as Error, file));
      };
      zip.on('error', fail);
      zip.on('end', () => {
        if (!failed) resolve();
      });
      zip.on('entry', (entry: Entry) => {
        void (async () => {
          const name = entry.fileName;
          const mode = (entry.externalFileAttributes >>> 16) & 0o170000;
          if (mode === 0o120000)
            throw new HostileArchiveError(
              `${escapeControl(file)} has a symlink entry (${printableName(name)}); refusing to read it.`,
            );
          if (name.endsWith('/')) return;
          if (seen.has(name))
            throw new HostileArchiveError(
              `${escapeControl(file)} has two entries named ${printableName(name)}; refusing to read it.`,
            );
          seen.add(name);
          total += entry.uncompressedSize;
          if (total > limits.maxTotalBytes)
            throw new HostileArchiveError(
              `${escapeControl(file)} would expand to more than ${Math.round(limits.maxTotalBytes / 1024 ** 2)} MiB (a zip bomb?); refusing to read it.`,
            );
          if (
            entry.uncompressedSize > limits.ratioMinBytes &&
            entry.uncompressedSize / Math.max(1, entry.compressedSize) > limits.maxRatio
          )
            throw new HostileArchiveError(
              `${escapeControl(file)}: ${printableName(name)} expands ${Math.round(entry.uncompressedSize / Math.max(1, entry.compressedSize))} times (a zip bomb?); refusing to read it.`,
            );
          if (entry.isEncrypted())
            throw new HostileArchiveError(
              `${escapeControl(file)}: ${printableName(name)} is zip-encrypted; bundles never are.`,
            );
          const stream = await new Promise<Readable>((res, rej) =>
            zip.openReadStream(entry, (err, s) => (err || !s ? rej(err ?? new Error('no stream')) : res(s))),
          );
          count++;
          await consume(
            { name, compressedSize: entry.compressedSize, uncompressedSize: entry.uncompressedSize },
            stream,
          );
        })().then(() => {
          if (!failed) zip.readEntry();
        }, fail);
      });
      zip.readEntry();
    });
    return count;
  } finally {
    zip.close();
  }
}
