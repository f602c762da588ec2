/**
 * The reference server's durable log: one append-only file of framed records
 * (`J1 <crc32 hex8> <len> <json>\n`, the engine's journal framing), fsynced before the server
 * answers. Replaying it rebuilds the server's whole state, so accepted billing survives a restart
 * or a kill -9. A torn final record (crash mid-append) is trimmed; damage anywhere else moves the
 * file to quarantine and refuses to start, because silently skipping an ACCEPT would un-bill time.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { crc32 } from 'node:zlib';
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

export function frameRecord(record: unknown): string {
  const json = JSON.stringify(record);
  const bytes = Buffer.from(json, 'utf8');
  return `J1 ${crc32(bytes).toString(16).padStart(8, '0')} ${bytes.length} ${json}\n`;
}

interface ParsedLine {
  ok: boolean;
  record?: unknown;
}

function parseLine(line: Buffer): ParsedLine {
  const text = line.toString('utf8');
  const m = /^J1 ([0-9a-f]{8}) (\d+) /.exec(text);
  if (!m) return { ok: false };
  const body = line.subarray(Buffer.byteLength(m[0], 'utf8'));
  if (body.length !== Number(m[2])) return { ok: false };
  if (crc32(body).toString(16).padStart(8, '0') !== m[1]) return { ok: false };
  try {
    return { ok: true, record: JSON.parse(body.toString('utf8')) };
  } catch {
    return { ok: false };
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
    const records: unknown[] = [];
    let good = 0;
    let offset = 0;
    while (offset < data.length) {
      const nl = data.indexOf(0x0a, offset);
      const end = nl === -1 ? data.length : nl;
      const parsed = nl === -1 ? { ok: false } : parseLine(data.subarray(offset, end));
      if (!parsed.ok) {
        const rest = data.subarray(nl === -1 ? data.length : nl + 1);
        // Only the last line may be bad (a torn append); a bad line followed by more data is damage.
        if (rest.length > 0) {
          const qdir = path.join(dir, 'quarantine');
          await fsp.mkdir(qdir, { recursive: true });
          const to = path.join(qdir, `server.jrnl.corrupt-${Date.now()}`);
          await fsp.rename(file, to);
          throw new JournalCorruptError(
            `The work-diary server's journal is damaged at byte ${offset}; it was moved to ${to}.`,
            to,
          );
        }
        break;
      }
      records.push(parsed.record);
      offset = end + 1;
      good = offset;
    }
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
      await this.fh.appendFile(records.map(frameRecord).join(''));
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
