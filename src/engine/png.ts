/**
 * Small deterministic synthetic screenshots. The reference engine never captures a real screen:
 * a "screenshot" is a 64x40 PNG whose pattern depends only on its seed, so the same slot gives the
 * same bytes (and sha256) on every run. A black one reproduces the black-screenshot problem
 * (missing screen-recording permission, GPU trouble).
 */
export const SHOT_WIDTH = 64;
export const SHOT_HEIGHT = 40;

export interface SyntheticPngOptions {
  seed: number;
  black?: boolean;
  width?: number;
  height?: number;
}

/** A PNG for `seed`; pngjs is loaded only when a screenshot is actually made. */
export async function syntheticPng(opts: SyntheticPngOptions): Promise<Buffer> {
  const { PNG } = await import('pngjs');
  const width = opts.width ?? SHOT_WIDTH;
  const height = opts.height ?? SHOT_HEIGHT;
  const png = new PNG({ width, height });
  let s = opts.seed >>> 0 || 1;
  const next = (): number => {
    // xorshift32: enough to vary window sizes and colours per seed.
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
  const bg = [40 + (next() % 80), 60 + (next() % 80), 90 + (next() % 100)];
  const win = { x: next() % (width / 2), y: next() % (height / 2), w: width / 2, h: height / 2 };
  const fg = [200 + (next() % 56), 200 + (next() % 56), 200 + (next() % 56)];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      const inWin = x >= win.x && x < win.x + win.w && y >= win.y && y < win.y + win.h;
      // "Text lines" inside the window so the image is not flat.
      const text = inWin && y % 4 === 1 && (x + opts.seed) % 7 !== 0;
      const c = opts.black ? [0, 0, 0] : inWin ? (text ? [30, 30, 30] : fg) : bg;
      png.data[i] = c[0]!;
      png.data[i + 1] = c[1]!;
      png.data[i + 2] = c[2]!;
      png.data[i + 3] = 255;
    }
  }
  return PNG.sync.write(png, { deflateLevel: 9 });
}

export interface PngStats {
  width: number;
  height: number;
  /** Mean luma 0..255. */
  meanLuma: number;
  /** Share of pixels with luma below 16 (0..1). */
  darkShare: number;
  /** True when (almost) every pixel is black: what a capture without permission looks like. */
  black: boolean;
}

export async function pngStats(bytes: Uint8Array): Promise<PngStats> {
  const { PNG } = await import('pngjs');
  const img = PNG.sync.read(Buffer.from(bytes));
  let sum = 0;
  let dark = 0;
  const n = img.width * img.height;
  for (let i = 0; i < n; i++) {
    const o = i * 4;
    const luma = 0.2126 * img.data[o]! + 0.7152 * img.data[o + 1]! + 0.0722 * img.data[o + 2]!;
    sum += luma;
    if (luma < 16) dark++;
  }
  const darkShare = n === 0 ? 1 : dark / n;
  return {
    width: img.width,
    height: img.height,
    meanLuma: n === 0 ? 0 : sum / n,
    darkShare,
    black: darkShare >= 0.99,
  };
}
