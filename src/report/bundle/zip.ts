/**
 * The zip container: zip-stream (archiver's zip engine) writes every header, data descriptor,
 * ZIP64 record and the central directory. What it does not do is take data that is already
 * deflated: its own path deflates and computes the CRC-32 in JavaScript on the main thread, one
 * entry after another. Here every entry arrives deflated (by the log workers, or by zlib on the
 * thread pool for small documents) with its CRC-32 and sizes known at its end, and zip-stream
 * only frames it. Nothing of the zip format is written by hand.
 */
import crypto from 'node:crypto';
import { Transform } from 'node:stream';
import type { Readable, TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';

/** The deflate level of every entry: the same as `zip -6`. */
export const DEFLATE_LEVEL = 6;
/** zlib's largest hash table (256 KiB per stream): about 10 % faster on logs, never larger output. */
export const DEFLATE_MEM_LEVEL = 9;

/** What a deflated entry ends with: known only once all of it has passed. */
export interface DeflatedTotals {
  /** CRC-32 of the uncompressed bytes */
  crc: number;
  /** uncompressed bytes */
  size: number;
  /** sha256 of the uncompressed bytes (for the manifest) */
  sha256: string;
}

/**
 * Raw deflate bytes of one entry, passed through to the zip. `totals` must be set before the
 * stream ends.
 */
export class DeflatedEntry extends Transform {
  compressedSize = 0;
  totals: DeflatedTotals | undefined;
  override _transform(chunk: Buffer, _e: BufferEncoding, cb: TransformCallback): void {
    this.compressedSize += chunk.length;
    cb(null, chunk);
  }
}

interface ZipEntryLike {
  getGeneralPurposeBit(): { useDataDescriptor(b: boolean): void };
  setVersionNeededToExtract(v: number): void;
  setCrc(c: number): void;
  setSize(s: number): void;
  setCompressedSize(s: number): void;
}

/** The part of zip-stream used here (it ships no types). */
export interface ZipEngine extends Readable {
  entry(source: Readable, data: { name: string; date: Date }, cb: (err: Error | null) => void): void;
  finalize(): void;
  getBytesWritten(): number;
  _appendStream(ae: ZipEntryLike, source: Readable, cb: (err: Error | null, ae?: unknown) => void): void;
  _writeLocalFileHeader(ae: ZipEntryLike): void;
  _afterAppend(ae: ZipEntryLike): void;
}

/** Version 2.0 "needed to extract" for entries whose sizes follow in a data descriptor. */
const MIN_VERSION_DATA_DESCRIPTOR = 20;

/** A zip-stream that frames pre-deflated entries (every entry this tool writes is one). */
export async function createZip(): Promise<ZipEngine> {
  const mod = (await import('zip-stream')) as unknown as { default: new (o: object) => ZipEngine };
  const zip = new mod.default({ zlib: { level: DEFLATE_LEVEL } });
  const plain = zip._appendStream.bind(zip);
  zip._appendStream = function (ae, source, callback) {
    if (!(source instanceof DeflatedEntry)) return plain(ae, source, callback);
    ae.getGeneralPurposeBit().useDataDescriptor(true);
    ae.setVersionNeededToExtract(MIN_VERSION_DATA_DESCRIPTOR);
    this._writeLocalFileHeader(ae);
    let failed = false;
    source.once('error', (e: Error) => {
      failed = true;
      callback(e);
    });
    source.once('end', () => {
      if (failed) return;
      const t = source.totals;
      if (!t) {
        callback(new Error('a deflated entry ended without its totals'));
        return;
      }
      ae.setCrc(t.crc >>> 0);
      ae.setSize(t.size);
      ae.setCompressedSize(source.compressedSize);
      this._afterAppend(ae);
      callback(null, ae);
    });
    source.pipe(this as unknown as NodeJS.WritableStream, { end: false });
  };
  return zip;
}

/**
 * Deflate a stream here (zlib runs on the libuv thread pool, off the main thread), computing the
 * CRC-32 (zlib's, native) and sha256 of what goes in: for documents and screenshots.
 */
export function deflateStream(source: Readable): DeflatedEntry {
  const out = new DeflatedEntry();
  const sha = crypto.createHash('sha256');
  let crc = 0;
  let size = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _e, cb) {
      crc = zlib.crc32(chunk, crc);
      sha.update(chunk);
      size += chunk.length;
      cb(null, chunk);
    },
    flush(cb) {
      out.totals = { crc, size, sha256: sha.digest('hex') };
      cb();
    },
  });
  pipeline(
    source,
    tap,
    zlib.createDeflateRaw({ level: DEFLATE_LEVEL, memLevel: DEFLATE_MEM_LEVEL }),
    out,
  ).catch((e: unknown) => out.destroy(e as Error));
  return out;
}
