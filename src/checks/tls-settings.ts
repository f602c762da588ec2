/**
 * tls-settings: whether this machine can make the TLS 1.2+ connection the tracker needs: a real
 * handshake to the service verified against Node's roots and the OS store, the negotiated protocol
 * and cipher, the Windows `SecureProtocols` bits and SCHANNEL keys, and any product intercepting
 * TLS. Why: with TLS 1.2 turned off, or an antivirus or proxy re-signing the traffic, the tracker
 * cannot upload and sits in caching mode while the browser seems fine.
 */
import { defineCheck, missingFacts } from '../core/check.js';
import type { Platform } from '../core/check.js';
import { factValue } from '../core/facts.js';
import type { CheckOutcome } from '../core/finding.js';
import type { WindowsTlsSettings } from '../facts/tls.js';

export const TLS12 = 0x800;
export const TLS13 = 0x2000;
const BITS: [number, string][] = [
  [0x8, 'SSL 2.0'],
  [0x20, 'SSL 3.0'],
  [0x80, 'TLS 1.0'],
  [0x200, 'TLS 1.1'],
  [TLS12, 'TLS 1.2'],
  [TLS13, 'TLS 1.3'],
];

/** The protocols a SecureProtocols DWORD turns on (0xA80 → TLS 1.0, 1.1, 1.2). */
export function decodeSecureProtocols(v: number): string[] {
  return BITS.filter(([bit]) => (v & bit) !== 0).map(([, name]) => name);
}

const hex = (v: number) => `0x${v.toString(16).toUpperCase()}`;

const REG_FIX = {
  text: 'Turn TLS 1.2 back on: Internet Options → Advanced → Security → "Use TLS 1.2", or ask IT to remove the policy that disables it; then restart the tracker.',
  commands: [
    'reg add "HKLM\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\SCHANNEL\\Protocols\\TLS 1.2\\Client" /v Enabled /t REG_DWORD /d 1 /f',
  ],
  docsUrl: 'docs/checks/tls-settings.md',
  fixIds: ['tls-protocols'],
};

/** The Windows settings' verdict (SecureProtocols, SCHANNEL), or undefined when they allow TLS 1.2; adds their details. */
function windowsVerdict(
  w: WindowsTlsSettings,
  details: string[],
  evidence: Record<string, unknown>,
): CheckOutcome | undefined {
  const sp = w.secureProtocols;
  const eff = sp.policyMachine ?? sp.policyUser ?? sp.user;
  const from =
    sp.policyMachine != null ? 'machine policy' : sp.policyUser != null ? 'user policy' : 'Internet Settings';
  if (eff != null) {
    details.push(
      `SecureProtocols (${from}) = ${hex(eff)}: ${decodeSecureProtocols(eff).join(', ') || 'nothing'}.`,
    );
    const old = decodeSecureProtocols(eff).filter((p) => /SSL|TLS 1\.[01]/.test(p));
    if (old.length)
      details.push(
        `Outdated protocols still on: ${old.join(', ')} (harmless for the tracker, but worth turning off).`,
      );
  }
  const s12 = w.schannel['TLS 1.2'];
  if (s12 && (s12.enabled === 0 || s12.disabledByDefault === 1)) {
    return {
      status: 'fail',
      code: 'UWD-TLS-005',
      summary:
        'TLS 1.2 is turned off for this computer (SCHANNEL), so Windows programs cannot reach the service securely.',
      details: [
        ...details,
        `SCHANNEL\\Protocols\\TLS 1.2\\Client: Enabled=${s12.enabled ?? 'default'}, DisabledByDefault=${s12.disabledByDefault ?? 'default'}.`,
      ],
      evidence,
      remediation: REG_FIX,
    };
  }
  if (eff != null && (eff & TLS12) === 0) {
    return {
      status: 'fail',
      code: 'UWD-TLS-004',
      summary: `TLS 1.2 is turned off in Internet Settings (${from}, ${hex(eff)}), so the tracker's connections to the service fail.`,
      details,
      evidence,
      remediation: REG_FIX,
    };
  }
  return undefined;
}

