/**
 * Parsers for where each OS keeps its proxy settings: `scutil --proxy` (macOS), `gsettings
 * list-recursively org.gnome.system.proxy` (GNOME), and the WinINET/WinHTTP values the Windows
 * PowerShell batch returns as JSON. Pure functions over recorded outputs (fixtures/os/*).
 */
import type { SystemProxy } from './proxy.js';

/** `scutil --proxy`: a nested "<dictionary> { Key : value }" dump. */
export function parseScutilProxy(text: string): SystemProxy {
  const kv: Record<string, string> = {};
  const exceptions: string[] = [];
  let inExceptions = false;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (/^ExceptionsList\s*:\s*<array>\s*\{/.test(line)) {
      inExceptions = true;
      continue;
    }
    if (inExceptions) {
      if (line === '}') {
        inExceptions = false;
        continue;
      }
      const m = /^\d+\s*:\s*(.+)$/.exec(line);
      if (m) exceptions.push(m[1]!.trim());
      continue;
    }
    const m = /^([A-Za-z]+)\s*:\s*(.*)$/.exec(line);
    if (m) kv[m[1]!] = m[2]!.trim();
  }
  const on = (k: string) => kv[k] === '1';
  const hp = (h: string, p: string) => (kv[h] ? `${kv[h]}:${kv[p] ?? '80'}` : undefined);
  const servers: SystemProxy['servers'] = {};
  if (on('HTTPEnable')) {
    const s = hp('HTTPProxy', 'HTTPPort');
    if (s) servers.http = s;
  }
  if (on('HTTPSEnable')) {
    const s = hp('HTTPSProxy', 'HTTPSPort');
    if (s) servers.https = s;
  }
  const bypass = [...exceptions];
  if (on('ExcludeSimpleHostnames')) bypass.push('<local>');
  if (on('ProxyAutoConfigEnable') && kv.ProxyAutoConfigURLString) {
    return { source: 'scutil', mode: 'pac', servers, bypass, pacUrl: kv.ProxyAutoConfigURLString };
  }
  if (servers.http || servers.https) return { source: 'scutil', mode: 'manual', servers, bypass };
  if (on('ProxyAutoDiscoveryEnable')) return { source: 'scutil', mode: 'auto-detect', servers, bypass };
  return { source: 'scutil', mode: 'direct', servers, bypass };
}

/** GVariant text values: 'str', 8080, true, ['a', 'b'], @as []. */
function gvalue(v: string): string | number | boolean | string[] {
  const t = v.trim().replace(/^@as\s+/, '');
  if (t === 'true' || t === 'false') return t === 'true';
  if (/^-?\d+$/.test(t)) return Number(t);
  if (t.startsWith('[')) {
    return [...t.matchAll(/'((?:[^'\\]|\\.)*)'/g)].map((m) => m[1]!.replace(/\\(.)/g, '$1'));
  }
  const m = /^'((?:[^'\\]|\\.)*)'$/.exec(t);
  return m ? m[1]!.replace(/\\(.)/g, '$1') : t;
}

