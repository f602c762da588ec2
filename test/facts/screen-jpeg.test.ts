import { mkdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { decode, encode } from 'jpeg-js';
import { describe, expect, it } from 'vitest';
import { screenRecording } from '../../src/checks/screen-recording.js';
import { createTestContext } from '../../src/core/context.js';
import type { ScreenFacts } from '../../src/facts/screen.js';
import { JPEG_MAX_MP, screenCollector } from '../../src/facts/screen.js';
import { makeFacts } from '../helpers/facts.js';
import { tempDir } from '../helpers/cli.js';
import { collect, workLike } from './os-helpers.js';

type Paint = (x: number, y: number) => [number, number, number];

/** A real JPEG from jpeg-js's encoder (baseline, 4:2:0), as a tracker would write one. */
function jpeg(w: number, h: number, paint: Paint, quality = 75): Buffer {
  const data = Buffer.alloc(w * h * 4);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const [r, g, b] = paint(x, y);
      data.set([r, g, b, 255], (y * w + x) * 4);
    }
  return encode({ data, width: w, height: h }, quality).data;
}

const black: Paint = () => [0, 0, 0];
/** A black frame as a capture pipeline delivers it: dark sensor-like noise, a small bright cursor. */
const noisyBlack: Paint = (x, y) =>
  x >= 100 && x < 112 && y >= 60 && y < 78
    ? [255, 255, 255]
    : [(x * 31 + y * 17) % 14, (x * 7) % 9, (y * 5) % 11];

let t = Date.parse('2026-11-18T09:00:00Z');
/** Writes files with increasing mtimes (so the collector's newest-first order is the write order, reversed). */
function put(dir: string, name: string, bytes: Buffer): string {
  const file = path.join(dir, name);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, bytes);
  t += 60_000;
  utimesSync(file, new Date(t), new Date(t));
  return file;
}

async function shots(dir: string): Promise<ScreenFacts> {
  return (await collect(screenCollector, createTestContext({ platform: 'win32' }), { dataDir: dir })).value;
}

/**
 * SOF0 patched to announce 8000×6000 (48 MP): over our 40 MP cap but under jpeg-js's own default
 * of 100 MP, so this only fails on the resolution rule if the collector passes its limit.
 */
function hugeHeader(buf: Buffer): Buffer {
  const out = Buffer.from(buf);
  const sof = out.indexOf(Buffer.from('ffc0', 'hex'));
  expect(sof).toBeGreaterThan(0);
  out.writeUInt16BE(6000, sof + 5);
  out.writeUInt16BE(8000, sof + 7);
  return out;
}

