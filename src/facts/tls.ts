/**
 * tls: a real TLS handshake to the tracker's service (TLS 1.2 minimum), verified against Node's
 * roots (what the tracker's Node side uses) and the OS store (what its Chromium side uses), with
 * the presented chain and any interceptor named; on Windows also the Internet Settings
 * `SecureProtocols` bits and the SCHANNEL protocol keys. Why: "TLS 1.2 turned off" and antivirus or
 * proxy TLS inspection are classic reasons the tracker stays stuck in caching mode.
 */
import { readFile } from 'node:fs/promises';
import { X509Certificate } from 'node:crypto';
import { defineCollector } from '../core/collector.js';
import type { Context } from '../core/context.js';
import { handshakeWithRoots } from '../network/probe.js';
import {
  probeService,
  serviceDecision,
  serviceTarget,
  SERVICE_STAGE_TIMEOUT_MS,
} from './service.js';
import type { CertSummary, InterceptionInfo } from '../network/types.js';
import { SCHANNEL_PROTOCOLS, windowsSection } from './windows.js';

export interface SchannelProtocol {
  /** Client key values; null when the value is absent (the OS default applies). */
  enabled: number | null;
  disabledByDefault: number | null;
}

export interface WindowsTlsSettings {
  /** Internet Settings SecureProtocols (WinINET), per source; null when absent. */
  secureProtocols: { user: number | null; policyUser: number | null; policyMachine: number | null };
  /** SCHANNEL\Protocols\<name>\Client, e.g. "TLS 1.2". */
  schannel: Record<string, SchannelProtocol>;
}

export interface TlsFacts {
  url: string;
  host: string;
  port: number;
  /** The TLS stage ran (the network got that far). */
  reached: boolean;
  /** The first failing stage and its words, when the probe failed. */
  failedStage?: string;
  message: string;
  protocol?: string;
  cipher?: string;
  /** Verified against Node's bundled roots (plus the target's own CA). */
  authorizedNode?: boolean;
  authorizationError?: string;
  /** Verified against the OS trust store; null when the store could not be read or compared. */
  authorizedOs?: boolean | null;
  chain?: CertSummary[];
  interception?: InterceptionInfo;
  /** The protocol the server speaks when it refused TLS 1.2+ (e.g. TLSv1.1). */
  serverProtocol?: string;
  errorCode?: string;
  windows?: WindowsTlsSettings;
  /** Each stage of the probe (for the report's waterfall): how long it took and how it ended. */
  stages?: { stage: string; status: string; durationMs: number; summary: string; code?: string }[];
}

declare module '../core/facts.js' {
  interface FactMap {
    tls: TlsFacts;
  }
}

export { SCHANNEL_PROTOCOLS };

export interface WindowsTlsJson {
  secureProtocols?: Partial<WindowsTlsSettings['secureProtocols']> | null;
  schannel?: Record<string, Partial<SchannelProtocol> | null> | null;
  roots?: string[] | string | null;
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

export function parseWindowsTls(j: WindowsTlsJson): { settings: WindowsTlsSettings; rootsPem: string[] } {
  const sp = j.secureProtocols ?? {};
  const schannel: Record<string, SchannelProtocol> = {};
  for (const n of SCHANNEL_PROTOCOLS) {
    const v = j.schannel?.[n] ?? {};
    schannel[n] = { enabled: num(v?.enabled), disabledByDefault: num(v?.disabledByDefault) };
  }
  // ConvertTo-Json gives a bare string, not an array, for a single item.
  const roots = j.roots == null ? [] : Array.isArray(j.roots) ? j.roots : [j.roots];
  return {
    settings: {
      secureProtocols: {
        user: num(sp.user),
        policyUser: num(sp.policyUser),
        policyMachine: num(sp.policyMachine),
      },
      schannel,
    },
    rootsPem: roots.map(
      (b64) => `-----BEGIN CERTIFICATE-----\n${b64.replace(/(.{64})/g, '$1\n')}\n-----END CERTIFICATE-----\n`,
    ),
  };
}

const LINUX_BUNDLES = [
  '/etc/ssl/certs/ca-certificates.crt',
  '/etc/pki/tls/certs/ca-bundle.crt',
  '/etc/ssl/cert.pem',
];

/** Split a PEM bundle into certificates that parse (a broken entry must not poison the rest). */
export function splitPem(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g)) {
    try {
      new X509Certificate(m[0]);
      out.push(`${m[0]}\n`);
    } catch {
      // skip unparsable entries
    }
  }
  return out;
}

