/** Bundle naming and option parsing: pure helpers. */
import crypto from 'node:crypto';
import { UserError } from '../../core/errors.js';

/** "90m", "2h", "3d", "1w", "45s" → milliseconds. */
export function parseDuration(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(s|sec|m|min|h|d|w)\s*$/i.exec(text);
  if (!m) throw new UserError(`--since must be a duration like 30m, 6h, 2d or 1w (got "${text}").`);
  const n = Number(m[1]);
  const unit = (m[2] ?? 'h').toLowerCase();
  const ms = { s: 1e3, sec: 1e3, m: 6e4, min: 6e4, h: 36e5, d: 864e5, w: 6048e5 }[unit] ?? 36e5;
  if (!(n > 0)) throw new UserError('--since must be longer than zero.');
  // Logs are kept for weeks, not years; a bound keeps the cut-off a real date.
  if (n * ms > 366 * 864e5) throw new UserError(`--since must be at most a year, like 52w (got "${text}").`);
  return n * ms;
}

/** A ticket id as it may appear in a file name: letters, digits, dot, dash, underscore. */
export function sanitizeTicket(ticket: string): string {
  const t = ticket.trim();
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(t))
    throw new UserError(
      `--ticket must be 1-64 letters, digits, dots, dashes or underscores (got "${ticket}").`,
    );
  return t;
}

/** A short, stable, non-reversible name for the host (the real name never leaves the machine). */
export function hostHash(hostname: string): string {
  return crypto
    .createHash('sha256')
    .update(`upwork-doctor:${hostname.toLowerCase()}`)
    .digest('hex')
    .slice(0, 8);
}

/** upwork-doctor-<ticket|date>-<short host hash>.zip */
export function bundleBaseName(opts: { ticket?: string; now: number; hostname: string }): string {
  const stamp = new Date(opts.now).toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');
  return `upwork-doctor-${opts.ticket ?? stamp}-${hostHash(opts.hostname)}.zip`;
}

/**
 * Partial files this tool writes: `<final name>.<pid>.partial` (older runs: `<final name>.partial`).
 * The pid lets a run tell a partial left by a killed run from one another run is writing now.
 */
export const PARTIAL_RE = /^upwork-doctor-[A-Za-z0-9._-]+?\.zip(?:\.p7m)?(?:\.(\d+)(?:-\d+)?)?\.partial$/;

/** Bundles this process has started: two at once (a library caller) never share a partial file. */
let started = 0;

export function partialName(finalPath: string, pid: number): string {
  started++;
  return `${finalPath}.${pid}${started > 1 ? `-${started}` : ''}.partial`;
}
