/**
 * Reading a bundle that may be hostile: yauzl validates entry names (no absolute paths, no `..`,
 * no backslashes); on top of that the number of entries, the total uncompressed size and each
 * entry's compression ratio are limited (zip bombs), symlink and duplicate entries are refused,
 * and every entry's real size is checked against its header while it streams. Nothing is ever
 * extracted: entries are streamed to a consumer (hashing, parsing) in memory-bounded chunks.
 */
import { createReadStream } from 'node:fs';
import { Readable, Transform } from 'node:stream';
import type { TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
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
  /** Position among the archive's file entries, from 0. */
  index: number;
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

/** Options of a read: how many entries stream at once, and which entries to open at all. */
export interface ReadOptions {
  limits?: ZipLimits;
  /** Entries inflated and consumed at once (zlib runs on the thread pool, one core each). */
  concurrency?: number;
  /** Entries not selected are checked like the others but never read. */
  select?: (entry: ZipEntryInfo) => boolean;
}

/** Large reads and inflate chunks: a bundle's logs are hundreds of MiB, and each chunk costs a round trip. */
const READ_CHUNK = 1024 * 1024;
const INFLATE_CHUNK = 256 * 1024;

/** Fails an entry whose inflated size differs from its header (yauzl's words, so describeZipError knows them). */
class ByteCount extends Transform {
  private seen = 0;
  constructor(private readonly expected: number) {
    super();
  }
  override _transform(chunk: Buffer, _e: BufferEncoding, cb: TransformCallback): void {
    this.seen += chunk.length;
    if (this.seen > this.expected)
      cb(new Error(`too many bytes in the stream. expected ${this.expected}. got at least ${this.seen}`));
    else cb(null, chunk);
  }
  override _flush(cb: TransformCallback): void {
    if (this.seen < this.expected)
      cb(new Error(`not enough bytes in the stream. expected ${this.expected}. got only ${this.seen}`));
    else cb();
  }
}

/** Every entry of the central directory, checked against the limits before any data is read. */
async function listEntries(zip: ZipFile, file: string, limits: ZipLimits): Promise<Entry[]> {
  if (zip.entryCount > limits.maxEntries)
    throw new HostileArchiveError(
      `${escapeControl(file)} has ${zip.entryCount} entries (limit ${limits.maxEntries}); refusing to read it.`,
    );
  const seen = new Set<string>();
  const out: Entry[] = [];
  let total = 0;
  await new Promise<void>((resolve, reject) => {
    zip.on('error', reject);
    zip.on('end', () => resolve());
    zip.on('entry', (entry: Entry) => {
      try {
        if (checkEntry(entry, file, limits, seen, (total += entry.uncompressedSize))) out.push(entry);
        zip.readEntry();
      } catch (e) {
        reject(e);
      }
    });
    zip.readEntry();
  });
  return out;
}

/** Throws for a hostile entry; false for a folder entry (nothing to read). */
function checkEntry(
  entry: Entry,
  file: string,
  limits: ZipLimits,
  seen: Set<string>,
  total: number,
): boolean {
  const name = entry.fileName;
  const shown = escapeControl(file);
  const mode = (entry.externalFileAttributes >>> 16) & 0o170000;
  if (mode === 0o120000)
    throw new HostileArchiveError(
      `${shown} has a symlink entry (${printableName(name)}); refusing to read it.`,
    );
  if (name.endsWith('/')) return false;
  if (seen.has(name))
    throw new HostileArchiveError(
      `${shown} has two entries named ${printableName(name)}; refusing to read it.`,
    );
  seen.add(name);
  if (total > limits.maxTotalBytes)
    throw new HostileArchiveError(
      `${shown} would expand to more than ${Math.round(limits.maxTotalBytes / 1024 ** 2)} MiB (a zip bomb?); refusing to read it.`,
    );
  const ratio = entry.uncompressedSize / Math.max(1, entry.compressedSize);
  if (entry.uncompressedSize > limits.ratioMinBytes && ratio > limits.maxRatio)
    throw new HostileArchiveError(
      `${shown}: ${printableName(name)} expands ${Math.round(ratio)} times (a zip bomb?); refusing to read it.`,
    );
  if (entry.isEncrypted())
    throw new HostileArchiveError(`${shown}: ${printableName(name)} is zip-encrypted; bundles never are.`);
  if (entry.compressionMethod !== 0 && entry.compressionMethod !== 8)
    throw new HostileArchiveError(
      `${shown}: ${printableName(name)} uses compression method ${entry.compressionMethod}; bundles use deflate only.`,
    );
  return true;
}

/**
 * One entry's bytes: its compressed range read with large reads, inflated on zlib's thread pool
 * (yauzl's own stream reads 16 KiB at a time and inflates in 16 KiB chunks), its size checked.
 */
async function entryStream(zip: ZipFile, file: string, entry: Entry): Promise<Readable> {
  const { fileDataStart } = await new Promise<{ fileDataStart: number }>((res, rej) =>
    zip.readLocalFileHeader(entry, { minimal: true }, (err, h) => (err || !h ? rej(err) : res(h))),
  );
  const raw =
    entry.compressedSize === 0
      ? Readable.from([])
      : createReadStream(file, {
          start: fileDataStart,
          end: fileDataStart + entry.compressedSize - 1,
          highWaterMark: READ_CHUNK,
        });
  const stages: (Readable | Transform)[] = [raw];
  if (entry.compressionMethod === 8) stages.push(zlib.createInflateRaw({ chunkSize: INFLATE_CHUNK }));
  const count = new ByteCount(entry.uncompressedSize);
  // The consumer reads `count`; a failure anywhere in the chain is its error.
  pipeline([...stages, count] as unknown as [Readable, Transform]).catch((e: unknown) =>
    count.destroy(e as Error),
  );
  return count;
}

/**
 * Stream the entries of the zip at `file` to `consume`, in archive order, `concurrency` at a time.
 * The whole central directory is checked first (names, symlinks, duplicates, sizes, ratios), so a
 * hostile archive is refused before any of it is read. Throws HostileArchiveError (a UserError)
 * for anything hostile or broken.
 */
export async function readZipEntries(
  file: string,
  consume: (entry: ZipEntryInfo, stream: Readable) => Promise<void>,
  opts: ReadOptions = {},
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
    const entries = await listEntries(zip, file, opts.limits ?? DEFAULT_LIMITS).catch((e: unknown) => {
      throw e instanceof UserError ? e : describeZipError(e as Error, file);
    });
    const info = (e: Entry, index: number): ZipEntryInfo => ({
      name: e.fileName,
      index,
      compressedSize: e.compressedSize,
      uncompressedSize: e.uncompressedSize,
    });
    const chosen = entries.map(info).filter((e) => !opts.select || opts.select(e));
    let next = 0;
    let failed = false;
    const lane = async () => {
      try {
        while (next < chosen.length && !failed) {
          const e = chosen[next++]!;
          await consume(e, await entryStream(zip, file, entries[e.index]!));
        }
      } catch (e) {
        // The other lanes stop after their current entry.
        failed = true;
        throw e;
      }
    };
    // Settled, not raced: nothing of this read runs on after it returns.
    const lanes = await Promise.allSettled(Array.from({ length: Math.max(1, opts.concurrency ?? 1) }, lane));
    const bad = lanes.find((l): l is PromiseRejectedResult => l.status === 'rejected');
    if (bad) throw bad.reason instanceof UserError ? bad.reason : describeZipError(bad.reason as Error, file);
    return chosen.length;
  } finally {
    zip.close();
  }
}