describe('JPEG screenshots (jpeg-js) through the screen collector', () => {
  it('an all-black frame at quality 75 is black; a normal frame is ok; a noisy black frame is black', async () => {
    const dir = tempDir('uwd-jpeg-');
    const blackBytes = jpeg(320, 200, black);
    // The luma rule must hold on what the decoder really returns, not on the pixels we painted.
    const decoded = decode(blackBytes, { useTArray: true, formatAsRGBA: false });
    expect(decoded.data.every((v) => v < 0.1 * 255)).toBe(true);
    const normal = put(dir, 'shots/a1.jpg', jpeg(320, 200, workLike));
    const noisy = put(dir, 'shots/a2.jpeg', jpeg(320, 200, noisyBlack));
    const blk = put(dir, 'shots/a3.JPG', blackBytes);
    const s = await shots(dir);
    expect(s.screenshots.analysed.map((i) => [i.file, i.verdict, i.width, i.height])).toEqual([
      [blk, 'black', 320, 200],
      [noisy, 'black', 320, 200],
      [normal, 'ok', 320, 200],
    ]);
    const [b, n, ok] = s.screenshots.analysed;
    expect(b!.blackRatio).toBe(1);
    expect(n!.blackRatio).toBeGreaterThanOrEqual(0.98);
    expect(n!.blackRatio).toBeLessThan(1);
    expect(ok!.blackRatio).toBeLessThan(0.9);
    for (const i of s.screenshots.analysed) expect(i.reason).toBeUndefined();
  });

  it('decodes by content: a JPEG stored under a .png name is judged, not called corrupt', async () => {
    const dir = tempDir('uwd-jpeg-');
    const file = put(dir, 'Upwork/Cache/blobs/sha256/ab/ab12.png', jpeg(64, 48, black, 90));
    expect((await shots(dir)).screenshots.analysed).toMatchObject([{ file, verdict: 'black', width: 64 }]);
  });

  it('truncated, corrupt or hostile JPEGs are unreadable with a reason, never black', async () => {
    const dir = tempDir('uwd-jpeg-');
    const good = jpeg(320, 200, workLike);
    const blackBytes = jpeg(320, 200, black);
    const garbled = Buffer.from(good);
    // Overwrite the middle of the entropy-coded data, including bytes that look like markers.
    garbled.fill(0xff, Math.floor(good.length / 2), Math.floor(good.length / 2) + 64);
    const cases: Record<string, Buffer> = {
      'half.jpg': good.subarray(0, Math.floor(good.length / 2)),
      'no-eoi.jpg': good.subarray(0, good.length - 2),
      'black-cut.jpg': blackBytes.subarray(0, Math.floor(blackBytes.length * 0.8)),
      'header-only.jpg': good.subarray(0, 4),
      'garbled.jpg': garbled,
      'huge.jpg': hugeHeader(good),
      'text.jpg': Buffer.from('this is not an image\n'),
    };
    for (const [name, bytes] of Object.entries(cases)) put(dir, name, bytes);
    const s = await shots(dir);
    expect(s.screenshots.analysed).toHaveLength(Object.keys(cases).length);
    const byName = Object.fromEntries(s.screenshots.analysed.map((i) => [path.basename(i.file), i]));
    for (const name of Object.keys(cases)) {
      expect(byName[name], name).toMatchObject({ verdict: 'unreadable', blackRatio: null, width: null });
      expect(byName[name]!.reason, name).toMatch(/\w/);
    }
    expect(byName['huge.jpg']!.reason).toMatch(/maxResolutionInMP/);
    expect(byName['text.jpg']!.reason).toBe('neither a PNG nor a JPEG file');
  });

  it('the resolution cap is real: a frame just over it is refused, one under it decodes', () => {
    expect(JPEG_MAX_MP).toBeGreaterThanOrEqual(33); // an 8K frame (7680×4320) must still be judged
    const small = jpeg(16, 16, black);
    const opts = { useTArray: true as const, maxResolutionInMP: 16 * 16 * 1e-6 * 0.99 };
    expect(() => decode(small, opts)).toThrow(/maxResolutionInMP/);
    expect(decode(small, { ...opts, maxResolutionInMP: JPEG_MAX_MP }).width).toBe(16);
  });

  it('files over the size cap are listed but not decoded, with a reason', async () => {
    const dir = tempDir('uwd-jpeg-');
    // A valid JPEG padded past 25 MB after EOI: decoding it would succeed, so only the cap stops it.
    const big = Buffer.concat([jpeg(16, 16, black), Buffer.alloc(25 * 1024 * 1024 + 1)]);
    put(dir, 'big.jpg', big);
    expect((await shots(dir)).screenshots.analysed).toMatchObject([
      { verdict: 'not-analysed', reason: 'larger than 25 MB, not decoded', bytes: big.length },
    ]);
  });
});

describe('JPEG screenshots through the collector and the screen-recording check', () => {
  const run = async (files: Record<string, Buffer>) => {
    const dir = tempDir('uwd-jpeg-');
    for (const [name, bytes] of Object.entries(files)) put(dir, name, bytes);
    const screen = await shots(dir);
    return screenRecording.run(
      makeFacts({ screen }, { platform: 'win32', collectedAt: '2026-11-18T23:00:00.000Z' }),
    );
  };

  it('a black JPEG fails with UWD-SCREEN-005 and names the file', async () => {
    const f = await run({ 'ok.jpg': jpeg(200, 120, workLike), 'dark.jpg': jpeg(200, 120, black) });
    expect([f.status, f.code]).toEqual(['fail', 'UWD-SCREEN-005']);
    expect(f.details!.join('\n')).toMatch(/Black: .*dark\.jpg \(100 % dark pixels\)/);
  });

  it('normal JPEGs pass', async () => {
    const f = await run({ 'a.jpg': jpeg(200, 120, workLike), 'b.jpg': jpeg(200, 120, workLike, 40) });
    expect([f.status, f.code]).toEqual(['pass', 'UWD-SCREEN-001']);
  });

  it('a corrupt JPEG is never a black-screenshot failure: it is listed as not judged, with the reason', async () => {
    const good = jpeg(200, 120, black);
    const f = await run({ 'cut.jpg': good.subarray(0, good.length >> 1) });
    expect(f.code).not.toBe('UWD-SCREEN-005');
    expect(f.details!.join('\n')).toMatch(/1 not judged[\s\S]*Not judged: .*cut\.jpg \(unreadable: .+\)/);
    expect(f.evidence).toMatchObject({
      recentAnalysed: [{ verdict: 'unreadable', reason: expect.any(String) }],
    });
  });
});

it('the fixture encoder really writes JPEG (SOI marker), so these tests exercise the JPEG path', () => {
  const dir = tempDir('uwd-jpeg-');
  const file = put(dir, 'x.jpg', jpeg(8, 8, black));
  expect(readFileSync(file).subarray(0, 3).toString('hex')).toBe('ffd8ff');
});
