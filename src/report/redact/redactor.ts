/**
 * The redactor: replaces secrets and personal data with placeholders that stay the same for the
 * whole bundle (the same email is `<email-1>` in every file), so a support agent can still follow
 * one user, token or proxy through the logs without ever seeing them.
 *
 * It learns as it goes: every value a rule replaces (a token, a password, a user name found in a
 * home path) becomes a literal that is also replaced wherever else it appears, even where no rule
 * would recognise it. A bundle runs the redactor over its inputs once to learn (`learnLine`), then
 * a second time to write, so a value learned late is still replaced in earlier files.
 *
 * All strings here are latin1 ("binary") strings: byte-exact for any input encoding.
 */
import crypto from 'node:crypto';
import type { PlaceholderKind, RuleHit } from './rules.js';
import { isPlaceholder } from './rules.js';
import {
  PEM_BEGIN_RE,
  PEM_END_RE,
  REDACTION_RULES_VERSION,
  RULES,
  SECRET_KEY_RE,
  ruleWordFilter,
} from './rules.js';
import { LiteralSet } from './literals.js';

export interface RedactorOptions {
  /** This machine's host name (replaced by `<host>` everywhere, case-insensitively). */
  hostname?: string;
  /** This machine's user name and any other names known to be personal. */
  usernames?: string[];
  /** Extra literal secrets to replace (e.g. values the user asked to hide). */
  secrets?: string[];
  /**
   * Another redactor's pseudonym map (see `seed()`): values it learned are replaced here with the
   * same placeholders. Given to the workers that redact logs in parallel.
   */
  seed?: RedactorSeed;
}

/**
 * What a redactor hands to the redactors of other threads so that they agree: the key of the
 * keyed-hash placeholders, and the values learned so far with their placeholders. It never leaves
 * the process (structured-cloned to worker threads only).
 */
export interface RedactorSeed {
  hashKey: Uint8Array;
  /** kind\0value → placeholder */
  map: [string, string][];
  literals: [string, string][];
  hostname?: string;
}

/** Per-rule replacement counts. */
export type RedactionCounts = Record<string, number>;

/** A secret that survived redaction: found by the residual scan. */
export interface ResidualHit {
  rule: string;
  /** Column of the hit in the line, never the value itself (it is a secret). */
  column: number;
}

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** A JS string as the latin1 string of its UTF-8 bytes, to match raw file bytes. */
export const toBinary = (s: string) => Buffer.from(s, 'utf8').toString('latin1');
export const fromBinary = (s: string) => Buffer.from(s, 'latin1').toString('utf8');

/**
 * Learned values replaced wherever they appear are capped (memory; the scan's cost does not grow
 * with them). Shapes that the rules find anywhere (tokens, JWTs, emails, keys) are not learned.
 */
export const MAX_LITERALS = 20_000;
/**
 * Numbered placeholders are remembered up to this many values; past it a placeholder is a keyed
 * hash of the value (still consistent within the bundle, the key never leaves the process), so
 * memory stays bounded whatever the logs hold.
 */
export const MAX_REMEMBERED = 50_000;

/** A copy that does not keep the (large) string it was sliced from alive. */
const detach = (s: string) => Buffer.from(s, 'latin1').toString('latin1');
const LITERAL_KINDS = new Set<PlaceholderKind>(['user', 'password', 'secret', 'credentials', 'cookie']);

/** Values too common or too short to be replaced wherever they appear. */
function literalWorthy(value: string, kind: PlaceholderKind): boolean {
  if (!LITERAL_KINDS.has(kind)) return false;
  if (kind === 'user') return value.length >= 3;
  if (value.length < 6) return false;
  if (/^\d{1,9}$/.test(value)) return false;
  return true;
}

export class Redactor {
  readonly version = REDACTION_RULES_VERSION;
  /** kind → (value → placeholder). Never leaves the process. */
  private readonly map = new Map<string, string>();
  private readonly next = new Map<PlaceholderKind, number>();
  private readonly hashKey: Buffer;
  /**
   * Seeded redactors (the log workers) name new values by keyed hash instead of by number, so
   * that workers redacting different logs at once give one value the same placeholder.
   */
  private readonly hashed: boolean;
  /** Learned values (binary strings) and their placeholders. */
  private readonly literals = new LiteralSet();
  /** The first look at a line: rule words, learned values, the host name. */
  private readonly words = ruleWordFilter();
  private hostRe: RegExp | undefined;
  private readonly hostname: string | undefined;
  counts: RedactionCounts = {};