/** `gsettings list-recursively org.gnome.system.proxy`. Passwords are never read. */
export function parseGsettingsProxy(text: string): SystemProxy | undefined {
  const kv: Record<string, string | number | boolean | string[]> = {};
  for (const raw of text.split(/\r?\n/)) {
    const m = /^(org\.gnome\.system\.proxy(?:\.\w+)?)\s+([\w-]+)\s+(.*)$/.exec(raw.trim());
    if (!m || m[2] === 'authentication-password') continue;
    kv[`${m[1]!.replace('org.gnome.system.proxy', '').replace(/^\./, '') || 'proxy'}.${m[2]}`] = gvalue(
      m[3]!,
    );
  }
  if (!('proxy.mode' in kv)) return undefined;
  const mode = String(kv['proxy.mode']);
  const bypass = Array.isArray(kv['proxy.ignore-hosts']) ? (kv['proxy.ignore-hosts'] as string[]) : [];
  const servers: SystemProxy['servers'] = {};
  const hp = (scheme: string) => {
    const h = kv[`${scheme}.host`];
    const p = kv[`${scheme}.port`];
    return typeof h === 'string' && h && typeof p === 'number' && p > 0 ? `${h}:${p}` : undefined;
  };
  if (mode === 'manual') {
    const http = hp('http');
    const https = hp('https');
    if (kv['proxy.use-same-proxy'] === true && http) servers.all = http;
    if (http) servers.http = http;
    if (https) servers.https = https;
    return { source: 'gsettings', mode: 'manual', servers, bypass };
  }
  if (mode === 'auto') {
    const url = kv['proxy.autoconfig-url'];
    return typeof url === 'string' && url
      ? { source: 'gsettings', mode: 'pac', servers, bypass, pacUrl: url }
      : { source: 'gsettings', mode: 'auto-detect', servers, bypass };
  }
  return { source: 'gsettings', mode: 'direct', servers, bypass };
}

/** WinINET's ProxyServer: "host:port" or "http=h:p;https=h:p;socks=h:p". */
export function parseWinProxyServer(value: string): SystemProxy['servers'] {
  const out: SystemProxy['servers'] = {};
  const v = value.trim();
  if (!v) return out;
  if (!v.includes('=')) {
    out.all = v;
    return out;
  }
  for (const part of v.split(';')) {
    const [k, s] = part.split('=');
    const key = (k ?? '').trim().toLowerCase();
    if ((key === 'http' || key === 'https') && s) out[key] = s.trim();
  }
  return out;
}

export interface WinInetValues {
  ProxyEnable?: number | null;
  ProxyServer?: string | null;
  ProxyOverride?: string | null;
  AutoConfigURL?: string | null;
  /** Base64 of Connections\DefaultConnectionSettings (REG_BINARY). */
  DefaultConnectionSettings?: string | null;
}

/** Flags DWORD at offset 8 of DefaultConnectionSettings: 0x08 means "Automatically detect settings". */
export function autoDetectFromBlob(b64: string | null | undefined): boolean {
  if (!b64) return false;
  const buf = Buffer.from(b64, 'base64');
  return buf.length >= 12 && (buf.readUInt32LE(8) & 0x08) !== 0;
}

export function parseWinInet(v: WinInetValues): SystemProxy {
  const bypass = (v.ProxyOverride ?? '')
    .split(';')
    .map((s) => s.trim())
    .filter(Boolean);
  const servers = v.ProxyEnable === 1 ? parseWinProxyServer(v.ProxyServer ?? '') : {};
  if (v.AutoConfigURL) return { source: 'WinINET', mode: 'pac', servers, bypass, pacUrl: v.AutoConfigURL };
  if (servers.all || servers.http || servers.https)
    return { source: 'WinINET', mode: 'manual', servers, bypass };
  if (autoDetectFromBlob(v.DefaultConnectionSettings))
    return { source: 'WinINET', mode: 'auto-detect', servers, bypass };
  return { source: 'WinINET', mode: 'direct', servers, bypass };
}

/** `netsh winhttp show proxy` (English). Localized output gives undefined, never a wrong answer. */
export function parseNetshWinhttp(text: string): SystemProxy | undefined {
  if (/Direct access \(no proxy server\)/i.test(text)) {
    return { source: 'WinHTTP', mode: 'direct', servers: {}, bypass: [] };
  }
  const server = /Proxy Server\(s\)\s*:\s*(.+)/i.exec(text)?.[1]?.trim();
  if (!server) return undefined;
  const bypassText = /Bypass List\s*:\s*(.+)/i.exec(text)?.[1]?.trim() ?? '';
  const bypass = /^\(none\)$/i.test(bypassText)
    ? []
    : bypassText
        .split(';')
        .map((s) => s.trim())
        .filter(Boolean);
  return { source: 'WinHTTP', mode: 'manual', servers: parseWinProxyServer(server), bypass };
}
