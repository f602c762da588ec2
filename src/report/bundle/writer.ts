/**
 * The archive writer: deflated entries are framed by zip-stream (see zip.ts) and, with
 * --encrypt-to, go through the CMS encryptor, into `<name>.partial`; nothing is staged on disk and
 * no entry is held in memory.
 * Any failure (a full disk, a residual secret, a read error) aborts the whole archive and removes
 * the partial file, so a broken or half-written bundle never exists under any name.
 */
import crypto from 'node:crypto';
import type { WriteStream } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { Transform } from 'node:stream';
import type { Readable, TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Recipient } from './cms.js';
import type { DeflatedEntry, ZipEngine } from './zip.js';
import { createZip, deflateStream } from './zip.js';

/** Counts and hashes whatever flows through. */
export class HashTap extends Transform {
  private readonly hash = crypto.createHash('sha256');
  bytes = 0;
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    cb(null, chunk);
  }
  digest(): string {
    return this.hash.digest('hex');
  }
}

export interface Stored {
  size: number;
  sha256: string;
}

export class BundleWriter {
  private error: Error | undefined;
  private waiter: { reject: (e: Error) => void } | undefined;
  private done = false;
  private readonly out = new HashTap();
  private readonly piped: Promise<void>;
  private readonly ws: WriteStream;

  private constructor(
    readonly partial: string,
    private readonly fh: FileHandle,
    private readonly archive: ZipEngine,
    cms: Transform | undefined,
  ) {
    const ws = fh.createWriteStream({ autoClose: false });
    this.ws = ws;
    this.piped = (cms ? pipeline(archive, cms, this.out, ws) : pipeline(archive, this.out, ws)).catch(
      (e: unknown) => {
        this.fail(e as Error);
      },
    );
    archive.on('error', (e: Error) => this.fail(e));
  }

  /** Create `<partial>` (it must not exist) and start the archive. */
  static async create(partial: string, recipient?: Recipient): Promise<BundleWriter> {
    const fh = await open(partial, 'wx', 0o600);
    try {
      const archive = await createZip();
      let cms: Transform | undefined;
      if (recipient) {
        const { CmsEncryptStream } = await import('./cms.js');
        cms = new CmsEncryptStream(recipient);
      }
      return new BundleWriter(partial, fh, archive, cms);
    } catch (e) {
      await fh.close().catch(() => undefined);
      await rm(partial, { force: true });
      throw e;
    }
  }

  /** Bytes of zip produced so far (before encryption): what the size budget counts. */
  pointer(): number {
    return this.archive.getBytesWritten();
  }

  private fail(e: Error): void {
    if (this.error || this.done) return;
    this.error = e;
    const w = this.waiter;
    this.waiter = undefined;
    w?.reject(e);
    this.archive.destroy();
  }

  /** Whether the archive itself failed (a write error), rather than one entry's source. */
  failed(): boolean {
    return this.error !== undefined;
  }

  private check(): void {
    if (this.error) throw this.error;
  }

  /** Add one deflated entry; resolves when the archive has taken all of it. */
  async add(name: string, source: DeflatedEntry, date: Date): Promise<Stored> {
    this.check();
    await new Promise<void>((resolve, reject) => {
      this.waiter = { reject };
      source.on('error', (e: Error) => this.fail(e));
      this.archive.entry(source, { name, date }, (err) => {
        this.waiter = undefined;
        if (err) reject(err);
        else resolve();
      });
    });
    this.check();
    const t = source.totals;
    if (!t) throw new Error(`${name}: no totals`);
    return { size: t.size, sha256: t.sha256 };
  }

  /** Add a stream of plain bytes, deflated here on zlib's thread pool. */
  addStream(name: string, source: Readable, date: Date): Promise<Stored> {
    return this.add(name, deflateStream(source), date);
  }

  async addBuffer(name: string, data: Buffer, date: Date): Promise<Stored> {
    const { Readable } = await import('node:stream');
    return this.addStream(name, Readable.from([data]), date);
  }

  /** Finish the archive, flush it to disk; returns the size and sha256 of the file written. */
  async finish(): Promise<Stored> {
    this.check();
    this.archive.finalize();
    await this.piped;
    this.check();
    await this.fh.sync();
    this.done = true;
    // The stream owns the handle (and holds a reference on it) until it is destroyed, which closes it.
    await new Promise<void>((resolve) => {
      this.ws.once('close', () => resolve());
      this.ws.destroy();
    });
    return { size: this.out.bytes, sha256: this.out.digest() };
  }

  /** Stop and remove the partial file. Safe to call more than once. */
  async abort(): Promise<void> {
    if (!this.error) this.fail(new Error('aborted'));
    this.done = true;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.piped.catch(() => undefined),
      new Promise((r) => (timer = setTimeout(r, 2_000))),
    ]);
    clearTimeout(timer);
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, 2_000);
      this.ws.once('close', () => {
        clearTimeout(t);
        resolve();
      });
      this.ws.destroy();
      if (this.ws.closed) resolve();
    });
    await rm(this.partial, { force: true });
  }
}