  constructor(opts: RedactorOptions = {}) {
    this.hashed = Boolean(opts.seed);
    if (this.hashed) this.fresh = [];
    this.hashKey = opts.seed ? Buffer.from(opts.seed.hashKey) : crypto.randomBytes(32);
    for (const [k, v] of opts.seed?.map ?? []) this.map.set(k, v);
    for (const [k, v] of opts.seed?.literals ?? []) this.addLiteral(k, v);
    const host = (opts.hostname ?? opts.seed?.hostname)?.trim();
    this.hostname = host;
    if (host && host.length >= 2) {
      const names = new Set([host, host.split('.')[0] ?? host].filter((h) => h.length >= 2));
      for (const h of names) this.words.add(toBinary(h));
      this.hostRe = new RegExp(
        `(?<![A-Za-z0-9-])(?:${[...names].map((h) => esc(toBinary(h))).join('|')})(?![A-Za-z0-9-])`,
        'gi',
      );
    }
    for (const u of opts.usernames ?? []) {
      if (u && u.length >= 2) this.learn(toBinary(u), 'user', true);
    }
    for (const s of opts.secrets ?? []) if (s && s.length >= 4) this.learn(toBinary(s), 'secret', true);
  }

  /** The placeholder for a value: the same value always gets the same one. */
  placeholder(value: string, kind: PlaceholderKind): string {
    const key = `${kind}\u0000${value}`;
    let p = this.map.get(key);
    if (p) return p;
    if (this.hashed || this.map.size >= MAX_REMEMBERED) {
      const h = crypto.createHmac('sha256', this.hashKey).update(key, 'latin1').digest('hex');
      p = `<${kind}-h${h.slice(0, 10)}>`;
    } else {
      const n = (this.next.get(kind) ?? 0) + 1;
      this.next.set(kind, n);
      p = `<${kind}-${n}>`;
    }
    if (this.map.size < MAX_REMEMBERED) {
      this.map.set(detach(key), p);
      this.fresh?.push(detach(key));
    }
    return p;
  }

  /** Values first met by this redactor (seeded ones excepted): a worker reports them. */
  private fresh: string[] | undefined;

  /** Take the keys of the values learned since the last call (for counting distinct values). */
  takeFresh(): string[] {
    const f = this.fresh ?? [];
    this.fresh = [];
    return f;
  }

  private learn(value: string, kind: PlaceholderKind, force = false): string {
    const p = this.placeholder(value, kind);
    if (
      (force || (literalWorthy(value, kind) && this.literals.size < MAX_LITERALS)) &&
      !this.literals.has(value)
    )
      this.addLiteral(detach(value), p);
    return p;
  }

  private addLiteral(value: string, placeholder: string): void {
    this.literals.add(value, placeholder);
    this.words.add(value);
  }

  /**
   * Whether `line[start, end)` may need anything done (a rule, a learned value, the host name).
   * False means it passes through unchanged and the residual scan would find nothing in it.
   */
  needsWork(line: string, start = 0, end = line.length): boolean {
    return this.words.test(line, start, end);
  }

  /**
   * The start of the first line in `buf[start, end)` that may need work, or -1 (`end` is just after
   * a newline); `linesPassed()` says how many lines came before it.
   */
  firstLineNeedingWork(buf: Uint8Array, start: number, end: number): number {
    return this.words.firstLine(buf, start, end);
  }

  linesPassed(): number {
    return this.words.linesPassed;
  }

  /** `needsWork` on the bytes of a line. */
  needsWorkBytes(buf: Uint8Array, start: number, end: number): boolean {
    return this.words.testBytes(buf, start, end);
  }

  /** This redactor's pseudonym map, for the redactors of other threads. */
  seed(): RedactorSeed {
    return {
      hashKey: new Uint8Array(this.hashKey),
      map: [...this.map],
      literals: this.literals.entries(),
      ...(this.hostname ? { hostname: this.hostname } : {}),
    };
  }

  /** How many values are replaced wherever they appear (learned or taught). */
  get literalCount(): number {
    return this.literals.size;
  }

  /** The values learned or taught after the first `from`, in order. */
  literalsFrom(from: number): string[] {
    return this.literals.valuesFrom(from);
  }

  /** The values learned so far (for the residual scan of the finished archive). */
  learnedLiterals(): [string, string][] {
    return this.literals.entries();
  }

  /** Teach values another redactor learned (same placeholders). */
  addLiterals(values: readonly [string, string][]): void {
    for (const [v, p] of values) this.addLiteral(v, p);
  }

  /** How many distinct values have been learned (for the manifest; never the values). */
  get learnedCount(): number {
    return this.map.size;
  }

  private bump(rule: string, n = 1): void {
    this.counts[rule] = (this.counts[rule] ?? 0) + n;
  }

  private applyHits(line: string, hits: RuleHit[], rule: string): string {
    if (hits.length === 0) return line;
    hits.sort((a, b) => a.start - b.start);
    let out = '';
    let pos = 0;
    for (const h of hits) {
      if (h.start < pos) continue; // overlapping hit: the earlier one already covers it
      out += line.slice(pos, h.start) + this.learn(line.slice(h.start, h.end), h.kind);
      pos = h.end;
      this.bump(rule);
    }
    return out + line.slice(pos);
  }

