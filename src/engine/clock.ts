/**
 * Time and randomness for the engine. The rules core never reads the real clock or Math.random:
 * the thin shell passes a Clock and an Rng, so tests (and the kill -9 worker) drive simulated time
 * and reproducible screenshot instants.
 */
import { randomBytes } from 'node:crypto';

export interface Clock {
  /** Wall clock, UTC epoch ms (integer). */
  now(): number;
  /** Monotonic ms since an arbitrary origin; guards against counting time that did not elapse. */
  mono(): number;
}

export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [0, maxExclusive). */
  int(maxExclusive: number): number;
}

export const realClock: Clock = {
  now: () => Date.now(),
  mono: () => Math.floor(performance.now()),
};

/** A clock tests move by hand. Wall and monotonic advance together unless a step is simulated. */
export class FakeClock implements Clock {
  private wall: number;
  private monoMs = 0;

  constructor(startMs: number) {
    this.wall = Math.floor(startMs);
  }

  now(): number {
    return this.wall;
  }

  mono(): number {
    return this.monoMs;
  }

  advance(ms: number): void {
    if (ms < 0) throw new RangeError('FakeClock.advance: negative; use stepWall for clock steps');
    this.wall += Math.floor(ms);
    this.monoMs += Math.floor(ms);
  }

  /** Jump the wall clock only (NTP correction, user change), the monotonic clock stays put. */
  stepWall(ms: number): void {
    this.wall += Math.floor(ms);
  }

  set(ms: number): void {
    if (ms >= this.wall) this.advance(ms - this.wall);
    else this.stepWall(ms - this.wall);
  }
}

function intFrom(next: () => number, maxExclusive: number): number {
  if (!Number.isInteger(maxExclusive) || maxExclusive <= 0)
    throw new RangeError(`Rng.int: bad bound ${maxExclusive}`);
  return Math.floor(next() * maxExclusive);
}

/** mulberry32: tiny, fast and good enough to spread screenshot instants; same seed, same sequence. */
export function seededRng(seed: number): Rng {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (n) => intFrom(next, n) };
}

/** Cryptographic randomness: a real tracker's screenshot instant must not be predictable. */
export const realRng: Rng = {
  next: () => randomBytes(4).readUInt32BE(0) / 4294967296,
  int: (n) => intFrom(realRng.next, n),
};
