/**
 * proxy: the proxy settings of this machine, as the tracker and other programs see them: the
 * environment (HTTPS_PROXY/HTTP_PROXY/NO_PROXY), WinINET and WinHTTP on Windows, `scutil --proxy`
 * on macOS, GNOME's settings on Linux. Why: the tracker follows the system settings while a
 * terminal follows the environment; a proxy or PAC file the admin forgot explains most "cannot
 * connect" tickets. Credentials are never collected.
 */
import { NotCollectedError, defineCollector } from '../core/collector.js';
import type { CollectorInput } from '../core/collector.js';
import type { EnvProxy, SystemProxy } from '../network/proxy.js';
import { envProxy, redactProxyUrl } from '../network/proxy.js';
import type { WinInetValues } from '../network/proxy-sources.js';
import {
  parseGsettingsProxy,
  parseNetshWinhttp,
  parseScutilProxy,
  parseWinInet,
} from '../network/proxy-sources.js';

export interface ProxyFacts {
  /** The environment's variables, credentials redacted. */
  env: EnvProxy;
  /** The settings the desktop app follows (WinINET, scutil, gsettings); absent when none exist. */
  system?: SystemProxy;
  /** Windows only: the machine-wide WinHTTP proxy (services, updaters). */
  winhttp?: SystemProxy;
}

declare module '../core/facts.js' {
  interface FactMap {
    proxy: ProxyFacts;
  }
}

/** One PowerShell call for every Windows value; prints one JSON document. */
export const WINDOWS_PROXY_SCRIPT = [
  "$ErrorActionPreference = 'SilentlyContinue'",
  "$is = Get-ItemProperty -Path 'HKCU:\\Software\\Microsoft\\Windows\\CurrentVersion\\Internet Settings'",
  "$cs = (Get-ItemProperty -Path 'HKCU:\\Software\\Microsoft\\Windows\\CurrentVersion\\Internet Settings\\Connections').DefaultConnectionSettings",
  '$blob = if ($cs) { [Convert]::ToBase64String($cs) } else { $null }',
  '$winhttp = (& netsh.exe winhttp show proxy) -join "`n"',
  '[pscustomobject]@{ wininet = [pscustomobject]@{ ProxyEnable = $is.ProxyEnable; ProxyServer = $is.ProxyServer; ProxyOverride = $is.ProxyOverride; AutoConfigURL = $is.AutoConfigURL; DefaultConnectionSettings = $blob }; winhttp = $winhttp } | ConvertTo-Json -Depth 4 -Compress',
].join('; ');

export interface WindowsProxyJson {
  wininet?: WinInetValues | null;
  winhttp?: string | null;
}

export function proxyFactsFromWindowsJson(json: WindowsProxyJson, env: EnvProxy): ProxyFacts {
  const out: ProxyFacts = { env };
  if (json.wininet) out.system = parseWinInet(json.wininet);
  const wh = json.winhttp ? parseNetshWinhttp(json.winhttp) : undefined;
  if (wh) out.winhttp = wh;
  return out;
}

function redactedEnv(env: Record<string, string | undefined>): EnvProxy {
  const e = envProxy(env);
  const r = (v?: { name: string; value: string }) =>
    v ? { name: v.name, value: redactProxyUrl(v.value) } : undefined;
  const out: EnvProxy = {};
  if (e.https) out.https = r(e.https)!;
  if (e.http) out.http = r(e.http)!;
  if (e.noProxy) out.noProxy = e.noProxy;
  return out;
}

/** Read the system settings; shared by the collector and the network command. */
export async function readProxyFacts(
  input: Pick<CollectorInput, 'ctx' | 'source' | 'waitingOn'>,
): Promise<ProxyFacts> {
  const { ctx, source, waitingOn } = input;
  source('env', 'HTTPS_PROXY, HTTP_PROXY, ALL_PROXY, NO_PROXY (and lower-case)');
  const env = redactedEnv(ctx.env);
  if (ctx.platform === 'win32') {
    waitingOn('powershell (Internet Settings, netsh winhttp)');
    source('registry', 'HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Internet Settings');
    source('command', 'netsh winhttp show proxy');
    const r = await ctx.exec(
      'powershell.exe',
      ['-NoProfile', '-NonInteractive', '-Command', WINDOWS_PROXY_SCRIPT],
      { timeoutMs: 8_000 },
    );
    if (r.timedOut) throw new NotCollectedError('timeout', 'PowerShell did not answer within 8 s');
    let json: WindowsProxyJson;
    try {
      json = JSON.parse(r.stdout) as WindowsProxyJson;
    } catch {
      throw new NotCollectedError(
        'error',
        `PowerShell did not return JSON: ${(r.stderr || r.stdout).trim().slice(0, 200)}`,
      );
    }
    return proxyFactsFromWindowsJson(json, env);
  }
  if (ctx.platform === 'darwin') {
    waitingOn('scutil --proxy');
    source('command', 'scutil --proxy');
    const r = await ctx.exec('scutil', ['--proxy'], { timeoutMs: 5_000 });
    if (r.code !== 0)
      throw new NotCollectedError('error', `scutil --proxy failed: ${r.stderr.trim().slice(0, 200)}`);
    return { env, system: parseScutilProxy(r.stdout) };
  }
  waitingOn('gsettings');
  source('command', 'gsettings list-recursively org.gnome.system.proxy');
  const r = await ctx.exec('gsettings', ['list-recursively', 'org.gnome.system.proxy'], { timeoutMs: 5_000 });
  // No GNOME (servers, other desktops): the environment is all there is.
  const sys = r.code === 0 ? parseGsettingsProxy(r.stdout) : undefined;
  return sys ? { env, system: sys } : { env };
}

export const proxyCollector = defineCollector({
  key: 'proxy',
  title: 'proxy settings',
  timeoutMs: 10_000,
  collect: (input) => readProxyFacts(input),
});
