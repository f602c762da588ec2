/**
 * Which endpoints to probe: the hosts the installed desktop app talks to, the reference server of
 * the embedded engine, or the admin's own list (--endpoint, --endpoints FILE).
 */
import type { Endpoint } from './types.js';

/**
 * The service hosts the desktop app uses. Only www.upwork.com is documented; api.upwork.com is the
 * public API host. Extend from real traffic captures (docs/network.md says how).
 */
export const DEFAULT_SERVICE_ENDPOINTS: readonly Endpoint[] = [
  { name: 'upwork web', url: 'https://www.upwork.com/' },
  { name: 'upwork api', url: 'https://api.upwork.com/' },
];

/** The URL the clock and TLS probes use when no service URL is known. */
export const DEFAULT_SERVICE_URL = 'https://www.upwork.com/';

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