export const tlsSettings = defineCheck({
  id: 'tls-settings',
  title: 'TLS settings',
  category: 'security',
  platforms: ['win32', 'darwin', 'linux'] as Platform[],
  needs: ['tls'],
  docs: 'docs/checks/tls-settings.md',
  codePrefix: 'UWD-TLS',
  timeoutMs: 1_000,
  run(facts) {
    const missing = missingFacts(this, facts);
    if (missing) return missing;
    const t = factValue(facts, 'tls')!;
    const details: string[] = [];
    const evidence: Record<string, unknown> = {
      url: t.url,
      protocol: t.protocol,
      cipher: t.cipher,
      authorizedNode: t.authorizedNode,
      authorizedOs: t.authorizedOs,
      authorizationError: t.authorizationError,
      issuer: t.chain?.[t.chain.length - 1]?.issuer,
      chain: t.chain,
      interception: t.interception,
      serverProtocol: t.serverProtocol,
      windows: t.windows,
      sources:
        'TLS handshake with the service; Windows: HKCU/HKLM Internet Settings SecureProtocols, HKLM SCHANNEL\\Protocols',
    };
    // Windows settings first: they fail the tracker even where the probe happens to pass.
    const win = t.windows ? windowsVerdict(t.windows, details, evidence) : undefined;
    if (win) return win;

    if (!t.reached) {
      return {
        status: 'skip',
        code: 'UWD-TLS-007',
        summary: `Not checked: ${t.url} cannot be reached before TLS (${t.failedStage ?? 'network'} stage): ${t.message.replace(/\.$/, '')}. See "Connection to Upwork".`,
        details,
        evidence,
      };
    }
    if (t.interception?.detected) {
      const i = t.interception;
      const av = i.kind === 'antivirus';
      return {
        status: 'fail',
        code: 'UWD-TLS-003',
        summary: `${i.product ?? 'A product in the network path'} is intercepting the tracker's secure connection (issuer "${i.issuer}"), so uploads are rejected.`,
        details: [...details, ...i.evidence.map((e) => `Evidence: ${e}.`)],
        evidence,
        remediation: {
          text: av
            ? `In ${i.vendor ?? 'the antivirus'}, exclude ${i.exemptHosts.join(', ')} (or the Upwork app) from HTTPS/SSL scanning, then restart the tracker.`
            : `Ask IT to exempt ${i.exemptHosts.join(', ')} from TLS inspection on ${i.product ?? 'the gateway'}.`,
          docsUrl: 'docs/checks/tls-settings.md',
          fixIds: av ? ['antivirus-exclusion'] : [],
        },
      };
    }
    if (t.serverProtocol || (t.errorCode && /PROTOCOL|VERSION/i.test(t.errorCode))) {
      return {
        status: 'fail',
        code: 'UWD-TLS-002',
        summary: `The connection to the service offers only ${t.serverProtocol ?? 'an outdated TLS version'}; the tracker needs TLS 1.2 or newer.`,
        details: [...details, t.message],
        evidence,
        remediation: {
          text: 'Something in the path (an old proxy or security appliance) downgrades TLS: ask IT to allow TLS 1.2+ to the service.',
          docsUrl: 'docs/checks/tls-settings.md',
          fixIds: ['tls-protocols'],
        },
      };
    }
    if (t.failedStage === 'tls' || t.authorizedNode === false) {
      return {
        status: 'fail',
        code: 'UWD-TLS-006',
        summary: `The secure connection to the service fails: ${t.message}`,
        details,
        evidence,
        remediation: {
          text:
            t.authorizationError === 'CERT_HAS_EXPIRED' || t.authorizationError === 'CERT_NOT_YET_VALID'
              ? 'Check the clock first (see clock-skew): certificates look expired or not yet valid from a wrong date.'
              : 'Check for TLS-inspecting software or a proxy; the certificate the service presents is not trusted here.',
          docsUrl: 'docs/checks/tls-settings.md',
          fixIds: [],
        },
      };
    }
    details.unshift(
      `Negotiated ${t.protocol} with ${t.cipher}; certificate issued by "${t.chain?.[t.chain.length - 1]?.issuer ?? '?'}".`,
    );
    if (t.authorizedOs === false) {
      return {
        status: 'warn',
        code: 'UWD-TLS-008',
        summary:
          "The service's certificate is trusted by the tracker's Node side but not by this computer's trust store, so parts of the app that use the system store may fail.",
        details,
        evidence,
        remediation: {
          text: "Update the operating system's root certificates (system updates), then restart the tracker.",
          docsUrl: 'docs/checks/tls-settings.md',
        },
      };
    }
    if (t.authorizedOs == null) details.push('The OS trust store could not be compared (not readable here).');
    return {
      status: 'pass',
      code: 'UWD-TLS-001',
      summary: `The secure connection to the service works (${t.protocol}, trusted certificate).`,
      details,
      evidence,
    };
  },
});
