/**
 * The cheap first look at a line: does it hold any word (case-insensitive) that some rule, a
 * learned value or the host name needs? Most log lines do not, and they then skip every rule and
 * the residual scan. One pass over the bytes with a 2 MiB bit table of the words' first three
 * bytes; only where a word's first three bytes are found is the whole word compared. A regex
 * alternation of the same words costs several times more per byte (V8 tries each alternative at
 * each position).
 */

const FOLD = new Uint8Array(256);
for (let i = 0; i < 256; i++) FOLD[i] = i >= 65 && i <= 90 ? i + 32 : i;

/** A word to compare once its trigram is seen: `back` bytes before the trigram's last byte. */
interface Candidate {
  word: string;
  back: number;
}

export class Trigrams {
  private readonly bits: Uint8Array;
  private readonly singles: Uint8Array;
  private readonly words: Map<number, Candidate[]>;

  constructor(from?: Trigrams) {
    this.bits = from ? new Uint8Array(from.bits) : new Uint8Array(1 << 21);
    this.singles = from ? new Uint8Array(from.singles) : new Uint8Array(256);
    this.words = new Map([...(from?.words ?? [])].map(([k, v]) => [k, [...v]]));
  }

  private candidate(h: number, word: string, back: number): void {
    this.set(h);
    const list = this.words.get(h) ?? [];
    if (!list.some((c) => c.word === word && c.back === back)) list.push({ word, back });
    this.words.set(h, list);
  }

  /** A word of one byte marks every line holding it; longer words by their first three bytes. */
  add(word: string): void {
    if (word.length === 0) return;
    const f = (i: number) => FOLD[word.charCodeAt(i) & 255] ?? 0;
    if (word.length === 1) {
      this.singles[f(0)] = 1;
      return;
    }
    const folded = String.fromCharCode(...Array.from({ length: word.length }, (_, i) => f(i)));
    if (word.length === 2) {
      // Any byte before a two-byte word: its trigram ends with the word.
      for (let c = 0; c < 256; c++) this.candidate((c << 16) | (f(0) << 8) | f(1), folded, 1);
      return;
    }
    this.candidate((f(0) << 16) | (f(1) << 8) | f(2), folded, 2);
  }

  /** Whether one of the words whose first bytes end at `i` is there whole. */
  private wordAt(at: (k: number) => number, i: number, end: number, h: number): boolean {
    for (const c of this.words.get(h) ?? []) {
      const start = i - c.back;
      if (start < 0 || start + c.word.length > end) continue;
      let j = 0;
      while (j < c.word.length && FOLD[at(start + j) & 255] === c.word.charCodeAt(j)) j++;
      if (j === c.word.length) return true;
    }
    return false;
  }

  /** `test` on bytes (a log's buffer), so a line that needs nothing is never made a string. */
  testBytes(buf: Uint8Array, start: number, end: number): boolean {
    const bits = this.bits;
    const singles = this.singles;
    let h = 0x2020;
    for (let i = start; i < end; i++) {
      const c = FOLD[buf[i] as number] as number;
      if (singles[c] === 1) return true;
      h = ((h << 8) | c) & 0xffffff;
      if (
        ((bits[h >>> 3] as number) & (1 << (h & 7))) !== 0 &&
        this.wordAt((k) => buf[k] as number, i, end, h)
      )
        return true;
    }
    return false;
  }

  private set(h: number): void {
    this.bits[h >>> 3] = (this.bits[h >>> 3] ?? 0) | (1 << (h & 7));
  }

  /** Whether `line[start, end)` holds any of the words (maybe: a hit only means "look closer"). */
  test(line: string, start = 0, end = line.length): boolean {
    const bits = this.bits;
    const singles = this.singles;
    // As if two spaces came before the line, so a two-byte word at its start is seen too.
    let h = 0x2020;
    for (let i = start; i < end; i++) {
      const c = FOLD[line.charCodeAt(i) & 255] as number;
      if (singles[c] === 1) return true;
      h = ((h << 8) | c) & 0xffffff;
      if (
        ((bits[h >>> 3] as number) & (1 << (h & 7))) !== 0 &&
        this.wordAt((k) => line.charCodeAt(k), i, end, h)
      )
        return true;
    }
    return false;
  }
}
