/**
 * The proxy decision, per endpoint, as the tracker would make it: the system settings (WinINET on
 * Windows, scutil on macOS, GNOME on Linux, each possibly a PAC file), the environment variables
 * (what Node and shells use, and what Chromium uses on Linux without desktop settings), or
 * `--proxy`. When the shell's environment and the system disagree, that difference is reported:
 * "works in my terminal" and "fails in the app" is a classic ticket.
 */
import type { ProxyDecision, ProxyServer } from './types.js';

/** The system's proxy configuration, as read by the proxy collector (src/facts/proxy.ts). */
export interface SystemProxy {
  /** Which settings store: WinINET, WinHTTP, scutil, gsettings. */
  source: string;
  mode: 'direct' | 'manual' | 'pac' | 'auto-detect';
  /** host:port per scheme; `all` when one proxy serves every scheme. */
  servers: { http?: string; https?: string; all?: string };
  /** Bypass entries ("<local>", "*.corp", "10.0.0.0/8", "localhost"). */
  bypass: string[];
  pacUrl?: string;
}

export interface EnvProxy {
  https?: { name: string; value: string };
  http?: { name: string; value: string };
  noProxy?: { name: string; value: string };
}

/** The environment's proxy variables; lower-case wins when both are set (as Node, curl). */
export function envProxy(env: Record<string, string | undefined>): EnvProxy {
  const pick = (lower: string) => {
    const upper = lower.toUpperCase();
    if (env[lower]) return { name: lower, value: env[lower]! };
    if (env[upper]) return { name: upper, value: env[upper]! };
    return undefined;
  };
  const out: EnvProxy = {};
  const https = pick('https_proxy') ?? pick('all_proxy');
  const http = pick('http_proxy') ?? pick('all_proxy');
  const no = pick('no_proxy');
  if (https) out.https = https;
  if (http) out.http = http;
  if (no) out.noProxy = no;
  return out;
}

/** "http://user:pass@host:port" with the credentials hidden: they never reach a report. */
export function redactProxyUrl(s: string): string {
  try {
    const u = new URL(s.includes('://') ? s : `http://${s}`);
    if (u.username || u.password) {
      u.username = '***';
      u.password = '';
    }
    return u.toString().replace(/\/$/, '').replace('***:@', '***@');
  } catch {
    return s.replace(/\/\/[^@/]*@/, '//***@');
  }
}

/** A proxy URL or "host:port" into a server, or undefined when it cannot be one. */
export function parseProxyServer(s: string): ProxyServer | undefined {
  const text = s.trim();
  if (!text) return undefined;
  let u: URL;
  try {
    u = new URL(text.includes('://') ? text : `http://${text}`);
  } catch {
    return undefined;
  }
  if (!['http:', 'https:'].includes(u.protocol)) return undefined;
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  if (!host) return undefined;
  const port = u.port ? Number(u.port) : u.protocol === 'https:' ? 443 : 80;
  const server: ProxyServer = { host, port };
  if (u.username) {
    server.auth = { username: decodeURIComponent(u.username), password: decodeURIComponent(u.password) };
  }
  return server;
}

function display(p: ProxyServer): string {
  return `${p.auth ? '***@' : ''}${p.host.includes(':') ? `[${p.host}]` : p.host}:${p.port}`;
}

/**
 * The NO_PROXY entry matching host:port, or undefined. Rules (curl's, documented in
 * docs/network.md): `*` matches all; `.example.com` and `*.example.com` match subdomains and the
 * domain; `example.com` matches it and its subdomains; an optional `:port` must match; IPv4 CIDR
 * ranges match addresses; `<local>` (WinINET) matches names without a dot.
 */
