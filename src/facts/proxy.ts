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
import { windowsSection } from './windows.js';

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

/**
 * Read the system settings; shared by the collector, the service probe and the network command. On
 * Windows they come from the run's PowerShell batch (src/facts/windows.ts): with `options` that run's,
 * without them the batch this Context's run started, else a proxy-only call.
 */
export async function readProxyFacts(
  input: Pick<CollectorInput, 'ctx' | 'source' | 'waitingOn'> & { options?: CollectorInput['options'] },
): Promise<ProxyFacts> {
  const { ctx, source, waitingOn } = input;
  source('env', 'HTTPS_PROXY, HTTP_PROXY, ALL_PROXY, NO_PROXY (and lower-case)');
  const env = redactedEnv(ctx.env);
  if (ctx.platform === 'win32') {
    waitingOn('powershell (Internet Settings, netsh winhttp)');
    source('registry', 'HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Internet Settings');
    source('command', 'netsh winhttp show proxy');
    const json = await windowsSection(ctx, 'proxySettings', input.options, 8_000);
    return proxyFactsFromWindowsJson(json as WindowsProxyJson, env);
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
  scope: 'world',
  title: 'proxy settings',
  // On Windows it waits for the run's PowerShell batch, CPU window included (bounded in windowsSection).
  timeoutMs: 30_000,
  collect: (input) => readProxyFacts(input),
});