async function osRoots(
  ctx: Context,
  source: (k: 'file' | 'command', r: string) => void,
): Promise<string[] | undefined> {
  if (ctx.platform === 'linux') {
    for (const f of LINUX_BUNDLES) {
      try {
        const text = await readFile(f, 'utf8');
        source('file', f);
        return splitPem(text);
      } catch {
        // try the next distribution's path
      }
    }
    return undefined;
  }
  if (ctx.platform === 'darwin') {
    source('command', 'security find-certificate -a -p (system roots and System keychain)');
    const r = await ctx.exec(
      '/usr/bin/security',
      [
        'find-certificate',
        '-a',
        '-p',
        '/System/Library/Keychains/SystemRootCertificates.keychain',
        '/Library/Keychains/System.keychain',
      ],
      { timeoutMs: 5_000 },
    );
    return r.code === 0 ? splitPem(r.stdout) : undefined;
  }
  return undefined;
}

export const tlsCollector = defineCollector({
  key: 'tls',
  scope: 'world',
  simulatedByScenario: true,
  title: 'TLS handshake and settings',
  timeoutMs: 14_000,
  async collect({ ctx, options, signal, source, waitingOn }) {
    const target = serviceTarget(ctx, options);
    let windows: WindowsTlsSettings | undefined;
    let rootsPem: string[] | undefined;
    // On Windows this joins (or starts) the run's one PowerShell batch before the probe below reads
    // the proxy settings, so both come from the same call.
    const winP =
      ctx.platform === 'win32'
        ? (async () => {
            source(
              'registry',
              'HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Internet Settings\\SecureProtocols',
            );
            source(
              'registry',
              'HKLM\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\SCHANNEL\\Protocols',
            );
            try {
              const json = await windowsSection(ctx, 'tlsSettings', options, 10_000);
              const p = parseWindowsTls(json as WindowsTlsJson);
              windows = p.settings;
              rootsPem = p.rootsPem;
            } catch (e) {
              ctx.logger.debug(`tls: no Windows TLS settings from PowerShell (${(e as Error).message})`);
            }
          })()
        : osRoots(ctx, source).then((r) => void (rootsPem = r));

    waitingOn(`a TLS handshake with ${target.endpoint.url}`);
    source('url', target.endpoint.url);
    const [probe] = await Promise.all([probeService(ctx, target, signal), winP]);
    const tlsStage = probe.stages.find((s) => s.stage === 'tls');
    const reached = Boolean(tlsStage && (tlsStage.status === 'pass' || tlsStage.status === 'fail'));
    const d = (tlsStage?.details ?? {}) as Record<string, unknown>;
    const facts: TlsFacts = {
      url: target.endpoint.url,
      host: probe.host,
      port: probe.port,
      reached,
      message: probe.message,
      stages: probe.stages.map((st) => ({
        ...{ stage: st.stage, status: st.status, durationMs: st.durationMs, summary: st.summary },
        ...(st.error ? { code: st.error.code } : {}),
      })),
      ...(probe.failedStage ? { failedStage: probe.failedStage } : {}),
      ...(windows ? { windows } : {}),
    };
    if (!reached) return facts;
    if (typeof d.protocol === 'string') facts.protocol = d.protocol;
    if (typeof d.cipher === 'string') facts.cipher = d.cipher;
    if (typeof d.authorized === 'boolean') facts.authorizedNode = d.authorized;
    if (typeof d.authorizationError === 'string') facts.authorizationError = d.authorizationError;
    if (Array.isArray(d.chain)) facts.chain = d.chain as CertSummary[];
    if (d.interception) facts.interception = d.interception as InterceptionInfo;
    if (typeof d.serverProtocol === 'string') facts.serverProtocol = d.serverProtocol;
    if (tlsStage?.error) facts.errorCode = tlsStage.error.code;
    if (tlsStage?.status === 'pass' || facts.authorizedNode !== undefined) {
      if (rootsPem && rootsPem.length > 0) {
        const decision = await serviceDecision(ctx, target.endpoint.url);
        const os = await handshakeWithRoots(
          target.endpoint,
          decision,
          [...rootsPem, ...target.extraCa],
          SERVICE_STAGE_TIMEOUT_MS,
          signal,
        );
        facts.authorizedOs = os ? os.authorized : null;
      } else facts.authorizedOs = null;
    }
    return facts;
  },
});
