/** --record: save this run's facts for later replay with --facts. */
import type { Context } from '../core/context.js';
import type { Facts } from '../core/facts.js';
import { writeFileAtomic } from './output.js';

/**
 * Replace the user name, home folder and host name wherever they appear in the facts, so a
 * recording can be shared. The full redactor (src/report/redact) covers secrets in bundles.
 */
export function redactFacts(facts: Facts, ctx: Pick<Context, 'homedir' | 'username' | 'hostname'>): Facts {
  const pairs: [string, string][] = [
    [ctx.homedir, '<HOME>'],
    [ctx.hostname, '<HOST>'],
    [ctx.username, '<USER>'],
  ].filter(([v]) => v && v.length >= 2) as [string, string][];
  const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const re = pairs.map(([v, r]) => [new RegExp(esc(v), 'g'), r] as const);
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return re.reduce((s, [r, rep]) => s.replace(r, rep), v);
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object')
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return walk(facts) as Facts;
}

export async function recordFacts(facts: Facts, file: string, ctx: Context): Promise<void> {
  await writeFileAtomic(file, `${JSON.stringify(redactFacts(facts, ctx), null, 2)}\n`);
  ctx.logger.info(`Facts recorded to ${file} (user name, home folder and host name redacted).`);
}
