/** Small formatting helpers shared by checks and renderers. */

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (Math.abs(v) >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${v} B` : `${v.toFixed(v >= 100 ? 0 : 1)} ${units[i]}`;
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 59.95) return `${s.toFixed(1)} s`;
  // Round to whole seconds first, so 899.6 s reads "15 min 0 s", never "14 min 60 s".
  const whole = Math.round(s);
  const m = Math.floor(whole / 60);
  if (m < 60) return `${m} min ${whole % 60} s`;
  const h = Math.floor(m / 60);
  return `${h} h ${m % 60} min`;
}

export const GiB = 1024 ** 3;
export const MiB = 1024 ** 2;

/** Text for an XML attribute or element (the JUnit renderers of checks and of network). */
export function xmlEscape(s: string): string {
  return (
    s
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;')
      .replace(/'/g, '&apos;')
      // XML 1.0 forbids most control characters, even escaped.
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '')
  );
}

/**
 * Characters that must not reach a terminal raw: C0 and C1 controls (NUL, ESC sequences that
 * recolour or move the cursor), DEL, and the bidirectional controls that make a name read
 * differently from what it is (U+202E "right-to-left override" turns `gpj.exe` into `exe.jpg`).
 */
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/g;

/** Text with every unsafe character written as an escape (`\n`, `\x00`, `\u202e`), for printing names. */
export function escapeControl(s: string): string {
  return s.replace(UNSAFE, (c) => {
    const named: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };
    const code = c.charCodeAt(0);
    return (
      named[c] ??
      (code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`)
    );
  });
}

/**
 * A name as it should be printed in a list: control characters escaped, and quoted when it could
 * be misread (empty, `.` or `..`, spaces at either end, or it needed escapes).
 */
export function printableName(name: string): string {
  const escaped = escapeControl(name);
  const ambiguous = escaped !== name || name === '' || name === '.' || name === '..' || name.trim() !== name;
  return ambiguous ? `"${escaped.replace(/"/g, '\\"')}"` : name;
}

/** "1 warning", "2 warnings": a count with its noun (regular plurals only). */
export function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/** Epoch milliseconds as ISO 8601, or null when they are not a time a Date can hold (a damaged value). */
export function isoTime(ms: number): string | null {
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

/**
 * Status marks: the Unicode one, and the ASCII one the README promises for terminals that cannot
 * show Unicode (TERM=dumb, a locale without UTF-8, the legacy Windows console).
 */
const MARKS = {
  pass: ['✓', '[ok]'],
  warn: ['!', '[warn]'],
  fail: ['✗', '[FAIL]'],
  skip: ['-', '[skip]'],
  error: ['✗', '[ERROR]'],
  timeout: ['⏱', '[TIMEOUT]'],
} as const;

export function statusMark(status: keyof typeof MARKS, unicode: boolean): string {
  return MARKS[status][unicode ? 0 : 1];
}

/** Typographic characters of our own words, and their ASCII stand-ins. */
const ASCII: Record<string, string> = {
  '✓': '[ok]',
  '✗': '[x]',
  '⚠': '[!]',
  '⏱': '[TIMEOUT]',
  '⧗': '[TIMEOUT]',
  '→': '->',
  '←': '<-',
  '⏎': ' | ',
  '…': '...',
  '·': '-',
  '•': '-',
  '“': '"',
  '”': '"',
  '‘': "'",
  '’': "'",
  '—': '-',
  '–': '-',
  '±': '+/-',
  '×': 'x',
  '›': '>',
  '≥': '>=',
  '≤': '<=',
  '\u00a0': ' ',
};

/**
 * Text for a terminal that cannot show Unicode: marks, arrows, ellipses, dots, curly quotes and
 * box-drawing lines become ASCII. Other characters (a contract's own name) are data and stay.
 */
export function asciiText(s: string): string {
  return s.replace(/[✓✗⚠⏱⧗→←⏎…·•“”‘’—–±×›≥≤\u00a0\u2500-\u257f]/gu, (c) => {
    if (ASCII[c] !== undefined) return ASCII[c]!;
    const code = c.charCodeAt(0);
    // Box drawing: vertical lines to "|", corners and crossings to "+", the rest to "-".
    if ([0x2502, 0x2503, 0x2551].includes(code)) return '|';
    if ((code >= 0x250c && code <= 0x254b) || (code >= 0x2552 && code <= 0x256c)) return '+';
    return '-';
  });
}
