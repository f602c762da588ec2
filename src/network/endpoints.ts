/**
 * Which endpoints to probe: the hosts the installed desktop app talks to, the reference server of
 * the embedded engine, or the admin's own list (--endpoint, --endpoints FILE).
 */
import type { Endpoint } from './types.js';

/**
 * The Upwork hosts the desktop app is known to need, each with its evidence
 * (research/real-app-facts.md; docs/network.md lists them for IT admins):
 * - www.upwork.com: the service itself (help-center troubleshooting pages; the app's sign-in and
 *   Work Diary).
 * - upwork-usw2-desktopapp.upwork.com: updates and downloads (`/binaries/versions-*.json`, used by
 *   the Homebrew cask and the AUR package); updates are forced, so a blocked host stops the app.
 * api.upwork.com is Upwork's public API: nothing shows the tracker uses it, so it is not probed.
 */
export const DEFAULT_SERVICE_ENDPOINTS: readonly Endpoint[] = [
  { name: 'upwork web', url: 'https://www.upwork.com/' },
  { name: 'upwork desktop app updates', url: 'https://upwork-usw2-desktopapp.upwork.com/' },
];

/** The label of the engine's loopback server wherever it is probed: it simulates, never stands in. */
export const REFERENCE_SERVER_NAME = 'reference server (simulated)';

/** The URL the clock and TLS probes measure against: Upwork's service. */
export const DEFAULT_SERVICE_URL = 'https://www.upwork.com/';

/**
 * TEST SEAM, not a user option: `UPWORK_DOCTOR_UPWORK_URLS` (comma-separated URLs) stands in for
 * Upwork's hosts, so tests can make "Upwork cannot be reached" deterministic (a closed loopback
 * port, a `.invalid` name) whether or not the test machine has a network. Without it, the real
 * hosts above are used, on every target.
 */
export const UPWORK_URLS_ENV = 'UPWORK_DOCTOR_UPWORK_URLS';

/** Upwork's hosts as this run probes them (the real ones unless the test seam is set). */
export function upworkEndpoints(env: Record<string, string | undefined>): Endpoint[] {
  const seam = env[UPWORK_URLS_ENV]?.trim();
  const list = (seam ?? '')
    .split(',')
    .map((u) => u.trim())
    .filter(Boolean)
    .map((u) => endpointFromUrl(u));
  return list.length > 0 ? list : DEFAULT_SERVICE_ENDPOINTS.map((e) => ({ ...e }));
}

export function endpointFromUrl(url: string, name?: string): Endpoint {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error(`"${url}" is not a URL (expected e.g. https://host:443/path)`);
  }
  if (!['https:', 'http:', 'wss:', 'ws:'].includes(u.protocol)) {
    throw new Error(`"${url}": only https, http, wss and ws endpoints can be probed`);
  }
  return { name: name ?? u.host, url: u.toString() };
}

/**
 * An endpoints file: JSON (an array of URLs or of {name, url, websocketPath}), or text with one
 * URL per line (optionally "name url"), # for comments.
 */
export function parseEndpointsFile(text: string): Endpoint[] {
  const trimmed = text.trim();
  if (trimmed.startsWith('[') || trimmed.startsWith('{')) {
    let data: unknown;
    try {
      data = JSON.parse(trimmed);
    } catch {
      throw new Error('looks like JSON but does not parse');
    }
    const list = Array.isArray(data) ? data : (data as { endpoints?: unknown }).endpoints;
    if (!Array.isArray(list)) throw new Error('expected a JSON array of endpoints (or {"endpoints": [...]})');
    return list.map((item, i) => {
      if (typeof item === 'string') return endpointFromUrl(item);
      const o = item as { name?: unknown; url?: unknown; websocketPath?: unknown } | null;
      if (!o || typeof o.url !== 'string') throw new Error(`entry ${i + 1} has no "url"`);
      const ep = endpointFromUrl(o.url, typeof o.name === 'string' ? o.name : undefined);
      if (typeof o.websocketPath === 'string') ep.websocketPath = o.websocketPath;
      return ep;
    });
  }
  const out: Endpoint[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/#.*$/, '').trim();
    if (!line) continue;
    const parts = line.split(/\s+/);
    out.push(parts.length >= 2 ? endpointFromUrl(parts[1]!, parts[0]) : endpointFromUrl(parts[0]!));
  }
  if (out.length === 0) throw new Error('no endpoints in the file');
  return out;
}