export function matchNoProxy(list: string, host: string, port: number): string | undefined {
  const h = host.toLowerCase().replace(/\.$/, '');
  for (const raw of list.split(/[,;\s]+/)) {
    const entry = raw.trim().toLowerCase();
    if (!entry) continue;
    if (entry === '*') return raw;
    if (entry === '<local>') {
      if (!h.includes('.') && !h.includes(':')) return raw;
      continue;
    }
    let pat = entry;
    let p: number | undefined;
    const m = /^(.*?):(\d+)$/.exec(pat);
    if (m && !pat.includes('::')) {
      pat = m[1]!;
      p = Number(m[2]);
    }
    if (p !== undefined && p !== port) continue;
    if (pat.includes('/')) {
      if (inCidr(h, pat)) return raw;
      continue;
    }
    pat = pat.replace(/^\*\./, '.').replace(/^\[(.*)\]$/, '$1');
    if (pat.includes('*')) {
      const re = new RegExp(`^${pat.split('*').map(escapeRe).join('.*')}$`);
      if (re.test(h)) return raw;
      continue;
    }
    const bare = pat.replace(/^\./, '');
    if (h === bare || h.endsWith(`.${bare}`)) return raw;
  }
  return undefined;
}

function escapeRe(s: string): string {
  return s.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
}

function ipv4ToInt(ip: string): number | undefined {
  const parts = ip.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    const v = Number(p);
    if (!/^\d+$/.test(p) || v > 255) return undefined;
    n = n * 256 + v;
  }
  return n;
}

function inCidr(host: string, cidr: string): boolean {
  const [base, bitsS] = cidr.split('/');
  const ip = ipv4ToInt(host);
  const b = ipv4ToInt(base ?? '');
  const bits = Number(bitsS);
  if (ip === undefined || b === undefined || !(bits >= 0 && bits <= 32)) return false;
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return (ip & mask) >>> 0 === (b & mask) >>> 0;
}

/** One PAC answer ("PROXY a:1; DIRECT") into a decision: the first entry is the one used. */
export function decisionFromPac(result: string, source: string): ProxyDecision {
  const first = (result.split(';')[0] ?? '').trim();
  const [kind = '', addr = ''] = first.split(/\s+/);
  const k = kind.toUpperCase();
  if (k === 'DIRECT' || first === '') return { mode: 'direct', source, pacResult: result, display: 'DIRECT' };
  if (k === 'PROXY' || k === 'HTTP' || k === 'HTTPS') {
    const proxy = parseProxyServer(addr);
    if (proxy) return { mode: 'proxy', proxy, source, pacResult: result, display: display(proxy) };
  }
  return { mode: 'unsupported', source, pacResult: result, display: first };
}

import type { PacEvaluator } from './pac-sandbox.js';

export type { PacEvaluator };

export interface DecideInput {
  url: URL;
  platform: NodeJS.Platform;
  /** `--proxy`: a URL, "none", or "auto"/undefined (decide like the tracker). */
  override?: string;
  env: EnvProxy;
  system?: SystemProxy;
  /** Evaluates the PAC file (from --pac or the system's PAC URL), when there is one. */
  pac?: { evaluate: PacEvaluator; source: string };
}

function secureScheme(url: URL): boolean {
  return url.protocol === 'https:' || url.protocol === 'wss:';
}

function fromEnv(url: URL, env: EnvProxy): ProxyDecision {
  const v = secureScheme(url) ? env.https : env.http;
  if (!v) return { mode: 'direct', source: 'no proxy variables set', display: 'DIRECT' };
  const port = Number(url.port || (secureScheme(url) ? 443 : 80));
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const bypass = env.noProxy ? matchNoProxy(env.noProxy.value, host, port) : undefined;
  if (bypass) return { mode: 'direct', source: env.noProxy!.name, bypassedBy: bypass, display: 'DIRECT' };
  const proxy = parseProxyServer(v.value);
  if (!proxy) return { mode: 'unsupported', source: v.name, display: redactProxyUrl(v.value) };
  return { mode: 'proxy', proxy, source: v.name, display: display(proxy) };
}

