/**
 * The cheap first look at a line: does it hold any word (case-insensitive) that some rule, a
 * learned value or the host name needs? Most log lines do not, and they then skip every rule and
 * the residual scan. It runs over every byte of every log, so it is the redactor's hot loop.
 *
 * One pass over the bytes with a 256 KiB bit table of four-byte groups (hashed): a word of four
 * bytes or more is marked by its first four, a three-byte word by every group that ends with it.
 * Only where a marked group is found is the whole word compared. Four bytes rather than three,
 * because common words share three-byte prefixes with the rules' words (`keyboard` and `key=`,
 * `logs` and `login`), and each such hit costs a comparison. Words of one or two bytes (`@`,
 * `q~`) are found with the native Buffer/String indexOf, once per buffer rather than per line.
 * A regex alternation of the same words costs several times more per byte (V8 tries each
 * alternative at each position).
 */

const FOLD = new Uint8Array(256);
for (let i = 0; i < 256; i++) FOLD[i] = i >= 65 && i <= 90 ? i + 32 : i;

/** Four spaces before the line: a three-byte word at its start ends a group too. */
const SPACES = 0x20202020;
const TABLE_BITS = 21;
/** The table slot of the four bytes (one per byte of `h`) that end at a position. */
const slot = (h: number) => Math.imul(h, 0x9e3779b1) >>> (32 - TABLE_BITS);

const fold = (word: string) =>
  String.fromCharCode(...Array.from({ length: word.length }, (_, i) => FOLD[word.charCodeAt(i) & 255] ?? 0));

/** Every spelling of a short word as bytes, upper and lower case mixed (at most four). */
function spellings(folded: string): string[] {
  let out = [''];
  for (const ch of folded) {
    const letter = ch >= 'a' && ch <= 'z';
    out = out.flatMap((p) => (letter ? [p + ch, p + ch.toUpperCase()] : [p + ch]));
  }
  return out;
}

/** Where each short word occurs next in the buffer (or string) being scanned, found natively. */
class ShortWords {
  readonly needles: string[] = [];
  private bytes: Buffer[] = [];
  private source: unknown;
  private next: number[] = [];

  add(folded: string): void {
    for (const s of spellings(folded)) {
      if (this.needles.includes(s)) continue;
      this.needles.push(s);
      this.bytes.push(Buffer.from(s, 'latin1'));
    }
    this.source = undefined;
  }

  /** Where needle `k` occurs next at or after `start` (-1: nowhere), searched only when not known. */
  private nextOf(src: Uint8Array | string, k: number, start: number): number {
    let at = this.next[k]!;
    if (at === -2 || (at !== -1 && at < start)) {
      at =
        typeof src === 'string'
          ? src.indexOf(this.needles[k]!, start)
          : Buffer.from(src.buffer, src.byteOffset, src.byteLength).indexOf(this.bytes[k]!, start);
      this.next[k] = at;
    }
    return at;
  }

  /**
   * Positions are remembered per source, so a pass over a buffer line by line costs one native
   * search per occurrence, not one per line; a call that goes backwards (a new pass) searches again.
   */
  private sourceFor(src: Uint8Array | string, start: number): void {
    if (src !== this.source || start < this.from) {
      this.source = src;
      this.next = this.needles.map(() => -2);
    }
    this.from = start;
  }

  /** Whether one occurs whole in [start, end). */
  within(src: Uint8Array | string, start: number, end: number): boolean {
    if (this.needles.length === 0) return false;
    this.sourceFor(src, start);
    for (let k = 0; k < this.needles.length; k++) {
      const at = this.nextOf(src, k, start);
      if (at !== -1 && at + this.needles[k]!.length <= end) return true;
    }
    return false;
  }

  private from = 0;

  /** The first position at or after `start` where one occurs, or -1. */
  firstFrom(src: Uint8Array, start: number): number {
    if (this.needles.length === 0) return -1;
    this.sourceFor(src, start);
    let first = -1;
    for (let k = 0; k < this.needles.length; k++) {
      const at = this.nextOf(src, k, start);
      if (at !== -1 && (first === -1 || at < first)) first = at;
    }
    return first;
  }

  copy(): ShortWords {
    const c = new ShortWords();
    for (const n of this.needles) c.add(n);
    return c;
  }
}

export class WordFilter {
  private readonly bits: Uint8Array;
  /** slot → words of four bytes or more whose first four bytes hash there */
  private readonly long: Map<number, string[]>;
  /** the three folded bytes → the three-byte word itself */
  private readonly three: Set<number>;
  private readonly short: ShortWords;

