/**
 * One log through the job a log worker runs: read in reused buffers, redacted, and deflated a
 * stage at a time (each stage its own deflate with the previous 32 KiB as dictionary, joined by
 * sync flushes). Whatever the stage boundaries cut, the pieces must inflate as one stream to the
 * redacted log, byte for byte, and the totals must describe exactly those bytes.
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { clearedValues, runLogJob } from '../../../src/report/bundle/log-job.js';
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

describe('values that became known while a log was written', () => {
  const out = Buffer.from('line one\nproxy user corpuser here\nline three\nWinter2026! leaked\n', 'latin1');

  it('are cleared when the part written before they were known does not hold them', () => {
    expect(
      clearedValues(out, [
        ['dwhitfield', 20],
        ['Summer2025!', out.length],
      ]),
    ).toEqual(['dwhitfield', 'Summer2025!']);
  });

  it('are not cleared when that part holds one of them as a whole word, nor any other then', () => {
    // corpuser sits in line 2, before offset 40 where it became known: nothing is cleared.
    expect(
      clearedValues(out, [
        ['corpuser', 40],
        ['dwhitfield', 10],
      ]),
    ).toEqual([]);
    // Known before its occurrence (offset 9): the occurrence was written knowing it, so it is clean.
    expect(clearedValues(out, [['corpuser', 9]])).toEqual(['corpuser']);
    // Inside a longer word it is not a whole word: the residual scan would not match it either.
    expect(clearedValues(out, [['corpuse', 40]])).toEqual(['corpuse']);
  });

  it('known only past the kept start of the log, are left to the archive read-back', () => {
    expect(clearedValues(out.subarray(0, 30), [['Winter2026!', 60]])).toEqual([]);
  });

  it('a log that learns a password after writing it bare reports it as not cleared', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'upwork..20250412.log');
    writeFileSync(
      file,
      [
        '[2025-04-12T10:00:00.000] [INFO] x - ordinary',
        '[2025-04-12T10:00:01.000] [INFO] x - retrying with Hunter2Secret!',
        '[2025-04-12T10:00:02.000] [WARN] x - proxy http://corp:Hunter2Secret!@proxy.example:3128 slow',
        '',
      ].join('\n'),
    );
    const { result } = await run(file, readFileSync(file).length);
    expect(result.learned.map(([v]) => v)).toContain('Hunter2Secret!');
    expect(result.cleared).not.toContain('Hunter2Secret!');
  });
});