async function fromSystem(url: URL, sys: SystemProxy, pac: DecideInput['pac']): Promise<ProxyDecision> {
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = Number(url.port || (secureScheme(url) ? 443 : 80));
  if (sys.mode === 'pac' && pac) {
    const r = await pac.evaluate(url.toString(), host);
    return decisionFromPac(r, `${sys.source} PAC ${pac.source}`);
  }
  if (sys.mode === 'pac' || sys.mode === 'auto-detect') {
    return {
      mode: 'direct',
      source:
        `${sys.source} ${sys.mode === 'pac' ? `PAC ${sys.pacUrl ?? ''} (not evaluated)` : 'auto-detect (WPAD, not evaluated)'}`.trim(),
      display: 'DIRECT',
    };
  }
  if (sys.mode === 'direct') return { mode: 'direct', source: `${sys.source}: no proxy`, display: 'DIRECT' };
  const bypass = matchNoProxy(sys.bypass.join(','), host, port);
  if (bypass) return { mode: 'direct', source: sys.source, bypassedBy: bypass, display: 'DIRECT' };
  const server = (secureScheme(url) ? sys.servers.https : sys.servers.http) ?? sys.servers.all;
  const proxy = server ? parseProxyServer(server) : undefined;
  if (!proxy)
    return { mode: 'direct', source: `${sys.source}: no proxy for ${url.protocol}`, display: 'DIRECT' };
  return { mode: 'proxy', proxy, source: sys.source, display: display(proxy) };
}

/** The decision the tracker would make; and the one the shell's environment makes, for comparison. */
export async function decideProxy(
  input: DecideInput,
): Promise<{ decision: ProxyDecision; envDecision: ProxyDecision }> {
  const envDecision = fromEnv(input.url, input.env);
  const o = input.override?.trim();
  if (o && o !== 'auto') {
    if (o === 'none' || o === 'direct')
      return { decision: { mode: 'direct', source: '--proxy none', display: 'DIRECT' }, envDecision };
    const proxy = parseProxyServer(o);
    if (!proxy)
      return {
        decision: { mode: 'unsupported', source: '--proxy', display: redactProxyUrl(o) },
        envDecision,
      };
    return { decision: { mode: 'proxy', proxy, source: '--proxy', display: display(proxy) }, envDecision };
  }
  if (input.pac && (!input.system || input.system.mode !== 'pac')) {
    const host = input.url.hostname.replace(/^\[(.*)\]$/, '$1');
    const r = await input.pac.evaluate(input.url.toString(), host);
    return { decision: decisionFromPac(r, `PAC ${input.pac.source}`), envDecision };
  }
  // Electron follows the system settings on Windows and macOS; on Linux, GNOME's when set, else the environment.
  const sys = input.system;
  if (sys && (input.platform !== 'linux' || sys.mode !== 'direct')) {
    return { decision: await fromSystem(input.url, sys, input.pac), envDecision };
  }
  return { decision: envDecision, envDecision };
}

/** A sentence when the shell's environment and the tracker's settings route differently. */
export function shellVsApp(decision: ProxyDecision, envDecision: ProxyDecision): string | undefined {
  if (decision.source === envDecision.source) return undefined;
  const a =
    decision.mode === 'proxy'
      ? `through ${decision.display}`
      : decision.mode === 'direct'
        ? 'directly'
        : decision.display;
  const b =
    envDecision.mode === 'proxy'
      ? `through ${envDecision.display}`
      : envDecision.mode === 'direct'
        ? 'directly'
        : envDecision.display;
  if (a === b) return undefined;
  return `The tracker connects ${a} (${decision.source}), but this shell's environment would connect ${b} (${envDecision.source}): tools run from a terminal (curl, npm) are not a fair test of the app.`;
}

export { PAC_MEMORY_LIMIT_BYTES, PAC_TIME_LIMIT_MS, PacLimitError, compilePac } from './pac-sandbox.js';
