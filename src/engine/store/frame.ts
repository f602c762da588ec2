/**
 * Journal framing: `J1 <crc32 of the JSON bytes, 8 hex> <JSON byte length> <JSON>\n`. The length
 * makes a torn line detectable even when the cut-off JSON happens to parse; the CRC catches bit
 * rot. The same framing wraps snapshots and the MANIFEST, so one parser checks every file.
 */
import zlib from 'node:zlib';

const MAGIC = 'J1 ';

const TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32Table(data: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of data) c = (TABLE[(c ^ b) & 0xff] ?? 0) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** zlib.crc32 exists from Node 20.15/22.2; the table version keeps older Node 20 releases working. */
export const crc32: (data: Uint8Array) => number =
  typeof (zlib as { crc32?: unknown }).crc32 === 'function' ? (d) => zlib.crc32(d) >>> 0 : crc32Table;

export function crcHex(data: Uint8Array): string {
  return crc32(data).toString(16).padStart(8, '0');
}

export function encodeFrame(value: unknown): Buffer {
  const json = Buffer.from(JSON.stringify(value), 'utf8');
  return Buffer.concat([
    Buffer.from(`${MAGIC}${crcHex(json)} ${json.length} `, 'latin1'),
    json,
    Buffer.from('\n'),
  ]);
}

export type FrameResult<T> = { ok: true; value: T; end: number } | { ok: false; why: string };

/** Decode the frame starting at `offset`; `end` is the offset just past its newline. */
export function decodeFrameAt<T = unknown>(buf: Buffer, offset: number): FrameResult<T> {
  if (buf.length - offset < 3 || buf.toString('latin1', offset, offset + 3) !== MAGIC) {
    return { ok: false, why: 'no frame header' };
  }
  const crcEnd = offset + 3 + 8;
  if (buf.length < crcEnd + 1 || buf[crcEnd] !== 0x20) return { ok: false, why: 'truncated header' };
  const crc = buf.toString('latin1', offset + 3, crcEnd);
  if (!/^[0-9a-f]{8}$/.test(crc)) return { ok: false, why: 'bad crc field' };
  let p = crcEnd + 1;
  let len = 0;
  const digitsStart = p;
  while (p < buf.length && p - digitsStart < 10 && buf[p]! >= 0x30 && buf[p]! <= 0x39) {
    len = len * 10 + (buf[p]! - 0x30);
    p++;
  }
  if (p === digitsStart || p >= buf.length || buf[p] !== 0x20) return { ok: false, why: 'truncated header' };
  const start = p + 1;
  const end = start + len;
  if (end + 1 > buf.length) return { ok: false, why: 'truncated body' };
  if (buf[end] !== 0x0a) return { ok: false, why: 'missing newline' };
  const body = buf.subarray(start, end);
  if (crcHex(body) !== crc) return { ok: false, why: 'crc mismatch' };
  try {
    return { ok: true, value: JSON.parse(body.toString('utf8')) as T, end: end + 1 };
  } catch {
    return { ok: false, why: 'bad json' };
  }
}

export interface ScanResult<T> {
  records: T[];
  /** Offset just past the last good frame before the first bad one (or the whole buffer). */
  goodEnd: number;
  /** First bad frame's offset and reason, if any. */
  bad?: { offset: number; why: string };
  /** True when at least one valid frame follows the bad one: corruption, not a torn tail. */
  goodAfterBad: boolean;
  /** Valid frames found after the bad one (kept for quarantined files, never used to skip a gap silently). */
  after: T[];
}

export function scanFrames<T = unknown>(buf: Buffer): ScanResult<T> {
  const records: T[] = [];
  let o = 0;
  while (o < buf.length) {
    const r = decodeFrameAt<T>(buf, o);
    if (!r.ok) {
      const after: T[] = [];
      // Resynchronise on later "\nJ1 " boundaries to tell a torn tail from mid-file damage.
      let q = buf.indexOf('\nJ1 ', o);
      while (q !== -1) {
        const rr = decodeFrameAt<T>(buf, q + 1);
        if (rr.ok) {
          after.push(rr.value);
          q = buf.indexOf('\nJ1 ', rr.end - 1);
        } else {
          q = buf.indexOf('\nJ1 ', q + 1);
        }
      }
      return { records, goodEnd: o, bad: { offset: o, why: r.why }, goodAfterBad: after.length > 0, after };
    }
    records.push(r.value);
    o = r.end;
  }
  return { records, goodEnd: o, goodAfterBad: false, after: [] };
}
