/**
 * The reference server's durable log: one append-only file of framed records
 * (`J1 <crc32 hex8> <len> <json>\n`, the engine's journal framing), fsynced before the server
 * answers. Replaying it rebuilds the server's whole state, so accepted billing survives a restart
 * or a kill -9. A torn final record (crash mid-append) is trimmed; damage anywhere else moves the
 * file to quarantine and refuses to start, because silently skipping an ACCEPT would un-bill time.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { encodeFrame, scanFrames } from '../store/frame.js';
import { syncDir } from './atomic.js';

export class JournalCorruptError extends Error {
  constructor(
    message: string,
    readonly quarantinedTo: string,
  ) {
    super(message);
    this.name = 'JournalCorruptError';
  }
}

export class ServerJournal {
  private fh: fsp.FileHandle | undefined;
  private chain: Promise<void> = Promise.resolve();

  private constructor(readonly file: string) {}

  /**
   * Open (creating) the journal and return every intact record in order. A torn tail is cut off
   * before the first append, so new records never follow garbage.
   */
  static async open(
    dir: string,
  ): Promise<{ journal: ServerJournal; records: unknown[]; repairedBytes: number }> {
    await fsp.mkdir(dir, { recursive: true });
    const file = path.join(dir, 'server.jrnl');
    const journal = new ServerJournal(file);
    let data: Buffer;
    try {
      data = await fsp.readFile(file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      data = Buffer.alloc(0);
    }
    // One codec for every journal in the engine (store/frame.ts): only a torn final record may be
    // bad; a bad record followed by good ones is damage.
    const scan = scanFrames<unknown>(data);
    if (scan.bad && scan.goodAfterBad) {
      const qdir = path.join(dir, 'quarantine');
      await fsp.mkdir(qdir, { recursive: true });
      const to = path.join(qdir, `server.jrnl.corrupt-${Date.now()}`);
      await fsp.rename(file, to);
      throw new JournalCorruptError(
        `The work-diary server's journal is damaged at byte ${scan.bad.offset}; it was moved to ${to}.`,
        to,
      );
    }
    const records = scan.records;
    const good = scan.goodEnd;
    const repairedBytes = data.length - good;
    journal.fh = await fsp.open(file, 'a+');
    if (repairedBytes > 0) {
      await journal.fh.truncate(good);
      await journal.fh.sync();
    }
    await syncDir(dir);
    return { journal, records, repairedBytes };
  }

  /** Append records and fsync: when this resolves, they survive a crash. Calls are serialised. */
  append(records: readonly unknown[]): Promise<void> {
    const next = this.chain.then(async () => {
      if (!this.fh) throw new Error('journal closed');
      if (records.length === 0) return;
      await this.fh.appendFile(Buffer.concat(records.map((r) => encodeFrame(r))));
      await this.fh.datasync();
    });
    this.chain = next.catch(() => undefined);
    return next;
  }

  async close(): Promise<void> {
    await this.chain;
    const fh = this.fh;
    this.fh = undefined;
    await fh?.close();
  }
}
