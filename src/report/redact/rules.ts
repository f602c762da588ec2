/**
 * The redaction rules: what a secret or a piece of personal data looks like in the tracker's logs,
 * its config, the doctor's facts and process command lines. Each rule finds values and says which
 * kind of placeholder replaces them; the Redactor keeps the replacements consistent.
 *
 * Text is handled as latin1 ("binary") strings so that every byte of a log survives a round trip
 * unchanged: only the matched values change, never the encoding of the rest.
 */

import { WordFilter } from './prefilter.js';

/** Bump when a rule changes what it finds; written into every bundle's manifest. */
export const REDACTION_RULES_VERSION = '2.0.0';

/** The kinds of placeholder: `<user-3>`, `<email-1>`, `<token-7>` … and `<host>`. */
export type PlaceholderKind =
  | 'user'
  | 'email'
  | 'host'
  | 'token'
  | 'jwt'
  | 'secret'
  | 'password'
  | 'cookie'
  | 'credentials'
  | 'private-key'
  | 'key-material'
  | 'memo';

/** A value found by a rule, with its position inside the match, so only the value is replaced. */
export interface RuleHit {
  /** Offset of the value inside the line. */
  start: number;
  end: number;
  kind: PlaceholderKind;
}

export interface RedactionRule {
  id: string;
  description: string;
  /**
   * A cheap pre-test on the line and its lower-case form: false means the rule cannot match, so
   * its regex is not run (most log lines hold no secret, and this keeps redaction fast).
   */
  trigger?(line: string, lower: string): boolean;
  /** Find the values to replace in one line. */
  find(line: string): RuleHit[];
}

/** Our own placeholders, which no rule may redact again. */
export const PLACEHOLDER_RE = /<(?:[a-z]+(?:-[a-z]+)*-(?:\d+|h[0-9a-f]{10})|host|redacted)>/;
/** A placeholder, maybe followed by the backslash of an escaped quote (JSON inside JSON). */
const WHOLE_PLACEHOLDER_RE = new RegExp(`^${PLACEHOLDER_RE.source}\\\\*$`);
export function isPlaceholder(v: string): boolean {
  return WHOLE_PLACEHOLDER_RE.test(v);
}

/** Words that every secret-named key contains (see SECRET_KEY). */
const SECRET_WORD_RE = /pass|pwd|secret|token|key|credential|sess|cookie|signature/;
const hasSecretWord = (lower: string) => SECRET_WORD_RE.test(lower);
const KNOWN_TOKEN_HINT_RE =
  /oauth2v2_|ya29\.|1\/\/0|_live_|_test_|gh[pousr]_|github_pat_|gl(?:pat|ptt|dt|rt|soat|cbt)-|xox[abeprs]-|xapp-|A(?:KIA|SIA|BIA|CCA)|AIza|GOCSPX-|npm_|sk-|Q~/;

/**
 * Every match of `re` (global), with the value taken from capture group `group`. Group offsets
 * come from the `d` flag (hasIndices).
 */
function groupHits(line: string, re: RegExp, group: number, kind: PlaceholderKind, minLen = 1): RuleHit[] {
  const hits: RuleHit[] = [];
  re.lastIndex = 0;
  for (let m = re.exec(line); m; m = re.exec(line)) {
    if (m[0].length === 0) {
      re.lastIndex++;
      continue;
    }
    const idx = m.indices?.[group];
    const v = m[group];
    if (!idx || v === undefined || v.length < minLen || isPlaceholder(v)) continue;
    hits.push({ start: idx[0], end: idx[1], kind });
  }
  return hits;
}

function simple(
  id: string,
  description: string,
  re: RegExp,
  group: number,
  kind: PlaceholderKind,
  minLen = 1,
): RedactionRule {
  return { id, description, find: (line) => groupHits(line, re, group, kind, minLen) };
}

/** Key names that hold secrets, in config, JSON, query strings and command lines. */
const SECRET_KEY = String.raw`[A-Za-z0-9_.-]*?(?:passw(?:or)?d|passphrase|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|account[_-]?key|private[_-]?key|credential|auth[_-]?key|session[_-]?(?:id|key)|sessid|cookie|signature)[A-Za-z0-9_-]*`;

/** Whether a field name says its value is a secret. */
export const SECRET_KEY_RE = new RegExp(`^(?:${SECRET_KEY})$`, 'i');

