/** --record: save this run's facts, redacted, for later replay with --facts on any machine. */
import type { Context } from '../core/context.js';
import type { Facts } from '../core/facts.js';
import { writeFileAtomic } from './output.js';

type Who = Pick<Context, 'homedir' | 'username' | 'hostname' | 'env'>;

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Profile folders that name no person. */
const NOT_A_PERSON = new Set(['shared', 'public', 'default', 'default user', 'all users', 'guest', '<user>']);

/**
 * The replacements, most specific first: this user's home (in every spelling Windows and POSIX
 * use), other people's home folders, Windows SIDs, host names, then the user name as a word.
 */
export function redactionRules(who: Who): [RegExp, string | ((...m: string[]) => string)][] {
  const rules: [RegExp, string | ((...m: string[]) => string)][] = [];
  const homes = new Set<string>();
  for (const h of [who.homedir, who.env.USERPROFILE, who.env.HOME]) {
    if (!h || h.length < 2) continue;
    const trimmed = h.replace(/[\\/]+$/, '');
    homes.add(trimmed);
    homes.add(trimmed.replace(/\\/g, '/'));
    homes.add(trimmed.replace(/\//g, '\\'));
  }
  // Longest first, so C:\Users\ann\x is not half-replaced by a shorter spelling.
  for (const h of [...homes].sort((a, b) => b.length - a.length))
    rules.push([new RegExp(esc(h), 'gi'), '<HOME>']);
  // Anyone else's home: /home/x, /Users/x, C:\Users\x, \\?\C:\Users\x (the name only).
  rules.push([
    /((?:^|[\s"'=:(])(?:[A-Za-z]:)?[\\/](?:home|Users)[\\/])([^\\/\s"'<>]+)/gi,
    (_m: string, pre: string, name: string) =>
      NOT_A_PERSON.has(name.toLowerCase()) ? `${pre}${name}` : `${pre}<USER>`,
  ]);
  rules.push([/\bS-1-5-21(?:-\d+){4}\b/g, '<SID>']);
  const hosts = new Set<string>();
  for (const h of [who.hostname, who.env.COMPUTERNAME, who.env.HOSTNAME]) {
    if (!h || h.length < 2 || h === 'localhost') continue;
    hosts.add(h);
    const short = h.split('.')[0]!;
    if (short.length >= 2 && short !== 'localhost') hosts.add(short);
  }
  for (const h of [...hosts].sort((a, b) => b.length - a.length))
    rules.push([new RegExp(`(?<![\\w-])${esc(h)}(?![\\w-])`, 'gi'), '<HOST>']);
  const users = new Set<string>();
  for (const u of [who.username, who.env.USER, who.env.USERNAME, who.env.LOGNAME])
    if (u && u.length >= 2) users.add(u);
  // As a whole word only: a short user name must not eat parts of ordinary words.
  for (const u of [...users].sort((a, b) => b.length - a.length))
    rules.push([new RegExp(`(?<![\\w.-])${esc(u)}(?![\\w-])`, 'gi'), '<USER>']);
  return rules;
}

/**
 * Replace user names, home folders, SIDs and host names wherever they appear in the facts' values,
 * so a recording can be shared. Keys are left alone: they are the facts' structure, and renaming
 * one would change what a replay sees. The full redactor (src/report/redact) covers secrets in
 * bundles.
 */
export function redactFacts(facts: Facts, who: Who): Facts {
  const rules = redactionRules(who);
  const str = (s: string) => rules.reduce((acc, [re, rep]) => acc.replace(re, rep as string), s);
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return str(v);
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object')
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  const out = walk(facts) as Facts;
  out.host = { ...out.host, hostname: '<HOST>' };
  return out;
}

export async function recordFacts(facts: Facts, file: string, ctx: Context): Promise<void> {
  await writeFileAtomic(file, `${JSON.stringify(redactFacts(facts, ctx), null, 2)}\n`);
  ctx.logger.info(`Facts recorded to ${file} (user names, home folders and host names redacted).`);
}