  /** Redact one line (a binary string, without its line ending). */
  redactLine(line: string): string {
    let s = line;
    if (!this.words.test(line)) return s;
    const lower = line.toLowerCase();
    for (const rule of RULES) {
      if (rule.trigger && !rule.trigger(line, lower)) continue;
      s = this.applyHits(s, rule.find(s), rule.id);
    }
    s = this.replaceLiterals(s);
    return s;
  }

  private replaceLiterals(line: string): string {
    let s = this.literals.replace(line, () => this.bump('literal'));
    if (this.hostRe) {
      s = s.replace(this.hostRe, () => {
        this.bump('hostname');
        return '<host>';
      });
    }
    return s;
  }

  /** Run the rules over a line only to learn its secrets (first pass). */
  learnLine(line: string): void {
    const saved = this.counts;
    this.counts = {};
    this.redactLine(line);
    this.counts = saved;
  }

  /** Redact a whole text (several lines), e.g. a JSON document. Input and output are JS strings. */
  redactText(text: string): string {
    return fromBinary(this.redactBinaryText(toBinary(text)));
  }

  /** Redact a binary string with line structure, keeping every line ending. */
  redactBinaryText(text: string): string {
    const lines = text.split('\n');
    const out: string[] = [];
    let inKey = false;
    for (const line of lines) {
      if (inKey) {
        if (PEM_END_RE.test(line)) inKey = false;
        continue;
      }
      if (PEM_BEGIN_RE.test(line) && !PEM_END_RE.test(line)) {
        inKey = true;
        out.push(this.privateKeyLine());
        continue;
      }
      out.push(this.redactLine(line));
    }
    return out.join('\n');
  }

  /** The line that stands in for a multi-line private key. */
  privateKeyLine(): string {
    this.bump('private-key');
    const n = (this.next.get('private-key') ?? 0) + 1;
    this.next.set('private-key', n);
    return `<private-key-${n}> (multi-line private key removed)`;
  }

  /** A redacted JSON value: every string in it goes through the redactor. */
  redactJson(value: unknown, key?: string): unknown {
    if (typeof value === 'string') {
      if (key && SECRET_KEY_RE.test(key) && value.length > 0 && !isPlaceholder(value)) {
        this.bump('json-secret');
        return this.learn(toBinary(value), 'secret');
      }
      return fromBinary(this.redactBinaryText(toBinary(value)));
    }
    // A secret-named field holding a number (a PIN, a numeric token) is still a secret.
    if (typeof value === 'number' && key && SECRET_KEY_RE.test(key)) {
      this.bump('json-secret');
      return this.learn(String(value), 'secret');
    }
    if (Array.isArray(value)) return value.map((v) => this.redactJson(v));
    if (value && typeof value === 'object')
      return Object.fromEntries(
        Object.entries(value).map(([k, v]) => [
          fromBinary(this.redactLine(toBinary(k))),
          this.redactJson(v, k),
        ]),
      );
    return value;
  }

  /**
   * The residual scan: does anything in this already-redacted line still look like a secret?
   * Any rule that would still replace something, or any learned literal or the host name, is a hit.
   */
  residual(line: string): ResidualHit | undefined {
    if (!this.words.test(line)) return undefined;
    {
      const lower = line.toLowerCase();
      for (const rule of RULES) {
        if (rule.trigger && !rule.trigger(line, lower)) continue;
        const hit = rule.find(line)[0];
        if (hit) return { rule: rule.id, column: hit.start };
      }
    }
    const lit = this.literals.find(line, 1)[0];
    if (lit) return { rule: 'literal', column: lit.start };
    if (this.hostRe) {
      this.hostRe.lastIndex = 0;
      const m = this.hostRe.exec(line);
      if (m) return { rule: 'hostname', column: m.index };
    }
    if (PEM_BEGIN_RE.test(line)) return { rule: 'private-key', column: line.search(PEM_BEGIN_RE) };
    return undefined;
  }

  /**
   * Whether some rule finds the whole value on its own, without context (a token's or an email's
   * shape): such a value cannot survive anywhere, learned or not.
   */
  findsAnywhere(value: string): boolean {
    const lower = value.toLowerCase();
    return RULES.some(
      (rule) =>
        (!rule.trigger || rule.trigger(value, lower)) &&
        rule.find(value).some((h) => h.start === 0 && h.end === value.length),
    );
  }

  /** Take the counts gathered since the last call (per entry). */
  takeCounts(): RedactionCounts {
    const c = this.counts;
    this.counts = {};
    return c;
  }
}
