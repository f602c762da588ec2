/**
 * The cheap first look at a line: does it hold any three-byte sequence (case-insensitive) that
 * starts a word some rule, a learned value or the host name needs? Most log lines do not, and
 * they then skip every rule and the residual scan. One pass over the bytes with a 2 MiB bit table:
 * a regex alternation of the same words costs several times more per byte (V8 tries each
 * alternative at each position).
 */

const FOLD = new Uint8Array(256);
for (let i = 0; i < 256; i++) FOLD[i] = i >= 65 && i <= 90 ? i + 32 : i;

export class Trigrams {
  private readonly bits: Uint8Array;
  private readonly singles: Uint8Array;

  constructor(from?: Trigrams) {
    this.bits = from ? new Uint8Array(from.bits) : new Uint8Array(1 << 21);
    this.singles = from ? new Uint8Array(from.singles) : new Uint8Array(256);
  }

  /** A word of one byte marks every line holding it; longer words by their first three bytes. */
  add(word: string): void {
    if (word.length === 0) return;
    const f = (i: number) => FOLD[word.charCodeAt(i) & 255] ?? 0;
    if (word.length === 1) {
      this.singles[f(0)] = 1;
      return;
    }
    if (word.length === 2) {
      // Any byte before a two-byte word: its trigram ends with the word.
      for (let c = 0; c < 256; c++) this.set((c << 16) | (f(0) << 8) | f(1));
      return;
    }
    this.set((f(0) << 16) | (f(1) << 8) | f(2));
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
      if (((bits[h >>> 3] as number) & (1 << (h & 7))) !== 0) return true;
    }
    return false;
  }
}
