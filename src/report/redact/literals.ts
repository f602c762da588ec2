/**
 * Learned values (a password, a user name) replaced wherever they appear, as whole words.
 *
 * A regex alternation of every learned value costs time per value on every line (V8 tries each
 * alternative at each position), and a bundle can learn hundreds: the earlier redactor spent most
 * of its time there. This scanner looks at each line once: a value can only start where a word
 * starts, and only where the first two bytes of some value are found (a 64 KiB table), so the
 * cost per line stays the same however many values are learned.
 *
 * Strings are latin1 ("binary"): every char code is a byte.
 */
import { PLACEHOLDER_RE } from './rules.js';

const isWordChar = (c: number) => (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
const PLACEHOLDER_AT = new RegExp(PLACEHOLDER_RE.source, 'y');
const LT = 60; // '<'
/** Bucket prefix lengths, longest first; every value is at least 2 bytes long. */
const PREFIXES = [16, 6, 2] as const;

export interface LiteralHit {
  start: number;
  end: number;
  value: string;
}

export class LiteralSet {
  /** value → placeholder */
  private readonly values = new Map<string, string>();
  /** The values in the order they were added. */
  private readonly order: string[] = [];
  /**
   * Values bucketed by a prefix, longest first within a bucket: the first 16 bytes for long
   * values, 6 for middling ones, 2 for short ones. Tokens share prefixes (`ya29.`, `eyJhbGciOi`),
   * so a short prefix alone would make one long bucket to walk at every occurrence.
   */
  private readonly buckets = PREFIXES.map(() => new Map<string, string[]>());
  /** first two bytes of every value, as a 64 KiB table */
  private readonly anchors = new Uint8Array(1 << 16);

  get size(): number {
    return this.values.size;
  }

  has(value: string): boolean {
    return this.values.has(value);
  }

  placeholderOf(value: string): string | undefined {
    return this.values.get(value);
  }

  /** The values added after the first `from` (cheap: for noticing new ones as they come). */
  valuesFrom(from: number): string[] {
    return this.order.slice(from);
  }

  /** Every value, for handing to another redactor (never leaves the process). */
  entries(): [string, string][] {
    return [...this.values];
  }

  add(value: string, placeholder: string): void {
    if (value.length < 2 || this.values.has(value)) return;
    this.values.set(value, placeholder);
    this.order.push(value);
    this.anchors[(value.charCodeAt(0) << 8) | value.charCodeAt(1)] = 1;
    const b = PREFIXES.findIndex((n) => value.length >= n);
    const bucket = this.buckets[b];
    const key = value.slice(0, PREFIXES[b]);
    if (!bucket) return;
    const list = bucket.get(key) ?? [];
    let at = list.findIndex((v) => v.length < value.length);
    if (at === -1) at = list.length;
    list.splice(at, 0, value);
    bucket.set(key, list);
  }

  /** The longest value starting at `i` as a whole word, if any. */
  private matchAt(line: string, i: number): string | undefined {
    for (let b = 0; b < PREFIXES.length; b++) {
      const n = PREFIXES[b] ?? 2;
      if (i + n > line.length) continue;
      const list = this.buckets[b]?.get(line.slice(i, i + n));
      if (!list) continue;
      for (const v of list) {
        if (line.startsWith(v, i) && !isWordChar(line.charCodeAt(i + v.length))) return v;
      }
    }
    return undefined;
  }

  /** Whole-word occurrences, left to right, never inside one of our placeholders. */
  find(line: string, limit = Infinity): LiteralHit[] {
    const hits: LiteralHit[] = [];
    if (this.values.size === 0) return hits;
    const n = line.length - 1;
    let prevWord = false;
    for (let i = 0; i < n; i++) {
      const c = line.charCodeAt(i);
      if (c === LT) {
        PLACEHOLDER_AT.lastIndex = i;
        if (PLACEHOLDER_AT.test(line)) {
          i = PLACEHOLDER_AT.lastIndex - 1;
          prevWord = false;
          continue;
        }
      }
      if (!prevWord && this.anchors[(c << 8) | line.charCodeAt(i + 1)] === 1) {
        const v = this.matchAt(line, i);
        if (v) {
          hits.push({ start: i, end: i + v.length, value: v });
          if (hits.length >= limit) return hits;
          i += v.length - 1;
          prevWord = isWordChar(v.charCodeAt(v.length - 1));
          continue;
        }
      }
      prevWord = isWordChar(c);
    }
    return hits;
  }

  /** The line with every occurrence replaced by its placeholder; `onHit` counts them. */
  replace(line: string, onHit: () => void): string {
    const hits = this.find(line);
    if (hits.length === 0) return line;
    let out = '';
    let pos = 0;
    for (const h of hits) {
      out += line.slice(pos, h.start) + (this.values.get(h.value) ?? '<redacted>');
      pos = h.end;
      onHit();
    }
    return out + line.slice(pos);
  }
}
