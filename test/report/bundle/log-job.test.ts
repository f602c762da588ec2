/**
 * One log through the job a log worker runs: read in reused buffers, redacted, and deflated a
 * stage at a time (each stage its own deflate with the previous 32 KiB as dictionary, joined by
 * sync flushes). Whatever the stage boundaries cut, the pieces must inflate as one stream to the
 * redacted log, byte for byte, and the totals must describe exactly those bytes.
 */
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { runLogJob } from '../../../src/report/bundle/log-job.js';
import { Redactor } from '../../../src/report/redact/redactor.js';
import { tempDir } from '../../helpers/cli.js';

/** A few MiB of varied log lines (no secrets), with long runs and bytes of every value. */
function ordinaryLog(lines: number): Buffer {
  const parts: Buffer[] = [];
  let x = 12345;
  for (let i = 0; i < lines; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    if (i % 997 === 0)
      parts.push(Buffer.from(Array.from({ length: 200 }, (_, k) => (k + i) % 256).filter((b) => b !== 10)));
    parts.push(
      Buffer.from(
        `[2025-04-10T12:${String(i % 60).padStart(2, '0')}:00.000] [INFO] tracker.segments - segment ${i} activity ${x % 11}/10 queue=${x % 997}${' pad'.repeat(x % 40)}\n`,
      ),
    );
  }
  return Buffer.concat(parts);
}

async function run(file: string, size: number, start = 0, note?: string) {
  const chunks: Buffer[] = [];
  const redactor = new Redactor({ seed: { hashKey: new Uint8Array(32), map: [], literals: [] } });
  const result = await runLogJob(
    { id: 1, file, entry: 'logs/x.log', start, size, ...(note ? { note } : {}) },
    redactor,
    (chunk) => {
      chunks.push(Buffer.from(chunk));
    },
  );
  return { result, plain: zlib.inflateRawSync(Buffer.concat(chunks)) };
}

describe('a log job', () => {
  it('deflates a log of many stages into one stream that inflates to it byte for byte', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'upwork..20250410.log');
    const data = ordinaryLog(60_000);
    expect(data.length).toBeGreaterThan(3 * 1024 * 1024);
    writeFileSync(file, data);
    const { result, plain } = await run(file, data.length);
    expect(plain.equals(data)).toBe(true);
    expect(result.size).toBe(data.length);
    expect(result.crc >>> 0).toBe(zlib.crc32(data) >>> 0);
    expect(result.sha256).toBe(createHash('sha256').update(data).digest('hex'));
  });

  it('a tail keeps its note and whole lines only, and the second run of a thread reuses nothing stale', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'upwork..20250411.log');
    const data = ordinaryLog(40_000);
    writeFileSync(file, data);
    const start = 1_000_003;
    const note = '[upwork-doctor] cut\n';
    const expected = Buffer.concat([Buffer.from(note), data.subarray(data.indexOf(10, start - 1) + 1)]);
    for (let i = 0; i < 2; i++) {
      const { result, plain } = await run(file, data.length, start, note);
      expect(plain.equals(expected)).toBe(true);
      expect(result.size).toBe(expected.length);
    }
  });

  it('an empty log is an empty entry', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'empty.log');
    writeFileSync(file, '');
    const { result, plain } = await run(file, 0);
    expect(plain.length).toBe(0);
    expect(result.size).toBe(0);
  });
});