/** Cookie attributes whose values are not secrets. */
const COOKIE_ATTRIBUTES = new Set([
  'path',
  'domain',
  'expires',
  'max-age',
  'samesite',
  'secure',
  'httponly',
  'priority',
  'partitioned',
]);

/** Home folders that are not a person's. */
const NOT_A_USER = new Set([
  'shared',
  'public',
  'default',
  'default user',
  'all users',
  'guest',
  'runner',
  '<user',
]);

function cookieHits(line: string): RuleHit[] {
  const hits: RuleHit[] = [];
  const header = /(?:^|[\s"'{,])(?:set-cookie|cookie)"?\s*[:=]\s*"?/gi;
  for (let m = header.exec(line); m; m = header.exec(line)) {
    // The header's value runs to the end of the line or a closing quote.
    const rest = line.slice(header.lastIndex).search(/["\r\n]/);
    const end = rest === -1 ? line.length : header.lastIndex + rest;
    const pair = /\s*([^=;,\s"]+)=([^;,\s"]*)\s*[;,]?/dy;
    pair.lastIndex = header.lastIndex;
    while (pair.lastIndex < end) {
      const p = pair.exec(line);
      const idx = p?.indices?.[2];
      if (!p || !idx) break;
      const value = p[2] ?? '';
      if (!COOKIE_ATTRIBUTES.has((p[1] ?? '').toLowerCase()) && value.length > 0 && !isPlaceholder(value))
        hits.push({ start: idx[0], end: idx[1], kind: 'cookie' });
    }
  }
  return hits;
}

/** `Basic <base64>` outside an Authorization header: only when it decodes to `user:password`. */
function basicHits(line: string): RuleHit[] {
  const hits: RuleHit[] = [];
  const re = /\bBasic\s+([A-Za-z0-9+/]{6,}={0,2})(?![A-Za-z0-9+/=])/dg;
  for (let m = re.exec(line); m; m = re.exec(line)) {
    const v = m[1] ?? '';
    const idx = m.indices?.[1];
    if (!idx) continue;
    const decoded = Buffer.from(v, 'base64').toString('latin1');
    // eslint-disable-next-line no-control-regex
    if (decoded.includes(':') && !/[\x00-\x08\x0e-\x1f]/.test(decoded))
      hits.push({ start: idx[0], end: idx[1], kind: 'credentials' });
  }
  return hits;
}

function homeHits(line: string): RuleHit[] {
  const hits: RuleHit[] = [];
  const name1 = String.raw`[^/\\\s"'<>|:*?]+(?: [^/\\\s"'<>|:*?]+){0,2}(?=[/\\])|[^/\\\s"'<>|:*?]+`;
  const patterns = [
    // /home/dana, /Users/Dana Whitfield/, /var/home/dana, /export/home/dana
    new RegExp(String.raw`(?:^|[^A-Za-z0-9_.-])/(?:home|Users|var/home|export/home)/(${name1})`, 'dg'),
    // C:\Users\dana, C:\\Users\\dana (JSON), C:/Users/dana, C:\Documents and Settings\dana
    new RegExp(
      String.raw`\b[A-Za-z]:(?:\\\\|\\|/)(?:Users|Documents and Settings)(?:\\\\|\\|/)(${name1})`,
      'dgi',
    ),
    // URL-encoded Windows paths: C%3A%5CUsers%5Cdana
    /\b[A-Za-z]%3A(?:%5C|%2F)+Users(?:%5C|%2F)+([A-Za-z0-9._-]+)/dgi,
  ];
  for (const re of patterns) {
    for (const h of groupHits(line, re, 1, 'user')) {
      const v = line.slice(h.start, h.end);
      if (!NOT_A_USER.has(v.toLowerCase())) hits.push(h);
    }
  }
  return hits;
}

/** ADO.NET / ODBC style: only in a string that names a server, so `user=` in prose is left alone. */
function connStringHits(line: string): RuleHit[] {
  if (!/(?:server|data source|host|address|dsn)\s*=[^;]*;/i.test(line)) return [];
  const hits: RuleHit[] = [];
  const re = /(?<![A-Za-z0-9_])(user id|uid|user|username|pwd|password)\s*=\s*([^;"'\r\n]+)/dgi;
  for (let m = re.exec(line); m; m = re.exec(line)) {
    const idx = m.indices?.[2];
    const v = (m[2] ?? '').trim();
    if (!idx || v.length === 0 || isPlaceholder(v)) continue;
    const kind = /^(?:pwd|password)$/i.test(m[1] ?? '') ? 'password' : 'user';
    hits.push({ start: idx[0], end: idx[0] + (m[2] ?? '').trimEnd().length, kind });
  }
  return hits;
}

export const RULES: readonly RedactionRule[] = [
  simple(
    'private-key',
    'PEM private keys on one line (or with escaped newlines)',
    /(-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----[\s\S]*?-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----)/dg,
    1,
    'private-key',
  ),
  simple(
    'key-material',
    'base64 DER (keys, certificates) outside PEM headers',
    /(?<![A-Za-z0-9+/])(MI[IJ][A-Za-z0-9+/]{40,}={0,2})/dg,
    1,
    'key-material',
  ),
  simple(
    'jwt',
    'JSON Web Tokens (header.payload.signature)',
    /(?<![A-Za-z0-9_-])(eyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]+){0,2})/dg,
    1,
    'jwt',
  ),
  simple(
    'digest',
    'Digest credentials (username, nonce, response …)',
    /\bDigest\s+((?:[A-Za-z-]+=(?:"[^"]*"|[^\s,"]+)\s*,?\s*)+)/dgi,
    1,
    'credentials',
  ),
  simple(
    'auth-header',
    'Authorization, Proxy-Authorization and API-key headers',
    /\b(?:proxy-)?(?:authorization|x-api-key|api-key|x-auth-token|x-access-token|x-upwork-[a-z-]*token)"?\s*[:=]\s*"?(?:(?:bearer|basic|digest|token|negotiate|ntlm|oauth)\s+)?([^\s",;}]+(?:[^",}\r\n]*[^\s",}])?)/dgi,
    1,
    'credentials',
  ),
  simple('bearer', 'Bearer tokens anywhere', /\bbearer\s+([A-Za-z0-9._~+/-]{8,}=*)/dgi, 1, 'token'),
  { id: 'basic', description: 'Basic credentials (base64 of user:password)', find: basicHits },
  { id: 'cookie', description: 'Cookie and Set-Cookie values', find: cookieHits },
  simple(
    'url-password',
    'passwords in URLs (scheme://user:password@host)',
    /\b[a-z][a-z0-9+.-]*:\/\/[^\s:/?#@"'<>]+:([^\s/?#@"'<>]+)@/dgi,
    1,
    'password',
  ),
  simple(
    'url-user',
    'user names in URLs (scheme://user@host)',
    /\b[a-z][a-z0-9+.-]*:\/\/([^\s:/?#@"'<>]+)(?::[^\s/?#@"']*)?@/dgi,
    1,
    'user',
  ),
  simple(
    'url-query',
    'secrets in query strings (?token=, &access_token=, &sig= …)',
    /[?&;](?:(?:access_|refresh_|id_|auth_)?token|code|key|api_?key|apikey|sig|signature|password|passwd|pwd|secret|client_secret|auth|session|session_?id|sid|jwt|ticket|user|username|login)=([^&\s"'#<>]+)/dgi,
    1,
    'secret',
  ),
  simple(
    'json-secret',
    'secret-named fields in JSON ("password": "…", "refresh_token": "…")',
    new RegExp(String.raw`"(?:${SECRET_KEY})"\s*:\s*"((?:[^"\\]|\\.)+)"`, 'dgi'),
    1,
    'secret',
  ),
  simple(
    'json-escaped-secret',
    'secret-named fields in JSON embedded in a string (\\"password\\":\\"…\\")',
    new RegExp(String.raw`\\"(?:${SECRET_KEY})\\"\s*:\s*\\"(.+?)\\"`, 'dgi'),
    1,
    'secret',
  ),
  simple(
    'kv-secret',
    'secret-named settings (password=…, --token=…, API_KEY=…)',
    new RegExp(String.raw`(?<![A-Za-z0-9_])(?:${SECRET_KEY})\s*=\s*"?([^\s"&;,\\]+)`, 'dgi'),
    1,
    'secret',
  ),
  simple(
    'colon-secret',
    'secret settings written key: value (YAML, INI, CLI)',
    /(?<![A-Za-z0-9_-])(?:--|-)?(?:password|passwd|pwd|passphrase|secret|client_secret|api_key|apikey|access_token|refresh_token|auth_token|aws_secret_access_key|aws_session_token|secret_access_key|account_key|private_key)"?\s*:\s*"?(?!(?:null|true|false)\b)([^\s",}]+)/dgi,
    1,
    'secret',
  ),
  simple(
    'cli-secret',
    'secret flags with a separate value (--password VALUE, --token VALUE)',
    /(?<![A-Za-z0-9_-])--?(?:password|passwd|pass|pwd|passphrase|secret|client-secret|api-key|apikey|token|access-token|refresh-token|auth-token)\s+([^\s"'\\-][^\s"'\\]*)/dgi,
    1,
    'secret',
  ),
  simple(
    'user-field',
    'user-name fields in JSON, escaped JSON and settings ("proxyUser": "…", username=…)',
    /(?<![A-Za-z0-9_])\\?"?(?:[a-z]*[_-]?)?(?:user(?:[_-]?name)?|login|account[_-]?name)\\?"?\s*[:=]\s*(?:\\?")((?:[^"\\]|\\(?!"))+)\\?"/dgi,
    1,
    'user',
  ),
  simple(
    'known-token',
    'well-known token shapes (Google, GCP, Stripe, GitHub, GitLab, Slack, npm, AWS, Azure, OpenAI, Anthropic, OAuth)',
    new RegExp(
      String.raw`(?<![A-Za-z0-9])(` +
        [
          String.raw`(?:[0-9a-f]{8}\.)?oauth2v2_[0-9a-f]{16,}`,
          String.raw`ya29\.[A-Za-z0-9_-]{10,}`,
          String.raw`1\/\/0[A-Za-z0-9_-]{20,}`,
          String.raw`(?:sk|pk|rk)_(?:live|test)_[A-Za-z0-9]{10,}`,
          String.raw`gh[pousr]_[A-Za-z0-9]{30,}`,
          String.raw`github_pat_[A-Za-z0-9_]{30,}`,
          String.raw`gl(?:pat|ptt|dt|rt|soat|cbt)-[A-Za-z0-9_-]{20,}`,
          String.raw`xox[abeprs]-[A-Za-z0-9-]{10,}`,
          String.raw`xapp-\d-[A-Za-z0-9-]{10,}`,
          String.raw`A(?:KIA|SIA|BIA|CCA)[0-9A-Z]{16}`,
          String.raw`AIza[0-9A-Za-z_-]{35}`,
          String.raw`GOCSPX-[A-Za-z0-9_-]{20,}`,
          String.raw`npm_[A-Za-z0-9]{36}`,
          // OpenAI (sk-…, sk-proj-…) and Anthropic (sk-ant-api03-…) API keys
          String.raw`sk-(?:[a-z]+-)*[A-Za-z0-9_-]{20,}`,
          // Azure AD client secrets
          String.raw`[A-Za-z0-9_~.-]{3}\dQ~[A-Za-z0-9_~.-]{31,34}`,
        ].join('|') +
        ')',
      'dg',
    ),
    1,
    'token',
  ),
  simple(
    'webhook',
    'webhook URLs that carry their secret in the path (Slack, Discord, Teams, others)',
    /\bhttps?:\/\/(?:hooks\.slack(?:-gov)?\.com\/(?:services|workflows|triggers)\/|(?:ptb\.|canary\.)?discord(?:app)?\.com\/api\/(?:v\d+\/)?webhooks\/|[A-Za-z0-9-]+\.webhook\.office\.com\/webhookb2\/|outlook\.office(?:365)?\.com\/webhook\/|[^\s/"'<>]+\/(?:[^\s"'<>?#]*\/)?(?:web)?hooks?\/)([^\s"'<>?#]{12,})/dgi,
    1,
    'secret',
  ),
  {
    id: 'conn-string',
    description: 'user names and passwords in database connection strings (Server=…;User Id=…;Password=…)',
    find: connStringHits,
  },
  simple(
    'memo',
    "the tracker's work memos (free text a freelancer types for a client)",
    /\\?"?\bmemo\\?"?\s*[:=]?\s*\\?"((?:[^"\\]|\\(?!"))+)\\?"/dgi,
    1,
    'memo',
  ),
  simple(
    'email',
    'email addresses',
    /(?<![A-Za-z0-9._%+-])([A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,})(?![A-Za-z0-9-])/dg,
    1,
    'email',
  ),
  { id: 'home-path', description: 'user names in Windows, macOS and Linux home folders', find: homeHits },
];

const TRIGGERS: Record<string, (line: string, lower: string) => boolean> = {
  'private-key': (l) => l.includes('PRIVATE KEY'),
  'key-material': (l) => l.includes('MII') || l.includes('MIJ'),
  jwt: (l) => l.includes('eyJ'),
  digest: (_l, lo) => lo.includes('digest'),
  'auth-header': (_l, lo) => lo.includes('authorization') || lo.includes('api-key') || lo.includes('token'),
  bearer: (_l, lo) => lo.includes('bearer'),
  basic: (l) => l.includes('Basic'),
  cookie: (_l, lo) => lo.includes('cookie'),
  'url-password': (l) => l.includes('://') && l.includes('@'),
  'url-user': (l) => l.includes('://') && l.includes('@'),
  'url-query': (l, lo) =>
    l.includes('=') &&
    (lo.includes('token') ||
      lo.includes('code') ||
      lo.includes('key') ||
      lo.includes('sig') ||
      lo.includes('pass') ||
      lo.includes('pwd') ||
      lo.includes('secret') ||
      lo.includes('auth') ||
      lo.includes('sess') ||
      lo.includes('sid') ||
      lo.includes('jwt') ||
      lo.includes('ticket') ||
      lo.includes('user') ||
      lo.includes('login')),
  'json-secret': (l, lo) => l.includes('"') && hasSecretWord(lo),
  'json-escaped-secret': (l, lo) => l.includes('\\"') && hasSecretWord(lo),
  'kv-secret': (l, lo) => l.includes('=') && hasSecretWord(lo),
  'colon-secret': (l, lo) => l.includes(':') && hasSecretWord(lo),
  'cli-secret': (l, lo) => l.includes('-') && (hasSecretWord(lo) || lo.includes('pass')),
  'user-field': (_l, lo) => lo.includes('user') || lo.includes('login') || lo.includes('account'),
  'known-token': (l) => KNOWN_TOKEN_HINT_RE.test(l),
  webhook: (l, lo) => l.includes('://') && lo.includes('hook'),
  'conn-string': (l) => l.includes(';') && l.includes('='),
  memo: (_l, lo) => lo.includes('memo'),
  email: (l) => l.includes('@'),
  'home-path': (l, lo) =>
    lo.includes('users') || l.includes('/home/') || lo.includes('documents and settings'),
};
for (const r of RULES as RedactionRule[]) {
  const t = TRIGGERS[r.id];
  if (t) r.trigger = t;
}

/** A multi-line PEM private key starts here (its END comes on a later line). */
export const PEM_BEGIN_RE = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----/;
export const PEM_END_RE = /-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----/;

/**
 * Words that every rule's trigger needs (case-insensitive): a line holding none of them holds
 * nothing a rule would replace, so it skips the rules (most log lines). A test in test/report/redact
 * checks this for every rule.
 */
export const PREFILTER_WORDS: readonly string[] = [
  ...'pass pwd secret token credential sess cookie signature auth user login account access'.split(' '),
  ...'apik api_k api-k privatek key= code= sig= sid= jwt= ticket= uid='.split(' '),
  ...'digest bearer basic private mii mij eyj @ /home/ documents oauth2v2_ ya29. 1//0 _live_ _test_'.split(
    ' ',
  ),
  ...'ghp_ gho_ ghu_ ghs_ ghr_ github_pat_ glpat- glptt- gldt- glrt- glsoat- glcbt- xoxa- xoxb- xoxe-'.split(
    ' ',
  ),
  ...'xoxp- xoxr- xoxs- xapp- akia asia abia acca aiza gocspx- npm_ sk- q~ hook memo'.split(' '),
];

const BASE = new WordFilter();
for (const w of PREFILTER_WORDS) BASE.add(w);

/** A fresh copy of the rules' table, to which a redactor adds its learned values and host name. */
export function ruleWordFilter(): WordFilter {
  return new WordFilter(BASE);
}

/** False only when no rule can find anything in the line. */
export function mayHoldSecret(line: string): boolean {
  return BASE.test(line);
}
