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

/** Where each short word occurs next in one source, as far as it has been searched. */
interface Searched {
  source: unknown;
  /** the `start` of the last call: a call that goes backwards searches again */
  from: number;
  /** per needle: its next position, -1 nowhere, -2 not searched yet */
  next: number[];
}

/** A short word found by its last byte (one spelling of it when that byte is a letter). */
interface Needle {
  /** the word, case-folded */
  word: string;
  /** the byte searched for natively: a single byte is found by memchr, many times faster than a word */
  last: number;
}

/**
 * Where each short word occurs next in the buffer (or string) being scanned. Each is found by a
 * native search for its last byte (rare ones: `@`, `~`), then its other bytes are compared.
 * Positions are remembered per source, so a pass over a buffer line by line costs one native
 * search per occurrence, not one per line. A log's buffer and the line strings cut from it are
 * remembered apart: testing one line must not make the buffer's next call search the rest of it
 * again for every needle (that, with two-byte needles, once cost a third of the redaction time).
 */
class ShortWords {
  readonly words: string[] = [];
  private needles: Needle[] = [];
  private readonly inBytes: Searched = { source: undefined, from: 0, next: [] };
  private readonly inText: Searched = { source: undefined, from: 0, next: [] };

  add(folded: string): void {
    if (this.words.includes(folded)) return;
    this.words.push(folded);
    const last = folded.charCodeAt(folded.length - 1);
    this.needles.push({ word: folded, last });
    if (last >= 97 && last <= 122) this.needles.push({ word: folded, last: last - 32 });
    this.inBytes.source = undefined;
    this.inText.source = undefined;
  }

  /** The search state of `src`, reset when it is a new source or the call goes backwards. */
  private searchedIn(src: Uint8Array | string, start: number): Searched {
    const st = typeof src === 'string' ? this.inText : this.inBytes;
    if (src !== st.source || start < st.from) {
      st.source = src;
      st.next = this.needles.map(() => -2);
    }
    st.from = start;
    return st;
  }

  /** Where needle `k`'s word starts next at or after `start` (-1: nowhere). */
  private search(src: Uint8Array | string, n: Needle, start: number): number {
    const len = n.word.length;
    const text = typeof src === 'string' ? src : undefined;
    const bytes =
      text === undefined
        ? Buffer.from((src as Uint8Array).buffer, (src as Uint8Array).byteOffset, src.length)
        : undefined;
    const ch = String.fromCharCode(n.last);
    for (let p = start + len - 1; ; p++) {
      p = text !== undefined ? text.indexOf(ch, p) : bytes!.indexOf(n.last, p);
      if (p === -1) return -1;
      const from = p - len + 1;
      let j = 0;
      while (
        j < len - 1 &&
        FOLD[(text !== undefined ? text.charCodeAt(from + j) : bytes![from + j]!) & 255] ===
          n.word.charCodeAt(j)
      )
        j++;
      if (j === len - 1) return from;
    }
  }

  /** Where needle `k` occurs next at or after `start` (-1: nowhere), searched only when not known. */
  private nextOf(st: Searched, src: Uint8Array | string, k: number, start: number): number {
    let at = st.next[k]!;
    if (at === -2 || (at !== -1 && at < start)) {
      at = this.search(src, this.needles[k]!, start);
      st.next[k] = at;
    }
    return at;
  }

  /** Whether one occurs whole in [start, end). */
  within(src: Uint8Array | string, start: number, end: number): boolean {
    if (this.needles.length === 0) return false;
    const st = this.searchedIn(src, start);
    for (let k = 0; k < this.needles.length; k++) {
      const at = this.nextOf(st, src, k, start);
      if (at !== -1 && at + this.needles[k]!.word.length <= end) return true;
    }
    return false;
  }

  /** The first position at or after `start` where one occurs, or -1. */
  firstFrom(src: Uint8Array, start: number): number {
    if (this.needles.length === 0) return -1;
    const st = this.searchedIn(src, start);
    let first = -1;
    for (let k = 0; k < this.needles.length; k++) {
      const at = this.nextOf(st, src, k, start);
      if (at !== -1 && (first === -1 || at < first)) first = at;
    }
    return first;
  }

  copy(): ShortWords {
    const c = new ShortWords();
    for (const w of this.words) c.add(w);
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