  constructor(from?: WordFilter) {
    this.bits = from ? new Uint8Array(from.bits) : new Uint8Array(1 << (TABLE_BITS - 3));
    this.long = new Map([...(from?.long ?? [])].map(([k, v]) => [k, [...v]]));
    this.three = new Set(from?.three);
    this.short = from ? from.short.copy() : new ShortWords();
  }

  private set(h: number): void {
    const s = slot(h);
    this.bits[s >>> 3] = (this.bits[s >>> 3] ?? 0) | (1 << (s & 7));
  }

  add(word: string): void {
    if (word.length === 0) return;
    const w = fold(word);
    if (w.length <= 2) {
      this.short.add(w);
      return;
    }
    const code = (i: number) => w.charCodeAt(i);
    if (w.length === 3) {
      const last3 = (code(0) << 16) | (code(1) << 8) | code(2);
      if (this.three.has(last3)) return;
      this.three.add(last3);
      for (let c = 0; c < 256; c++) this.set((c << 24) | last3);
      return;
    }
    const h = (code(0) << 24) | (code(1) << 16) | (code(2) << 8) | code(3);
    this.set(h);
    const list = this.long.get(slot(h)) ?? [];
    if (!list.includes(w)) list.push(w);
    this.long.set(slot(h), list);
  }

  /** Whether a word ends (three bytes) or has its first four bytes (longer words) at `i`. */
  private wordAt(at: (k: number) => number, from: number, i: number, end: number, h: number): boolean {
    if (i - 2 >= from && this.three.has(h & 0xffffff)) return true;
    const start = i - 3;
    if (start < from) return false;
    for (const word of this.long.get(slot(h)) ?? []) {
      if (start + word.length > end) continue;
      let j = 0;
      while (j < word.length && FOLD[at(start + j) & 255] === word.charCodeAt(j)) j++;
      if (j === word.length) return true;
    }
    return false;
  }

  /** `test` on bytes (a log's buffer), so a line that needs nothing is never made a string. */
  testBytes(buf: Uint8Array, start: number, end: number): boolean {
    if (this.short.within(buf, start, end)) return true;
    const bits = this.bits;
    let h = SPACES;
    for (let i = start; i < end; i++) {
      h = (h << 8) | (FOLD[buf[i] as number] as number);
      const s = slot(h);
      if (
        ((bits[s >>> 3] as number) & (1 << (s & 7))) !== 0 &&
        this.wordAt((k) => buf[k] as number, start, i, end, h)
      )
        return true;
    }
    return false;
  }

  /** Lines passed over by the last `firstLine`, before the line it returned (or to its end). */
  linesPassed = 0;

  /**
   * The start of the first line in `buf[start, end)` that may hold a word, or -1; `end` is just
   * after a newline. One loop over the bytes finds the newlines too (a native search per line of
   * a hundred bytes costs more than the comparisons), and counts them in `linesPassed`.
   */
  firstLine(buf: Uint8Array, start: number, end: number): number {
    const shortAt = this.short.firstFrom(buf, start);
    let limit = end;
    let shortLine = -1;
    if (shortAt !== -1 && shortAt < end) {
      // (lastIndexOf with a negative offset would count from the end.)
      shortLine =
        shortAt <= start
          ? start
          : Math.max(
              start,
              Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength).lastIndexOf(10, shortAt - 1) + 1,
            );
      limit = shortLine;
    }
    const bits = this.bits;
    const at = (k: number) => buf[k] as number;
    let h = SPACES;
    let lineStart = start;
    let lines = 0;
    for (let i = start; i < limit; i++) {
      const b = buf[i] as number;
      if (b === 10) {
        h = SPACES;
        lines++;
        lineStart = i + 1;
        continue;
      }
      h = (h << 8) | (FOLD[b] as number);
      const s = slot(h);
      if (((bits[s >>> 3] as number) & (1 << (s & 7))) !== 0 && this.wordAt(at, lineStart, i, end, h)) {
        this.linesPassed = lines;
        return lineStart;
      }
    }
    this.linesPassed = lines;
    return shortLine;
  }

  /** Whether `line[start, end)` holds any of the words (maybe: a hit only means "look closer"). */
  test(line: string, start = 0, end = line.length): boolean {
    if (this.short.within(line, start, end)) return true;
    const bits = this.bits;
    let h = SPACES;
    for (let i = start; i < end; i++) {
      h = (h << 8) | (FOLD[line.charCodeAt(i) & 255] as number);
      const s = slot(h);
      if (
        ((bits[s >>> 3] as number) & (1 << (s & 7))) !== 0 &&
        this.wordAt((k) => line.charCodeAt(k), start, i, end, h)
      )
        return true;
    }
    return false;
  }
}
